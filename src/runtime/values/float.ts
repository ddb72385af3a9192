/**
 * `float4in`/`float8in` and `float4out`/`float8out` of PostgreSQL 15 on glibc.
 *
 * PostgreSQL hands the text to the C library's `strtof`/`strtod`, so what it accepts is glibc's grammar:
 * decimal numbers, hexadecimal ones (`0x1.8p3`), `inf`/`infinity` and `nan`/`nan(chars)` in any case, each
 * with an optional sign. Conversion is exact (correctly rounded, ties to even, straight to the target
 * precision: no double rounding for real). A nonzero value that rounds to zero or beyond the largest
 * finite value is out of range; subnormal results are accepted. Output is what PostgreSQL's Ryu prints
 * with `extra_float_digits` = 1 (the default): the shortest decimal strictly inside the value's rounding
 * interval, the closest one on a tie of length (so 1e23 prints as `9.999999999999999e+22`, unlike JS),
 * laid out with fixed notation for decimal exponents -4 … 14 (real: -4 … 5), else as `1.5e+20` with at
 * least two exponent digits. Other `extra_float_digits` settings are not modelled.
 */
import { invalidSyntax, PgValueError, SQLSTATE } from './value-error.js'

/** isspace() of the C locale */
export const isCSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)

type Scanned =
  | { readonly kind: 'nan'; readonly end: number }
  | { readonly kind: 'inf'; readonly negative: boolean; readonly end: number }
  /** value = digits × 10^exp10 */
  | {
      readonly kind: 'dec'
      readonly negative: boolean
      readonly digits: string
      readonly exp10: number
      readonly end: number
    }
  /** value = mantissa × 2^exp2 */
  | {
      readonly kind: 'hex'
      readonly negative: boolean
      readonly mantissa: bigint
      readonly exp2: number
      readonly end: number
    }

/** lower-cases ASCII letters only, as pg_strncasecmp compares the words it looks for */
export const asciiLower = (s: string): string =>
  s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32))

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isHexDigit = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
const isAlnumUnderscore = (c: number): boolean =>
  isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95

function matchesCi(s: string, at: number, word: string): boolean {
  return asciiLower(s.slice(at, at + word.length)) === word
}

/** exponents beyond this are clamped: the result is zero or infinite long before */
const EXP_CLAMP = 1e15

/** Reads a decimal exponent's digits from `i` (no sign); returns the clamped value and the end. */
function readExponent(s: string, i: number): [number, number] {
  let v = 0
  while (i < s.length && isDigit(s.charCodeAt(i))) {
    if (v < EXP_CLAMP) v = v * 10 + (s.charCodeAt(i) - 48)
    i++
  }
  return [Math.min(v, EXP_CLAMP), i]
}

/** glibc strtod's grammar from position `start` (whitespace already skipped); null when nothing converts. */
function scanStrtod(s: string, start: number): Scanned | null {
  let i = start
  let negative = false
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-'
    i++
  }
  if (matchesCi(s, i, 'inf')) {
    i += 3
    if (matchesCi(s, i, 'inity')) i += 5
    return { kind: 'inf', negative, end: i }
  }
  if (matchesCi(s, i, 'nan')) {
    i += 3
    if (s[i] === '(') {
      let j = i + 1
      while (j < s.length && isAlnumUnderscore(s.charCodeAt(j))) j++
      if (s[j] === ')') i = j + 1
    }
    return { kind: 'nan', end: i }
  }
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    const hex = scanHex(s, i + 2, negative)
    if (hex) return hex
    // "0x" without hex digits: strtod reads the "0" and stops at the "x"
  }
  let intDigits = ''
  let fracDigits = ''
  while (i < s.length && isDigit(s.charCodeAt(i))) intDigits += s[i++]
  if (s[i] === '.') {
    let j = i + 1
    while (j < s.length && isDigit(s.charCodeAt(j))) fracDigits += s[j++]
    if (intDigits === '' && fracDigits === '') return null
    i = j
  } else if (intDigits === '') {
    return null
  }
  const [exp, afterExp] = scanExponent(s, i, 'e')
  i = afterExp
  return { kind: 'dec', negative, digits: intDigits + fracDigits, exp10: exp - fracDigits.length, end: i }
}

/** An optional exponent (`e`/`p`, then a sign and digits) at i: its value and where it ends (0 and i when absent). */
function scanExponent(s: string, i: number, letter: 'e' | 'p'): [number, number] {
  if (s[i]?.toLowerCase() !== letter) return [0, i]
  let j = i + 1
  let negative = false
  if (s[j] === '+' || s[j] === '-') {
    negative = s[j] === '-'
    j++
  }
  if (!isDigit(s.charCodeAt(j))) return [0, i]
  const [v, end] = readExponent(s, j)
  return [negative ? -v : v, end]
}

function scanHex(s: string, i: number, negative: boolean): Scanned | null {
  let digits = ''
  let fracCount = 0
  while (i < s.length && isHexDigit(s.charCodeAt(i))) digits += s[i++]
  if (s[i] === '.') {
    let j = i + 1
    let frac = ''
    while (j < s.length && isHexDigit(s.charCodeAt(j))) frac += s[j++]
    if (digits === '' && frac === '') return null
    digits += frac
    fracCount = frac.length
    i = j
  } else if (digits === '') {
    return null
  }
  const [exp, afterExp] = scanExponent(s, i, 'p')
  i = afterExp
  return { kind: 'hex', negative, mantissa: BigInt(`0x${digits}`), exp2: exp - 4 * fracCount, end: i }
}

interface BinaryFormat {
  /** significand bits, hidden bit included */
  readonly precision: number
  /** exponent of the least significant bit of the smallest subnormal */
  readonly minLsb: number
  /** values at or above 2^limitExp overflow */
  readonly limitExp: number
}

const DOUBLE: BinaryFormat = { precision: 53, minLsb: -1074, limitExp: 1024 }
const SINGLE: BinaryFormat = { precision: 24, minLsb: -149, limitExp: 128 }

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length
}

/** n × 2^e (+ a nonzero amount below 2^e when `sticky`), rounded to the format, ties to even. */
function roundBinary(n: bigint, e: number, sticky: boolean, fmt: BinaryFormat): number {
  const lsb = Math.max(e + bitLength(n) - fmt.precision, fmt.minLsb)
  let q: bigint
  if (lsb > e) {
    const shift = BigInt(lsb - e)
    q = n >> shift
    const rest = n - (q << shift)
    const half = 1n << (shift - 1n)
    if (rest > half || (rest === half && (sticky || (q & 1n) === 1n))) q += 1n
  } else {
    q = n << BigInt(e - lsb)
  }
  const v = Number(q) * 2 ** lsb
  return v >= 2 ** fmt.limitExp ? Number.POSITIVE_INFINITY : v
}

/** The magnitude of a scanned finite number in the format (0 or Infinity when out of range). */
function magnitude(scan: Extract<Scanned, { kind: 'dec' | 'hex' }>, fmt: BinaryFormat): number {
  if (scan.kind === 'hex') {
    const n = scan.mantissa
    if (n === 0n) return 0
    const top = scan.exp2 + bitLength(n) - 1
    if (top > fmt.limitExp + 2) return Number.POSITIVE_INFINITY
    if (top < fmt.minLsb - 2) return 0
    return roundBinary(n, scan.exp2, false, fmt)
  }
  let digits = scan.digits.replace(/^0+/, '')
  if (digits === '') return 0
  let exp10 = scan.exp10
  const trimmed = digits.replace(/0+$/, '')
  exp10 += digits.length - trimmed.length
  digits = trimmed
  const adjusted = exp10 + digits.length - 1
  if (adjusted > 400) return Number.POSITIVE_INFINITY
  if (adjusted < -400) return 0
  const n = BigInt(digits)
  if (exp10 >= 0) return roundBinary(n * 10n ** BigInt(exp10), 0, false, fmt)
  const d = 10n ** BigInt(-exp10)
  const k = Math.max(fmt.precision + 3 + bitLength(d) - bitLength(n), 2 - fmt.minLsb)
  const scaled = n << BigInt(k)
  const q = scaled / d
  return roundBinary(q, -k, scaled - q * d !== 0n, fmt)
}

function floatIn(text: string, fmt: BinaryFormat, sqlName: string): number {
  let i = 0
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++
  if (i === text.length) throw invalidSyntax(sqlName, text)
  const scan = scanStrtod(text, i)
  if (!scan) throw invalidSyntax(sqlName, text)
  let value: number
  if (scan.kind === 'nan') {
    value = Number.NaN
  } else if (scan.kind === 'inf') {
    value = scan.negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  } else {
    const m = magnitude(scan, fmt)
    const nonzero = scan.kind === 'hex' ? scan.mantissa !== 0n : /[1-9]/.test(scan.digits)
    if (m === Number.POSITIVE_INFINITY || (m === 0 && nonzero)) {
      // real reports the whole input, double precision only the number strtod read
      const shown = fmt === SINGLE ? text : text.slice(i, scan.end)
      throw new PgValueError(
        `"${shown}" is out of range for type ${sqlName}`,
        SQLSTATE.numericValueOutOfRange,
      )
    }
    value = scan.negative ? -m : m
  }
  let end = scan.end
  while (end < text.length && isCSpace(text.charCodeAt(end))) end++
  if (end !== text.length) throw invalidSyntax(sqlName, text)
  return value
}

/** PostgreSQL `float8in` */
export function float8in(text: string): number {
  return floatIn(text, DOUBLE, 'double precision')
}

/** PostgreSQL `float4in`: the float4 value, as the (exactly equal) JS number */
export function float4in(text: string): number {
  return floatIn(text, SINGLE, 'real')
}

/** digits (no leading/trailing zeros) × 10^(exp − digits.length + 1) in PostgreSQL's layout */
function layout(negative: boolean, digits: string, exp: number, fixedBelow: number): string {
  let out: string
  if (exp >= -4 && exp < fixedBelow) {
    if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`
    else if (digits.length <= exp + 1) out = digits + '0'.repeat(exp + 1 - digits.length)
    else out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
  } else {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
    out = `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  }
  return negative ? `-${out}` : out
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Number.POSITIVE_INFINITY) return 'Infinity'
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity'
  if (v === 0) return Object.is(v, -0) ? '-0' : '0'
  return undefined
}

/** a positive finite value as m × 2^e2, and whether the gap below it is half the gap above */
interface Decomposed {
  readonly m: bigint
  readonly e2: number
  readonly narrowBelow: boolean
}

function decompose64(v: number): Decomposed {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, v)
  const hi = view.getUint32(0)
  const expField = (hi >>> 20) & 0x7ff
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4))
  return {
    m: expField === 0 ? frac : frac | (1n << 52n),
    e2: expField === 0 ? -1074 : expField - 1075,
    narrowBelow: frac === 0n && expField > 1,
  }
}

function decompose32(v: number): Decomposed {
  const view = new DataView(new ArrayBuffer(4))
  view.setFloat32(0, v)
  const bits = view.getUint32(0)
  const expField = bits >>> 23
  const frac = bits & 0x7fffff
  return {
    m: BigInt(expField === 0 ? frac : frac | 0x800000),
    e2: expField === 0 ? -149 : expField - 150,
    narrowBelow: frac === 0 && expField > 1,
  }
}

/**
 * Exact comparisons of decimals n × 10^k with the value and the ends of its rounding interval,
 * everything scaled to integers in units of 2^(e2 − 2): the value is 4m, the interval is
 * (4m − 1 or 2, 4m + 2).
 */
class Interval {
  private readonly center: bigint
  private readonly low: bigint
  private readonly high: bigint

  constructor(private readonly d: Decomposed) {
    this.center = 4n * d.m
    this.low = this.center - (d.narrowBelow ? 1n : 2n)
    this.high = this.center + 2n
  }

  /** [n × 10^k, x] on one integer scale */
  private scaled(n: bigint, k: number, x: bigint): [bigint, bigint] {
    const e = this.d.e2 - 2
    return [
      n * 10n ** BigInt(Math.max(k, 0)) * 2n ** BigInt(Math.max(-e, 0)),
      x * 10n ** BigInt(Math.max(-k, 0)) * 2n ** BigInt(Math.max(e, 0)),
    ]
  }

  /** strictly inside: PostgreSQL's Ryu never prints a value on the interval's ends */
  inside(n: bigint, k: number): boolean {
    const [a, lo] = this.scaled(n, k, this.low)
    const [b, hi] = this.scaled(n, k, this.high)
    return a > lo && b < hi
  }

  distance(n: bigint, k: number): bigint {
    const [a, c] = this.scaled(n, k, this.center)
    return a > c ? a - c : c - a
  }
}

/**
 * The shortest decimal strictly inside the value's rounding interval, the closest to the value
 * (ties to an even last digit): what Ryu prints with PostgreSQL's settings (bounds not accepted).
 * Returns the digits without trailing zeros and the decimal exponent of the first one.
 */
function shortestDecimal(v: number, d: Decomposed, maxDigits: number): [string, number] {
  const interval = new Interval(d)
  for (let p = 1; p <= maxDigits; p++) {
    const [mantissa = '', expText = '0'] = v.toExponential(p - 1).split('e')
    const n = BigInt(mantissa.replace('.', ''))
    const k = Number(expText) - (p - 1)
    let best: bigint | undefined
    let bestDistance = 0n
    for (const c of [n - 1n, n, n + 1n]) {
      if (c <= 0n || !interval.inside(c, k)) continue
      const dist = interval.distance(c, k)
      if (best === undefined || dist < bestDistance || (dist === bestDistance && c % 2n === 0n)) {
        best = c
        bestDistance = dist
      }
    }
    if (best !== undefined) {
      const digits = best.toString()
      return [digits.replace(/0+$/, ''), k + digits.length - 1]
    }
  }
  throw new Error(`no shortest decimal found for ${v}`) // unreachable: 17 (9) digits always suffice
}

/** PostgreSQL `float8out` (shortest round-trip text) */
export function float8out(v: number): string {
  const s = special(v)
  if (s !== undefined) return s
  const abs = Math.abs(v)
  // toExponential() without digits is the shortest round-trip form, like Ryu, except that it may
  // pick a decimal on the rounding interval's end (1e23), which PostgreSQL's Ryu never does
  const [mantissa = '', exponent = '0'] = abs.toExponential().split('e')
  let digits = mantissa.replace('.', '')
  let exp = Number(exponent)
  if (digits.endsWith('5') || abs >= 2 ** 53) {
    const d = decompose64(abs)
    if (!new Interval(d).inside(BigInt(digits), exp - digits.length + 1)) {
      ;[digits, exp] = shortestDecimal(abs, d, 17)
    }
  }
  return layout(v < 0, digits, exp, 15)
}

/** PostgreSQL `float4out` of a float4 value (a JS number that `Math.fround` leaves unchanged) */
export function float4out(v: number): string {
  const s = special(v)
  if (s !== undefined) return s
  const abs = Math.abs(Math.fround(v))
  const [digits, exp] = shortestDecimal(abs, decompose32(abs), 9)
  return layout(v < 0, digits, exp, 6)
}
