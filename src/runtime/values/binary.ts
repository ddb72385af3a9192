/**
 * PostgreSQL's binary send/receive formats for the common built-in types,
 * to and from their text form: a wire client may send parameters in binary
 * (Bind with format 1) and ask for binary results, while PL/Proxy's I/O to
 * the partitions is text. Types without a conversion here are refused with
 * a clear error rather than guessed.
 */
import { isoDateDays, isoTimestampMicros, PG_EPOCH_DAYS, PG_EPOCH_MS } from './calendar.js'
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
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const

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

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
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
    default:
      throw unsupported('from', typeName)
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
    default:
      throw unsupported('to', typeName)
  }
}
