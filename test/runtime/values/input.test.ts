import { describe, expect, it } from 'vitest'
import {
  boolin,
  canonicalText,
  float4in,
  float4out,
  float8in,
  float8out,
  int2in,
  int4in,
  int8in,
  namein,
  nativeTypeOf,
  numericin,
  oidin,
  PgValueError,
  textin,
} from '../../../src/runtime/values/index.js'
import { planType } from './plan-types.js'

/** the error a call throws, as [sqlstate, message] */
function failure(f: () => unknown): [string, string] {
  try {
    f()
  } catch (e) {
    if (e instanceof PgValueError) return [e.sqlstate, e.message]
    throw e
  }
  throw new Error('expected an error')
}

describe('integer input follows pg_strtoint16/32/64 of PostgreSQL 15', () => {
  it('accepts surrounding whitespace, a sign and leading zeros', () => {
    expect(int4in(' +007 ')).toBe(7)
    expect(int4in('\t-0\n')).toBe(0)
    expect(int2in('-32768')).toBe(-32768)
    expect(int2in('32767')).toBe(32767)
    expect(int4in('-2147483648')).toBe(-2147483648)
    expect(int8in('-9223372036854775808')).toBe(-9223372036854775808n)
    expect(int8in('000000000000000000000000000000012')).toBe(12n)
  })

  it('rejects separators, hex, empty input and inner whitespace like PostgreSQL 15', () => {
    expect(failure(() => int4in('1_000'))).toEqual([
      '22P02',
      'invalid input syntax for type integer: "1_000"',
    ])
    expect(failure(() => int4in('0x10'))).toEqual(['22P02', 'invalid input syntax for type integer: "0x10"'])
    expect(failure(() => int4in(''))).toEqual(['22P02', 'invalid input syntax for type integer: ""'])
    expect(failure(() => int8in(' '))).toEqual(['22P02', 'invalid input syntax for type bigint: " "'])
    expect(failure(() => int4in('- 1'))).toEqual(['22P02', 'invalid input syntax for type integer: "- 1"'])
    expect(failure(() => int2in('1.0'))).toEqual(['22P02', 'invalid input syntax for type smallint: "1.0"'])
  })

  it('reports overflow before trailing junk, except for the most negative magnitude', () => {
    expect(failure(() => int2in(' 32768'))).toEqual([
      '22003',
      'value " 32768" is out of range for type smallint',
    ])
    expect(failure(() => int8in('99999999999999999999x'))).toEqual([
      '22003',
      'value "99999999999999999999x" is out of range for type bigint',
    ])
    expect(failure(() => int4in('2147483648x'))).toEqual([
      '22P02',
      'invalid input syntax for type integer: "2147483648x"',
    ])
    expect(failure(() => int4in('2147483648'))).toEqual([
      '22003',
      'value "2147483648" is out of range for type integer',
    ])
  })
})

describe('oid input follows strtoul', () => {
  it('wraps negative values and checks the 32-bit range', () => {
    expect(oidin(' -1')).toBe(4294967295)
    expect(oidin('-2147483648')).toBe(2147483648)
    expect(oidin(' 12 ')).toBe(12)
    expect(oidin('+5')).toBe(5)
    expect(failure(() => oidin('-2147483649'))).toEqual([
      '22003',
      'value "-2147483649" is out of range for type oid',
    ])
    expect(failure(() => oidin('4294967296'))).toEqual([
      '22003',
      'value "4294967296" is out of range for type oid',
    ])
    expect(failure(() => oidin(' '))).toEqual(['22P02', 'invalid input syntax for type oid: " "'])
  })
})

describe('boolean input follows boolin', () => {
  it.each([
    ['t', true],
    [' yes ', true],
    ['TR', true],
    ['on', true],
    ['Of', false],
    ['off', false],
    ['n', false],
    ['0', false],
    ['1', true],
    ['FALSE', false],
  ])('reads %j as %s', (text, value) => {
    expect(boolin(text)).toBe(value)
  })

  it.each(['o', 'truex', '', ' ', '01', 'yess', 'of f'])('rejects %j', (text) => {
    expect(failure(() => boolin(text))).toEqual(['22P02', `invalid input syntax for type boolean: "${text}"`])
  })
})

describe('numeric input follows numeric_in and prints as numeric_out', () => {
  it.each([
    ['1e 5', '100000'],
    [' .5 ', '0.5'],
    ['-0.00', '0.00'],
    ['1.25e1', '12.5'],
    ['5.', '5'],
    ['inf', 'Infinity'],
    ['-infinity', '-Infinity'],
    [' nan ', 'NaN'],
    ['1e-3', '0.001'],
    ['+.1e+2', '10'],
    ['007.100', '7.100'],
  ])('reads %j as %s', (text, out) => {
    expect(numericin(text)).toBe(out)
  })

  it.each(['.', '1..2', '1e', 'infx', 'nanx', '1 2', 'e5', '1e+ 5', '+nan', ''])('rejects %j', (text) => {
    expect(failure(() => numericin(text))).toEqual([
      '22P02',
      `invalid input syntax for type numeric: "${text}"`,
    ])
  })

  it('rejects what overflows the storage format', () => {
    expect(numericin('1e131071')).toHaveLength(131072)
    for (const text of ['1e131072', '1e-16384', '0e-16384', '1000e-16386', '1e99999999999999999999']) {
      expect(failure(() => numericin(text))).toEqual(['22003', 'value overflows numeric format'])
    }
  })
})

describe('float input follows glibc strtod and prints the shortest exact text', () => {
  it('accepts hex floats, nan(…) and infinity spellings', () => {
    expect(float8in('0x1p3')).toBe(8)
    expect(float8in('nan(12)')).toBeNaN()
    expect(float8in('-inf')).toBe(Number.NEGATIVE_INFINITY)
    expect(float4in(' +inFinity ')).toBe(Number.POSITIVE_INFINITY)
    expect(float8in('-nan')).toBeNaN()
    expect(float8in('1.e5')).toBe(100000)
    expect(float8in('.5')).toBe(0.5)
  })

  it.each(['0x', '1e', '1e+', '.', 'nan(', 'infin', '0x1p', '', 'nanx'])('rejects %j', (text) => {
    expect(failure(() => float8in(text))).toEqual([
      '22P02',
      `invalid input syntax for type double precision: "${text}"`,
    ])
  })

  it('reports out-of-range values the way each type does', () => {
    expect(failure(() => float8in('  1e-400 '))).toEqual([
      '22003',
      '"1e-400" is out of range for type double precision',
    ])
    expect(failure(() => float8in('1e400x'))).toEqual([
      '22003',
      '"1e400" is out of range for type double precision',
    ])
    expect(failure(() => float4in(' 1e39 '))).toEqual(['22003', '" 1e39 " is out of range for type real'])
    expect(failure(() => float4in(' 1e-50x '))).toEqual(['22003', '" 1e-50x " is out of range for type real'])
    expect(failure(() => float8in('0x1p-1075'))).toEqual([
      '22003',
      '"0x1p-1075" is out of range for type double precision',
    ])
    expect(float8in('3e-324')).toBe(5e-324)
    expect(float4in('0x1.000001p-149')).toBe(2 ** -149)
    expect(float8in('0e99999999999')).toBe(0)
  })

  it('prints like float8out and float4out', () => {
    expect(
      [1e15, 1e14, 123456789012345680, 0.0001, 0.00001, 1.5e-7, 1e100, 5e-324, -0].map(float8out),
    ).toEqual([
      '1e+15',
      '100000000000000',
      '1.2345678901234568e+17',
      '0.0001',
      '1e-05',
      '1.5e-07',
      '1e+100',
      '5e-324',
      '-0',
    ])
    const f4 = ['1e6', '123456', '1e-4', '1e-5', '3.4028235e38', '1.4e-45', '16777217', '0.1', '-0'].map(
      (t) => float4out(float4in(t)),
    )
    expect(f4).toEqual([
      '1e+06',
      '123456',
      '0.0001',
      '1e-05',
      '3.4028235e+38',
      '1e-45',
      '1.6777216e+07',
      '0.1',
      '-0',
    ])
  })

  it("never prints a decimal on the rounding interval's end, as PostgreSQL's Ryu does not", () => {
    expect(float8out(1e23)).toBe('9.999999999999999e+22')
    expect(float4out(float4in('700.003e5'))).toBe('7.0000304e+07')
    expect(float8out(float8in('9007199254740993'))).toBe('9.007199254740992e+15')
  })

  it('rounds straight to float4 without double rounding', () => {
    // 1 + 2^-24 + 2^-60 is above the midpoint between 1 and the next float4, but rounds to that
    // midpoint as a double; strtof rounds it up
    const text = '1.00000005960464477539930971'
    expect(float4in(text)).toBe(1 + 2 ** -23)
    expect(Math.fround(Number(text))).toBe(1)
  })
})

describe('text types', () => {
  it('truncates names to 63 bytes at a character boundary', () => {
    expect(namein('é'.repeat(40))).toBe('é'.repeat(31))
    expect(namein('a'.repeat(70))).toBe('a'.repeat(63))
    expect(namein(`${'a'.repeat(62)}€`)).toBe('a'.repeat(62))
  })

  it('rejects U+0000 as PostgreSQL rejects it on the wire', () => {
    expect(failure(() => textin('a\u0000b'))).toEqual([
      '22021',
      'invalid byte sequence for encoding "UTF8": 0x00',
    ])
  })
})

describe('canonicalText', () => {
  it('prints what the output function prints for the native types and domains over them', () => {
    expect(canonicalText(planType('int4'), ' +007 ')).toBe('7')
    expect(canonicalText(planType('bool'), 'yes')).toBe('t')
    expect(canonicalText(planType('public.posint'), ' 12')).toBe('12')
    expect(canonicalText(planType('float4'), '0.1000000001')).toBe('0.1')
    expect(canonicalText(planType('name'), 'x'.repeat(64))).toBe('x'.repeat(63))
    expect(canonicalText(planType('bpchar'), 'a  ')).toBe('a  ')
  })

  it('canonicalises arrays of native types element by element', () => {
    expect(canonicalText(planType('_int4'), ' { +1 , NULL,"2"} ')).toBe('{1,NULL,2}')
    expect(canonicalText(planType('_bool'), '[0:1]={yes,off}')).toBe('[0:1]={t,f}')
    expect(canonicalText(planType('public._posint'), '{{1},{2}}')).toBe('{{1},{2}}')
    expect(() => canonicalText(planType('_int4'), '{1,x}')).toThrow(
      'invalid input syntax for type integer: "x"',
    )
  })

  it('leaves other types alone', () => {
    expect(canonicalText(planType('date'), ' 2020-1-2 ')).toBe(' 2020-1-2 ')
    expect(canonicalText(planType('_date'), '{ garbage')).toBe('{ garbage')
    expect(canonicalText(planType('public.mood'), 'happy')).toBe('happy')
  })

  it('knows which types are native', () => {
    expect(nativeTypeOf(planType('public.posint'))).toBe('int4')
    expect(nativeTypeOf(planType('_int4'))).toBeUndefined()
    expect(nativeTypeOf(planType('date'))).toBeUndefined()
  })
})
