import fc from 'fast-check'
import { parseSync } from 'libpg-query'
import { beforeAll, describe, expect, it } from 'vitest'
import { statementFromTree } from '../../../src/parser/client/tree.js'
import {
  type ClientStatement,
  ClientSyntaxError,
  fastFunctionCall,
  loadPostgresParser,
  readClientStatements,
} from '../../../src/parser/index.js'

beforeAll(() => loadPostgresParser())

/** The general path alone: PostgreSQL's parser, one statement. */
function general(sql: string): ClientStatement {
  const tree = parseSync(sql) as { stmts: { stmt: unknown }[] }
  expect(tree.stmts).toHaveLength(1)
  return statementFromTree(tree.stmts[0]!.stmt, sql.trim())
}

/** positions differ between the paths (a type name parsed alone vs in its statement) */
function withoutPositions(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'position' || k === 'tree' ? undefined : v)))
}

describe('readClientStatements', () => {
  it('reads a scalar call with constants of every kind', () => {
    const [s] = readClientStatements("select f_user_login(42, -7, 1.5, 'it''s', true, NULL, 99999999999)")
    expect(s).toMatchObject({
      kind: 'FunctionCall',
      name: 'f_user_login',
      context: 'scalar',
      label: 'f_user_login',
      arguments: [
        { value: { kind: 'Constant', value: '42', constant: 'integer' } },
        { value: { kind: 'Constant', value: '-7', constant: 'integer' } },
        { value: { kind: 'Constant', value: '1.5', constant: 'numeric' } },
        { value: { kind: 'Constant', value: "it's", constant: 'string' } },
        { value: { kind: 'Constant', value: 't', constant: 'boolean' } },
        { value: { kind: 'Constant', value: null, constant: 'null' } },
        { value: { kind: 'Constant', value: '99999999999', constant: 'bigint' } },
      ],
    })
  })

  it('reads SELECT * FROM with parameters, casts, named arguments and a column definition list', () => {
    const [s] = readClientStatements(
      'SELECT * FROM public.get_rows($1, $2::int8, n => CAST($3 AS text)) AS t(id int, name varchar(10)[])',
    )
    expect(s).toMatchObject({
      kind: 'FunctionCall',
      schema: 'public',
      name: 'get_rows',
      context: 'from',
      select: 'star',
      alias: 't',
      arguments: [
        { value: { kind: 'Parameter', number: 1 } },
        { value: { kind: 'Cast', argument: { kind: 'Parameter', number: 2 }, type: { name: 'int8' } } },
        { name: 'n', value: { kind: 'Cast', type: { name: 'text' } } },
      ],
      columnDefinitions: [
        { name: 'id', type: { name: 'int4' } },
        { name: 'name', type: { name: 'varchar', arrayDimensions: 1 } },
      ],
    })
  })

  it('reads selected columns with labels and a qualified star', () => {
    expect(readClientStatements('select a, b as "Bee" from f(1) x')[0]).toMatchObject({
      select: [
        { column: 'a', label: 'a' },
        { column: 'b', label: 'Bee' },
      ],
      alias: 'x',
    })
    expect(readClientStatements('select x.* from f(1) x')[0]).toMatchObject({ select: 'star' })
    expect(readClientStatements('select f.a from f(1)')[0]).toMatchObject({ select: [{ column: 'a' }] })
  })

  it('keeps other statements as text, with the functions they call', () => {
    const out = readClientStatements('begin; select count(*) from pg_class; set x = 1')
    expect(out.map((s) => s.kind)).toEqual(['Other', 'Other', 'Other'])
    expect(out.map((s) => s.text)).toEqual(['begin', 'select count(*) from pg_class', 'set x = 1'])
    expect(out[1]).toMatchObject({ node: 'SelectStmt', calledFunctions: ['count'] })
  })

  it('says why a call in another shape is not run', () => {
    const [s] = readClientStatements('select * from f(1) where a > 1')
    expect(s).toMatchObject({ kind: 'Other', calledFunctions: ['f'] })
    expect((s as { unsupportedCall?: string }).unsupportedCall).toMatch(/only SELECT/)
    const [t] = readClientStatements('select f(a + 1)')
    expect((t as { unsupportedCall?: string }).unsupportedCall).toMatch(/constants, \$n parameters or casts/)
  })

  it('slices statements by bytes when the text is not ASCII', () => {
    const out = readClientStatements("select 'é'; select f('ü')")
    expect(out[1]).toMatchObject({ kind: 'FunctionCall', text: "select f('ü')" })
  })

  it('returns no statement for an empty query, and PostgreSQL’s syntax error with a 1-based position', () => {
    expect(readClientStatements('')).toEqual([])
    expect(readClientStatements(' ; ')).toEqual([])
    try {
      readClientStatements("select 'é' frm f(")
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ClientSyntaxError)
      expect((e as ClientSyntaxError).message).toBe('syntax error at or near "f"')
      // byte 15 of the UTF-8 text is character 14: PostgreSQL reports character 15
      expect((e as ClientSyntaxError).position).toBe(15)
    }
  })
})

describe('the fast path', () => {
  it('takes the statements pgbench and drivers send', () => {
    expect(fastFunctionCall('select f_user_login(123);')).toBeDefined()
    expect(fastFunctionCall('SELECT * FROM f_user_logout($1)')).toBeDefined()
    expect(fastFunctionCall("select * from digoal.f(1, 'x'::text)")).toBeDefined()
  })

  it('leaves what it does not read to the general path', () => {
    for (const sql of [
      "select f(E'x')",
      'select f(1) /* c */',
      'select f(-5::int)',
      'select f(1) from t',
      'select f(1) x',
      'select "user"(1) from x',
      'select user(1)',
      "select f('a'\n'b')",
      'select f(007)',
      'select f($1a)',
      'select f(1::double precision)',
      'select * from f(1) as t(a int)',
    ]) {
      expect(fastFunctionCall(sql), sql).toBeUndefined()
    }
  })

  const name = fc.constantFrom(
    'f',
    'F',
    'f_user_login',
    '"Mixed Case"',
    'public',
    'x1',
    'text',
    'action',
    'user',
    'int',
    'from',
  )
  const constant = fc.oneof(
    fc.integer().map(String),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    fc.constantFrom(
      '0',
      '-0',
      '007',
      '2147483647',
      '2147483648',
      '-2147483648',
      '-2147483649',
      '1.5',
      '-0.5',
      '.5',
      '1e3',
      '1E-2',
      '1.',
      '- 3',
    ),
    fc.string({ maxLength: 6 }).map((s) => `'${s.replace(/'/g, "''")}'`),
    fc.constantFrom('true', 'FALSE', 'null', '$1', '$12'),
  )
  const cast = fc.constantFrom(
    '',
    '::int',
    '::int4',
    '::text',
    '::bigint[]',
    '::public.mood',
    '::"My Type"',
    '::integer::text',
    '::varchar',
  )
  const arg = fc
    .tuple(fc.option(name, { nil: undefined }), constant, cast)
    .map(([n, c, t]) => `${n ? `${n} => ` : ''}${c}${t}`)
  const callText = fc
    .tuple(fc.option(name, { nil: undefined }), name, fc.array(arg, { maxLength: 4 }))
    .map(([s, n, args]) => `${s ? `${s}.` : ''}${n}(${args.join(', ')})`)
  const statement = fc.oneof(
    fc
      .tuple(callText, fc.option(name, { nil: undefined }))
      .map(([c, l]) => `select ${c}${l ? ` as ${l}` : ''}`),
    fc
      .tuple(
        fc.oneof(
          fc.constant('*'),
          fc.array(name, { minLength: 1, maxLength: 3 }).map((a) => a.join(', ')),
        ),
        callText,
        fc.option(name, { nil: undefined }),
        fc.boolean(),
      )
      .map(([sel, c, a, as]) => `SELECT ${sel} FROM ${c}${a ? (as ? ` AS ${a}` : ` ${a}`) : ''}`),
  )
  const spaced = fc
    .tuple(statement, fc.constantFrom('', ';', ' ;', ';\n', ' -- done\n'))
    .map(([s, end]) => s + end)

  it('agrees with PostgreSQL’s parser on every statement it takes', () => {
    let taken = 0
    fc.assert(
      fc.property(spaced, (sql) => {
        const fast = fastFunctionCall(sql)
        let tree: ClientStatement | undefined
        try {
          tree = general(sql)
        } catch {
          tree = undefined
        }
        if (fast) {
          taken++
          expect(tree, sql).toBeDefined()
          expect(withoutPositions(fast), sql).toEqual(withoutPositions({ ...tree!, text: sql }))
        }
      }),
      { numRuns: 3000 },
    )
    expect(taken).toBeGreaterThan(300)
  })
})
