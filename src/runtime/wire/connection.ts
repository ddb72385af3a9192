/**
 * A lean PostgreSQL client connection (protocol 3.0): startup with TLS
 * negotiation as libpq's sslmode does it, cleartext/MD5/SCRAM-SHA-256
 * authentication from a password, an MD5 hash or SCRAM keys, queries over
 * the extended protocol with text values, raw rows, a relay mode for a
 * server that forwards its clients' messages, and cancel requests.
 *
 * One query at a time: `query()` while another query runs (or while relay
 * mode is on) rejects at once with "another query is in progress on this
 * connection" — the pool above hands a connection to one caller at a time.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { userInfo } from 'node:os'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'
import {
  AUTH,
  B,
  type BindValue,
  cancelRequest,
  DEFAULT_MAX_MESSAGE_SIZE,
  extendedQuery,
  MessageSplitter,
  MessageWriter,
  parseAuthentication,
  parseBackendKeyData,
  parseCommandComplete,
  parseDataRowText,
  parseErrorResponse,
  parseMessage,
  parseNegotiateProtocolVersion,
  parseNoticeResponse,
  parseParameterStatus,
  parseRowDescription,
  passwordMessage,
  type RowField,
  saslInitialResponse,
  saslResponse,
  sslRequest,
  startupMessage,
  TERMINATE,
  type WireNotice,
  WireProtocolError,
  WireServerError,
} from './codec.js'
import { md5Response, md5ResponseFromHash, SCRAM_MECHANISM, ScramClient, type ScramKeys } from './scram.js'

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full'

/** How to prove who we are: a password, the `md5…` hash PostgreSQL stores, or SCRAM keys. */
export type WireCredentials =
  | { readonly password: string }
  | { readonly md5Hash: string }
  | { readonly scramKeys: ScramKeys }

export interface WireOptions {
  /** host name or IP address, or a unix-socket directory when it starts with `/` (default localhost) */
  readonly host?: string
  /** default 5432; for a socket directory, the socket is `<dir>/.s.PGSQL.<port>` */
  readonly port?: number
  /** the host's name when `host` is an address (libpq's host beside hostaddr): for verify-full */
  readonly serverName?: string
  /** default: the user name */
  readonly database?: string
  /** default: the operating-system user, as libpq */
  readonly user?: string
  /** asked for when the server wants a password; a function is called then (e.g. a .pgpass lookup) */
  readonly credentials?: WireCredentials | (() => WireCredentials | undefined)
  /**
   * libpq's sslmode (default prefer). disable: plain; allow: plain, then TLS
   * if the server rejects the plain login; prefer: TLS if the server offers
   * it, else plain; require: TLS, certificate not checked; verify-ca: the
   * chain is checked; verify-full: the chain and the host name. Unix
   * sockets never use TLS, as in libpq.
   */
  readonly sslmode?: SslMode
  /** extra TLS options (ca, cert, key, …) */
  readonly tls?: ConnectionOptions
  /** ms for the whole connection (TCP, TLS, authentication); ≤ 0 or absent = none */
  readonly connectTimeoutMs?: number
  /** TCP keepalives (default on, as libpq) */
  readonly keepAlive?: boolean
  readonly keepAliveInitialDelayMillis?: number
  /** startup parameters besides user and database (application_name, options, …); client_encoding defaults to UTF8 */
  readonly parameters?: Readonly<Record<string, string | undefined>>
  /** largest backend message accepted (default 1 GiB) */
  readonly maxMessageSize?: number
}

export interface QueryOptions {
  /** rows as the DataRow messages themselves (type byte and length included), not decoded */
  readonly raw?: boolean
}

export class WireResult<Row> {
  constructor(
    /** read-only: shared between results of the same statement */
    readonly fields: readonly RowField[],
    readonly rows: Row[],
    /** the command tag (`SELECT 2`), '' for an empty query */
    readonly command: string,
  ) {}
}

/** Receives each backend message, whole, while relay mode is on. */
export type RelayHandler = (type: number, message: Buffer) => void

const SERVER_CLOSED =
  'server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.'

/** A connection attempt given up because its signal aborted. */
export class WireAbortError extends Error {
  override readonly name = 'AbortError'
  readonly code = 'ABORT_ERR'
  constructor(cause?: unknown) {
    super('the connection attempt was aborted', cause === undefined ? undefined : { cause })
  }
}

function connectionError(message: string, code?: string): Error & { code?: string } {
  const e: Error & { code?: string } = new Error(message)
  if (code !== undefined) e.code = code
  return e
}

enum Phase {
  Connecting,
  Ssl,
  Tls,
  Startup,
  Ready,
  Closed,
}

interface Target {
  readonly host: string
  readonly port: number
  /** the unix socket's path, for socket directories */
  readonly path: string | undefined
  readonly serverName: string | undefined
  readonly user: string
  readonly database: string
  readonly credentials: WireOptions['credentials']
  readonly sslmode: SslMode
  readonly tls: ConnectionOptions | undefined
  readonly connectTimeoutMs: number
  readonly keepAlive: boolean
  readonly keepAliveInitialDelayMillis: number
  readonly parameters: Record<string, string | undefined>
  readonly maxMessageSize: number
}

const SSL_MODES: readonly string[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']

function resolveTarget(o: WireOptions): Target {
  const host = o.host === undefined || o.host === '' ? 'localhost' : o.host
  const port = o.port ?? 5432
  const sslmode = o.sslmode ?? 'prefer'
  if (!SSL_MODES.includes(sslmode)) throw new Error(`invalid sslmode value: "${sslmode}"`)
  const user = o.user === undefined || o.user === '' ? userInfo().username : o.user
  const parameters: Record<string, string | undefined> = { user, database: o.database || user }
  for (const [name, value] of Object.entries(o.parameters ?? {})) {
    if (name !== 'user' && name !== 'database') parameters[name] = value
  }
  if (parameters.client_encoding === undefined) parameters.client_encoding = 'UTF8'
  return {
    host,
    port,
    path: host.startsWith('/') ? `${host}/.s.PGSQL.${port}` : undefined,
    serverName: o.serverName,
    user,
    database: parameters.database!,
    credentials: o.credentials,
    sslmode,
    tls: o.tls,
    connectTimeoutMs: o.connectTimeoutMs ?? 0,
    keepAlive: o.keepAlive ?? true,
    keepAliveInitialDelayMillis: o.keepAliveInitialDelayMillis ?? 0,
    parameters,
    maxMessageSize: o.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
  }
}

/**
 * Opens a connection and logs in. Rejects with Node's socket error
 * (ECONNREFUSED, ENOENT, ENOTFOUND…), a {@link WireServerError} for an
 * ErrorResponse during startup (`database "x" does not exist`…), an Error
 * with libpq's wording for authentication problems (`fe_sendauth: no
 * password supplied`), `timeout expired` after connectTimeoutMs, or a
 * {@link WireAbortError} when `signal` aborts.
 */
export async function connectWire(options: WireOptions, signal?: AbortSignal): Promise<WireConnection> {
  const target = resolveTarget(options)
  if (signal?.aborted) throw new WireAbortError(signal.reason)
  const deadline = target.connectTimeoutMs > 0 ? Date.now() + target.connectTimeoutMs : 0
  const mode = target.sslmode
  const tcp = target.path === undefined
  let ssl = tcp && mode !== 'disable' && mode !== 'allow'
  let retried = false
  for (;;) {
    const conn = new WireConnection(target)
    try {
      await conn.open(ssl, deadline, signal)
      return conn
    } catch (e) {
      // libpq's second chances: prefer retries in plain when TLS failed or the TLS login was
      // refused; allow retries with TLS when the plain login was refused
      if (!retried && tcp && !signal?.aborted && !(deadline && Date.now() >= deadline)) {
        if (
          mode === 'prefer' &&
          ssl &&
          (conn.failedInTls || (conn.tlsInUse && e instanceof WireServerError))
        ) {
          ssl = false
          retried = true
          continue
        }
        if (mode === 'allow' && !ssl && e instanceof WireServerError) {
          ssl = true
          retried = true
          continue
        }
      }
      throw e
    }
  }
}

/**
 * A CancelRequest on a new connection to `address` (host and port, or a
 * unix socket path): the server cancels whatever that backend runs. Fire
 * and forget, like libpq's PQcancel: resolves when the server closed the
 * connection, on error, or after `timeoutMs`.
 */
export function sendCancelRequest(
  address: { readonly host: string; readonly port: number } | { readonly path: string },
  processId: number,
  secretKey: number,
  timeoutMs = 5000,
): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = 'path' in address ? netConnect({ path: address.path }) : netConnect(address)
    const done = () => {
      socket.destroy()
      resolve()
    }
    socket.setTimeout(timeoutMs, done)
    socket.on('connect', () => socket.end(cancelRequest(processId, secretKey)))
    // the server closes the connection once it has read the request
    socket.on('close', done)
    socket.on('error', done)
  })
}

/** A statement text's encoded Parse message and its last RowDescription. */
class Statement {
  rowDescription: Buffer | undefined = undefined
  fields: readonly RowField[] = NO_FIELDS
  constructor(readonly parse: Buffer) {}
}

const NO_FIELDS: readonly RowField[] = Object.freeze([])
const NO_PARAMS: readonly BindValue[] = Object.freeze([])
/** Parse messages kept per connection (the runtime sends few distinct SQL texts) */
const MAX_STATEMENTS = 100

class PendingQuery {
  fields: readonly RowField[] = NO_FIELDS
  readonly rows: (Buffer | (string | null)[])[] = []
  command = ''
  error: Error | undefined = undefined
  resolve!: (r: WireResult<Buffer | (string | null)[]>) => void
  reject!: (e: Error) => void
  readonly promise: Promise<WireResult<Buffer | (string | null)[]>>

  constructor(
    readonly statement: Statement,
    readonly raw: boolean,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }
}

export class WireConnection {
  /** the backend's process ID and cancel key (BackendKeyData) */
  processId = 0
  secretKey = 0
  /** ParameterStatus values the server reported (server_version, TimeZone, …) */
  readonly parameters = new Map<string, string>()
  /** from the last ReadyForQuery: 'I' idle, 'T' in a transaction, 'E' in a failed transaction */
  transactionStatus = 'I'
  /** NegotiateProtocolVersion: startup options the server did not recognize */
  unrecognizedOptions: readonly string[] = []
  /** NoticeResponses (a listener that throws is reported as a process warning) */
  onNotice: ((notice: WireNotice) => void) | undefined = undefined
  /** the connection is gone; `cause` is the socket error or the server's FATAL error, if any */
  onClose: ((cause: Error | undefined) => void) | undefined = undefined

  /** set while connecting: the TLS handshake failed, or TLS is in use */
  failedInTls = false
  tlsInUse = false

  private phase = Phase.Connecting
  private socket!: Socket
  private readonly splitter: MessageSplitter
  private current: PendingQuery | undefined = undefined
  private relayHandler: RelayHandler | undefined = undefined
  private readonly statements = new Map<string, Statement>()
  private cancelAddress: { host: string; port: number } | { path: string } | undefined
  /** why the connection went away, if known */
  private closeCause: Error | undefined = undefined
  // connecting
  private connectResolve: (() => void) | undefined = undefined
  private connectReject: ((e: Error) => void) | undefined = undefined
  private connectTimer: NodeJS.Timeout | undefined = undefined
  private abortSignal: AbortSignal | undefined = undefined
  private scram: ScramClient | undefined = undefined
  private scramDone = false
  private credentials: WireCredentials | undefined | null = null
  private endTimer: NodeJS.Timeout | undefined = undefined

  /** use {@link connectWire} */
  constructor(private readonly target: Target) {
    this.splitter = new MessageSplitter(this.onMessage, target.maxMessageSize)
  }

  /** node-postgres's name of {@link processId} */
  get processID(): number {
    return this.processId
  }

  get closed(): boolean {
    return this.phase === Phase.Closed
  }

  /** True between connecting and closing, with no query running. */
  get idle(): boolean {
    return this.phase === Phase.Ready && this.current === undefined && this.relayHandler === undefined
  }

  // -------------------------------------------------------------------------
  // connecting

  /** @internal one connection attempt (connectWire retries for sslmode prefer/allow) */
  open(ssl: boolean, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.connectResolve = resolve
      this.connectReject = reject
      const t = this.target
      const raw =
        t.path !== undefined ? netConnect({ path: t.path }) : netConnect({ host: t.host, port: t.port })
      this.socket = raw
      raw.on('error', this.onSocketError)
      raw.on('close', this.onSocketClose)
      if (deadline > 0) {
        this.connectTimer = setTimeout(
          () => this.failConnect(connectionError('timeout expired', 'ETIMEDOUT')),
          Math.max(deadline - Date.now(), 1),
        )
      }
      if (signal) {
        this.abortSignal = signal
        signal.addEventListener('abort', this.onAbort, { once: true })
      }
      raw.once('connect', () => {
        if (t.path === undefined) {
          raw.setNoDelay(true)
          this.cancelAddress = { host: raw.remoteAddress ?? t.host, port: t.port }
          if (t.keepAlive) raw.setKeepAlive(true, t.keepAliveInitialDelayMillis)
        } else this.cancelAddress = { path: t.path }
        if (ssl) {
          this.phase = Phase.Ssl
          raw.once('data', this.onSslResponse)
          raw.write(sslRequest())
        } else this.sendStartup()
      })
    })
  }

  private readonly onAbort = (): void => {
    this.failConnect(new WireAbortError(this.abortSignal?.reason))
  }

  private readonly onSslResponse = (chunk: Buffer): void => {
    const raw = this.socket
    const answer = chunk[0]
    if (answer === 0x53 /* S */) {
      if (chunk.length > 1) {
        this.failConnect(new WireProtocolError('received unencrypted data after SSL response'))
        return
      }
      this.phase = Phase.Tls
      const t = this.target
      const verify = t.sslmode === 'verify-ca' || t.sslmode === 'verify-full'
      const name = t.serverName ?? t.host
      const options: ConnectionOptions = {
        socket: raw,
        rejectUnauthorized: verify,
        // SNI only for names, as libpq (an IP address is not a valid server name)
        servername: isIP(name) ? undefined : name,
        host: name,
        ...t.tls,
      }
      if (t.sslmode !== 'verify-full') options.checkServerIdentity = () => undefined
      const secure = tlsConnect(options)
      this.socket = secure
      secure.on('error', (e) => {
        if (this.phase === Phase.Tls) this.failedInTls = true
        this.onSocketError(e)
      })
      secure.on('close', this.onSocketClose)
      secure.once('secureConnect', () => {
        this.tlsInUse = true
        this.sendStartup()
      })
      return
    }
    if (answer === 0x4e /* N */) {
      const mode = this.target.sslmode
      if (mode === 'require' || mode === 'verify-ca' || mode === 'verify-full') {
        this.failConnect(connectionError('server does not support SSL, but SSL was required'))
        return
      }
      if (chunk.length > 1) {
        this.failConnect(new WireProtocolError('received unencrypted data after SSL response'))
        return
      }
      this.sendStartup()
      return
    }
    if (answer === 0x45 /* E */) {
      // a server that could not start a backend answers with an ErrorResponse
      this.phase = Phase.Startup
      raw.on('data', this.onData)
      this.onData(chunk)
      return
    }
    this.failConnect(
      new WireProtocolError(
        `received invalid response to SSL negotiation: ${String.fromCharCode(answer ?? 0)}`,
      ),
    )
  }

  private sendStartup(): void {
    this.phase = Phase.Startup
    this.socket.on('data', this.onData)
    this.socket.write(startupMessage(this.target.parameters))
  }

  private failConnect(e: Error): void {
    const reject = this.connectReject
    if (reject === undefined) return
    this.connectResolve = undefined
    this.connectReject = undefined
    this.stopConnectWatch()
    this.phase = Phase.Closed
    this.socket.destroy()
    reject(e)
  }

  private stopConnectWatch(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer)
    this.connectTimer = undefined
    this.abortSignal?.removeEventListener('abort', this.onAbort)
    this.abortSignal = undefined
  }

  private credential(): WireCredentials | undefined {
    if (this.credentials === null) {
      const c = this.target.credentials
      this.credentials = typeof c === 'function' ? c() : c
    }
    return this.credentials
  }

  private password(): string {
    const c = this.credential()
    const password = c !== undefined && 'password' in c ? c.password : undefined
    if (password === undefined || password === '') {
      if (c !== undefined && !('password' in c)) {
        throw connectionError(
          `the server asked for a password in clear text, but only ${'md5Hash' in c ? 'an MD5 hash is' : 'SCRAM keys are'} at hand`,
        )
      }
      throw connectionError('fe_sendauth: no password supplied')
    }
    return password
  }

  private authenticate(buf: Buffer, start: number, end: number): void {
    const auth = parseAuthentication(buf, start, end)
    switch (auth.code) {
      case AUTH.Ok:
        if (this.scram !== undefined && !this.scramDone) {
          throw connectionError('server sent authentication OK before the SCRAM exchange was complete')
        }
        return
      case AUTH.CleartextPassword:
        this.socket.write(passwordMessage(this.password()))
        return
      case AUTH.MD5Password: {
        const salt = (auth as { salt: Buffer }).salt
        const c = this.credential()
        if (c !== undefined && 'md5Hash' in c) {
          this.socket.write(passwordMessage(md5ResponseFromHash(c.md5Hash, salt)))
          return
        }
        if (c !== undefined && 'scramKeys' in c) {
          throw connectionError('the server asked for an MD5 password, but only SCRAM keys are at hand')
        }
        this.socket.write(passwordMessage(md5Response(this.target.user, this.password(), salt)))
        return
      }
      case AUTH.SASL: {
        const mechanisms = (auth as { mechanisms: readonly string[] }).mechanisms
        if (!mechanisms.includes(SCRAM_MECHANISM)) {
          throw connectionError("none of the server's SASL authentication mechanisms are supported")
        }
        const c = this.credential()
        if (c !== undefined && 'md5Hash' in c) {
          throw connectionError('the server asked for SCRAM authentication, but only an MD5 hash is at hand')
        }
        this.scram = new ScramClient(
          c !== undefined && 'scramKeys' in c ? { keys: c.scramKeys } : { password: this.password() },
        )
        this.socket.write(saslInitialResponse(SCRAM_MECHANISM, this.scram.clientFirstMessage()))
        return
      }
      case AUTH.SASLContinue: {
        const scram = this.scram
        if (scram === undefined) throw new WireProtocolError('SASLContinue without a SASL exchange')
        scram.clientFinalMessage((auth as { data: string }).data).then(
          (message) => {
            if (this.phase === Phase.Startup) this.socket.write(saslResponse(message))
          },
          (e: Error) => this.failConnect(e),
        )
        return
      }
      case AUTH.SASLFinal: {
        if (this.scram === undefined) throw new WireProtocolError('SASLFinal without a SASL exchange')
        this.scram.verifyServerFinal((auth as { data: string }).data)
        this.scramDone = true
        return
      }
      case AUTH.KerberosV5:
        throw connectionError('Kerberos 5 authentication not supported')
      case AUTH.SCMCredential:
        throw connectionError('SCM_CRED authentication method not supported')
      case AUTH.GSS:
      case AUTH.GSSContinue:
        throw connectionError('GSSAPI authentication not supported')
      case AUTH.SSPI:
        throw connectionError('SSPI authentication not supported')
      default:
        throw connectionError(`authentication method ${auth.code} not supported`)
    }
  }

  private startupMessage(type: number, buf: Buffer, start: number, end: number): void {
    switch (type) {
      case B.Authentication:
        this.authenticate(buf, start, end)
        return
      case B.BackendKeyData: {
        const key = parseBackendKeyData(buf, start, end)
        this.processId = key.processId
        this.secretKey = key.secretKey
        return
      }
      case B.ParameterStatus: {
        const [name, value] = parseParameterStatus(buf, start, end)
        this.parameters.set(name, value)
        return
      }
      case B.NoticeResponse:
        this.notice(parseNoticeResponse(buf, start, end))
        return
      case B.NegotiateProtocolVersion:
        this.unrecognizedOptions = parseNegotiateProtocolVersion(buf, start, end).unrecognized
        return
      case B.ErrorResponse:
        this.failConnect(parseErrorResponse(buf, start, end))
        return
      case B.ReadyForQuery: {
        this.transactionStatus = String.fromCharCode(buf[start + 5]!)
        this.phase = Phase.Ready
        this.stopConnectWatch()
        const resolve = this.connectResolve
        this.connectResolve = undefined
        this.connectReject = undefined
        this.scram = undefined
        this.credentials = undefined
        resolve?.()
        return
      }
      default:
        throw new WireProtocolError(
          `expected authentication request from server, but received ${String.fromCharCode(type)}`,
        )
    }
  }

  // -------------------------------------------------------------------------
  // messages

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.splitter.push(chunk)
    } catch (e) {
      this.fatal(e as Error)
    }
  }

  private readonly onMessage = (type: number, buf: Buffer, start: number, end: number): void => {
    if (this.phase !== Phase.Ready) {
      if (this.phase === Phase.Startup) this.startupMessage(type, buf, start, end)
      return
    }
    const relay = this.relayHandler
    if (relay !== undefined) {
      // observed, not consumed
      if (type === B.ReadyForQuery) this.transactionStatus = String.fromCharCode(buf[start + 5]!)
      else if (type === B.ParameterStatus) {
        const [name, value] = parseParameterStatus(buf, start, end)
        this.parameters.set(name, value)
      }
      relay(type, buf.subarray(start, end))
      return
    }
    const q = this.current
    switch (type) {
      case B.DataRow:
        if (q === undefined) break
        q.rows.push(q.raw ? buf.subarray(start, end) : parseDataRowText(buf, start, end))
        return
      case B.ParseComplete:
      case B.BindComplete:
      case B.CloseComplete:
      case B.PortalSuspended:
      case B.ParameterDescription:
      case B.NotificationResponse:
      case B.CopyData:
      case B.CopyDone:
      case B.CopyOutResponse:
        return
      case B.RowDescription:
        if (q !== undefined) q.fields = this.rowFields(q.statement, buf, start, end)
        return
      case B.NoData:
        if (q !== undefined) q.fields = NO_FIELDS
        return
      case B.CommandComplete:
        if (q !== undefined) q.command = parseCommandComplete(buf, start, end)
        return
      case B.EmptyQueryResponse:
        if (q !== undefined) q.command = ''
        return
      case B.ReadyForQuery:
        this.transactionStatus = String.fromCharCode(buf[start + 5]!)
        if (q === undefined) return
        this.current = undefined
        if (q.error !== undefined) q.reject(q.error)
        else q.resolve(new WireResult(q.fields, q.rows, q.command))
        return
      case B.ErrorResponse: {
        const e = parseErrorResponse(buf, start, end)
        if (q !== undefined) {
          if (q.error === undefined) q.error = e
        } else this.closeCause = e // outside a query: FATAL, the server is closing the connection
        return
      }
      case B.NoticeResponse:
        this.notice(parseNoticeResponse(buf, start, end))
        return
      case B.ParameterStatus: {
        const [name, value] = parseParameterStatus(buf, start, end)
        this.parameters.set(name, value)
        return
      }
      case B.CopyInResponse:
        // COPY FROM STDIN is not this client's business: end it (CopyFail)
        this.socket.write(
          new MessageWriter().begin('f').cstring('COPY is not supported by this client').end().take(),
        )
        return
      default:
        break
    }
    throw new WireProtocolError(`unexpected message type 0x${type.toString(16)} from the server`)
  }

  private rowFields(st: Statement, buf: Buffer, start: number, end: number): readonly RowField[] {
    const cached = st.rowDescription
    const length = end - start
    if (
      cached !== undefined &&
      cached.length === length &&
      buf.compare(cached, 0, length, start, end) === 0
    ) {
      return st.fields
    }
    const fields = Object.freeze(parseRowDescription(buf, start, end))
    st.rowDescription = Buffer.from(buf.subarray(start, end))
    st.fields = fields
    return fields
  }

  private notice(n: WireNotice): void {
    const listener = this.onNotice
    if (listener === undefined) return
    try {
      listener(n)
    } catch (e) {
      process.emitWarning(`plproxy-ts: a notice listener threw: ${(e as Error)?.message ?? String(e)}`)
    }
  }

  /** A broken stream or a failed step: the connection cannot go on. */
  private fatal(e: Error): void {
    if (this.phase !== Phase.Ready) {
      this.failConnect(e)
      return
    }
    if (this.closeCause === undefined) this.closeCause = e
    this.socket.destroy()
  }

  private readonly onSocketError = (e: Error): void => {
    if (this.phase !== Phase.Ready) {
      this.failConnect(e)
      return
    }
    if (this.closeCause === undefined) this.closeCause = e
  }

  private readonly onSocketClose = (): void => {
    if (this.phase === Phase.Closed) return
    if (this.phase !== Phase.Ready) {
      this.failConnect(connectionError(SERVER_CLOSED))
      return
    }
    this.phase = Phase.Closed
    if (this.endTimer !== undefined) clearTimeout(this.endTimer)
    const q = this.current
    this.current = undefined
    const cause = this.closeCause
    if (q !== undefined) q.reject(q.error ?? queryLostError(cause))
    const listener = this.onClose
    if (listener !== undefined) listener(cause)
  }

  // -------------------------------------------------------------------------
  // queries

  /**
   * Runs `sql` with text parameters (null = NULL) over the extended
   * protocol: Parse (cached per SQL text), Bind, Describe, Execute, Sync in
   * one write. Rows as UTF-8 text, or with `raw` the DataRow messages
   * themselves (subarrays of the socket's chunks). A server error rejects
   * with a {@link WireServerError} once the server is ready again, so the
   * connection stays usable; a lost connection rejects with libpq's
   * "server closed the connection unexpectedly".
   */
  query(sql: string, params?: readonly BindValue[]): Promise<WireResult<(string | null)[]>>
  query(
    sql: string,
    params: readonly BindValue[] | undefined,
    options: { raw: true },
  ): Promise<WireResult<Buffer>>
  query(
    sql: string,
    params?: readonly BindValue[],
    options?: QueryOptions,
  ): Promise<WireResult<Buffer | (string | null)[]>>
  query(
    sql: string,
    params: readonly BindValue[] = NO_PARAMS,
    options?: QueryOptions,
  ): Promise<WireResult<Buffer | (string | null)[]>> {
    if (this.phase !== Phase.Ready) return Promise.reject(connectionError('no connection to the server'))
    if (this.current !== undefined || this.relayHandler !== undefined) {
      return Promise.reject(connectionError('another query is in progress on this connection'))
    }
    let st = this.statements.get(sql)
    if (st === undefined) {
      st = new Statement(parseMessage('', sql))
      if (this.statements.size >= MAX_STATEMENTS) {
        this.statements.delete(this.statements.keys().next().value as string)
      }
      this.statements.set(sql, st)
    }
    let message: Buffer
    try {
      message = extendedQuery(st.parse, params)
    } catch (e) {
      return Promise.reject(e)
    }
    const q = new PendingQuery(st, options !== undefined && options.raw === true)
    this.current = q
    this.socket.write(message)
    return q.promise
  }

  // -------------------------------------------------------------------------
  // relay

  /**
   * Relay mode: with a handler, every backend message goes to it as it
   * arrives (the whole message, type byte included, a subarray of the
   * socket's chunk), uninterpreted — only ReadyForQuery's transaction
   * status and ParameterStatus values are noted on the way. Without one,
   * messages are interpreted again. The switch takes effect at the next
   * message, so a handler may switch relay off when it sees the
   * ReadyForQuery that ends a forwarded batch. A handler that throws breaks
   * the connection. Not while a query() runs.
   */
  setRelay(handler: RelayHandler | undefined): void {
    if (handler !== undefined && this.current !== undefined) {
      throw connectionError('cannot relay while a query is in progress on this connection')
    }
    this.relayHandler = handler
  }

  get relaying(): boolean {
    return this.relayHandler !== undefined
  }

  /** Sends bytes as they are (a client's messages, already framed); false when the socket buffers. */
  writeRaw(bytes: Uint8Array): boolean {
    if (this.phase !== Phase.Ready) throw connectionError('no connection to the server')
    return this.socket.write(bytes)
  }

  /** Stops reading from the server (backpressure while relaying); resumeReading() undoes it. */
  pauseReading(): void {
    this.socket.pause()
  }

  resumeReading(): void {
    this.socket.resume()
  }

  // -------------------------------------------------------------------------
  // ending

  /** Asks the server to cancel what this backend runs (a CancelRequest on a new connection). */
  cancel(timeoutMs = 5000): Promise<void> {
    const address = this.cancelAddress
    if (address === undefined || (this.processId === 0 && this.secretKey === 0)) return Promise.resolve()
    return sendCancelRequest(address, this.processId, this.secretKey, timeoutMs)
  }

  /** Terminate and close; resolves when the socket is closed (forced after 5 s). */
  end(): Promise<void> {
    if (this.phase === Phase.Closed) return Promise.resolve()
    const socket = this.socket
    return new Promise<void>((resolve) => {
      socket.once('close', () => resolve())
      if (this.endTimer === undefined) {
        this.endTimer = setTimeout(() => socket.destroy(), 5000)
        this.endTimer.unref()
        if (this.phase === Phase.Ready) socket.end(TERMINATE)
        else this.failConnect(connectionError('the connection was closed while connecting'))
      }
    })
  }

  /** Closes the socket at once. */
  destroy(): void {
    if (this.phase !== Phase.Ready)
      this.failConnect(connectionError('the connection was closed while connecting'))
    this.socket.destroy()
  }
}

function queryLostError(cause: Error | undefined): Error {
  if (cause instanceof WireServerError || cause instanceof WireProtocolError) return cause
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  if (cause === undefined || code === 'ECONNRESET' || code === 'EPIPE') {
    return cause === undefined ? connectionError(SERVER_CLOSED) : new Error(SERVER_CLOSED, { cause })
  }
  return new Error(`could not receive data from server: ${cause.message}`, { cause })
}
