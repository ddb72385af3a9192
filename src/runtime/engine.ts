/**
 * Runs routing plans exactly as PL/Proxy runs a proxy function (spec
 * §4–§6): resolve the cluster, tag partitions (RUN ON, SPLIT), send the
 * remote query to every tagged connection in parallel, check and assemble
 * the results.
 */
import type { CallSiteColumn, PlanArgument, PlanType, RoutingPlan } from '../compiler/index.js'
import { dynamicRemoteQuery } from '../compiler/index.js'
import {
  ConnectStringError,
  localLibpqBuiltins,
  maskPassword,
  parseConnectString,
  sqlmedConnectString,
  toWireOptions,
  withUser,
} from './cluster/connect-string.js'
import { ClusterError } from './cluster/errors.js'
import type { Cluster } from './cluster/model.js'
import type { ClusterRegistry } from './cluster/registry.js'
import { checkUsage, userMappingFor } from './cluster/sqlmed.js'
import {
  asPlProxyError,
  canceledError,
  type FunctionLabel,
  functionError,
  type PartitionRef,
  PlProxyError,
  type ProxyNotice,
  remoteError,
  remoteNotice,
} from './errors.js'
import { ConnectionPool } from './executor/pool.js'
import { ConnectFailed, RemoteInterrupted, type RemoteResult, runRemote } from './executor/remote.js'
import { evaluateLocal, type JsFunction, type LocalValue, OID } from './local-expression.js'
import { isServerMessage, pgFields } from './pg-fields.js'
import type { ProxyDatabase } from './proxy-database.js'
import { type NativeValue, nativeFromText } from './routing/evaluate.js'
import { partitionIndex, random31 } from './routing/partition-index.js'
import {
  arrayDelimiterOf,
  canonicalText,
  nativeTypeOf,
  parseArrayLiteral,
  printArrayLiteral,
  resultTypeOid,
} from './values/index.js'
import { dataRowMessage, dataRowValues } from './wire/index.js'

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
  /** told of every remote query as it ends (counters, metrics) */
  readonly observer?: RemoteObserver
}

/** One remote query of a call, as it ended. */
export interface RemoteEvent {
  readonly function: string
  readonly cluster: string
  /** the partitions the connection served */
  readonly partitions: readonly number[]
  readonly database: string
  readonly seconds: number
  readonly error: boolean
}

export type RemoteObserver = (event: RemoteEvent) => void

export interface CallOptions {
  readonly signal?: AbortSignal
  /** the column definition list of a dynamic RECORD call (`… as (id int, name text)`) */
  readonly columns?: readonly CallSiteColumn[]
  /** current_user for this call */
  readonly user?: string
  /** notices of this call's remote queries (instead of the engine's listener) */
  readonly onNotice?: (notice: ProxyNotice) => void
  /**
   * A session's connections left stale by its earlier errors (connect
   * strings): PL/Proxy drops such a connection at the session's next use of
   * it, with `NOTICE: PL/Proxy: dropping stale conn`. Given, the call says
   * the NOTICE where PL/Proxy would, and records the connections its own
   * remote errors leave stale.
   */
  readonly staleConnections?: Set<string>
}

/** A call's rows as the partitions' DataRow messages, in the function's column order. */
export interface RawResultSet {
  readonly columns: ResultSet['columns']
  readonly rows: readonly Buffer[]
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

/** How a partition's result columns map to a plan's (cached per field list). */
interface ResultMapping {
  readonly plan: RoutingPlan
  readonly columns: ResultSet['columns']
  /** local column i comes from remote column map[i] */
  readonly map: readonly number[]
  readonly identity: boolean
  /** natively read columns whose remote type differs */
  readonly convert: readonly number[]
  /** columns to read again on the partition (readOnPartition) */
  readonly foreign: readonly number[]
}

function hasNull(args: readonly (string | null)[]): boolean {
  for (let i = 0; i < args.length; i++) if (args[i] === null) return true
  return false
}

/**
 * A STRICT function called with a NULL argument runs nowhere: its rows
 * (none for SETOF, else one of NULLs), or the error its plan deferred to
 * call time; undefined when the call must run.
 */
function strictNullRows(
  plan: RoutingPlan,
  columns: ResultSet['columns'],
  args: readonly (string | null)[],
): (string | null)[][] | undefined {
  if (!plan.function.strict || !hasNull(args)) return undefined
  if (plan.deferredError)
    throw new PlProxyError(plan.deferredError.message, { code: plan.deferredError.sqlstate })
  return plan.function.returnsSet ? [] : [columns.map(() => null)]
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

const BUILTINS = localLibpqBuiltins()

/** What each call of a plan would otherwise recompute. */
interface PlanFacts {
  readonly inArguments: readonly PlanArgument[]
  /** result columns and remote SQL, for plans whose shape does not depend on the call */
  readonly columns?: ResultSet['columns']
  readonly sql?: string
  /** the remote query's parameters are the IN arguments in order */
  readonly identityParameters: boolean
  /** routing needs no SPLIT, no SQL and no async step: the common case, done without intermediate structures */
  readonly direct: boolean
  /** the cluster of a `CLUSTER 'name'` plan, once resolved, when no live source can change it */
  staticCluster?: Cluster
}

export class Engine {
  private readonly pools = new Map<string, ConnectionPool>()
  /** per cluster name: the cluster object last used and the pools it opened (closed when it is reloaded) */
  private readonly clusterPools = new Map<string, { cluster: Cluster; pools: Set<string> }>()
  private ended = false
  private facts = new WeakMap<RoutingPlan, PlanFacts>()
  /** cluster → user → partition connect string → the string opened */
  private readonly connectStrings = new WeakMap<Cluster, Map<string, Map<string, string>>>()
  /** remote field list → how it maps to a plan's columns */
  private readonly mappings = new WeakMap<RemoteResult['fields'], ResultMapping>()
  /** cluster → its key in clusterPools */
  private readonly clusterKeys = new WeakMap<Cluster, string>()

  constructor(private readonly options: EngineOptions) {}

  private factsOf(plan: RoutingPlan): PlanFacts {
    let facts = this.facts.get(plan)
    if (!facts) {
      const dynamic = plan.result.kind === 'DynamicRecordResult'
      const params = plan.remoteQuery.parameters
      const inArguments = plan.function.arguments.filter((a) => a.inIndex !== undefined)
      facts = {
        inArguments,
        columns: dynamic ? undefined : this.resultColumns(plan),
        sql: dynamic ? undefined : this.remoteSql(plan),
        identityParameters: params.length === inArguments.length && params.every((p, i) => p === i),
        direct:
          !dynamic &&
          plan.split.length === 0 &&
          (plan.cluster.kind === 'ClusterName' || plan.cluster.kind === 'ConnectString') &&
          (plan.run.kind === 'RunOnAny' ||
            plan.run.kind === 'RunOnPartition' ||
            (plan.run.kind === 'RunOnHash' && plan.run.expression.kind === 'NativeExpression')),
      }
      this.facts.set(plan, facts)
    }
    return facts
  }

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

  /** The IN arguments' native values, for the expressions that use them (others stay undefined). */
  private nativeArgs(plan: RoutingPlan, args: readonly (string | null)[]): NativeValue[] {
    const inArgs = this.factsOf(plan).inArguments
    const out = new Array<NativeValue>(inArgs.length)
    for (let i = 0; i < inArgs.length; i++) out[i] = nativeFromText(inArgs[i]!.type, args[i] ?? null)
    return out
  }

  private localValue(
    expression: Parameters<typeof evaluateLocal>[0],
    native: readonly NativeValue[],
    texts: readonly (string | null)[],
  ): LocalValue[] | Promise<LocalValue[]> {
    // an error inside the local query carries its text as context, as SPI adds it in PostgreSQL
    const withContext = (e: unknown): never => {
      const err = asPlProxyError(e)
      if (!(err instanceof PlProxyError)) throw err
      const line = `SQL statement "${expression.sql}"`
      throw new PlProxyError(err.message, {
        ...err,
        where: err.where ? `${err.where}\n${line}` : line,
        cause: e,
      })
    }
    try {
      const rows = evaluateLocal(expression, native, texts, {
        proxyDatabase: this.options.proxyDatabase,
        functions: this.options.functions,
      })
      return rows instanceof Promise ? rows.catch(withContext) : rows
    } catch (e) {
      return withContext(e)
    }
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

  private cluster(
    plan: RoutingPlan,
    native: readonly NativeValue[],
    texts: readonly (string | null)[],
  ): Cluster | Promise<Cluster> {
    const sel = plan.cluster
    const registry = this.options.registry
    try {
      switch (sel.kind) {
        case 'ConnectString':
          return registry.connectCluster(sel.connectString)
        case 'ClusterName': {
          const known = registry.resolveStatic(sel.name, plan.function.database)
          if (known) return known
          return registry.resolve(sel.name, plan.function.database).catch((e) => clusterFailure(plan, e))
        }
        case 'ConnectExpression':
          return this.nameFrom(plan, sel.expression, native, texts)
            .then((name) => registry.connectCluster(name))
            .catch((e) => clusterFailure(plan, e))
        case 'ClusterExpression':
          return this.nameFrom(plan, sel.expression, native, texts)
            .then((name) => registry.resolve(name, plan.function.database))
            .catch((e) => clusterFailure(plan, e))
      }
    } catch (e) {
      return clusterFailure(plan, e)
    }
  }

  /** The connect string a partition is opened with, for this user (spec §5.5), cached per cluster version. */
  private finalConnectString(
    plan: RoutingPlan,
    cluster: Cluster,
    partitionConnstr: string,
    user: string,
  ): string {
    let byUser = this.connectStrings.get(cluster)
    if (!byUser) {
      byUser = new Map()
      this.connectStrings.set(cluster, byUser)
    }
    let byPartition = byUser.get(user)
    if (!byPartition) {
      byPartition = new Map()
      byUser.set(user, byPartition)
    }
    let connstr = byPartition.get(partitionConnstr)
    if (connstr === undefined) {
      connstr = this.buildConnectString(plan, cluster, partitionConnstr, user)
      byPartition.set(partitionConnstr, connstr)
    }
    return connstr
  }

  private buildConnectString(
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
  /**
   * Tags partitions (spec §4.2–4.3): the connections to query, in
   * activation order, with SPLIT arrays. Synchronous unless a RUN ON
   * expression has to be evaluated elsewhere (proxy database, async JS).
   */
  private tag(
    plan: RoutingPlan,
    cluster: Cluster,
    args: readonly (string | null)[],
    native: readonly NativeValue[],
  ): Tagger | Promise<Tagger> {
    const fn = label(plan)
    const split = plan.split
    const tagger = new Tagger(cluster, split.length)
    const tagRows = (rows: readonly LocalValue[], tag: number) => {
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
    }
    const tagElement = (
      tag: number,
      nativeArgs: readonly NativeValue[],
      texts: readonly (string | null)[],
    ): undefined | Promise<void> => {
      const run = plan.run
      switch (run.kind) {
        case 'RunOnAll':
          for (let i = 0; i < cluster.partitions.length; i++) tagger.tag(i, tag)
          return undefined
        case 'RunOnPartition':
          if (run.partition < 0 || run.partition >= cluster.partitions.length) {
            throw functionError(fn, 'part number out of range')
          }
          tagger.tag(run.partition, tag)
          return undefined
        case 'RunOnAny':
          tagger.tagHash(random31(), tag)
          return undefined
        case 'RunOnHash': {
          const rows = this.localValue(run.expression, nativeArgs, texts)
          if (rows instanceof Promise) return rows.then((r) => tagRows(r, tag))
          tagRows(rows, tag)
          return undefined
        }
      }
    }
    if (!split.length) {
      const pending = tagElement(1, native, args)
      return pending ? pending.then(() => tagger) : tagger
    }
    const elements = this.splitElements(plan, args)
    const length = elements[0]?.length ?? 0
    const inArgs = plan.function.arguments.filter((a) => a.inIndex !== undefined)
    const appendElements = (row: number, tag: number) => {
      for (const conn of tagger.active.values()) {
        if (conn.tag !== tag) continue
        for (let k = 0; k < split.length; k++) conn.elements[k]!.push(elements[k]![row] ?? null)
      }
    }
    const fromRow = (start: number): Tagger | Promise<Tagger> => {
      for (let row = start; row < length; row++) {
        const tag = row + 1
        const rowNative = [...native]
        const rowTexts = [...args]
        split.forEach((index, k) => {
          const element = elements[k]![row] ?? null
          rowTexts[index] = element
          rowNative[index] = nativeFromText(inArgs[index]!.type.element ?? inArgs[index]!.type, element)
        })
        const pending = tagElement(tag, rowNative, rowTexts)
        if (pending) {
          return pending.then(() => {
            appendElements(row, tag)
            return fromRow(row + 1)
          })
        }
        appendElements(row, tag)
      }
      return tagger
    }
    return fromRow(0)
  }

  /** SPLIT arguments' elements: one-dimensional arrays of one length (NULL = no elements). */
  private splitElements(plan: RoutingPlan, args: readonly (string | null)[]): (string | null)[][] {
    const fn = label(plan)
    const inArgs = plan.function.arguments.filter((a) => a.inIndex !== undefined)
    let length = -1
    const elements: (string | null)[][] = []
    for (const index of plan.split) {
      const text = args[index] ?? null
      let values: (string | null)[] = []
      if (text !== null) {
        const type = inArgs[index]!.type
        const parsed = parseArrayLiteral(text, arrayDelimiterOf(type))
        if (parsed.ndim > 1) throw functionError(fn, 'split multi-dimensional arrays are not supported')
        values = [...parsed.elements]
      }
      if (length < 0) length = values.length
      else if (values.length !== length) throw functionError(fn, 'split arrays must be of identical lengths')
      elements.push(values)
    }
    return elements
  }

  /** Everything a call would do, short of running the remote queries. */
  route(
    plan: RoutingPlan,
    args: readonly (string | null)[],
    options: CallOptions = {},
  ): RoutedCall | Promise<RoutedCall> {
    if (plan.deferredError) {
      throw new PlProxyError(plan.deferredError.message, { code: plan.deferredError.sqlstate })
    }
    const facts = this.factsOf(plan)
    if (facts.direct) {
      const routed = this.routeDirect(plan, facts, args, options)
      if (routed) return routed
    }
    const native = this.nativeArgs(plan, args)
    const cluster = this.cluster(plan, native, args)
    if (cluster instanceof Promise) return cluster.then((c) => this.routeOn(plan, c, args, native, options))
    return this.routeOn(plan, cluster, args, native, options)
  }

  /**
   * One partition from a static cluster and a native RUN ON: the same checks
   * as tag(), without its bookkeeping. Undefined when the general path is needed.
   */
  private routeDirect(
    plan: RoutingPlan,
    facts: PlanFacts,
    args: readonly (string | null)[],
    options: CallOptions,
  ): RoutedCall | undefined {
    const sel = plan.cluster
    let cluster = facts.staticCluster
    if (!cluster) {
      const registry = this.options.registry
      try {
        cluster =
          sel.kind === 'ConnectString'
            ? registry.connectCluster(sel.connectString)
            : sel.kind === 'ClusterName'
              ? registry.resolveStatic(sel.name, plan.function.database)
              : undefined
      } catch (e) {
        return clusterFailure(plan, e)
      }
      if (!cluster) return undefined
      // SQL/MED DDL and objects never change; CONNECT clusters may be evicted, live ones reload
      if (!registry.isLive && sel.kind === 'ClusterName') facts.staticCluster = cluster
    }
    const run = plan.run
    const count = cluster.partitions.length
    let hash: number | bigint
    let partition: number
    if (run.kind === 'RunOnPartition') {
      if (run.partition < 0 || run.partition >= count)
        throw functionError(label(plan), 'part number out of range')
      partition = run.partition
      hash = partition
    } else {
      if (run.kind === 'RunOnHash') {
        if (run.expression.kind !== 'NativeExpression') return undefined
        const rows = this.localValue(run.expression, this.nativeArgs(plan, args), args)
        if (rows instanceof Promise || rows.length !== 1) return undefined
        const row = rows[0]!
        if (row.value === null) throw functionError(label(plan), 'Hash function returned NULL')
        if (row.typeOid !== OID.int2 && row.typeOid !== OID.int4 && row.typeOid !== OID.int8) {
          throw functionError(label(plan), 'Hash result must be int2, int4 or int8')
        }
        hash = row.value as number | bigint
      } else hash = random31()
      partition = partitionIndex(hash, count, cluster.config.modularMapping !== 0)
    }
    const partitionConnectString = cluster.partitions[partition]!
    const user = this.connectingUser(plan, cluster, options.user)
    const params = plan.remoteQuery.parameters
    return {
      cluster,
      user,
      hashes: run.kind === 'RunOnPartition' ? [] : [hash],
      connections: [
        {
          partitionConnectString,
          connectString: this.finalConnectString(plan, cluster, partitionConnectString, user),
          partitions: [partition],
          parameters: facts.identityParameters ? args : params.map((i) => args[i] ?? null),
        },
      ],
      sql: facts.sql!,
      result: facts.columns!,
    }
  }

  private routeOn(
    plan: RoutingPlan,
    cluster: Cluster,
    args: readonly (string | null)[],
    native: readonly NativeValue[],
    options: CallOptions,
  ): RoutedCall | Promise<RoutedCall> {
    const tagger = this.tag(plan, cluster, args, native)
    if (tagger instanceof Promise) return tagger.then((t) => this.routed(plan, cluster, t, args, options))
    return this.routed(plan, cluster, tagger, args, options)
  }

  private routed(
    plan: RoutingPlan,
    cluster: Cluster,
    tagger: Tagger,
    args: readonly (string | null)[],
    options: CallOptions,
  ): RoutedCall {
    const user = this.connectingUser(plan, cluster, options.user)
    const connections: RoutedConnection[] = []
    const facts = this.factsOf(plan)
    const params = plan.remoteQuery.parameters
    for (const [partitionConnectString, conn] of tagger.active) {
      let parameters = args
      if (plan.split.length) {
        const withArrays = [...args]
        plan.split.forEach((index, k) => {
          const type = plan.function.arguments.find((a) => a.inIndex === index)!.type
          // one dimension, lower bound 1, the elements in their original order
          withArrays[index] = printArrayLiteral({ elements: conn.elements[k]! }, arrayDelimiterOf(type))
        })
        parameters = withArrays
      }
      connections.push({
        partitionConnectString,
        connectString: this.finalConnectString(plan, cluster, partitionConnectString, user),
        partitions: conn.partitions,
        parameters: facts.identityParameters ? parameters : params.map((i) => parameters[i] ?? null),
      })
    }
    return {
      cluster,
      user,
      hashes: tagger.hashes,
      connections,
      sql: facts.sql ?? this.remoteSql(plan, options.columns),
      result: facts.columns ?? this.resultColumns(plan, options.columns),
    }
  }

  /** Calls the proxy function: its rows as text, in PL/Proxy's order. */
  async call(
    plan: RoutingPlan,
    args: readonly (string | null)[],
    options: CallOptions = {},
  ): Promise<ResultSet> {
    // static plans share one columns array (read-only)
    const columns = this.factsOf(plan).columns ?? this.resultColumns(plan, options.columns)
    const nullRows = strictNullRows(plan, columns, args)
    if (nullRows) return { columns, rows: nullRows }
    if (options.signal?.aborted) throw canceledError(options.signal.reason)
    const route = this.route(plan, args, options)
    const routed = route instanceof Promise ? await route : route
    const connections = routed.connections
    const results = await this.runAll(plan, routed, options, false)
    let rows: (string | null)[][] = []
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!
      const mapping = this.resultMapping(plan, columns, result.fields)
      const mapped = await this.localRows(plan, routed, connections[i]!, columns, mapping, result.rows)
      if (results.length === 1) rows = mapped
      else for (const row of mapped) rows.push(row)
    }
    checkRowCount(plan, rows.length)
    return { columns, rows }
  }

  /**
   * Like call, with the rows as the partitions sent them: DataRow
   * messages, untouched where the remote columns are the function's own
   * (the wire server forwards them as they are), rebuilt only where
   * columns come in another order or must be read as the local type.
   */
  async callRaw(
    plan: RoutingPlan,
    args: readonly (string | null)[],
    options: CallOptions = {},
  ): Promise<RawResultSet> {
    const columns = this.factsOf(plan).columns ?? this.resultColumns(plan, options.columns)
    const nullRows = strictNullRows(plan, columns, args)
    if (nullRows) return { columns, rows: nullRows.map((r) => dataRowMessage(r)) }
    if (options.signal?.aborted) throw canceledError(options.signal.reason)
    const route = this.route(plan, args, options)
    const routed = route instanceof Promise ? await route : route
    const connections = routed.connections
    const results = await this.runAll(plan, routed, options, true)
    let rows: Buffer[] = []
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!
      const mapping = this.resultMapping(plan, columns, result.fields)
      let out: Buffer[]
      if (mapping.identity && !mapping.convert.length && !mapping.foreign.length) out = result.rows
      else {
        const text = result.rows.map((m) =>
          dataRowValues(m).map((v) => (v === null ? null : v.toString('utf8'))),
        )
        const mapped = await this.localRows(plan, routed, connections[i]!, columns, mapping, text)
        out = mapped.map((r) => dataRowMessage(r))
      }
      if (results.length === 1) rows = out
      else for (const row of out) rows.push(row)
    }
    checkRowCount(plan, rows.length)
    return { columns, rows }
  }

  /** Every connection's remote query, in parallel; the first failure (in connection order) wins. */
  private runAll(
    plan: RoutingPlan,
    routed: RoutedCall,
    options: CallOptions,
    raw: false,
  ): Promise<RemoteResult[]>
  private runAll(
    plan: RoutingPlan,
    routed: RoutedCall,
    options: CallOptions,
    raw: true,
  ): Promise<RemoteResult<Buffer>[]>
  private async runAll(
    plan: RoutingPlan,
    routed: RoutedCall,
    options: CallOptions,
    raw: boolean,
  ): Promise<RemoteResult<Buffer | (string | null)[]>[]> {
    const connections = routed.connections
    // one connection: what allSettled would give, without it
    if (connections.length === 1) return [await this.runOn(plan, routed, connections[0]!, options, raw)]
    const settled = await Promise.allSettled(
      connections.map((c) => this.runOn(plan, routed, c, options, raw)),
    )
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason
    }
    return settled.map((s) => (s as PromiseFulfilledResult<RemoteResult<Buffer | (string | null)[]>>).value)
  }

  /** After a reload: plans are new objects, and cached facts of old ones must not be reused. */
  invalidate(): void {
    this.facts = new WeakMap()
  }

  private pool(connectString: string, cluster: Cluster): ConnectionPool {
    if (this.ended) {
      throw new PlProxyError('this proxy has ended (end() was called): create a new one with createProxy()', {
        code: '08003',
      })
    }
    this.notePool(cluster, connectString)
    let pool = this.pools.get(connectString)
    const lifetimeMs = cluster.config.connectionLifetime > 0 ? cluster.config.connectionLifetime * 1000 : 0
    if (!pool) {
      const config = toWireOptions(parseConnectString(connectString), this.options.environment, BUILTINS)
      pool = new ConnectionPool(
        { ...config, connectTimeoutMs: config.connectTimeoutMs ?? this.options.pool.connectTimeoutMs },
        { max: this.options.pool.max, lifetimeMs, idleTimeoutMs: this.options.pool.idleTimeoutMs },
      )
      this.pools.set(connectString, pool)
    } else if (pool.lifetimeMs !== lifetimeMs) {
      pool.configure({ lifetimeMs })
    }
    return pool
  }

  private async runOn(
    plan: RoutingPlan,
    routed: RoutedCall,
    conn: RoutedConnection,
    options: CallOptions,
    raw = false,
  ): Promise<RemoteResult<Buffer | (string | null)[]>> {
    const fn = label(plan)
    let pool: ConnectionPool
    try {
      pool = this.pool(conn.connectString, routed.cluster)
    } catch (e) {
      if (!(e instanceof ConnectStringError)) throw e
      // libpq rejects the string before connecting: PQconnectStart fails
      const database = /(?:^|\s)dbname\s*=\s*'?([^'\s]*)/.exec(conn.connectString)?.[1] ?? ''
      throw functionError(fn, `[${database}] PQconnectStart: ${e.message}\n`, {
        partition: { partitions: conn.partitions, connectString: e.connectString, database },
        cause: e,
      })
    }
    const database = String(pool.config.database ?? pool.config.user ?? '')
    // built when an error or a notice needs it (masking parses the string)
    let partitionRef: PartitionRef | undefined
    const partitionOf = (): PartitionRef => {
      partitionRef ??= {
        partitions: conn.partitions,
        connectString: maskPassword(conn.connectString),
        database,
      }
      return partitionRef
    }
    const onNotice = options.onNotice ?? this.options.onNotice
    const stale = options.staleConnections
    if (stale?.delete(conn.connectString)) onNotice?.(STALE_CONN_NOTICE)
    const observer = this.options.observer
    const started = observer ? performance.now() : 0
    try {
      const result = await runRemote(pool, routed.sql, conn.parameters, {
        signal: options.signal,
        queryTimeoutMs:
          routed.cluster.config.queryTimeout > 0 ? routed.cluster.config.queryTimeout * 1000 : 0,
        onNotice: onNotice
          ? (n) => onNotice(remoteNotice(fn, database, pgFields(n), partitionOf()))
          : undefined,
        raw,
      })
      if (observer) {
        observer({
          function: fn.qualifiedName,
          cluster:
            routed.cluster.source === 'connect' ? maskPassword(routed.cluster.name) : routed.cluster.name,
          partitions: conn.partitions,
          database,
          seconds: (performance.now() - started) / 1000,
          error: false,
        })
      }
      return result
    } catch (e) {
      if (observer) {
        observer({
          function: fn.qualifiedName,
          cluster:
            routed.cluster.source === 'connect' ? maskPassword(routed.cluster.name) : routed.cluster.name,
          partitions: conn.partitions,
          database,
          seconds: (performance.now() - started) / 1000,
          error: true,
        })
      }
      const partition = partitionOf()
      if (e instanceof RemoteInterrupted) {
        if (e.why === 'timeout') throw functionError(fn, 'query timeout', { partition })
        throw canceledError(options.signal?.reason)
      }
      if (e instanceof ConnectFailed) {
        const cause = e.cause
        const where = pool.config.host?.startsWith('/')
          ? `on socket "${pool.config.host}/.s.PGSQL.${pool.config.port ?? 5432}"`
          : `at "${pool.config.host ?? 'localhost'}", port ${pool.config.port ?? 5432}`
        // libpq's messages end with a newline, and PL/Proxy keeps it
        const text = isServerMessage(cause)
          ? `connection to server ${where} failed: ${cause.severity ?? 'FATAL'}:  ${cause.message}`
          : connectFailure(pool, cause)
        throw functionError(fn, `[${database}] PQconnectPoll: ${text}\n`, { partition, cause })
      }
      if (isServerMessage(e)) {
        stale?.add(conn.connectString)
        throw remoteError(fn, database, pgFields(e), partition)
      }
      // the connection broke mid-query (socket closed): libpq reports it on the result
      throw functionError(fn, `[${database}] ${(e as Error).message ?? String(e)}`, { partition, cause: e })
    }
  }

  /**
   * Matches remote columns to the function's (spec §3.7): where each local
   * column comes from, which values to read again as the local type.
   * Cached per remote field list (a connection reuses one per statement).
   */
  private resultMapping(
    plan: RoutingPlan,
    columns: ResultSet['columns'],
    fields: RemoteResult['fields'],
  ): ResultMapping {
    const cached = this.mappings.get(fields)
    if (cached !== undefined && cached.plan === plan && cached.columns === columns) return cached
    const fn = label(plan)
    const r = plan.result
    let map: readonly number[]
    if (r.kind === 'ScalarResult') {
      if (fields.length !== 1) throw functionError(fn, 'single field function but got record')
      map = [0]
    } else {
      const wanted =
        r.kind === 'CompositeResult'
          ? r.columns.filter((c) => !c.dropped).map((c) => c.name)
          : columns.map((c) => c.name)
      if (fields.length < wanted.length) throw functionError(fn, 'Got too few fields from remote end')
      if (fields.length > wanted.length) throw functionError(fn, 'Got too many fields from remote end')
      map = wanted.map((name, i) => {
        if (fields[i]?.name === name) return i
        const j = fields.findIndex((f) => f.name === name)
        if (j < 0) throw functionError(fn, `Field ${name} does not exists in result`)
        return j
      })
    }
    const mapping: ResultMapping = {
      plan,
      columns,
      map,
      identity: map.every((j, i) => j === i),
      convert: convertedColumns(columns, fields, map),
      foreign: foreignColumns(columns, fields, map),
    }
    this.mappings.set(fields, mapping)
    return mapping
  }

  /** A partition's text rows as the local types read them (readAsLocal, then readOnPartition for the rest). */
  private async localRows(
    plan: RoutingPlan,
    routed: RoutedCall,
    conn: RoutedConnection,
    columns: ResultSet['columns'],
    mapping: ResultMapping,
    remoteRows: (string | null)[][],
  ): Promise<(string | null)[][]> {
    const rows = readAsLocal(columns, mapping, remoteRows)
    for (const column of mapping.foreign) {
      await this.readOnPartition(plan, routed, conn, columns[column]!.type, rows, column)
    }
    return rows
  }

  /**
   * Values of a type plproxy-ts does not read natively, sent back by a
   * custom SELECT as another type: read with the type's own input function
   * on the partition (`x::type::text`), as PL/Proxy reads them locally.
   */
  private async readOnPartition(
    plan: RoutingPlan,
    routed: RoutedCall,
    conn: RoutedConnection,
    type: PlanType,
    rows: (string | null)[][],
    column: number,
  ): Promise<void> {
    if (!rows.length) return
    const pool = this.pool(conn.connectString, routed.cluster)
    const values = rows.map((r) => r[column] ?? null)
    const sql = `select x::${type.name}::text from unnest($1::text[]) with ordinality as t(x, n) order by n`
    let result: RemoteResult
    try {
      result = await runRemote(pool, sql, [printArrayLiteral({ elements: values })], { queryTimeoutMs: 0 })
    } catch (e) {
      // the input function's error is a local one in PL/Proxy: no REMOTE prefix
      if (isServerMessage(e))
        throw new PlProxyError(e.message ?? '', { ...pgFields(e), function: plan.function.qualifiedName })
      throw e
    }
    result.rows.forEach((r, i) => {
      rows[i]![column] = r[0] ?? null
    })
  }

  /**
   * A reloaded cluster (new version, changed server) closes every connection
   * the previous definition opened, as PL/Proxy does on reload.
   */
  private notePool(cluster: Cluster, connectString: string): void {
    let key = this.clusterKeys.get(cluster)
    if (key === undefined) {
      key = `${cluster.source}\u0000${cluster.name}`
      this.clusterKeys.set(cluster, key)
    }
    let entry = this.clusterPools.get(key)
    if (entry && entry.cluster !== cluster) {
      for (const old of entry.pools) {
        const pool = this.pools.get(old)
        this.pools.delete(old)
        pool?.end().catch(() => {})
      }
      entry = undefined
    }
    if (!entry) {
      entry = { cluster, pools: new Set() }
      this.clusterPools.set(key, entry)
    }
    entry.pools.add(connectString)
  }

  async end(): Promise<void> {
    this.ended = true
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map((p) => p.end()))
  }
}

/** What PL/Proxy says when it drops a connection an earlier error left mid-result. */
const STALE_CONN_NOTICE: ProxyNotice = {
  severity: 'NOTICE',
  code: '00000',
  message: 'PL/Proxy: dropping stale conn',
}

/** P0002/P0003: a function that does not return a set must get exactly one row. */
function checkRowCount(plan: RoutingPlan, n: number): void {
  if (!plan.function.returnsSet && n !== 1) {
    throw functionError(label(plan), `Non-SETOF function requires 1 row from remote query, got ${n}`, {
      code: n < 1 ? 'P0002' : 'P0003',
    })
  }
}

/**
 * PL/Proxy reads each remote value with the local type's input function.
 * Where the remote column already has the local type, its text is what
 * that type prints; otherwise (a custom SELECT returning other types) the
 * natively understood types are read and printed again (` 42 ` → `42`,
 * `TRUE` → `t`), with PostgreSQL's error for a value the type rejects.
 */
function readAsLocal(
  columns: ResultSet['columns'],
  mapping: ResultMapping,
  remoteRows: (string | null)[][],
): (string | null)[][] {
  const map = mapping.map
  const rows = mapping.identity ? remoteRows : remoteRows.map((row) => map.map((j) => row[j] ?? null))
  const convert = mapping.convert
  if (!convert.length) return rows
  return rows.map((row) => {
    const out = [...row]
    for (const i of convert) {
      const v = out[i]
      if (v !== null && v !== undefined) out[i] = canonicalText(columns[i]!.type, v)
    }
    return out
  })
}

/** Columns read natively whose remote type differs from the local one: their values are read again. */
function convertedColumns(
  columns: ResultSet['columns'],
  fields: RemoteResult['fields'],
  map: readonly number[],
): number[] {
  const convert: number[] = []
  columns.forEach((c, i) => {
    const remote = fields[map[i]!]?.typeOid
    const local = resultTypeOid(c.type)
    if (remote !== local && nativeTypeOf(c.type) !== undefined) convert.push(i)
  })
  return convert
}

/** Columns of built-in types not read natively whose remote type differs from the local one. */
function foreignColumns(
  columns: ResultSet['columns'],
  fields: RemoteResult['fields'],
  map: readonly number[],
): number[] {
  const out: number[] = []
  columns.forEach((c, i) => {
    const local = resultTypeOid(c.type)
    const remote = fields[map[i]!]?.typeOid
    if (
      local !== undefined &&
      c.type.oid !== undefined &&
      remote !== local &&
      nativeTypeOf(c.type) === undefined
    )
      out.push(i)
  })
  return out
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
