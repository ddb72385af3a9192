/**
 * PostgreSQL 15's input functions for the types the runtime understands natively (the ones routing
 * hashes or compares, and the numeric types), with PostgreSQL's exact messages and SQLSTATEs, and
 * `canonicalText`: what the type's output function prints for a value read by its input function.
 *
 * PL/Proxy reads every argument with the local type's input function and sends the output function's
 * text, so a value that would fail locally must fail here with the same error, and the text sent must
 * be the canonical one (` +007 ` goes out as `7`, `yes` as `t`). Whitespace is C-locale `isspace`
 * (space, \t, \n, \v, \f, \r), as on a server whose LC_CTYPE is C or any UTF-8 locale.
 */
import { baseTypeOf, type PlanType } from '../../compiler/catalog/types.js'
import { parseArrayLiteral, printArrayLiteral } from './array-literal.js'
import { asciiLower, float4in, float4out, float8in, float8out, isCSpace } from './float.js'
import { invalidSyntax, PgValueError, SQLSTATE, valueOutOfRange } from './value-error.js'

/** The pg_catalog types read natively, by typname */
export type NativeTypeName =
  | 'int2'
  | 'int4'
  | 'int8'
  | 'oid'
  | 'bool'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'name'

const NATIVE: ReadonlySet<string> = new Set<NativeTypeName>([
  'int2',
  'int4',
  'int8',
  'oid',
  'bool',
  'float4',
  'float8',
  'numeric',
  'text',
  'varchar',
  'bpchar',
  'name',
])

/** The native type a (possibly domain) type reads as, or undefined. */
export function nativeTypeOf(type: PlanType): NativeTypeName | undefined {
  const base = baseTypeOf(type)
  return base.schema === 'pg_catalog' && NATIVE.has(base.typname)
    ? (base.typname as NativeTypeName)
    : undefined
}

/**
 * The element type when the (possibly domain) type is an array whose text form is an array literal.
 * int2vector and oidvector have element types too but print space-separated: not arrays here.
 */
export function arrayElementOf(type: PlanType): PlanType | undefined {
  const base = baseTypeOf(type)
  if (!base.element) return undefined
  if (base.schema === 'pg_catalog' && (base.typname === 'int2vector' || base.typname === 'oidvector')) {
    return undefined
  }
  return base.element
}

/** The delimiter between elements of an array type's literal (`;` for box[], else `,`). */
export function arrayDelimiterOf(arrayType: PlanType): string {
  const element = arrayElementOf(arrayType)
  return (element && baseTypeOf(element).delimiter) || ','
}

// ---------------------------------------------------------------------------------------------------
// integers: pg_strtoint16/32/64 and oidin

interface IntRange {
  readonly sqlName: string
  /** 2^(bits − 1) */
  readonly limit: bigint
}

const INT2: IntRange = { sqlName: 'smallint', limit: 1n << 15n }
const INT4: IntRange = { sqlName: 'integer', limit: 1n << 31n }
const INT8: IntRange = { sqlName: 'bigint', limit: 1n << 63n }

const isDigitCode = (c: number): boolean => c >= 48 && c <= 57

/**
 * pg_strtoint16/32/64 of PostgreSQL 15: optional whitespace, sign, at least one decimal digit, optional
 * whitespace. Overflow is reported as soon as the digits overflow, before any trailing junk; the most
 * negative magnitude without a minus sign is out of range only once the rest proved well-formed.
 */
function strtoint(text: string, range: IntRange): bigint {
  let i = 0
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++
  let negative = false
  if (text[i] === '-') {
    negative = true
    i++
  } else if (text[i] === '+') {
    i++
  }
  if (!isDigitCode(text.charCodeAt(i))) throw invalidSyntax(range.sqlName, text)
  const start = i
  while (i < text.length && isDigitCode(text.charCodeAt(i))) i++
  const digits = text.slice(start, i).replace(/^0+(?=.)/, '')
  const magnitude = digits.length > 25 ? range.limit + 1n : BigInt(digits)
  if (magnitude > range.limit) throw valueOutOfRange(range.sqlName, text)
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++
  if (i !== text.length) throw invalidSyntax(range.sqlName, text)
  if (!negative && magnitude === range.limit) throw valueOutOfRange(range.sqlName, text)
  return negative ? -magnitude : magnitude
}

/**
 * The common case without BigInt: an optional minus and at most 9 digits
 * (always within int4). Undefined for anything else.
 */
function shortDecimal(text: string): number | undefined {
  const n = text.length
  let i = text.charCodeAt(0) === 45 ? 1 : 0
  if (n === i || n - i > 9) return undefined
  let v = 0
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return undefined
    v = v * 10 + d
  }
  return text.charCodeAt(0) === 45 ? -v : v
}

/** PostgreSQL `int2in` */
export function int2in(text: string): number {
  const v = shortDecimal(text)
  if (v !== undefined && v >= -32768 && v <= 32767) return v
  return Number(strtoint(text, INT2))
}

/** PostgreSQL `int4in` */
export function int4in(text: string): number {
  return shortDecimal(text) ?? Number(strtoint(text, INT4))
}

/** PostgreSQL `int8in`, as a bigint (an int8 does not fit a JS number) */
export function int8in(text: string): bigint {
  return strtoint(text, INT8)
}

const ULONG_MAX = (1n << 64n) - 1n

/**
 * PostgreSQL `oidin`: C `strtoul` (leading whitespace, sign, digits; a minus sign negates modulo 2^64),
 * trailing whitespace allowed, and the result must be an unsigned or a sign-extended 32-bit value
 * (so `-1` is 4294967295).
 */
export function oidin(text: string): number {
  if (text === '') throw invalidSyntax('oid', text)
  let i = 0
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++
  let negative = false
  if (text[i] === '-' || text[i] === '+') {
    negative = text[i] === '-'
    i++
  }
  const start = i
  while (i < text.length && isDigitCode(text.charCodeAt(i))) i++
  if (i === start) throw invalidSyntax('oid', text)
  const digits = text.slice(start, i).replace(/^0+(?=.)/, '')
  const magnitude = digits.length > 25 ? ULONG_MAX + 1n : BigInt(digits)
  if (magnitude > ULONG_MAX) throw valueOutOfRange('oid', text)
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++
  if (i !== text.length) throw invalidSyntax('oid', text)
  const converted = negative ? (ULONG_MAX + 1n - magnitude) & ULONG_MAX : magnitude
  if (converted < 1n << 32n) return Number(converted)
  if (converted >= ULONG_MAX + 1n - (1n << 31n)) return Number(converted & 0xffffffffn)
  throw valueOutOfRange('oid', text)
}

// ---------------------------------------------------------------------------------------------------
// boolean

/**
 * PostgreSQL `boolin`: surrounding whitespace ignored, then a case-insensitive non-empty prefix of
 * `true`, `false`, `yes`, `no`, at least two letters of `on`/`off`, or exactly `1`/`0`.
 */
export function boolin(text: string): boolean {
  let start = 0
  let end = text.length
  while (start < end && isCSpace(text.charCodeAt(start))) start++
  while (end > start && isCSpace(text.charCodeAt(end - 1))) end--
  const word = asciiLower(text.slice(start, end))
  const prefixOf = (full: string, min = 1): boolean => word.length >= min && full.startsWith(word)
  switch (word[0]) {
    case 't':
      if (prefixOf('true')) return true
      break
    case 'f':
      if (prefixOf('false')) return false
      break
    case 'y':
      if (prefixOf('yes')) return true
      break
    case 'n':
      if (prefixOf('no')) return false
      break
    case 'o':
      if (prefixOf('on', 2)) return true
      if (prefixOf('off', 2)) return false
      break
    case '1':
      if (word.length === 1) return true
      break
    case '0':
      if (word.length === 1) return false
      break
  }
  throw invalidSyntax('boolean', text)
}

/** PostgreSQL `boolout` */
export function boolout(value: boolean): string {
  return value ? 't' : 'f'
}

// ---------------------------------------------------------------------------------------------------
// numeric

const NUMERIC_SPECIALS: readonly (readonly [string, string])[] = [
  ['nan', 'NaN'],
  ['infinity', 'Infinity'],
  ['+infinity', 'Infinity'],
  ['-infinity', '-Infinity'],
  ['inf', 'Infinity'],
  ['+inf', 'Infinity'],
  ['-inf', '-Infinity'],
]

/** exponents at or beyond ±INT_MAX/2 are rejected before anything else is looked at */
const NUMERIC_EXPONENT_LIMIT = 1073741823
const NUMERIC_DSCALE_MAX = 16383
const DEC_DIGITS = 4

function numericOverflow(): PgValueError {
  return new PgValueError('value overflows numeric format', SQLSTATE.numericValueOutOfRange)
}

/**
 * PostgreSQL `numeric_in` with typmod −1, returning `numeric_out`'s text of the value: `NaN`,
 * `[-]Infinity` (also `inf`), or sign, digits, optional point and digits, optional exponent (which,
 * as C `strtol` reads it, may itself be preceded by whitespace). The display scale is the number of
 * fraction digits minus the exponent, at least 0.
 */
export function numericin(text: string): string {
  let i = 0
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++
  const rest = asciiLower(text.slice(i, i + 9))
  for (const [spelling, canonical] of NUMERIC_SPECIALS) {
    if (rest.startsWith(spelling)) {
      let end = i + spelling.length
      while (end < text.length && isCSpace(text.charCodeAt(end))) end++
      if (end !== text.length) throw invalidSyntax('numeric', text)
      return canonical
    }
  }
  let negative = false
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-'
    i++
  }
  let intDigits = ''
  let fracDigits = ''
  let havePoint = false
  if (text[i] === '.') {
    havePoint = true
    i++
  }
  if (!isDigitCode(text.charCodeAt(i))) throw invalidSyntax('numeric', text)
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (isDigitCode(c)) {
      if (havePoint) fracDigits += text[i]
      else intDigits += text[i]
    } else if (c === 46) {
      if (havePoint) throw invalidSyntax('numeric', text)
      havePoint = true
    } else {
      break
    }
  }
  let exponent = 0
  if (text[i] === 'e' || text[i] === 'E') {
    let j = i + 1
    while (j < text.length && isCSpace(text.charCodeAt(j))) j++
    let expNegative = false
    if (text[j] === '+' || text[j] === '-') {
      expNegative = text[j] === '-'
      j++
    }
    const start = j
    let magnitude = 0
    while (j < text.length && isDigitCode(text.charCodeAt(j))) {
      if (magnitude < NUMERIC_EXPONENT_LIMIT) magnitude = magnitude * 10 + (text.charCodeAt(j) - 48)
      j++
    }
    if (j === start) throw invalidSyntax('numeric', text)
    if (magnitude >= NUMERIC_EXPONENT_LIMIT) throw numericOverflow()
    exponent = expNegative ? -magnitude : magnitude
    i = j
  }
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++
  if (i !== text.length) throw invalidSyntax('numeric', text)

  const digits = intDigits + fracDigits
  const dscale = Math.max(0, fracDigits.length - exponent)
  if (dscale > NUMERIC_DSCALE_MAX) throw numericOverflow()
  const firstNonZero = digits.search(/[1-9]/)
  if (firstNonZero < 0) return dscale > 0 ? `0.${'0'.repeat(dscale)}` : '0'
  // decimal weight of the first significant digit, then numeric's base-10000 weight (an int16)
  const weight = Math.floor((intDigits.length - 1 + exponent - firstNonZero) / DEC_DIGITS)
  if (weight > 32767 || weight < -32768) throw numericOverflow()
  const point = intDigits.length + exponent
  const significant = digits.slice(firstNonZero)
  const pointInSignificant = point - firstNonZero
  let intPart: string
  let fraction: string
  if (pointInSignificant <= 0) {
    intPart = '0'
    fraction = '0'.repeat(-pointInSignificant) + significant
  } else if (pointInSignificant >= significant.length) {
    intPart = significant + '0'.repeat(pointInSignificant - significant.length)
    fraction = ''
  } else {
    intPart = significant.slice(0, pointInSignificant)
    fraction = significant.slice(pointInSignificant)
  }
  fraction = fraction.padEnd(dscale, '0').slice(0, dscale)
  return `${negative ? '-' : ''}${intPart}${dscale > 0 ? `.${fraction}` : ''}`
}

// ---------------------------------------------------------------------------------------------------
// text types

/** what PostgreSQL says of a text parameter holding U+0000 (it cannot store one) */
export function nulCharacterError(): PgValueError {
  return new PgValueError(
    'invalid byte sequence for encoding "UTF8": 0x00',
    SQLSTATE.characterNotInRepertoire,
  )
}

/** PostgreSQL `textin` (also varchar and bpchar without typmod): any text without U+0000 */
export function textin(text: string): string {
  if (text.includes('\u0000')) throw nulCharacterError()
  return text
}

const NAMEDATALEN = 64

/** PostgreSQL `namein`: truncated to at most 63 UTF-8 bytes, never inside a character */
export function namein(text: string): string {
  textin(text)
  if (text.length < (NAMEDATALEN - 1) / 3) return text
  let bytes = 0
  let end = 0
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (bytes + size > NAMEDATALEN - 1) return text.slice(0, end)
    bytes += size
    end += ch.length
  }
  return text
}

// ---------------------------------------------------------------------------------------------------
// dispatch

/** A natively read value: number (int2, int4, oid, float4, float8), bigint (int8), boolean, string (text types; numeric as its canonical text) */
export type NativeValue = number | bigint | boolean | string

/** The value the native type's input function reads from `text`. */
export function readNative(type: NativeTypeName, text: string): NativeValue {
  switch (type) {
    case 'int2':
      return int2in(text)
    case 'int4':
      return int4in(text)
    case 'int8':
      return int8in(text)
    case 'oid':
      return oidin(text)
    case 'bool':
      return boolin(text)
    case 'float4':
      return float4in(text)
    case 'float8':
      return float8in(text)
    case 'numeric':
      return numericin(text)
    case 'name':
      return namein(text)
    case 'text':
    case 'varchar':
    case 'bpchar':
      return textin(text)
  }
}

/** The output function's text of a natively read value. */
export function writeNative(type: NativeTypeName, value: NativeValue): string {
  switch (type) {
    case 'bool':
      return boolout(value === true)
    case 'float4':
      return float4out(Number(value))
    case 'float8':
      return float8out(Number(value))
    default:
      return String(value)
  }
}

/**
 * The text PostgreSQL's output function prints for the value its input function reads from `text`,
 * for the native types, domains over them and arrays of them (array structure and every element are
 * checked, elements canonicalised); every other type's text is returned unchanged.
 */
export function canonicalText(type: PlanType, text: string): string {
  const native = nativeTypeOf(type)
  if (native) return writeNative(native, readNative(native, text))
  const element = arrayElementOf(type)
  if (element && nativeTypeOf(element)) {
    const delimiter = arrayDelimiterOf(type)
    const literal = parseArrayLiteral(text, delimiter)
    return printArrayLiteral(
      { ...literal, elements: literal.elements.map((e) => (e === null ? null : canonicalText(element, e))) },
      delimiter,
    )
  }
  return text
}
