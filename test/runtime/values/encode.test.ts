import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeValue, PgValueError } from '../../../src/runtime/values/index.js'
import { planType } from './plan-types.js'

const enc = (type: string, value: unknown, options = {}) => encodeValue(planType(type), value, options)

function failure(f: () => unknown): [string, string] {
  try {
    f()
  } catch (e) {
    if (e instanceof PgValueError) return [e.sqlstate, e.message]
    throw e
  }
  throw new Error('expected an error')
}

describe('encodeValue: nulls and strings', () => {
  it('sends null and undefined as NULL', () => {
    expect(enc('int4', null)).toBeNull()
    expect(enc('text', undefined)).toBeNull()
  })

  it('canonicalises strings for native types and passes others through', () => {
    expect(enc('int4', ' +007 ')).toBe('7')
    expect(enc('bool', 'yes')).toBe('t')
    expect(enc('numeric', '1e3')).toBe('1000')
    expect(enc('float8', ' Infinity')).toBe('Infinity')
    expect(enc('text', ' x ')).toBe(' x ')
    expect(enc('date', 'tomorrow')).toBe('tomorrow')
    expect(enc('public.mood', 'sad')).toBe('sad')
    expect(enc('public.posint', '08')).toBe('8')
  })

  it('fails on bad strings for native types with PostgreSQL errors', () => {
    expect(failure(() => enc('int2', '40000'))).toEqual([
      '22003',
      'value "40000" is out of range for type smallint',
    ])
    expect(failure(() => enc('bool', 'maybe'))).toEqual([
      '22P02',
      'invalid input syntax for type boolean: "maybe"',
    ])
    expect(failure(() => enc('text', 'a\u0000'))).toEqual([
      '22021',
      'invalid byte sequence for encoding "UTF8": 0x00',
    ])
    expect(failure(() => enc('date', 'a\u0000'))[0]).toBe('22021')
  })
})

describe('encodeValue: numbers, bigints, booleans', () => {
  it('checks integers against the type', () => {
    expect(enc('int4', 42)).toBe('42')
    expect(enc('int4', -0)).toBe('0')
    expect(enc('int8', 2 ** 53)).toBe('9007199254740992')
    expect(enc('int8', -(2n ** 63n))).toBe('-9223372036854775808')
    expect(failure(() => enc('int4', 1.5))).toEqual(['22P02', 'invalid input syntax for type integer: "1.5"'])
    expect(failure(() => enc('int8', Number.NaN))).toEqual([
      '22P02',
      'invalid input syntax for type bigint: "NaN"',
    ])
    expect(failure(() => enc('int4', 2 ** 31))).toEqual([
      '22003',
      'value "2147483648" is out of range for type integer',
    ])
    expect(failure(() => enc('int8', 2 ** 63))).toEqual([
      '22003',
      'value "9223372036854775808" is out of range for type bigint',
    ])
    expect(failure(() => enc('int2', 70000n))).toEqual([
      '22003',
      'value "70000" is out of range for type smallint',
    ])
  })

  it('prints floats as float4out/float8out', () => {
    expect(enc('float8', 0.1)).toBe('0.1')
    expect(enc('float8', 1e21)).toBe('1e+21')
    expect(enc('float8', -0)).toBe('-0')
    expect(enc('float8', Number.NaN)).toBe('NaN')
    expect(enc('float8', Number.NEGATIVE_INFINITY)).toBe('-Infinity')
    expect(enc('float4', 0.1)).toBe('0.1')
    expect(enc('float4', 16777217)).toBe('1.6777216e+07')
    expect(failure(() => enc('float4', 1e39))).toEqual(['22003', '"1e+39" is out of range for type real'])
    expect(enc('numeric', 1e21)).toBe('1000000000000000000000')
    expect(enc('numeric', Number.POSITIVE_INFINITY)).toBe('Infinity')
    expect(enc('numeric', 12345678901234567890n)).toBe('12345678901234567890')
  })

  it('sends booleans as boolout prints them, elsewhere as node-postgres does', () => {
    expect(enc('bool', true)).toBe('t')
    expect(enc('bool', false)).toBe('f')
    expect(enc('bool', 1)).toBe('t')
    expect(enc('text', true)).toBe('true')
    expect(failure(() => enc('int4', true))).toEqual([
      '22P02',
      'invalid input syntax for type integer: "true"',
    ])
    expect(failure(() => enc('bool', 2))).toEqual(['22P02', 'invalid input syntax for type boolean: "2"'])
  })

  it('sends other numbers as their String()', () => {
    expect(enc('oid', 4294967295)).toBe('4294967295')
    expect(enc('text', 1.5)).toBe('1.5')
    expect(enc('public.mood', 3)).toBe('3')
  })
})

describe('encodeValue: dates', () => {
  const d = new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 120))
  let savedTz: string | undefined

  beforeAll(() => {
    savedTz = process.env.TZ
    process.env.TZ = 'Africa/Monrovia'
  })
  afterAll(() => {
    if (savedTz === undefined) delete process.env.TZ
    else process.env.TZ = savedTz
  })

  it('prints UTC wall-clock fields as PostgreSQL does', () => {
    const utc = { dateZone: 'utc' } as const
    expect(enc('timestamptz', d, utc)).toBe('2020-01-02 03:04:05.12+00')
    expect(enc('timestamp', d, utc)).toBe('2020-01-02 03:04:05.12')
    expect(enc('date', d, utc)).toBe('2020-01-02')
    expect(enc('time', d, utc)).toBe('03:04:05.12')
    expect(enc('timetz', d, utc)).toBe('03:04:05.12+00')
    expect(enc('text', d, utc)).toBe('2020-01-02T03:04:05.120+00:00')
  })

  it('prints local wall-clock fields with the local offset, seconds included', () => {
    const old = new Date(Date.UTC(1930, 0, 1, 12, 0, 0))
    expect(enc('timestamptz', old)).toBe('1930-01-01 11:15:30-00:44:30')
    expect(enc('timestamp', old)).toBe('1930-01-01 11:15:30')
    expect(enc('timestamptz', d)).toBe('2020-01-02 03:04:05.12+00')
  })

  it('prints years before 1 as BC', () => {
    const bc = new Date(Date.UTC(0, 0, 1))
    bc.setUTCFullYear(-1)
    expect(enc('timestamptz', bc, { dateZone: 'utc' })).toBe('0002-01-01 00:00:00+00 BC')
    expect(enc('date', bc, { dateZone: 'utc' })).toBe('0002-01-01 BC')
  })

  it('rejects invalid dates', () => {
    expect(failure(() => enc('timestamptz', new Date(Number.NaN)))).toEqual([
      '22007',
      'invalid input syntax for type timestamp with time zone: "Invalid Date"',
    ])
  })
})

describe('encodeValue: binary data', () => {
  it('sends bytea as hex', () => {
    expect(enc('bytea', Buffer.from([0, 1, 254]))).toBe('\\x0001fe')
    expect(enc('bytea', new Uint8Array([10, 11]))).toBe('\\x0a0b')
    expect(enc('bytea', new Uint16Array([1]))).toBe('\\x0100')
    expect(enc('bytea', '\\xdead')).toBe('\\xdead')
  })

  it('reads bytes as UTF-8 for text types and refuses them elsewhere', () => {
    expect(enc('text', Buffer.from('héllo'))).toBe('héllo')
    expect(failure(() => enc('int4', Buffer.from('1')))).toEqual([
      '42804',
      'cannot pass binary data as type integer',
    ])
  })
})

describe('encodeValue: arrays', () => {
  it('prints array literals as array_out would', () => {
    expect(enc('_int4', [1, null, 3])).toBe('{1,NULL,3}')
    expect(
      enc('_int4', [
        [1, 2],
        [3, 4],
      ]),
    ).toBe('{{1,2},{3,4}}')
    expect(enc('_text', ['a b', 'c"d', null, '', 'NULL', 'x\\y'])).toBe(
      '{"a b","c\\"d",NULL,"","NULL","x\\\\y"}',
    )
    expect(enc('_int4', [])).toBe('{}')
    expect(enc('_bool', [true, 'no'])).toBe('{t,f}')
    expect(enc('_bytea', [Buffer.from([1]), null])).toBe('{"\\\\x01",NULL}')
    expect(enc('_box', ['(1,1),(0,0)', '(2,2),(1,1)'])).toBe('{(1,1),(0,0);(2,2),(1,1)}')
    // as with node-postgres, nested JS arrays are dimensions, also for json[]
    expect(enc('_json', [[1, 2]])).toBe('{{1,2}}')
    expect(() => enc('_json', [{ a: 1 }, [1, 2]])).toThrow(
      expect.objectContaining({ detail: 'Unexpected "{" character.' }),
    )
    expect(enc('_jsonb', [{ a: 'x y' }])).toBe('{"{\\"a\\":\\"x y\\"}"}')
    expect(enc('public._posint', [1, 2])).toBe('{1,2}')
  })

  it('fails on ragged nesting as PostgreSQL fails on the literal', () => {
    expect(() => enc('_int4', [[1, 2], [3]])).toThrow(
      expect.objectContaining({
        message: 'malformed array literal: "{{1,2},{3}}"',
        detail: 'Multidimensional arrays must have sub-arrays with matching dimensions.',
      }),
    )
    expect(() => enc('_int4', [[]])).toThrow('malformed array literal: "{{}}"')
    expect(() => enc('_int4', [1, [2]])).toThrow('malformed array literal: "{1,{2}}"')
    expect(() => enc('_int4', [[[[[[[1]]]]]]])).toThrow(
      'number of array dimensions (7) exceeds the maximum allowed (6)',
    )
  })

  it('checks array strings as array_in would', () => {
    expect(enc('_int4', '{ 1 , +2 }')).toBe('{1,2}')
    expect(enc('_date', '{2020-01-01}')).toBe('{2020-01-01}')
    expect(() => enc('_date', '{2020-01-01')).toThrow('malformed array literal: "{2020-01-01"')
    expect(() => enc('_int4', '{1,a}')).toThrow('invalid input syntax for type integer: "a"')
  })

  it('sends a JS array for a non-array type as node-postgres does', () => {
    expect(enc('text', ['a', null, ['b'], Buffer.from([1])])).toBe('{"a",NULL,{"b"},\\\\x01}')
  })
})

describe('encodeValue: json, composites, objects', () => {
  it('sends JSON for json and jsonb', () => {
    expect(enc('json', { a: [1, 'x'] })).toBe('{"a":[1,"x"]}')
    expect(enc('jsonb', [1, 2])).toBe('[1,2]')
    expect(enc('jsonb', '{"raw": true}')).toBe('{"raw": true}')
    expect(enc('json', 5)).toBe('5')
    expect(enc('json', 12345678901234567890n)).toBe('12345678901234567890')
  })

  it('sends row literals for composites', () => {
    expect(enc('public.pair', [1, 'b c', null, '', 'x"y', true])).toBe('(1,"b c",,"","x""y",true)')
    expect(enc('public.pair', { b: 'two', a: 1 }, { compositeAttributes: () => ['a', 'b', 'c'] })).toBe(
      '(1,two,)',
    )
    expect(failure(() => enc('public.pair', { a: 1 }))[0]).toBe('42804')
    expect(failure(() => enc('public.pair', { z: 1 }, { compositeAttributes: () => ['a'] }))).toEqual([
      '42804',
      'type pair has no attribute "z"',
    ])
    expect(enc('public.pair', '(1,2)')).toBe('(1,2)')
  })

  it('honours toPostgres and detects cycles', () => {
    const money = { toPostgres: () => '12.50' }
    expect(enc('numeric', money)).toBe('12.50')
    expect(enc('_numeric', [money, null])).toBe('{12.50,NULL}')
    const loop: { toPostgres(): unknown } = { toPostgres: () => loop }
    expect(failure(() => enc('text', loop))[0]).toBe('22023')
  })

  it('sends other objects as JSON and refuses symbols', () => {
    expect(enc('text', { a: 1 })).toBe('{"a":1}')
    expect(failure(() => enc('text', Symbol('x')))[0]).toBe('42804')
  })
})
