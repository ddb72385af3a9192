/**
 * SQL/MED clusters read from DDL files (spec §5.3, §5.5, §5.6): partitions and config
 * from the server and wrapper options, user mapping options appended to the partition
 * string, `user=` in a partition string winning, SECURITY DEFINER functions connecting
 * as their owner (`\c db owner` in the script), USAGE grants, unknown clusters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PlProxyError } from '../../../src/runtime/errors.js'
import { createProxy, type PlProxy } from '../../../src/runtime/proxy.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../../harness/shared-cluster.js'
import { closedPort, createPartitions, rejection, tempFile } from './helpers.js'

const skip = skipWithoutPostgres('SQL/MED clusters from DDL files')

const REMOTE = (i: number) => `
  create function who() returns text language sql as 'select current_user::text';
  create function part() returns int language sql as 'select ${i}';
`

describe.skipIf(skip)('SQL/MED clusters from DDL files', () => {
  let pgc: PgCluster
  let parts: string[]
  let proxy: PlProxy
  let downPort: number
  const r = { alice: '', bob: '', carol: '', owner: '', quoted: '' }

  beforeAll(async () => {
    pgc = sharedCluster()
    for (const k of ['alice', 'bob', 'carol', 'owner'] as const) {
      r[k] = uniqueDbName(k)
      await pgc.query('postgres', `create role ${r[k]} login`)
    }
    r.quoted = `o'neil\\${uniqueDbName('q')}`
    await pgc.query('postgres', `create role "${r.quoted}" login`)
    parts = await createPartitions(pgc, 'ddl_part', 2, (i) => REMOTE(i))
    downPort = await closedPort()
    const [p0, p1] = parts.map((d) => pgc.connstr(d)) as [string, string]
    const lit = (s: string) => `'${s.replace(/'/g, "''")}'`
    const clusters = tempFile(
      'clusters.sql',
      `-- the cluster definitions, as in the proxy database
create extension if not exists plproxy;
alter foreign data wrapper plproxy options (add query_timeout '5', add connection_lifetime '100');
create server ddl_c foreign data wrapper plproxy options (connection_lifetime '1800', p0 ${lit(p0)}, p1 ${lit(p1)});
create user mapping for public server ddl_c;
create user mapping for ${r.alice} server ddl_c options (user ${lit(r.bob)}, password 'secret');
create user mapping for "${r.quoted}" server ddl_c;
grant usage on foreign server ddl_c to ${r.alice}, ${r.owner}, "${r.quoted}";

create server ddl_u foreign data wrapper plproxy options (p0 ${lit(`${p0} user=${r.carol}`)});
create user mapping for public server ddl_u options (user ${lit(r.bob)}, password 'secret2');

create server ddl_nomap foreign data wrapper plproxy options (p0 ${lit(p0)});
create user mapping for ${r.bob} server ddl_nomap;

create server ddl_down foreign data wrapper plproxy options (p0 'host=127.0.0.1 port=${downPort} dbname=down');
create user mapping for public server ddl_down options (password 'secret3');
`,
    )
    const functions = tempFile(
      'proxy.sql',
      `create function who() returns text as $$ cluster 'ddl_c'; run on 0; $$ language plproxy;
create function parts() returns setof int as $$ cluster 'ddl_c'; run on all; target part; $$ language plproxy;
create function who_u() returns text as $$ cluster 'ddl_u'; run on 0; target who; $$ language plproxy;
create function who_nomap() returns text as $$ cluster 'ddl_nomap'; run on 0; target who; $$ language plproxy;
create function who_down() returns text as $$ cluster 'ddl_down'; run on 0; target who; $$ language plproxy;
create function nope() returns text as $$ cluster 'nope'; run on 0; target who; $$ language plproxy;

\\c proxydb ${r.owner}
create function who_def() returns text as $$ cluster 'ddl_c'; run on 0; target who; $$ language plproxy security definer;
create function who_inv() returns text as $$ cluster 'ddl_c'; run on 0; target who; $$ language plproxy;
`,
    )
    proxy = await createProxy({
      functions: { path: functions },
      clusters: { path: clusters },
      user: 'postgres',
    })
  })

  afterAll(async () => {
    await proxy?.end()
  })

  it('partitions and config: wrapper options first, then the server options (the server wins)', async () => {
    expect(await proxy.call('parts')).toEqual([{ parts: 0 }, { parts: 1 }])
    const x = await proxy.explain('parts')
    expect(x.cluster).toMatchObject({ name: 'ddl_c', source: 'sqlmed', partitions: 2 })
    expect(x.cluster.config).toMatchObject({ queryTimeout: 5, connectionLifetime: 1800 })
  })

  it("a user's mapping options are appended after two spaces and used to connect", async () => {
    const x = await proxy.explain('who', [], { user: r.alice })
    expect(x.user).toBe(r.alice)
    expect(x.connections[0]?.connectString).toBe(
      `${pgc.connstr(parts[0]!)}  user='${r.bob}' password='********'`,
    )
    expect(await proxy.call('who', [], { user: r.alice })).toEqual([{ who: r.bob }])
  })

  it('the PUBLIC mapping without options appends the connecting user (quoted libpq-style)', async () => {
    expect((await proxy.explain('who')).connections[0]?.connectString).toBe(
      `${pgc.connstr(parts[0]!)}  user='postgres'`,
    )
    const escaped = r.quoted.replace(/['\\]/g, '\\$&')
    expect((await proxy.explain('who', [], { user: r.quoted })).connections[0]?.connectString).toBe(
      `${pgc.connstr(parts[0]!)}  user='${escaped}'`,
    )
    expect(await proxy.call('who', [], { user: r.quoted })).toEqual([{ who: r.quoted }])
  })

  it('user= in the partition string wins: the mapping, password included, is ignored', async () => {
    const x = await proxy.explain('who_u', [], { user: r.alice })
    expect(x.connections[0]?.connectString).toBe(`${pgc.connstr(parts[0]!)} user=${r.carol}`)
    expect(await proxy.call('who_u', [], { user: r.alice })).toEqual([{ who_u: r.carol }])
  })

  it('without USAGE on the server: permission denied for foreign server', async () => {
    const e = await rejection(proxy.call('who', [], { user: r.carol }))
    expect(e).toBeInstanceOf(PlProxyError)
    expect(e.message).toBe('permission denied for foreign server ddl_c')
    expect(e.code).toBe('42501')
  })

  it('no mapping for the user and no PUBLIC mapping: PostgreSQL\'s "user mapping not found"', async () => {
    // no GRANT for ddl_nomap in the scripts: privileges unknown, not checked
    expect(await proxy.call('who_nomap', [], { user: r.bob })).toEqual([{ who_nomap: r.bob }])
    const e = await rejection(proxy.call('who_nomap', [], { user: r.alice }))
    expect(e.message).toBe(`user mapping not found for "${r.alice}"`)
    expect(e.code).toBe('42704')
  })

  it('SECURITY DEFINER functions connect as their owner, others as the caller', async () => {
    const x = await proxy.explain('who_def', [], { user: r.alice })
    expect(x.user).toBe(r.owner)
    expect(await proxy.call('who_def', [], { user: r.alice })).toEqual([{ who_def: r.owner }])
    expect(await proxy.call('who_def')).toEqual([{ who_def: r.owner }])
    // the same owner, but not SECURITY DEFINER: the caller's mapping (alice → bob)
    expect(await proxy.call('who_inv', [], { user: r.alice })).toEqual([{ who_inv: r.bob }])
  })

  it('a SECURITY DEFINER owner without USAGE is refused even for a superuser caller', async () => {
    const p = await createProxy({
      functions: `\\c proxydb ${r.carol}
create function who_def() returns text as $$ cluster 'ddl_c'; run on 0; target who; $$ language plproxy security definer;`,
      clusters: `create server ddl_c foreign data wrapper plproxy options (p0 '${pgc.connstr(parts[0]!)}');
create user mapping for public server ddl_c;
grant usage on foreign server ddl_c to ${r.alice};`,
      user: 'postgres',
    })
    try {
      const e = await rejection(p.call('who_def'))
      expect(e.message).toBe('permission denied for foreign server ddl_c')
    } finally {
      await p.end()
    }
  })

  it('a cluster no file defines: Pl/Proxy: cluster not found', async () => {
    const e = await rejection(proxy.call('nope'))
    expect(e).toBeInstanceOf(PlProxyError)
    expect(e.message).toBe('Pl/Proxy: cluster not found: nope')
    expect(e.code).toBe('XX000')
  })

  it('a partition that is down: the mapping password never shows', async () => {
    const e = await rejection(proxy.call('who_down'))
    expect(e.message).toContain(
      `PL/Proxy function public.who_down(0): [down] PQconnectPoll: connection to server at "127.0.0.1", port ${downPort} failed`,
    )
    expect((e as unknown as PlProxyError).partition?.connectString).toBe(
      `host=127.0.0.1 port=${downPort} dbname=down  password='********' user='postgres'`,
    )
    const all = [e.message, e.detail, e.stack, JSON.stringify(e)].join('\n')
    expect(all).not.toContain('secret3')
  })
})

describe.skipIf(skip)('clusters as JSON files and objects', () => {
  let pgc: PgCluster
  let parts: string[]

  beforeAll(async () => {
    pgc = sharedCluster()
    parts = await createPartitions(pgc, 'json_part', 2, (i) => REMOTE(i))
  })

  it('reads a JSON file of clusters', async () => {
    const json = tempFile(
      'clusters.json',
      JSON.stringify({
        clusters: { j: { partitions: parts.map((d) => pgc.connstr(d)), config: { query_timeout: 3 } } },
      }),
    )
    const proxy = await createProxy({
      functions:
        "create function parts() returns setof int as $$ cluster 'j'; run on all; target part; $$ language plproxy;",
      clusters: { path: json },
      user: 'postgres',
    })
    try {
      expect(await proxy.call('parts')).toEqual([{ parts: 0 }, { parts: 1 }])
      expect((await proxy.explain('parts')).cluster).toMatchObject({ source: 'object', version: 1 })
      expect((await proxy.explain('parts')).cluster.config.queryTimeout).toBe(3)
    } finally {
      await proxy.end()
    }
  })

  it('a JSON file with an invalid cluster fails at load time with its name', async () => {
    const json = tempFile('bad.json', JSON.stringify({ j: { partitions: ['a', 'b', 'c'] } }))
    const e = await rejection(
      createProxy({
        functions: "create function f() returns int as $$ cluster 'j'; $$ language plproxy;",
        clusters: { path: json },
      }),
    )
    expect(e.message).toBe(
      'cluster "j": invalid partition count 3 (must be a power of 2 > 0, or any count > 0 with modular_mapping)',
    )
  })

  it('an unreadable JSON file fails at load time naming the file', async () => {
    const json = tempFile('broken.json', '{ "j": ')
    const e = await rejection(
      createProxy({
        functions: "create function f() returns int as $$ cluster 'j'; $$ language plproxy;",
        clusters: { path: json },
      }),
    )
    expect(e.name).toBe('ProxyLoadError')
    expect(e.message).toMatch(new RegExp(`^cannot read ${json}: `))
  })
})
