/**
 * Property tests: for generated texts, our input functions accept exactly what PostgreSQL 15 accepts,
 * print what its output functions print, and fail with its message, DETAIL and SQLSTATE. Each run
 * sends one batch through the probe function in one round trip.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalText } from '../../../src/runtime/values/index.js'
import { skipWithoutPostgres } from '../../harness/shared-cluster.js'
import { outcome, PgProbe, storable } from './pg-probe.js'
import { planType } from './plan-types.js'

const skip = skipWithoutPostgres('value input functions vs live PostgreSQL')

const RUNS = 25
const BATCH = 80

const batch = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
  fc.array(arb, { minLength: 1, maxLength: BATCH, size: 'max' })

/** concatenations of tokens: dense coverage of the grammar's corners */
const tokens = (list: readonly string[], maxLength = 10): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...list), { maxLength }).map((parts) => parts.join(''))

const space = fc.constantFrom('', '', '', ' ', '  ', '\t', '\n', '\r', '\v', '\f', ' \t ')
const padded = (arb: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(space, arb, space).map(([a, b, c]) => a + b + c)
const signed = (arb: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('', '', '+', '-'), arb).map(([s, b]) => s + b)
const digits = (max: number): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), {
      minLength: 1,
      maxLength: max,
    })
    .map((d) => d.join(''))
const hexDigits = (max: number): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom(...'0123456789abcdefABCDEF'), { minLength: 0, maxLength: max })
    .map((d) => d.join(''))

const INT_EDGES = [
  '32767',
  '32768',
  '-32768',
  '-32769',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '4294967295',
  '4294967296',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '18446744073709551615',
  '18446744073709551616',
  '-18446744073709551615',
  '-18446744073709551616',
]

const intText: fc.Arbitrary<string> = fc.oneof(
  padded(fc.bigInt({ min: -(2n ** 66n), max: 2n ** 66n }).map(String)),
  padded(fc.integer({ min: -70000, max: 70000 }).map(String)),
  fc
    .tuple(fc.constantFrom(...INT_EDGES), fc.constantFrom('', '', 'x', ' x', '0', '.0', ' '))
    .map(([a, b]) => a + b),
  padded(fc.tuple(fc.nat(25), signed(digits(22))).map(([z, d]) => '0'.repeat(z) + d)),
  tokens(['0', '1', '2', '7', '9', ' ', '\t', '+', '-', 'x', '_', '.', 'e', 'a', '0x', '٣']),
)

const boolWords = ['true', 'false', 'yes', 'no', 'on', 'off', '1', '0']
const boolText: fc.Arbitrary<string> = fc.oneof(
  padded(
    fc
      .tuple(fc.constantFrom(...boolWords), fc.nat(5), fc.boolean())
      .map(([w, n, upper]) => (upper ? w.toUpperCase() : w).slice(0, n + 1)),
  ),
  tokens(
    ['t', 'r', 'u', 'e', 'f', 'a', 'l', 's', 'y', 'n', 'o', 'O', 'N', 'T', 'F', '1', '0', ' ', '\t', 'x'],
    6,
  ),
)

/** decimal texts around a float type's range limits */
const scientific = (minExp: number, maxExp: number): fc.Arbitrary<string> =>
  fc
    .tuple(
      signed(digits(20)),
      fc.option(digits(20)),
      fc.integer({ min: minExp, max: maxExp }),
      fc.constantFrom('e', 'E'),
    )
    .map(([i, f, e, letter]) => `${i}${f === null ? '' : `.${f}`}${letter}${e}`)

const hexFloat = (minExp: number, maxExp: number): fc.Arbitrary<string> =>
  fc
    .tuple(
      signed(hexDigits(16)),
      fc.option(hexDigits(16)),
      fc.integer({ min: minExp, max: maxExp }),
      fc.boolean(),
    )
    .map(
      ([i, f, e, upper]) =>
        `${upper ? '0X' : '0x'}${i.replace(/^[+-]/, '')}${f === null ? '' : `.${f}`}p${e}`,
    )
    .chain((s) => fc.constantFrom(s, `-${s}`, s.replace(/p.*$/, '')))

/** short decimals of large magnitude: where a rounding interval's end can be the shortest decimal (1e23) */
const shortLarge = (minExp: number, maxExp: number): fc.Arbitrary<string> =>
  fc.tuple(digits(5), fc.integer({ min: minExp, max: maxExp })).map(([d, e]) => `${d}e${e}`)

/** decimal texts close to the midpoint between two neighbouring float4 values */
const float4Midpoint: fc.Arbitrary<string> = fc
  .tuple(fc.float({ noNaN: true, noDefaultInfinity: true, min: 0 }), fc.integer({ min: 9, max: 40 }))
  .map(([f, precision]) => {
    const view = new DataView(new ArrayBuffer(4))
    view.setFloat32(0, f)
    view.setUint32(0, view.getUint32(0) + 1)
    const next = view.getFloat32(0)
    const mid = (f + next) / 2
    return Number.isFinite(mid) ? mid.toPrecision(precision) : '3.4028235677973366e+38'
  })

const floatTokens = tokens(
  [
    '0',
    '1',
    '5',
    '9',
    '.',
    'e',
    'E',
    '+',
    '-',
    'x',
    'X',
    'p',
    'P',
    'a',
    'f',
    'inf',
    'inity',
    'nan',
    'NaN',
  ].concat(['(', ')', '_', ' ', 'Infinity', 'in', '0x']),
  8,
)

const floatText = (kind: 'float4' | 'float8'): fc.Arbitrary<string> =>
  fc.oneof(
    padded(fc.double().map(String)),
    padded(fc.tuple(fc.double(), fc.integer({ min: 0, max: 20 })).map(([d, p]) => d.toExponential(p))),
    padded(fc.float().map(String)),
    kind === 'float4' ? scientific(-52, 42) : scientific(-345, 312),
    kind === 'float4' ? hexFloat(-160, 130) : hexFloat(-1090, 1030),
    kind === 'float4' ? float4Midpoint : fc.double().map((d) => d.toPrecision(21)),
    kind === 'float4' ? shortLarge(5, 38) : shortLarge(15, 308),
    floatTokens,
  )

const numericText: fc.Arbitrary<string> = fc.oneof(
  padded(fc.double().map(String)),
  padded(fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String)),
  fc
    .tuple(
      signed(fc.option(digits(8)).map((d) => d ?? '')),
      fc.option(digits(8)),
      fc.option(
        fc.tuple(
          fc.constantFrom('e', 'E', 'e ', 'e\t'),
          fc.constantFrom('', '+', '-'),
          fc.oneof(
            fc.integer({ min: 0, max: 40 }),
            fc.constantFrom(16383, 16384, 16390, 131071, 131072, 131080, 1073741822, 1073741823),
          ),
        ),
      ),
    )
    .map(([i, f, e]) => `${i}${f === null ? '' : `.${f}`}${e === null ? '' : e.join('')}`),
  tokens(
    ['0', '1', '9', '.', 'e', 'E', '+', '-', ' ', 'nan', 'NaN', 'inf', 'Infinity', 'infinity', 'x', '00'],
    8,
  ),
)

const nameText: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 10, maxLength: 70 }),
    fc.string({ unit: 'binary', minLength: 15, maxLength: 70 }),
    fc
      .array(fc.constantFrom('a', 'é', '€', '😀', ' '), { minLength: 15, maxLength: 70 })
      .map((a) => a.join('')),
  )
  .filter(storable)

describe.skipIf(skip)('input functions equal PostgreSQL 15', () => {
  let probe: PgProbe

  beforeAll(async () => {
    probe = await PgProbe.open('values_input')
  })

  afterAll(async () => {
    await probe?.close()
  })

  /** checks every text of each generated batch against PostgreSQL's reading of it as `sqlType` */
  const agrees = async (typname: string, sqlType: string, arb: fc.Arbitrary<string>, runs = RUNS) => {
    const type = planType(typname)
    await fc.assert(
      fc.asyncProperty(batch(arb), async (texts) => {
        const theirs = await probe.read(sqlType, texts)
        const ours = texts.map((t) => outcome(() => canonicalText(type, t)))
        expect(texts.map((t, k) => ({ t, ...ours[k] }))).toEqual(texts.map((t, k) => ({ t, ...theirs[k] })))
      }),
      { numRuns: runs },
    )
  }

  it('int2', () => agrees('int2', 'int2', intText))
  it('int4', () => agrees('int4', 'int4', intText))
  it('int8', () => agrees('int8', 'int8', intText))
  it('oid', () => agrees('oid', 'oid', intText))
  it('bool', () => agrees('bool', 'bool', boolText))
  it('float4', () => agrees('float4', 'float4', floatText('float4'), 60))
  it('float8', () => agrees('float8', 'float8', floatText('float8'), 60))
  it('numeric', () => agrees('numeric', 'numeric', numericText, 40))
  it('name', () => agrees('name', 'name', nameText))
  it('bpchar and varchar keep the text', async () => {
    const arb = fc.string({ unit: 'binary', maxLength: 20 }).filter(storable)
    await agrees('bpchar', 'bpchar', padded(arb), 5)
    await agrees('varchar', 'varchar', padded(arb), 5)
  })
})
