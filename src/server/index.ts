/**
 * src/server: `plproxy serve`, a PostgreSQL wire-protocol server in place of
 * the proxy database. psql, pgbench and drivers connect to it unchanged.
 *
 *   const server = await startServer({ listen: '127.0.0.1:6543', functions: [{ path: 'proxy.sql' }],
 *                                      clusters: [{ path: 'cluster.sql' }] })
 *   // … psql -h 127.0.0.1 -p 6543 -c 'select * from f_user_login(42)'
 *   await server.close()
 */
import type { SqlSource } from '../runtime/proxy.js'
import type { AuthMethod } from './auth/index.js'
import { Core, type CoreOptions } from './core.js'
import { isLoopback, type Listener, PlProxyServer, parseListen, type ServerSettings } from './server.js'
import { ServerStats } from './stats.js'
import { WorkerPool } from './workers.js'

export interface StartServerOptions {
  /** `host:port` (port 0: any free port) */
  readonly listen: string | Listener
  /** PL/Proxy sources: files (`{ path }`), or SQL text with a name (`{ file, text }`) */
  readonly functions: readonly SqlSource[]
  /** cluster definitions: SQL/MED DDL (files or text), or `{ json }` documents */
  readonly clusters?: readonly (SqlSource | { readonly json: unknown })[]
  /** the proxy database's connect string */
  readonly proxyDatabase?: string
  /** default: trust when listening on loopback, else scram-sha-256 */
  readonly auth?: AuthMethod
  /** PgBouncer-style users file */
  readonly users?: string
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
  readonly maxConnections?: number
  readonly metrics?: string | Listener
  readonly unixSocketDirectory?: string
  readonly ddlStore?: 'auto' | 'proxy-db' | 'file' | 'none'
  /** the role the --functions scripts run as */
  readonly user?: string
  readonly superusers?: readonly string[]
  /** search_path of sessions when there is no proxy database to say (default "$user", public) */
  readonly searchPath?: readonly string[]
  readonly variables?: ReadonlyMap<string, string>
  /** worker processes (each a whole server on its own core); default 1: this process serves */
  readonly workers?: number
  readonly log?: (line: string) => void
}

/** A running server: one process, or a primary with workers. */
export interface RunningServer {
  /** the TCP port it listens on (the one chosen when 0 was asked for) */
  readonly port: number
  readonly metricsPort: number | undefined
  /** every process's counters */
  counters(): Promise<ServerStats>
  /** stops accepting; with graceful (the default), waits for running calls */
  close(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>
}

export { PlProxyServer } from './server.js'
export { ServerStats } from './stats.js'

/** The settings of the core and of the server, from the options (shared with worker processes). */
export function serverSettings(
  options: StartServerOptions,
  log: (line: string) => void,
  stats: ServerStats,
): {
  core: Omit<CoreOptions, 'log'>
  server: ServerSettings
  listen: Listener
  metrics: Listener | undefined
} {
  const listen = typeof options.listen === 'string' ? parseListen(options.listen) : options.listen
  const metrics =
    typeof options.metrics === 'string' ? parseListen(options.metrics, 'metrics') : options.metrics
  const auth = options.auth ?? (isLoopback(listen.host) ? 'trust' : 'scram-sha-256')
  return {
    listen,
    metrics,
    core: {
      functions: options.functions,
      clusters: options.clusters,
      proxyDatabase: options.proxyDatabase,
      user: options.user,
      users: options.users,
      ddlStore: options.ddlStore,
      searchPath: options.searchPath,
      variables: options.variables,
      observer: (e) =>
        stats.partitionQuery(
          { cluster: e.cluster, partition: e.partitions[0] ?? 0, database: e.database },
          e.seconds,
          e.error,
        ),
    },
    server: {
      listen,
      unixSocketDirectory: options.unixSocketDirectory,
      auth,
      tls: options.tls,
      maxConnections: options.maxConnections ?? 100,
      superusers: options.superusers ?? ['postgres'],
      metrics,
      log,
      stats,
    },
  }
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const log = options.log ?? (() => {})
  const stats = new ServerStats()
  const settings = serverSettings(options, log, stats)
  const workers = options.workers ?? 1
  if (workers > 1) {
    const { log: _log, ...serializable } = options
    const pool = new WorkerPool({
      count: workers,
      listen: settings.listen,
      unixSocketDirectory: options.unixSocketDirectory,
      maxConnections: settings.server.maxConnections,
      metrics: settings.metrics,
      log,
      workerOptions: { ...serializable, workers: 1, metrics: undefined },
    })
    await pool.start()
    return {
      get port() {
        return pool.port
      },
      get metricsPort() {
        return pool.metricsPort
      },
      counters: () => pool.stats(),
      close: (o) => pool.close(o),
    }
  }
  const core = await Core.create({ ...settings.core, log })
  const server = new PlProxyServer(core, settings.server)
  try {
    await server.start()
  } catch (e) {
    await core.end()
    throw e
  }
  return server
}
