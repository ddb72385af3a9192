/**
 * `plproxy serve` without a proxy database (only proxy-function calls run;
 * SET/SHOW/BEGIN/COMMIT/ROLLBACK are answered locally, the rest is refused
 * with 0A000), and DDL sent by clients kept across a restart (in the last
 * --functions file, or in the proxy database's plproxy_ts.ddl_log).
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'
import {
  createDigoal,
  type DigoalEnv,
  PGBENCH,
  PROXY_SQL,
  psql,
  run,
  serveDigoal,
  writeTemp,
} from './serve-env.js'

const skip = skipWithoutPostgres('plproxy serve: without a proxy database')

const NEW_FUNCTION = `create function proxy.f_kept(i_userid int) returns text as $$
  cluster 'digoal';
  run on i_userid;
  select engname from digoal.user_info where userid = i_userid;
$$ language plproxy;`

describe.skipIf(skip)('plproxy serve: without a proxy database', () => {
  let env: DigoalEnv
  let server: RunningServer
  let functionsFile = ''

  const start = () =>
    startServer({
      listen: '127.0.0.1:0',
      functions: [{ path: functionsFile }],
      clusters: [{ file: 'cluster.sql', text: env.clusterSql }],
      user: 'postgres',
      searchPath: ['proxy', 'public'],
      ddlStore: 'file',
    })

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_alone', { users: 100 })
    functionsFile = writeTemp('proxy.sql', PROXY_SQL)
    server = await start()
  })
  afterAll(async () => {
    await server?.close({ graceful: false })
  })

  it('calls run; SHOW search_path is the --search-path', async () => {
    const r = await psql(server.port, 'anything', [
      '-At',
      '-c',
      'select o_userid, o_engname from f_user_login(6)',
      '-c',
      'show search_path',
      '-c',
      'select f_user_logout(6)',
    ])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('6|eng6\nproxy, public\n0\n')
  })

  it('anything else: 0A000 with a clear message', async () => {
    const r = await psql(server.port, 'anything', ['-v', 'VERBOSITY=verbose', '-c', 'select 1'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/ERROR: {2}0A000: plproxy serve runs only calls of proxy functions/)
    const d = await psql(server.port, 'anything', ['-c', '\\dn'])
    expect(d.stderr).toMatch(/plproxy serve runs only calls of proxy functions/)
  })

  // PostgreSQL: SET datestyle = 'German' → SHOW datestyle says "German, DMY" (and so does ParameterStatus)
  it('SET and SHOW, locally, with PostgreSQL’s normalised values', async () => {
    const r = await psql(server.port, 'anything', [
      '-At',
      '-c',
      'set application_name = hello',
      '-c',
      'show application_name',
      '-c',
      "set datestyle = 'German'",
      '-c',
      'show datestyle',
    ])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('SET\nhello\nSET\nGerman, DMY\n')
  })

  it('SET with an invalid value: PostgreSQL’s 22023 error, the setting unchanged', async () => {
    const r = await psql(server.port, 'anything', ['-At', '-v', 'VERBOSITY=sqlstate'], {
      input: "set datestyle = 'nonsense';\nset timezone = 'No/Where';\nshow timezone;\n",
    })
    expect(r.stderr).toBe('ERROR:  22023\nERROR:  22023\n')
    expect(r.stdout).not.toContain('No/Where')
  })

  it('transactions: an error makes later statements 25P02 until ROLLBACK', async () => {
    const r = await psql(server.port, 'anything', ['-At', '-v', 'VERBOSITY=sqlstate'], {
      input: `begin;
select f_user_logout(1);
commit;
begin;
select f_fail(2);
select f_user_logout(2);
show search_path;
commit;
select o_userid from f_user_login(3);
`,
    })
    expect(r.stderr).toBe(['ERROR:  P0001', 'ERROR:  25P02', 'ERROR:  25P02', ''].join('\n'))
    expect(r.stdout).toBe('BEGIN\n0\nCOMMIT\nBEGIN\nROLLBACK\n3\n')
  })

  it('pgbench -M prepared', async () => {
    const script = writeTemp('login.sql', '\\set userid random(0, 99)\nSELECT f_user_login(:userid);\n')
    const r = await run(PGBENCH, [
      '-h',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-U',
      'postgres',
      '-n',
      '-M',
      'prepared',
      '-c',
      '2',
      '-T',
      '1',
      '-f',
      script,
      'anything',
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/number of failed transactions: 0 /)
  })

  it('CREATE FUNCTION from a client is appended to the --functions file and survives a restart', async () => {
    const created = await psql(server.port, 'anything', ['-c', NEW_FUNCTION])
    expect(created.stderr).toBe('')
    expect(created.stdout).toBe('CREATE FUNCTION\n')
    expect(readFileSync(functionsFile, 'utf8')).toContain('f_kept')
    await server.close({ graceful: false })
    server = await start()
    const r = await psql(server.port, 'anything', ['-At', '-c', 'select f_kept(21)'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('eng21\n')
  })

  it('a CREATE FUNCTION PL/Proxy rejects: PL/Proxy’s error, nothing kept', async () => {
    const before = readFileSync(functionsFile, 'utf8')
    const r = await psql(server.port, 'anything', [
      '-c',
      `create function proxy.f_bad(i int) returns int as $$ cluster 'digoal'; run on $2; $$ language plproxy`,
    ])
    expect(r.stderr).toContain(
      'ERROR:  PL/Proxy function proxy.f_bad(1): Compile error at line 1: invalid argument reference: $2',
    )
    expect(readFileSync(functionsFile, 'utf8')).toBe(before)
  })
})

describe.skipIf(skip)('plproxy serve: DDL kept in the proxy database', () => {
  let env: DigoalEnv

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_keep', { users: 40 })
  })

  it('CREATE FUNCTION and DROP FUNCTION from clients are replayed at the next start', async () => {
    let server = await serveDigoal(env, { ddlStore: 'proxy-db' })
    try {
      const r = await psql(server.port, env.proxyDb, [
        '-c',
        NEW_FUNCTION,
        '-c',
        'drop function proxy.f_fail(int)',
      ])
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe('CREATE FUNCTION\nDROP FUNCTION\n')
    } finally {
      await server.close({ graceful: false })
    }
    server = await serveDigoal(env, { ddlStore: 'proxy-db' })
    try {
      const r = await psql(server.port, env.proxyDb, ['-At', '-c', 'select f_kept(22)'])
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe('eng22\n')
      const gone = await psql(server.port, env.proxyDb, ['-c', 'select f_fail(1)'])
      expect(gone.stderr).toContain('function f_fail(integer) does not exist')
      const log = await env.cluster.query<{ n: string }>(
        env.proxyDb,
        'select count(*) as n from plproxy_ts.ddl_log',
      )
      expect(Number(log[0]!.n)).toBe(2)
    } finally {
      await server.close({ graceful: false })
    }
  })
})
