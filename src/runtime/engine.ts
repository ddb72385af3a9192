/**
 * Runs routing plans exactly as PL/Proxy runs a proxy function (spec
 * §4–§6): resolve the cluster, tag partitions (RUN ON, SPLIT), send the
 * remote query to every tagged connection in parallel, check and assemble
 * the results.
 */
import type { CallSiteColumn, PlanType, RoutingPlan } from '../compiler/index.js'
import { dynamicRemoteQuery } from '../compiler/index.js'
import {
  maskPassword,
  parseConnectString,
  sqlmedConnectString,
  toNodePostgresConfig,
  withUser,
} from './cluster/connect-string.js'
import { ClusterError } from './cluster/errors.js'
import type { Cluster } from './cluster/model.js'
import type { ClusterRegistry } from './cluster/registry.js'
import { checkUsage, userMappingFor } from './cluster/sqlmed.js'
import {
  canceledError,
  type FunctionLabel,
  functionError,
  PlProxyError,
  type ProxyNotice,
  remoteError,
  remoteNotice,
} from './errors.js'
import { ConnectionPool } from './executor/pool.js'
import { RemoteInterrupted, type RemoteResult, runRemote } from './executor/remote.js'
import { evaluateLocal, type JsFunction, type LocalValue, OID } from './local-expression.js'
import { isServerMessage, pgFields } from './pg-fields.js'
import type { ProxyDatabase } from './proxy-database.js'
import { type NativeValue, nativeFromText } from './routing/evaluate.js'
import { partitionIndex, random31 } from './routing/partition-index.js'
import { parseArrayLiteral, printArrayLiteral } from './values/index.js'

export interface EngineOptions {
  readonly registry: ClusterRegistry
  /** current_user: who connects, unless a SECURITY DEFINER function says otherwise */
  readonly user: string
  /** session_user, for clusters configured with default_user = session_user */
  readonly sessionUser?: string
  /** roles that pass every USAGE check */
  readonly superusers: ReadonlySet<string>
  readonly proxyDatabase?: ProxyDatabase
  readonly functions: ReadonlyMap<string, JsFunction>
  /** libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE…) for connect strings that leave things out */
  readonly environment: Readonly<Record<string, string | undefined>>
  readonly pool: { readonly max: number; readonly idleTimeoutMs: number; readonly connectTimeoutMs: number }
  readonly onNotice?: (notice: ProxyNotice) => void
}

export interface CallOptions {
  readonly signal?: AbortSignal
  /** the column definition list of a dynamic RECORD call (`… as (id int, name text)`) */
  readonly columns?: readonly CallSiteColumn[]
  /** current_user for this call */
  readonly user?: string
}

export interface ResultSet {
  readonly columns: readonly { readonly name: string; readonly type: PlanType }[]
  /** values in PostgreSQL's text format, null for NULL, in PL/Proxy's order */
  readonly rows: readonly (readonly (string | null)[])[]
}

/** One connection of a call: the partitions that tagged it and the query it gets. */
export interface RoutedConnection {
  /** the partition connect string as the cluster lists it */
  readonly partitionConnectString: string
  /** with the connecting user appended, as it is opened (not masked: internal) */
  readonly connectString: string
  readonly partitions: readonly number[]
  readonly parameters: readonly (string | null)[]
}

export interface RoutedCall {
  readonly cluster: Cluster
  readonly user: string
  /** hash values in evaluation order (per element for SPLIT) */
  readonly hashes: readonly (number | bigint)[]
  readonly connections: readonly RoutedConnection[]
  readonly sql: string
  readonly result: ResultSet['columns']
}

/** The value a strict function returns for a NULL argument. */
function nullResult(plan: RoutingPlan, columns: ResultSet['columns']): ResultSet {
  if (plan.function.returnsSet) return { columns, rows: [] }
  return { columns, rows: [columns.map(() => null)] }
}

function label(plan: RoutingPlan): FunctionLabel {
  return plan.function
}

function clusterFailure(plan: RoutingPlan, e: unknown): never {
  if (e instanceof ClusterError) {
    if (e.style === 'plain')
      throw new PlProxyError(e.message, { code: e.code, function: plan.function.qualifiedName })
    throw functionError(label(plan), e.message, { code: e.code })
  }
  throw e
}

class Tagger {
  /** connection key (partition connect string) → tagged connection, in activation order */
  readonly active = new Map<string, { partitions: number[]; tag: number; elements: (string | null)[][] }>()
  readonly hashes: (number | bigint)[] = []

  constructor(
    private readonly cluster: Cluster,
    private readonly splitCount: number,
  ) {}

  tag(partition: number, tag: number): void {
    const connstr = this.cluster.partitions[partition]!
    let conn = this.active.get(connstr)
    if (!conn) {
      conn = { partitions: [], tag: 0, elements: Array.from({ length: this.splitCount }, () => []) }
      this.active.set(connstr, conn)
    }
    if (!conn.partitions.includes(partition)) conn.partitions.push(partition)
    conn.tag = tag
  }

  tagHash(hash: number | bigint, tag: number): void {
    this.hashes.push(hash)
    const c = this.cluster
    this.tag(partitionIndex(hash, c.partitions.length, c.config.modularMapping !== 0), tag)
  }
}

export class Engine {
  private readonly pools = new Map<string, ConnectionPool>()

  constructor(private readonly options: EngineOptions) {}

  /** The columns a plan returns (for RowDescription, CSV headers…). */
  resultColumns(plan: RoutingPlan, callColumns?: readonly CallSiteColumn[]): ResultSet['columns'] {
    const r = plan.result
    switch (r.kind) {
      case 'ScalarResult': {
        const out = plan.function.arguments.filter(
          (a) => a.mode === 'out' || a.mode === 'inout' || a.mode === 'table',
        )
        // `select * from f()` names a scalar result after its OUT parameter, else after the function
        return [{ name: out.length === 1 && out[0]!.name ? out[0]!.name : plan.function.name, type: r.type }]
      }
      case 'CompositeResult':
        return r.columns.filter((c) => !c.dropped).map((c) => ({ name: c.name, type: c.type! }))
      case 'DynamicRecordResult':
        return (callColumns ?? []).map((c) => ({ name: c.name, type: c.type }))
    }
  }

  private remoteSql(plan: RoutingPlan, columns?: readonly CallSiteColumn[]): string {
    const q = plan.remoteQuery
    if (q.kind === 'RemoteQuery') return q.sql
    if (!columns?.length) {
      throw new PlProxyError('a column definition list is required for functions returning "record"', {
        code: '42601',
      })
    }
    return dynamicRemoteQuery(q.target, q.argumentsSql, columns)
  }

  private nativeArgs(plan: RoutingPlan, args: readonly (string | null)[]): NativeValue[] {
    const inArgs = plan.function.arguments.filter((a) => a.inIndex !== undefined)
    return inArgs.map((a, i) => {
      // arrays and other types are only seen as text natively
      return nativeFromText(a.type, args[i] ?? null)
    })
  }

  private async localValue(
    expression: Parameters<typeof evaluateLocal>[0],
    native: readonly NativeValue[],
    texts: readonly (string | null)[],
  ): Promise<LocalValue[]> {
    return evaluateLocal(expression, native, texts, {
      proxyDatabase: this.options.proxyDatabase,
      functions: this.options.functions,
    })
  }

  /** CLUSTER / CONNECT name from a local expression: exactly one non-NULL text row. */
  private async nameFrom(
    plan: RoutingPlan,
    expression: Parameters<typeof evaluateLocal>[0],
    native: readonly NativeValue[],
    texts: readonly (string | null)[],
  ): Promise<string> {
    const rows = await this.localValue(expression, native, texts)
    if (rows.length !== 1)
      throw functionError(label(plan), `'${expression.sql}' returned ${rows.length} rows, expected 1`)
    const row = rows[0]!
    if (row.typeOid !== OID.text) throw functionError(label(plan), 'expected text')
    if (row.value === null) throw functionError(label(plan), 'Cluster/connect name map func returned NULL')
    return String(row.value)
  }

  private async cluster(
    plan: RoutingPlan,
    native: readonly NativeValue[],
    texts: readonly (string | null)[],
  ): Promise<Cluster> {
    const sel = plan.cluster
    const registry = this.options.registry
    try {
      switch (sel.kind) {
        case 'ConnectString':
          return registry.connectCluster(sel.connectString)
        case 'ConnectExpression':
          return registry.connectCluster(await this.nameFrom(plan, sel.expression, native, texts))
        case 'ClusterName':
          return await registry.resolve(sel.name, plan.function.database)
        case 'ClusterExpression':
          return await registry.resolve(
            await this.nameFrom(plan, sel.expression, native, texts),
            plan.function.database,
          )
      }
    } catch (e) {
      return clusterFailure(plan, e)
    }
  }

  /** The connect string a partition is opened with, for this user (spec §5.5). */
  private finalConnectString(
    plan: RoutingPlan,
    cluster: Cluster,
    partitionConnstr: string,
    user: string,
  ): string {
    try {
      if (cluster.source === 'sqlmed') {
        checkUsage(cluster, user, this.options.superusers)
        return sqlmedConnectString(partitionConnstr, userMappingFor(cluster, user), user)
      }
      return withUser(partitionConnstr, user)
    } catch (e) {
      return clusterFailure(plan, e)
    }
  }

  private connectingUser(plan: RoutingPlan, cluster: Cluster, callUser?: string): string {
    const current =
      plan.function.securityDefiner && plan.function.owner
        ? plan.function.owner
        : (callUser ?? this.options.user)
    if (cluster.config.defaultUser === 'session_user' && cluster.source !== 'sqlmed') {
      return this.options.sessionUser ?? callUser ?? this.options.user
    }
    return current
  }

  /** Tags partitions (spec §4.2–4.3): the connections to query, in activation order, with SPLIT arrays. */
  private async tag(
    plan: RoutingPlan,
    cluster: Cluster,
    args: readonly (string | null)[],
    native: readonly NativeValue[],
  ): Promise<Tagger> {
    const fn = label(plan)
    const split = plan.split
    const tagger = new Tagger(cluster, split.length)
    const inArgs = plan.function.arguments.filter((a) => a.inIndex !== undefined)
    const tagElement = async (
      tag: number,
      nativeArgs: readonly NativeValue[],
      texts: readonly (string | null)[],
    ) => {
      const run = plan.run
      switch (run.kind) {
        case 'RunOnAll':
          for (let i = 0; i < cluster.partitions.length; i++) tagger.tag(i, tag)
          return
        case 'RunOnPartition':
          if (run.partition < 0 || run.partition >= cluster.partitions.length)
            throw functionError(fn, 'part number out of range')
          tagger.tag(run.partition, tag)
          return
        case 'RunOnAny':
          tagger.tagHash(random31(), tag)
          return
        case 'RunOnHash': {
          const rows = await this.localValue(run.expression, nativeArgs, texts)
          for (const row of rows) {
            if (row.value === null) throw functionError(fn, 'Hash function returned NULL')
            if (row.typeOid !== OID.int2 && row.typeOid !== OID.int4 && row.typeOid !== OID.int8) {
              throw functionError(fn, 'Hash result must be int2, int4 or int8')
            }
            tagger.tagHash(row.value as number | bigint, tag)
          }
          if (rows.length !== 1 && !plan.function.returnsSet) {
            throw functionError(fn, 'Only set-returning function allows hashcount <> 1')
          }
          return
        }
      }
    }
    if (!split.length) {
      await tagElement(1, native, args)
      return tagger
    }
    // SPLIT: every split argument's elements, all arrays of one length
    let length = -1
    const elements: (string | null)[][] = []
    for (const index of split) {
      const text = args[index] ?? null
      let values: (string | null)[] = []
      if (text !== null) {
        const type = inArgs[index]!.type
        const parsed = parseArrayLiteral(text, type.element?.delimiter ?? ',')
        if (parsed.ndim > 1) throw functionError(fn, 'split multi-dimensional arrays are not supported')
        values = [...parsed.elements]
      }
      if (length < 0) length = values.length
      else if (values.length !== length) throw functionError(fn, 'split arrays must be of identical lengths')
      elements.push(values)
    }
    for (let row = 0; row < length; row++) {
      const tag = row + 1
      const rowNative = [...native]
      const rowTexts = [...args]
      split.forEach((index, k) => {
        const element = elements[k]![row] ?? null
        rowTexts[index] = element
        rowNative[index] = nativeFromText(inArgs[index]!.type.element ?? inArgs[index]!.type, element)
      })
      await tagElement(tag, rowNative, rowTexts)
      for (const conn of tagger.active.values()) {
        if (conn.tag !== tag) continue
        split.forEach((_, k) => {
          conn.elements[k]!.push(elements[k]![row] ?? null)
        })
      }
    }
    return tagger
  }

  /** Everything a call would do, short of running the remote queries. */
  async route(
    plan: RoutingPlan,
    args: readonly (string | null)[],
    options: CallOptions = {},
  ): Promise<RoutedCall> {
    if (plan.deferredError)
      throw new PlProxyError(plan.deferredError.message, { code: plan.deferredError.sqlstate })
    const columns = this.resultColumns(plan, options.columns)
    const sql = this.remoteSql(plan, options.columns)
    const native = this.nativeArgs(plan, args)
    const cluster = await this.cluster(plan, native, args)
    const user = this.connectingUser(plan, cluster, options.user)
    const tagger = await this.tag(plan, cluster, args, native)
    const connections: RoutedConnection[] = []
    for (const [partitionConnectString, conn] of tagger.active) {
      const parameters = [...args]
      plan.split.forEach((index, k) => {
        const type = plan.function.arguments.find((a) => a.inIndex === index)!.type
        // one dimension, lower bound 1, the elements in their original order
        parameters[index] = printArrayLiteral({ elements: conn.elements[k]! }, type.element?.delimiter ?? ',')
      })
      connections.push({
        partitionConnectString,
        connectString: this.finalConnectString(plan, cluster, partitionConnectString, user),
        partitions: conn.partitions,
        parameters: plan.remoteQuery.parameters.map((i) => parameters[i] ?? null),
      })
    }
    return { cluster, user, hashes: tagger.hashes, connections, sql, result: columns }
  }

  /** Calls the proxy function: its rows as text, in PL/Proxy's order. */
  async call(
    plan: RoutingPlan,
    args: readonly (string | null)[],
    options: CallOptions = {},
  ): Promise<ResultSet> {
    const columns = this.resultColumns(plan, options.columns)
    if (plan.function.strict && args.some((a) => a === null)) {
      if (plan.deferredError)
        throw new PlProxyError(plan.deferredError.message, { code: plan.deferredError.sqlstate })
      return nullResult(plan, columns)
    }
    if (options.signal?.aborted) throw canceledError(options.signal.reason)
    const routed = await this.route(plan, args, options)
    const settled = await Promise.allSettled(
      routed.connections.map((c) => this.runOn(plan, routed, c, options)),
    )
    const rows: (string | null)[][] = []
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason
    }
    for (const [i, s] of settled.entries()) {
      const result = (s as PromiseFulfilledResult<RemoteResult>).value
      rows.push(...this.mapResult(plan, columns, result, routed.connections[i]!))
    }
    if (!plan.function.returnsSet && rows.length !== 1) {
      throw functionError(
        label(plan),
        `Non-SETOF function requires 1 row from remote query, got ${rows.length}`,
        {
          code: rows.length < 1 ? 'P0002' : 'P0003',
        },
      )
    }
    return { columns, rows }
  }

  private pool(connectString: string, cluster: Cluster): ConnectionPool {
    let pool = this.pools.get(connectString)
    const lifetimeMs = cluster.config.connectionLifetime > 0 ? cluster.config.connectionLifetime * 1000 : 0
    if (!pool) {
      const config = toNodePostgresConfig(parseConnectString(connectString), this.options.environment)
      pool = new ConnectionPool(
        {
          ...config,
          connectionTimeoutMillis: config.connectionTimeoutMillis ?? this.options.pool.connectTimeoutMs,
        },
        { max: this.options.pool.max, lifetimeMs, idleTimeoutMs: this.options.pool.idleTimeoutMs },
      )
      this.pools.set(connectString, pool)
    } else {
      pool.configure({ lifetimeMs })
    }
    return pool
  }

  private async runOn(
    plan: RoutingPlan,
    routed: RoutedCall,
    conn: RoutedConnection,
    options: CallOptions,
  ): Promise<RemoteResult> {
    const fn = label(plan)
    const pool = this.pool(conn.connectString, routed.cluster)
    const database = String(pool.config.database ?? pool.config.user ?? '')
    const partition = {
      partitions: conn.partitions,
      connectString: maskPassword(conn.connectString),
      database,
    }
    const onNotice = this.options.onNotice
    try {
      return await runRemote(pool, routed.sql, conn.parameters, {
        signal: options.signal,
        queryTimeoutMs:
          routed.cluster.config.queryTimeout > 0 ? routed.cluster.config.queryTimeout * 1000 : 0,
        onNotice: onNotice ? (n) => onNotice(remoteNotice(fn, database, pgFields(n), partition)) : undefined,
      })
    } catch (e) {
      if (e instanceof RemoteInterrupted) {
        if (e.why === 'timeout') throw functionError(fn, 'query timeout', { partition })
        throw canceledError(options.signal?.reason)
      }
      if (isServerMessage(e)) {
        // an error during connection startup (FATAL) is a connection failure, not a remote query error
        if ((e as { severity?: string }).severity === 'FATAL' && !(e as { position?: string }).position) {
          const where = pool.config.host?.startsWith('/')
            ? `on socket "${pool.config.host}/.s.PGSQL.${pool.config.port ?? 5432}"`
            : `at "${pool.config.host ?? 'localhost'}", port ${pool.config.port ?? 5432}`
          throw functionError(
            fn,
            `[${database}] PQconnectPoll: connection to server ${where} failed: FATAL:  ${e.message}`,
            {
              partition,
              detail: `partition ${conn.partitions.join(', ')}: ${partition.connectString}`,
              cause: e,
            },
          )
        }
        throw remoteError(fn, database, pgFields(e), partition)
      }
      throw functionError(fn, `[${database}] PQconnectPoll: ${connectFailure(pool, e)}`, {
        partition,
        detail: `partition ${conn.partitions.join(', ')}: ${partition.connectString}`,
        cause: e,
      })
    }
  }

  /** Matches remote columns to the function's (spec §3.7) and returns the rows in local column order. */
  private mapResult(
    plan: RoutingPlan,
    columns: ResultSet['columns'],
    result: RemoteResult,
    conn: RoutedConnection,
  ): (string | null)[][] {
    const fn = label(plan)
    const r = plan.result
    if (r.kind === 'ScalarResult') {
      if (result.fields.length !== 1) throw functionError(fn, 'single field function but got record')
      return result.rows
    }
    const wanted =
      r.kind === 'CompositeResult'
        ? r.columns.filter((c) => !c.dropped).map((c) => c.name)
        : columns.map((c) => c.name)
    if (result.fields.length < wanted.length) throw functionError(fn, 'Got too few fields from remote end')
    if (result.fields.length > wanted.length) throw functionError(fn, 'Got too many fields from remote end')
    const map = wanted.map((name, i) => {
      if (result.fields[i]?.name === name) return i
      const j = result.fields.findIndex((f) => f.name === name)
      if (j < 0) throw functionError(fn, `Field ${name} does not exists in result`)
      return j
    })
    void conn
    if (map.every((j, i) => j === i)) return result.rows
    return result.rows.map((row) => map.map((j) => row[j] ?? null))
  }

  async end(): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map((p) => p.end()))
  }
}

/** libpq-like wording of a connection failure. */
function connectFailure(pool: ConnectionPool, e: unknown): string {
  const err = e as NodeJS.ErrnoException
  const host = pool.config.host ?? 'localhost'
  const port = pool.config.port ?? 5432
  const where = host.startsWith('/') ? `on socket "${host}/.s.PGSQL.${port}"` : `at "${host}", port ${port}`
  switch (err.code) {
    case 'ECONNREFUSED':
      return host.startsWith('/')
        ? `connection to server ${where} failed: Connection refused\n\tIs the server running locally and accepting connections on that socket?`
        : `connection to server ${where} failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?`
    case 'ENOENT':
      return `connection to server ${where} failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `could not translate host name "${host}" to address: Name or service not known`
    default:
      if (/timeout/i.test(err.message ?? '')) return `connection to server ${where} failed: timeout expired`
      return `connection to server ${where} failed: ${err.message ?? String(e)}`
  }
}
