/**
 * PostgreSQL's binary send/receive formats for the common built-in types,
 * to and from their text form: a wire client may send parameters in binary
 * (Bind with format 1) and ask for binary results, while PL/Proxy's I/O to
 * the partitions is text. Types without a conversion here are refused with
 * a clear error rather than guessed.
 */
import { parseArrayLiteral, printArrayLiteral } from './array-literal.js'
import { isoDateDays, isoTimestampMicros, offsetText, PG_EPOCH_DAYS, PG_EPOCH_MS, pad } from './calendar.js'
import { float4out, float8out } from './float.js'
import { boolin, int2in, int4in, int8in, numericin } from './input.js'
import { PgValueError } from './value-error.js'

const OID = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  unknown: 705,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  time: 1083,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const

/** Built-in array types (pgjdbc's binary transfer asks for several) → their element types. */
const ARRAY_ELEMENT: ReadonlyMap<number, number> = new Map([
  [1000, OID.bool],
  [1001, OID.bytea],
  [1002, OID.char],
  [1003, OID.name],
  [1005, OID.int2],
  [1007, OID.int4],
  [1016, OID.int8],
  [1028, OID.oid],
  [1021, OID.float4],
  [1022, OID.float8],
  [1009, OID.text],
  [1014, OID.bpchar],
  [1015, OID.varchar],
  [199, OID.json],
  [3807, OID.jsonb],
  [1182, OID.date],
  [1115, OID.timestamp],
  [1185, OID.timestamptz],
  [1183, OID.time],
  [1270, OID.timetz],
  [1231, OID.numeric],
  [2951, OID.uuid],
])

const TEXT_LIKE = new Set<number>([OID.text, OID.varchar, OID.bpchar, OID.name, OID.json, OID.unknown])

function unsupported(direction: 'from' | 'to', typeName: string): PgValueError {
  return new PgValueError(
    `binary format ${direction === 'from' ? 'parameters' : 'results'} of type ${typeName} are not supported by plproxy-ts; use the text format`,
    '0A000',
  )
}

/** A partition's value in another DateStyle than ISO (its default): not read here. */
function notIso(typeName: string, text: string): PgValueError {
  return new PgValueError(
    `binary format results of type ${typeName} are converted from the partitions' ISO text; cannot convert "${text}": use the text format`,
    '0A000',
  )
}

/** byteain of the escape format: `\\` and `\ooo` escapes, other characters as their bytes. */
function byteaEscapeIn(text: string): Buffer {
  const out: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 0x5c) {
      for (const b of Buffer.from(text[i]!, 'utf8')) out.push(b)
    } else if (text[i + 1] === '\\') {
      out.push(0x5c)
      i++
    } else if (/^[0-3][0-7]{2}$/.test(text.slice(i + 1, i + 4))) {
      out.push(Number.parseInt(text.slice(i + 1, i + 4), 8))
      i += 3
    } else throw new PgValueError('invalid input syntax for type bytea', '22P02')
  }
  return Buffer.from(out)
}

function insufficient(): PgValueError {
  return new PgValueError('insufficient data left in message', '08P01')
}

function expectLength(buf: Buffer, n: number): void {
  if (buf.length !== n) {
    throw new PgValueError(
      `incorrect binary data format in bind parameter (${buf.length} bytes where ${n} were expected)`,
      '22P03',
    )
  }
}

/** ISO date text of a day count from 2000-01-01 (BC years as PostgreSQL prints them). */
function dateText(days: number): string {
  if (days === 2147483647) return 'infinity'
  if (days === -2147483648) return '-infinity'
  const d = new Date((days + PG_EPOCH_DAYS) * 86_400_000)
  const y = d.getUTCFullYear()
  const body = `${pad(y > 0 ? y : 1 - y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`
  return y > 0 ? body : `${body} BC`
}

function timestampText(micros: bigint, withZone: boolean): string {
  if (micros === 9223372036854775807n) return 'infinity'
  if (micros === -9223372036854775808n) return '-infinity'
  const ms = micros / 1000n
  let rest = micros % 1000000n
  if (rest < 0n) rest += 1000000n
  const d = new Date(Number(ms) + PG_EPOCH_MS - (micros < 0n && micros % 1000n !== 0n ? 1 : 0))
  const y = d.getUTCFullYear()
  let text = `${pad(y > 0 ? y : 1 - y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  if (rest !== 0n) text += `.${pad(Number(rest), 6).replace(/0+$/, '')}`
  if (withZone) text += '+00'
  return y > 0 ? text : `${text} BC`
}

function uuidText(buf: Buffer): string {
  const h = buf.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** numeric_send's format: ndigits, weight, sign, dscale, then base-10000 digits. */
function numericText(buf: Buffer): string {
  if (buf.length < 8) throw insufficient()
  const ndigits = buf.readUInt16BE(0)
  const weight = buf.readInt16BE(2)
  const sign = buf.readUInt16BE(4)
  const dscale = buf.readUInt16BE(6)
  if (buf.length !== 8 + ndigits * 2) throw insufficient()
  if (sign === 0xc000) return 'NaN'
  if (sign === 0xd000) return 'Infinity'
  if (sign === 0xf000) return '-Infinity'
  if (sign !== 0 && sign !== 0x4000)
    throw new PgValueError('invalid sign in external "numeric" value', '22P03')
  const digits: number[] = []
  for (let i = 0; i < ndigits; i++) {
    const d = buf.readUInt16BE(8 + i * 2)
    if (d >= 10000) throw new PgValueError('invalid digit in external "numeric" value', '22P03')
    digits.push(d)
  }
  let intPart = ''
  for (let w = weight, i = 0; w >= 0; w--, i++) {
    const d = digits[i] ?? 0
    intPart += i === 0 ? String(d) : pad(d, 4)
  }
  if (intPart === '') intPart = '0'
  let frac = ''
  for (let i = weight + 1; frac.length < dscale; i++) {
    const d = i < 0 ? 0 : (digits[i] ?? 0)
    frac += pad(d, 4)
  }
  frac = frac.slice(0, dscale)
  const text = dscale > 0 ? `${intPart}.${frac}` : intPart
  return sign === 0x4000 && /[1-9]/.test(text) ? `-${text}` : text
}

const TIME_RE = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?$/

/** `HH:MM:SS[.ffffff][±HH[:MM[:SS]]]` → microseconds since midnight and the zone's seconds west of UTC. */
function timeParts(text: string): { micros: bigint; west?: number } | undefined {
  const m = TIME_RE.exec(text)
  if (!m) return undefined
  const micros =
    BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1_000_000n +
    BigInt((m[4] ?? '').padEnd(6, '0'))
  if (!m[5]) return { micros }
  const east = Number(m[6]) * 3600 + Number(m[7] ?? 0) * 60 + Number(m[8] ?? 0)
  return { micros, west: m[5] === '-' ? east : -east }
}

/** time_out of microseconds since midnight. */
function timeText(micros: bigint): string {
  const seconds = Number(micros / 1_000_000n)
  const fraction = micros % 1_000_000n
  let text = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`
  if (fraction !== 0n) text += `.${pad(Number(fraction), 6).replace(/0+$/, '')}`
  return text
}

/** array_recv's format → the array's text, each element printed by its type. */
function arrayText(buf: Buffer, elementOid: number, typeName: string): string {
  if (buf.length < 12) throw insufficient()
  const ndim = buf.readInt32BE(0)
  const elementType = buf.readUInt32BE(8)
  if (ndim < 0 || ndim > 6) throw new PgValueError(`invalid number of dimensions: ${ndim}`, '22P03')
  if (elementType !== elementOid) {
    throw new PgValueError(
      `binary data has array element type ${elementType} instead of expected ${elementOid}`,
      '42804',
    )
  }
  if (buf.length < 12 + ndim * 8) throw insufficient()
  const dims: number[] = []
  const lowerBounds: number[] = []
  for (let d = 0; d < ndim; d++) {
    dims.push(buf.readInt32BE(12 + d * 8))
    lowerBounds.push(buf.readInt32BE(16 + d * 8))
  }
  const count = ndim === 0 ? 0 : dims.reduce((a, b) => a * b, 1)
  const elements: (string | null)[] = []
  let off = 12 + ndim * 8
  for (let i = 0; i < count; i++) {
    if (off + 4 > buf.length) throw insufficient()
    const len = buf.readInt32BE(off)
    off += 4
    if (len === -1) {
      elements.push(null)
      continue
    }
    if (len < 0 || off + len > buf.length) throw insufficient()
    elements.push(binaryToText(elementOid, buf.subarray(off, off + len), typeName))
    off += len
  }
  if (off !== buf.length) throw new PgValueError('incorrect binary data format in bind parameter', '22P03')
  return count === 0 ? '{}' : printArrayLiteral({ elements, dims, lowerBounds })
}

/** An array's text → array_send's format, each element sent by its type. */
function arrayBinary(text: string, elementOid: number, typeName: string): Buffer {
  const array = parseArrayLiteral(text)
  const parts: Buffer[] = []
  let hasNull = 0
  for (const e of array.elements) {
    if (e === null) {
      hasNull = 1
      parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]))
      continue
    }
    const value = textToBinary(elementOid, e, typeName)
    const len = Buffer.allocUnsafe(4)
    len.writeInt32BE(value.length, 0)
    parts.push(len, value)
  }
  const head = Buffer.alloc(12 + array.ndim * 8)
  head.writeInt32BE(array.ndim, 0)
  head.writeInt32BE(hasNull, 4)
  head.writeUInt32BE(elementOid, 8)
  for (let d = 0; d < array.ndim; d++) {
    head.writeInt32BE(array.dims[d]!, 12 + d * 8)
    head.writeInt32BE(array.lowerBounds[d]!, 16 + d * 8)
  }
  return Buffer.concat([head, ...parts])
}

/** A binary-format parameter as the text its type's output function would print. */
export function binaryToText(typeOid: number, buf: Buffer, typeName = String(typeOid)): string {
  if (TEXT_LIKE.has(typeOid)) return buf.toString('utf8')
  switch (typeOid) {
    case OID.bool:
      expectLength(buf, 1)
      return buf[0] ? 't' : 'f'
    case OID.int2:
      expectLength(buf, 2)
      return String(buf.readInt16BE(0))
    case OID.int4:
      expectLength(buf, 4)
      return String(buf.readInt32BE(0))
    case OID.oid:
      expectLength(buf, 4)
      return String(buf.readUInt32BE(0))
    case OID.int8:
      expectLength(buf, 8)
      return String(buf.readBigInt64BE(0))
    case OID.float4:
      expectLength(buf, 4)
      return float4out(buf.readFloatBE(0))
    case OID.float8:
      expectLength(buf, 8)
      return float8out(buf.readDoubleBE(0))
    case OID.char:
      return buf.toString('latin1')
    case OID.bytea:
      return `\\x${buf.toString('hex')}`
    case OID.uuid:
      expectLength(buf, 16)
      return uuidText(buf)
    case OID.jsonb:
      if (buf.length < 1 || buf[0] !== 1) {
        throw new PgValueError(`unsupported jsonb version number ${buf[0] ?? 'none'}`, '22P03')
      }
      return buf.subarray(1).toString('utf8')
    case OID.date:
      expectLength(buf, 4)
      return dateText(buf.readInt32BE(0))
    case OID.timestamp:
      expectLength(buf, 8)
      return timestampText(buf.readBigInt64BE(0), false)
    case OID.timestamptz:
      expectLength(buf, 8)
      return timestampText(buf.readBigInt64BE(0), true)
    case OID.numeric:
      return numericText(buf)
    case OID.time:
      expectLength(buf, 8)
      return timeText(buf.readBigInt64BE(0))
    case OID.timetz:
      expectLength(buf, 12)
      return `${timeText(buf.readBigInt64BE(0))}${offsetText(-buf.readInt32BE(8))}`
    default: {
      const element = ARRAY_ELEMENT.get(typeOid)
      if (element !== undefined) return arrayText(buf, element, typeName)
      throw unsupported('from', typeName)
    }
  }
}

function numericBinary(text: string): Buffer {
  const canonical = numericin(text)
  if (canonical === 'NaN') return Buffer.from([0, 0, 0, 0, 0xc0, 0, 0, 0])
  if (canonical === 'Infinity') return Buffer.from([0, 0, 0, 0, 0xd0, 0, 0, 0])
  if (canonical === '-Infinity') return Buffer.from([0, 0, 0, 0, 0xf0, 0, 0, 0])
  const negative = canonical.startsWith('-')
  const [intText = '0', fracText = ''] = (negative ? canonical.slice(1) : canonical).split('.')
  const dscale = fracText.length
  // group into base-10000 digits aligned on the decimal point
  const intPadded = intText.padStart(Math.ceil(intText.length / 4) * 4, '0')
  const fracPadded = fracText.padEnd(Math.ceil(fracText.length / 4) * 4, '0')
  const digits: number[] = []
  for (let i = 0; i < intPadded.length; i += 4) digits.push(Number(intPadded.slice(i, i + 4)))
  let weight = digits.length - 1
  for (let i = 0; i < fracPadded.length; i += 4) digits.push(Number(fracPadded.slice(i, i + 4)))
  while (digits.length && digits[0] === 0) {
    digits.shift()
    weight--
  }
  while (digits.length && digits[digits.length - 1] === 0) digits.pop()
  if (!digits.length) weight = 0
  const out = Buffer.alloc(8 + digits.length * 2)
  out.writeUInt16BE(digits.length, 0)
  out.writeInt16BE(weight, 2)
  out.writeUInt16BE(negative && digits.length ? 0x4000 : 0, 4)
  out.writeUInt16BE(dscale, 6)
  digits.forEach((d, i) => {
    out.writeUInt16BE(d, 8 + i * 2)
  })
  return out
}

/** A text-format value in a result column converted to its type's binary format. */
export function textToBinary(typeOid: number, text: string, typeName = String(typeOid)): Buffer {
  if (TEXT_LIKE.has(typeOid)) return Buffer.from(text, 'utf8')
  let out: Buffer
  switch (typeOid) {
    case OID.bool:
      return Buffer.from([boolin(text) ? 1 : 0])
    case OID.int2:
      out = Buffer.allocUnsafe(2)
      out.writeInt16BE(int2in(text), 0)
      return out
    case OID.int4:
      out = Buffer.allocUnsafe(4)
      out.writeInt32BE(int4in(text), 0)
      return out
    case OID.oid:
      out = Buffer.allocUnsafe(4)
      out.writeUInt32BE(Number(text) >>> 0, 0)
      return out
    case OID.int8:
      out = Buffer.allocUnsafe(8)
      out.writeBigInt64BE(int8in(text), 0)
      return out
    case OID.float4:
      out = Buffer.allocUnsafe(4)
      out.writeFloatBE(Number(text), 0)
      return out
    case OID.float8:
      out = Buffer.allocUnsafe(8)
      out.writeDoubleBE(Number(text), 0)
      return out
    case OID.char:
      return Buffer.from(text, 'latin1')
    case OID.bytea:
      return text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex') : byteaEscapeIn(text)
    case OID.date: {
      const days = isoDateDays(text)
      if (days === undefined) throw notIso(typeName, text)
      out = Buffer.allocUnsafe(4)
      out.writeInt32BE(days, 0)
      return out
    }
    case OID.timestamp:
    case OID.timestamptz: {
      const micros = isoTimestampMicros(text)
      if (micros === undefined) throw notIso(typeName, text)
      out = Buffer.allocUnsafe(8)
      out.writeBigInt64BE(micros, 0)
      return out
    }
    case OID.uuid:
      return Buffer.from(text.replace(/[-{}]/g, ''), 'hex')
    case OID.jsonb:
      return Buffer.concat([Buffer.from([1]), Buffer.from(text, 'utf8')])
    case OID.numeric:
      return numericBinary(text)
    case OID.time:
    case OID.timetz: {
      const t = timeParts(text)
      if (!t || (typeOid === OID.timetz) !== (t.west !== undefined)) throw notIso(typeName, text)
      out = Buffer.allocUnsafe(typeOid === OID.time ? 8 : 12)
      out.writeBigInt64BE(t.micros, 0)
      if (t.west !== undefined) out.writeInt32BE(t.west, 8)
      return out
    }
    default: {
      const element = ARRAY_ELEMENT.get(typeOid)
      if (element !== undefined) return arrayBinary(text, element, typeName)
      throw unsupported('to', typeName)
    }
  }
}
