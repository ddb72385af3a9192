/**
 * formatTable prints byte for byte what `psql -c 'select …'` (PostgreSQL 15, default
 * \pset: aligned, border 1, ASCII lines, no pager) prints. Each case runs a select
 * through node-postgres in text mode (names, type OIDs and values are the formatter's
 * input) and through psql.
 */
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TextResult } from '../../../src/cli/format/result.js'
import { formatTable, type TableOptions } from '../../../src/cli/format/table.js'
import { WIDE_RANGES, ZERO_WIDTH_RANGES } from '../../../src/cli/format/unicode-width-table.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../../harness/shared-cluster.js'

const skip = skipWithoutPostgres('psql aligned output vs formatTable')

const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`
const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`

/** Text PostgreSQL can store: no U+0000, no lone surrogates. */
const storable = (s: string): boolean => !s.includes('\u0000') && !/\p{Cs}/u.test(s)

/** Characters that change widths or line structure in psql's aligned format. */
const trickyChar = fc.constantFrom(
  'a',
  'b',
  'Z',
  '0',
  ' ',
  '|',
  '+',
  '-',
  '\n',
  '\r',
  '\t',
  '\\',
  'é',
  'e\u0301',
  '\u200b',
  '漢',
  '字',
  'ｱ',
  'Ａ',
  '한',
  '😀',
  '\u0001',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00a0',
  '\u00ad',
  '\u2028',
  '\ufeff',
  '\u{10fffe}',
)

const textArb: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.string({ unit: trickyChar, maxLength: 14 }), weight: 6 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 16 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }), weight: 1 },
    { arbitrary: fc.constantFrom('', ' ', '\n', '\n\n', 'x\n', '\ta\tbb\tccc'), weight: 1 },
  )
  .filter(storable)

const nameArb: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.string({ unit: trickyChar, minLength: 1, maxLength: 8 }), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), weight: 1 },
    {
      arbitrary: fc.constantFrom('a', 'id', '?column?', 'a very long column name', '漢字', 'x\ny\nz'),
      weight: 2,
    },
  )
  .filter((s) => storable(s) && s.length > 0 && Buffer.byteLength(s) <= 63)

/** A column type and SQL literals of it (psql decides alignment by the result's type OID). */
interface ColumnKind {
  readonly type: string
  readonly literal: fc.Arbitrary<string>
}

const lit = (type: string) => (v: { toString(): string }) => `${quoteLiteral(v.toString())}::${type}`

const kinds: readonly ColumnKind[] = [
  { type: 'text', literal: textArb.map(lit('text')) },
  { type: 'text', literal: textArb.map(lit('text')) },
  { type: 'int2', literal: fc.integer({ min: -32768, max: 32767 }).map(lit('int2')) },
  { type: 'int4', literal: fc.integer().map(lit('int4')) },
  { type: 'int8', literal: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(lit('int8')) },
  {
    type: 'numeric',
    literal: fc.oneof(fc.integer(), fc.double({ noDefaultInfinity: true, noNaN: true })).map(lit('numeric')),
  },
  { type: 'float4', literal: fc.float().map(lit('float4')) },
  { type: 'float8', literal: fc.double().map(lit('float8')) },
  { type: 'oid', literal: fc.nat().map(lit('oid')) },
  { type: 'xid', literal: fc.nat().map(lit('xid')) },
  { type: 'xid8', literal: fc.nat().map(lit('xid8')) },
  { type: 'cid', literal: fc.nat().map(lit('cid')) },
  { type: 'money', literal: fc.integer({ min: -1e6, max: 1e6 }).map((n) => `(${n})::money`) },
  { type: 'bool', literal: fc.boolean().map(lit('bool')) },
  { type: 'int_domain', literal: fc.integer().map(lit('int_domain')) },
  { type: 'regtype', literal: fc.constantFrom('int4', 'text', 'timestamptz').map(lit('regtype')) },
  { type: 'date', literal: fc.integer({ min: 0, max: 50000 }).map((d) => `'2000-01-01'::date + ${d}`) },
]

const columnArb = (nrows: number) =>
  fc
    .record({
      name: nameArb,
      kind: fc.constantFrom(...kinds),
    })
    .chain(({ name, kind }) =>
      fc.record({
        name: fc.constant(name),
        type: fc.constant(kind.type),
        values: fc.array(fc.option(kind.literal, { nil: null, freq: 6 }), {
          minLength: nrows,
          maxLength: nrows,
        }),
      }),
    )

const tableArb = fc
  .tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 5 }))
  .chain(([ncols, nrows]) => fc.array(columnArb(nrows), { minLength: ncols, maxLength: ncols }))

type GeneratedColumn = { name: string; type: string; values: (string | null)[] }

/** Rows become `union all` branches so every column keeps its generated type. */
function selectOf(columns: readonly GeneratedColumn[]): string {
  const nrows = columns[0]?.values.length ?? 0
  const typed = (c: GeneratedColumn, r: number): string => c.values[r] ?? `null::${c.type}`
  if (nrows === 0) {
    return `select ${columns.map((c) => `null::${c.type} as ${quoteIdent(c.name)}`).join(', ')} limit 0`
  }
  return Array.from(
    { length: nrows },
    (_, r) => `select ${columns.map((c) => `${typed(c, r)} as ${quoteIdent(c.name)}`).join(', ')}`,
  ).join(' union all ')
}

describe.skipIf(skip)('formatTable matches psql aligned output', () => {
  const db = uniqueDbName('format_table')
  let client: pg.Client

  beforeAll(async () => {
    const cluster = sharedCluster()
    await cluster.createDatabase(db)
    client = new pg.Client({
      ...cluster.clientConfig(db),
      types: { getTypeParser: () => (value: string) => value },
    })
    await client.connect()
    await client.query('create domain int_domain as int4')
  })

  afterAll(async () => {
    await client?.end()
    if (!skip) await sharedCluster().query('postgres', `drop database if exists ${quoteIdent(db)}`)
  })

  async function fetchResult(sql: string): Promise<TextResult> {
    const res = await client.query<(string | null)[]>({ text: sql, rowMode: 'array' })
    return {
      columns: res.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
      rows: res.rows,
    }
  }

  async function psqlTable(sql: string, pset: string[] = []): Promise<string> {
    const { stdout, stderr, code } = await sharedCluster().psql(db, '', [
      '-P',
      'pager=off',
      ...pset.flatMap((p) => ['-P', p]),
      '-c',
      '\\encoding UTF8',
      '-c',
      sql,
    ])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    return stdout
  }

  async function expectSame(sql: string, options: TableOptions = {}, pset: string[] = []): Promise<void> {
    const result = await fetchResult(sql)
    expect(formatTable(result, options)).toBe(await psqlTable(sql, pset))
  }

  it('centres headers, right-aligns numbers and counts rows', async () => {
    await expectSame(
      `select 1 as n, 'alice' as name, 2.5::numeric as "a wide header", null::int as empty
       union all select 12345, 'bob', -1, 7`,
    )
  })

  it('says (1 row) and (0 rows)', async () => {
    await expectSame(`select 'x' as only`)
    await expectSame(`select 'x' as only where false`)
  })

  it('prints a zero-column result as a bare rule, with no row lines', async () => {
    await expectSame('select')
    await expectSame('select from generate_series(1, 3)')
  })

  it('right-aligns exactly int2/int4/int8/float4/float8/numeric/oid/xid/xid8/cid/money', async () => {
    await expectSame(
      `select 1::int2 a, 1::int4 b, 1::int8 c, 1::float4 d, 1::float8 e, 1::numeric f, 1::oid g,
         '1'::xid h, '1'::xid8 i, '1'::cid j, 1::money k, 1::int_domain l, 'int4'::regtype m, true n,
         '1'::text o, 1::bit p, '1'::jsonb q, '12345678901'::int8 r`,
    )
  })

  it('marks continued lines of multi-line values and headers with +', async () => {
    await expectSame(
      `select E'x\\ny\\nzz' as m, 1 as "multi\nline\nheader", E'a\\n' as trailing, E'\\n' as "only newline",
         'last' as "last\ncol"
       union all select 'single', 22, E'\\n\\nb', '', E'p\\nq'`,
    )
  })

  it('expands tabs, escapes CR and control characters, measures wide and combining characters', async () => {
    await expectSame(
      `select E'a\\tb' as tab, E'\\tx\\t' as tabs, E'c\\rd' as cr, E'\\x01\\x1b\\x7f' as ctl,
         chr(128) || chr(159) as c1, '漢字かな' as cjk, 'e' || chr(769) as combining, '😀' as emoji,
         'ｱｲｳ' as halfwidth, 'Ａ' as fullwidth, chr(173) || chr(8203) as zero`,
    )
  })

  it('measures every code point at the edges of the width tables as psql does', async () => {
    const points = new Set<number>()
    for (const ranges of [ZERO_WIDTH_RANGES, WIDE_RANGES]) {
      for (let i = 0; i < ranges.length; i += 2) {
        for (const cp of [ranges[i]! - 1, ranges[i]!, ranges[i + 1]!, ranges[i + 1]! + 1]) points.add(cp)
      }
    }
    for (let cp = 1; cp < 0xa1; cp++) points.add(cp)
    const valid = [...points].filter((cp) => cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff))
    const sql = `select v, 'z' as z from (values ${valid
      .map((cp) => `('x' || chr(${cp}) || 'y')`)
      .join(', ')}) t(v) order by v`
    await expectSame(sql)
  })

  it('prints \\pset title centred above the table, or as-is when it is wider', async () => {
    const sql = `select 1 as a, 'hello world' as b`
    for (const title of ['T', 'Tt', 'a title wider than the whole table', '', '漢字', 'two\nlines']) {
      await expectSame(sql, { title }, [`title=${title}`])
    }
  })

  it('prints \\pset null for NULL', async () => {
    await expectSame(`select null::text as a, null::int as b, 'x' as c`, { nullDisplay: '∅' }, ['null=∅'])
    await expectSame(`select null::text as a, null::int as b`, { nullDisplay: '(null)' }, ['null=(null)'])
  })

  it('matches psql on generated columns of every alignment', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, async (columns) => {
        await expectSame(selectOf(columns))
      }),
      { numRuns: 150 },
    )
  })

  it('matches psql on many columns', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(columnArb(2), { minLength: 20, maxLength: 60 }), async (columns) => {
        await expectSame(selectOf(columns))
      }),
      { numRuns: 10 },
    )
  })
})
