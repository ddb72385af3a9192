/**
 * The embedded API: `createProxy` loads PL/Proxy sources and cluster
 * definitions, and calls proxy functions from Node like the proxy database
 * would run them.
 *
 *   const proxy = await createProxy({ functions: ['proxy.sql'], clusters: ['cluster.sql'], user: 'proxy' })
 *   const rows = await proxy.call('f_user_login', [42])
 *   await proxy.end()
 */
import { readFile } from 'node:fs/promises'
import type pg from 'pg'
import {
  baseTypeOf,
  builtinTypeKeyByOid,
  builtinTypeLength,
  type CallSiteColumn,
  type CompileResult,
  compileScripts,
  type Expression,
  type PlanType,
  type RoutingPlan,
  resolveTypeReference,
  TypeRegistry,
} from '../compiler/index.js'
import {
  type Diagnostic,
  type FunctionCallStatement,
  parseTypeName,
  type ScriptInput,
} from '../parser/index.js'
import { defaultArgumentText } from './argument-defaults.js'
import { type ClientCallContext, type PreparedClientCall, prepareClientCall } from './client-call.js'
import { CatalogServers } from './cluster/catalog-servers.js'
import {
  localLibpqBuiltins,
  maskPassword,
  parseConnectString,
  toNodePostgresConfig,
} from './cluster/connect-string.js'
import { LiveClusterSource } from './cluster/live.js'
import type { Cluster } from './cluster/model.js'
import { type ClusterObject, clusterFromObject, clustersFromJson } from './cluster/objects.js'
import { ClusterRegistry } from './cluster/registry.js'
import { type CallOptions, Engine, type RemoteObserver, type ResultSet, type RoutedCall } from './engine.js'
import { asPlProxyError, PlProxyError, type ProxyNotice } from './errors.js'
import { FunctionTable, inArguments } from './function-lookup.js'
import type { JsFunction } from './local-expression.js'
import { ProxyDatabase } from './proxy-database.js'
import { encodeValue, resultParser, resultTypeOid, type TypeParsers } from './values/index.js'

/** SQL text, a file to read (`{ path }`), or text with a name for positions (`{ file, text }`). */
export type SqlSource = string | { readonly path: string } | ScriptInput

export type ClusterSource = SqlSource | { readonly json: unknown } | Readonly<Record<string, ClusterObject>>

export interface ProxyOptions {
  /** PL/Proxy sources: CREATE FUNCTION … LANGUAGE plproxy (and the types they use), or compiled plans */
  readonly functions: SqlSource | readonly SqlSource[] | CompileResult | readonly RoutingPlan[]
  /** cluster definitions: SQL/MED DDL, JSON documents, or objects `{ name: { partitions: [...] } }` */
  readonly clusters?: ClusterSource | readonly ClusterSource[]
  /** the proxy database (connect string or node-postgres config): local SQL expressions, live cluster config */
  readonly proxyDatabase?: string | pg.ClientConfig
  /** current_user: the role that connects to partitions (default: $PGUSER, the proxy database's user, or the OS user) */
  readonly user?: string
  /** session_user (for default_user = session_user clusters); defaults to user */
  readonly sessionUser?: string
  /** roles that pass SQL/MED USAGE checks (default: ['postgres']) */
  readonly superusers?: readonly string[]
  /** JavaScript implementations of functions called in CLUSTER/RUN ON/CONNECT, by name */
  readonly expressionFunctions?: Readonly<Record<string, JsFunction>>
  /** where bare function names are looked up (default ["$user", "public"]) */
  readonly searchPath?: readonly string[]
  readonly pool?: {
    readonly max?: number
    readonly idleTimeoutMs?: number
    readonly connectTimeoutMs?: number
  }
  /** ms a live cluster definition is trusted before it is checked again; 0 = every call, like PL/Proxy */
  readonly clusterRefreshMs?: number
  /** notices and warnings the partitions send while a call runs */
  readonly onNotice?: (notice: ProxyNotice) => void
  /** node-postgres-style type parsers to decode results (default: node-postgres's own) */
  readonly types?: TypeParsers
  /** told of every remote query as it ends (the wire server's counters) */
  readonly observer?: RemoteObserver
  /** start with no function at all (the wire server: clients create them) */
  readonly allowEmpty?: boolean
  /** libpq environment for connect strings that leave things out (default: process.env) */
  readonly environment?: Readonly<Record<string, string | undefined>>
  /** psql variables for the SQL sources (`:name`) */
  readonly variables?: Readonly<Record<string, string>>
}

export interface ProxyCallOptions {
  readonly signal?: AbortSignal
  /** for RETURNS SETOF record functions: the column definition list, e.g. `[['id', 'int4'], ['name', 'text']]` */
  readonly columns?: readonly (readonly [string, string])[] | readonly CallSiteColumn[]
  /** current_user for this call */
  readonly user?: string
}

export interface Explanation {
  readonly function: string
  readonly cluster: {
    readonly name: string
    readonly source: Cluster['source']
    readonly version: number
    readonly partitions: number
    readonly config: Cluster['config']
  }
  readonly user: string
  readonly run: RoutingPlan['run']['kind']
  /** hash values PL/Proxy computed, as decimal strings (int8 safe) */
  readonly hashes: readonly string[]
  readonly connections: readonly {
    readonly partitions: readonly number[]
    readonly connectString: string
    readonly sql: string
    readonly parameters: readonly (string | null)[]
  }[]
}

export class ProxyLoadError extends Error {
  override readonly name = 'ProxyLoadError'
  constructor(
    message: string,
    readonly diagnostics: readonly Diagnostic[] = [],
  ) {
    super(message)
  }
}

export interface PlProxy {
  /** Calls a proxy function; rows decoded to JavaScript values by their types. */
  call<Row = Record<string, unknown>>(
    name: string,
    args?: readonly unknown[] | Readonly<Record<string, unknown>>,
    options?: ProxyCallOptions,
  ): Promise<Row[]>
  /** Like call, with arguments as PostgreSQL text and rows as text, with the column types. */
  callText(name: string, args: readonly (string | null)[], options?: ProxyCallOptions): Promise<ResultSet>
  /** Where a call would go and what it would send, without running it. */
  explain(
    name: string,
    args?: readonly unknown[] | Readonly<Record<string, unknown>>,
    options?: ProxyCallOptions,
  ): Promise<Explanation>
  /** The compiled plan of a function. */
  plan(name: string, argumentCount?: number): RoutingPlan
  /** Every loaded proxy function's plan. */
  readonly plans: readonly RoutingPlan[]
  /**
   * Routes a call without running it (text arguments, one per IN
   * argument): synchronous when nothing has to be asked of a database.
   */
  readonly router: (plan: RoutingPlan, args: readonly (string | null)[]) => RoutedCall | Promise<RoutedCall>
  /** what the wire server needs: client calls, raw rows, reloading after DDL */
  readonly server: ServerHooks
  end(): Promise<void>
}

/** The runtime as the wire server (src/server) drives it. */
export interface ServerHooks {
  /** a client's call prepared (undefined: no proxy function has that name) */
  prepare(
    stmt: FunctionCallStatement,
    parameterTypeOids: readonly number[],
    searchPath: readonly string[],
  ): PreparedClientCall | undefined
  /** runs a prepared call: the rows as DataRow messages, in the function's column order */
  run(
    prepared: PreparedClientCall,
    args: readonly (string | null)[],
    options: {
      signal?: AbortSignal
      user?: string
      onNotice?: (notice: ProxyNotice) => void
      staleConnections?: Set<string>
    },
  ): Promise<readonly Buffer[]>
  /** `f` or `schema.f`: a proxy function reachable on this search path? */
  isProxyFunction(name: string, searchPath: readonly string[]): boolean
  /** type OID and length for RowDescription (unknown user types: their base type, record, or text) */
  describeType(type: PlanType): { oid: number; size: number }
  /** new functions and SQL/MED servers after DDL: the compiler's result now */
  reload(compiled: CompileResult): void
  /** how many reloads so far: what was prepared before one is stale */
  readonly generation: number
  /** the proxy database ran a statement that may change cluster definitions: check them at the next call */
  invalidateClusters(): void
}

async function scriptInputs(sources: readonly SqlSource[], kind: string): Promise<ScriptInput[]> {
  return Promise.all(
    sources.map(async (s, i) => {
      if (typeof s === 'string') return { file: `<${kind} ${i + 1}>`, text: s }
      if ('path' in s) {
        try {
          return { file: s.path, text: await readFile(s.path, 'utf8') }
        } catch (e) {
          throw new ProxyLoadError(`cannot read ${s.path}: ${(e as Error).message}`)
        }
      }
      return s
    }),
  )
}

function asArray<T>(x: T | readonly T[] | undefined): readonly T[] {
  if (x === undefined) return []
  return Array.isArray(x) ? (x as readonly T[]) : [x as T]
}

function isPlanArray(x: unknown): x is readonly RoutingPlan[] {
  return (
    Array.isArray(x) &&
    x.every((p) => p && typeof p === 'object' && (p as RoutingPlan).kind === 'RoutingPlan')
  )
}

function isSqlSource(x: unknown): x is SqlSource {
  return (
    typeof x === 'string' ||
    (typeof x === 'object' && x !== null && ('path' in x || ('file' in x && 'text' in x)))
  )
}

function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`)
    .join('\n')
}

function localExpressions(plan: RoutingPlan): { where: string; expression: Expression }[] {
  const out: { where: string; expression: Expression }[] = []
  if (plan.cluster.kind === 'ClusterExpression')
    out.push({ where: 'CLUSTER', expression: plan.cluster.expression })
  if (plan.cluster.kind === 'ConnectExpression')
    out.push({ where: 'CONNECT', expression: plan.cluster.expression })
  if (plan.run.kind === 'RunOnHash') out.push({ where: 'RUN ON', expression: plan.run.expression })
  return out
}

export async function createProxy(options: ProxyOptions): Promise<PlProxy> {
  const environment = options.environment ?? process.env
  // --- clusters: SQL sources compile with the functions; JSON and objects stand alone
  const clusterSql: SqlSource[] = []
  const objectClusters = new Map<string, Cluster>()
  for (const source of asArray(options.clusters)) {
    if (isSqlSource(source)) {
      if (typeof source === 'object' && 'path' in source && source.path.endsWith('.json')) {
        let json: unknown
        try {
          json = JSON.parse(await readFile(source.path, 'utf8'))
        } catch (e) {
          throw new ProxyLoadError(`cannot read ${source.path}: ${(e as Error).message}`)
        }
        for (const c of clustersFromJson(json, source.path)) objectClusters.set(c.name, c)
      } else clusterSql.push(source)
    } else if ('json' in source) {
      for (const c of clustersFromJson(source.json)) objectClusters.set(c.name, c)
    } else {
      for (const [name, def] of Object.entries(source as Record<string, ClusterObject>)) {
        objectClusters.set(name, clusterFromObject(name, def))
      }
    }
  }
  // --- functions
  let plans: RoutingPlan[]
  let compiled: CompileResult | undefined
  const fnSources = options.functions
  if (isPlanArray(fnSources)) {
    plans = [...fnSources]
  } else {
    const sources =
      typeof fnSources === 'object' &&
      fnSources !== null &&
      'functions' in fnSources &&
      'diagnostics' in fnSources
        ? undefined
        : asArray(fnSources as SqlSource | readonly SqlSource[])
    compiled = sources
      ? await compileScripts(
          [...(await scriptInputs(clusterSql, 'clusters')), ...(await scriptInputs(sources, 'functions'))],
          options.variables ? { variables: new Map(Object.entries(options.variables)) } : {},
        )
      : (fnSources as CompileResult)
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error')
    if (errors.length)
      throw new ProxyLoadError(`the PL/Proxy sources have errors:\n${formatDiagnostics(errors)}`, errors)
    plans = compiled.functions.flatMap((f) => (f.plan ? [f.plan] : []))
  }
  if (!plans.length && !options.allowEmpty)
    throw new ProxyLoadError('no LANGUAGE plproxy function found in the given sources')

  // --- the proxy database
  let proxyDatabase: ProxyDatabase | undefined
  let proxyUser: string | undefined
  if (options.proxyDatabase !== undefined) {
    const config =
      typeof options.proxyDatabase === 'string'
        ? toNodePostgresConfig(parseConnectString(options.proxyDatabase), environment, localLibpqBuiltins())
        : options.proxyDatabase
    proxyUser = config.user
    proxyDatabase = new ProxyDatabase(config)
  }
  const expressionFunctions = new Map(Object.entries(options.expressionFunctions ?? {}))
  // a plan that needs the proxy database when there is none fails now, not at its first call
  if (!proxyDatabase) {
    for (const plan of plans) {
      for (const { where, expression } of localExpressions(plan)) {
        if (expression.kind !== 'SqlExpression') continue
        if (
          expression.call &&
          (expressionFunctions.has(expression.call.name) ||
            expressionFunctions.has(expression.call.name.toLowerCase()))
        )
          continue
        throw new ProxyLoadError(
          `function ${plan.function.qualifiedName} needs the proxy database: ${where} evaluates "${expression.sql}" (${expression.reason}); ` +
            `configure proxyDatabase${expression.call ? `, or register a JavaScript function "${expression.call.name}" in expressionFunctions` : ''}`,
        )
      }
    }
  }

  const registry = new ClusterRegistry({
    servers: compiled ? new CatalogServers(compiled.databases) : undefined,
    objects: objectClusters,
    live: proxyDatabase
      ? new LiveClusterSource(proxyDatabase, { refreshMs: options.clusterRefreshMs ?? 1000 })
      : undefined,
  })
  const user = options.user ?? environment.PGUSER ?? proxyUser ?? environment.USER ?? 'postgres'
  const engine = new Engine({
    registry,
    user,
    sessionUser: options.sessionUser ?? user,
    superusers: new Set(options.superusers ?? ['postgres']),
    proxyDatabase,
    functions: expressionFunctions,
    environment,
    pool: {
      max: options.pool?.max ?? 16,
      idleTimeoutMs: options.pool?.idleTimeoutMs ?? 30_000,
      connectTimeoutMs: options.pool?.connectTimeoutMs ?? 10_000,
    },
    onNotice: options.onNotice,
    observer: options.observer,
  })
  let table = new FunctionTable(plans)
  let serversVersion = 1
  // a value's decoder per result column, once per columns array (static plans share theirs)
  const decodeOptions = { types: options.types }
  const parsers = new WeakMap<ResultSet['columns'], ((text: string | null) => unknown)[]>()
  const parsersOf = (columns: ResultSet['columns']) => {
    let list = parsers.get(columns)
    if (list === undefined) {
      list = columns.map((c) => resultParser(c.type, decodeOptions))
      parsers.set(columns, list)
    }
    return list
  }
  const searchPath = (options.searchPath ?? ['$user', 'public']).map((s) => (s === '$user' ? user : s))

  const callSiteColumns = (
    plan: RoutingPlan,
    cols: ProxyCallOptions['columns'],
  ): CallSiteColumn[] | undefined => {
    if (!cols) return undefined
    return cols.map((c) =>
      Array.isArray(c) ? { name: c[0], type: resolveTypeName(compiled, plan, c[1]) } : (c as CallSiteColumn),
    )
  }

  const textArgs = (
    plan: RoutingPlan,
    args: readonly unknown[] | Readonly<Record<string, unknown>>,
  ): (string | null)[] => {
    const ins = inArguments(plan)
    if (Array.isArray(args)) {
      return ins.map((a, i) =>
        i < args.length ? encodeValue(a.type, args[i]) : defaultArgumentText(plan, a.name, a.default, a.type),
      )
    }
    const named = args as Readonly<Record<string, unknown>>
    const known = new Set(ins.map((a) => a.name))
    for (const key of Object.keys(named)) {
      if (!known.has(key)) {
        throw new PlProxyError(`function ${plan.function.qualifiedName} has no argument "${key}"`, {
          code: '42883',
        })
      }
    }
    return ins.map((a) =>
      a.name !== undefined && a.name in named
        ? encodeValue(a.type, named[a.name])
        : defaultArgumentText(plan, a.name, a.default, a.type),
    )
  }

  const lookup = (name: string, args: readonly unknown[] | Readonly<Record<string, unknown>>) =>
    table.find(name, Array.isArray(args) ? args.length : Object.keys(args), searchPath)

  const clientContext = (searchPath: readonly string[]): ClientCallContext => {
    const types = compiled?.databases.get('')?.types ?? new TypeRegistry()
    return {
      table,
      searchPath,
      types,
      typeByOid: (oid) => {
        const key = builtinTypeKeyByOid(oid)
        return key ? types.planType(key) : undefined
      },
      resultColumns: (plan, cols) => engine.resultColumns(plan, cols),
    }
  }

  const server: ServerHooks = {
    prepare: (stmt, oids, path) => prepareClientCall(clientContext(path), stmt, oids),
    async run(prepared, args, o) {
      try {
        const result = await engine.callRaw(prepared.plan, args, {
          signal: o.signal,
          user: o.user,
          onNotice: o.onNotice,
          staleConnections: o.staleConnections,
          columns: prepared.callColumns,
        })
        return result.rows
      } catch (e) {
        throw asPlProxyError(e)
      }
    },
    isProxyFunction(name, path) {
      const dot = name.lastIndexOf('.')
      if (dot >= 0) return table.named(name.slice(dot + 1), name.slice(0, dot)).length > 0
      return table.named(name).some((p) => path.includes(p.function.schema))
    },
    describeType(type) {
      let oid = resultTypeOid(type) ?? baseTypeOf(type).oid
      if (oid === undefined) oid = type.kind === 'composite' ? 2249 : 25
      return { oid, size: builtinTypeLength(oid) ?? -1 }
    },
    generation: 0,
    invalidateClusters: () => registry.invalidateLive(),
    reload(next) {
      ;(server as { generation: number }).generation++
      compiled = next
      plans = next.functions.flatMap((f) => (f.plan ? [f.plan] : []))
      table = new FunctionTable(plans)
      serversVersion++
      registry.replaceServers(new CatalogServers(next.databases, serversVersion))
      engine.invalidate()
    },
  }

  const proxy: PlProxy = {
    get plans() {
      return plans
    },
    server,
    router: (plan, args) => engine.route(plan, args),
    call<Row>(
      name: string,
      args: readonly unknown[] | Readonly<Record<string, unknown>> = [],
      opts: ProxyCallOptions = {},
    ) {
      return guard(async () => {
        const plan = lookup(name, args)
        const result = await engine.call(plan, textArgs(plan, args), engineOptions(plan, opts))
        const columns = result.columns
        const parse = parsersOf(columns)
        return result.rows.map((row) => {
          const obj: Record<string, unknown> = {}
          for (let i = 0; i < columns.length; i++) obj[columns[i]!.name] = parse[i]!(row[i] ?? null)
          return obj as Row
        })
      })
    },
    callText(name, args, opts = {}) {
      return guard(async () => {
        const plan = table.find(name, args.length, searchPath)
        return engine.call(plan, args, engineOptions(plan, opts))
      })
    },
    explain(name, args = [], opts = {}) {
      return guard(async () => {
        const plan = lookup(name, args)
        const routed: RoutedCall = await engine.route(plan, textArgs(plan, args), engineOptions(plan, opts))
        return {
          function: plan.function.qualifiedName,
          cluster: {
            name:
              routed.cluster.source === 'connect' ? maskPassword(routed.cluster.name) : routed.cluster.name,
            source: routed.cluster.source,
            version: routed.cluster.version,
            partitions: routed.cluster.partitions.length,
            config: routed.cluster.config,
          },
          user: routed.user,
          run: plan.run.kind,
          hashes: routed.hashes.map(String),
          connections: routed.connections.map((c) => ({
            partitions: c.partitions,
            connectString: maskPassword(c.connectString),
            sql: routed.sql,
            parameters: c.parameters,
          })),
        }
      })
    },
    plan(name, argumentCount) {
      return table.find(name, argumentCount ?? 0, searchPath)
    },
    async end() {
      await engine.end()
      await proxyDatabase?.end()
    },
  }

  /** errors leave the API as PlProxyErrors (a bad argument value's PostgreSQL error included) */
  async function guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (e) {
      throw asPlProxyError(e)
    }
  }

  function engineOptions(plan: RoutingPlan, opts: ProxyCallOptions): CallOptions {
    return { signal: opts.signal, columns: callSiteColumns(plan, opts.columns), user: opts.user }
  }
  return proxy
}

/** A column definition's type name (`int`, `text`, `varchar(10)[]`) as a PlanType, PostgreSQL's error if unknown. */
function resolveTypeName(compiled: CompileResult | undefined, plan: RoutingPlan, text: string): PlanType {
  const ref = parseTypeName(text)
  if (!ref) throw new PlProxyError(`syntax error in type name "${text}"`, { code: '42601' })
  const db = compiled?.databases.get(plan.function.database ?? '') ?? compiled?.databases.get('')
  const registry = db?.types ?? new TypeRegistry()
  const type = resolveTypeReference(registry, ref, [plan.function.schema, 'public'])
  if (!type) throw new PlProxyError(`type "${text}" does not exist`, { code: '42704' })
  return type
}
