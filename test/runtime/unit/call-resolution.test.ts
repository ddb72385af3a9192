/**
 * resolveCall: the proxy function a typed call means (PostgreSQL's function
 * resolution as the wire server needs it) — exact matches, implicit numeric
 * and string coercions, unknown literals, named arguments and defaults.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  builtinType,
  compileScripts,
  type PlanType,
  type RoutingPlan,
  TypeRegistry,
} from '../../../src/compiler/index.js'
import {
  type CallArgumentType,
  implicitlyCoercible,
  resolveCall,
} from '../../../src/runtime/call-resolution.js'
import { PlProxyError } from '../../../src/runtime/errors.js'

const SOURCES = `
create schema a;
create function o(x int4) returns int as $$ cluster 'c'; $$ language plproxy;
create function o(x text) returns int as $$ cluster 'c'; $$ language plproxy;
create function o(x int8, y int4 default 1) returns int as $$ cluster 'c'; $$ language plproxy;
create function num(x float8) returns int as $$ cluster 'c'; $$ language plproxy;
create function num(x numeric) returns int as $$ cluster 'c'; $$ language plproxy;
create function named(a int, b text default 'z') returns int as $$ cluster 'c'; $$ language plproxy;
create function a.shadow(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function shadow(x int) returns int as $$ cluster 'c'; $$ language plproxy;
`

let plans: RoutingPlan[]
const registry = new TypeRegistry()
const type = (name: string): PlanType => {
  expect(builtinType(name)).toBeDefined()
  return registry.planType(`pg_catalog.${name}`)
}
const typed = (...names: (string | undefined)[]): CallArgumentType[] =>
  names.map((n) => (n === undefined ? {} : { type: type(n) }))

beforeAll(async () => {
  const compiled = await compileScripts([{ file: 'f.sql', text: SOURCES }])
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'))
  plans = compiled.functions.flatMap((f) => (f.plan ? [f.plan] : []))
})

const named = (name: string) => plans.filter((p) => p.function.name === name)
const argTypes = (p: RoutingPlan) =>
  p.function.arguments.filter((a) => a.inIndex !== undefined).map((a) => a.type.typname)

describe('resolveCall', () => {
  it('prefers the exact match, and lets unknown literals match anything', () => {
    expect(argTypes(resolveCall('o', named('o'), typed('int4'), ['public'], false).plan)).toEqual(['int4'])
    expect(argTypes(resolveCall('o', named('o'), typed('text'), ['public'], false).plan)).toEqual(['text'])
    expect(argTypes(resolveCall('o', named('o'), typed('int8'), ['public'], false).plan)).toEqual([
      'int8',
      'int4',
    ])
    expect(argTypes(resolveCall('o', named('o'), typed('int2', 'int4'), ['public'], false).plan)).toEqual([
      'int8',
      'int4',
    ])
  })

  it('reports an ambiguous call and a missing one in PostgreSQL’s words', () => {
    expect(() => resolveCall('o', named('o'), typed(undefined), ['public'], false)).toThrow(
      /^function o\(unknown\) is not unique$/,
    )
    try {
      resolveCall('o', named('o'), typed('bool'), ['public'], false)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(PlProxyError)
      expect((e as PlProxyError).message).toBe('function o(boolean) does not exist')
      expect((e as PlProxyError).code).toBe('42883')
    }
  })

  it('breaks a tie on the preferred type of the argument’s category', () => {
    // int4 → float8 and int4 → numeric are both implicit; float8 is the numeric category's preferred type
    expect(argTypes(resolveCall('num', named('num'), typed('int4'), ['public'], false).plan)).toEqual([
      'float8',
    ])
    expect(argTypes(resolveCall('num', named('num'), typed('numeric'), ['public'], false).plan)).toEqual([
      'numeric',
    ])
  })

  it('binds named arguments and defaults', () => {
    // named(b => 'x'::text, a => 1): a comes from the call's second argument, b from its first
    const r = resolveCall(
      'named',
      named('named'),
      [{ name: 'b', type: type('text') }, { name: 'a' }],
      ['public'],
      false,
    )
    expect(r.sources).toEqual([1, 0])
    const d = resolveCall('named', named('named'), typed('int4'), ['public'], false)
    expect(d.sources).toEqual([0, -1])
    expect(() => resolveCall('named', named('named'), [{ name: 'zz' }], ['public'], false)).toThrow(
      /function named\(zz => unknown\) does not exist/,
    )
  })

  it('lets an earlier schema on the path hide the same signature', () => {
    expect(
      resolveCall('shadow', named('shadow'), typed('int4'), ['a', 'public'], false).plan.function.schema,
    ).toBe('a')
    expect(
      resolveCall('shadow', named('shadow'), typed('int4'), ['public', 'a'], false).plan.function.schema,
    ).toBe('public')
  })
})

describe('implicitlyCoercible', () => {
  it('follows the numeric ladder upwards only, and the string types among themselves', () => {
    expect(implicitlyCoercible(type('int2'), type('int8'))).toBe(true)
    expect(implicitlyCoercible(type('int8'), type('int4'))).toBe(false)
    expect(implicitlyCoercible(type('numeric'), type('float8'))).toBe(true)
    expect(implicitlyCoercible(type('varchar'), type('text'))).toBe(true)
    expect(implicitlyCoercible(type('int4'), type('text'))).toBe(false)
  })
})
