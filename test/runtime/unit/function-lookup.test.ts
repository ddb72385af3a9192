/**
 * FunctionTable.find: which proxy function a caller's name and arguments mean —
 * qualified names, the search path, overloads by argument count, defaults and named
 * arguments — and PostgreSQL-like errors when none or several fit.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { compileScripts, type RoutingPlan } from '../../../src/compiler/index.js'
import { PlProxyError } from '../../../src/runtime/errors.js'
import { FunctionTable } from '../../../src/runtime/function-lookup.js'

const SOURCES = `
create schema a;
create schema b;
create schema alice;
create function f(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function f(x int, y int) returns int as $$ cluster 'c'; $$ language plproxy;
create function a.g(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function b.g(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function a.h(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function d(x int, y int default 5) returns int as $$ cluster 'c'; $$ language plproxy;
create function n(a int, b text default 'z', out r int) as $$ cluster 'c'; $$ language plproxy;
create function o(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function o(x text) returns int as $$ cluster 'c'; $$ language plproxy;
create function "MixedCase"(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function a.p(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function p(x int, y int) returns int as $$ cluster 'c'; $$ language plproxy;
create function a.q(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function q(x int) returns int as $$ cluster 'c'; $$ language plproxy;
create function alice.mine() returns int as $$ cluster 'c'; $$ language plproxy;
create function mine() returns int as $$ cluster 'c'; $$ language plproxy;
`

const PATH = ['$user', 'public']

let table: FunctionTable

beforeAll(async () => {
  const compiled = await compileScripts([{ file: 'f.sql', text: SOURCES }])
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'))
  table = new FunctionTable(compiled.functions.flatMap((f) => (f.plan ? [f.plan] : [])))
})

const id = (p: RoutingPlan) =>
  `${p.function.qualifiedName}(${p.function.arguments
    .filter((x) => x.inIndex !== undefined)
    .map((x) => x.type.name)
    .join(',')})`

function failure(f: () => unknown): PlProxyError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(PlProxyError)
    return e as PlProxyError
  }
  throw new Error('expected an error')
}

describe('FunctionTable.find', () => {
  it('tells overloads apart by the number of arguments', () => {
    expect(id(table.find('f', 1, PATH))).toBe('public.f(int4)')
    expect(id(table.find('f', 2, PATH))).toBe('public.f(int4,int4)')
  })

  it('qualified and quoted names, folded like SQL identifiers', () => {
    expect(id(table.find('public.f', 1, PATH))).toBe('public.f(int4)')
    expect(id(table.find('PUBLIC.F', 2, PATH))).toBe('public.f(int4,int4)')
    expect(id(table.find('"public"."f"', 1, PATH))).toBe('public.f(int4)')
    expect(id(table.find('F', 1, PATH))).toBe('public.f(int4)')
    expect(id(table.find('"MixedCase"', 1, PATH))).toBe('public."MixedCase"(int4)')
    expect(id(table.find('public."MixedCase"', 1, PATH))).toBe('public."MixedCase"(int4)')
    expect(id(table.find('a.g', 1, PATH))).toBe('a.g(int4)')
    expect(id(table.find('b.g', 1, PATH))).toBe('b.g(int4)')
  })

  it('"public"."F" (quoted, upper case) is not public.f', () => {
    const outcome = (() => {
      try {
        return id(table.find('"public"."F"', 1, PATH))
      } catch (e) {
        return [(e as PlProxyError).code, (e as Error).message]
      }
    })()
    expect(
      outcome,
      'BUG (minor): a quoted identifier is folded to lower case as a fallback, so "F" finds f',
    ).toEqual(['42883', 'function "public"."F"(unknown) does not exist'])
  })

  it('the search path decides between schemas; the first schema on the path wins for the same signature', () => {
    expect(id(table.find('g', 1, ['b', 'public']))).toBe('b.g(int4)')
    expect(id(table.find('g', 1, ['a', 'b']))).toBe('a.g(int4)')
    expect(id(table.find('q', 1, ['a', 'public']))).toBe('a.q(int4)')
    expect(id(table.find('q', 1, PATH))).toBe('public.q(int4)')
    // "$user" is replaced by the user's name before find() (createProxy does it)
    expect(id(table.find('mine', 0, ['alice', 'public']))).toBe('alice.mine()')
    expect(id(table.find('mine', 0, ['$user', 'public']))).toBe('public.mine()')
  })

  it('a name in several schemas, none on the path, does not exist', () => {
    const e = failure(() => table.find('g', 1, PATH))
    expect(e.code).toBe('42883')
    expect(e.message).toBe('function g(unknown) does not exist')
  })

  it('a name in one schema off the path is found there (documented convenience)', () => {
    expect(id(table.find('h', 1, PATH))).toBe('a.h(int4)')
  })

  it("overloads across schemas on the path: a later schema's function with the right arguments is found", () => {
    // PostgreSQL: with search_path a, public, `select p(1, 2)` calls public.p(int, int)
    // (a.p takes one argument, so it neither matches nor hides public.p)
    const outcome = (() => {
      try {
        return id(table.find('p', 2, ['a', 'public']))
      } catch (e) {
        return (e as Error).message
      }
    })()
    expect(
      outcome,
      'BUG: find() keeps only the first schema on the path that has the name, so a.p(int) hides public.p(int, int)',
    ).toBe('public.p(int4,int4)')
  })

  it('defaults make trailing arguments optional', () => {
    expect(id(table.find('d', 1, PATH))).toBe('public.d(int4,int4)')
    expect(id(table.find('d', 2, PATH))).toBe('public.d(int4,int4)')
    const e = failure(() => table.find('d', 0, PATH))
    expect(e.message).toBe('function d() does not exist')
    expect(e.hint).toBe('d takes 2 argument(s).')
  })

  it('named arguments: every name must exist, every argument without a default must be given', () => {
    expect(id(table.find('n', ['a'], PATH))).toBe('public.n(int4,text)')
    expect(id(table.find('n', ['b', 'a'], PATH))).toBe('public.n(int4,text)')
    const missing = failure(() => table.find('n', ['b'], PATH))
    expect(missing.message).toBe('function n(b => unknown) does not exist')
    expect(missing.code).toBe('42883')
    const unknown = failure(() => table.find('n', ['a', 'zz'], PATH))
    expect(unknown.message).toBe('function n(a => unknown, zz => unknown) does not exist')
    // OUT parameters are not arguments
    expect(failure(() => table.find('n', ['a', 'r'], PATH)).code).toBe('42883')
  })

  it('too many or too few arguments: does not exist, with the counts it takes', () => {
    const e = failure(() => table.find('f', 3, PATH))
    expect(e.code).toBe('42883')
    expect(e.message).toBe('function f(unknown, unknown, unknown) does not exist')
    expect(e.hint).toBe('f takes 1 or 2 argument(s).')
  })

  it('an unknown name: does not exist', () => {
    const e = failure(() => table.find('nothere', 0, PATH))
    expect(e.message).toBe('function nothere() does not exist')
    expect(e.code).toBe('42883')
    expect(e.hint).toBe(
      'No proxy function matches the given name. Check the name, or the files given with --functions.',
    )
    expect(failure(() => table.find('b.h', 1, PATH)).message).toBe('function b.h(unknown) does not exist')
  })

  it('several overloads with the same argument count: not unique (42725)', () => {
    const e = failure(() => table.find('o', 1, PATH))
    expect(e.code).toBe('42725')
    expect(e.message).toBe('function o(unknown) is not unique')
    expect(e.hint).toBe(
      'Could not choose a best candidate function. Call it with its schema-qualified name or with named arguments.',
    )
  })

  it('all() lists every plan', () => {
    expect(table.all()).toHaveLength(16)
  })
})
