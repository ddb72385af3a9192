/**
 * Property-based differential tests: fast-check generates arguments (unicode text
 * without NUL, int2/int4/int8 with their extremes, arrays with NULL elements for
 * SPLIT, NULL arguments) and every call goes through the real PL/Proxy 2.10 and
 * through plproxy-ts (see env.ts); the answering partitions, rows, errors, notices
 * and the SQL text each partition received must be the same (see env.ts
 * `comparable` for what is left out after errors). Each property is bounded in
 * runs and in time.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { skipWithoutPlproxy } from '../../harness/shared-cluster.js'
import {
  type Case,
  comparable,
  createDiffEnv,
  type DiffEnv,
  differs,
  type Mode,
  type Outcome,
} from './env.js'

const skip = skipWithoutPlproxy('differential runtime tests (fast-check)')

const RUNS = 200
/** ms a property may run; fast-check stops early (not a failure) when it is reached */
const TIME_LIMIT = 5_000

const INT8_MIN = -(2n ** 63n)
const INT8_MAX = 2n ** 63n - 1n

/** Text PostgreSQL accepts: no U+0000, no lone surrogates. */
const storable = (s: string): boolean => !s.includes('\u0000') && !/\p{Cs}/u.test(s)

const textArb: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    fc.constantFrom('', ' ', 'NULL', '"', '\\', "'", '{}', 'a,b'),
  )
  .filter(storable)

const int2Arb = fc.oneof(
  fc.constantFrom(-32768, 32767, 0, -1, 1, -32767),
  fc.integer({ min: -32768, max: 32767 }),
)
const int4Arb = fc.oneof(
  fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0, -1, 1, -(2 ** 31) + 1, 3, -3),
  fc.integer(),
  fc.integer({ min: -20, max: 20 }),
)
const int8Arb = fc.oneof(
  fc.constantFrom(INT8_MIN, INT8_MAX, 0n, -1n, 1n, INT8_MIN + 1n, 2n ** 53n + 1n, -(2n ** 32n) - 1n),
  fc.bigInt({ min: INT8_MIN, max: INT8_MAX }),
  fc.bigInt({ min: -100n, max: 100n }),
)

/** An argument that is sometimes NULL */
const orNull = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null, freq: 12 })

/** A one-dimensional array literal (every element quoted, so any text survives) */
function arrayLiteral(elements: readonly (string | null)[]): string {
  const quote = (e: string) => `"${e.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
  return `{${elements.map((e) => (e === null ? 'NULL' : quote(e))).join(',')}}`
}

const str = (v: string | number | bigint | null): string | null => (v === null ? null : String(v))

describe.skipIf(skip)('differential properties: PL/Proxy 2.10 vs plproxy-ts', () => {
  let env: DiffEnv
  beforeAll(async () => {
    env = await createDiffEnv('dfr_prop')
  })
  afterAll(async () => {
    await env?.end()
  })

  let calls = 0
  const same = async (k: Case, mode: Mode): Promise<{ real: Outcome; ours: Outcome }> => {
    calls++
    const r = await env.both(k.fn, k.args, { mode })
    const { real, ours } = comparable(k, r.real, r.ours)
    expect(ours, differs(k, mode)).toEqual(real)
    return r
  }
  const check = (arb: fc.Arbitrary<Case>, mode: Mode = 'hybrid', numRuns = RUNS) =>
    fc.assert(
      fc.asyncProperty(arb, async (k) => {
        await same(k, mode)
      }),
      {
        numRuns,
        interruptAfterTimeLimit: TIME_LIMIT,
        markInterruptAsFailure: false,
        endOnFailure: true,
      },
    )

  it('RUN ON hash of text (hashtext natively, SQL functions locally; 1/4/8/3-modular partitions)', async () => {
    const fns = [
      'r_text',
      'r_text_m',
      'r8_text',
      'r1_text',
      'm_text',
      'u_hash',
      'u_hash8',
      'u_m3hash8',
      'u_hash2',
    ]
    await check(
      fc.record({ fn: fc.constantFrom(...fns), a: orNull(textArb) }).map(({ fn, a }) => ({ fn, args: [a] })),
    )
  })

  it('RUN ON int2/int4/int8 arguments and hashint8/hashint2 (mask and modular mapping)', async () => {
    const int4 = fc
      .record({ fn: fc.constantFrom('r_int', 'r_int_m', 'r8_int', 'm_int'), i: orNull(int4Arb) })
      .map(({ fn, i }) => ({ fn, args: [str(i)] }))
    const int2 = fc
      .record({ fn: fc.constantFrom('r_int2', 'r8_int2', 'r8_hint2', 'm_int2'), i: int2Arb })
      .map(({ fn, i }) => ({ fn, args: [str(i)] }))
    const int8 = fc
      .record({ fn: fc.constantFrom('r_int8', 'r_hint8', 'r8_int8', 'm_int8', 'r_hint8_m'), i: int8Arb })
      .map(({ fn, i }) => ({ fn, args: [str(i)] }))
    const dollar = fc
      .record({ a: orNull(textArb), i: int4Arb })
      .map(({ a, i }) => ({ fn: 'r_dollar', args: [a, str(i)] }))
    await check(fc.oneof(int4, int2, int8, dollar))
  })

  it('SPLIT: arrays with NULL elements, rows in activation order, arrays per partition', async () => {
    const n = fc.integer({ min: 0, max: 9 })
    const one = fc
      .array(fc.option(textArb, { nil: null, freq: 25 }), { maxLength: 9 })
      .map((a) => ({ fn: 's_one', args: [arrayLiteral(a)] }))
    const two = n.chain((len) =>
      fc
        .record({
          a: fc.array(fc.option(textArb, { nil: null, freq: 6 }), { minLength: len, maxLength: len }),
          b: fc.array(fc.option(int4Arb, { nil: null, freq: 25 }), { minLength: len, maxLength: len }),
          c: orNull(textArb),
        })
        .map(({ a, b, c }) => ({ fn: 's_two', args: [arrayLiteral(a), arrayLiteral(b.map(str)), c] })),
    )
    const m3 = fc
      .record({ a: fc.array(int8Arb, { maxLength: 9 }), b: orNull(textArb) })
      .map(({ a, b }) => ({ fn: 's_m3', args: [arrayLiteral(a.map(str)), b] }))
    const c8 = n.chain((len) =>
      fc
        .record({
          a: fc.array(int2Arb, { minLength: len, maxLength: len }),
          b: fc.array(fc.option(textArb, { nil: null, freq: 6 }), { minLength: len, maxLength: len }),
        })
        .map(({ a, b }) => ({ fn: 's_c8', args: [arrayLiteral(a.map(str)), arrayLiteral(b)] })),
    )
    const user = fc.array(textArb, { maxLength: 9 }).map((a) => ({ fn: 's_user', args: [arrayLiteral(a)] }))
    const whole = fc
      .record({
        a: fc.array(textArb, { maxLength: 6 }),
        b: orNull(fc.array(orNull(textArb), { maxLength: 4 })),
      })
      .map(({ a, b }) => ({ fn: 's_whole', args: [arrayLiteral(a), b === null ? null : arrayLiteral(b)] }))
    await check(fc.oneof(one, two, m3, c8, user, whole))
  })

  it('values round-trip: custom SELECT with reordered arguments, TARGET, INOUT, text arrays, NULLs', async () => {
    const reorder = fc
      .record({ a: orNull(textArb), b: int4Arb, c: orNull(textArb) })
      .map(({ a, b, c }) => ({ fn: 'q_reorder', args: [a, str(b), c] }))
    const target = fc
      .record({ a: orNull(textArb), i: orNull(int4Arb) })
      .map(({ a, i }) => ({ fn: 't_target', args: [a, str(i)] }))
    const inout = fc
      .record({ i: int4Arb.filter((i) => Math.abs(i) < 2 ** 30), s: orNull(textArb) })
      .map(({ i, s }) => ({ fn: 'o_out', args: [str(i), s] }))
    const arr = orNull(fc.array(orNull(textArb), { maxLength: 6 })).map((a) => ({
      fn: 'o_textarr',
      args: [a === null ? null : arrayLiteral(a)],
    }))
    const strict = fc
      .record({ a: orNull(textArb), b: orNull(int4Arb) })
      .map(({ a, b }) => ({ fn: 'o_strict', args: [a, str(b)] }))
    await check(fc.oneof(reorder, target, inout, arr, strict))
  })

  it('RUN ON natively evaluated expressions (lower/upper/ascii/length/trims/abs/operators/casts)', async () => {
    const text1 = fc
      .record({
        fn: fc.constantFrom('x_lower', 'x_upper', 'x_ascii', 'x_length', 'x_btrim', 'x_ltrim', 'x_rtrim'),
        a: orNull(
          fc.oneof(
            textArb,
            textArb.map((t) => `  ${t} `),
          ),
        ),
      })
      .map(({ fn, a }) => ({ fn, args: [a] }))
    const concat = fc
      .record({ a: orNull(textArb), b: orNull(textArb) })
      .map(({ a, b }) => ({ fn: 'x_concat', args: [a, b] }))
    const small = fc.integer({ min: -9, max: 9 })
    const ints = fc.oneof(
      fc
        .record({ fn: fc.constantFrom('x_abs', 'x_cast8', 'x_neg', 'x_int2'), i: fc.oneof(int4Arb, int2Arb) })
        .map(({ fn, i }) => ({ fn, args: [str(i)] })),
      int2Arb.map((i) => ({ fn: 'x_abs2', args: [str(i)] })),
      int8Arb.map((i) => ({ fn: 'x_abs8', args: [str(i)] })),
      int8Arb.map((i) => ({ fn: 'x_totext', args: [str(i)] })),
      fc
        .record({ i: fc.oneof(int4Arb, small), j: fc.oneof(int4Arb, small) })
        .map(({ i, j }) => ({ fn: 'x_ops', args: [str(i), str(j)] })),
      fc
        .record({ i: fc.oneof(int4Arb, small), j: fc.oneof(int4Arb, small) })
        .map(({ i, j }) => ({ fn: 'x_bits', args: [str(i), str(j)] })),
      fc.record({ i: int2Arb, j: int2Arb }).map(({ i, j }) => ({ fn: 'x_ops2', args: [str(i), str(j)] })),
      fc.record({ i: int8Arb, j: int4Arb }).map(({ i, j }) => ({ fn: 'x_ops8', args: [str(i), str(j)] })),
      fc
        .oneof(
          int4Arb.map(String),
          fc.constantFrom(' 12 ', '+7', '-0', '1e3', '99999999999', 'abc', '', '0x10'),
        )
        .map((a) => ({ fn: 'x_fromtext', args: [a] })),
    )
    await check(fc.oneof(text1, concat, ints))
  })

  it('without proxy database (mode objects): native hashes, SPLIT, JavaScript helper functions', async () => {
    const text = fc
      .record({
        fn: fc.constantFrom('r_text', 'r8_text', 'r1_text', 'm_text', 'u_hash', 'u_hash8'),
        a: textArb,
      })
      .map(({ fn, a }) => ({ fn, args: [a] }))
    const int8 = fc
      .record({ fn: fc.constantFrom('r8_int8', 'm_int8', 'r_hint8'), i: int8Arb })
      .map(({ fn, i }) => ({ fn, args: [str(i)] }))
    const split = fc
      .record({ fn: fc.constantFrom('s_one', 's_user'), a: fc.array(textArb, { maxLength: 9 }) })
      .map(({ fn, a }) => ({ fn, args: [arrayLiteral(a)] }))
    await check(fc.oneof(text, int8, split), 'objects', 100)
  })

  it('ran enough calls', () => {
    // every property ran at least a few dozen calls within its time limit
    expect(calls).toBeGreaterThan(250)
  })
})
