/**
 * formatCsv prints byte for byte what `psql --csv -c 'select …'` (PostgreSQL 15) prints.
 * Each case builds a select of literals, fetches the result in text format through
 * node-postgres (that is the formatter's input) and runs the same select through psql.
 */
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatCsv } from '../../../src/cli/format/csv.js'
import type { TextResult } from '../../../src/cli/format/result.js'
import { sharedCluster, skipWithoutPostgres } from '../../harness/shared-cluster.js'

const skip = skipWithoutPostgres('psql --csv output vs formatCsv')

const DB = 'postgres'

const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`
const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`

/** Text PostgreSQL can store: no U+0000, no lone surrogates. */
const storable = (s: string): boolean => !s.includes('\u0000') && !/\p{Cs}/u.test(s)

/** Characters that matter to CSV quoting or to psql's byte handling, mixed with ordinary ones. */
const trickyChar = fc.constantFrom(
  ',',
  '"',
  '\n',
  '\r',
  '\t',
  ' ',
  '\\',
  '.',
  "'",
  ';',
  'a',
  'Z',
  '0',
  'é',
  '漢',
  '\u0301',
  '😀',
  '\u0001',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\ufffe',
  '\u{10fffe}',
  '\u{1ffff}',
)

const textArb: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.string({ unit: trickyChar, maxLength: 12 }), weight: 6 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }), weight: 1 },
    { arbitrary: fc.constantFrom('', ' ', '  x  ', '\\.', '\\', '.', '""', ',', '\r\n', 'NULL'), weight: 2 },
  )
  .filter(storable)

const valueArb: fc.Arbitrary<string | null> = fc.option(textArb, { nil: null, freq: 6 })

/** Column names PostgreSQL keeps unchanged: non-empty, at most 63 bytes. */
const nameArb: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.string({ unit: trickyChar, minLength: 1, maxLength: 8 }), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), weight: 1 },
    { arbitrary: fc.constantFrom('a', 'a', 'x', '?column?', 'select', 'A b', '\\.'), weight: 2 },
  )
  .filter((s) => storable(s) && s.length > 0 && Buffer.byteLength(s) <= 63)

const tableArb = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 5 }))
  .chain(([ncols, nrows]) =>
    fc.record({
      names: fc.array(nameArb, { minLength: ncols, maxLength: ncols }),
      rows: fc.array(fc.array(valueArb, { minLength: ncols, maxLength: ncols }), {
        minLength: nrows,
        maxLength: nrows,
      }),
    }),
  )

/** `select column1 as "n1", … from (values (…), …) v` — select-list names may repeat. */
function selectOf(names: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  const cols = names.map((n, i) => `column${i + 1} as ${quoteIdent(n)}`).join(', ')
  const tuple = (row: readonly (string | null)[]): string =>
    `(${row.map((v) => (v === null ? 'null::text' : `${quoteLiteral(v)}::text`)).join(', ')})`
  if (rows.length === 0) {
    return `select ${cols} from (values ${tuple(names.map(() => null))}) v limit 0`
  }
  return `select ${cols} from (values ${rows.map(tuple).join(', ')}) v`
}

describe.skipIf(skip)('formatCsv matches psql --csv', () => {
  let client: pg.Client

  beforeAll(async () => {
    client = new pg.Client({
      ...sharedCluster().clientConfig(DB),
      types: { getTypeParser: () => (value: string) => value },
    })
    await client.connect()
  })

  afterAll(async () => {
    await client?.end()
  })

  async function fetchResult(sql: string): Promise<TextResult> {
    const res = await client.query<(string | null)[]>({ text: sql, rowMode: 'array' })
    return {
      columns: res.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
      rows: res.rows,
    }
  }

  async function psqlCsv(sql: string, extra: string[] = []): Promise<string> {
    const { stdout, stderr, code } = await sharedCluster().psql(DB, '', [
      '--csv',
      '-P',
      'pager=off',
      ...extra,
      '-c',
      '\\encoding UTF8',
      '-c',
      sql,
    ])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    return stdout
  }

  async function expectSame(sql: string): Promise<void> {
    const result = await fetchResult(sql)
    expect(formatCsv(result)).toBe(await psqlCsv(sql))
  }

  it('quotes only fields with a comma, double quote, CR or LF, and the field \\.', async () => {
    await expectSame(
      `select 'a,b' as x, '' as empty, null as nul, ' sp ' as spaces, 'q"q' as quote, E'l\\nf' as lf,
         E'c\\rr' as cr, '\\.' as eod, '\\' as backslash, '.' as dot, E'\\t' as tab, 'x;y' as "a,b",
         'NULL' as word, '"' as "q""h"`,
    )
  })

  it('prints NULL and the empty string alike, as an empty unquoted field', async () => {
    const sql = `select null::text as a, ''::text as b, null::int as c`
    const out = await psqlCsv(sql)
    expect(out).toBe('a,b,c\n,,\n')
    expect(formatCsv(await fetchResult(sql))).toBe(out)
  })

  it('ends lines with LF, also for values containing CRLF', async () => {
    await expectSame(`select E'a\\r\\nb' as v union all select 'c'`)
  })

  it('prints the header of a result without rows', async () => {
    await expectSame(`select 1 as a, 'x' as "b c" where false`)
  })

  it('prints a single empty line for a zero-column result, whatever its row count', async () => {
    const sql = 'select from generate_series(1, 3)'
    const out = await psqlCsv(sql)
    expect(out).toBe('\n')
    expect(formatCsv(await fetchResult(sql))).toBe(out)
  })

  it('keeps unnamed columns as ?column? and repeated names as they are', async () => {
    await expectSame(`select 1, 2 as a, 3 as a, 'x' as "?column?"`)
  })

  it('prints non-text types in their text form', async () => {
    await expectSame(
      `select 1.50::numeric as n, true as b, '2024-01-02'::date as d, 'infinity'::float8 as f,
         array['a,b', null, 'c"d'] as arr, row(1, 'x y', null) as rec, '{"k": "v,w"}'::jsonb as j,
         '\\x00ff'::bytea as bin`,
    )
  })

  it('uses \\pset null for NULL, and quotes it when needed', async () => {
    const sql = `select null::text as a, 'x' as b`
    const result = await fetchResult(sql)
    expect(formatCsv(result, { nullDisplay: '(null)' })).toBe(await psqlCsv(sql, ['-P', 'null=(null)']))
    expect(formatCsv(result, { nullDisplay: 'a,b' })).toBe(await psqlCsv(sql, ['-P', 'null=a,b']))
  })

  it('drops supplementary-plane noncharacters the way psql does', async () => {
    await expectSame(`select 'a\u{1fffe}b\u{10ffff}c\ufffed' as "x\u{10fffe}y"`)
  })

  it('matches psql on generated values and column names', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, async ({ names, rows }) => {
        await expectSame(selectOf(names, rows))
      }),
      { numRuns: 150 },
    )
  })

  it('matches psql on many columns', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 30, max: 120 }),
        fc.array(valueArb, { minLength: 120, maxLength: 120 }),
        async (ncols, values) => {
          const names = Array.from({ length: ncols }, (_, i) => `c${i % 7}`)
          await expectSame(selectOf(names, [values.slice(0, ncols)]))
        },
      ),
      { numRuns: 10 },
    )
  })
})
