/**
 * `plproxy serve --workers N`: a primary process accepts connections and
 * hands them to N worker processes. What a client must not notice: calls
 * from many clients (spread over the workers), a CancelRequest (which
 * arrives on a new connection, maybe at another worker), DDL from one
 * client seen by clients of the other workers, one connection limit for
 * all, SHOW plproxy.stats and /metrics summed over the workers, and a
 * close() that ends them all.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'
import { activeQueries, waitFor } from '../runtime/integration/helpers.js'
import { connectClient, createDigoal, type DigoalEnv, sendCancel, serveDigoal } from './serve-env.js'

const skip = skipWithoutPostgres('plproxy serve --workers')

describe.skipIf(skip)('plproxy serve --workers 2', () => {
  let env: DigoalEnv
  let server: RunningServer

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_workers', { users: 100 })
    server = await serveDigoal(env, { workers: 2, maxConnections: 10, metrics: '127.0.0.1:0' })
  }, 60_000)
  afterAll(async () => {
    await server?.close({ graceful: false })
  })

  it('calls from many clients, spread over both workers, and the counters summed', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => connectClient(server, env)))
    try {
      const pids = new Set<number>()
      for (const c of clients) pids.add((c as unknown as { processID: number }).processID)
      const rows = await Promise.all(
        clients.map((c, i) => c.query('select o_userid from f_user_login($1)', [i + 10])),
      )
      expect(rows.map((r) => r.rows[0].o_userid)).toEqual([10, 11, 12, 13, 14, 15])
      // backend keys carry the worker in their top bits: both workers got clients
      expect(new Set([...pids].map((p) => p >>> 24)).size).toBe(2)
      const stats = await clients[0]!.query('show plproxy.stats')
      const login = stats.rows.find((r) => r.scope === 'function' && r.name === 'proxy.f_user_login')
      expect(Number(login?.calls)).toBeGreaterThanOrEqual(6)
      const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text()
      const m = /plproxy_function_calls_total\{function="proxy\.f_user_login"\} (\d+)/.exec(metrics)
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(6)
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
  })

  it('a CancelRequest reaches the worker that runs the call', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectClient(server, env)))
    try {
      for (const c of clients) {
        const key = c as unknown as { processID: number; secretKey: number }
        const running = c.query('select f_sleep(3, 30) as r').then(
          () => 'finished',
          (e: pg.DatabaseError) => e.code,
        )
        const sleeping = () => activeQueries(env.cluster, env.nodes[3]!, 'f_sleep').then((q) => q.length > 0)
        expect(await waitFor(sleeping, 10_000)).toBe(true)
        await sendCancel(server.port, key.processID, key.secretKey)
        expect(await running).toBe('57014')
        expect(await waitFor(async () => !(await sleeping()), 5000)).toBe(true)
      }
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
  })

  it('CREATE FUNCTION from one client is called by the clients of both workers', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectClient(server, env)))
    try {
      await clients[0]!.query(`create function proxy.f_worker_echo(i int) returns text as $$
          cluster 'digoal'; run on i; select current_database()::text; $$ language plproxy`)
      const out = await Promise.all(clients.map((c) => c.query('select f_worker_echo(2) as db')))
      expect(out.map((r) => r.rows[0].db)).toEqual(clients.map(() => env.nodes[2]))
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
  })

  it('one connection limit over both workers', async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => connectClient(server, env)))
    try {
      const extra = new pg.Client({
        host: '127.0.0.1',
        port: server.port,
        user: 'postgres',
        database: env.proxyDb,
      })
      const e = await extra.connect().then(
        () => undefined,
        (err: pg.DatabaseError) => err,
      )
      await extra.end().catch(() => {})
      expect(e).toMatchObject({ code: '53300', message: 'sorry, too many clients already' })
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
    // the slots come back
    expect(
      await waitFor(async () => {
        const c = await connectClient(server, env).catch(() => undefined)
        await c?.end()
        return c !== undefined
      }, 5000),
    ).toBe(true)
  })
})
