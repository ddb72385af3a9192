/**
 * `plproxy serve`: runs the wire server until SIGTERM or SIGINT (graceful:
 * in-flight calls finish), logging to stderr without passwords.
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import type { AuthMethod } from '../server/auth/index.js'
import { splitSearchPath } from '../server/core.js'
import { isLoopback, parseListen } from '../server/server.js'
import { CliUsageError } from './files.js'
import type { Output } from './output.js'

export interface ServeCommandOptions {
  readonly listen: string
  readonly functions?: string[]
  readonly clusters?: string[]
  readonly proxyDb?: string
  readonly auth?: string
  readonly users?: string
  readonly tlsCert?: string
  readonly tlsKey?: string
  readonly maxConnections: string
  readonly workers: string
  readonly metrics?: string
  readonly unixSocketDir?: string
  readonly ddlStore: string
  readonly user?: string
  readonly superuser?: string[]
  readonly searchPath?: string
  readonly variables: Map<string, string>
}

const AUTH_METHODS: readonly AuthMethod[] = ['trust', 'password', 'md5', 'scram-sha-256']

export async function serveCommand(
  opts: ServeCommandOptions,
  out: Output,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  let listen: ReturnType<typeof parseListen>
  let metrics: ReturnType<typeof parseListen> | undefined
  try {
    listen = parseListen(opts.listen)
    metrics = opts.metrics ? parseListen(opts.metrics, '--metrics') : undefined
  } catch (e) {
    throw new CliUsageError((e as Error).message)
  }
  const auth = (opts.auth ?? (isLoopback(listen.host) ? 'trust' : 'scram-sha-256')) as AuthMethod
  if (!AUTH_METHODS.includes(auth)) {
    throw new CliUsageError(`--auth must be one of ${AUTH_METHODS.join(', ')}, not "${opts.auth}"`)
  }
  if (auth !== 'trust' && !opts.users && !opts.proxyDb) {
    throw new CliUsageError(
      `--auth ${auth} needs passwords: give --users FILE (PgBouncer's userlist.txt format) or --proxy-db (its pg_authid)`,
    )
  }
  if (!opts.functions?.length)
    throw new CliUsageError('give the proxy functions with --functions <file.sql…>')
  if (!!opts.tlsCert !== !!opts.tlsKey) throw new CliUsageError('--tls-cert and --tls-key go together')
  const maxConnections = Number(opts.maxConnections)
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new CliUsageError(`--max-connections must be a positive integer, not "${opts.maxConnections}"`)
  }
  const workers = opts.workers === 'auto' ? availableParallelism() : Number(opts.workers)
  if (!Number.isInteger(workers) || workers < 1 || workers > 127) {
    throw new CliUsageError(`--workers must be a number from 1 to 127 or "auto", not "${opts.workers}"`)
  }
  if (!['auto', 'proxy-db', 'file', 'none'].includes(opts.ddlStore)) {
    throw new CliUsageError(`--ddl-store must be auto, proxy-db, file or none, not "${opts.ddlStore}"`)
  }
  let tls: { cert: Buffer; key: Buffer } | undefined
  if (opts.tlsCert && opts.tlsKey) {
    try {
      tls = { cert: await readFile(opts.tlsCert), key: await readFile(opts.tlsKey) }
    } catch (e) {
      throw new CliUsageError(`cannot read the TLS certificate or key: ${(e as Error).message}`)
    }
  }
  const log = (line: string) => out.stderr(`${new Date().toISOString()} plproxy serve: ${line}\n`)
  const { startServer } = await import('../server/index.js')
  let server: Awaited<ReturnType<typeof startServer>>
  try {
    server = await startServer({
      listen,
      functions: opts.functions.map((path) => ({ path })),
      clusters: (opts.clusters ?? []).map((path) => ({ path })),
      proxyDatabase: opts.proxyDb,
      auth,
      users: opts.users,
      tls,
      maxConnections,
      workers,
      metrics,
      unixSocketDirectory: opts.unixSocketDir,
      ddlStore: opts.ddlStore as 'auto' | 'proxy-db' | 'file' | 'none',
      user: opts.user,
      superusers: opts.superuser,
      searchPath: opts.searchPath ? splitSearchPath(opts.searchPath) : undefined,
      variables: opts.variables,
      log,
    })
  } catch (e) {
    out.stderr(`plproxy: ${(e as Error).message}\n`)
    return 1
  }
  log(
    `listening on ${listen.host}:${server.port}${server.metricsPort ? `, metrics on http://${metrics!.host}:${server.metricsPort}/metrics` : ''} (auth ${auth}${opts.proxyDb ? ', with a proxy database' : ''}${workers > 1 ? `, ${workers} workers` : ''})`,
  )
  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) {
        log(`${signal} again: closing every connection now`)
        void server.close({ graceful: false }).then(() => resolve(0))
        return
      }
      stopping = true
      log(`${signal}: no new connections; waiting for running calls to finish`)
      void server.close({ graceful: true }).then(() => {
        log('stopped')
        resolve(0)
      })
    }
    signals.on('SIGTERM', () => stop('SIGTERM'))
    signals.on('SIGINT', () => stop('SIGINT'))
  })
}
