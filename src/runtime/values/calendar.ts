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

export const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** An offset as PostgreSQL prints one (`+01`, `-05:30`, `+05:53:28`), from seconds east of UTC. */
export function offsetText(secondsEast: number): string {
  const a = Math.abs(secondsEast)
  const h = Math.floor(a / 3600)
  const m = Math.floor((a % 3600) / 60)
  const s = a % 60
  return `${secondsEast < 0 ? '-' : '+'}${pad(h)}${m || s ? `:${pad(m)}` : ''}${s ? `:${pad(s)}` : ''}`
}

/** A date or timestamp[tz] in PostgreSQL's ISO output, as its parts (the digits as printed). */
export interface IsoParts {
  readonly year: string
  readonly month: string
  readonly day: string
  /** `HH:MM:SS`, for a timestamp */
  readonly time?: string
  /** the digits after the decimal point ('' when none) */
  readonly fraction: string
  /** seconds east of UTC, for a timestamptz */
  readonly offset?: number
  readonly bc: boolean
}

const ISO_RE =
  /^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?)?( BC)?$/

export function isoParts(text: string): IsoParts | undefined {
  const m = ISO_RE.exec(text)
  if (!m) return undefined
  const parts: IsoParts = {
    year: m[1]!,
    month: m[2]!,
    day: m[3]!,
    fraction: m[5] ?? '',
    bc: m[10] !== undefined,
  }
  if (m[4] === undefined) return parts
  if (m[6] === undefined) return { ...parts, time: m[4] }
  const east = Number(m[7]) * 3600 + Number(m[8] ?? 0) * 60 + Number(m[9] ?? 0)
  return { ...parts, time: m[4], offset: m[6] === '-' ? -east : east }
}

/** The astronomical year of the parts (1 BC is year 0). */
function yearOf(p: IsoParts): number {
  return p.bc ? 1 - Number(p.year) : Number(p.year)
}

/** An ISO date (`2009-11-04`, `0044-03-15 BC`) as days since 2000-01-01; undefined if not one. */
export function isoDateDays(text: string): number | undefined {
  if (text === 'infinity') return 2147483647
  if (text === '-infinity') return -2147483648
  const p = isoParts(text)
  if (!p || p.time !== undefined) return undefined
  const ms = utcMs(yearOf(p), Number(p.month), Number(p.day))
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
  const p = isoParts(text)
  if (!p?.time) return undefined
  const [h, mi, s] = p.time.split(':').map(Number)
  const ms = utcMs(yearOf(p), Number(p.month), Number(p.day), h, mi, s)
  if (!Number.isFinite(ms)) return undefined
  const seconds = ms / 1000 - (p.offset ?? 0)
  const fraction = BigInt(p.fraction.padEnd(6, '0') || '0')
  return (BigInt(seconds) - BigInt(PG_EPOCH_MS / 1000)) * 1_000_000n + fraction
}
