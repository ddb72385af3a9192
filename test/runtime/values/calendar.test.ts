/**
 * Edges of the calendar conversions that PostgreSQL allows but JavaScript's
 * dates cannot hold: refused clearly, never a wrong value. (Values inside
 * the range are checked against PostgreSQL in binary.pg.test.ts and
 * test/server/output-style.pg.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { isoDateDays, isoTimestampMicros } from '../../../src/runtime/values/calendar.js'
import { textToBinary } from '../../../src/runtime/values/index.js'
import { restyleFor } from '../../../src/server/output-style.js'

describe('calendar edges', () => {
  it('reads ISO dates and timestamps, years below 100 and BC included', () => {
    expect(isoDateDays('2000-01-01')).toBe(0)
    expect(isoDateDays('0001-01-01')).toBe(-730119)
    expect(isoDateDays('0001-12-31 BC')).toBe(-730120)
    expect(isoTimestampMicros('2000-01-01 00:00:01.5')).toBe(1_500_000n)
    expect(isoTimestampMicros('2000-01-01 01:00:00+01')).toBe(0n)
    expect(isoTimestampMicros('2000-01-01 00:00:00-00:00:01')).toBe(1_000_000n)
  })

  it('refuses years beyond JavaScript’s dates instead of writing a wrong value', () => {
    expect(isoDateDays('300000-01-01')).toBeUndefined()
    expect(isoTimestampMicros('290000-01-01 00:00:00')).toBeUndefined()
    expect(() => textToBinary(1082, '300000-01-01')).toThrow(/cannot convert "300000-01-01"/)
    expect(() => textToBinary(1114, '290000-01-01 00:00:00')).toThrow(/use the text format/)
  })

  it('leaves a timestamptz alone where the client’s zone would make it BC', () => {
    const restyle = restyleFor(1184, {
      dateStyle: 'ISO, MDY',
      timeZone: 'America/New_York',
      byteaOutput: 'hex',
    })!
    expect(restyle('0001-01-01 00:00:00+00')).toBe('0001-01-01 00:00:00+00')
    expect(restyle('2000-01-01 00:00:00+00')).toBe('1999-12-31 19:00:00-05')
  })
})
