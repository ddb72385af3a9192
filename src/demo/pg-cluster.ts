/**
 * Throwaway PostgreSQL clusters for the demo (`plproxy demo --postgres`),
 * the tests and the benchmarks.
 *
 * A cluster lives in a fresh temporary directory, listens on 127.0.0.1 on a
 * free port and on a unix socket inside that directory, and is stopped and
 * removed by `stop()`. As root, initdb and pg_ctl run as the `postgres` OS
 * user (initdb refuses root). The postmaster gets PGPORT/PGHOST set to itself,
 * so libpq inside the server (the real PL/Proxy) reaches the same cluster by
 * default.
 */
import { execFile, execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const execFileAsync = promisify(execFile)

export const PG_BIN = process.env.PLPROXY_TS_PG_BIN ?? '/usr/lib/postgresql/15/bin'

export interface PgClusterOptions {
  /** extra postgresql.conf lines */
  settings?: Record<string, string | number | boolean>
  /** prefix of the temporary directory name */
  name?: string
  /**
   * pg_hba.conf lines put before initdb's `trust` lines (the first matching
   * line wins), e.g. `host all md5user 127.0.0.1/32 md5`
   */
  hba?: readonly string[]
}

export interface PgCluster {
  readonly host: string
  readonly port: number
  readonly socketDir: string
  readonly dataDir: string
  readonly user: string
  /** libpq connect string for a database of this cluster (TCP) */
  connstr(database: string, extra?: string): string
  /** node-postgres client config for a database of this cluster */
  clientConfig(database: string): pg.ClientConfig
  /** run SQL statements in a database and return the rows of the last one */
  query<T = Record<string, unknown>>(database: string, sql: string, params?: unknown[]): Promise<T[]>
  /** run psql with a script on stdin; resolves with its stdout+stderr */
  psql(
    database: string,
    script: string,
    args?: string[],
  ): Promise<{ stdout: string; stderr: string; code: number }>
  createDatabase(name: string, options?: { template?: string }): Promise<void>
  stop(): Promise<void>
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

function postgresIds(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  return { uid, gid }
}

function asClusterOwner(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
}

/** Why a throwaway PostgreSQL cannot be started here, or undefined when it can. */
export function postgresMissingReason(): string | undefined {
  for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, bin))) return `PostgreSQL server binary ${join(PG_BIN, bin)} not found`
  }
  return undefined
}

/** Why the real PL/Proxy extension is not usable here, or undefined when it is. */
export function plproxyMissingReason(): string | undefined {
  const pgReason = postgresMissingReason()
  if (pgReason) return pgReason
  let sharedir = '/usr/share/postgresql/15'
  try {
    sharedir = execFileSync(join(PG_BIN, 'pg_config'), ['--sharedir']).toString().trim()
  } catch {
    // pg_config ships with the server-dev package only; fall back to Debian's layout
  }
  if (!existsSync(join(sharedir, 'extension', 'plproxy.control'))) {
    return 'the PL/Proxy extension is not installed (apt-get install -y postgresql-15-plproxy)'
  }
  return undefined
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function confValue(v: string | number | boolean): string {
  if (typeof v === 'number') return String(v)
  if (typeof v === 'boolean') return v ? 'on' : 'off'
  return `'${v.replace(/'/g, "''")}'`
}

export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  const reason = postgresMissingReason()
  if (reason) throw new Error(`cannot start a throwaway PostgreSQL: ${reason}`)
  const dir = mkdtempSync(join(tmpdir(), `${options.name ?? 'plproxy-ts-pg'}-`))
  const ids = postgresIds()
  if (ids) chownSync(dir, ids.uid, ids.gid)
  const dataDir = join(dir, 'data')
  const user = 'postgres'
  const [initCmd, initArgs] = asClusterOwner(join(PG_BIN, 'initdb'), [
    '-D',
    dataDir,
    '--locale=C',
    '-E',
    'UTF8',
    '--auth=trust',
    '-U',
    user,
    '--no-sync',
  ])
  await execFileAsync(initCmd, initArgs, { env: { ...process.env, LANG: 'C' } })

  const port = await freePort()
  const settings: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: dir,
    fsync: false,
    full_page_writes: false,
    synchronous_commit: false,
    max_connections: 300,
    shared_buffers: '64MB',
    log_min_messages: 'warning',
    ...options.settings,
  }
  const conf = Object.entries(settings)
    .map(([k, v]) => `${k} = ${confValue(v)}`)
    .join('\n')
  const confPath = join(dataDir, 'postgresql.auto.conf')
  writeFileSync(confPath, `${conf}\n`)
  if (ids) chownSync(confPath, ids.uid, ids.gid)
  if (options.hba?.length) {
    const hbaPath = join(dataDir, 'pg_hba.conf')
    writeFileSync(hbaPath, `${options.hba.join('\n')}\n${readFileSync(hbaPath, 'utf8')}`)
    if (ids) chownSync(hbaPath, ids.uid, ids.gid)
  }

  const logFile = join(dir, 'postmaster.log')
  const [ctlCmd, ctlArgs] = asClusterOwner(join(PG_BIN, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    logFile,
    '-w',
    '-t',
    '60',
    'start',
  ])
  // PL/Proxy connects with libpq from inside the server: give it this cluster as default.
  await execFileAsync(ctlCmd, ctlArgs, {
    env: { ...process.env, PGPORT: String(port), PGHOST: '127.0.0.1', LANG: 'C' },
  })

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    const [stopCmd, stopArgs] = asClusterOwner(join(PG_BIN, 'pg_ctl'), [
      '-D',
      dataDir,
      '-m',
      'immediate',
      '-w',
      'stop',
    ])
    try {
      await execFileAsync(stopCmd, stopArgs)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return clusterHandle({ port, socketDir: dir, dataDir, user, stop })
}

/** The handle of a running cluster (started here, or the tests' shared one). */
export function clusterHandle(c: {
  port: number
  socketDir: string
  dataDir: string
  user: string
  stop: () => Promise<void>
}): PgCluster {
  const { port, socketDir, dataDir, user } = c
  const cluster: PgCluster = {
    host: '127.0.0.1',
    port,
    socketDir,
    dataDir,
    user,
    connstr(database, extra) {
      return `host=127.0.0.1 port=${port} dbname=${database}${extra ? ` ${extra}` : ''}`
    },
    clientConfig(database) {
      return { host: '127.0.0.1', port, user, database }
    },
    async query(database, sql, params) {
      const client = new pg.Client(cluster.clientConfig(database))
      await client.connect()
      try {
        const res = await client.query(sql, params as unknown[])
        const last = Array.isArray(res) ? res[res.length - 1] : res
        return (last?.rows ?? []) as never[]
      } finally {
        await client.end()
      }
    },
    async psql(database, script, args = []) {
      return new Promise((resolve) => {
        const child = execFile(
          join(PG_BIN, 'psql'),
          ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', database, ...args],
          { env: { ...process.env, PGOPTIONS: '' }, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code =
              err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 0
            resolve({ stdout, stderr, code })
          },
        )
        child.stdin?.end(script)
      })
    },
    async createDatabase(name, opts) {
      const template = opts?.template ? ` template ${opts.template}` : ''
      await cluster.query('postgres', `create database "${name.replace(/"/g, '""')}"${template}`)
    },
    stop: c.stop,
  }
  return cluster
}
