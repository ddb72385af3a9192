/**
 * One client connection from its first byte: SSLRequest (TLS or 'N'),
 * GSSENCRequest ('N'), CancelRequest, the startup packet and protocol
 * negotiation, authentication, then either a Session (the proxy database,
 * or no database at all) or, for another database name, a relay to that
 * database on the proxy database's server, untouched (as PgBouncer does).
 */
import type { Socket } from 'node:net'
import { type SecureContext, TLSSocket } from 'node:tls'
import type { WireConnection, WireCredentials, WireOptions } from '../runtime/wire/index.js'
import {
  type AuthExchange,
  type AuthMethod,
  type AuthStep,
  type Credential,
  createAuthExchange,
} from './auth/index.js'
import type { BackendLink } from './backend-link.js'
import type { SessionDefaults } from './core.js'
import {
  BackendWriter,
  type CancelRequest,
  FrontendDecoder,
  type FrontendMessage,
  fatalErrorResponse,
  GSSENC_REJECT,
  ProtocolViolation,
  protocolNegotiation,
  SSL_ACCEPT,
  SSL_REJECT,
  type StartupMessage,
  unencryptedDataAfter,
} from './protocol/index.js'
import { type DdlService, Session, type SessionRuntime } from './session.js'
import { SessionSettings, SUPPORTED_CLIENT_ENCODINGS } from './settings.js'
import type { ServerStats, StatsRow } from './stats.js'

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly stats: ServerStats
  readonly runtime: SessionRuntime
  readonly ddl: DdlService
  readonly auth: AuthMethod
  readonly tls?: SecureContext
  readonly shuttingDown: boolean
  /** may one more session start? (the connection limit; a worker is told by its primary) */
  admit(connection: ClientConnection): boolean
  /** the proxy database's name: clients asking for another database are relayed to it */
  readonly proxyDatabaseName?: string
  /** ParameterStatus values at startup (the proxy database's, or built-in) */
  readonly parameterDefaults: Readonly<Record<string, string>>
  /** roles reported as superusers (is_superuser) */
  readonly superusers: ReadonlySet<string>
  /** search_path and statement_timeout of a role in a database (the proxy database's settings, or the server's) */
  sessionDefaults(user: string, database: string): Promise<SessionDefaults>
  /** the stored password of a user (users file, or the proxy database's pg_authid) */
  credentialOf(user: string): Promise<Credential | undefined>
  /** connect options for `user` on `database` of the proxy database's server; undefined without one */
  backendOptions(
    user: string,
    database: string,
    credentials: WireCredentials | undefined,
  ): WireOptions | undefined
  openBackend(options: WireOptions): Promise<BackendLink>
  openRelay(options: WireOptions): Promise<WireConnection>
  register(connection: ClientConnection): { processId: number; secretKey: number }
  unregister(connection: ClientConnection): void
  /** a CancelRequest: cancel what that session runs (false when no session has that key) */
  cancel(processId: number, secretKey: Buffer): boolean
  /** the counters as SHOW plproxy.stats shows them (every worker's) */
  statsRows(): Promise<StatsRow[]>
  log(line: string): void
}

type State = 'startup' | 'auth' | 'session' | 'relay' | 'closed'

export class ClientConnection {
  private socket: Socket
  private readonly decoder = new FrontendDecoder({ latestMinor: 0 })
  private state: State = 'startup'
  private pumping = false
  private auth: AuthExchange | undefined
  private waitingForPassword: ((m: FrontendMessage) => void) | undefined
  private session: Session | undefined
  private relay: WireConnection | undefined
  private key: { processId: number; secretKey: number } | undefined
  private tlsStarted = false
  private readonly peer: string

  constructor(
    socket: Socket,
    private readonly host: ConnectionHost,
    /** set by a worker's primary: whether this connection is within the limit */
    readonly admitted?: boolean,
  ) {
    this.socket = socket
    this.peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'local socket'
    socket.setNoDelay(true)
    this.listen(socket)
  }

  private listen(socket: Socket): void {
    socket.on('data', this.onData)
    socket.on('error', () => this.close())
    socket.on('close', () => this.close())
  }

  private isClosed(): boolean {
    return this.state === 'closed'
  }

  get processId(): number | undefined {
    return this.key?.processId
  }

  /** Nothing running: graceful shutdown may close it. */
  get idle(): boolean {
    if (this.state === 'session') return this.session?.idle ?? true
    return this.state !== 'relay'
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === 'relay') {
      this.relay?.writeRaw(chunk)
      return
    }
    this.decoder.push(chunk)
    this.decodeBuffered()
  }

  /**
   * Decodes what the client sent. Before the session, one message at a
   * time: how the bytes after a StartupMessage or a password read depends
   * on the authentication's next step (a trust client may pipeline its
   * first queries right behind the startup packet, as libpq's pipeline mode
   * does; a password client may not).
   */
  private decodeBuffered(): void {
    try {
      if (this.state === 'session') {
        for (;;) {
          let m: FrontendMessage | null
          try {
            m = this.decoder.next()
          } catch (e) {
            // a malformed field: the message is consumed, the session reports it and reads on
            if (!(e instanceof ProtocolViolation) || e.level !== 'ERROR') throw e
            this.session!.protocolError(e)
            continue
          }
          if (m === null) return
          this.session!.receive(m)
          if (this.isClosed()) return
        }
      }
      if (this.state === 'closed' || this.state === 'relay') return
      if (this.waitingForPassword) {
        const m = this.decoder.next()
        if (m !== null) this.answerPasswordWait(m)
        return
      }
      // the startup is busy (reading a password, the user's settings): the rest waits for it
      if (this.pumping) return
      const m = this.decoder.next()
      if (m !== null) void this.pump(m)
    } catch (e) {
      this.violation(e)
    }
  }

  private violation(e: unknown): void {
    if (!(e instanceof ProtocolViolation)) {
      this.host.log(`${this.peer}: ${(e as Error).stack ?? String(e)}`)
      this.close()
      return
    }
    if (e.level === 'ERROR' && this.session) {
      this.session.protocolError(e)
      return
    }
    if (e.level !== 'COMMERROR') this.write(fatalErrorResponse(e))
    else this.host.log(`${this.peer}: ${e.message}`)
    this.close()
  }

  private write(data: Buffer): void {
    if (this.state !== 'closed' && !this.socket.destroyed) this.socket.write(data)
  }

  private fatal(message: string, code: string, detail?: string): void {
    this.write(fatalErrorResponse({ message, code, detail }))
    this.close()
  }

  /** Handles one startup-phase message (a StartupMessage: through authentication to the session). */
  private async pump(m: FrontendMessage): Promise<void> {
    this.pumping = true
    try {
      await this.startupMessage(m)
    } catch (e) {
      this.host.log(`${this.peer}: ${(e as Error).stack ?? String(e)}`)
      this.fatal(`internal error: ${(e as Error).message}`, 'XX000')
    } finally {
      this.pumping = false
    }
    // the next startup-phase message (after an SSLRequest), or the session's pipelined queries
    this.decodeBuffered()
  }

  private async startupMessage(m: FrontendMessage): Promise<void> {
    switch (m.type) {
      case 'SSLRequest':
        if (this.decoder.buffered > 0) return this.violation(unencryptedDataAfter('SSLRequest'))
        if (!this.host.tls || this.tlsStarted) {
          this.write(SSL_REJECT)
          return
        }
        this.write(SSL_ACCEPT)
        this.startTls()
        return
      case 'GSSENCRequest':
        if (this.decoder.buffered > 0) return this.violation(unencryptedDataAfter('GSSENCRequest'))
        this.write(GSSENC_REJECT)
        return
      case 'CancelRequest':
        this.cancelRequest(m)
        return
      case 'StartupMessage':
        await this.startup(m)
        return
      default:
        return this.fatal(`invalid frontend message type ${m.type} during startup`, '08P01')
    }
  }

  private startTls(): void {
    this.tlsStarted = true
    const plain = this.socket
    plain.removeListener('data', this.onData)
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.host.tls! })
    this.socket = secure
    this.listen(secure)
  }

  private cancelRequest(m: CancelRequest): void {
    // no answer either way, as PostgreSQL; the connection ends
    if (!this.host.cancel(m.processId, m.secretKey)) {
      this.host.log(`${this.peer}: a cancel request named no session`)
    }
    this.close()
  }

  /** A cancel for this connection's session. */
  cancel(): void {
    if (this.session) this.session.cancel()
    else void this.relay?.cancel()
  }

  private async startup(m: StartupMessage): Promise<void> {
    const params: Record<string, string> = {}
    for (const [k, v] of m.parameters) params[k] = v
    const negotiation = protocolNegotiation(m, 0)
    const w = new BackendWriter()
    if (negotiation) w.negotiateProtocolVersion(negotiation.newestMinor, negotiation.unrecognizedOptions)
    const user = params.user
    if (!user) return this.fatal('no PostgreSQL user name specified in startup packet', '28000')
    if (params.replication !== undefined && params.replication !== 'false' && params.replication !== 'off') {
      return this.fatal('replication connections are not supported by plproxy serve', '0A000')
    }
    const database = params.database || user
    if (this.host.shuttingDown) return this.fatal('the database system is shutting down', '57P03')
    if (!this.host.admit(this)) {
      this.host.stats.connectionsRejected++
      return this.fatal('sorry, too many clients already', '53300')
    }
    const relayed = this.host.proxyDatabaseName !== undefined && database !== this.host.proxyDatabaseName
    const encoding = params.client_encoding
    if (!relayed && encoding !== undefined && !SUPPORTED_CLIENT_ENCODINGS.has(encoding.toLowerCase())) {
      return this.fatal(
        `client_encoding "${encoding}" is not supported by plproxy serve: use UTF8 (or SQL_ASCII)`,
        '0A000',
      )
    }
    this.key = this.host.register(this)
    this.host.stats.connectionsTotal++
    this.host.stats.connectionsOpen++
    if (w.length) this.write(w.flush())

    // authentication
    this.state = 'auth'
    let credential: Credential | undefined
    try {
      credential = this.host.auth === 'trust' ? undefined : await this.host.credentialOf(user)
    } catch (e) {
      this.host.log(`${this.peer}: could not read the password of "${user}": ${(e as Error).message}`)
      return this.fatal(`password authentication failed for user "${user}"`, '28P01')
    }
    this.auth = createAuthExchange(this.host.auth, user, credential)
    let step: AuthStep = this.auth.start()
    while (step.kind === 'send') {
      this.write(step.message)
      this.decoder.setPhase(step.phase)
      const answer = await this.nextMessage()
      if (!answer) return
      if (answer.type !== 'PasswordMessage') {
        return this.fatal(`expected password response, got message type ${answer.type}`, '08P01')
      }
      step = this.auth.receive(answer.body)
    }
    if (step.kind === 'fail') {
      const e = step.error
      if (e instanceof ProtocolViolation && e.level === 'COMMERROR') {
        this.host.log(`${this.peer}: ${e.message}`)
        return this.close()
      }
      const why = (e as { logDetail?: string }).logDetail
      this.host.log(`${this.peer}: authentication of "${user}" failed${why ? `: ${why}` : ''}`)
      this.write(fatalErrorResponse(e))
      return this.close()
    }
    this.decoder.setPhase('normal')
    const credentials = onwardCredentials(step, credential)
    const ok = step.message

    if (relayed) return this.startRelay(ok, user, database, credentials)
    let defaults: SessionDefaults
    try {
      defaults = await this.host.sessionDefaults(user, database)
    } catch (e) {
      this.host.log(`${this.peer}: could not read the settings of "${user}": ${(e as Error).message}`)
      defaults = { searchPath: ['$user', 'public'] }
    }
    if (this.isClosed()) return
    this.startSession(ok, user, database, params, credentials, defaults)
  }

  /** The next message from the client (undefined when the connection closed). */
  private nextMessage(): Promise<FrontendMessage | undefined> {
    if (this.state === 'closed') return Promise.resolve(undefined)
    return new Promise((resolve) => {
      this.waitingForPassword = resolve
      this.closeWaiter = () => resolve(undefined)
      // the answer may have arrived already, behind the message before it
      this.decodeBuffered()
    })
  }

  private closeWaiter: (() => void) | undefined

  /** Hands a message to the authentication exchange waiting in nextMessage(). */
  private answerPasswordWait(m: FrontendMessage): void {
    const resolve = this.waitingForPassword!
    this.waitingForPassword = undefined
    this.closeWaiter = undefined
    resolve(m)
  }

  private startSession(
    ok: Buffer,
    user: string,
    database: string,
    params: Readonly<Record<string, string>>,
    credentials: WireCredentials | undefined,
    sessionDefaults: SessionDefaults,
  ): void {
    const defaults: Record<string, string> = {
      ...this.host.parameterDefaults,
      session_authorization: user,
      is_superuser: this.host.superusers.has(user) ? 'on' : 'off',
    }
    const startup: Record<string, string> = {}
    // the client's startup parameters and `-c` options, else the role's and database's own settings
    for (const name of [
      'application_name',
      'client_encoding',
      'DateStyle',
      'TimeZone',
      'IntervalStyle',
      'bytea_output',
    ]) {
      const v = params[name] ?? startupSetting(params, name.toLowerCase()) ?? sessionDefaults.settings?.[name]
      if (v !== undefined) startup[name] = v
    }
    if (startup.client_encoding) {
      startup.client_encoding =
        SUPPORTED_CLIENT_ENCODINGS.get(startup.client_encoding.toLowerCase()) ?? 'UTF8'
    }
    const settings = new SessionSettings(defaults, startup)
    const backendOptions = this.host.backendOptions(user, database, credentials)
    const forwarded: Record<string, string> = {}
    for (const [k, v] of Object.entries(params)) {
      if (k !== 'user' && k !== 'database' && !k.startsWith('_pq_.')) forwarded[k] = v
    }
    const host = this.host
    this.session = new Session({
      runtime: host.runtime,
      ddl: host.ddl,
      stats: host.stats,
      backend: backendOptions
        ? () =>
            host.openBackend({
              ...backendOptions,
              parameters: { ...backendOptions.parameters, ...forwarded },
            })
        : undefined,
      user,
      database,
      searchPath: sessionDefaults.searchPath,
      statementTimeout: startupSetting(params, 'statement_timeout') ?? sessionDefaults.statementTimeout,
      settings,
      statsRows: () => host.statsRows(),
      write: (data) => this.write(data),
      log: (line) => host.log(`${this.peer} ${user}: ${line}`),
      onClose: () => this.close(),
    })
    const w = new BackendWriter()
    w.raw(ok)
    for (const [name, value] of settings.reported()) w.parameterStatus(name, value)
    w.backendKeyData(this.key!.processId, this.key!.secretKey)
    w.readyForQuery('I')
    this.write(w.flush())
    this.state = 'session'
  }

  private async startRelay(
    ok: Buffer,
    user: string,
    database: string,
    credentials: WireCredentials | undefined,
  ): Promise<void> {
    const options = this.host.backendOptions(user, database, credentials)!
    let conn: WireConnection
    try {
      conn = await this.host.openRelay(options)
    } catch (e) {
      const f = e as { message?: string; code?: string; detail?: string }
      return this.fatal(
        f.message ?? String(e),
        typeof f.code === 'string' && /^[0-9A-Z]{5}$/.test(f.code) ? f.code : '08006',
        f.detail,
      )
    }
    if (this.state === 'closed') {
      void conn.end()
      return
    }
    this.relay = conn
    const w = new BackendWriter()
    w.raw(ok)
    for (const [name, value] of conn.parameters) w.parameterStatus(name, value)
    w.backendKeyData(this.key!.processId, this.key!.secretKey)
    w.readyForQuery((conn.transactionStatus as 'I' | 'T' | 'E') ?? 'I')
    this.write(w.flush())
    this.state = 'relay'
    conn.setRelay((_type, message) => this.write(message))
    conn.onClose = () => this.close()
    // whatever the client sent meanwhile goes first
    const early = this.decoder.takeBuffered()
    if (early.length) conn.writeRaw(early)
  }

  /** Shutdown: PostgreSQL's fast-shutdown FATAL to the client (between messages), then close. */
  terminate(): void {
    // (a relayed connection may be inside a message of its database's: it is only closed)
    if (this.state === 'session') {
      this.write(
        fatalErrorResponse({ message: 'terminating connection due to administrator command', code: '57P01' }),
      )
    }
    this.close()
  }

  close(): void {
    if (this.state === 'closed') return
    const wasOpen = this.key !== undefined
    this.state = 'closed'
    this.closeWaiter?.()
    if (wasOpen) {
      this.host.stats.connectionsOpen--
      this.host.unregister(this)
    }
    void this.session?.end()
    void this.relay?.end()
    if (!this.socket.destroyed) this.socket.end()
  }
}

/** How the server proves itself to the proxy database as this client. */
function onwardCredentials(
  step: Extract<AuthStep, { kind: 'ok' }>,
  credential: Credential | undefined,
): WireCredentials | undefined {
  if (step.clientKey && step.scramSecret) {
    return { scramKeys: { clientKey: step.clientKey, serverKey: step.scramSecret.serverKey } }
  }
  if (step.password !== null) return { password: step.password }
  if (credential?.kind === 'plain') return { password: credential.password }
  if (credential?.kind === 'md5') return { md5Hash: credential.hash }
  return undefined
}

/**
 * A setting the client gave at startup: as a parameter of its own, or in
 * `options` (`-c name=value` or `--name=value`), the last one winning.
 */
export function startupSetting(params: Readonly<Record<string, string>>, name: string): string | undefined {
  let value = params[name]
  const options = params.options
  if (options) {
    const re = /(?:-c\s*|--)([A-Za-z_.]+)=((?:\\.|\S)*)/g
    for (let m = re.exec(options); m; m = re.exec(options)) {
      if (m[1]!.toLowerCase() === name) value = m[2]!.replace(/\\(.)/g, '$1')
    }
  }
  return value
}
