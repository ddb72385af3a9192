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
import { Core } from './core.js'
import { isLoopback, type Listener, PlProxyServer, parseListen } from './server.js'
import { ServerStats } from './stats.js'

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
  readonly log?: (line: string) => void
}

export { PlProxyServer } from './server.js'
export type { ServerStats } from './stats.js'

export async function startServer(options: StartServerOptions): Promise<PlProxyServer> {
  const listen = typeof options.listen === 'string' ? parseListen(options.listen) : options.listen
  const metrics =
    typeof options.metrics === 'string' ? parseListen(options.metrics, 'metrics') : options.metrics
  const log = options.log ?? (() => {})
  const auth = options.auth ?? (isLoopback(listen.host) ? 'trust' : 'scram-sha-256')
  const stats = new ServerStats()
  const core = await Core.create({
    observer: (e) =>
      stats.partitionQuery(
        { cluster: e.cluster, partition: e.partitions[0] ?? 0, database: e.database },
        e.seconds,
        e.error,
      ),
    functions: options.functions,
    clusters: options.clusters,
    proxyDatabase: options.proxyDatabase,
    user: options.user,
    users: options.users,
    ddlStore: options.ddlStore,
    searchPath: options.searchPath,
    variables: options.variables,
    log,
  })
  const server = new PlProxyServer(core, {
    listen,
    unixSocketDirectory: options.unixSocketDirectory,
    auth,
    tls: options.tls,
    maxConnections: options.maxConnections ?? 100,
    superusers: options.superusers ?? ['postgres'],
    metrics,
    log,
    stats,
  })
  try {
    await server.start()
  } catch (e) {
    await core.end()
    throw e
  }
  return server
}
