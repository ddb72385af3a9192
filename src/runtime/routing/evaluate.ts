/**
 * Native evaluation of lowered expressions (DESIGN decision 4), bit for
 * bit as PostgreSQL computes them: integer arithmetic with PostgreSQL's
 * overflow and division errors, its hash functions, text functions.
 *
 * Values: int2/int4 → number, int8 → bigint, text types → string, NULL →
 * null. Every function and operator here is strict (NULL in, NULL out).
 */
import type { ExpressionNode, NativeOperator, PlanType } from '../../compiler/index.js'
import { baseTypeOf } from '../../compiler/index.js'
import { PlProxyError } from '../errors.js'
import {
  hashint2,
  hashint4,
  hashint4extended,
  hashint8,
  hashint8extended,
  hashtext,
  hashtextextended,
} from '../hash/index.js'
import { int2in, int4in, int8in } from '../values/index.js'

export type NativeValue = number | bigint | string | null

/** Raised for inputs whose native evaluation could differ from PostgreSQL's (locale-dependent case mapping). */
export class NeedsDatabase extends Error {}

type IntType = 'int2' | 'int4' | 'int8'

const LIMITS: Record<IntType, [bigint, bigint, string]> = {
  int2: [-32768n, 32767n, 'smallint out of range'],
  int4: [-2147483648n, 2147483647n, 'integer out of range'],
  int8: [-(2n ** 63n), 2n ** 63n - 1n, 'bigint out of range'],
}

function intType(t: PlanType): IntType | undefined {
  const b = baseTypeOf(t)
  if (b.schema !== 'pg_catalog') return undefined
  return b.typname === 'int2' || b.typname === 'int4' || b.typname === 'int8' ? b.typname : undefined
}

/** PostgreSQL's integer input functions, by type */
function parseInteger(type: IntType, text: string): number | bigint {
  return type === 'int2' ? int2in(text) : type === 'int4' ? int4in(text) : int8in(text)
}

function outOfRange(type: IntType): PlProxyError {
  return new PlProxyError(LIMITS[type][2], { code: '22003' })
}

/** A bigint result as the int type's JS value, with PostgreSQL's overflow error. */
function inRange(value: bigint, type: IntType): number | bigint {
  const [min, max] = LIMITS[type]
  if (value < min || value > max) throw outOfRange(type)
  return type === 'int8' ? value : Number(value)
}

const big = (v: number | bigint): bigint => (typeof v === 'bigint' ? v : BigInt(v))

/** Converts a value read from text (an argument or a constant) to the native value of its type. */
export function nativeFromText(type: PlanType, text: string | null): NativeValue {
  if (text === null) return null
  const t = intType(type)
  if (t) return parseInteger(t, text)
  return text
}

function integerOperator(
  op: NativeOperator,
  a: number | bigint,
  b: number | bigint,
  type: IntType,
): number | bigint {
  // int4 and int2 arithmetic stays exact in doubles; int8 uses bigint
  if (type !== 'int8' && (op === '+' || op === '-' || op === '*')) {
    const x = a as number
    const y = b as number
    const r = op === '+' ? x + y : op === '-' ? x - y : x * y
    return inRange(BigInt(r), type)
  }
  const x = big(a)
  const y = big(b)
  switch (op) {
    case '+':
      return inRange(x + y, type)
    case '-':
      return inRange(x - y, type)
    case '*':
      return inRange(x * y, type)
    case '/':
      if (y === 0n) throw new PlProxyError('division by zero', { code: '22012' })
      // C division truncates toward zero, like BigInt division; MIN / -1 overflows
      return inRange(x / y, type)
    case '%':
      if (y === 0n) throw new PlProxyError('division by zero', { code: '22012' })
      // PostgreSQL special-cases MIN % -1 = 0
      return inRange(y === -1n ? 0n : x % y, type)
    case '&':
      return inRange(x & y, type)
    case '|':
      return inRange(x | y, type)
    case '#':
      return inRange(x ^ y, type)
    default:
      throw new Error(`not an integer operator: ${op}`)
  }
}

function castInteger(value: NativeValue, from: PlanType, to: IntType): number | bigint {
  if (typeof value === 'string') return parseInteger(to, value)
  if (value === null) throw new Error('unreachable')
  const f = intType(from)
  if (!f) throw new Error(`cannot cast ${from.name} to ${to}`)
  return inRange(big(value), to)
}

function castText(value: NativeValue, from: PlanType): string {
  const b = baseTypeOf(from)
  if (typeof value === 'string') {
    // bpchar → text drops trailing blanks (rtrim1)
    return b.schema === 'pg_catalog' && b.typname === 'bpchar' ? value.replace(/ +$/, '') : value
  }
  return String(value)
}

function caseMap(s: string, upper: boolean, unicode: boolean): string {
  // ASCII case mapping is the same in every collation but tr_TR's; other text depends on the locale
  if (!unicode) {
    for (let i = 0; i < s.length; i++)
      if (s.charCodeAt(i) > 0x7f) throw new NeedsDatabase('non-ASCII case mapping')
  }
  return upper ? s.toUpperCase() : s.toLowerCase()
}

export interface EvaluateOptions {
  /** map non-ASCII text with JavaScript's Unicode rules instead of asking for the database's collation */
  readonly unicodeCaseMapping?: boolean
}

function absInt(v: number | bigint, type: IntType): number | bigint {
  const x = big(v)
  return inRange(x < 0n ? -x : x, type)
}

/** Evaluates a native expression node. `args` are the IN arguments' native values (split ones: the element). */
export function evaluate(
  node: ExpressionNode,
  args: readonly NativeValue[],
  options: EvaluateOptions = {},
): NativeValue {
  switch (node.kind) {
    case 'Argument':
      return args[node.index] ?? null
    case 'Constant':
      return nativeFromText(node.type, node.value)
    case 'Cast': {
      const v = evaluate(node.input, args, options)
      if (v === null) return null
      const to = intType(node.type)
      if (to) return castInteger(v, node.input.type, to)
      return castText(v, node.input.type)
    }
    case 'Negate': {
      const v = evaluate(node.input, args, options)
      if (v === null) return null
      const t = intType(node.type) ?? 'int8'
      return inRange(-big(v as number | bigint), t)
    }
    case 'Operator': {
      const l = evaluate(node.left, args, options)
      const r = evaluate(node.right, args, options)
      if (l === null || r === null) return null
      if (node.operator === '||') return `${l}${r}`
      return integerOperator(
        node.operator,
        l as number | bigint,
        r as number | bigint,
        intType(node.type) ?? 'int8',
      )
    }
    case 'Call': {
      const values = node.arguments.map((a) => evaluate(a, args, options))
      if (values.some((v) => v === null)) return null
      const [a, b] = values as (number | bigint | string)[]
      switch (node.function) {
        case 'hashtext':
          return hashtext(a as string)
        case 'hashtextextended':
          return hashtextextended(a as string, big(b as number | bigint))
        case 'hashint2':
          return hashint2(a as number)
        case 'hashint4':
          return hashint4(a as number)
        case 'hashint8':
          return hashint8(big(a as number | bigint))
        case 'hashint4extended':
          return hashint4extended(a as number, big(b as number | bigint))
        case 'hashint8extended':
          return hashint8extended(big(a as number | bigint), big(b as number | bigint))
        case 'abs':
          return absInt(a as number | bigint, intType(node.type) ?? 'int8')
        case 'ascii': {
          const s = a as string
          return s.length === 0 ? 0 : s.codePointAt(0)!
        }
        case 'lower':
          return caseMap(a as string, false, !!options.unicodeCaseMapping)
        case 'upper':
          return caseMap(a as string, true, !!options.unicodeCaseMapping)
        case 'length':
          return [...(a as string)].length
        case 'btrim':
          return (a as string).replace(/^ +| +$/g, '')
        case 'ltrim':
          return (a as string).replace(/^ +/, '')
        case 'rtrim':
          return (a as string).replace(/ +$/, '')
      }
    }
  }
}
