/**
 * `plproxy serve`: a PostgreSQL server on the network that takes the proxy
 * database's place. Listens on TCP (and optionally a unix socket), limits
 * connections, shuts down gracefully (in-flight calls finish), and serves
 * its counters over HTTP in Prometheus's format.
 */
import { randomInt } from 'node:crypto'
import { rmSync } from 'node:fs'
import type { Server as HttpServer } from 'node:http'
import type { Server, Socket } from 'node:net'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { WireCredentials, WireOptions } from '../runtime/wire/index.js'
import type { AuthMethod, Credential } from './auth/index.js'
import { ClientConnection, type ConnectionHost } from './client-connection.js'
import type { SessionDefaults } from './core.js'
import { listenForClients, listenForMetrics } from './listeners.js'
import { openBackendLink, openWire } from './proxy-backend.js'
import type { DdlService, SessionRuntime } from './session.js'
import { ServerStats, type StatsRow } from './stats.js'

export interface Listener {
  readonly host: string
  readonly port: number
}

export interface ServerCore {
  readonly runtime: SessionRuntime
  readonly ddl: DdlService
  /** the proxy database: its name, and how to connect to it as a client's user */
  readonly proxyDatabase?: {
    readonly name: string
    options(user: string, database: string, credentials: WireCredentials | undefined): WireOptions
  }
  /** ParameterStatus values sent at startup */
  readonly parameterDefaults: Readonly<Record<string, string>>
  credentialOf(user: string): Promise<Credential | undefined>
  sessionDefaults(user: string, database: string): Promise<SessionDefaults>
  end(): Promise<void>
}

export interface ServerSettings {
  readonly listen: Listener
  /** also listen on `<dir>/.s.PGSQL.<port>` */
  readonly unixSocketDirectory?: string
  readonly auth: AuthMethod
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
  readonly maxConnections: number
  readonly superusers: readonly string[]
  /** serve /metrics on this address */
  readonly metrics?: Listener
  readonly log: (line: string) => void
  /** the counters (shared with the runtime's observer) */
  readonly stats?: ServerStats
  /** worker mode: the link to the primary process (which listens and hands connections over) */
  readonly workers?: WorkerLink
}

/** What a worker process asks of its primary. */
export interface WorkerLink {
  /** this worker's number (0…) */
  readonly index: number
  forwardCancel(processId: number, secretKey: Buffer): void
  clusterStats(): Promise<ServerStats>
  connectionClosed(): void
}

export class PlProxyServer implements ConnectionHost {
  readonly stats: ServerStats
  readonly auth: AuthMethod
  readonly tls?: SecureContext
  readonly maxConnections: number
  readonly superusers: ReadonlySet<string>
  shuttingDown = false
  private readonly connections = new Map<number, { connection: ClientConnection; secretKey: number }>()
  private readonly servers: Server[] = []
  private http: HttpServer | undefined
  private readonly workers: WorkerLink | undefined
  private socketPath: string | undefined
  /** the TCP port actually bound (when 0 was asked for) */
  port = 0
  metricsPort: number | undefined

  constructor(
    private readonly core: ServerCore,
    private readonly settings: ServerSettings,
  ) {
    this.stats = settings.stats ?? new ServerStats()
    this.workers = settings.workers
    this.auth = settings.auth
    this.maxConnections = settings.maxConnections
    this.superusers = new Set(settings.superusers)
    if (settings.tls) this.tls = createSecureContext({ cert: settings.tls.cert, key: settings.tls.key })
  }

  // ---- ConnectionHost --------------------------------------------------------

  get runtime(): SessionRuntime {
    return this.core.runtime
  }

  get ddl(): DdlService {
    return this.core.ddl
  }

  get sessionCount(): number {
    return this.connections.size
  }

  admit(connection: ClientConnection): boolean {
    if (connection.admitted !== undefined) return connection.admitted
    // the one being admitted has registered already
    return this.connections.size < this.maxConnections
  }

  cancel(processId: number, secretKey: Buffer): boolean {
    const target = this.find(processId, secretKey)
    if (target) {
      target.cancel()
      return true
    }
    if (this.workers) {
      this.workers.forwardCancel(processId, secretKey)
      return true
    }
    return false
  }

  counters(): Promise<ServerStats> {
    return this.workers ? this.workers.clusterStats() : Promise.resolve(this.stats)
  }

  statsRows(): Promise<StatsRow[]> {
    return this.workers
      ? this.workers.clusterStats().then((s) => s.rows())
      : Promise.resolve(this.stats.rows())
  }

  get proxyDatabaseName(): string | undefined {
    return this.core.proxyDatabase?.name
  }

  get parameterDefaults(): Readonly<Record<string, string>> {
    return this.core.parameterDefaults
  }

  credentialOf(user: string): Promise<Credential | undefined> {
    return this.core.credentialOf(user)
  }

  sessionDefaults(user: string, database: string): Promise<SessionDefaults> {
    return this.core.sessionDefaults(user, database)
  }

  backendOptions(
    user: string,
    database: string,
    credentials: WireCredentials | undefined,
  ): WireOptions | undefined {
    return this.core.proxyDatabase?.options(user, database, credentials)
  }

  openBackend = openBackendLink
  openRelay = openWire

  register(connection: ClientConnection): { processId: number; secretKey: number } {
    let processId: number
    // a worker's sessions carry its number in the top bits, so that any worker can route a cancel
    const base = this.workers ? (this.workers.index + 1) * 2 ** 24 : 0
    const span = this.workers ? 2 ** 24 - 1 : 2 ** 31 - 2
    do processId = base + randomInt(1, span)
    while (this.connections.has(processId))
    const secretKey = randomInt(0, 2 ** 31 - 1) | 0
    this.connections.set(processId, { connection, secretKey })
    return { processId, secretKey }
  }

  unregister(connection: ClientConnection): void {
    const id = connection.processId
    if (id !== undefined && this.connections.get(id)?.connection === connection) this.connections.delete(id)
  }

  /** A connection a primary process accepted and handed over (worker mode). */
  accept(socket: Socket, admitted: boolean): void {
    if (this.shuttingDown) {
      socket.destroy()
      return
    }
    this.track(socket)
    const connection = new ClientConnection(socket, this, admitted)
    socket.once('close', () => this.workers?.connectionClosed())
    void connection
  }

  /** Every accepted socket until it closes (close() ends those not yet past their startup packet too). */
  private readonly sockets = new Set<Socket>()

  private track(socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  find(processId: number, secretKey: Buffer): ClientConnection | undefined {
    const entry = this.connections.get(processId)
    if (!entry || secretKey.length !== 4 || secretKey.readInt32BE(0) !== entry.secretKey) return undefined
    return entry.connection
  }

  log(line: string): void {
    this.settings.log(line)
  }

  // ---- lifecycle -------------------------------------------------------------

  private onConnection = (socket: Socket): void => {
    if (this.shuttingDown) {
      socket.destroy()
      return
    }
    this.track(socket)
    new ClientConnection(socket, this)
  }

  async start(): Promise<void> {
    const clients = await listenForClients(
      this.settings.listen,
      this.settings.unixSocketDirectory,
      this.onConnection,
    )
    this.servers.push(...clients.servers)
    this.port = clients.port
    this.socketPath = clients.socketPath
    if (this.settings.metrics) {
      const { http, port } = await listenForMetrics(this.settings.metrics, () => this.stats.prometheus())
      this.metricsPort = port
      this.http = http
    }
  }

  /**
   * Stops accepting connections; with `graceful`, waits (up to timeoutMs)
   * until every session has finished what it runs, then closes them all.
   */
  async close(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.shuttingDown = true
    // no new connections; the listeners report closed once the last connection is gone
    const stopped = Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    )
    if (this.socketPath) rmSync(this.socketPath, { force: true })
    if (options.graceful !== false) {
      const deadline = Date.now() + (options.timeoutMs ?? 30_000)
      while (Date.now() < deadline && [...this.connections.values()].some((c) => !c.connection.idle)) {
        await new Promise((r) => setTimeout(r, 20))
      }
    }
    for (const { connection } of [...this.connections.values()]) connection.terminate()
    // sockets still before their startup packet (or in a TLS handshake), and clients that keep their side open
    // get a moment to read the FATAL and leave by themselves (a socket closed with unread input sends RST)
    for (const socket of this.sockets) setTimeout(() => socket.destroy(), 250)
    await stopped
    this.http?.closeAllConnections()
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()))
    await this.core.end()
  }
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces) → Listener. */
export function parseListen(text: string, what = '--listen'): Listener {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim())
  if (!m) throw new Error(`${what} must be host:port (e.g. 127.0.0.1:6543), not "${text}"`)
  const port = Number(m[3])
  if (port > 65535) throw new Error(`${what}: port ${port} is out of range`)
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port }
}

/** Loopback addresses, where trust is the default. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
