/**
 * The proleptic Gregorian calendar of PostgreSQL's date and timestamp types,
 * on JavaScript's Date arithmetic (which, through setUTCFullYear, also
 * handles years 0–99 and years before 1 — 1 BC is the astronomical year 0).
 */

/** Milliseconds since 1970-01-01 00:00:00 UTC of a date and time. */
export function utcMs(year: number, month: number, day: number, h = 0, mi = 0, s = 0): number {
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(h, mi, s, 0)
  return d.getTime()
}

/** Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
export const PG_EPOCH_DAYS = 10957
export const PG_EPOCH_MS = PG_EPOCH_DAYS * 86_400_000

const DATE_RE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/
const TIMESTAMP_RE =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?( BC)?$/

/** An ISO date (`2009-11-04`, `0044-03-15 BC`) as days since 2000-01-01; undefined if not one. */
export function isoDateDays(text: string): number | undefined {
  if (text === 'infinity') return 2147483647
  if (text === '-infinity') return -2147483648
  const m = DATE_RE.exec(text)
  if (!m) return undefined
  const year = m[4] ? 1 - Number(m[1]) : Number(m[1])
  const ms = utcMs(year, Number(m[2]), Number(m[3]))
  // beyond JavaScript's dates (±275,760 years): not converted here
  return Number.isFinite(ms) ? Math.round(ms / 86_400_000) - PG_EPOCH_DAYS : undefined
}

/**
 * An ISO timestamp as microseconds since 2000-01-01 00:00:00 (UTC when it
 * has an offset, `2009-11-04 12:12:02.5+01`); undefined if not one.
 */
export function isoTimestampMicros(text: string): bigint | undefined {
  if (text === 'infinity') return 9223372036854775807n
  if (text === '-infinity') return -9223372036854775808n
  const m = TIMESTAMP_RE.exec(text)
  if (!m) return undefined
  const year = m[12] ? 1 - Number(m[1]) : Number(m[1])
  const ms = utcMs(year, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
  if (!Number.isFinite(ms)) return undefined
  let seconds = ms / 1000
  if (m[8]) {
    const offset = Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)
    seconds -= m[8] === '-' ? -offset : offset
  }
  const fraction = BigInt((m[7] ?? '').padEnd(6, '0') || '0')
  return (BigInt(seconds) - BigInt(PG_EPOCH_MS / 1000)) * 1_000_000n + fraction
}
