/** Which local expressions become native nodes, and which stay SQL for the proxy database. */
import { beforeAll, describe, expect, it } from 'vitest'
import type { ExpressionNode } from '../../src/compiler/index.js'
import { loadPostgresParser } from '../../src/parser/index.js'
import { planOf } from '../helpers/compile.js'

beforeAll(() => loadPostgresParser())

function show(n: ExpressionNode): string {
  switch (n.kind) {
    case 'Argument':
      return `$${n.index}${n.split ? '[i]' : ''}:${n.type.name}`
    case 'Constant':
      return `${JSON.stringify(n.value)}:${n.type.name}`
    case 'Call':
      return `${n.function}(${n.arguments.map(show).join(', ')}):${n.type.name}`
    case 'Cast':
      return `(${show(n.input)})::${n.type.name}`
    case 'Negate':
      return `-(${show(n.input)})`
    case 'Operator':
      return `(${show(n.left)} ${n.operator} ${show(n.right)}):${n.type.name}`
  }
}

function run(signature: string, runOn: string, extra = '') {
  const plan = planOf(signature, `cluster 'c'; ${extra} run on ${runOn};`)
  if (plan.run.kind !== 'RunOnHash') throw new Error(plan.run.kind)
  return plan.run.expression
}

describe('RUN ON lowering', () => {
  it.each([
    ['(i int4) returns int', 'i', '$0:int4'],
    ['(i int4) returns int', '$1', '$0:int4'],
    ['(u text) returns int', 'hashtext(u)', 'hashtext($0:text):int4'],
    ['(u varchar) returns int', 'hashtext(u)', 'hashtext(($0:"varchar")::text):int4'],
    ['(u char(4)) returns int', 'hashtext(u)', 'hashtext(($0:bpchar)::text):int4'],
    ['(i int2) returns int', 'hashint4(i)', 'hashint4(($0:int2)::int4):int4'],
    ['(i int4) returns int', 'hashint8(i)', 'hashint8(($0:int4)::int8):int4'],
    ['(i int8) returns int', 'abs(i)', 'abs($0:int8):int8'],
    ['(s text) returns int', 'int4(s)', '($0:text)::int4'],
    ['(s text) returns int', 'ascii(s)', 'ascii($0:text):int4'],
    ['(a text, b text) returns int', 'hashtext(a || b)', 'hashtext(($0:text || $1:text):text):int4'],
    ['(a text) returns int', "hashtext(a || 'x')", 'hashtext(($0:text || "x":text):text):int4'],
    ['(a text) returns int', 'hashtext(lower(a))', 'hashtext(lower($0:text):text):int4'],
    ['(a int4) returns int', 'abs(a % 4 + 1)', 'abs((($0:int4 % "4":int4):int4 + "1":int4):int4):int4'],
    [
      '(a int4) returns int',
      'hashint8(a::int8 * -2)',
      'hashint8((($0:int4)::int8 * ("-2":int4)::int8):int8):int4',
    ],
    ['(a text) returns int', 'pg_catalog.hashtext(a)', 'hashtext($0:text):int4'],
  ])('%s: run on %s → native %s', (signature, runOn, expected) => {
    const e = run(signature, runOn)
    expect(e.kind).toBe('NativeExpression')
    if (e.kind === 'NativeExpression') expect(show(e.node)).toBe(expected)
  })

  it.each([
    ['(i int4) returns int', 'hashtext(i)', 'function hashtext with these argument types is not native'],
    ['(i int8) returns int', 'hashint4(i)', 'function hashint4 with these argument types is not native'],
    ['(u text) returns setof int', 'my_hash(u, 2)', 'function my_hash is not implemented natively'],
    ['(u text) returns int', 'user_key', '"user_key" is not an argument'],
    ['(u text) returns int', 'hashtext(u) % 4', 'text after the function call'],
    ['(u text) returns int', 'myschema.hashtext(u)', 'function myschema.hashtext is not native'],
    ['(u text) returns int', "hashtext(u || E'\\n')", "E'\\n' is not supported natively"],
    ['(u text, lower text) returns int', 'hashtext(lower(u))', 'argument lower used as a function'],
    ['(u numeric) returns int', 'abs(u)', 'function abs with these argument types is not native'],
  ])('%s: run on %s stays SQL (%s)', (signature, runOn, reason) => {
    const e = run(signature, runOn)
    expect(e).toMatchObject({ kind: 'SqlExpression', reason })
  })

  it('keeps the local query and its parameters for either kind', () => {
    expect(run('(a text, b int4) returns int', 'hashtext(a)')).toMatchObject({
      sql: 'select * from hashtext($1)',
      parameters: [0],
    })
    expect(run('(a text, b int4) returns int', 'b')).toMatchObject({ sql: 'select $1', parameters: [1] })
    expect(run('(u text) returns int', 'user_key')).toMatchObject({ sql: 'select user_key', parameters: [] })
  })

  it('a SPLIT argument is hashed per element, typed as the element', () => {
    const e = run('(a text[], b int4) returns setof int', 'hashtext(a)', 'split a;')
    expect(e.kind === 'NativeExpression' && show(e.node)).toBe('hashtext($0[i]:text):int4')
    expect(e.parameterTypes.map((t) => t.name)).toEqual(['text'])
  })

  it('a call of a non-native function with lowerable arguments can be served by JavaScript', () => {
    const plan = planOf('(part int4) returns setof int', 'cluster map_cluster(part); run on all;')
    expect(plan.cluster).toMatchObject({
      kind: 'ClusterExpression',
      expression: {
        kind: 'SqlExpression',
        sql: 'select map_cluster($1)',
        call: { name: 'map_cluster', arguments: [{ kind: 'Argument', index: 0 }] },
      },
    })
  })

  it('CLUSTER takes a whole expression; CONNECT a call or an argument', () => {
    const c = planOf('(a text) returns setof int', "cluster lower(a) || '_ro'; run on all;")
    expect(c.cluster.kind === 'ClusterExpression' && c.cluster.expression.kind).toBe('NativeExpression')
    const k = planOf('(a text) returns int', 'connect text(a);')
    expect(k.cluster).toMatchObject({
      kind: 'ConnectExpression',
      expression: { kind: 'NativeExpression', sql: 'select * from text($1)' },
    })
    expect(k.run).toEqual({ kind: 'RunOnPartition', partition: 0 })
  })
})
