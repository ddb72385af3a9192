import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { decodeValue, PgValueError, resultParser, resultTypeOid } from '../../../src/runtime/values/index.js'
import { planType } from './plan-types.js'

const dec = (type: string, text: string | null) => decodeValue(planType(type), text)

describe('decodeValue gives what node-postgres gives', () => {
  it('parses scalars with node-postgres default parsers', () => {
    expect(dec('int4', '7')).toBe(7)
    expect(dec('int2', '-3')).toBe(-3)
    expect(dec('int8', '9223372036854775807')).toBe('9223372036854775807')
    expect(dec('bool', 't')).toBe(true)
    expect(dec('float8', 'NaN')).toBeNaN()
    expect(dec('float4', '-Infinity')).toBe(Number.NEGATIVE_INFINITY)
    expect(dec('numeric', '1.50')).toBe('1.50')
    expect(dec('text', ' x ')).toBe(' x ')
    expect(dec('oid', '4294967295')).toBe(4294967295)
    expect(dec('json', '{"a":[1,2]}')).toEqual({ a: [1, 2] })
    expect(dec('jsonb', '"s"')).toBe('s')
    expect(dec('bytea', '\\x0102ff')).toEqual(Buffer.from([1, 2, 255]))
    expect(dec('timestamptz', '2020-01-02 03:04:05.12+00')).toEqual(new Date('2020-01-02T03:04:05.120Z'))
    expect(dec('uuid', '00000000-0000-0000-0000-000000000001')).toBe('00000000-0000-0000-0000-000000000001')
  })

  it('reads native types with the local input function first, as PL/Proxy does', () => {
    expect(dec('bool', ' yes ')).toBe(true)
    expect(dec('int4', ' 0012 ')).toBe(12)
    expect(dec('name', 'n'.repeat(70))).toBe('n'.repeat(63))
    expect(() => dec('int4', '12abc')).toThrow(PgValueError)
    expect(() => dec('int4', '12abc')).toThrow('invalid input syntax for type integer: "12abc"')
  })

  it('parses arrays of known types', () => {
    expect(dec('_int4', '{1,NULL,3}')).toEqual([1, null, 3])
    expect(dec('_int4', '{{1,2},{3,4}}')).toEqual([
      [1, 2],
      [3, 4],
    ])
    expect(dec('_text', '{"a b",NULL,"NULL"}')).toEqual(['a b', null, 'NULL'])
    expect(dec('_int8', '{1,2}')).toEqual(['1', '2'])
    expect(dec('_bool', '{yes,f}')).toEqual([true, false])
  })

  it('decodes domains as their base type and leaves user types as text', () => {
    expect(dec('public.posint', '5')).toBe(5)
    expect(resultTypeOid(planType('public.posint'))).toBe(23)
    expect(dec('public._posint', '{1,2}')).toBe('{1,2}')
    expect(dec('public.mood', 'ok')).toBe('ok')
    expect(dec('public.pair', '(1,2)')).toBe('(1,2)')
    expect(dec('int4range', '[1,3)')).toBe('[1,3)')
  })

  it('returns null for SQL NULL', () => {
    expect(dec('int4', null)).toBeNull()
  })

  it('uses caller-supplied parsers like node-postgres types', () => {
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (t: string) => BigInt(t) : pg.types.getTypeParser(oid, format ?? 'text'),
    }
    expect(decodeValue(planType('int8'), '42', { types })).toBe(42n)
    expect(decodeValue(planType('int4'), '42', { types })).toBe(42)
    const parse = resultParser(planType('int8'), { types })
    expect([parse('1'), parse(null)]).toEqual([1n, null])
  })
})
