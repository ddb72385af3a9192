/**
 * The runtime's own connection pooling (DESIGN decision 7), observed as a user would:
 * backend PIDs returned by the partitions, pg_stat_activity on the partitions, the
 * process's open sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectionPool } from '../../../src/runtime/executor/pool.js'
import { createProxy, type PlProxy } from '../../../src/runtime/proxy.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../../harness/shared-cluster.js'
import { backends, createPartitions, rejection, sleep, socketsTo, waitFor } from './helpers.js'

const skip = skipWithoutPostgres('runtime connection pools')

const REMOTE = `
  create function pid() returns int language sql as 'select pg_backend_pid()';
  create function pids() returns int language sql as 'select pg_backend_pid()';
  create function who() returns text language sql as 'select current_user::text';
  create function s(x float8) returns int language sql as 'select 1 from pg_sleep(x)';
`

const PROXY = `
  create function pid() returns int as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function pids() returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
  create function who() returns text as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function s(x float8) returns int as $$ cluster 'c'; run on 0; $$ language plproxy;
`

describe.skipIf(skip)('connection pools', () => {
  let pgc: PgCluster
  let dbs: string[]
  let role: string
  const proxies: PlProxy[] = []

  const proxyWith = async (
    config: Record<string, string | number> = {},
    pool: { max?: number; idleTimeoutMs?: number } = {},
  ) => {
    const proxy = await createProxy({
      functions: PROXY,
      clusters: { c: { partitions: dbs.map((d) => pgc.connstr(d)), config } },
      user: 'postgres',
      pool,
    })
    proxies.push(proxy)
    return proxy
  }

  beforeAll(async () => {
    pgc = sharedCluster()
    role = uniqueDbName('pool_role')
    await pgc.query('postgres', `create role ${role} login`)
    dbs = await createPartitions(pgc, 'pool', 2, () => REMOTE)
  })

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.end()))
  })

  it('reuses one connection per partition across sequential calls', async () => {
    const proxy = await proxyWith()
    const first = await proxy.call<{ pids: number }>('pids')
    expect(first).toHaveLength(2)
    for (let i = 0; i < 4; i++) expect(await proxy.call('pids')).toEqual(first)
    for (const db of dbs) expect(await backends(pgc, db)).toHaveLength(1)
    await proxy.end()
    for (const db of dbs) {
      expect(await waitFor(async () => (await backends(pgc, db)).length === 0)).toBe(true)
    }
  })

  it('keeps separate connections per connecting user (current_user)', async () => {
    const proxy = await proxyWith()
    expect(await proxy.call('who')).toEqual([{ who: 'postgres' }])
    expect(await proxy.call('who', [], { user: role })).toEqual([{ who: role }])
    expect(await proxy.call('who')).toEqual([{ who: 'postgres' }])
    const users = (await backends(pgc, dbs[0]!)).map((b) => b.usename).sort()
    expect(users).toEqual(['postgres', role].sort())
    await proxy.end()
  })

  it('connection_lifetime closes a connection older than the lifetime and opens a new one', async () => {
    const proxy = await proxyWith({ connection_lifetime: 1 })
    const [{ pid: a }] = (await proxy.call<{ pid: number }>('pid')) as [{ pid: number }]
    expect(await proxy.call('pid')).toEqual([{ pid: a }])
    await sleep(1100)
    const [{ pid: b }] = (await proxy.call<{ pid: number }>('pid')) as [{ pid: number }]
    expect(b, 'a connection past connection_lifetime must not be reused').not.toBe(a)
    // the old backend is gone, not merely idle
    expect(
      await waitFor(async () => !(await backends(pgc, dbs[0]!)).some((x) => x.pid === a)),
      `backend ${a} should have been closed`,
    ).toBe(true)
    expect(await proxy.call('pid')).toEqual([{ pid: b }])
    await proxy.end()
  })

  it('connection_lifetime 0 (or negative) means unlimited', async () => {
    const proxy = await proxyWith({ connection_lifetime: -5 })
    const first = await proxy.call('pid')
    await sleep(300)
    expect(await proxy.call('pid')).toEqual(first)
    await proxy.end()
  })

  it('pool max limits concurrent connections and queues the other callers', async () => {
    const proxy = await proxyWith({}, { max: 2 })
    let peak = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await backends(pgc, dbs[0]!)).length)
        await sleep(40)
      }
    })()
    const started = Date.now()
    const results = await Promise.all(Array.from({ length: 6 }, () => proxy.call('s', [0.3])))
    const elapsed = Date.now() - started
    sampling = false
    await sampler
    expect(results).toEqual(Array.from({ length: 6 }, () => [{ s: 1 }]))
    // 6 calls of 0.3 s through 2 connections: at least 3 rounds
    expect(elapsed).toBeGreaterThanOrEqual(850)
    expect(peak).toBeGreaterThan(0)
    expect(peak, 'never more than pool.max connections to one partition').toBeLessThanOrEqual(2)
    await proxy.end()
  })

  it('closes idle connections after the idle timeout', async () => {
    const proxy = await proxyWith({}, { idleTimeoutMs: 200 })
    await proxy.call('pids')
    for (const db of dbs) expect(await backends(pgc, db)).toHaveLength(1)
    for (const db of dbs) {
      expect(
        await waitFor(async () => (await backends(pgc, db)).length === 0, 3000),
        'idle connections should be closed after idleTimeoutMs',
      ).toBe(true)
    }
    // and a later call simply reconnects
    expect(await proxy.call('pids')).toHaveLength(2)
    await proxy.end()
  })

  it('end() closes every connection and leaves no socket open', async () => {
    const proxy = await proxyWith({}, { max: 4 })
    await Promise.all(Array.from({ length: 4 }, () => proxy.call('s', [0.1])))
    await proxy.call('pids')
    expect(socketsTo(pgc.port)).toBeGreaterThan(0)
    await proxy.end()
    expect(await waitFor(async () => socketsTo(pgc.port) === 0, 2000), 'sockets left open after end()').toBe(
      true,
    )
    for (const db of dbs) expect(await backends(pgc, db)).toEqual([])
  })

  it('a connection whose backend was terminated while idle is replaced transparently', async () => {
    const proxy = await proxyWith()
    const [{ pid: a }] = (await proxy.call<{ pid: number }>('pid')) as [{ pid: number }]
    await pgc.query('postgres', 'select pg_terminate_backend($1)', [a])
    await sleep(200)
    const [{ pid: b }] = (await proxy.call<{ pid: number }>('pid')) as [{ pid: number }]
    expect(b).not.toBe(a)
    expect(await backends(pgc, dbs[0]!)).toHaveLength(1)
    await proxy.end()
  })

  it('end() while a call is running lets it finish and then closes its connection', async () => {
    const proxy = await proxyWith()
    const running = proxy.call('s', [0.5]).then(
      (rows) => rows,
      (e: Error) => e.message,
    )
    await waitFor(async () => (await backends(pgc, dbs[0]!)).some((b) => b.state === 'active'))
    await proxy.end()
    expect(await running).toEqual([{ s: 1 }])
    expect(await waitFor(async () => (await backends(pgc, dbs[0]!)).length === 0, 2000)).toBe(true)
  })

  it('a call after end() is refused and opens no connection', async () => {
    const proxy = await proxyWith()
    await proxy.call('pid')
    await proxy.end()
    await waitFor(async () => (await backends(pgc, dbs[0]!)).length === 0)
    const outcome = await proxy.call('pid').then(
      (rows) => ({ rows }),
      (e: Error) => ({ error: e.message }),
    )
    await sleep(100)
    const left = await backends(pgc, dbs[0]!)
    expect(left, 'BUG: after proxy.end() a call opens a new pooled connection that is never closed').toEqual(
      [],
    )
    expect(outcome, 'a call after end() should reject').toHaveProperty('error')
  })
})

describe.skipIf(skip)('ConnectionPool (executor) against PostgreSQL', () => {
  let pgc: PgCluster
  let db: string

  beforeAll(async () => {
    pgc = sharedCluster()
    ;[db] = (await createPartitions(pgc, 'cpool', 1, () => '')) as [string]
  })

  it('spreads expiries: each connection gets up to 10% lifetime jitter', async () => {
    const pool = new ConnectionPool(pgc.clientConfig(db), { max: 12, lifetimeMs: 60_000, idleTimeoutMs: 0 })
    const conns = await Promise.all(Array.from({ length: 12 }, () => pool.acquire()))
    const lifetimes = conns.map((c) => c.expiresAt - c.createdAt)
    for (const l of lifetimes) {
      expect(l).toBeGreaterThanOrEqual(54_000)
      expect(l).toBeLessThanOrEqual(60_000)
    }
    expect(new Set(lifetimes).size, 'expiries should not all coincide').toBeGreaterThan(6)
    expect(Math.max(...lifetimes) - Math.min(...lifetimes)).toBeGreaterThan(500)
    expect(pool.size).toBe(12)
    for (const c of conns) pool.release(c)
    expect(pool.idleCount).toBe(12)
    await pool.end()
    expect(pool.size).toBe(0)
    expect(await waitFor(async () => (await backends(pgc, db)).length === 0)).toBe(true)
  })

  it('an expired idle connection is closed at the next acquire, not reused', async () => {
    const pool = new ConnectionPool(pgc.clientConfig(db), { max: 2, lifetimeMs: 300, idleTimeoutMs: 0 })
    const a = await pool.acquire()
    const pidA = (a.client as unknown as { processID: number }).processID
    pool.release(a)
    await sleep(350)
    const b = await pool.acquire()
    expect((b.client as unknown as { processID: number }).processID).not.toBe(pidA)
    expect(pool.size).toBe(1)
    pool.release(b)
    await pool.end()
  })

  it('queues acquirers beyond max and hands released connections over in order', async () => {
    const pool = new ConnectionPool(pgc.clientConfig(db), { max: 1, lifetimeMs: 0, idleTimeoutMs: 0 })
    const a = await pool.acquire()
    const order: number[] = []
    const w1 = pool.acquire().then((c) => {
      order.push(1)
      return c
    })
    const w2 = pool.acquire().then((c) => {
      order.push(2)
      return c
    })
    await sleep(50)
    expect(order).toEqual([])
    pool.release(a)
    const c1 = await w1
    expect(c1).toBe(a)
    pool.release(c1)
    const c2 = await w2
    expect(order).toEqual([1, 2])
    expect(pool.size).toBe(1)
    pool.release(c2)
    await pool.end()
  })

  it('end() rejects callers still waiting for a connection', async () => {
    const pool = new ConnectionPool(pgc.clientConfig(db), { max: 1, lifetimeMs: 0, idleTimeoutMs: 0 })
    const a = await pool.acquire()
    const waiting = pool.acquire()
    const ended = pool.end()
    expect((await rejection(waiting)).message).toBe('connection pool has been closed')
    pool.release(a)
    await ended
    expect(pool.size).toBe(0)
  })
})
