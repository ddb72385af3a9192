/**
 * Results re-printed in the client session's output style (output-style.ts),
 * against PostgreSQL: a value printed by a partition-like session (ISO
 * dates, TimeZone Asia/Tokyo, hex bytea) and re-styled must be exactly what
 * a session with the client's DateStyle, TimeZone and bytea_output prints.
 * Where restyleFor declines (non-ISO timestamptz in a zone whose
 * abbreviation only the tz database knows), the value passes unchanged.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restyleFor } from '../../src/server/output-style.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'

const skip = skipWithoutPostgres('output styles checked against PostgreSQL')

const VALUES: readonly [string, number, readonly string[]][] = [
  [
    'date',
    1082,
    ['2009-11-04', '1999-01-31', '2024-02-29', '0005-06-07', '12345-01-01', 'infinity', '0044-03-15 BC'],
  ],
  [
    'timestamp',
    1114,
    [
      '2009-11-04 12:12:02',
      '2000-01-01 00:00:00.5',
      '1970-12-31 23:59:59.123456',
      '2024-02-29 06:07:08',
      '-infinity',
      '0007-08-09 10:11:12',
      '0100-02-28 01:02:03 BC',
    ],
  ],
  [
    'timestamptz',
    1184,
    [
      '2009-11-04 12:12:02+00',
      '2024-03-31 01:30:00+00',
      '2024-10-27 00:59:59.25+00',
      '1901-06-01 12:00:00+00',
      '2038-07-01 23:00:00-07',
      '0050-01-01 00:00:00+00',
    ],
  ],
  ['bytea', 17, ['a\\000\\001\\002b', '\\\\x', 'plain text', '\\377\\200 \\047']],
]

const STYLES = [
  'ISO, MDY',
  'ISO, DMY',
  'SQL, MDY',
  'SQL, DMY',
  'German, DMY',
  'Postgres, MDY',
  'Postgres, DMY',
]
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'GMT']

describe.skipIf(skip)('results in the client session’s output style', () => {
  let partition: pg.Client
  let client: pg.Client
  beforeAll(async () => {
    partition = new pg.Client(sharedCluster().clientConfig('postgres'))
    client = new pg.Client(sharedCluster().clientConfig('postgres'))
    await partition.connect()
    await client.connect()
    await partition.query("set datestyle = 'ISO, MDY'; set timezone = 'Asia/Tokyo'; set bytea_output = 'hex'")
  })
  afterAll(async () => {
    await partition?.end()
    await client?.end()
  })

  async function printed(c: pg.Client, type: string, literal: string): Promise<string> {
    const r = await c.query({ text: `select $1::${type}::text as v`, values: [literal] })
    return r.rows[0].v
  }

  for (const style of STYLES) {
    for (const zone of ZONES) {
      it(`DateStyle ${style}, TimeZone ${zone}, bytea_output escape`, async () => {
        await client.query(
          `set datestyle = '${style}'; set timezone = '${zone}'; set bytea_output = 'escape'`,
        )
        for (const [type, oid, literals] of VALUES) {
          const restyle = restyleFor(oid, { dateStyle: style, timeZone: zone, byteaOutput: 'escape' })
          for (const literal of literals) {
            const remote = await printed(partition, type, literal)
            const expected = await printed(client, type, literal)
            if (restyle) expect(restyle(remote), `${type} '${literal}' (partition: ${remote})`).toBe(expected)
            else if (type === 'timestamptz')
              expect(style.startsWith('ISO') || ['UTC', 'GMT'].includes(zone)).toBe(false)
            else expect(remote, `${type} '${literal}'`).toBe(expected)
          }
        }
      })
    }
  }

  const INTERVALS = [
    '0',
    '1 year 2 mons 3 days 04:05:06.5',
    '-1 year -2 mons +3 days -04:05:06.000001',
    '-1 days +02:00:00',
    '1 day -00:00:01',
    '100:00:00',
    '-00:00:00.25',
    '14 mons',
    '-1 year',
    '1 sec',
    '-1 sec',
    '3 days',
    '-3 days -00:00:01',
    '2 years 00:00:01',
    '178000000 years',
    '1 hour 1 minute 1.5 seconds ago',
  ]

  it.each(['sql_standard', 'iso_8601', 'postgres_verbose', 'postgres'])(
    'IntervalStyle %s',
    async (intervalStyle) => {
      await client.query(`set intervalstyle = '${intervalStyle}'`)
      const restyle = restyleFor(1186, {
        dateStyle: 'ISO, MDY',
        timeZone: 'UTC',
        byteaOutput: 'hex',
        intervalStyle,
      })
      expect(restyle === undefined).toBe(intervalStyle === 'postgres')
      for (const literal of INTERVALS) {
        const remote = await printed(partition, 'interval', literal)
        const expected = await printed(client, 'interval', literal)
        expect(restyle ? restyle(remote) : remote, `'${literal}' (partition: ${remote})`).toBe(expected)
      }
      await client.query('reset intervalstyle')
    },
  )
})
