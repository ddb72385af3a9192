/**
 * Cancel requests through `plproxy serve`: psql's SIGINT (a CancelRequest on
 * a new connection), postgres.js's query.cancel(), and a raw CancelRequest with
 * node-postgres's key. A cancelled call stops the partition's query (no
 * backend left sleeping), answers 57014 like PostgreSQL, and the session goes on.
 */
import type pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPlproxy } from '../harness/shared-cluster.js'
import { activeQueries, waitFor } from '../runtime/integration/helpers.js'
import {
  connectClient,
  createDigoal,
  type DigoalEnv,
  PSQL,
  type RunResult,
  run,
  sendCancel,
  serveDigoal,
  sleep,
} from './serve-env.js'

const skip = skipWithoutPlproxy('plproxy serve: cancel')

/** Runs psql -c sql, sends it SIGINT once `ready()` holds; resolves with its outcome. */
async function psqlInterrupted(
  port: number,
  database: string,
  sql: string,
  ready: () => Promise<boolean>,
): Promise<{ result: RunResult; sawReady: boolean; ms: number }> {
  let child: { kill(signal: NodeJS.Signals): boolean } | undefined
  const started = Date.now()
  const done = run(
    PSQL,
    ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-c', sql],
    {
      onSpawn: (c) => {
        child = c
      },
      timeoutMs: 30_000,
    },
  )
  const sawReady = await waitFor(ready, 10_000)
  child?.kill('SIGINT')
  const result = await done
  return { result, sawReady, ms: Date.now() - started }
}

/** A CancelRequest (80877102) for a backend key. */

describe.skipIf(skip)('plproxy serve: cancel', () => {
  let env: DigoalEnv
  let server: RunningServer

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_cancel', { real: true, users: 40 })
    server = await serveDigoal(env)
  })
  afterAll(async () => {
    await server?.close({ graceful: false })
  })

  const sleeping = (db: string) => async () => (await activeQueries(env.cluster, db, 'f_sleep')).length > 0

  it('psql SIGINT during a proxy call: psql prints the cancel error and the partition stops sleeping', async () => {
    // userid 1 → partition 1
    const { result, sawReady, ms } = await psqlInterrupted(
      server.port,
      env.proxyDb,
      'select f_sleep(1, 30)',
      sleeping(env.nodes[1]!),
    )
    expect(sawReady).toBe(true)
    expect(result.stderr).toContain('Cancel request sent')
    expect(result.stderr).toMatch(/ERROR: {2}.*canceling statement due to user request/)
    expect(result.code).toBe(1)
    expect(ms).toBeLessThan(15_000)
    expect(await waitFor(async () => !(await sleeping(env.nodes[1]!)()), 5000)).toBe(true)
  })

  it('the same cancel through the real PL/Proxy prints the same thing', async () => {
    const real = await psqlInterrupted(
      env.cluster.port,
      env.proxyDb,
      'select f_sleep(2, 30)',
      sleeping(env.nodes[2]!),
    )
    await waitFor(async () => !(await sleeping(env.nodes[2]!)()), 5000)
    const ours = await psqlInterrupted(
      server.port,
      env.proxyDb,
      'select f_sleep(2, 30)',
      sleeping(env.nodes[2]!),
    )
    expect(real.sawReady && ours.sawReady).toBe(true)
    expect({ code: ours.result.code, stderr: ours.result.stderr }).toEqual({
      code: real.result.code,
      stderr: real.result.stderr,
    })
    expect(await waitFor(async () => !(await sleeping(env.nodes[2]!)()), 5000)).toBe(true)
  })

  it('psql SIGINT during a forwarded statement cancels it on the proxy database', async () => {
    const { result, sawReady } = await psqlInterrupted(
      server.port,
      env.proxyDb,
      'select pg_sleep(30) as forwarded_sleep',
      async () => (await activeQueries(env.cluster, env.proxyDb, 'forwarded_sleep')).length > 0,
    )
    expect(sawReady).toBe(true)
    expect(result.stderr).toContain('ERROR:  canceling statement due to user request')
    expect(
      await waitFor(
        async () => (await activeQueries(env.cluster, env.proxyDb, 'forwarded_sleep')).length === 0,
      ),
    ).toBe(true)
  })

  it('psql SIGINT on a pass-through connection (another database) cancels it there', async () => {
    const { result, sawReady } = await psqlInterrupted(
      server.port,
      env.nodes[0]!,
      'select pg_sleep(30) as relayed_sleep',
      async () => (await activeQueries(env.cluster, env.nodes[0]!, 'relayed_sleep')).length > 0,
    )
    expect(sawReady).toBe(true)
    expect(result.stderr).toContain('ERROR:  canceling statement due to user request')
  })

  it('postgres.js query.cancel(): 57014, the partition stops, the connection goes on', async () => {
    const sql = postgres({
      host: '127.0.0.1',
      port: server.port,
      username: 'postgres',
      database: env.proxyDb,
      max: 1,
    })
    try {
      const q = sql`select f_sleep(${3}, ${30})`
      const outcome = q.then(
        () => 'finished',
        (e: postgres.PostgresError) => e.code,
      )
      expect(await waitFor(sleeping(env.nodes[3]!), 10_000)).toBe(true)
      q.cancel()
      expect(await outcome).toBe('57014')
      expect(await waitFor(async () => !(await sleeping(env.nodes[3]!)()), 5000)).toBe(true)
      expect([...(await sql`select o_userid from f_user_login(${7})`)]).toEqual([{ o_userid: 7 }])
    } finally {
      await sql.end({ timeout: 5 })
    }
  })

  it('a CancelRequest with the wrong secret key does nothing; the right one cancels (node-postgres key)', async () => {
    const c = await connectClient(server, env)
    try {
      const key = c as unknown as { processID: number; secretKey: number }
      expect(key.processID).toBeGreaterThan(0)
      // wrong key: the call (1.5 s) finishes normally
      const first = c.query('select f_sleep(5, 1.5) as r')
      expect(await waitFor(sleeping(env.nodes[1]!), 10_000)).toBe(true)
      await sendCancel(server.port, key.processID, (key.secretKey + 1) | 0)
      await sendCancel(server.port, (key.processID + 1) | 0, key.secretKey)
      expect((await first).rows).toEqual([{ r: 5 }])
      // right key
      const second = c.query('select f_sleep(9, 30) as r').then(
        () => 'finished',
        (e: pg.DatabaseError) => e.code,
      )
      expect(await waitFor(sleeping(env.nodes[1]!), 10_000)).toBe(true)
      await sendCancel(server.port, key.processID, key.secretKey)
      expect(await second).toBe('57014')
      expect(await waitFor(async () => !(await sleeping(env.nodes[1]!)()), 5000)).toBe(true)
      expect((await c.query('select f_user_logout(9) as r')).rows).toEqual([{ r: 0 }])
    } finally {
      await c.end()
    }
  })

  it('a cancel that arrives while nothing runs is harmless', async () => {
    const c = await connectClient(server, env)
    try {
      const key = c as unknown as { processID: number; secretKey: number }
      await sendCancel(server.port, key.processID, key.secretKey)
      await sleep(100)
      expect((await c.query('select o_userid from f_user_login(3)')).rows).toEqual([{ o_userid: 3 }])
    } finally {
      await c.end()
    }
  })
})
