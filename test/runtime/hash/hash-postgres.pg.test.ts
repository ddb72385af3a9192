/**
 * Property tests: every hash function of src/runtime/hash equals PostgreSQL's own on a live server
 * (the throwaway PostgreSQL 15 cluster of the `pg` project: UTF-8, C collation, little-endian host).
 * Each fast-check run sends a whole batch of values in one round trip.
 */
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  HASH_PARTITION_SEED,
  hashbpchar,
  hashbpcharextended,
  hashint2,
  hashint2extended,
  hashint4,
  hashint4extended,
  hashint8,
  hashint8extended,
  hashPartitionIndex,
  hashtext,
  hashtextextended,
  type PartitionKey,
} from '../../../src/runtime/hash/index.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../../harness/shared-cluster.js'

const skip = skipWithoutPostgres('hash functions vs live PostgreSQL')

const INT8_MIN = -(2n ** 63n)
const INT8_MAX = 2n ** 63n - 1n
/** batches per property and the largest batch: about 1000 samples per function (batches average ~40) */
const RUNS = 25
const BATCH = 100

/** Text PostgreSQL accepts: no U+0000, no lone surrogates (fast-check's units never produce those). */
const storable = (s: string): boolean => !s.includes('\u0000') && !/\p{Cs}/u.test(s)

const textArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.string({ unit: 'grapheme' }), weight: 2 },
      { arbitrary: fc.string({ unit: 'grapheme', maxLength: 60, size: 'max' }), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary' }), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 60, size: 'max' }), weight: 2 },
      { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40, size: 'max' }), weight: 2 },
      { arbitrary: fc.constant(''), weight: 1 },
      { arbitrary: fc.string({ unit: 'binary', minLength: 200, maxLength: 3000 }), weight: 1 },
    ),
    fc.oneof(fc.constant(0), fc.constant(0), fc.nat(4)),
  )
  .map(([s, blanks]) => s + ' '.repeat(blanks))
  .filter(storable)

const seedArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, INT8_MIN, INT8_MAX, HASH_PARTITION_SEED),
  fc.bigInt({ min: INT8_MIN, max: INT8_MAX }),
)

const int2Arb = fc.oneof(fc.constantFrom(-32768, 32767, 0, -1, 1), fc.integer({ min: -32768, max: 32767 }))
const int4Arb = fc.oneof(fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0, -1, 1, -32769, 32768), fc.integer())
const int8Arb: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(INT8_MIN, INT8_MAX, 0n, -1n, 1n, -(2n ** 31n), 2n ** 31n - 1n, 2n ** 32n, -(2n ** 32n)),
  fc.bigInt({ min: INT8_MIN, max: INT8_MAX }),
  fc.integer().map(BigInt),
  fc.maxSafeInteger().map(BigInt),
)

const batch = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
  fc.array(arb, { minLength: 1, maxLength: BATCH, size: 'max' })

describe.skipIf(skip)('hash functions equal PostgreSQL 15', () => {
  const db = uniqueDbName('hash')
  let client: pg.Client

  const rows = async <T>(sql: string, params: unknown[]): Promise<T[]> =>
    (await client.query(sql, params)).rows as T[]

  beforeAll(async () => {
    const cluster = sharedCluster()
    await cluster.createDatabase(db)
    client = new pg.Client(cluster.clientConfig(db))
    await client.connect()
    await client.query('set client_encoding = utf8')
  })

  afterAll(async () => {
    await client?.end()
    if (!skip) await sharedCluster().query('postgres', `drop database if exists "${db}"`)
  })

  it('runs on a UTF-8 database with a deterministic collation', async () => {
    const [row] = await rows<{ enc: string; coll: string }>(
      'select pg_encoding_to_char(encoding) as enc, datcollate as coll from pg_database where datname = $1',
      [db],
    )
    expect(row).toEqual({ enc: 'UTF8', coll: 'C' })
  })

  it('hashtext, varchar, hashbpchar and their extended variants', async () => {
    await fc.assert(
      fc.asyncProperty(batch(textArb), seedArb, async (strings, seed) => {
        const got = await rows<{ t: number; v: number; b: number; te: string; ve: string; be: string }>(
          `select hashtext(x) as t, hashtext(x::varchar) as v, hashbpchar(x::bpchar) as b,
                  hashtextextended(x, $2)::text as te, hashtextextended(x::varchar, $2)::text as ve,
                  hashbpcharextended(x::bpchar, $2)::text as be
             from unnest($1::text[]) with ordinality as u(x, i) order by i`,
          [strings, seed.toString()],
        )
        expect(got).toHaveLength(strings.length)
        strings.forEach((s, i) => {
          const row = got[i]!
          const ours = {
            t: hashtext(s),
            v: hashtext(s),
            b: hashbpchar(s),
            te: hashtextextended(s, seed).toString(),
            ve: hashtextextended(s, seed).toString(),
            be: hashbpcharextended(s, seed).toString(),
          }
          expect(ours, JSON.stringify(s)).toEqual(row)
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('long strings (scratch growth, native encoder path)', async () => {
    const strings = [1000, 4000, 20_000, 200_000, 500_000].map((n, k) => {
      const s = 'aé日😀 xyz'.repeat(Math.ceil(n / 9)).slice(0, n)
      return (/\p{Cs}/u.test(s) ? s.slice(0, -1) : s) + ' '.repeat(k)
    })
    const got = await rows<{ t: number; b: number; te: string }>(
      `select hashtext(x) as t, hashbpchar(x::bpchar) as b, hashtextextended(x, 77)::text as te
         from unnest($1::text[]) with ordinality as u(x, i) order by i`,
      [strings],
    )
    strings.forEach((s, i) => {
      expect({ t: hashtext(s), b: hashbpchar(s), te: hashtextextended(s, 77n).toString() }).toEqual(got[i])
    })
  })

  it('hashint2 and hashint2extended', async () => {
    await fc.assert(
      fc.asyncProperty(batch(int2Arb), seedArb, async (values, seed) => {
        const got = await rows<{ h: number; e: string }>(
          `select hashint2(v) as h, hashint2extended(v, $2)::text as e
             from unnest($1::int2[]) with ordinality as u(v, i) order by i`,
          [values.map(String), seed.toString()],
        )
        values.forEach((v, i) => {
          expect({ h: hashint2(v), e: hashint2extended(v, seed).toString() }, `int2 ${v}`).toEqual(got[i])
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('hashint4 and hashint4extended', async () => {
    await fc.assert(
      fc.asyncProperty(batch(int4Arb), seedArb, async (values, seed) => {
        const got = await rows<{ h: number; e: string }>(
          `select hashint4(v) as h, hashint4extended(v, $2)::text as e
             from unnest($1::int4[]) with ordinality as u(v, i) order by i`,
          [values.map(String), seed.toString()],
        )
        values.forEach((v, i) => {
          expect({ h: hashint4(v), e: hashint4extended(v, seed).toString() }, `int4 ${v}`).toEqual(got[i])
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('hashint8 and hashint8extended (bigint and safe-integer number inputs)', async () => {
    await fc.assert(
      fc.asyncProperty(batch(int8Arb), seedArb, async (values, seed) => {
        const got = await rows<{ h: number; e: string }>(
          `select hashint8(v) as h, hashint8extended(v, $2)::text as e
             from unnest($1::int8[]) with ordinality as u(v, i) order by i`,
          [values.map(String), seed.toString()],
        )
        values.forEach((v, i) => {
          const expected = got[i]
          expect({ h: hashint8(v), e: hashint8extended(v, seed).toString() }, `int8 ${v}`).toEqual(expected)
          const n = Number(v)
          if (Number.isSafeInteger(n)) {
            expect({ h: hashint8(n), e: hashint8extended(n, seed).toString() }, `int8 ${n}`).toEqual(expected)
          }
        })
      }),
      { numRuns: RUNS },
    )
  })

  describe('hash partitioning', () => {
    const MODULUS = 7
    // two coprime moduli near 2^31: together they pin down about 62 bits of the 64-bit row hash
    const BIG_MODULI = [2147483647, 2147483646] as const

    beforeAll(async () => {
      await client.query(
        `create table pm (i int4, a int4, b text, c int8, d int2, e bpchar, f varchar)
           partition by hash (a, b, c, d, e, f)`,
      )
      for (let r = 0; r < MODULUS; r++) {
        await client.query(
          `create table pm_${r} partition of pm for values with (modulus ${MODULUS}, remainder ${r})`,
        )
      }
    })

    interface Row {
      a: number | null
      b: string | null
      c: bigint | null
      d: number | null
      e: string | null
      f: string | null
    }

    const keysOf = (row: Row): PartitionKey[] => [
      { type: 'int4', value: row.a },
      { type: 'text', value: row.b },
      { type: 'int8', value: row.c },
      { type: 'int2', value: row.d },
      { type: 'bpchar', value: row.e },
      { type: 'varchar', value: row.f },
    ]

    const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { freq: 3 })
    const anyRowArb: fc.Arbitrary<Row> = fc.record({
      a: nullable(int4Arb),
      b: nullable(textArb),
      c: nullable(int8Arb),
      d: nullable(int2Arb),
      e: nullable(textArb),
      f: nullable(textArb),
    })
    const columns = ['a', 'b', 'c', 'd', 'e', 'f'] as const
    // a third of the rows keep one key only: the hash of a single-column key
    const rowArb: fc.Arbitrary<Row> = fc
      .tuple(anyRowArb, fc.nat(5), fc.nat(2))
      .map(([row, keep, mode]) =>
        mode > 0
          ? row
          : (Object.fromEntries(
              columns.map((col, k) => [col, k === keep ? row[col] : null]),
            ) as unknown as Row),
      )

    const params = (batchRows: Row[]): unknown[] => [
      batchRows.map((r) => r.a),
      batchRows.map((r) => r.b),
      batchRows.map((r) => (r.c === null ? null : r.c.toString())),
      batchRows.map((r) => r.d),
      batchRows.map((r) => r.e),
      batchRows.map((r) => r.f),
    ]
    const UNNEST = `unnest($1::int4[], $2::text[], $3::int8[], $4::int2[], $5::bpchar[], $6::varchar[])
                      with ordinality as u(a, b, c, d, e, f, i)`

    it('rows land in the partition PostgreSQL chooses (tableoid)', async () => {
      await fc.assert(
        fc.asyncProperty(batch(rowArb), async (batchRows) => {
          const got = await rows<{ i: number; part: string }>(
            `insert into pm select i, a, b, c, d, e, f from ${UNNEST}
               returning i, tableoid::regclass::text as part`,
            params(batchRows),
          )
          expect(got).toHaveLength(batchRows.length)
          for (const { i, part } of got) {
            const row = batchRows[i - 1]!
            expect(`pm_${hashPartitionIndex(MODULUS, keysOf(row))}`, JSON.stringify(row, bigintJson)).toBe(
              part,
            )
          }
        }),
        { numRuns: RUNS },
      )
    })

    it('satisfies_hash_partition agrees for moduli near 2^31', async () => {
      await fc.assert(
        fc.asyncProperty(batch(rowArb), async (batchRows) => {
          const remainders = BIG_MODULI.map((m) => batchRows.map((row) => hashPartitionIndex(m, keysOf(row))))
          const got = await rows<{ ok0: boolean; ok1: boolean; miss: boolean }>(
            `select satisfies_hash_partition('pm'::regclass, ${BIG_MODULI[0]}, ($7::int4[])[i], a, b, c, d, e, f) as ok0,
                    satisfies_hash_partition('pm'::regclass, ${BIG_MODULI[1]}, ($8::int4[])[i], a, b, c, d, e, f) as ok1,
                    satisfies_hash_partition('pm'::regclass, ${BIG_MODULI[0]},
                                             (($7::int4[])[i] + 1) % ${BIG_MODULI[0]}, a, b, c, d, e, f) as miss
               from ${UNNEST} order by i`,
            [...params(batchRows), remainders[0], remainders[1]],
          )
          expect(got).toHaveLength(batchRows.length)
          got.forEach((r, i) => {
            expect(r, JSON.stringify(batchRows[i], bigintJson)).toEqual({ ok0: true, ok1: true, miss: false })
          })
        }),
        { numRuns: RUNS },
      )
    })
  })
})

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value
}
