/**
 * Native evaluation of lowered RUN ON expressions (DESIGN decision 4): the same values
 * and the same errors as PostgreSQL 15 computes them (expected values taken from
 * `select …` on PostgreSQL 15, UTF-8, C collation).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { ExpressionNode, NativeExpression, PlanType } from '../../../src/compiler/index.js'
import { TypeRegistry } from '../../../src/compiler/index.js'
import { loadPostgresParser } from '../../../src/parser/index.js'
import { PlProxyError } from '../../../src/runtime/errors.js'
import { evaluate, NeedsDatabase, nativeFromText } from '../../../src/runtime/routing/evaluate.js'
import { planOf } from '../../helpers/compile.js'

beforeAll(() => loadPostgresParser())

const SIGNATURE = '(x int4, t text, b int8, s int2, c char(4), v varchar) returns setof int'

/** The native node of `run on <expr>` in a function with SIGNATURE. */
function lowered(expr: string): NativeExpression {
  const plan = planOf(SIGNATURE, `cluster 'c'; run on ${expr};`)
  if (plan.run.kind !== 'RunOnHash') throw new Error(plan.run.kind)
  const e = plan.run.expression
  if (e.kind !== 'NativeExpression') throw new Error(`${expr} was not lowered: ${e.reason}`)
  return e
}

const ARG_TYPES = ['int4', 'text', 'int8', 'int2', 'bpchar', 'varchar']

/** Evaluates `expr` with the arguments given as PostgreSQL text (missing ones NULL). */
function run(expr: string, args: Partial<Record<'x' | 't' | 'b' | 's' | 'c' | 'v', string | null>> = {}) {
  const plan = planOf(SIGNATURE, `cluster 'c'; run on ${expr};`)
  if (plan.run.kind !== 'RunOnHash' || plan.run.expression.kind !== 'NativeExpression')
    throw new Error(`${expr} was not lowered`)
  const texts = ['x', 't', 'b', 's', 'c', 'v'].map((k) => args[k as keyof typeof args] ?? null)
  const types = plan.function.arguments.map((a) => a.type)
  return evaluate(
    plan.run.expression.node,
    texts.map((t, i) => nativeFromText(types[i]!, t)),
  )
}

/** The error `f` throws: PostgreSQL's message and SQLSTATE (a PlProxyError or a value error). */
function failure(f: () => unknown): Error & { code: string } {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(Error)
    expect((e as { code?: unknown }).code).toMatch(/^[0-9A-Z]{5}$/)
    return e as Error & { code: string }
  }
  throw new Error('expected an error')
}

describe('evaluate: hash functions', () => {
  it.each([
    ['hashtext(t)', { t: '' }, -1477818771],
    ['hashtext(t)', { t: 'abc' }, -785388649],
    ['hashtext(t)', { t: 'Ünïcödé' }, 1924335333],
    ['hashtext(v)', { v: 'abc' }, -785388649],
    // char(n) → text drops the trailing blanks first
    ['hashtext(c)', { c: 'ab  ' }, 1718550461],
    ['hashint2(s)', { s: '-1' }, 385747274],
    ['hashint2(s)', { s: '32767' }, 1289782602],
    ['hashint4(x)', { x: '-2147483648' }, -1524351049],
    ['hashint4(s)', { s: '-5' }, 1412886042],
    ['hashint8(b)', { b: '-1' }, 385747274],
    ['hashint8(b)', { b: '9223372036854775807' }, -1524351049],
    ['hashint8(b)', { b: '3000000000' }, 778767573],
    ['hashint4(x * 3 - 1)', { x: '7' }, -2014641093],
    ['hashtext(lower(t))', { t: 'MiXeD' }, -1884574554],
  ] as const)('%s with %j = %s', (expr, args, expected) => {
    expect(run(expr, args)).toBe(expected)
  })

  it.each([
    ['hashint4extended(x, 7)', { x: '42' }, 3069212791777980624n],
    ['hashint8extended(b, 123456789012345)', { b: '-5' }, 6135286469605840807n],
    ['hashtextextended(t, 0)', { t: 'abc' }, -6747756470228489321n],
    ['hashtextextended(t, -1)', { t: 'abc' }, 1911237551546830967n],
  ] as const)('%s with %j = %s (int8, as bigint)', (expr, args, expected) => {
    expect(run(expr, args)).toBe(expected)
  })

  it('every function and operator is strict: NULL in, NULL out', () => {
    expect(run('hashtext(t)')).toBeNull()
    expect(run('hashint4(x + 1)')).toBeNull()
    expect(run('hashint8extended(b, 1)')).toBeNull()
    expect(run('length(t || v)', { t: 'a' })).toBeNull()
  })
})

/** hashtext('ABC') on PostgreSQL 15 */
const HASHTEXT_ABC_UPPER = 1723507180

describe('evaluate: text functions', () => {
  it.each([
    ['abs(x)', { x: '-5' }, 5],
    ['ascii(t)', { t: 'é' }, 233],
    ['ascii(t)', { t: '' }, 0],
    ['length(t)', { t: 'héllo' }, 5],
    ['length(t)', { t: '😀x' }, 2],
    ['length(btrim(t))', { t: '  a b  ' }, 3],
    ['length(ltrim(t))', { t: '  a  ' }, 3],
    ['length(rtrim(t))', { t: '  a  ' }, 3],
    ['hashtext(upper(t))', { t: 'abc' }, HASHTEXT_ABC_UPPER],
  ] as const)('%s with %j = %s', (expr, args, expected) => {
    expect(run(expr, args)).toBe(expected)
  })

  it('lower/upper of non-ASCII text needs the database (collation-dependent)', () => {
    expect(() => run('hashtext(lower(t))', { t: 'ÄBC' })).toThrow(NeedsDatabase)
    const e = lowered('hashtext(lower(t))')
    const texts = [null, 'ÄBC', null, null, null, null]
    expect(evaluate(e.node, texts, { unicodeCaseMapping: true })).toBe(run('hashtext(t)', { t: 'äbc' }))
  })

  it('|| concatenates text and the text form of integers', () => {
    expect(run('hashtext(t || x::text)', { t: 'a', x: '1' })).toBe(run('hashtext(t)', { t: 'a1' }))
    expect(run('hashtext(t || v)', { t: 'a', v: 'b' })).toBe(run('hashtext(t)', { t: 'ab' }))
  })
})

describe('evaluate: integer arithmetic as PostgreSQL does it', () => {
  it('C truncating division and remainder, bitwise operators', () => {
    expect(run('int4(x / 2)', { x: '-7' })).toBe(-3)
    expect(run('int4(x % 2)', { x: '-7' })).toBe(-1)
    expect(run('int4(x & 3)', { x: '5' })).toBe(1)
    expect(run('int4(x | 3)', { x: '5' })).toBe(7)
    expect(run('int4(x # 3)', { x: '5' })).toBe(6)
    expect(run('int8(b / 2)', { b: '-9223372036854775807' })).toBe(-4611686018427387903n)
  })

  it('MIN % -1 is 0, MIN / -1 overflows', () => {
    expect(run('int4(x % (-1))', { x: '-2147483648' })).toBe(0)
    expect(run('int8(b % (-1))', { b: '-9223372036854775808' })).toBe(0n)
    const e = failure(() => run('int4(x / (-1))', { x: '-2147483648' }))
    expect([e.message, e.code]).toEqual(['integer out of range', '22003'])
  })

  it.each([
    ['int4(x + 1)', { x: '2147483647' }, 'integer out of range'],
    ['int4(x - 1)', { x: '-2147483648' }, 'integer out of range'],
    ['int4(x * x)', { x: '65536' }, 'integer out of range'],
    ['int4(-x)', { x: '-2147483648' }, 'integer out of range'],
    ['abs(x)', { x: '-2147483648' }, 'integer out of range'],
    ['int8(b + 1)', { b: '9223372036854775807' }, 'bigint out of range'],
    ['int8(b * 2)', { b: '-4611686018427387905' }, 'bigint out of range'],
    ['int8(-b)', { b: '-9223372036854775808' }, 'bigint out of range'],
    ['int4(s + s)', { s: '32767' }, 'smallint out of range'],
    ['int4(b)', { b: '3000000000' }, 'integer out of range'],
    ['int2(x)', { x: '40000' }, 'smallint out of range'],
  ] as const)('%s with %j: %s (22003)', (expr, args, message) => {
    const e = failure(() => run(expr, args))
    expect(e).toBeInstanceOf(PlProxyError)
    expect(e.message).toBe(message)
    expect(e.code).toBe('22003')
  })

  it('int4 + int8 is computed in int8', () => {
    expect(run('int8(x + b)', { x: '2147483647', b: '1' })).toBe(2147483648n)
  })

  it.each([
    ['int4(x / 0)', { x: '5' }],
    ['int4(x % 0)', { x: '5' }],
    ['int8(b / 0)', { b: '5' }],
    ['int4(x / (x - x))', { x: '0' }],
  ] as const)('%s: division by zero (22012)', (expr, args) => {
    const e = failure(() => run(expr, args))
    expect(e.message).toBe('division by zero')
    expect(e.code).toBe('22012')
  })
})

describe('evaluate: casts', () => {
  it('text to integers with the input functions (whitespace, sign, errors)', () => {
    expect(run('int4(t)', { t: ' 12 ' })).toBe(12)
    expect(run('int8(t)', { t: '-9223372036854775808' })).toBe(-9223372036854775808n)
    const e = failure(() => run('int4(t)', { t: 'x1' }))
    expect(e.message).toBe('invalid input syntax for type integer: "x1"')
    expect(e.code).toBe('22P02')
    expect(failure(() => run('int4(t)', { t: '2147483648' })).message).toBe(
      'value "2147483648" is out of range for type integer',
    )
  })

  it('integers to text, char(n) to text without trailing blanks', () => {
    expect(run('hashtext(x::text)', { x: '-42' })).toBe(run('hashtext(t)', { t: '-42' }))
    expect(run('hashtext(b::text)', { b: '9223372036854775807' })).toBe(
      run('hashtext(t)', { t: '9223372036854775807' }),
    )
    expect(run('hashtext(c::text)', { c: 'ab  ' })).toBe(run('hashtext(t)', { t: 'ab' }))
  })

  it('integer widening and narrowing', () => {
    expect(run('int8(s)', { s: '-3' })).toBe(-3n)
    expect(run('int2(b)', { b: '-32768' })).toBe(-32768)
  })
})

describe('evaluate: hand-built nodes', () => {
  const registry = new TypeRegistry()
  const t = (name: string): PlanType => registry.planType(`pg_catalog.${name}`)
  const arg = (index: number, type: string): ExpressionNode => ({
    kind: 'Argument',
    index,
    type: t(type),
    split: false,
  })
  const constant = (value: string | null, type: string): ExpressionNode => ({
    kind: 'Constant',
    type: t(type),
    value,
  })

  it('arguments, constants, NULL constants', () => {
    expect(evaluate(arg(1, 'int4'), [null, 7])).toBe(7)
    expect(evaluate(arg(3, 'int4'), [1])).toBeNull()
    expect(evaluate(constant('-12', 'int8'), [])).toBe(-12n)
    expect(evaluate(constant(null, 'int4'), [])).toBeNull()
  })

  it('int2 arithmetic overflows at the int2 bounds', () => {
    const node: ExpressionNode = {
      kind: 'Operator',
      operator: '*',
      left: arg(0, 'int2'),
      right: constant('2', 'int2'),
      type: t('int2'),
    }
    expect(evaluate(node, [16383])).toBe(32766)
    expect(() => evaluate(node, [16384])).toThrow('smallint out of range')
  })

  it('|| of NULL is NULL', () => {
    const node: ExpressionNode = {
      kind: 'Operator',
      operator: '||',
      left: arg(0, 'text'),
      right: arg(1, 'text'),
      type: t('text'),
    }
    expect(evaluate(node, ['a', 'b'])).toBe('ab')
    expect(evaluate(node, ['a', null])).toBeNull()
  })

  it('nativeFromText reads integers with their input functions and leaves other types as text', () => {
    expect(nativeFromText(t('int2'), '  -7')).toBe(-7)
    expect(nativeFromText(t('int8'), '+9007199254740993')).toBe(9007199254740993n)
    expect(nativeFromText(t('text'), ' 1 ')).toBe(' 1 ')
    expect(nativeFromText(t('int4'), null)).toBeNull()
    expect(() => nativeFromText(t('int2'), '32768')).toThrow(
      'value "32768" is out of range for type smallint',
    )
  })
})

describe('argument types of the test signature', () => {
  it('are the ones the helper assumes', () => {
    const plan = planOf(SIGNATURE, "cluster 'c'; run on 0;")
    expect(plan.function.arguments.map((a) => a.type.typname)).toEqual(ARG_TYPES)
  })
})
