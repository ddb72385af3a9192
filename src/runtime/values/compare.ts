/**
 * Ordering of values given as PostgreSQL text, as ORDER BY orders them:
 * numbers by value (NaN above every number), booleans false < true, and
 * everything else by its UTF-8 bytes (the C collation; ISO dates and
 * timestamps sort right that way).
 */
import type { PlanType } from '../../compiler/index.js'
import { baseTypeOf } from '../../compiler/index.js'

type Comparator = (a: string, b: string) => number

const byBytes: Comparator = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))

const integers: Comparator = (a, b) => {
  const x = BigInt(a.trim())
  const y = BigInt(b.trim())
  return x < y ? -1 : x > y ? 1 : 0
}

function floatValue(s: string): number {
  const t = s.trim().toLowerCase()
  if (t === 'nan') return Number.NaN
  if (t === 'infinity' || t === '+infinity' || t === 'inf') return Number.POSITIVE_INFINITY
  if (t === '-infinity' || t === '-inf') return Number.NEGATIVE_INFINITY
  return Number(t)
}

const floats: Comparator = (a, b) => {
  const x = floatValue(a)
  const y = floatValue(b)
  // PostgreSQL: NaN equals NaN and is greater than every other value
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1
  if (Number.isNaN(y)) return -1
  return x < y ? -1 : x > y ? 1 : 0
}

/** Decimal strings compared exactly (numeric), with NaN and ±Infinity. */
const decimals: Comparator = (a, b) => {
  const rank = (s: string): number | undefined => {
    const t = s.trim().toLowerCase()
    if (t === 'nan') return 2
    if (t === 'infinity') return 1
    if (t === '-infinity') return -1
    return undefined
  }
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== undefined || rb !== undefined) return Math.sign((ra ?? 0) - (rb ?? 0))
  const parse = (s: string) => {
    let t = s.trim()
    const negative = t.startsWith('-')
    if (negative || t.startsWith('+')) t = t.slice(1)
    let [whole = '', frac = ''] = t.split('.')
    whole = whole.replace(/^0+/, '')
    frac = frac.replace(/0+$/, '')
    const zero = whole === '' && frac === ''
    return { negative: negative && !zero, whole, frac }
  }
  const x = parse(a)
  const y = parse(b)
  if (x.negative !== y.negative) return x.negative ? -1 : 1
  const sign = x.negative ? -1 : 1
  if (x.whole.length !== y.whole.length) return sign * (x.whole.length < y.whole.length ? -1 : 1)
  if (x.whole !== y.whole) return sign * (x.whole < y.whole ? -1 : 1)
  const n = Math.max(x.frac.length, y.frac.length)
  const fx = x.frac.padEnd(n, '0')
  const fy = y.frac.padEnd(n, '0')
  return fx === fy ? 0 : sign * (fx < fy ? -1 : 1)
}

const booleans: Comparator = (a, b) => {
  const v = (s: string) => (/^\s*(t|true|y|yes|on|1)\s*$/i.test(s) ? 1 : 0)
  return v(a) - v(b)
}

/** How values of this type compare. */
export function comparatorOf(type: PlanType): Comparator {
  const t = baseTypeOf(type)
  if (t.schema !== 'pg_catalog') return byBytes
  switch (t.typname) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return integers
    case 'float4':
    case 'float8':
      return floats
    case 'numeric':
      return decimals
    case 'bool':
      return booleans
    default:
      return byBytes
  }
}
