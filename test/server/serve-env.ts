/**
 * Shared setup of the `plproxy serve` conformance tests (test/server/*.pg.test.ts):
 * the seed article's data nodes and proxy database on the shared throwaway
 * PostgreSQL (unique database names per file), a server started in-process on
 * them, and real clients (psql, pgbench) run against it.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { DATA_NODE_SQL } from '../../bench/lib/seed-cluster.js'
import { type RunningServer, type StartServerOptions, startServer } from '../../src/server/index.js'
import { PG_BIN, type PgCluster } from '../harness/pg-cluster.js'
import { uniqueDbName } from '../harness/shared-cluster.js'

export const PSQL = join(PG_BIN, 'psql')
export const PGBENCH = join(PG_BIN, 'pgbench')

/** The article's proxy functions (examples/digoal/proxy.sql) and a few of ours for errors and cancel. */
export const PROXY_SQL = `${readFileSync(new URL('../../examples/digoal/proxy.sql', import.meta.url), 'utf8')}
create or replace function f_fail(i_userid int) returns int as $$
  cluster 'digoal';
  run on i_userid;
  target digoal.f_fail;
$$ language plproxy;

create or replace function f_sleep(i_userid int, seconds float8) returns int as $$
  cluster 'digoal';
  run on i_userid;
  target digoal.f_sleep;
$$ language plproxy;

create or replace function f_notice(i_userid int) returns int as $$
  cluster 'digoal';
  run on i_userid;
  target digoal.f_notice;
$$ language plproxy;

create or replace function f_echo(t text) returns text as $$
  cluster 'digoal';
  run on hashtext(t);
  select t || '@' || current_database() ~ '_n[0-9]$';
$$ language plproxy;

create or replace function f_users(i_min int, i_max int) returns setof int as $$
  cluster 'digoal';
  run on all;
  select userid from digoal.user_info where userid between i_min and i_max;
$$ language plproxy;
`

/** Extra node functions behind f_fail, f_notice and f_sleep. */
export const NODE_EXTRA_SQL = `
create function digoal.f_fail(i int) returns int language plpgsql as $$
begin
  raise exception 'boom %', i using hint = 'the test asked for it';
end $$;
create function digoal.f_notice(i int) returns int language plpgsql as $$
begin
  raise notice 'hello %', i using detail = 'from the partition';
  raise warning 'careful %', i;
  return i;
end $$;
create function digoal.f_sleep(i int, seconds float8) returns int language sql as $$
  select pg_sleep(seconds); select i;
$$;
`

export interface DigoalEnv {
  readonly cluster: PgCluster
  /** data-node databases, node k holds userid ≡ k (mod partitions) */
  readonly nodes: readonly string[]
  readonly proxyDb: string
  /** SQL/MED definition of cluster `digoal` */
  readonly clusterSql: string
  readonly users: number
  /** whether the proxy database has the real PL/Proxy with the same functions */
  readonly real: boolean
}

export interface DigoalOptions {
  readonly partitions?: number
  readonly users?: number
  /** install the real PL/Proxy, the cluster and the functions in the proxy database too */
  readonly real?: boolean
}

/** The article's data nodes and a proxy database (schema proxy, search_path proxy, public). */
export async function createDigoal(
  cluster: PgCluster,
  prefix: string,
  options: DigoalOptions = {},
): Promise<DigoalEnv> {
  const partitions = options.partitions ?? 4
  const users = options.users ?? 1000
  const base = uniqueDbName(prefix)
  const nodes = Array.from({ length: partitions }, (_, k) => `${base}_n${k}`)
  await Promise.all(
    nodes.map(async (db, k) => {
      await cluster.createDatabase(db)
      await cluster.query('postgres', `alter database ${db} set search_path = digoal, public`)
      const c = new pg.Client(cluster.clientConfig(db))
      await c.connect()
      try {
        await c.query(DATA_NODE_SQL)
        await c.query(NODE_EXTRA_SQL)
        await c.query(
          `insert into digoal.user_info (userid, engname, cnname, occupation, birthday, signname, email, qq, crt_time, mod_time)
           select g, 'eng' || g, '德哥' || g, case when g % 7 = 0 then null else 'DBA' end,
                  date '1970-01-01' + g, E'I\\'m "user" ' || g || ', a,b', 'u' || g || '@example.com',
                  276732431 + g, timestamp '2011-01-01 00:00:00', null
             from generate_series($1::int, $2::int, $3::int) g`,
          [k, users - 1, partitions],
        )
      } finally {
        await c.end()
      }
    }),
  )
  const parts = nodes.map((db, k) => `p${k} '${cluster.connstr(db)}'`)
  const clusterSql = `create server digoal foreign data wrapper plproxy options (connection_lifetime '1800', ${parts.join(', ')});
create user mapping for public server digoal options (user '${cluster.user}');
`
  const proxyDb = `${base}_proxy`
  await cluster.createDatabase(proxyDb)
  await cluster.query(
    proxyDb,
    `create schema proxy; alter database ${proxyDb} set search_path = proxy, public`,
  )
  if (options.real) {
    await cluster.query(proxyDb, 'create extension plproxy')
    await cluster.query(proxyDb, clusterSql)
    await cluster.query(proxyDb, PROXY_SQL)
  }
  return { cluster, nodes, proxyDb, clusterSql, users, real: !!options.real }
}

/** A server in place of env's proxy database (proxy functions: PROXY_SQL, cluster: env.clusterSql). */
export async function serveDigoal(
  env: DigoalEnv,
  overrides: Partial<StartServerOptions> = {},
): Promise<RunningServer> {
  return startServer({
    listen: '127.0.0.1:0',
    functions: [{ file: 'proxy.sql', text: PROXY_SQL }],
    clusters: [{ file: 'cluster.sql', text: env.clusterSql }],
    proxyDatabase: env.cluster.connstr(env.proxyDb, `user=${env.cluster.user}`),
    user: env.cluster.user,
    ddlStore: 'none',
    ...overrides,
  })
}

/** Row count of a table summed over the nodes. */
export async function countOnNodes(env: DigoalEnv, table: string): Promise<number> {
  let n = 0
  for (const db of env.nodes) {
    const [row] = await env.cluster.query<{ n: string }>(db, `select count(*) as n from ${table}`)
    n += Number(row?.n ?? 0)
  }
  return n
}

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>
  readonly input?: string
  readonly timeoutMs?: number
  /** called with the child once spawned (to signal it) */
  readonly onSpawn?: (child: ReturnType<typeof spawn>) => void
}

/** libpq environment variables that must not leak in from the developer's shell. */
const CLEAN_ENV: Record<string, undefined> = {
  PGPASSWORD: undefined,
  PGPASSFILE: undefined,
  PGSERVICE: undefined,
  PGSSLMODE: undefined,
  PGOPTIONS: undefined,
  PGHOST: undefined,
  PGPORT: undefined,
  PGUSER: undefined,
  PGDATABASE: undefined,
  PSQLRC: undefined,
}

/** Runs a program to its end (killed after timeoutMs). */
export function run(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...CLEAN_ENV, LANG: 'C', ...o.env })) {
      if (v !== undefined) env[k] = v
    }
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t
    })
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      stderr += t
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    child.stdin.end(o.input ?? '')
    o.onSpawn?.(child)
  })
}

/** psql -X to a server on 127.0.0.1 (user postgres unless `-U` is in args). */
export function psql(
  port: number,
  database: string,
  args: readonly string[],
  o: RunOptions & { user?: string } = {},
): Promise<RunResult> {
  return run(
    PSQL,
    ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', o.user ?? 'postgres', '-d', database, ...args],
    { ...o, env: { PGCONNECT_TIMEOUT: '10', ...o.env } },
  )
}

/** psql with a connect string (`psql "host=… sslmode=…"`). */
export function psqlConnstr(
  connstr: string,
  args: readonly string[],
  o: RunOptions = {},
): Promise<RunResult> {
  return run(PSQL, ['-X', '-d', connstr, ...args], { ...o, env: { PGCONNECT_TIMEOUT: '10', ...o.env } })
}

/** A new temporary directory. */
export function tempDir(prefix = 'plproxy-serve-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Writes a file into a new temporary directory and returns its path. */
export function writeTemp(name: string, text: string): string {
  const path = join(tempDir(), name)
  writeFileSync(path, text)
  return path
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A node-postgres client of a server (the cluster's user, env's proxy database name), connected. */
export async function connectClient(server: { readonly port: number }, env: DigoalEnv): Promise<pg.Client> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: server.port,
    user: env.cluster.user,
    database: env.proxyDb,
  })
  await c.connect()
  return c
}

/** A CancelRequest for a backend key, on a connection of its own. */
export function sendCancel(port: number, processId: number, secretKey: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      const b = Buffer.alloc(16)
      b.writeInt32BE(16, 0)
      b.writeInt32BE(80877102, 4)
      b.writeInt32BE(processId, 8)
      b.writeInt32BE(secretKey, 12)
      s.end(b)
    })
    s.on('error', reject)
    s.on('close', () => resolve())
    s.resume()
  })
}
