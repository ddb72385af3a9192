/**
 * The executor's remote query on WireConnections: text rows with their
 * column types, raw DataRow messages (what the wire server forwards), and
 * cancellation of a raw query by query timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectionPool } from '../../../src/runtime/executor/pool.js'
import { RemoteInterrupted, runRemote } from '../../../src/runtime/executor/remote.js'
import { B, dataRowValues, type WireNotice } from '../../../src/runtime/wire/index.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres } from '../../harness/shared-cluster.js'
import { createPartitions, rejection } from './helpers.js'

const skip = skipWithoutPostgres('raw remote rows')

describe.skipIf(skip)('runRemote on WireConnections', () => {
  let pgc: PgCluster
  let pool: ConnectionPool

  beforeAll(async () => {
    pgc = sharedCluster()
    const [db] = (await createPartitions(
      pgc,
      'rraw',
      1,
      () => `create function f(n int) returns table(id int, label text) language plpgsql as $$
               begin raise notice 'n=%', n; return query select g, 'row ' || g from generate_series(1, n) g; end $$`,
    )) as [string]
    pool = new ConnectionPool(pgc.clientConfig(db), { max: 2, lifetimeMs: 0, idleTimeoutMs: 0 })
  })

  afterAll(async () => {
    await pool?.end()
  })

  it('text rows with the columns` names and type OIDs; notices reach onNotice', async () => {
    const notices: WireNotice[] = []
    const r = await runRemote(pool, 'select * from f($1::int4)', ['2'], {
      queryTimeoutMs: 0,
      onNotice: (n) => notices.push(n),
    })
    expect(r.fields.map((f) => ({ name: f.name, typeOid: f.typeOid }))).toEqual([
      { name: 'id', typeOid: 23 },
      { name: 'label', typeOid: 25 },
    ])
    expect(r.rows).toEqual([
      ['1', 'row 1'],
      ['2', 'row 2'],
    ])
    expect(notices.map((n) => n.message)).toEqual(['n=2'])
  })

  it('raw: the DataRow messages, to be forwarded as they are', async () => {
    const r = await runRemote(pool, 'select * from f($1::int4)', ['3'], { queryTimeoutMs: 0, raw: true })
    expect(r.rows).toHaveLength(3)
    for (const m of r.rows) {
      expect(m[0]).toBe(B.DataRow)
      expect(m.readInt32BE(1)).toBe(m.length - 1)
    }
    expect(r.rows.map((m) => dataRowValues(m).map((v) => v?.toString()))).toEqual([
      ['1', 'row 1'],
      ['2', 'row 2'],
      ['3', 'row 3'],
    ])
    expect(r.fields.map((f) => f.name)).toEqual(['id', 'label'])
  })

  it('a raw query past query_timeout is cancelled; the pool goes on', async () => {
    const started = Date.now()
    const e = await rejection(runRemote(pool, 'select pg_sleep(5)', [], { queryTimeoutMs: 200, raw: true }))
    expect(e).toBeInstanceOf(RemoteInterrupted)
    expect((e as unknown as RemoteInterrupted).why).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(3000)
    expect((await runRemote(pool, 'select 1', [], { queryTimeoutMs: 0 })).rows).toEqual([['1']])
  })

  it('an already aborted signal runs nothing', async () => {
    const e = await rejection(
      runRemote(pool, 'select 1', [], { queryTimeoutMs: 0, signal: AbortSignal.abort() }),
    )
    expect((e as unknown as RemoteInterrupted).why).toBe('abort')
  })
})
