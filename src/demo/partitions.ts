/**
 * Where the demo's partitions live: in-process PGlite instances reachable
 * over TCP through pglite-socket (the embedded default, nothing to
 * install), or databases of a throwaway PostgreSQL cluster.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPgCluster } from './pg-cluster.js'

export interface Partition {
  readonly index: number
  /** libpq connect string, without user */
  readonly connstr: string
  readonly clientConfig: { host: string; port: number; database: string; user: string }
}

export interface Partitions {
  readonly kind: 'pglite' | 'postgres'
  readonly user: string
  readonly list: readonly Partition[]
  /** a description for people: engine and version */
  readonly engine: string
  stop(): Promise<void>
}

export type Progress = (event: {
  readonly ready: number
  readonly total: number
  readonly note?: string
}) => void

/** A dependency's version, from the package.json above its entry point (its export map hides the file). */
function packageVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === name && pkg.version) return pkg.version
    }
    const up = dirname(dir)
    if (up === dir) return 'unknown'
    dir = up
  }
}

function cacheDirectory(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'plproxy-ts')
}

/** PGlite's initdb is the slow part (seconds of CPU): made once, kept as a tarball, loaded for each partition. */
async function baseDataDir(version: string, progress: Progress, total: number): Promise<Blob> {
  const { PGlite } = await import('@electric-sql/pglite')
  const dir = cacheDirectory()
  const file = join(dir, `pglite-${version}-datadir.tar.gz`)
  if (existsSync(file)) return new Blob([readFileSync(file)])
  progress({
    ready: 0,
    total,
    note: 'first run: initialising an embedded PostgreSQL data directory (cached for next time)',
  })
  const db = await PGlite.create()
  const dump = await db.dumpDataDir('gzip')
  await db.close()
  mkdirSync(dir, { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()))
  renameSync(tmp, file)
  return dump
}

export async function startPglitePartitions(count: number, progress: Progress): Promise<Partitions> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket')
  const version = packageVersion('@electric-sql/pglite')
  const dump = await baseDataDir(version, progress, count)
  const started: { db: { close(): Promise<void> }; server: { stop(): Promise<void> } }[] = []
  const list: Partition[] = []
  try {
    for (let index = 0; index < count; index++) {
      const db = await PGlite.create({ loadDataDir: dump })
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 })
      await server.start()
      started.push({ db, server })
      const [host, port] = server.getServerConn().split(':') as [string, string]
      list.push({
        index,
        connstr: `host=${host} port=${port} dbname=postgres`,
        clientConfig: { host, port: Number(port), database: 'postgres', user: 'postgres' },
      })
      progress({ ready: index + 1, total: count })
    }
  } catch (e) {
    await Promise.allSettled(
      started.map(async (s) => {
        await s.server.stop()
        await s.db.close()
      }),
    )
    throw e
  }
  return {
    kind: 'pglite',
    user: 'postgres',
    list,
    engine: `PGlite ${version} (embedded PostgreSQL)`,
    async stop() {
      for (const s of started) {
        await s.server.stop().catch(() => {})
        await s.db.close().catch(() => {})
      }
    },
  }
}

export async function startPostgresPartitions(count: number, progress: Progress): Promise<Partitions> {
  progress({ ready: 0, total: count, note: 'starting a throwaway PostgreSQL cluster' })
  const cluster = await startPgCluster({ name: 'plproxy-demo' })
  const list: Partition[] = []
  try {
    for (let index = 0; index < count; index++) {
      const database = `digoal${index}`
      await cluster.createDatabase(database)
      list.push({
        index,
        connstr: cluster.connstr(database),
        clientConfig: { host: cluster.host, port: cluster.port, database, user: cluster.user },
      })
      progress({ ready: index + 1, total: count })
    }
  } catch (e) {
    await cluster.stop()
    throw e
  }
  const version = (await cluster.query<{ server_version: string }>('postgres', 'show server_version'))[0]
    ?.server_version
  return {
    kind: 'postgres',
    user: cluster.user,
    list,
    engine: `PostgreSQL ${version ?? ''} (throwaway cluster)`.trim(),
    stop: () => cluster.stop(),
  }
}
