/**
 * The settings a session without a proxy database keeps itself, against
 * PostgreSQL: for each value, `SET` then `SHOW` on a real session, and
 * normalizeSetting from the same starting value — the same result, or the
 * same error (SQLSTATE, message, detail).
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeSetting } from '../../src/server/setting-values.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'

const skip = skipWithoutPostgres('SET values checked against PostgreSQL')

const CASES: Readonly<Record<string, readonly string[]>> = {
  DateStyle: [
    'German',
    'german, ymd',
    'SQL',
    'Postgres, DMY',
    'iso',
    'euro',
    'US',
    'nonEuropean, sql',
    'ymd',
    'ISO, German',
    'dmy mdy',
    'default',
    'German, default',
    'nonsense',
    'iso, nonsense',
  ],
  TimeZone: [
    'Europe/Berlin',
    'europe/berlin',
    'UTC',
    'America/New_York',
    'Asia/Kolkata',
    '3',
    '-5.5',
    '+10',
    '0',
    'No/Where',
    'default',
  ],
  IntervalStyle: ['postgres', 'ISO_8601', 'sql_standard', 'postgres_verbose', 'nonsense'],
  standard_conforming_strings: ['on', 'OFF', 'true', 'f', 'yes', 'n', '1', '0', 'of', 'o', 'maybe'],
}

type Outcome = { value: string } | { code: string; message: string; detail?: string; hint?: string }

describe.skipIf(skip)('SET values as PostgreSQL keeps them', () => {
  let client: pg.Client
  beforeAll(async () => {
    client = new pg.Client(sharedCluster().clientConfig('postgres'))
    await client.connect()
  })
  afterAll(() => client?.end())

  async function real(name: string, value: string): Promise<Outcome> {
    await client.query('reset all')
    try {
      await client.query(`set ${name} = '${value.replace(/'/g, "''")}'`)
      const r = await client.query(`show ${name}`)
      return { value: Object.values(r.rows[0] as object)[0] as string }
    } catch (e) {
      const f = e as { code: string; message: string; detail?: string; hint?: string }
      return {
        code: f.code,
        message: f.message,
        ...(f.detail ? { detail: f.detail } : {}),
        ...(f.hint ? { hint: f.hint } : {}),
      }
    }
  }

  function ours(name: string, value: string, initial: string): Outcome {
    try {
      return { value: normalizeSetting(name, value, initial, initial) }
    } catch (e) {
      const f = e as { code: string; message: string; detail?: string; hint?: string }
      return {
        code: f.code,
        message: f.message,
        ...(f.detail ? { detail: f.detail } : {}),
        ...(f.hint ? { hint: f.hint } : {}),
      }
    }
  }

  for (const [name, values] of Object.entries(CASES)) {
    it.each(values)(`${name} = '%s'`, async (value) => {
      await client.query('reset all')
      const r = await client.query(`show ${name}`)
      const initial = Object.values(r.rows[0] as object)[0] as string
      // the session gets the name from PostgreSQL's parser, which folds it to lower case
      expect(ours(name.toLowerCase(), value, initial)).toEqual(await real(name, value))
    })
  }
})
