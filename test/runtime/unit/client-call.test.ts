/**
 * prepareClientCall: a SQL client's call of a proxy function — which
 * function, the $n parameter types, the columns the client gets, and the
 * argument texts each execution sends.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  builtinTypeKeyByOid,
  type CompileResult,
  compileScripts,
  type RoutingPlan,
} from '../../../src/compiler/index.js'
import { type FunctionCallStatement, readClientStatements } from '../../../src/parser/index.js'
import { type ClientCallContext, prepareClientCall } from '../../../src/runtime/client-call.js'
import { ClusterRegistry } from '../../../src/runtime/cluster/registry.js'
import { Engine } from '../../../src/runtime/engine.js'
import { FunctionTable } from '../../../src/runtime/function-lookup.js'

const SOURCES = `
create type pair as (a int, b text);
create function f_user_login(i_userid int) returns setof int as $$ cluster 'c'; run on i_userid; $$ language plproxy;
create function get(id int8, n text default 'x', out x int, out "Y" text) as $$ cluster 'c'; run on id; $$ language plproxy;
create function one(id int) returns pair as $$ cluster 'c'; run on id; $$ language plproxy;
create function dyn(q text) returns setof record as $$ cluster 'c'; run on all; $$ language plproxy;
create function small(v int2) returns int as $$ cluster 'c'; run on v; $$ language plproxy;
`

let compiled: CompileResult
let ctx: ClientCallContext

beforeAll(async () => {
  compiled = await compileScripts([{ file: 'f.sql', text: SOURCES }])
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'))
  const plans = compiled.functions.flatMap((f) => (f.plan ? [f.plan] : []))
  const types = compiled.databases.get('')!.types
  const engine = new Engine({
    registry: new ClusterRegistry({ objects: new Map() }),
    user: 'u',
    superusers: new Set(),
    functions: new Map(),
    environment: {},
    pool: { max: 1, idleTimeoutMs: 0, connectTimeoutMs: 0 },
  })
  ctx = {
    table: new FunctionTable(plans),
    searchPath: ['public'],
    types,
    typeByOid: (oid) => {
      const key = builtinTypeKeyByOid(oid)
      return key ? types.planType(key) : undefined
    },
    resultColumns: (plan: RoutingPlan, cols) => engine.resultColumns(plan, cols),
  }
})

const prepare = (sql: string, oids: number[] = []) =>
  prepareClientCall(ctx, readClientStatements(sql)[0] as FunctionCallStatement, oids)

describe('prepareClientCall', () => {
  it('prepares the seed call in both shapes', () => {
    const scalar = prepare('select f_user_login(42)')!
    expect(scalar.columns.map((c) => [c.name, c.type.typname])).toEqual([['f_user_login', 'int4']])
    expect(scalar.arguments([])).toEqual(['42'])
    const star = prepare('select * from f_user_login($1)')!
    expect(star.parameterTypes.map((t) => t.typname)).toEqual(['int4'])
    expect(star.arguments(['7'])).toEqual(['7'])
  })

  it('returns undefined for a function that is not a proxy function', () => {
    expect(prepare('select now()')).toBeUndefined()
  })

  it('fills defaults, takes parameter types from casts and from the client', () => {
    const p = prepare('select * from get($1::int4)')!
    expect(p.parameterTypes.map((t) => t.typname)).toEqual(['int4'])
    expect(p.arguments(['5'])).toEqual(['5', 'x'])
    expect(p.columns.map((c) => c.name)).toEqual(['x', 'Y'])
    const typed = prepare('select * from get($1, n => $2)', [20, 25])!
    expect(typed.arguments(['9', 'zz'])).toEqual(['9', 'zz'])
  })

  it('projects, renames and labels columns', () => {
    const p = prepare('select "Y", x as ex from get(1) g')!
    expect(p.columns.map((c) => c.name)).toEqual(['Y', 'ex'])
    expect(p.output).toEqual({ kind: 'columns', map: [1, 0] })
    const r = prepare('select * from get(1) as g(a, b)')!
    expect(r.columns.map((c) => c.name)).toEqual(['a', 'b'])
    const s = prepare('select * from f_user_login(1) as t')!
    expect(s.columns.map((c) => c.name)).toEqual(['t'])
    expect(() => prepare('select nope from get(1)')).toThrow('column "nope" does not exist')
  })

  it('returns a row as one composite value in scalar context', () => {
    const p = prepare('select one(1)')!
    expect(p.output).toEqual({ kind: 'record' })
    expect(p.columns.map((c) => [c.name, c.type.typname])).toEqual([['one', 'pair']])
  })

  it('takes the column definition list of a dynamic RECORD call', () => {
    const p = prepare("select * from dyn('q') as t(id int, name text)")!
    expect(p.callColumns?.map((c) => [c.name, c.type.typname])).toEqual([
      ['id', 'int4'],
      ['name', 'text'],
    ])
    expect(() => prepare("select * from dyn('q')")).toThrow(/column definition list is required/)
    expect(() => prepare("select dyn('q')")).toThrow(/unsupported type/)
  })

  it('casts as PostgreSQL does: numeric rounds to integers, literals are read by their type', () => {
    expect(prepare('select small(2.5::int2)')!.arguments([])).toEqual(['3'])
    expect(prepare("select small('007')")!.arguments([])).toEqual(['7'])
    expect(() => prepare('select small(40000::int2)')!.arguments([])).toThrow('smallint out of range')
    expect(() => prepare("select small('x')")!.arguments([])).toThrow(
      /invalid input syntax for type smallint/,
    )
  })

  it('refuses a parameter whose type cannot be determined', () => {
    expect(() => prepare('select small($2)', [0, 0])).toThrow('could not determine data type of parameter $1')
    // int4 → int2 is not implicit: PostgreSQL finds no function
    expect(() => prepare('select small(1)')).toThrow('function small(integer) does not exist')
  })
})
