/**
 * Partitions that want a password (md5, scram-sha-256) and TLS settings,
 * through the runtime: the password from the connect string, PGPASSWORD or
 * the password file, and libpq's wording when a login fails.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProxy, type PlProxy } from '../../../src/runtime/proxy.js'
import { type PgCluster, startPgCluster } from '../../harness/pg-cluster.js'
import { skipWithoutPostgres } from '../../harness/shared-cluster.js'
import { rejection } from './helpers.js'

const skip = skipWithoutPostgres('partitions with password authentication')

const PROXY = `create function who() returns text as $$ cluster 'c'; run on 0; $$ language plproxy;`

describe.skipIf(skip)('partitions with password authentication', () => {
  let pgc: PgCluster
  const proxies: PlProxy[] = []

  const call = async (partition: string, environment: Record<string, string> = {}) => {
    const proxy = await createProxy({
      functions: PROXY,
      clusters: { c: { partitions: [partition] } },
      user: 'postgres',
      environment,
    })
    proxies.push(proxy)
    return proxy.call<{ who: string }>('who')
  }

  beforeAll(async () => {
    pgc = await startPgCluster({
      name: 'plproxy-partition-auth',
      hba: ['host all md5user 127.0.0.1/32 md5', 'host all scramuser 127.0.0.1/32 scram-sha-256'],
    })
    await pgc.query(
      'postgres',
      `set password_encryption = 'md5'; create role md5user login password 'md5 pw';
       set password_encryption = 'scram-sha-256'; create role scramuser login password 'scram pw';
       create function who() returns text language sql as 'select current_user::text';`,
    )
  })

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.end()))
    await pgc?.stop()
  })

  it('logs in with the connect string`s password (md5 and SCRAM)', async () => {
    expect(await call(pgc.connstr('postgres', "user=md5user password='md5 pw'"))).toEqual([
      { who: 'md5user' },
    ])
    expect(await call(pgc.connstr('postgres', "user=scramuser password='scram pw'"))).toEqual([
      { who: 'scramuser' },
    ])
  })

  it('logs in with PGPASSWORD from the environment', async () => {
    expect(await call(pgc.connstr('postgres', 'user=scramuser'), { PGPASSWORD: 'scram pw' })).toEqual([
      { who: 'scramuser' },
    ])
  })

  it('logs in with the password file (PGPASSFILE, or ~/.pgpass by HOME)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'plproxy-pgpass-home-'))
    writeFileSync(join(home, '.pgpass'), `127.0.0.1:${pgc.port}:postgres:scramuser:scram pw\n`, {
      mode: 0o600,
    })
    expect(await call(pgc.connstr('postgres', 'user=scramuser'), { HOME: home })).toEqual([
      { who: 'scramuser' },
    ])
    const file = join(home, 'other')
    writeFileSync(file, `*:*:*:md5user:md5 pw\n`, { mode: 0o600 })
    expect(await call(pgc.connstr('postgres', 'user=md5user'), { PGPASSFILE: file })).toEqual([
      { who: 'md5user' },
    ])
  })

  it('a wrong password: the server`s FATAL in libpq`s wording', async () => {
    const e = await rejection(call(pgc.connstr('postgres', 'user=md5user password=wrong')))
    expect(e.message).toBe(
      `PL/Proxy function public.who(0): [postgres] PQconnectPoll: connection to server at "127.0.0.1", port ${pgc.port} failed: FATAL:  password authentication failed for user "md5user"\n`,
    )
    expect(e.message).not.toContain('wrong')
  })

  it('no password anywhere: libpq`s fe_sendauth error', async () => {
    const home = mkdtempSync(join(tmpdir(), 'plproxy-empty-home-'))
    const e = await rejection(call(pgc.connstr('postgres', 'user=scramuser'), { HOME: home }))
    expect(e.message).toBe(
      `PL/Proxy function public.who(0): [postgres] PQconnectPoll: connection to server at "127.0.0.1", port ${pgc.port} failed: fe_sendauth: no password supplied\n`,
    )
  })

  it('sslmode=require against a server without TLS fails as libpq does; prefer connects in plain text', async () => {
    const e = await rejection(call(pgc.connstr('postgres', 'sslmode=require')))
    expect(e.message).toBe(
      `PL/Proxy function public.who(0): [postgres] PQconnectPoll: connection to server at "127.0.0.1", port ${pgc.port} failed: server does not support SSL, but SSL was required\n`,
    )
    expect(await call(pgc.connstr('postgres', 'sslmode=prefer'))).toEqual([{ who: 'postgres' }])
  })
})
