/**
 * Property tests: encodeValue's text for generated JS values is what PostgreSQL 15's output function
 * prints for the value it reads from that text (so it is exactly what PL/Proxy would send), and
 * decodeValue of PostgreSQL's text gives back the value, and the same value node-postgres gives.
 * One query per batch: the texts go as one text[] parameter and are cast in an unnest.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeValue,
  type EncodeOptions,
  encodeValue,
  float4out,
  namein,
  printArrayLiteral,
} from '../../../src/runtime/values/index.js'
import { skipWithoutPostgres } from '../../harness/shared-cluster.js'
import { PgProbe, storable } from './pg-probe.js'
import { planType } from './plan-types.js'

const skip = skipWithoutPostgres('value encoding vs live PostgreSQL')

const RUNS = 20
const BATCH = 60

const batch = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
  fc.array(arb, { minLength: 1, maxLength: BATCH, size: 'max' })

const text = fc.string({ unit: 'binary', maxLength: 30 }).filter(storable)
const utc: EncodeOptions = { dateZone: 'utc' }
const dates = fc.date({
  min: new Date('0001-01-01T00:00:00Z'),
  max: new Date('9999-12-31T23:59:59Z'),
  noInvalidDate: true,
})

interface RoundTrip {
  /** the test's plan type name (see plan-types.ts) and its SQL name */
  readonly type: string
  readonly sql: string
  readonly values: fc.Arbitrary<unknown>
  /** what decoding PostgreSQL's text should give back for a value */
  readonly back?: (v: unknown) => unknown
  readonly options?: EncodeOptions
  /** PostgreSQL reprints the text differently (jsonb): compare decoded values only */
  readonly reprints?: boolean
}

const regular2d = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[][]> =>
  fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
    .chain(([rows, cols]) =>
      fc.array(fc.array(arb, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }),
    )

const CASES: readonly RoundTrip[] = [
  { type: 'int2', sql: 'int2', values: fc.integer({ min: -32768, max: 32767 }) },
  { type: 'int4', sql: 'int4', values: fc.oneof(fc.integer(), fc.integer().map(String)), back: Number },
  {
    type: 'int8',
    sql: 'int8',
    values: fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.maxSafeInteger()),
    back: String,
  },
  { type: 'oid', sql: 'oid', values: fc.integer({ min: 0, max: 4294967295 }) },
  { type: 'bool', sql: 'bool', values: fc.boolean() },
  { type: 'float8', sql: 'float8', values: fc.double() },
  // node-postgres reads a real's text as a double: the float4 value itself reads back to the same text
  { type: 'float4', sql: 'float4', values: fc.float(), back: (v) => Number.parseFloat(float4out(Number(v))) },
  {
    type: 'numeric',
    sql: 'numeric',
    values: fc.oneof(fc.double(), fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n })),
    back: undefined,
  },
  { type: 'text', sql: 'text', values: text },
  {
    type: 'name',
    sql: 'name',
    values: fc.string({ unit: 'grapheme', maxLength: 70 }).filter(storable),
    back: (v) => namein(String(v)),
  },
  {
    type: 'bytea',
    sql: 'bytea',
    values: fc.uint8Array({ maxLength: 20 }),
    back: (v) => Buffer.from(v as Uint8Array),
  },
  { type: 'timestamptz', sql: 'timestamptz', values: dates, options: utc },
  { type: 'timestamp', sql: 'timestamp', values: dates, options: utc },
  {
    type: 'date',
    sql: 'date',
    values: dates.map((d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))),
    options: utc,
  },
  // a JS string is sent as JSON text (node-postgres' convention): generate the other JSON values
  {
    type: 'json',
    sql: 'json',
    values: fc.jsonValue({ stringUnit: 'grapheme' }).filter((v) => typeof v !== 'string'),
  },
  {
    type: 'jsonb',
    sql: 'jsonb',
    values: fc
      .jsonValue({ stringUnit: 'grapheme-ascii' })
      .filter((v) => typeof v !== 'string' && !JSON.stringify(v).includes('\\u0000')),
    reprints: true,
  },
  { type: '_int4', sql: 'int4[]', values: fc.array(fc.option(fc.integer()), { maxLength: 6 }) },
  { type: '_int4', sql: 'int4[]', values: regular2d(fc.option(fc.integer())) },
  { type: '_text', sql: 'text[]', values: fc.array(fc.option(text), { maxLength: 6 }) },
  { type: '_text', sql: 'text[]', values: regular2d(fc.option(text)) },
  { type: '_float8', sql: 'float8[]', values: fc.array(fc.option(fc.double()), { maxLength: 6 }) },
  { type: '_bool', sql: 'bool[]', values: fc.array(fc.option(fc.boolean()), { maxLength: 6 }) },
  {
    type: '_bytea',
    sql: 'bytea[]',
    values: fc.array(fc.option(fc.uint8Array({ maxLength: 6 })), { maxLength: 4 }),
    back: (v) => (v as (Uint8Array | null)[]).map((b) => (b === null ? null : Buffer.from(b))),
  },
  {
    type: '_box',
    sql: 'box[]',
    values: fc.array(
      fc
        .tuple(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 }), fc.nat(9), fc.nat(9))
        .map(([x, y, w, h]) => `(${x + w},${y + h}),(${x},${y})`),
      { maxLength: 4 },
    ),
    // node-postgres has no parser for box[]: the literal stays text
    back: (v) => printArrayLiteral({ elements: v as string[] }, ';'),
  },
  { type: 'public.posint', sql: 'posint', values: fc.integer({ min: 0 }) },
]

describe.skipIf(skip)('encoded values round-trip through PostgreSQL 15', () => {
  let probe: PgProbe

  let savedTz: string | undefined

  beforeAll(async () => {
    // node-postgres reads timestamp and date as local time: make local time UTC, like the session
    savedTz = process.env.TZ
    process.env.TZ = 'UTC'
    probe = await PgProbe.open('values_encode')
    await probe.query('create domain posint as int4')
    await probe.query(`set timezone = 'UTC'`)
  })

  afterAll(async () => {
    await probe?.close()
    if (savedTz === undefined) delete process.env.TZ
    else process.env.TZ = savedTz
  })

  CASES.forEach((c, k) => {
    it(`${c.sql} (#${k + 1})`, async () => {
      const type = planType(c.type)
      await fc.assert(
        fc.asyncProperty(batch(c.values), async (values) => {
          const sent = values.map((v) => encodeValue(type, v, c.options))
          const [fn] = await probe.query<{ f: string }>(
            'select typoutput::regproc::text as f from pg_type where oid = $1::regtype',
            [c.sql],
          )
          const outfn = fn?.f ?? ''
          const back = await probe.query<{ t: string | null; v: unknown }>(
            `select ${outfn}(x::${c.sql})::text as t, x::${c.sql} as v
               from unnest($1::text[]) with ordinality u(x, n) order by n`,
            [sent],
          )
          if (!c.reprints) expect(back.map((r) => r.t)).toEqual(sent)
          const decoded = back.map((r) => decodeValue(type, r.t))
          // decodeValue gives what node-postgres gives for the column
          expect(decoded).toEqual(back.map((r) => r.v))
          const expected = values.map((v, i) => {
            if (c.back) return c.back(v)
            if (c.type === 'numeric') return sent[i]
            if (c.type === 'json' || c.type === 'jsonb') return JSON.parse(JSON.stringify(v))
            return v
          })
          expect(decoded).toEqual(expected)
        }),
        { numRuns: RUNS },
      )
    })
  })
})
