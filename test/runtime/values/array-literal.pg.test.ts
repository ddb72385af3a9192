/**
 * Property tests: array literals read and printed like PostgreSQL 15's array_in/array_out. Generated
 * literals (well-formed or not) read by us and by PostgreSQL give the same elements, dimensions and
 * printed text, or the same error; arrays we print read back in PostgreSQL to the same elements; arrays
 * PostgreSQL prints read with ours to the same elements.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalText, parseArrayLiteral, printArrayLiteral } from '../../../src/runtime/values/index.js'
import { skipWithoutPostgres } from '../../harness/shared-cluster.js'
import { outcome, PgProbe, storable } from './pg-probe.js'
import { planType } from './plan-types.js'

const skip = skipWithoutPostgres('array literals vs live PostgreSQL')

const RUNS = 40
const BATCH = 80

const batch = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
  fc.array(arb, { minLength: 1, maxLength: BATCH, size: 'max' })

const tokens = (list: readonly string[], maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...list), { maxLength }).map((parts) => parts.join(''))

/** well-formed literals of a random shape, elements spelled as given (bare, quoted, escaped, padded) */
const spelledLiteral = (spellings: readonly string[]): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.constantFrom(...spellings), { minLength: 27, maxLength: 27 }),
      fc.array(fc.constantFrom('', '', '', ' ', '\n'), { minLength: 40, maxLength: 40 }),
      fc.constantFrom('', '', ' ', '[1:1]=', '[0:0]='),
    )
    .map(([dims, pool, pads, prefix]) => {
      let e = 0
      let p = 0
      const pad = (): string => pads[p++ % pads.length] ?? ''
      const level = (depth: number): string => {
        const items = Array.from({ length: dims[depth] ?? 0 }, () =>
          depth + 1 < dims.length ? level(depth + 1) : (pool[e++ % pool.length] ?? ''),
        )
        return `${pad()}{${items.join(',')}}${pad()}`
      }
      return prefix + level(0)
    })

/** a literal with one character inserted, removed or replaced */
const mutated = (literal: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(
      literal,
      fc.nat(),
      fc.constantFrom('insert', 'remove', 'replace', 'keep'),
      fc.constantFrom('{', '}', ',', '"', '\\', ' ', 'a', 'N'),
    )
    .map(([text, at, how, ch]) => {
      const k = at % (text.length + 1)
      if (how === 'insert') return text.slice(0, k) + ch + text.slice(k)
      if (how === 'remove') return text.slice(0, k) + text.slice(k + 1)
      if (how === 'replace') return text.slice(0, k) + ch + text.slice(k + 1)
      return text
    })

/** literal-ish texts: mostly braces, delimiters, quotes and escapes */
const literalText = (elementTokens: readonly string[], spellings: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: mutated(spelledLiteral(spellings)), weight: 5 },
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom('{', '{', '{{', ' {', ''),
          tokens(['{', '}', ',', '"', '\\', ' ', ...elementTokens, ...elementTokens], 14),
        )
        .map(([a, b]) => a + b),
      weight: 3,
    },
    {
      arbitrary: fc
        .tuple(
          fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -1, max: 3 }), fc.boolean()), {
            minLength: 1,
            maxLength: 3,
          }),
          fc.constantFrom('=', ' = ', '', ':'),
          tokens(['{', '}', ',', ...elementTokens], 10),
        )
        .map(
          ([dims, eq, body]) =>
            dims.map(([lo, len, withLower]) => (withLower ? `[${lo}:${lo + len}]` : `[${len}]`)).join('') +
            `${eq}{${body}}`,
        ),
      weight: 2,
    },
    {
      arbitrary: tokens(['[', ']', ':', '=', '-', '+', '1', '2', '0', ' ', '{', '}', ','], 12),
      weight: 1,
    },
  )

const TEXT_TOKENS = ['a', 'b c', 'NULL', 'null', 'é', '\t', '"x"', '\\"', '\\\\', '1', ';', '()']
const TEXT_SPELLINGS = [
  'a',
  ' a ',
  'NULL',
  'null',
  'NuLL',
  '"NULL"',
  '\\NULL',
  'b c',
  '"b c"',
  '""',
  '"\\""',
  'a\\ ',
].concat(['\\ a', 'é', ' 2 ', '"{}"', '\\,', '"a"'])
const INT_TOKENS = ['1', '-2', ' 3 ', 'NULL', 'null', '"4"', '+5', 'x', '007', '99999999999']
const INT_SPELLINGS = [
  '1',
  ' -2 ',
  'NULL',
  'null',
  '"3"',
  '\\4',
  ' +5',
  '007',
  '"NULL"',
  '""',
  '9\\9',
  '2147483648',
]

/** nested arrays of strings or nulls with a regular shape, 0 to 3 dimensions */
const regularArray: fc.Arbitrary<{ elements: (string | null)[]; dims: number[] }> = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 })
  .chain((dims) => {
    const count = dims.reduce((a, b) => a * b, 1)
    const element = fc.option(
      fc
        .oneof(
          fc.string({ unit: 'binary', maxLength: 8 }),
          fc.constantFrom('', 'NULL', 'null', ' ', '"', '\\', '{', '}', ',', 'a b', 'NuLl'),
        )
        .filter(storable),
      { freq: 6 },
    )
    return fc.array(element, { minLength: count, maxLength: count }).map((elements) => ({ elements, dims }))
  })

/** row-major elements as nested JS arrays, the shape array_to_json gives */
function nest(elements: readonly (string | null)[], dims: readonly number[]): unknown {
  if (dims.length === 0) return []
  const [first, ...rest] = dims
  if (rest.length === 0) return [...elements]
  const size = rest.reduce((a, b) => a * b, 1)
  return Array.from({ length: first ?? 0 }, (_, k) => nest(elements.slice(k * size, (k + 1) * size), rest))
}

describe.skipIf(skip)('array literals equal PostgreSQL 15', () => {
  let probe: PgProbe

  beforeAll(async () => {
    probe = await PgProbe.open('values_array')
  })

  afterAll(async () => {
    await probe?.close()
  })

  const agrees = async (typname: string, sqlType: string, arb: fc.Arbitrary<string>) => {
    const type = planType(typname)
    await fc.assert(
      fc.asyncProperty(batch(arb), async (texts) => {
        const theirs = await probe.read(sqlType, texts)
        const ours = texts.map((t) => outcome(() => canonicalText(type, t)))
        expect(texts.map((t, k) => ({ t, ...ours[k] }))).toEqual(texts.map((t, k) => ({ t, ...theirs[k] })))
      }),
      { numRuns: RUNS },
    )
  }

  it('text[] literals read and print alike, errors included', () =>
    agrees('_text', 'text[]', literalText(TEXT_TOKENS, TEXT_SPELLINGS)))

  it('int4[] literals read alike, element errors included', () =>
    agrees('_int4', 'int4[]', literalText(INT_TOKENS, INT_SPELLINGS)))

  it('box[] literals split on ";"', async () => {
    const texts = ['{(1,1),(0,0);(3,3),(2,2)}', '{"(1,1),(0,0)";NULL}', '{{(1,1),(0,0)};{(2,2),(1,1)}}', '{}']
    const theirs = await probe.read('box[]', texts)
    const ours = texts.map((t) => outcome(() => printArrayLiteral(parseArrayLiteral(t, ';'), ';')))
    expect(ours).toEqual(theirs)
    const bad = ['{(1,1),(0,0);}', '{;}', '{(1,1),(0,0)}x']
    const theirErrors = await probe.read('box[]', bad)
    const ourErrors = bad.map((t) => outcome(() => printArrayLiteral(parseArrayLiteral(t, ';'), ';')))
    expect(ourErrors).toEqual(theirErrors)
  })

  it('arrays we print read back in PostgreSQL to the same elements and print identically', async () => {
    await fc.assert(
      fc.asyncProperty(batch(regularArray), async (arrays) => {
        const printed = arrays.map((a) => printArrayLiteral(a))
        const rows = await probe.query<{ t: string; j: unknown; d: string | null }>(
          `select x::text[]::text as t, array_to_json(x::text[]) as j, array_dims(x::text[]) as d
             from unnest($1::text[]) with ordinality u(x, n) order by n`,
          [printed],
        )
        expect(rows.map((r) => r.t)).toEqual(printed)
        expect(rows.map((r) => r.j)).toEqual(arrays.map((a) => nest(a.elements, a.dims)))
        expect(rows.map((r) => r.d)).toEqual(arrays.map((a) => a.dims.map((d) => `[1:${d}]`).join('')))
      }),
      { numRuns: RUNS },
    )
  })

  it('arrays PostgreSQL prints read with ours to the same elements', async () => {
    await fc.assert(
      fc.asyncProperty(batch(regularArray), fc.integer({ min: -5, max: 5 }), async (arrays, lower) => {
        // node-postgres sends each array as its own literal; PostgreSQL shifts it and prints it
        const rows = await probe.query<{ t: string }>(
          `select array_out(a)::text as t from (
             select case when $2::int = 1 then x::text[] else
               ('[' || $2::int || ':' || ($2::int + array_length(x::text[], 1) - 1) || ']' ||
                substr(array_dims(x::text[]), strpos(array_dims(x::text[]), ']') + 1) || '=' || x)::text[] end as a, n
             from unnest($1::text[]) with ordinality u(x, n)) s order by n`,
          [arrays.map((a) => printArrayLiteral(a)), lower],
        )
        const read = rows.map((r) => parseArrayLiteral(r.t))
        expect(read.map((r) => r.elements)).toEqual(arrays.map((a) => a.elements))
        expect(read.map((r) => r.dims)).toEqual(arrays.map((a) => a.dims))
        expect(read.map((r) => r.lowerBounds[0])).toEqual(arrays.map(() => lower))
      }),
      { numRuns: RUNS },
    )
  })
})
