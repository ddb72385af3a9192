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

import { utcMs } from '../runtime/values/calendar.js'

export interface OutputStyle {
  /** DateStyle as SHOW prints it: `ISO, MDY`, `Postgres, DMY`, … */
  readonly dateStyle: string
  readonly timeZone: string
  /** `hex` or `escape` */
  readonly byteaOutput: string
}

export type Restyle = (text: string) => string

const DATE = 1082
const TIMESTAMP = 1114
const TIMESTAMPTZ = 1184
const BYTEA = 17

const DATE_RE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/
const TIMESTAMP_RE = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?( BC)?$/
const TIMESTAMPTZ_RE =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/

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
  const [style = 'ISO', order = 'MDY'] = text.split(/\s*,\s*/)
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

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

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

/** `+01`, `-05:30`, `+05:53:28`, as PostgreSQL prints an offset. */
function offsetText(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+'
  const a = Math.abs(seconds)
  const h = Math.floor(a / 3600)
  const m = Math.floor((a % 3600) / 60)
  const s = a % 60
  return `${sign}${pad(h)}${m || s ? `:${pad(m)}` : ''}${s ? `:${pad(s)}` : ''}`
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
    const m = TIMESTAMPTZ_RE.exec(text)
    if (!m) return text
    const [, y, mo, d, h, mi, s, frac = '', sign, oh, om = '0', os = '0'] = m
    const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os))
    const utc = utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)) - offset * 1000
    // before 0001-01-02 the local time may be BC, which Intl does not say: as it came
    if (!(utc >= FIRST_AD_DAY)) return text
    const local = inZone(utc, zone)
    if (!local) return text
    const fields = { ...local.fields, time: `${local.fields.time}${frac}` }
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

// ---- per type ---------------------------------------------------------------------

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
        const m = DATE_RE.exec(text)
        return m ? encode({ year: m[1]!, month: m[2]!, day: m[3]!, bc: !!m[4] }, format, dmy) : text
      }
    case TIMESTAMP:
      if (format === 'ISO') return undefined
      return (text) => {
        const m = TIMESTAMP_RE.exec(text)
        if (!m) return text
        const time = `${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}`
        return encode({ year: m[1]!, month: m[2]!, day: m[3]!, time, bc: !!m[8] }, format, dmy)
      }
    case TIMESTAMPTZ:
      return timestamptzRestyle(format, dmy, style.timeZone)
    case BYTEA:
      return style.byteaOutput === 'escape' ? byteaEscape : undefined
    default:
      return undefined
  }
}
