/**
 * Clusters defined in a live proxy database (spec §5.1–5.3): the
 * `plproxy.get_cluster_*` functions with version-based reload and their errors, SQL/MED
 * servers in the proxy database's catalogs (user mappings, USAGE grants), SQL/MED
 * winning over the functions, and `clusterRefreshMs`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PlProxyError } from '../../../src/runtime/errors.js'
import { createProxy, type PlProxy, type ProxyOptions } from '../../../src/runtime/proxy.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../../harness/shared-cluster.js'
import { createPartitions, rejection, sleep, waitFor } from './helpers.js'

const skip = skipWithoutPostgres('live cluster configuration from a proxy database')

// the remote functions take the proxy functions' arguments (the cluster name, a hash)
const remote = (i: number) => `
  create function part(c text) returns int language sql as 'select ${i}';
  create function part(c text, h int) returns int language sql as 'select ${i}';
  create function who(c text) returns text language sql as 'select current_user::text';
  create function pid(c text) returns int language sql as 'select pg_backend_pid()';
`

const PROXY = `
  create function part(c text) returns setof int as $$ cluster btrim(c); run on all; $$ language plproxy;
  create function part_on(c text, h int) returns int as $$ cluster btrim(c); run on h; target part; $$ language plproxy;
  create function who(c text) returns text as $$ cluster btrim(c); run on 0; $$ language plproxy;
  create function pid(c text) returns int as $$ cluster btrim(c); run on 0; $$ language plproxy;
`

/** compat functions reading plain tables, so that tests can change them */
const COMPAT = `
  create schema plproxy;
  create table plproxy.cluster_def (name text primary key, version int not null);
  create table plproxy.partition_def (name text, idx int, connstr text);
  create table plproxy.config_def (name text, key text, value text);
  create function plproxy.get_cluster_version(cluster_name text) returns int language plpgsql as $$
    declare v int;
    begin
      select version into v from plproxy.cluster_def where name = cluster_name;
      if not found then raise exception 'no such cluster: %', cluster_name; end if;
      return v;
    end $$;
  create function plproxy.get_cluster_partitions(cluster_name text) returns setof text language sql as
    $$ select connstr from plproxy.partition_def where name = cluster_name order by idx $$;
  create function plproxy.get_cluster_config(in cluster_name text, out key text, out val text)
    returns setof record language sql as
    $$ select key, value from plproxy.config_def where name = cluster_name order by key $$;
`

describe.skipIf(skip)('live clusters from a proxy database', () => {
  let pgc: PgCluster
  let parts: string[]
  let proxyDb: string
  const proxies: PlProxy[] = []
  const roles: Record<'alice' | 'bob' | 'carol' | 'mixed', string> = {
    alice: '',
    bob: '',
    carol: '',
    mixed: '',
  }

  const q = (sql: string, params?: unknown[]) => pgc.query(proxyDb, sql, params)
  const defineCompat = async (name: string, version: number, partitions: readonly string[]) => {
    await q('delete from plproxy.partition_def where name = $1', [name])
    for (const [i, p] of partitions.entries()) {
      await q('insert into plproxy.partition_def values ($1, $2, $3)', [name, i, pgc.connstr(p)])
    }
    await q(
      'insert into plproxy.cluster_def values ($1, $2) on conflict (name) do update set version = excluded.version',
      [name, version],
    )
  }
  const setConfig = (name: string, key: string, value: string) =>
    q('insert into plproxy.config_def values ($1, $2, $3)', [name, key, value])

  const proxyWith = async (options: Partial<ProxyOptions> = {}) => {
    const proxy = await createProxy({
      functions: PROXY,
      proxyDatabase: pgc.connstr(proxyDb, 'user=postgres'),
      user: 'postgres',
      clusterRefreshMs: 0,
      ...options,
    })
    proxies.push(proxy)
    return proxy
  }

  beforeAll(async () => {
    pgc = sharedCluster()
    parts = await createPartitions(pgc, 'live_part', 4, (i) => remote(i))
    for (const k of ['alice', 'bob', 'carol'] as const) {
      roles[k] = uniqueDbName(k)
      await pgc.query('postgres', `create role ${roles[k]} login`)
    }
    roles.mixed = `Mixed${uniqueDbName('Case')}`
    await pgc.query('postgres', `create role "${roles.mixed}" login`)
    proxyDb = uniqueDbName('live_proxy')
    await pgc.createDatabase(proxyDb)
    await q(COMPAT)
    await q('create extension plproxy')
  })

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.end()))
  })

  describe('plproxy.get_cluster_* functions', () => {
    it('are found when schema plproxy has all three', async () => {
      await defineCompat('found', 1, parts.slice(0, 1))
      const proxy = await proxyWith()
      const outcome = await proxy.call('part', ['found']).then(
        (rows) => rows,
        (e: Error) => e.message,
      )
      expect(
        outcome,
        'the three functions must be detected (pg_proc.proargtypes is an oidvector: its oid[] cast has lower bound 0)',
      ).toEqual([{ part: 0 }])
    })

    it('loads partitions and reloads them when the version changes', async () => {
      await defineCompat('compat1', 1, parts.slice(0, 2))
      const proxy = await proxyWith()
      expect(await proxy.call('part', ['compat1'])).toEqual([{ part: 0 }, { part: 1 }])
      const x = await proxy.explain('part', ['compat1'])
      expect(x.cluster).toMatchObject({ name: 'compat1', source: 'functions', version: 1, partitions: 2 })
      expect(x.connections.map((c) => c.connectString)).toEqual([
        `${pgc.connstr(parts[0]!)} user='postgres'`,
        `${pgc.connstr(parts[1]!)} user='postgres'`,
      ])
      // new partitions without a version bump are not seen
      await defineCompat('compat1', 1, parts)
      expect(await proxy.call('part', ['compat1'])).toEqual([{ part: 0 }, { part: 1 }])
      // a version bump reloads
      await defineCompat('compat1', 2, parts)
      expect(await proxy.call('part', ['compat1'])).toEqual([
        { part: 0 },
        { part: 1 },
        { part: 2 },
        { part: 3 },
      ])
      // a lower version reloads too: the version must differ, not grow
      await defineCompat('compat1', 1, parts.slice(2, 4))
      expect(await proxy.call('part', ['compat1'])).toEqual([{ part: 2 }, { part: 3 }])
      expect((await proxy.explain('part', ['compat1'])).cluster.version).toBe(1)
    })

    it('a reload closes the connections of the cluster (spec §5.2, step 3)', async () => {
      await defineCompat('compat_reload', 1, parts.slice(0, 1))
      const proxy = await proxyWith()
      const [{ pid: before }] = (await proxy.call<{ pid: number }>('pid', ['compat_reload'])) as [
        { pid: number },
      ]
      expect(await proxy.call('pid', ['compat_reload'])).toEqual([{ pid: before }])
      await defineCompat('compat_reload', 2, parts.slice(0, 1))
      const [{ pid: after }] = (await proxy.call<{ pid: number }>('pid', ['compat_reload'])) as [
        { pid: number },
      ]
      expect(
        after,
        'DIVERGENCE: after a version change PL/Proxy closes every connection of the cluster; plproxy-ts reuses them',
      ).not.toBe(before)
    })

    it('config changes are picked up with the version only', async () => {
      await defineCompat('compat2', 1, parts.slice(0, 2))
      const proxy = await proxyWith()
      expect((await proxy.explain('part', ['compat2'])).cluster.config.connectionLifetime).toBe(0)
      await setConfig('compat2', 'connection_lifetime', '30')
      await setConfig('compat2', 'Query_Timeout', '7 seconds')
      expect((await proxy.explain('part', ['compat2'])).cluster.config.connectionLifetime).toBe(0)
      await defineCompat('compat2', 2, parts.slice(0, 2))
      const config = (await proxy.explain('part', ['compat2'])).cluster.config
      expect(config).toMatchObject({ connectionLifetime: 30, queryTimeout: 7 })
    })

    it('modular_mapping from the config allows 3 partitions and maps |hash % 3|', async () => {
      await defineCompat('compat3', 1, parts.slice(0, 3))
      await setConfig('compat3', 'modular_mapping', '1')
      const proxy = await proxyWith()
      expect(await proxy.call('part', ['compat3'])).toEqual([{ part: 0 }, { part: 1 }, { part: 2 }])
      const got = []
      for (const h of [-4, -3, -2, -1, 0, 1, 2, 3, 4])
        got.push((await proxy.call('part_on', ['compat3', h]))[0])
      expect(got.map((r) => (r as { part_on: number }).part_on)).toEqual([1, 0, 2, 1, 0, 1, 2, 0, 1])
    })

    it('an invalid partition count fails the call: get_partlist: invalid part count', async () => {
      await defineCompat('compat4', 1, parts.slice(0, 3))
      const proxy = await proxyWith()
      const e = await rejection(proxy.call('part', ['compat4']))
      expect(e).toBeInstanceOf(PlProxyError)
      expect(e.message).toBe('PL/Proxy function public.part(1): get_partlist: invalid part count')
      expect(e.code).toBe('XX000')
    })

    it("errors raised by the user's get_cluster_version propagate unchanged", async () => {
      const proxy = await proxyWith()
      const e = await rejection(proxy.call('part', ['nonexists']))
      expect(e.message).toBe('no such cluster: nonexists')
      expect(e.code).toBe('P0001')
    })

    it('unknown config keys (connect_timeout included) and bad default_user fail the call', async () => {
      await defineCompat('compat5', 1, parts.slice(0, 1))
      await setConfig('compat5', 'connect_timeout', '10')
      const proxy = await proxyWith()
      const e = await rejection(proxy.call('part', ['compat5']))
      expect(e.message).toBe('PL/Proxy function public.part(1): Unknown config param: connect_timeout')
      await q("delete from plproxy.config_def where name = 'compat5'")
      await setConfig('compat5', 'default_user', 'Session_User')
      await defineCompat('compat5', 2, parts.slice(0, 1))
      const d = await rejection(proxy.call('part', ['compat5']))
      // a plain elog: no "PL/Proxy function" prefix
      expect(d.message).toBe("default_user: Expect 'current_user' or 'session_user', got 'Session_User'")
    })

    it('default_user = session_user connects as the session user', async () => {
      await defineCompat('compat6', 1, parts.slice(0, 1))
      await setConfig('compat6', 'default_user', 'session_user')
      const proxy = await proxyWith({ user: roles.alice, sessionUser: roles.bob })
      // (PL/Proxy's very first call still uses the previous, empty config: quirk 8 of the reference)
      await proxy.call('who', ['compat6'])
      expect(await proxy.call('who', ['compat6'])).toEqual([{ who: roles.bob }])
    })

    it('clusterRefreshMs > 0 trusts a checked version for that long', async () => {
      await defineCompat('compat7', 1, parts.slice(0, 1))
      const proxy = await proxyWith({ clusterRefreshMs: 1500 })
      expect(await proxy.call('part', ['compat7'])).toEqual([{ part: 0 }])
      await defineCompat('compat7', 2, parts.slice(1, 2))
      expect(await proxy.call('part', ['compat7'])).toEqual([{ part: 0 }])
      await sleep(1600)
      expect(await proxy.call('part', ['compat7'])).toEqual([{ part: 1 }])
    })
  })

  it('end() closes the connections to the proxy database', async () => {
    await defineCompat('closing', 1, parts.slice(0, 1))
    const proxy = await createProxy({
      functions: PROXY,
      proxyDatabase: pgc.connstr(proxyDb, 'user=postgres application_name=closing_test'),
      user: 'postgres',
      clusterRefreshMs: 0,
    })
    await proxy.call('part', ['closing']).catch(() => undefined)
    const mine = async () =>
      (
        await pgc.query<{ n: number }>(
          'postgres',
          "select count(*)::int as n from pg_stat_activity where application_name = 'closing_test'",
        )
      )[0]?.n
    expect(await mine()).toBeGreaterThan(0)
    await proxy.end()
    expect(await waitFor(async () => (await mine()) === 0)).toBe(true)
  })

  describe('SQL/MED servers in the proxy database', () => {
    beforeAll(async () => {
      await q(`create server med foreign data wrapper plproxy options (
        connection_lifetime '60', p0 '${pgc.connstr(parts[0]!)}', p1 '${pgc.connstr(parts[1]!)}')`)
      await q(
        `create user mapping for ${roles.alice} server med options (user '${roles.bob}', password 'secret')`,
      )
      await q('create user mapping for public server med')
      await q(`grant usage on foreign server med to ${roles.alice}`)
    })

    it('loads partitions and config from the server options', async () => {
      const proxy = await proxyWith()
      expect(await proxy.call('part', ['med'])).toEqual([{ part: 0 }, { part: 1 }])
      const x = await proxy.explain('part', ['med'])
      expect(x.cluster).toMatchObject({ name: 'med', source: 'sqlmed', partitions: 2 })
      expect(x.cluster.config.connectionLifetime).toBe(60)
    })

    it("a user's own mapping supplies user and password (appended after two spaces)", async () => {
      const proxy = await proxyWith({ user: roles.alice })
      expect(await proxy.call('who', ['med'])).toEqual([{ who: roles.bob }])
      const x = await proxy.explain('who', ['med'])
      expect(x.user).toBe(roles.alice)
      expect(x.connections[0]?.connectString).toBe(
        `${pgc.connstr(parts[0]!)}  user='${roles.bob}' password='********'`,
      )
    })

    it('superusers pass the USAGE check and use the PUBLIC mapping', async () => {
      const proxy = await proxyWith()
      expect(await proxy.call('who', ['med'])).toEqual([{ who: 'postgres' }])
      expect((await proxy.explain('who', ['med'])).connections[0]?.connectString).toBe(
        `${pgc.connstr(parts[0]!)}  user='postgres'`,
      )
    })

    it('without USAGE: permission denied for foreign server; GRANT to PUBLIC lets everyone in', async () => {
      const proxy = await proxyWith({ user: roles.carol })
      const e = await rejection(proxy.call('who', ['med']))
      expect(e.message).toBe('permission denied for foreign server med')
      expect(e.code).toBe('42501')
      await q('grant usage on foreign server med to public')
      try {
        expect(await proxy.call('who', ['med'])).toEqual([{ who: roles.carol }])
      } finally {
        await q('revoke usage on foreign server med from public')
      }
      expect((await rejection(proxy.call('who', ['med']))).code).toBe('42501')
    })

    it('USAGE granted to a role whose name needs quoting', async () => {
      await q(`create server med_mixed foreign data wrapper plproxy options (p0 '${pgc.connstr(parts[0]!)}')`)
      await q('create user mapping for public server med_mixed')
      await q(`grant usage on foreign server med_mixed to "${roles.mixed}"`)
      const proxy = await proxyWith({ user: roles.mixed })
      const outcome = await proxy.call('who', ['med_mixed']).then(
        (rows) => rows,
        (e: Error) => e.message,
      )
      expect(
        outcome,
        'BUG: USAGE grantees are read as regrole text ("MixedCase" with quotes) and never match the user name',
      ).toEqual([{ who: roles.mixed }])
    })

    it('a mapping change is seen on the next call (clusterRefreshMs 0)', async () => {
      const proxy = await proxyWith({ user: roles.alice })
      expect(await proxy.call('who', ['med'])).toEqual([{ who: roles.bob }])
      await q(`alter user mapping for ${roles.alice} server med options (set user '${roles.carol}')`)
      try {
        expect(await proxy.call('who', ['med'])).toEqual([{ who: roles.carol }])
      } finally {
        await q(`alter user mapping for ${roles.alice} server med options (set user '${roles.bob}')`)
      }
    })

    it('ALTER SERVER adding partitions is seen on the next call', async () => {
      await q(`create server med2 foreign data wrapper plproxy options (p0 '${pgc.connstr(parts[0]!)}')`)
      await q('create user mapping for public server med2')
      const proxy = await proxyWith()
      expect(await proxy.call('part', ['med2'])).toEqual([{ part: 0 }])
      await q(`alter server med2 options (add p1 '${pgc.connstr(parts[3]!)}')`)
      expect(await proxy.call('part', ['med2'])).toEqual([{ part: 0 }, { part: 3 }])
    })

    it('SQL/MED wins over the get_cluster_* functions for the same name, and dropping it falls back', async () => {
      await defineCompat('dual', 1, parts.slice(3, 4))
      const proxy = await proxyWith()
      expect(await proxy.call('part', ['dual'])).toEqual([{ part: 3 }])
      await q(`create server dual foreign data wrapper plproxy options (
        p0 '${pgc.connstr(parts[0]!)}', p1 '${pgc.connstr(parts[1]!)}')`)
      await q('create user mapping for public server dual')
      expect(await proxy.call('part', ['dual'])).toEqual([{ part: 0 }, { part: 1 }])
      expect((await proxy.explain('part', ['dual'])).cluster.source).toBe('sqlmed')
      await q('drop server dual cascade')
      expect(await proxy.call('part', ['dual'])).toEqual([{ part: 3 }])
      expect((await proxy.explain('part', ['dual'])).cluster.source).toBe('functions')
    })

    it('with clusterRefreshMs > 0 a catalog change is seen only after that time', async () => {
      await q(`create server med3 foreign data wrapper plproxy options (p0 '${pgc.connstr(parts[0]!)}')`)
      await q('create user mapping for public server med3')
      const proxy = await proxyWith({ clusterRefreshMs: 1500 })
      expect(await proxy.call('part', ['med3'])).toEqual([{ part: 0 }])
      await q(`alter server med3 options (set p0 '${pgc.connstr(parts[2]!)}')`)
      expect(await proxy.call('part', ['med3'])).toEqual([{ part: 0 }])
      await sleep(1600)
      expect(await proxy.call('part', ['med3'])).toEqual([{ part: 2 }])
    })

    it('a compat cluster with a version but no partitions: invalid part count', async () => {
      const proxy = await proxyWith()
      await q("insert into plproxy.cluster_def values ('ghost', 1) on conflict do nothing")
      // compat functions say version 1 but no partitions: invalid count
      expect((await rejection(proxy.call('part', ['ghost']))).message).toBe(
        'PL/Proxy function public.part(1): get_partlist: invalid part count',
      )
    })
  })
})

describe.skipIf(skip)('live cluster definitions that PL/Proxy rejects', () => {
  let pgc: PgCluster
  let part: string
  let db: string
  let proxy: PlProxy
  const q = (sql: string) => pgc.query(db, sql)

  const compat = async (version: string, partitions: string, config: string) => {
    await q(`drop schema if exists plproxy cascade; create schema plproxy;
      create function plproxy.get_cluster_version(text) ${version};
      create function plproxy.get_cluster_partitions(text) ${partitions};
      create function plproxy.get_cluster_config(text) ${config};`)
  }
  const VERSION = "returns int language sql as 'select 1'"
  const CONFIG =
    'returns table (key text, val text) language sql as $$ select null::text, null::text where false $$'
  const partitions = () => `returns setof text language sql as $$ select '${pgc.connstr(part)}' $$`

  beforeAll(async () => {
    pgc = sharedCluster()
    ;[part] = (await createPartitions(pgc, 'bad_part', 1, (i) => remote(i))) as [string]
    db = uniqueDbName('bad_proxy')
    await pgc.createDatabase(db)
    // a wrapper without PL/Proxy's validator accepts servers PL/Proxy would refuse
    await q('create foreign data wrapper plproxy')
    proxy = await createProxy({
      functions: PROXY,
      proxyDatabase: pgc.connstr(db, 'user=postgres'),
      user: 'postgres',
      clusterRefreshMs: 0,
    })
  })

  afterAll(async () => {
    await proxy?.end()
  })

  // a new cluster name each time: a loaded cluster is kept while its version stays 1
  let n = 0
  const failure = async (cluster = `x${++n}`) => {
    const e = await rejection(proxy.call('part', [cluster]))
    return e.message
  }

  it('the definitions used below work when well-formed', async () => {
    await compat(VERSION, partitions(), CONFIG)
    expect(await proxy.call('part', ['x'])).toEqual([{ part: 0 }])
  })

  it('get_cluster_version: exactly one non-NULL row', async () => {
    await compat("returns setof int language sql as 'select 1 union all select 2'", partitions(), CONFIG)
    expect(await failure()).toBe('PL/Proxy function public.part(1): get_version: got 2 rows')
    await compat("returns setof int language sql as 'select 1 where false'", partitions(), CONFIG)
    expect(await failure()).toBe('PL/Proxy function public.part(1): get_version: got 0 rows')
    await compat("returns int language sql as 'select null::int'", partitions(), CONFIG)
    expect(await failure()).toBe('PL/Proxy function public.part(1): get_version: got NULL?')
  })

  it('get_cluster_config: two text columns, no NULLs', async () => {
    await compat(
      VERSION,
      partitions(),
      "returns table (key text, val text, x text) language sql as $$ select 'a', 'b', 'c' $$",
    )
    expect(await failure()).toBe('PL/Proxy function public.part(1): Cluster config must have 2 columns')
    await compat(
      VERSION,
      partitions(),
      "returns table (key text, val int) language sql as $$ select 'a', 1 $$",
    )
    expect(await failure()).toBe('PL/Proxy function public.part(1): Config column 2 must be text')
    await compat(
      VERSION,
      partitions(),
      "returns table (key varchar, val text) language sql as $$ select 'a', '1' $$",
    )
    expect(await failure()).toBe('PL/Proxy function public.part(1): Config column 1 must be text')
    await compat(
      VERSION,
      partitions(),
      "returns table (key text, val text) language sql as $$ select null, '1' $$",
    )
    expect(await failure()).toBe('PL/Proxy function public.part(1): key must not be NULL')
    await compat(
      VERSION,
      partitions(),
      "returns table (key text, val text) language sql as $$ select 'query_timeout', null $$",
    )
    expect(await failure()).toBe('PL/Proxy function public.part(1): val must not be NULL')
  })

  it('get_cluster_config runs before get_cluster_partitions', async () => {
    await compat(
      VERSION,
      "returns setof text language sql as 'select null::text'",
      "returns table (key text, val text) language sql as $$ select 'nonsense', '1' $$",
    )
    expect(await failure()).toBe('PL/Proxy function public.part(1): Unknown config param: nonsense')
  })

  it('get_cluster_partitions: a power of 2 of text rows, no NULLs', async () => {
    await compat(
      VERSION,
      "returns setof text language sql as $$ select 'a' from generate_series(1, 3) $$",
      CONFIG,
    )
    expect(await failure()).toBe('PL/Proxy function public.part(1): get_partlist: invalid part count')
    await compat(VERSION, "returns setof text language sql as $$ select 'a' where false $$", CONFIG)
    expect(await failure()).toBe('PL/Proxy function public.part(1): get_partlist: invalid part count')
    await compat(VERSION, "returns setof int language sql as 'select 1'", CONFIG)
    expect(await failure()).toBe('PL/Proxy function public.part(1): partition column 1 must be text')
    await compat(VERSION, "returns setof text language sql as 'select null::text'", CONFIG)
    expect(await failure()).toBe('PL/Proxy function public.part(1): connstr must not be NULL')
  })

  it('the three functions must all exist, else: Pl/Proxy: cluster not found', async () => {
    await compat(VERSION, partitions(), CONFIG)
    await q('drop function plproxy.get_cluster_config(text)')
    const e = await rejection(proxy.call('part', ['x']))
    expect(e.message).toBe('Pl/Proxy: cluster not found: x')
  })

  it('a SQL/MED server with 3 partitions: invalid partition count', async () => {
    await q(`create server three foreign data wrapper plproxy options (
      p0 '${pgc.connstr(part)}', p1 '${pgc.connstr(part)}', p2 '${pgc.connstr(part)}')`)
    await q('create user mapping for public server three')
    expect(await failure('three')).toBe('PL/Proxy function public.part(1): invalid partition count')
    await q("alter server three options (add modular_mapping '1')")
    expect(await proxy.call('part', ['three'])).toEqual([{ part: 0 }])
  })

  it('a SQL/MED server with connect_timeout: Unknown config param', async () => {
    await q(
      `create server ct foreign data wrapper plproxy options (connect_timeout '5', p0 '${pgc.connstr(part)}')`,
    )
    await q('create user mapping for public server ct')
    expect(await failure('ct')).toBe(
      'PL/Proxy function public.part(1): Unknown config param: connect_timeout',
    )
  })
})
