/**
 * A partition that cannot be reached: the call fails with PL/Proxy's connection error
 * naming the partition, the password never shows, a later call retries, and nothing
 * leaks (spec §6.1, DESIGN decision 9).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PlProxyError } from '../../../src/runtime/errors.js'
import { createProxy, type PlProxy } from '../../../src/runtime/proxy.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../../harness/shared-cluster.js'
import {
  activeHandles,
  backends,
  closedPort,
  createPartitions,
  rejection,
  socketsTo,
  waitFor,
} from './helpers.js'

const skip = skipWithoutPostgres('unreachable partitions')

const REMOTE = `create function f() returns int language sql as 'select 42';
  create function g() returns text language sql as 'select current_database()::text';`

const PROXY = `
  create function f() returns int as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function g() returns setof text as $$ cluster 'c'; run on all; $$ language plproxy;
`

/** Everything a user could print about an error: message, fields, stack, serialized form. */
function everything(e: Error): string {
  const fields = e as Error & { detail?: string; hint?: string; partition?: unknown; cause?: unknown }
  return [
    e.message,
    fields.detail,
    fields.hint,
    e.stack,
    JSON.stringify(e),
    JSON.stringify(fields.partition),
    String(fields.cause),
    (fields.cause as Error | undefined)?.message,
  ].join('\n')
}

describe.skipIf(skip)('a partition that is down', () => {
  let pgc: PgCluster
  const proxies: PlProxy[] = []
  const track = (p: PlProxy) => {
    proxies.push(p)
    return p
  }

  beforeAll(() => {
    pgc = sharedCluster()
  })

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.end()))
  })

  it('a closed port: PL/Proxy connection error naming the partition, password masked', async () => {
    const port = await closedPort()
    const proxy = track(
      await createProxy({
        functions: PROXY,
        clusters: { c: { partitions: [`host=127.0.0.1 port=${port} dbname=gone password=secret`] } },
        user: 'postgres',
      }),
    )
    const e = await rejection(proxy.call('f'))
    expect(e).toBeInstanceOf(PlProxyError)
    expect(e.code).toBe('XX000')
    expect(e.message).toBe(
      `PL/Proxy function public.f(0): [gone] PQconnectPoll: connection to server at "127.0.0.1", port ${port} failed: ` +
        // libpq's message ends with a newline, which PL/Proxy keeps
        'Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n',
    )
    expect((e as unknown as PlProxyError).partition).toEqual({
      partitions: [0],
      connectString: `host=127.0.0.1 port=${port} dbname=gone password=******** user='postgres'`,
      database: 'gone',
    })
    expect(everything(e)).not.toContain('secret')
    expect(socketsTo(port)).toBe(0)
  })

  it('a URI connect string: the password of user:password@ is masked too', async () => {
    const port = await closedPort()
    const proxy = track(
      await createProxy({
        functions: PROXY,
        clusters: { c: { partitions: [`postgresql://bob:secret@127.0.0.1:${port}/gone`] } },
        user: 'postgres',
      }),
    )
    const e = await rejection(proxy.call('f'))
    expect(e.message).toContain(`port ${port} failed: Connection refused`)
    expect(everything(e)).not.toContain('secret')
    const explained = await proxy.explain('f')
    expect(JSON.stringify(explained)).not.toContain('secret')
  })

  it('explain shows the partition with the password masked', async () => {
    const proxy = track(
      await createProxy({
        functions: PROXY,
        clusters: { c: { partitions: ["host=127.0.0.1 port=1 dbname=x password='sec ret'"] } },
        user: 'postgres',
      }),
    )
    const x = await proxy.explain('f')
    expect(x.connections[0]?.connectString).toBe(
      "host=127.0.0.1 port=1 dbname=x password='********' user='postgres'",
    )
    expect(JSON.stringify(x)).not.toContain('sec ret')
  })

  it('a database that does not exist fails, and a later call succeeds once it exists', async () => {
    const db = uniqueDbName('later')
    const proxy = track(
      await createProxy({
        functions: PROXY,
        clusters: { c: { partitions: [pgc.connstr(db, 'password=secret')] } },
        user: 'postgres',
        pool: { max: 1 },
      }),
    )
    // several failures in a row with pool.max 1: failed connects must not use up the pool
    for (let i = 0; i < 3; i++) {
      const e = await rejection(proxy.call('f'))
      expect(e.code).toBe('XX000')
      expect(e.message).toBe(
        `PL/Proxy function public.f(0): [${db}] PQconnectPoll: connection to server at "127.0.0.1", port ${pgc.port} failed: ` +
          `FATAL:  database "${db}" does not exist\n`,
      )
      expect((e as unknown as PlProxyError).partition).toEqual({
        partitions: [0],
        connectString: `${pgc.connstr(db, 'password=********')} user='postgres'`,
        database: db,
      })
      expect(everything(e)).not.toContain('secret')
    }
    await pgc.createDatabase(db)
    await pgc.query(db, REMOTE)
    expect(await proxy.call('f')).toEqual([{ f: 42 }])
    expect(await backends(pgc, db)).toHaveLength(1)
    await proxy.end()
    expect(await waitFor(async () => (await backends(pgc, db)).length === 0)).toBe(true)
  })

  it('a malformed partition connect string fails the call as PL/Proxy does (PQconnectStart)', async () => {
    const proxy = track(
      await createProxy({
        functions: PROXY,
        clusters: { c: { partitions: ['host=127.0.0.1 port=abc dbname=x password=secret'] } },
        user: 'postgres',
      }),
    )
    const e = await rejection(proxy.call('f'))
    expect(everything(e)).not.toContain('secret')
    expect(
      { type: e.constructor.name, code: e.code, message: e.message },
      'BUG: the connect-string error escapes as a raw ConnectStringError (no SQLSTATE, no function, no partition)',
    ).toEqual({
      type: 'PlProxyError',
      code: 'XX000',
      message:
        'PL/Proxy function public.f(0): [x] PQconnectStart: invalid integer value "abc" for connection option "port"\n',
    })
  })

  it('RUN ON ALL with one partition down names that partition; nothing leaks after end()', async () => {
    const [up0, up2] = (await createPartitions(pgc, 'half', 2, () => REMOTE)) as [string, string]
    const port = await closedPort()
    const socketsBefore = socketsTo(pgc.port)
    const handlesBefore = activeHandles()
    const proxy = await createProxy({
      functions: PROXY,
      clusters: {
        c: {
          partitions: [
            pgc.connstr(up0),
            `host=127.0.0.1 port=${port} dbname=down1 password=secret`,
            pgc.connstr(up2),
            pgc.connstr(up0),
          ],
        },
      },
      user: 'postgres',
    })
    const e = await rejection(proxy.call('g'))
    expect(e.message).toContain('PL/Proxy function public.g(0): [down1] PQconnectPoll:')
    expect((e as unknown as PlProxyError).partition?.partitions).toEqual([1])
    expect((e as unknown as PlProxyError).partition?.connectString).toBe(
      `host=127.0.0.1 port=${port} dbname=down1 password=******** user='postgres'`,
    )
    expect(everything(e)).not.toContain('secret')
    // the partitions that were up answered and keep one idle connection each
    expect(await backends(pgc, up0)).toHaveLength(1)
    expect(await backends(pgc, up2)).toHaveLength(1)
    expect(socketsTo(pgc.port)).toBe(socketsBefore + 2)
    await proxy.end()
    expect(await waitFor(async () => socketsTo(pgc.port) === socketsBefore, 2000)).toBe(true)
    expect(socketsTo(port)).toBe(0)
    expect(activeHandles().Socket ?? 0).toBe(handlesBefore.Socket ?? 0)
    expect(await waitFor(async () => (await backends(pgc, up0)).length === 0)).toBe(true)
    expect(await backends(pgc, up2)).toEqual([])
  })
})
