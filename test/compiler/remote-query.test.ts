/** The remote queries PL/Proxy sends: default shapes, custom SELECT substitution, TARGET, quirks. */
import { beforeAll, describe, expect, it } from 'vitest'
import { dynamicRemoteQuery, type RoutingPlan } from '../../src/compiler/index.js'
import { loadPostgresParser } from '../../src/parser/index.js'
import { compileOne, planOf } from '../helpers/compile.js'

beforeAll(() => loadPostgresParser())

const sqlOf = (plan: RoutingPlan) =>
  plan.remoteQuery.kind === 'RemoteQuery' ? plan.remoteQuery.sql : undefined

describe('default remote query (spec §3.3 examples)', () => {
  it.each([
    ['test_error3() returns int4', 'select r::int4 from public.test_error3() r'],
    [
      'testfunc(username text, id integer, data text) returns text',
      'select r::text from public.testfunc($1::text,$2::int4,$3::text) r',
    ],
    [
      'test_set(username text, num integer) returns setof text',
      'select r::text from public.test_set($1::text,$2::int4) r',
    ],
    [
      'test_void(username text, num integer) returns void',
      'select r::void from public.test_void($1::text,$2::int4) r',
    ],
    [
      'test_out1(username text, id integer, out data text)',
      'select r::text from public.test_out1($1::text,$2::int4) r',
    ],
    [
      'test_out2(username text, id integer, out out_id integer, xdata text, inout xdata2 text, out odata text)',
      'select out_id::int4, xdata2::text, odata::text from public.test_out2($1::text,$2::int4,$3::text,$4::text)',
    ],
    [
      'test_types(username text, inout vbool boolean, inout xdate timestamp, inout bin bytea)',
      'select vbool::bool, xdate::"timestamp", bin::bytea from public.test_types($1::text,$2::bool,$3::"timestamp",$4::bytea)',
    ],
    [
      'test_ret_table(in _id integer) returns table (id integer, t text)',
      'select id::int4, t::text from public.test_ret_table($1::int4)',
    ],
  ])('%s', (signature, sql) => {
    const name = signature.slice(0, signature.indexOf('('))
    const { fn } = compileOne(signature.slice(name.length), "cluster 'c';", '', name)
    expect(fn.plan && sqlOf(fn.plan)).toBe(sql)
  })

  it('composite return types, quoted names and user types', () => {
    const setup = `create type ret_test_rec as (id integer, dat text);
      create type "RetWeird" as ("ColId" int4, "ColData" text);
      create domain "bad type" as text;`
    expect(sqlOf(planOf('(username text, num integer) returns ret_test_rec', "cluster 'c';", setup))).toMatch(
      /^select id::int4, dat::text from public\.f\d+\(\$1::text,\$2::int4\)$/,
    )
    const { fn } = compileOne(
      '(u text, i int4, d text) returns "RetWeird"',
      "cluster 'c';",
      setup,
      '"testQuoting"',
    )
    expect(fn.plan && sqlOf(fn.plan)).toBe(
      'select "ColId"::int4, "ColData"::text from public."testQuoting"($1::text,$2::int4,$3::text)',
    )
    const argq = compileOne(
      '(username text, "some arg" integer, "other arg" "bad type", out "bad out" text, out "bad out2" "bad type")',
      "cluster 'c';",
      setup,
      'test_argq',
    )
    expect(argq.fn.plan && sqlOf(argq.fn.plan)).toBe(
      'select "bad out"::text, "bad out2"::public."bad type" from public.test_argq($1::text,$2::int4,$3::public."bad type")',
    )
  })

  it('TARGET replaces the function name verbatim', () => {
    expect(
      sqlOf(
        planOf(
          '(_id integer, out id integer, out t text) returns setof record',
          "cluster 'c'; target test_ret_table;",
        ),
      ),
    ).toBe('select id::int4, t::text from test_ret_table($1::int4)')
  })

  it('a dropped first column yields `select , …` (PL/Proxy quirk)', () => {
    const setup = 'create table t (a int, b text, c int8); alter table t drop column a;'
    expect(sqlOf(planOf('(x int) returns t', "cluster 'c';", setup))).toMatch(
      /^select , b::text, c::int8 from /,
    )
    const plan = planOf('(x int) returns t', "cluster 'c';", setup)
    expect(plan.result).toMatchObject({
      kind: 'CompositeResult',
      columns: [{ name: 'a', dropped: true }, { name: 'b' }, { name: 'c' }],
    })
  })

  it('an added column appears at the end', () => {
    const setup = 'create type t as (a int); alter type t add attribute b text;'
    expect(sqlOf(planOf('(x int) returns t', "cluster 'c';", setup))).toMatch(
      /^select a::int4, b::text from /,
    )
  })

  it('dynamic RECORD: the column list comes from the call', () => {
    const plan = planOf('(q text) returns setof record', "cluster 'c';")
    expect(plan.remoteQuery).toMatchObject({ kind: 'DynamicRemoteQuery', argumentsSql: '$1::text' })
    const int4 = plan.function.arguments[0]!.type
    expect(
      dynamicRemoteQuery('public.dynamic_query', '$1::text', [
        { name: 'id', type: { ...int4, name: 'int4', typname: 'int4' } },
        { name: 'username', type: int4 },
      ]),
    ).toBe('select id::int4, username::text from public.dynamic_query($1::text) as (id int4, username text)')
  })
})

describe('custom SELECT', () => {
  it('numbers referenced arguments by first appearance and types them', () => {
    const plan = planOf(
      '(a varchar, b varchar, c varchar) returns setof text',
      "cluster 'c'; SELECT * FROM remote_func(a, c, b);",
    )
    expect(plan.remoteQuery).toEqual({
      kind: 'RemoteQuery',
      sql: 'SELECT * FROM remote_func($1::"varchar", $2::"varchar", $3::"varchar")',
      parameters: [0, 2, 1],
      origin: 'select',
    })
  })

  it('sends only referenced arguments', () => {
    const plan = planOf('(id integer, data text) returns text', "cluster 'c'; select data;")
    expect(plan.remoteQuery).toMatchObject({ sql: 'select $1::text', parameters: [1] })
  })

  it('substitutes every bare identifier case-insensitively, never dotted or quoted ones', () => {
    const plan = planOf(
      '(ID int4, name text) returns setof text',
      'cluster \'c\'; select id, t.id, "id", Name, NAME from t;',
    )
    expect(sqlOf(plan)).toBe('select $1::int4, t.id, "id", $2::text, $2::text from t')
  })

  it('never substitutes OUT parameter names', () => {
    expect(sqlOf(planOf('(a int, out b int) ', "cluster 'c'; select a as b;"))).toBe('select $1::int4 as b')
  })

  it('reaches unnamed arguments only by $n, and $01 is $1', () => {
    expect(sqlOf(planOf('(int4, text) returns text', "cluster 'c'; select $02, $01;"))).toBe(
      'select $1::text, $2::int4',
    )
  })

  it('compresses whitespace and turns comments into a space, keeping quoted text', () => {
    expect(sqlOf(planOf('(a int) returns int', "cluster 'c'; select /*x*/ a\n\t,  'a  b' ;"))).toBe(
      "select   $1::int4 , 'a  b' ",
    )
  })
})
