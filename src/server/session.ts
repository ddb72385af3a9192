/**
 * One client's session after startup: the simple and the extended query
 * protocol, as PostgreSQL runs them. Calls of proxy functions run here, on
 * the runtime; everything else goes to the client's own connection to the
 * proxy database (or, without one, is answered here when it can be: SET,
 * SHOW, BEGIN…, else refused with a clear error).
 *
 * Messages are handled one after another in arrival order; the output is
 * batched and written at Sync, Flush, ReadyForQuery, or when it grows.
 */
import type { PlanType } from '../compiler/index.js'
import {
  type ClientStatement,
  ClientSyntaxError,
  type FunctionCallStatement,
  type OtherStatement,
  parameterizeConstants,
  readClientStatements,
} from '../parser/index.js'
import { type OutputColumn, type PreparedClientCall, windowRows } from '../runtime/client-call.js'
import type { ProxyNotice } from '../runtime/errors.js'
import { binaryToText, textToBinary } from '../runtime/values/index.js'
import { queryMessage, SYNC } from '../runtime/wire/index.js'
import { B, type BackendLink } from './backend-link.js'
import { dataRowValues } from './data-rows.js'
import { hasOutputStyle, type OutputStyle, type Restyle, restyleFor } from './output-style.js'
import {
  BackendWriter,
  type Bind,
  type Close,
  type Describe,
  type ErrorFields,
  type Execute,
  type FieldDescription,
  type FrontendMessage,
  type Parse,
  type Query,
  type TransactionStatus,
} from './protocol/index.js'
import { recordText } from './record.js'
import { InvalidSettingValue } from './setting-values.js'
import { type SessionSettings, SettingError } from './settings.js'
import type { ServerStats, StatsRow } from './stats.js'

/** What a session asks of the runtime (implemented over PlProxy by the server). */
export interface SessionRuntime {
  /** the call prepared, or undefined when no proxy function has that name */
  prepare(
    stmt: FunctionCallStatement,
    parameterTypes: readonly number[],
    context: CallContext,
  ): PreparedClientCall | undefined
  /** runs a prepared call: the function's rows as DataRow messages, in its column order */
  run(
    prepared: PreparedClientCall,
    args: readonly (string | null)[],
    options: {
      signal: AbortSignal
      user: string
      onNotice: (notice: ProxyNotice) => void
      staleConnections: Set<string>
    },
  ): Promise<readonly Buffer[]>
  /** the proxy database changed something cluster definitions may come from */
  invalidateClusters(): void
  /** is `name` (`f` or `schema.f`) a proxy function on this search path? */
  isProxyFunction(name: string, searchPath: readonly string[]): boolean
  /** OID and typlen of a type for RowDescription */
  describeType(type: PlanType): { oid: number; size: number }
  /** changes whenever the functions change (DDL): prepared calls of an older generation are stale */
  readonly generation: number
}

/** CREATE/DROP/ALTER FUNCTION … LANGUAGE plproxy, and the DDL the compiler follows (types, schemas, SQL/MED). */
export interface DdlService {
  /** `function`: a proxy function's DDL (always run here); `catalog`: DDL the compiler follows; else not DDL of ours */
  classify(stmt: OtherStatement, context: CallContext): 'function' | 'catalog' | undefined
  /** applies it to the compiler (and keeps it); PostgreSQL-style error when it fails */
  apply(stmt: OtherStatement, context: CallContext): Promise<{ tag: string; notices: readonly ErrorFields[] }>
}

export interface CallContext {
  readonly user: string
  readonly searchPath: readonly string[]
}

export interface SessionOptions {
  readonly runtime: SessionRuntime
  readonly ddl: DdlService
  readonly stats: ServerStats
  /** opens this client's connection to the proxy database; undefined when there is none */
  readonly backend?: () => Promise<BackendLink>
  readonly user: string
  readonly database: string
  /** search_path at the start (the proxy database's setting for this role and database, or the default) */
  readonly searchPath?: readonly string[]
  /** statement_timeout at the start, as PostgreSQL prints it (`500`, `2s`) */
  readonly statementTimeout?: string
  readonly settings: SessionSettings
  /** the counters of SHOW plproxy.stats (every worker's) */
  readonly statsRows: () => Promise<StatsRow[]>
  readonly write: (data: Buffer) => void
  /** log a line (never with passwords) */
  readonly log: (line: string) => void
  /** the session ended itself (Terminate, a fatal error) */
  readonly onClose?: () => void
}

/** A PostgreSQL-style error to report to the client. */
export class SessionError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly fields: Partial<ErrorFields> = {},
  ) {
    super(message)
  }
}

const NO_PROXY_DB =
  'plproxy serve runs only calls of proxy functions and SET/SHOW/BEGIN/COMMIT/ROLLBACK here; other statements need the proxy database (--proxy-db)'

interface CallStatement {
  readonly kind: 'call'
  readonly prepared: PreparedClientCall
  readonly parameterOids: readonly number[]
  /** the statement as the client wrote it, and the runtime generation it was prepared in */
  readonly stmt: FunctionCallStatement
  readonly generation: number
  /** RowDescription fields in text format, once computed */
  fields?: FieldDescription[]
}
interface RestyleEntry {
  readonly oids: readonly number[]
  readonly styled: boolean
  /** the output settings restyle was made for */
  key: string | undefined
  restyle: (Restyle | undefined)[] | undefined
}
interface LocalStatement {
  readonly kind: 'local'
  readonly stmt: OtherStatement
}
interface ForwardedStatement {
  readonly kind: 'forwarded'
  /** what it is, when we could read it (session state follows it once it has run) */
  readonly stmt?: ClientStatement
}
interface EmptyPrepared {
  readonly kind: 'empty'
}
type PreparedStatement = CallStatement | LocalStatement | ForwardedStatement | EmptyPrepared

interface CallPortal {
  readonly kind: 'call'
  readonly statement: CallStatement
  readonly args: (string | null)[]
  /** the `$n` values (LIMIT/OFFSET may use them) */
  readonly params: readonly (string | null)[]
  readonly formats: readonly number[]
  /** the function's rows, once it ran */
  rows: readonly Buffer[] | undefined
  /** how many have been sent (PortalSuspended resumes here) */
  sent: number
  done: boolean
  /** how its row columns are re-printed in the session's output style (set when it ran) */
  restyle?: (Restyle | undefined)[]
}
interface LocalPortal {
  readonly kind: 'local'
  readonly stmt: OtherStatement
  done: boolean
}
type Portal =
  | CallPortal
  | LocalPortal
  | { readonly kind: 'forwarded'; readonly stmt?: ClientStatement }
  | { readonly kind: 'empty' }

const FLUSH_AT = 64 * 1024

/** Errors PostgreSQL reports with the position of the function call. */
const POSITIONED = new Set(['42883', '42725', '42601'])

/** Statements that cannot change cluster definitions (everything else makes the runtime look again). */
const READ_ONLY_NODES = new Set([
  'SelectStmt',
  'VariableShowStmt',
  'VariableSetStmt',
  'TransactionStmt',
  'ExplainStmt',
  'DeallocateStmt',
  'DiscardStmt',
  'PrepareStmt',
  'ExecuteStmt',
  'ListenStmt',
  'UnlistenStmt',
  'NotifyStmt',
  'CopyStmt',
])

interface ProtocolErrorMarker {
  readonly type: 'ProtocolError'
  readonly message: string
  readonly code: string
  /** the faulty message was of the extended protocol: skip to Sync (else: ReadyForQuery now) */
  readonly extended: boolean
  /** its type byte (`S` for Sync, `d`/`c`/`f` for COPY messages, …) */
  readonly messageType: string | undefined
}

/** Messages after whose errors PostgreSQL skips to the next Sync (postgres.c, doing_extended_query_message). */
const EXTENDED_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H'])

export class Session {
  private readonly out = new BackendWriter()
  private readonly statements = new Map<string, PreparedStatement>()
  private readonly portals = new Map<string, Portal>()
  private readonly queue: (FrontendMessage | ProtocolErrorMarker)[] = []
  private busy = false
  /** after an error in the extended protocol: skip everything until Sync */
  private skipping = false
  /** this batch (since the last Sync) sent something to the proxy database */
  private forwardedInBatch = false
  /** extended-protocol messages went to the proxy database since the last Sync */
  private extendedOpen = false
  /** an error in this batch fails the proxy database's transaction once the batch is synced */
  private abortAfterSync = false
  /** transaction status when there is no proxy database connection to tell it */
  private localStatus: TransactionStatus = 'I'
  private backendLink: BackendLink | undefined
  private backendOpening: Promise<BackendLink> | undefined
  /** COPY … FROM STDIN under way on the proxy database */
  private copyIn = false
  private cancelling = new AbortController()
  private runningCall = false
  private searchPath: string[] = ['$user', 'public']
  private currentUser: string
  private closed = false
  /** connections this session's errors left stale, as PL/Proxy's backend would have them */
  private readonly staleConnections = new Set<string>()
  /** dynamic RECORD functions this session called (PL/Proxy then says "Function used in wrong context") */
  private readonly dynamicCalled = new Set<string>()
  /** prepared calls: of simple queries by their shape without constants, of Parse messages by text and types */
  private readonly preparedCalls = new Map<string, CallStatement>()
  /** bytea_output on the proxy database (not reported by ParameterStatus): read again after what may change it */
  private proxyByteaOutput: string
  private byteaOutputStale = false
  /** per prepared call: how its row columns are re-printed for the current output style */
  /** per prepared call: its row columns' type OIDs, whether any has an output style, and how they are re-printed */
  private readonly restyles = new WeakMap<PreparedClientCall, RestyleEntry>()
  /** statement texts already read (Parse messages repeat) */
  private readonly parsed = new Map<string, ClientStatement[]>()

  constructor(private readonly o: SessionOptions) {
    this.currentUser = o.user
    this.proxyByteaOutput = o.settings.get('bytea_output') ?? 'hex'
    if (o.searchPath) this.searchPath = [...o.searchPath]
    this.initialSearchPath = [...this.searchPath]
    this.initialTimeoutMs = timeoutMs(o.statementTimeout)
    this.statementTimeoutMs = this.initialTimeoutMs
  }

  private readonly initialTimeoutMs: number
  /** statement_timeout: a proxy-function call running longer is cancelled, as PostgreSQL cancels a statement */
  private statementTimeoutMs: number

  private readonly initialSearchPath: string[]

  // ---- input -----------------------------------------------------------------

  /** Queues a message; copy data during COPY FROM STDIN goes on at once. */
  receive(message: FrontendMessage): void {
    if (this.closed) return
    if (
      this.copyIn &&
      (message.type === 'CopyData' || message.type === 'CopyDone' || message.type === 'CopyFail')
    ) {
      this.backendLink?.passThrough(message.raw)
      if (message.type !== 'CopyData') this.copyIn = false
      return
    }
    this.queue.push(message)
    if (!this.busy) void this.pump()
  }

  /** Whether the session has work queued or running (graceful shutdown waits for it). */
  get idle(): boolean {
    return !this.busy && this.queue.length === 0
  }

  private async pump(): Promise<void> {
    this.busy = true
    try {
      while (this.queue.length && !this.closed) {
        const m = this.queue.shift()!
        const work = this.handle(m)
        if (work) await work
        if (this.out.length >= FLUSH_AT) this.flush()
      }
    } catch (e) {
      // a bug of ours: tell the client and end the session rather than hang
      this.o.log(`session error: ${(e as Error).stack ?? String(e)}`)
      this.out.errorResponse({
        severity: 'FATAL',
        code: 'XX000',
        message: `internal error: ${(e as Error).message}`,
      })
      this.flush()
      this.closed = true
      this.o.onClose?.()
    } finally {
      this.busy = false
    }
  }

  /** A malformed message the decoder consumed: in its turn, an ERROR, then skip to Sync, as PostgreSQL does. */
  protocolError(e: { message: string; code: string; messageType?: string | undefined }): void {
    const extended = e.messageType === undefined || EXTENDED_MESSAGES.has(e.messageType)
    this.queue.push({
      type: 'ProtocolError',
      message: e.message,
      code: e.code,
      extended,
      messageType: e.messageType,
    })
    if (!this.busy) void this.pump()
  }

  private handle(m: FrontendMessage | ProtocolErrorMarker): Promise<void> | undefined {
    switch (m.type) {
      case 'ProtocolError':
        return this.protocolFault(m)
      case 'Query':
        // skipping to Sync after an extended-protocol error, PostgreSQL ignores even a Query
        return this.skipping ? undefined : this.simpleQuery(m)
      case 'Parse':
        return this.skipping ? undefined : this.guard(this.parse(m))
      case 'Bind':
        return this.skipping ? undefined : this.guard(this.bind(m))
      case 'Describe':
        return this.skipping ? undefined : this.guard(this.describe(m))
      case 'Execute':
        return this.skipping ? undefined : this.guard(this.execute(m))
      case 'Close':
        return this.skipping ? undefined : this.guard(this.close(m))
      case 'Sync':
        return this.sync()
      case 'Flush':
        this.flush()
        return undefined
      case 'Terminate':
        this.closed = true
        this.o.onClose?.()
        return undefined
      case 'CopyData':
      case 'CopyDone':
      case 'CopyFail':
        // outside COPY, PostgreSQL ignores these
        return undefined
      case 'FunctionCall':
        return this.functionCall(m.raw)
      default:
        this.out.errorResponse({
          severity: 'FATAL',
          code: '08P01',
          message: `unexpected message type ${m.type} during a session`,
        })
        this.flush()
        this.closed = true
        this.o.onClose?.()
        return undefined
    }
  }

  /** Errors of an extended-protocol message: reported, then skip to Sync. */
  private async guard(work: Promise<void> | undefined): Promise<void> {
    try {
      await work
    } catch (e) {
      await this.fail(e)
      this.skipping = true
    }
  }

  // ---- output ----------------------------------------------------------------

  private flush(): void {
    if (this.out.length && !this.closed) this.o.write(this.out.flush())
  }

  private status(): TransactionStatus {
    return this.backendLink ? this.backendLink.transactionStatus : this.localStatus
  }

  private readyForQuery(): void {
    this.out.readyForQuery(this.status())
    this.flush()
  }

  /** A malformed message, as PostgreSQL answers it: an error, then skip to Sync or ReadyForQuery. */
  private async protocolFault(m: ProtocolErrorMarker): Promise<void> {
    const error = new SessionError(m.message, m.code)
    // a Sync ends the skip before its fault is seen: the error, then the Sync's ReadyForQuery
    if (m.messageType === 'S') {
      await this.fail(error)
      await this.sync()
      return
    }
    // COPY messages outside COPY are ignored unread; PostgreSQL reads nothing while it skips to Sync
    if (m.messageType === 'd' || m.messageType === 'c' || m.messageType === 'f' || this.skipping) return
    await this.fail(error)
    if (m.extended) {
      this.skipping = true
      this.flush()
    } else this.readyForQuery()
  }

  /** Reports an error of ours; inside a transaction block, the transaction fails as in PostgreSQL. */
  private async fail(e: unknown): Promise<void> {
    this.out.errorResponse(errorFields(e))
    if (this.status() === 'T') {
      // the proxy database is inside an extended batch of the client's (and may be skipping to its Sync): after the Sync
      if (this.extendedOpen) {
        this.abortAfterSync = true
        return
      }
      await this.abortTransaction()
    }
  }

  /** A proxy-function call failed inside a transaction block: the transaction fails, as in PostgreSQL. */
  private async abortTransaction(): Promise<void> {
    if (!this.backendLink) {
      this.localStatus = 'E'
      return
    }
    // make the proxy database's transaction fail too, so that COMMIT rolls back and later statements are refused
    const failing = queryMessage(
      "DO $plproxy$BEGIN RAISE EXCEPTION 'a proxy function call failed in this transaction'; END$plproxy$",
    )
    try {
      await this.backendLink.exchange(
        [failing],
        (t) => t === B.ReadyForQuery,
        () => {},
      )
    } catch (err) {
      this.o.log(`could not fail the proxy database's transaction: ${(err as Error).message}`)
    }
  }

  // ---- the proxy database ----------------------------------------------------

  private async backend(): Promise<BackendLink> {
    if (this.backendLink && !this.backendLink.closed) return this.backendLink
    const open = this.o.backend
    if (!open) throw new SessionError(NO_PROXY_DB, '0A000')
    this.backendOpening ??= open().then((link) => {
      this.backendLink = link
      link.onUnsolicited = (_type, message) => {
        this.out.raw(message)
        if (!this.busy) this.flush()
      }
      return link
    })
    try {
      return await this.backendOpening
    } finally {
      this.backendOpening = undefined
    }
  }

  /**
   * Sends client messages to the proxy database and relays its answers
   * until `until` — or an ErrorResponse, for extended-protocol messages
   * (a simple Query goes on to its ReadyForQuery). False when it failed.
   */
  private async forward(messages: readonly Buffer[], until: (type: number) => boolean): Promise<boolean> {
    const link = await this.backend()
    this.forwardedInBatch = true
    this.o.stats.forwardedStatements++
    let failed = false
    // a Query or a FunctionCall ends with its own ReadyForQuery; other messages wait for a Sync
    const last = messages[messages.length - 1]?.[0]
    const simple = last === 0x51 || last === 0x46
    if (!simple) this.extendedOpen = true
    await link.exchange(
      messages,
      (type) => until(type) || (!simple && type === B.ErrorResponse),
      (type, message) => {
        if (type === B.ErrorResponse) failed = true
        else if (type === B.CopyInResponse) this.copyIn = true
        this.out.raw(message)
        if (this.out.length >= FLUSH_AT || type === B.CopyInResponse || type === B.CopyOutResponse)
          this.flush()
      },
    )
    return !failed
  }

  // ---- simple query ------------------------------------------------------------

  /** A Query's or a Parse message's statements; Parse texts repeat and are cached, simple queries seldom do. */
  private readStatements(sql: string, cache = false): ClientStatement[] {
    if (!cache) return readClientStatements(sql)
    let stmts = this.parsed.get(sql)
    if (!stmts) {
      stmts = readClientStatements(sql)
      if (this.parsed.size > 500) this.parsed.clear()
      this.parsed.set(sql, stmts)
    }
    return stmts
  }

  private context(): CallContext {
    return {
      user: this.currentUser,
      searchPath: this.searchPath.map((s) => (s === '$user' ? this.currentUser : s)),
    }
  }

  /** How one statement runs: here (a call or a local command), or on the proxy database. */
  private route(stmt: ClientStatement): 'call' | 'local' | 'forward' {
    if (stmt.kind === 'FunctionCall') {
      const name = stmt.schema === undefined ? stmt.name : `${stmt.schema}.${stmt.name}`
      return this.o.runtime.isProxyFunction(name, this.context().searchPath) ? 'call' : 'forward'
    }
    if (isShowPlproxy(stmt)) return 'local'
    if (stmt.node === 'DeallocateStmt') {
      const name: string | undefined = stmt.tree.DeallocateStmt.name
      const own =
        name !== undefined && this.statements.has(name) && this.statements.get(name)!.kind !== 'forwarded'
      if (own || !this.o.backend) return 'local'
    }
    const proxyCall = stmt.calledFunctions.find((f) =>
      this.o.runtime.isProxyFunction(f, this.context().searchPath),
    )
    if (proxyCall) return 'local'
    const ddl = this.o.ddl.classify(stmt, this.context())
    if (ddl === 'function') return 'local'
    if (ddl === 'catalog') return this.o.backend ? 'forward' : 'local'
    if (!this.o.backend) return 'local'
    return 'forward'
  }

  private async simpleQuery(m: Query): Promise<void> {
    this.skipping = false
    let stmts: ClientStatement[]
    try {
      stmts = this.readStatements(m.sql)
    } catch (e) {
      // a syntax error: the proxy database says it in its own words, if there is one
      let relayed: boolean | undefined
      if (e instanceof ClientSyntaxError && this.o.backend) {
        relayed = await this.runGuarded(() => this.forward([m.raw], (t) => t === B.ReadyForQuery))
      } else await this.fail(e)
      if (relayed === undefined) this.readyForQuery()
      else this.flush()
      return
    }
    if (!stmts.length) {
      this.out.emptyQueryResponse()
      this.readyForQuery()
      return
    }
    const routes = stmts.map((s) => this.route(s))
    if (routes.every((r) => r === 'forward')) {
      // the whole query as it came: the proxy database's own multi-statement semantics
      const ok = await this.runGuarded(() => this.forward([m.raw], (t) => t === B.ReadyForQuery))
      if (ok === undefined) this.readyForQuery()
      else {
        this.afterForwarded(stmts)
        this.flush()
      }
      return
    }
    for (let i = 0; i < stmts.length; i++) {
      const stmt = stmts[i]!
      const ok = await this.runGuarded(async () => {
        switch (routes[i]) {
          case 'call':
            await this.runSimpleCall(stmt as FunctionCallStatement)
            return true
          case 'local':
            await this.runLocal(stmt as OtherStatement, true)
            return true
          default: {
            const q = queryMessage(stmt.text)
            let failed = false
            const link = await this.backend()
            this.forwardedInBatch = true
            this.o.stats.forwardedStatements++
            await link.exchange(
              [q],
              (t) => t === B.ReadyForQuery,
              (type, message) => {
                if (type === B.ReadyForQuery) return
                if (type === B.ErrorResponse) failed = true
                if (type === B.CopyInResponse) this.copyIn = true
                this.out.raw(message)
              },
            )
            if (!failed) this.afterForwarded([stmt])
            return !failed
          }
        }
      })
      if (!ok) break
    }
    this.readyForQuery()
  }

  /** Runs work; an error is reported to the client and gives undefined. */
  private async runGuarded<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work()
    } catch (e) {
      await this.fail(e)
      return undefined
    }
  }

  /** Session state the compiler and the calls need, from statements the proxy database ran. */
  private afterForwarded(stmts: readonly ClientStatement[]): void {
    for (const s of stmts) {
      if (s.kind !== 'Other') continue
      if (
        ['VariableSetStmt', 'DiscardStmt', 'TransactionStmt'].includes(s.node) ||
        s.calledFunctions.some((f) => f === 'set_config' || f === 'pg_catalog.set_config')
      ) {
        this.byteaOutputStale = true
      }
      // PL/Proxy looks at cluster definitions on every call: anything that may have changed them is seen at once
      if (!READ_ONLY_NODES.has(s.node)) this.o.runtime.invalidateClusters()
      if (s.node === 'VariableSetStmt') this.trackSetting(s.tree.VariableSetStmt)
      else if (s.node === 'DiscardStmt') {
        this.statements.clear()
        this.portals.clear()
        this.searchPath = [...this.initialSearchPath]
        this.currentUser = this.o.user
      } else if (this.o.ddl.classify(s, this.context()) === 'catalog') {
        this.o.ddl.apply(s, this.context()).catch((e) => {
          this.o.log(`the compiler could not follow "${s.text.slice(0, 80)}": ${(e as Error).message}`)
        })
      }
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: libpg-query parse trees are untyped JSON
  private trackSetting(set: any): void {
    const name: string | undefined = set?.name?.toLowerCase()
    const values: string[] = (set?.args ?? []).map(
      // biome-ignore lint/suspicious/noExplicitAny: parse tree
      (a: any) => a?.A_Const?.sval?.sval ?? a?.A_Const?.ival?.ival?.toString() ?? '',
    )
    const reset =
      set?.kind === 'VAR_RESET' || set?.kind === 'VAR_SET_DEFAULT' || set?.kind === 'VAR_RESET_ALL'
    if (set?.kind === 'VAR_RESET_ALL') {
      this.searchPath = [...this.initialSearchPath]
      this.currentUser = this.o.user
      this.statementTimeoutMs = this.initialTimeoutMs
      return
    }
    if (name === 'statement_timeout') {
      this.statementTimeoutMs = reset ? this.initialTimeoutMs : timeoutMs(values[0])
      return
    }
    if (name === 'search_path') {
      this.searchPath = reset
        ? [...this.initialSearchPath]
        : values.flatMap((v) => v.split(',').map((x) => x.trim().replace(/^"(.*)"$/, '$1')))
    } else if (name === 'role') {
      this.currentUser = reset || values[0] === 'none' ? this.o.user : (values[0] ?? this.o.user)
    } else if (name === 'session_authorization') {
      this.currentUser = reset ? this.o.user : (values[0] ?? this.o.user)
    }
  }

  // ---- proxy-function calls ------------------------------------------------------

  private prepareCall(stmt: FunctionCallStatement, parameterOids: readonly number[]): CallStatement {
    const generation = this.o.runtime.generation
    let prepared: PreparedClientCall | undefined
    try {
      prepared = this.o.runtime.prepare(stmt, parameterOids, this.context())
    } catch (e) {
      // PL/Proxy's cache of a dynamic RECORD function called before with a column list (per backend)
      const unsupported = /^PL\/Proxy function (.*)\(0\): unsupported type$/.exec((e as Error).message)
      if (unsupported && this.dynamicCalled.has(unsupported[1]!)) {
        throw new SessionError('Function used in wrong context', 'XX000')
      }
      // PostgreSQL points at the call in errors about which function it is
      const f = e as { code?: string; position?: string | number }
      if (stmt.position !== undefined && f.position === undefined && POSITIONED.has(f.code ?? '')) {
        throw new SessionError((e as Error).message, f.code!, { ...errorFields(e), position: stmt.position })
      }
      throw e
    }
    if (!prepared) throw new SessionError(`function ${stmt.name} does not exist`, '42883')
    return { kind: 'call', prepared, parameterOids, stmt, generation }
  }

  /** A prepared call for the current search_path and user, made once per runtime generation. */
  private cachedCall(key: string, make: () => CallStatement): CallStatement {
    const full = `${this.searchPath.join(',')}\u0000${this.currentUser}\u0000${key}`
    let call = this.preparedCalls.get(full)
    if (!call || call.generation !== this.o.runtime.generation) {
      call = make()
      if (this.preparedCalls.size > 400) this.preparedCalls.clear()
      this.preparedCalls.set(full, call)
    }
    return call
  }

  private async runSimpleCall(stmt: FunctionCallStatement): Promise<void> {
    // calls that differ only in their constants share one prepared call (and its RowDescription)
    const p = parameterizeConstants(stmt)
    let call: CallStatement
    let args: (string | null)[]
    if (p) {
      call = this.cachedCall(`q\u0000${p.key}`, () => this.prepareCall(p.statement, p.types))
      try {
        args = call.prepared.arguments(p.values)
      } catch (e) {
        // PostgreSQL points at the constant that does not read as the argument's type
        const at = p.positions[((e as { parameter?: number }).parameter ?? 0) - 1]
        if (at === undefined) throw e
        throw new SessionError((e as Error).message, (e as { code?: string }).code ?? 'XX000', {
          ...errorFields(e),
          position: at,
        })
      }
    } else {
      call = this.prepareCall(stmt, [])
      args = call.prepared.arguments([])
    }
    const portal: CallPortal = {
      kind: 'call',
      statement: call,
      args,
      params: p ? p.values : [],
      formats: [],
      rows: undefined,
      sent: 0,
      done: false,
    }
    call.fields ??= this.fields(call.prepared.columns, [])
    this.out.rowDescription(call.fields)
    await this.executeCall(portal, 0)
  }

  private fields(columns: readonly OutputColumn[], formats: readonly number[]): FieldDescription[] {
    return columns.map((c, i) => {
      const { oid, size } = this.o.runtime.describeType(c.type)
      return {
        name: c.name,
        tableOid: 0,
        columnAttr: 0,
        typeOid: oid,
        typeSize: size,
        typmod: -1,
        format: formatOf(formats, i),
      }
    })
  }

  /** Runs a call (once per portal) and sends up to maxRows rows; CommandComplete or PortalSuspended. */
  private async executeCall(portal: CallPortal, maxRows: number): Promise<void> {
    if (this.status() === 'E') throw abortedTransaction()
    let rows = portal.rows
    if (rows === undefined) {
      const started = performance.now()
      const prepared = portal.statement.prepared
      const name = prepared.plan.function.qualifiedName
      // one controller per session, replaced only once a cancel has used it
      if (this.cancelling.signal.aborted) this.cancelling = new AbortController()
      this.runningCall = true
      let timedOut = false
      const controller = this.cancelling
      const timer =
        this.statementTimeoutMs > 0
          ? setTimeout(() => {
              timedOut = true
              controller.abort(new Error('statement timeout'))
            }, this.statementTimeoutMs)
          : undefined
      try {
        rows = await this.o.runtime.run(prepared, portal.args, {
          signal: controller.signal,
          user: this.currentUser,
          onNotice: this.onNotice,
          staleConnections: this.staleConnections,
        })
      } catch (e) {
        this.o.stats.functionCall(name, (performance.now() - started) / 1000, true)
        if (timedOut) throw new SessionError('canceling statement due to statement timeout', '57014')
        throw e
      } finally {
        this.runningCall = false
        if (timer) clearTimeout(timer)
      }
      this.o.stats.functionCall(name, (performance.now() - started) / 1000, false)
      if (prepared.plan.result.kind === 'DynamicRecordResult') this.dynamicCalled.add(name)
      if (prepared.order || prepared.window) rows = windowRows(prepared, rows, portal.params, dataRowValues)
      portal.rows = rows
      // only calls with dates, timestamps, intervals or bytea look at the session's output settings
      const styles = this.restyleEntry(prepared)
      if (styles.styled) {
        if (this.byteaOutputStale) await this.readByteaOutput()
        portal.restyle = this.restyleOf(styles, this.outputStyle())
      }
    }
    const from = portal.sent
    const end = maxRows > 0 ? Math.min(rows.length, from + maxRows) : rows.length
    this.emitRows(portal, rows, from, end)
    portal.sent = end
    if (end < rows.length) {
      this.out.portalSuspended()
      return
    }
    portal.done = true
    this.out.commandComplete(`SELECT ${end}`)
  }

  private readonly onNotice = (n: ProxyNotice): void => {
    this.out.noticeResponse(errorFields(n))
  }

  /** The session's DateStyle, TimeZone and bytea_output: the proxy database's, else our own settings'. */
  private outputStyle(): OutputStyle {
    const link = this.backendLink
    if (!link) {
      const s = this.o.settings
      return {
        dateStyle: s.get('DateStyle') ?? 'ISO, MDY',
        timeZone: s.get('TimeZone') ?? 'UTC',
        byteaOutput: s.get('bytea_output') ?? 'hex',
        intervalStyle: s.get('IntervalStyle') ?? 'postgres',
      }
    }
    return {
      dateStyle: link.parameters.get('DateStyle') ?? 'ISO, MDY',
      timeZone: link.parameters.get('TimeZone') ?? 'UTC',
      byteaOutput: this.proxyByteaOutput,
      intervalStyle: link.parameters.get('IntervalStyle') ?? 'postgres',
    }
  }

  /** bytea_output of the proxy database session, after a statement that may have changed it. */
  private async readByteaOutput(): Promise<void> {
    const link = this.backendLink
    // not inside an extended-protocol batch of the client's (the proxy database may be skipping to its Sync)
    if (this.extendedOpen) return
    this.byteaOutputStale = false
    if (!link || link.closed || link.transactionStatus === 'E') return
    let value: string | undefined
    await link.exchange(
      [queryMessage("select current_setting('bytea_output')")],
      (t) => t === B.ReadyForQuery,
      (type, message) => {
        if (type === B.DataRow) value = dataRowValues(message)[0]?.toString('utf8')
      },
    )
    if (value) this.proxyByteaOutput = value
  }

  /** A prepared call's row column types, read once. */
  private restyleEntry(prepared: PreparedClientCall): RestyleEntry {
    let entry = this.restyles.get(prepared)
    if (!entry) {
      const oids = prepared.rowColumns.map((c) => this.o.runtime.describeType(c.type).oid)
      entry = { oids, styled: oids.some(hasOutputStyle), key: undefined, restyle: undefined }
      this.restyles.set(prepared, entry)
    }
    return entry
  }

  /** How each of the function's row columns is re-printed for this style (undefined: all as they come). */
  private restyleOf(entry: RestyleEntry, style: OutputStyle): (Restyle | undefined)[] | undefined {
    const key = `${style.dateStyle}\u0000${style.timeZone}\u0000${style.byteaOutput}\u0000${style.intervalStyle}`
    if (entry.key !== key) {
      const restyle = entry.oids.map((oid) => restyleFor(oid, style))
      entry.key = key
      entry.restyle = restyle.some((r) => r !== undefined) ? restyle : undefined
    }
    return entry.restyle
  }

  /** The client's DataRows from the function's rows [from, end): as they are, projected, as one record, or in binary. */
  private emitRows(portal: CallPortal, rows: readonly Buffer[], from: number, end: number): void {
    const prepared = portal.statement.prepared
    const output = prepared.output
    const formats = portal.formats
    const binary = formats.length > 0 && formats.some((f) => f === 1)
    const out = this.out
    // re-printing in the session's output style is for text results (binary ones have no style)
    const restyle = portal.restyle
    const recordRestyle = output.kind === 'record' && formatOf(formats, 0) !== 1 ? restyle : undefined
    const columnRestyle =
      output.kind === 'columns' && restyle
        ? prepared.columns.map((_, i) =>
            formatOf(formats, i) === 1 ? undefined : restyle[output.map ? output.map[i]! : i],
          )
        : undefined
    const restyled = columnRestyle?.some((f) => f !== undefined) ? columnRestyle : undefined
    if (output.kind === 'columns' && !output.map && !binary && !restyled) {
      for (let i = from; i < end; i++) {
        out.raw(rows[i]!)
        if (out.length >= FLUSH_AT) this.flush()
      }
      return
    }
    const columns = prepared.columns
    const one: (Buffer | string | null)[] = [null]
    // a STRICT function's result for a NULL argument is NULL itself, not a record of NULLs
    const nullRecord = output.kind === 'record' && prepared.plan.function.strict && portal.args.includes(null)
    for (let r = from; r < end; r++) {
      const values = dataRowValues(rows[r]!)
      let shaped: (Buffer | string | null)[]
      if (output.kind === 'record') {
        one[0] = nullRecord
          ? null
          : recordText(recordRestyle ? restyledValues(values, recordRestyle) : values)
        shaped = one
      } else if (output.map) {
        shaped = output.map.map((j) => values[j] ?? null)
      } else shaped = values
      if (restyled) shaped = restyledValues(shaped, restyled)
      if (binary) {
        shaped = shaped.map((v, i) => {
          if (v === null || formatOf(formats, i) !== 1) return v
          const type = columns[i]!.type
          return textToBinary(
            this.o.runtime.describeType(type).oid,
            typeof v === 'string' ? v : v.toString('utf8'),
            type.sqlName,
          )
        })
      }
      out.dataRow(shaped)
      if (out.length >= FLUSH_AT) this.flush()
    }
  }

  // ---- local commands -----------------------------------------------------------

  private async runLocal(stmt: OtherStatement, simple: boolean): Promise<void> {
    if (isShowPlproxy(stmt)) {
      await this.showStats(simple)
      return
    }
    const proxyCall = stmt.calledFunctions.find((f) =>
      this.o.runtime.isProxyFunction(f, this.context().searchPath),
    )
    if (proxyCall) {
      throw new SessionError(
        `proxy function ${proxyCall} cannot be called here: ${stmt.unsupportedCall ?? 'only SELECT f(…) and SELECT * | columns FROM f(…) run proxy functions'}`,
        '0A000',
      )
    }
    const ddl = this.o.ddl.classify(stmt, this.context())
    if (ddl) {
      if (this.status() === 'E') throw abortedTransaction()
      const { tag, notices } = await this.o.ddl.apply(stmt, this.context())
      for (const n of notices) this.out.noticeResponse(n)
      this.out.commandComplete(tag)
      return
    }
    this.localCommand(stmt, simple)
  }

  /** SET, SHOW, BEGIN, COMMIT, ROLLBACK… without a proxy database. */
  private localCommand(stmt: OtherStatement, simple: boolean): void {
    const tree = stmt.tree
    switch (stmt.node) {
      case 'TransactionStmt': {
        const kind: string = tree.TransactionStmt.kind
        if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') {
          if (this.localStatus !== 'I') {
            this.out.noticeResponse({
              severity: 'WARNING',
              code: '25001',
              message: 'there is already a transaction in progress',
            })
          } else this.localStatus = 'T'
          this.out.commandComplete(kind === 'TRANS_STMT_BEGIN' ? 'BEGIN' : 'START TRANSACTION')
          return
        }
        if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') {
          if (this.localStatus === 'I') {
            this.out.noticeResponse({
              severity: 'WARNING',
              code: '25P01',
              message: 'there is no transaction in progress',
            })
          }
          const failed = this.localStatus === 'E'
          this.localStatus = 'I'
          this.out.commandComplete(kind === 'TRANS_STMT_COMMIT' && !failed ? 'COMMIT' : 'ROLLBACK')
          return
        }
        throw new SessionError(`${NO_PROXY_DB} (savepoints and two-phase commit included)`, '0A000')
      }
      case 'VariableSetStmt': {
        if (this.localStatus === 'E') throw abortedTransaction()
        const set = tree.VariableSetStmt
        this.trackSetting(set)
        if (set.kind === 'VAR_RESET_ALL') {
          for (const [name, value] of this.o.settings.resetAll()) this.out.parameterStatus(name, value)
          this.out.commandComplete('RESET')
          return
        }
        const name: string = set.name
        if (['search_path', 'role', 'session_authorization'].includes(name.toLowerCase())) {
          this.out.commandComplete(set.kind === 'VAR_RESET' ? 'RESET' : 'SET')
          return
        }
        const reset = set.kind === 'VAR_RESET' || set.kind === 'VAR_SET_DEFAULT'
        // biome-ignore lint/suspicious/noExplicitAny: parse tree
        const value = reset ? undefined : (set.args ?? []).map((a: any) => constantText(a)).join(', ')
        try {
          const report = this.o.settings.set(name, value)
          if (report) this.out.parameterStatus(report[0], report[1])
        } catch (e) {
          if (e instanceof SettingError) throw new SessionError(e.message, e.code)
          if (e instanceof InvalidSettingValue) {
            throw new SessionError(e.message, e.code, { detail: e.detail, hint: e.hint })
          }
          throw e
        }
        this.out.commandComplete(set.kind === 'VAR_RESET' ? 'RESET' : 'SET')
        return
      }
      case 'VariableShowStmt': {
        if (this.localStatus === 'E') throw abortedTransaction()
        const name: string = tree.VariableShowStmt.name
        const rows: [string, string][] =
          name === 'all'
            ? this.o.settings.all()
            : name === 'search_path'
              ? [['search_path', this.searchPath.map((s) => (s === '$user' ? '"$user"' : s)).join(', ')]]
              : [
                  (() => {
                    try {
                      return this.o.settings.show(name)
                    } catch (e) {
                      if (e instanceof SettingError) throw new SessionError(e.message, e.code)
                      throw e
                    }
                  })(),
                ]
        const columns = name === 'all' ? ['name', 'setting'] : [rows[0]![0]]
        if (simple) this.out.rowDescription(textFields(columns))
        for (const [n, v] of rows) this.out.dataRow(name === 'all' ? [n, v] : [v])
        this.out.commandComplete('SHOW')
        return
      }
      case 'DiscardStmt':
        this.statements.clear()
        this.portals.clear()
        this.o.settings.resetAll()
        this.searchPath = [...this.initialSearchPath]
        this.currentUser = this.o.user
        this.out.commandComplete('DISCARD ALL')
        return
      case 'DeallocateStmt': {
        const name: string | undefined = tree.DeallocateStmt.name
        if (name === undefined) this.statements.clear()
        else if (!this.statements.delete(name)) {
          throw new SessionError(`prepared statement "${name}" does not exist`, '26000')
        }
        this.out.commandComplete(name === undefined ? 'DEALLOCATE ALL' : 'DEALLOCATE')
        return
      }
      default:
        if (this.localStatus === 'E') throw abortedTransaction()
        throw new SessionError(NO_PROXY_DB, '0A000')
    }
  }

  private async showStats(simple: boolean): Promise<void> {
    const rows = await this.o.statsRows()
    if (simple) {
      this.out.rowDescription(
        textFields(
          ['scope', 'name', 'calls', 'errors', 'total_ms', 'mean_ms', 'max_ms'],
          [25, 25, 20, 20, 1700, 1700, 1700],
        ),
      )
    }
    for (const r of rows) {
      this.out.dataRow([
        r.scope,
        r.name,
        String(r.calls),
        String(r.errors),
        String(r.totalMs),
        String(r.meanMs),
        String(r.maxMs),
      ])
    }
    this.out.commandComplete(`SHOW`)
  }

  // ---- extended protocol ----------------------------------------------------------

  private async parse(m: Parse): Promise<void> {
    if (m.name !== '' && this.statements.has(m.name)) {
      throw new SessionError(`prepared statement "${m.name}" already exists`, '42P05')
    }
    let stmts: ClientStatement[]
    try {
      stmts = this.readStatements(m.sql, true)
    } catch (e) {
      if (e instanceof ClientSyntaxError && this.o.backend) return this.forwardParse(m)
      throw e
    }
    if (stmts.length > 1)
      throw new SessionError('cannot insert multiple commands into a prepared statement', '42601')
    if (!stmts.length) {
      this.statements.set(m.name, { kind: 'empty' })
      this.out.parseComplete()
      return
    }
    const stmt = stmts[0]!
    const route = this.route(stmt)
    if (route === 'forward') return this.forwardParse(m, stmt)
    if (route === 'call') {
      // drivers send the same Parse for every execution of an unnamed statement
      const call = this.cachedCall(`p\u0000${m.paramTypes.join(',')}\u0000${m.sql}`, () =>
        this.prepareCall(stmt as FunctionCallStatement, m.paramTypes),
      )
      this.statements.set(m.name, call)
    } else {
      this.statements.set(m.name, { kind: 'local', stmt: stmt as OtherStatement })
    }
    this.out.parseComplete()
  }

  private async forwardParse(m: Parse, stmt?: ClientStatement): Promise<void> {
    // the proxy database keeps its own statement; ours is only a marker
    if (await this.forward([m.raw], (t) => t === B.ParseComplete)) {
      this.statements.set(m.name, stmt ? { kind: 'forwarded', stmt } : { kind: 'forwarded' })
    } else this.skipping = true
  }

  private async bind(m: Bind): Promise<void> {
    let stmt = this.statements.get(m.statement)
    if (!stmt) throw new SessionError(`prepared statement "${m.statement}" does not exist`, '26000')
    if (m.portal !== '' && this.portals.has(m.portal)) {
      throw new SessionError(`portal "${m.portal}" already exists`, '42P03')
    }
    switch (stmt.kind) {
      case 'forwarded':
        if (await this.forward([m.raw], (t) => t === B.BindComplete)) {
          this.portals.set(
            m.portal,
            stmt.stmt ? { kind: 'forwarded', stmt: stmt.stmt } : { kind: 'forwarded' },
          )
        } else this.skipping = true
        return
      case 'empty':
        this.portals.set(m.portal, { kind: 'empty' })
        break
      case 'local':
        this.portals.set(m.portal, { kind: 'local', stmt: stmt.stmt, done: false })
        break
      case 'call': {
        if (stmt.generation !== this.o.runtime.generation) {
          // the functions changed since Parse (CREATE OR REPLACE, DROP): plan it again, as PostgreSQL replans
          const fresh = this.prepareCall(stmt.stmt, stmt.parameterOids)
          this.statements.set(m.statement, fresh)
          stmt = fresh
        }
        const types = stmt.prepared.parameterTypes
        if (m.params.length !== types.length) {
          throw new SessionError(
            `bind message supplies ${m.params.length} parameters, but prepared statement "${m.statement}" requires ${types.length}`,
            '08P01',
          )
        }
        const values = m.params.map((p, i) => {
          if (p === null) return null
          if (formatOf(m.paramFormats, i) === 0) return p.toString('utf8')
          const type = types[i]!
          return binaryToText(this.o.runtime.describeType(type).oid, p, type.sqlName)
        })
        const args = stmt.prepared.arguments(values)
        this.portals.set(m.portal, {
          kind: 'call',
          statement: stmt,
          args,
          params: values,
          formats: m.resultFormats,
          rows: undefined,
          sent: 0,
          done: false,
        })
        break
      }
    }
    this.out.bindComplete()
  }

  private async describe(m: Describe): Promise<void> {
    if (m.target === 'S') {
      const stmt = this.statements.get(m.name)
      if (!stmt) throw new SessionError(`prepared statement "${m.name}" does not exist`, '26000')
      if (stmt.kind === 'forwarded') {
        await this.forward([m.raw], (t) => t === B.RowDescription || t === B.NoData)
        return
      }
      if (stmt.kind === 'call') {
        this.out.parameterDescription(
          stmt.prepared.parameterTypes.map((t) => this.o.runtime.describeType(t).oid),
        )
        this.out.rowDescription(this.fields(stmt.prepared.columns, []))
        return
      }
      this.out.parameterDescription([])
      this.describeLocal(stmt.kind === 'local' ? stmt.stmt : undefined)
      return
    }
    const portal = this.portals.get(m.name)
    if (!portal) throw new SessionError(`portal "${m.name}" does not exist`, '34000')
    if (portal.kind === 'forwarded') {
      await this.forward([m.raw], (t) => t === B.RowDescription || t === B.NoData)
      return
    }
    if (portal.kind === 'call') {
      this.out.rowDescription(this.fields(portal.statement.prepared.columns, portal.formats))
      return
    }
    this.describeLocal(portal.kind === 'local' ? portal.stmt : undefined)
  }

  private describeLocal(stmt: OtherStatement | undefined): void {
    if (stmt && isShowPlproxy(stmt)) {
      this.out.rowDescription(
        textFields(
          ['scope', 'name', 'calls', 'errors', 'total_ms', 'mean_ms', 'max_ms'],
          [25, 25, 20, 20, 1700, 1700, 1700],
        ),
      )
    } else if (stmt?.node === 'VariableShowStmt') {
      const name: string = stmt.tree.VariableShowStmt.name
      this.out.rowDescription(textFields(name === 'all' ? ['name', 'setting'] : [name]))
    } else this.out.noData()
  }

  private async execute(m: Execute): Promise<void> {
    const portal = this.portals.get(m.portal)
    if (!portal) throw new SessionError(`portal "${m.portal}" does not exist`, '34000')
    switch (portal.kind) {
      case 'forwarded':
        if (
          await this.forward(
            [m.raw],
            (t) => t === B.CommandComplete || t === B.EmptyQueryResponse || t === B.PortalSuspended,
          )
        ) {
          if (portal.stmt) this.afterForwarded([portal.stmt])
        } else this.skipping = true
        return
      case 'empty':
        this.out.emptyQueryResponse()
        return
      case 'local':
        if (portal.done) {
          this.out.commandComplete('SHOW')
          return
        }
        portal.done = true
        await this.runLocal(portal.stmt, false)
        return
      case 'call':
        if (portal.done) {
          this.out.commandComplete(`SELECT 0`)
          return
        }
        await this.executeCall(portal, m.maxRows)
        return
    }
  }

  private async close(m: Close): Promise<void> {
    const forwarded =
      m.target === 'S'
        ? this.statements.get(m.name)?.kind === 'forwarded'
        : this.portals.get(m.name)?.kind === 'forwarded'
    if (m.target === 'S') this.statements.delete(m.name)
    else this.portals.delete(m.name)
    if (forwarded) {
      await this.forward([m.raw], (t) => t === B.CloseComplete)
      return
    }
    this.out.closeComplete()
  }

  private async sync(): Promise<void> {
    this.skipping = false
    // unnamed portals end with the transaction's command
    this.portals.delete('')
    this.extendedOpen = false
    if (this.forwardedInBatch && this.backendLink) {
      this.forwardedInBatch = false
      const link = this.backendLink
      const abort = this.abortAfterSync
      this.abortAfterSync = false
      await link.exchange(
        [SYNC],
        (t) => t === B.ReadyForQuery,
        (t, message) => {
          if (!(abort && t === B.ReadyForQuery)) this.out.raw(message)
        },
      )
      if (!abort) {
        this.flush()
        return
      }
      if (link.transactionStatus === 'T') await this.abortTransaction()
      this.readyForQuery()
      return
    }
    this.forwardedInBatch = false
    this.abortAfterSync = false
    this.readyForQuery()
  }

  private async functionCall(raw: Buffer): Promise<void> {
    // the fast-path function call interface: the proxy database's business
    await this.runGuarded(() => this.forward([raw], (t) => t === B.ReadyForQuery))
    if (!this.backendLink) this.readyForQuery()
    else this.flush()
  }

  // ---- cancel and end -------------------------------------------------------------

  /** A CancelRequest for this session: the running call, and the proxy database's statement. */
  cancel(): void {
    if (this.runningCall) this.cancelling.abort(new Error('canceled by the client'))
    void this.backendLink?.cancel()
  }

  async end(): Promise<void> {
    this.closed = true
    if (this.runningCall) this.cancelling.abort(new Error('the client disconnected'))
    await this.backendLink?.close()
  }
}

// ---- helpers ----------------------------------------------------------------------

const TIME_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

/** statement_timeout's value in ms (`500`, `2s`, `1min`; no unit: ms); 0 = none. */
export function timeoutMs(value: string | undefined): number {
  if (value === undefined) return 0
  const m = /^\s*'?\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*'?\s*$/i.exec(value)
  if (!m) return 0
  return Math.round(Number(m[1]) * (TIME_UNITS[(m[2] ?? 'ms').toLowerCase()] ?? 1))
}

function formatOf(formats: readonly number[], i: number): number {
  if (formats.length === 0) return 0
  if (formats.length === 1) return formats[0]!
  return formats[i] ?? 0
}

function textFields(names: readonly string[], oids: readonly number[] = []): FieldDescription[] {
  return names.map((name, i) => ({
    name,
    tableOid: 0,
    columnAttr: 0,
    typeOid: oids[i] ?? 25,
    typeSize: (oids[i] ?? 25) === 20 ? 8 : -1,
    typmod: -1,
    format: 0,
  }))
}

function isShowPlproxy(stmt: ClientStatement): boolean {
  return (
    stmt.kind === 'Other' &&
    stmt.node === 'VariableShowStmt' &&
    /^plproxy\.stats$/i.test(String(stmt.tree.VariableShowStmt?.name ?? ''))
  )
}

function abortedTransaction(): SessionError {
  return new SessionError(
    'current transaction is aborted, commands ignored until end of transaction block',
    '25P02',
  )
}

/** Values re-printed where a column has a restyle (text values; NULLs stay NULL). */
function restyledValues<V extends Buffer | string>(
  values: readonly (V | null)[],
  restyle: readonly (Restyle | undefined)[],
): (V | Buffer | null)[] {
  return values.map((v, j) => {
    const f = restyle[j]
    return v === null || !f ? v : Buffer.from(f(typeof v === 'string' ? v : v.toString('utf8')))
  })
}

// biome-ignore lint/suspicious/noExplicitAny: parse tree
function constantText(a: any): string {
  const c = a?.A_Const
  if (!c) return ''
  if (c.sval) return String(c.sval.sval ?? '')
  if (c.ival) return String(c.ival.ival ?? 0)
  if (c.fval) return String(c.fval.fval)
  if (c.boolval) return c.boolval.boolval ? 'on' : 'off'
  return ''
}

/** Any error as the fields of an ErrorResponse (runtime errors keep theirs). */
export function errorFields(e: unknown): ErrorFields {
  if (e instanceof SessionError) return { code: e.code, message: e.message, ...e.fields }
  if (e instanceof ClientSyntaxError) {
    return { code: '42601', message: e.message, position: e.position }
  }
  const f = e as Partial<ErrorFields> & { message?: string; code?: string; severity?: string }
  if (f && typeof f === 'object' && typeof f.code === 'string' && /^[0-9A-Z]{5}$/.test(f.code)) {
    return {
      severity: f.severity,
      code: f.code,
      message: f.message ?? '',
      detail: f.detail,
      hint: f.hint,
      position: f.position,
      internalPosition: f.internalPosition,
      internalQuery: f.internalQuery,
      where: f.where,
      schema: f.schema,
      table: f.table,
      column: f.column,
      dataType: f.dataType,
      constraint: f.constraint,
    }
  }
  return { code: 'XX000', message: (e as Error)?.message ?? String(e) }
}
