/**
 * Results in the client session's output style, as PL/Proxy gives them.
 *
 * PL/Proxy reads every result value with the proxy backend's input function
 * and prints it with its output function (plproxy-behavior §6.3), so what a
 * client sees follows the *proxy* session's DateStyle, TimeZone and
 * bytea_output, not the partition's. plproxy-serve forwards the partitions'
 * text as it is; where the client's settings differ from the partitions'
 * defaults (ISO dates, hex bytea) the affected columns are re-printed:
 *
 * - date and timestamp in the SQL, German and Postgres styles (and DMY/MDY);
 * - timestamptz in the client's time zone: ISO style in any zone of the tz
 *   database, the other styles when the zone is UTC or GMT (their output
 *   names the zone's abbreviation, which only the tz database knows);
 * - bytea in the escape format.
 *
 * A value not in the partitions' default format (a partition with another
 * DateStyle, BC dates, infinity) is passed on as it is.
 */

import { isoParts, offsetText, pad, utcMs } from '../runtime/values/calendar.js'
import { splitDateStyle } from './setting-values.js'

export interface OutputStyle {
  /** DateStyle as SHOW prints it: `ISO, MDY`, `Postgres, DMY`, … */
  readonly dateStyle: string
  readonly timeZone: string
  /** `hex` or `escape` */
  readonly byteaOutput: string
  /** `postgres` (the partitions' default), `postgres_verbose`, `sql_standard` or `iso_8601` */
  readonly intervalStyle?: string
}

export type Restyle = (text: string) => string

const DATE = 1082
const TIMESTAMP = 1114
const TIMESTAMPTZ = 1184
const BYTEA = 17
const INTERVAL = 1186

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

interface Fields {
  year: string
  month: string
  day: string
  /** `HH:MM:SS[.frac]` */
  time?: string
  bc?: boolean
}

type DateFormat = 'ISO' | 'SQL' | 'German' | 'Postgres'

function parseDateStyle(text: string): { format: DateFormat; dmy: boolean } {
  const { style, order } = splitDateStyle(text)
  const format = (['SQL', 'German', 'Postgres'] as const).find((f) => f.toLowerCase() === style.toLowerCase())
  return { format: format ?? 'ISO', dmy: order.toUpperCase() === 'DMY' }
}

/** EncodeDateOnly / EncodeDateTime of PostgreSQL, for years after 0 and without a zone (added by the caller). */
function encode(f: Fields, format: DateFormat, dmy: boolean): string {
  const text = encodeAD(f, format, dmy)
  return f.bc ? `${text} BC` : text
}

function encodeAD(f: Fields, format: DateFormat, dmy: boolean): string {
  const { year, month, day, time } = f
  switch (format) {
    case 'ISO':
      return time ? `${year}-${month}-${day} ${time}` : `${year}-${month}-${day}`
    case 'SQL': {
      const d = dmy ? `${day}/${month}/${year}` : `${month}/${day}/${year}`
      return time ? `${d} ${time}` : d
    }
    case 'German':
      return time ? `${day}.${month}.${year} ${time}` : `${day}.${month}.${year}`
    case 'Postgres': {
      if (!time) return dmy ? `${day}-${month}-${year}` : `${month}-${day}-${year}`
      // year 1 BC is the astronomical year 0
      const y = f.bc ? 1 - Number(year) : Number(year)
      const dow = DAYS[new Date(utcMs(y, Number(month), Number(day))).getUTCDay()]
      const mon = MONTHS[Number(month) - 1]
      return dmy ? `${dow} ${day} ${mon} ${time} ${year}` : `${dow} ${mon} ${day} ${time} ${year}`
    }
  }
}

// ---- time zones -------------------------------------------------------------------

const zoneFormats = new Map<string, Intl.DateTimeFormat | null>()

function zoneFormat(zone: string): Intl.DateTimeFormat | undefined {
  let f = zoneFormats.get(zone)
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
    } catch {
      f = null
    }
    zoneFormats.set(zone, f)
  }
  return f ?? undefined
}

/** An instant (ms since the epoch, whole seconds) as local fields in a zone, and the zone's offset then (seconds). */
function inZone(ms: number, zone: Intl.DateTimeFormat): { fields: Fields; offset: number } | undefined {
  const parts: Record<string, string> = {}
  for (const p of zone.formatToParts(new Date(ms))) parts[p.type] = p.value
  const local = utcMs(
    Number(parts.year),
    Number(parts.month),
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  )
  if (Number.isNaN(local)) return undefined
  return {
    fields: {
      year: pad(Number(parts.year), 4),
      month: parts.month!,
      day: parts.day!,
      time: `${parts.hour}:${parts.minute}:${parts.second}`,
    },
    offset: Math.round((local - ms) / 1000),
  }
}

/** Zones whose abbreviation is their own name (PostgreSQL prints `UTC`, `GMT`). */
const NAMED_ZONES: Readonly<Record<string, string>> = {
  utc: 'UTC',
  'etc/utc': 'UTC',
  zulu: 'UTC',
  gmt: 'GMT',
  'etc/gmt': 'GMT',
}

const FIRST_AD_DAY = utcMs(1, 1, 2)

function timestamptzRestyle(format: DateFormat, dmy: boolean, timeZone: string): Restyle | undefined {
  const zone = zoneFormat(timeZone)
  if (!zone) return undefined
  const abbreviation = NAMED_ZONES[timeZone.toLowerCase()]
  if (format !== 'ISO' && !abbreviation) return undefined
  return (text) => {
    const p = isoParts(text)
    if (!p?.time || p.offset === undefined || p.bc) return text
    const [h, mi, s] = p.time.split(':').map(Number)
    const utc = utcMs(Number(p.year), Number(p.month), Number(p.day), h, mi, s) - p.offset * 1000
    // before 0001-01-02 the local time may be BC, which Intl does not say: as it came
    if (!(utc >= FIRST_AD_DAY)) return text
    const local = inZone(utc, zone)
    if (!local) return text
    const fields = { ...local.fields, time: `${local.fields.time}${p.fraction ? `.${p.fraction}` : ''}` }
    const body = encode(fields, format, dmy)
    return format === 'ISO' ? `${body}${offsetText(local.offset)}` : `${body} ${abbreviation}`
  }
}

// ---- bytea ----------------------------------------------------------------------

/** byteaout with bytea_output = escape, from the hex format. */
function byteaEscape(text: string): string {
  if (!text.startsWith('\\x')) return text
  const bytes = Buffer.from(text.slice(2), 'hex')
  let out = ''
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\'
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`
    else out += String.fromCharCode(b)
  }
  return out
}

// ---- interval ---------------------------------------------------------------------

interface IntervalFields {
  year: number
  mon: number
  mday: number
  hour: bigint
  min: number
  sec: number
  /** microseconds, with the sign of the time part */
  usec: number
}

const INTERVAL_PART = /^([+-]?\d+) (year|mon|day)s?$/
const INTERVAL_TIME = /^([+-]?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/

/** interval_out's postgres style (the partitions' default) → PostgreSQL's fields (interval2itm). */
function parsePostgresInterval(text: string): IntervalFields | undefined {
  const words = text.split(' ')
  let months = 0
  let days = 0
  let time = 0n
  let i = 0
  for (; i + 1 < words.length; i += 2) {
    const m = INTERVAL_PART.exec(`${words[i]} ${words[i + 1]}`)
    if (!m) break
    const n = Number(m[1])
    if (m[2] === 'year') months += n * 12
    else if (m[2] === 'mon') months += n
    else days += n
  }
  if (i < words.length) {
    if (i !== words.length - 1) return undefined
    const t = INTERVAL_TIME.exec(words[i]!)
    if (!t) return undefined
    const micros =
      (BigInt(t[2]!) * 3600n + BigInt(Number(t[3]) * 60 + Number(t[4]))) * 1_000_000n +
      BigInt((t[5] ?? '').padEnd(6, '0'))
    time = t[1] === '-' ? -micros : micros
  }
  const hour = time / 3_600_000_000n
  let rest = time - hour * 3_600_000_000n
  const min = Number(rest / 60_000_000n)
  rest -= BigInt(min) * 60_000_000n
  const sec = Number(rest / 1_000_000n)
  const usec = Number(rest - BigInt(sec) * 1_000_000n)
  // C division truncates toward zero, as BigInt's and Math.trunc do
  return { year: Math.trunc(months / 12), mon: months % 12, mday: days, hour, min, sec, usec }
}

const abs = (n: number) => Math.abs(n)
const absBig = (n: bigint) => (n < 0n ? -n : n)

/** AppendSeconds: `|sec|[.ffffff]` trimmed, two digits with fillzeros. */
function seconds(sec: number, usec: number, fillzeros: boolean): string {
  const whole = fillzeros ? pad(abs(sec)) : String(abs(sec))
  return usec === 0 ? whole : `${whole}.${String(abs(usec)).padStart(6, '0').replace(/0+$/, '')}`
}

function encodeInterval(f: IntervalFields, style: string): string {
  let { year, mon, mday, hour, min, sec, usec } = f
  switch (style) {
    case 'sql_standard': {
      const negative = year < 0 || mon < 0 || mday < 0 || hour < 0n || min < 0 || sec < 0 || usec < 0
      const positive = year > 0 || mon > 0 || mday > 0 || hour > 0n || min > 0 || sec > 0 || usec > 0
      const yearMonth = year !== 0 || mon !== 0
      const dayTime = mday !== 0 || hour !== 0n || min !== 0 || sec !== 0 || usec !== 0
      const standard = !(negative && positive) && !(yearMonth && dayTime)
      let out = ''
      if (negative && standard) {
        out = '-'
        ;[year, mon, mday, hour, min, sec, usec] = [-year, -mon, -mday, -hour, -min, -sec, -usec]
      }
      if (!negative && !positive) return `${out}0`
      if (!standard) {
        const ys = year < 0 || mon < 0 ? '-' : '+'
        const ds = mday < 0 ? '-' : '+'
        const ts = hour < 0n || min < 0 || sec < 0 || usec < 0 ? '-' : '+'
        return `${out}${ys}${abs(year)}-${abs(mon)} ${ds}${abs(mday)} ${ts}${absBig(hour)}:${pad(abs(min))}:${seconds(sec, usec, true)}`
      }
      if (yearMonth) return `${out}${year}-${mon}`
      if (mday !== 0) return `${out}${mday} ${hour}:${pad(min)}:${seconds(sec, usec, true)}`
      return `${out}${hour}:${pad(min)}:${seconds(sec, usec, true)}`
    }
    case 'iso_8601': {
      if (!year && !mon && !mday && hour === 0n && !min && !sec && !usec) return 'PT0S'
      let out = 'P'
      if (year) out += `${year}Y`
      if (mon) out += `${mon}M`
      if (mday) out += `${mday}D`
      if (hour !== 0n || min || sec || usec) out += 'T'
      if (hour !== 0n) out += `${hour}H`
      if (min) out += `${min}M`
      if (sec || usec) out += `${sec < 0 || usec < 0 ? '-' : ''}${seconds(sec, usec, false)}S`
      return out
    }
    case 'postgres_verbose': {
      let out = '@'
      let zero = true
      let before = false
      const part = (value: number | bigint, unit: string) => {
        if (value === 0 || value === 0n) return
        let v = BigInt(value)
        if (zero) {
          before = v < 0n
          v = absBig(v)
        } else if (before) v = -v
        out += ` ${v} ${unit}${v === 1n ? '' : 's'}`
        zero = false
      }
      part(year, 'year')
      part(mon, 'mon')
      part(mday, 'day')
      part(hour, 'hour')
      part(min, 'min')
      if (sec || usec) {
        out += ' '
        if (sec < 0 || (sec === 0 && usec < 0)) {
          if (zero) before = true
          else if (!before) out += '-'
        } else if (before) out += '-'
        out += `${seconds(sec, usec, false)} sec${abs(sec) !== 1 || usec !== 0 ? 's' : ''}`
        zero = false
      }
      if (zero) out += ' 0'
      if (before) out += ' ago'
      return out
    }
    default:
      return ''
  }
}

// ---- per type ---------------------------------------------------------------------

/** Whether a type's text depends on the output settings at all. */
export function hasOutputStyle(typeOid: number): boolean {
  return (
    typeOid === DATE ||
    typeOid === TIMESTAMP ||
    typeOid === TIMESTAMPTZ ||
    typeOid === BYTEA ||
    typeOid === INTERVAL
  )
}

/**
 * How a column of this type must be re-printed for the client, or undefined
 * when the partitions' text is already what PostgreSQL would print.
 */
export function restyleFor(typeOid: number, style: OutputStyle): Restyle | undefined {
  const { format, dmy } = parseDateStyle(style.dateStyle)
  switch (typeOid) {
    case DATE:
      // ISO dates print the same in either order
      if (format === 'ISO') return undefined
      return (text) => {
        const p = isoParts(text)
        return p && p.time === undefined ? encode(p, format, dmy) : text
      }
    case TIMESTAMP:
      if (format === 'ISO') return undefined
      return (text) => {
        const p = isoParts(text)
        if (!p?.time || p.offset !== undefined) return text
        return encode({ ...p, time: `${p.time}${p.fraction ? `.${p.fraction}` : ''}` }, format, dmy)
      }
    case TIMESTAMPTZ:
      return timestamptzRestyle(format, dmy, style.timeZone)
    case BYTEA:
      return style.byteaOutput === 'escape' ? byteaEscape : undefined
    case INTERVAL: {
      const target = style.intervalStyle?.toLowerCase()
      if (!target || target === 'postgres') return undefined
      return (text) => {
        const fields = parsePostgresInterval(text)
        return fields ? encodeInterval(fields, target) || text : text
      }
    }
    default:
      return undefined
  }
}
