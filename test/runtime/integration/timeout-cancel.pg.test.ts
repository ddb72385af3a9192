/**
 * `query_timeout` (cluster config, seconds) and cancellation through an AbortSignal
 * (spec §6.4, DESIGN decision 7): the call fails as PL/Proxy's would and the remote
 * queries are cancelled on every partition still running.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PlProxyError } from '../../../src/runtime/errors.js'
import { createProxy, type PlProxy } from '../../../src/runtime/proxy.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres } from '../../harness/shared-cluster.js'
import { activeQueries, backends, createPartitions, rejection, sleep, waitFor } from './helpers.js'

const skip = skipWithoutPostgres('query_timeout and cancellation')

// partition 0 answers at once, the others sleep for x seconds
const remote = (i: number) => `
  create function nap(x float8) returns int language sql as
    $$ select ${i} from pg_sleep(case when ${i} = 0 then 0 else x end) $$;
  create function s(x float8) returns int language sql as $$ select 1 from pg_sleep(x) $$;
`

const PROXY = `
  create function nap(x float8) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
  create function s(x float8) returns int as $$ cluster 'c'; run on 1; $$ language plproxy;
  create function hang() returns int as $$ cluster 'silent'; run on 0; $$ language plproxy;
`

async function sleepersLeft(pgc: PgCluster, dbs: readonly string[]): Promise<number> {
  let n = 0
  for (const db of dbs) n += (await activeQueries(pgc, db, 'public.s(')).length
  for (const db of dbs) n += (await activeQueries(pgc, db, 'public.nap(')).length
  return n
}

describe.skipIf(skip)('query_timeout and cancellation', () => {
  let pgc: PgCluster
  let dbs: string[]
  let silent: Server
  let silentPort: number
  const sockets: Socket[] = []
  const proxies: PlProxy[] = []

  const proxyWith = async (
    config: Record<string, number> = {},
    pool: { max?: number; connectTimeoutMs?: number } = {},
  ) => {
    const proxy = await createProxy({
      functions: PROXY,
      clusters: {
        c: { partitions: dbs.map((d) => pgc.connstr(d)), config },
        silent: { partitions: [`host=127.0.0.1 port=${silentPort} dbname=nobody`] },
      },
      user: 'postgres',
      pool,
    })
    proxies.push(proxy)
    return proxy
  }

  beforeAll(async () => {
    pgc = sharedCluster()
    dbs = await createPartitions(pgc, 'cancel', 4, (i) => remote(i))
    // a "server" that accepts connections and never answers the startup packet
    silent = createServer((s) => {
      sockets.push(s)
    })
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    silentPort = (silent.address() as { port: number }).port
  })

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.end()))
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => silent.close(() => r()))
  })

  it('query_timeout: a remote query running longer fails with "query timeout" and is cancelled', async () => {
    const proxy = await proxyWith({ query_timeout: 1 })
    const started = Date.now()
    const e = await rejection(proxy.call('s', [30]))
    const elapsed = Date.now() - started
    expect(e).toBeInstanceOf(PlProxyError)
    expect(e.message).toBe('PL/Proxy function public.s(1): query timeout')
    expect(e.code).toBe('XX000')
    expect((e as unknown as PlProxyError).partition?.partitions).toEqual([1])
    expect(elapsed).toBeGreaterThanOrEqual(950)
    expect(elapsed).toBeLessThan(4000)
    expect(
      await waitFor(async () => (await activeQueries(pgc, dbs[1]!, 'public.s(')).length === 0, 1500),
      'the timed-out remote query must be cancelled on the partition',
    ).toBe(true)
    expect(
      (await backends(pgc, dbs[1]!)).some((b) => b.state === 'active' && b.query.includes('public.s(')),
    ).toBe(false)
    // the proxy keeps working
    expect(await proxy.call('s', [0])).toEqual([{ s: 1 }])
  })

  it('query_timeout applies to every partition of RUN ON ALL', async () => {
    const proxy = await proxyWith({ query_timeout: 1 })
    const e = await rejection(proxy.call('nap', [30]))
    expect(e.message).toBe('PL/Proxy function public.nap(1): query timeout')
    expect(await waitFor(async () => (await sleepersLeft(pgc, dbs)) === 0, 1500)).toBe(true)
  })

  it('query_timeout 0 (the default) means no timeout', async () => {
    const proxy = await proxyWith({ query_timeout: 0 })
    expect(await proxy.call('s', [1.2])).toEqual([{ s: 1 }])
  })

  it('aborting mid-query rejects with 57014 and cancels every partition still running', async () => {
    const proxy = await proxyWith()
    const ac = new AbortController()
    const started = Date.now()
    const call = proxy.call('nap', [30], { signal: ac.signal })
    // partitions 1..3 are sleeping, partition 0 has already answered
    expect(
      await waitFor(async () => {
        let n = 0
        for (const db of dbs.slice(1)) n += (await activeQueries(pgc, db, 'public.nap(')).length
        return n === 3
      }, 5000),
    ).toBe(true)
    ac.abort()
    const e = await rejection(call)
    expect(e).toBeInstanceOf(PlProxyError)
    expect(e.code).toBe('57014')
    expect(e.message).toBe('canceling statement due to user request')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(
      await waitFor(async () => (await sleepersLeft(pgc, dbs)) === 0, 1000),
      'every partition still running must have received a cancel request',
    ).toBe(true)
    // nothing stays behind and later calls work
    expect(await proxy.call('nap', [0])).toEqual([{ nap: 0 }, { nap: 1 }, { nap: 2 }, { nap: 3 }])
  })

  it('the abort reason is kept as the error cause', async () => {
    const proxy = await proxyWith()
    const ac = new AbortController()
    const call = proxy.call('s', [30], { signal: ac.signal })
    expect(await waitFor(async () => (await activeQueries(pgc, dbs[1]!, 'public.s(')).length === 1)).toBe(
      true,
    )
    const reason = new Error('user went away')
    ac.abort(reason)
    const e = await rejection(call)
    expect(e.code).toBe('57014')
    expect(e.cause).toBe(reason)
  })

  it('an already aborted signal rejects with 57014 without contacting any partition', async () => {
    const proxy = await proxyWith()
    const before = (await backends(pgc, dbs[1]!)).length
    const e = await rejection(proxy.call('s', [0], { signal: AbortSignal.abort() }))
    expect(e.code).toBe('57014')
    expect((await backends(pgc, dbs[1]!)).length).toBe(before)
  })

  it('connect_timeout in the partition string bounds a connection attempt to a silent server', async () => {
    const proxy = await createProxy({
      functions: PROXY,
      clusters: {
        silent: { partitions: [`host=127.0.0.1 port=${silentPort} dbname=nobody connect_timeout=2`] },
      },
      user: 'postgres',
    })
    proxies.push(proxy)
    const started = Date.now()
    const e = await rejection(proxy.call('hang'))
    const elapsed = Date.now() - started
    expect(e.message).toBe(
      `PL/Proxy function public.hang(0): [nobody] PQconnectPoll: connection to server at "127.0.0.1", port ${silentPort} failed: timeout expired\n`,
    )
    expect(elapsed).toBeGreaterThanOrEqual(1900)
    expect(elapsed).toBeLessThan(4000)
  })

  it('aborting a call that waits for a pool slot rejects with 57014 (query_canceled)', async () => {
    const proxy = await proxyWith({}, { max: 1 })
    const busy = proxy.call('s', [1])
    expect(await waitFor(async () => (await activeQueries(pgc, dbs[1]!, 'public.s(')).length === 1)).toBe(
      true,
    )
    const ac = new AbortController()
    const queued = proxy.call('s', [0], { signal: ac.signal })
    await sleep(100)
    ac.abort()
    const e = await rejection(queued)
    await busy
    expect(
      { code: e.code, message: e.message },
      'BUG: an abort while waiting for a pooled connection is reported as a connection failure',
    ).toEqual({ code: '57014', message: 'canceling statement due to user request' })
  })

  it('aborting a call while its connection is still being established rejects promptly with 57014', async () => {
    // the connect timeout ends the attempt after 3 s in any case
    const proxy = await proxyWith({}, { connectTimeoutMs: 3000 })
    const ac = new AbortController()
    const started = Date.now()
    const call = proxy.call('hang', [], { signal: ac.signal })
    setTimeout(() => ac.abort(), 200)
    // never wait for longer than 5 s, whatever happens to the call
    const outcome = await Promise.race([
      call.then(
        () => ({ code: 'resolved', message: '' }),
        (e: PlProxyError) => ({ code: e.code, message: e.message }),
      ),
      sleep(5000).then(() => ({ code: 'pending', message: 'still pending 5 s after the abort' })),
    ])
    const elapsed = Date.now() - started
    expect(
      { ...outcome, promptly: elapsed < 2000 },
      `BUG: the abort does not interrupt the connection attempt (settled after ${elapsed} ms with "${outcome.message}")`,
    ).toEqual({ code: '57014', message: 'canceling statement due to user request', promptly: true })
  })
})
