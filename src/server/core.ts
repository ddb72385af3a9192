/**
 * What the wire server runs on: a compiler session that stays open (the
 * DDL clients send is compiled into it), the runtime built from it, the
 * proxy database as a target for forwarded statements, and where
 * passwords come from.
 */
import { readFile } from 'node:fs/promises'
import pg from 'pg'
import { type CompileResult, CompilerSession } from '../compiler/index.js'
import { loadPostgresParser, type OtherStatement, type ScriptInput } from '../parser/index.js'
import {
  localLibpqBuiltins,
  parseConnectString,
  toNodePostgresConfig,
  toWireOptions,
} from '../runtime/cluster/connect-string.js'
import type { RemoteObserver } from '../runtime/engine.js'
import { createProxy, type PlProxy, ProxyLoadError, type SqlSource } from '../runtime/proxy.js'
import { connectWire, type WireCredentials, type WireOptions } from '../runtime/wire/index.js'
import { type Credential, credentialOf as credentialOfText, loadUsersFile } from './auth/index.js'
import { type DdlRecord, type DdlStore, FileDdlStore, ProxyDatabaseDdlStore } from './ddl-store.js'
import type { ServerCore } from './server.js'
import { type CallContext, type DdlService, SessionError, type SessionRuntime } from './session.js'

export interface CoreOptions {
  readonly functions: readonly SqlSource[]
  readonly clusters?: readonly (SqlSource | { readonly json: unknown })[]
  readonly proxyDatabase?: string
  /** the role the SQL files run as */
  readonly user?: string
  /** PgBouncer-style users file */
  readonly users?: string
  readonly ddlStore?: 'auto' | 'proxy-db' | 'file' | 'none'
  /** search_path of sessions when there is no proxy database to say (default "$user", public) */
  readonly searchPath?: readonly string[]
  readonly variables?: ReadonlyMap<string, string>
  readonly log: (line: string) => void
  /** told of every remote query (the server's counters) */
  readonly observer?: RemoteObserver
}

/** ParameterStatus values when there is no proxy database to take them from. */
const BUILTIN_PARAMETERS: Readonly<Record<string, string>> = {
  application_name: '',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  default_transaction_read_only: 'off',
  in_hot_standby: 'off',
  integer_datetimes: 'on',
  IntervalStyle: 'postgres',
  is_superuser: 'off',
  server_encoding: 'UTF8',
  server_version: '15.0',
  session_authorization: '',
  standard_conforming_strings: 'on',
  TimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  server_version_num: '150000',
  max_identifier_length: '63',
  transaction_isolation: 'read committed',
  extra_float_digits: '1',
  bytea_output: 'hex',
  statement_timeout: '0',
  lc_messages: 'C',
}

async function inputOf(source: SqlSource, kind: string, i: number): Promise<ScriptInput> {
  if (typeof source === 'string') return { file: `<${kind} ${i + 1}>`, text: source }
  if ('path' in source) {
    try {
      return { file: source.path, text: await readFile(source.path, 'utf8') }
    } catch (e) {
      throw new ProxyLoadError(`cannot read ${source.path}: ${(e as Error).message}`)
    }
  }
  return source
}

function tagOf(stmt: OtherStatement): string {
  const t = stmt.tree[stmt.node] ?? {}
  switch (stmt.node) {
    case 'CreateFunctionStmt':
      return t.is_procedure ? 'CREATE PROCEDURE' : 'CREATE FUNCTION'
    case 'AlterFunctionStmt':
      return 'ALTER FUNCTION'
    case 'DropStmt':
      return `DROP ${objectWord(t.removeType)}`
    case 'RenameStmt':
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
      return `ALTER ${objectWord(t.renameType ?? t.objectType)}`
    case 'CompositeTypeStmt':
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
    case 'DefineStmt':
      return 'CREATE TYPE'
    case 'CreateDomainStmt':
      return 'CREATE DOMAIN'
    case 'AlterTableStmt':
      return t.objtype === 'OBJECT_TYPE' ? 'ALTER TYPE' : 'ALTER TABLE'
    case 'CreateSchemaStmt':
      return 'CREATE SCHEMA'
    case 'CreateForeignServerStmt':
      return 'CREATE SERVER'
    case 'AlterForeignServerStmt':
      return 'ALTER SERVER'
    case 'CreateUserMappingStmt':
      return 'CREATE USER MAPPING'
    case 'AlterUserMappingStmt':
      return 'ALTER USER MAPPING'
    case 'DropUserMappingStmt':
      return 'DROP USER MAPPING'
    case 'CreateFdwStmt':
      return 'CREATE FOREIGN DATA WRAPPER'
    case 'AlterFdwStmt':
      return 'ALTER FOREIGN DATA WRAPPER'
    case 'GrantStmt':
      return t.is_grant ? 'GRANT' : 'REVOKE'
    default:
      return stmt.node.replace(/Stmt$/, '').toUpperCase()
  }
}

function objectWord(objectType: string | undefined): string {
  const word = String(objectType ?? 'OBJECT_OBJECT').replace(/^OBJECT_/, '')
  return word === 'FOREIGN_SERVER' ? 'SERVER' : word.replace(/_/g, ' ')
}

/** Statements whose effect the compiler follows (types, schemas, SQL/MED). */
const CATALOG_NODES = new Set([
  'CompositeTypeStmt',
  'CreateEnumStmt',
  'CreateRangeStmt',
  'DefineStmt',
  'CreateDomainStmt',
  'AlterTableStmt',
  'CreateSchemaStmt',
  'CreateStmt',
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'DropUserMappingStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
  'GrantStmt',
  'RenameStmt',
  'DropStmt',
])

/** SQL/MED statements: with a proxy database they stay there (its catalogs are read live). */
const SQLMED_NODES = new Set([
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'DropUserMappingStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
  'GrantStmt',
])

const FUNCTION_OBJECTS = new Set(['OBJECT_FUNCTION', 'OBJECT_ROUTINE', 'OBJECT_PROCEDURE'])

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse trees are untyped JSON
type Node = any

/** The functions a DROP/ALTER/RENAME FUNCTION statement names, or undefined for other statements. */
function functionNames(stmt: OtherStatement): string[] | undefined {
  const t = stmt.tree[stmt.node] ?? {}
  const nameOf = (owa: Node): string => (owa?.objname ?? []).map((n: Node) => n?.String?.sval ?? '').join('.')
  switch (stmt.node) {
    case 'DropStmt':
      return FUNCTION_OBJECTS.has(t.removeType)
        ? (t.objects ?? []).map((o: Node) => nameOf(o.ObjectWithArgs))
        : undefined
    case 'AlterFunctionStmt':
      return [nameOf(t.func)]
    case 'RenameStmt':
      return FUNCTION_OBJECTS.has(t.renameType) ? [nameOf(t.object?.ObjectWithArgs)] : undefined
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
      return FUNCTION_OBJECTS.has(t.objectType) ? [nameOf(t.object?.ObjectWithArgs)] : undefined
    default:
      return undefined
  }
}

function isPlproxyFunction(stmt: OtherStatement): boolean {
  if (stmt.node !== 'CreateFunctionStmt') return false
  const options = stmt.tree.CreateFunctionStmt?.options ?? []
  return options.some(
    // biome-ignore lint/suspicious/noExplicitAny: parse tree
    (o: any) =>
      o?.DefElem?.defname === 'language' && String(o.DefElem.arg?.String?.sval).toLowerCase() === 'plproxy',
  )
}

/** Settings a session starts with that plproxy-ts follows itself. */
export interface SessionDefaults {
  readonly searchPath: readonly string[]
  /** statement_timeout as PostgreSQL prints it (`0`, `500`, `2s`) */
  readonly statementTimeout?: string
  /** the role's and database's own DateStyle, TimeZone, IntervalStyle, bytea_output (ALTER ROLE/DATABASE … SET) */
  readonly settings?: Readonly<Record<string, string>>
}

/** Output settings a role or database may set for its sessions, by their lower-case names. */
const OUTPUT_SETTINGS: Readonly<Record<string, string>> = {
  datestyle: 'DateStyle',
  timezone: 'TimeZone',
  intervalstyle: 'IntervalStyle',
  bytea_output: 'bytea_output',
}

/** Serializes DDL across worker processes and hands each applied statement to the others. */
export interface DdlSequencer {
  exclusive<T>(work: () => Promise<{ broadcast?: DdlRecord; value: T }>): Promise<T>
}

export class Core implements ServerCore {
  readonly runtime: SessionRuntime
  readonly ddl: DdlService
  proxyDatabase?: ServerCore['proxyDatabase']
  parameterDefaults: Readonly<Record<string, string>> = BUILTIN_PARAMETERS
  private users: Map<string, Credential> | undefined
  private authPool: pg.Pool | undefined
  private readonly credentialCache = new Map<string, { at: number; credential: Credential | undefined }>()
  private readonly defaultsCache = new Map<string, { at: number; defaults: SessionDefaults }>()

  private constructor(
    private readonly compiler: CompilerSession,
    private readonly proxy: PlProxy,
    private readonly store: DdlStore | undefined,
    private readonly options: CoreOptions,
  ) {
    this.runtime = {
      prepare: (stmt, types, ctx) => proxy.server.prepare(stmt, types, ctx.searchPath),
      run: (prepared, args, o) => proxy.server.run(prepared, args, o),
      isProxyFunction: (name, path) => proxy.server.isProxyFunction(name, path),
      invalidateClusters: () => proxy.server.invalidateClusters(),
      describeType: (type) => proxy.server.describeType(type),
      get generation() {
        return proxy.server.generation
      },
    }
    this.ddl = {
      classify: (stmt, ctx) => this.classify(stmt, ctx),
      apply: (stmt, ctx) => this.apply(stmt, ctx),
    }
  }

  static async create(options: CoreOptions): Promise<Core> {
    await loadPostgresParser()
    const compiler = new CompilerSession({ variables: options.variables, user: options.user })
    const json: { json: unknown }[] = []
    const clusterInputs: ScriptInput[] = []
    let i = 0
    for (const c of options.clusters ?? []) {
      if (typeof c === 'object' && 'json' in c) json.push(c)
      else if (typeof c === 'object' && 'path' in c && c.path.endsWith('.json')) {
        json.push({ json: JSON.parse(await readFile(c.path, 'utf8')) })
      } else clusterInputs.push(await inputOf(c as SqlSource, 'clusters', i++))
    }
    const functionInputs = await Promise.all(options.functions.map((f, k) => inputOf(f, 'functions', k)))
    for (const input of [...clusterInputs, ...functionInputs]) compiler.apply(input)

    // DDL clients sent earlier
    let store: DdlStore | undefined
    const where = options.ddlStore ?? 'auto'
    if (where === 'proxy-db' || (where === 'auto' && options.proxyDatabase)) {
      if (!options.proxyDatabase) throw new ProxyLoadError('--ddl-store proxy-db needs --proxy-db')
      const config = toNodePostgresConfig(
        parseConnectString(options.proxyDatabase),
        process.env,
        localLibpqBuiltins(),
      )
      store = new ProxyDatabaseDdlStore(async () => {
        const c = new pg.Client(config)
        c.on('error', () => {})
        await c.connect()
        return c
      })
    } else if (where === 'file' || where === 'auto') {
      const last = [...options.functions].reverse().find((f) => typeof f === 'object' && 'path' in f) as
        | { path: string }
        | undefined
      if (last) store = new FileDdlStore(last.path)
      else if (where === 'file') throw new ProxyLoadError('--ddl-store file needs a --functions file')
    }
    const records: DdlRecord[] = store ? await store.load() : []
    records.forEach((r, k) => {
      compiler.apply(
        { file: `<kept DDL ${k + 1}>`, text: r.statement },
        { searchPath: r.searchPath, user: r.user },
      )
    })

    const result = compiler.result()
    const errors = result.diagnostics.filter((d) => d.severity === 'error')
    if (errors.length) {
      throw new ProxyLoadError(
        `the PL/Proxy sources have errors:\n${errors.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n')}`,
        errors,
      )
    }
    const proxy = await createProxy({
      functions: result,
      clusters: json,
      proxyDatabase: options.proxyDatabase,
      user: options.user,
      allowEmpty: true,
      observer: options.observer,
    })
    const core = new Core(compiler, proxy, store, options)
    if (options.users) core.users = await loadUsersFile(options.users)
    if (options.proxyDatabase) await core.attachProxyDatabase(options.proxyDatabase)
    if (store) options.log(`DDL from clients is kept in ${store.description}`)
    return core
  }

  private async attachProxyDatabase(connstr: string): Promise<void> {
    const base = toWireOptions(parseConnectString(connstr), process.env, localLibpqBuiltins())
    const name = base.database ?? base.user ?? ''
    this.proxyDatabase = {
      name,
      options: (user, database, credentials) => ({
        ...base,
        user,
        database,
        credentials: credentials ?? (user === base.user ? base.credentials : undefined),
      }),
    }
    // the proxy database's own startup parameters are what clients see
    const probe = await connectWire(base)
    try {
      const defaults: Record<string, string> = { ...BUILTIN_PARAMETERS }
      for (const [k, v] of probe.parameters) defaults[k] = v
      this.parameterDefaults = defaults
    } finally {
      await probe.end()
    }
    this.authPool = new pg.Pool({
      ...toNodePostgresConfig(parseConnectString(connstr), process.env, localLibpqBuiltins()),
      max: 2,
      idleTimeoutMillis: 10_000,
    })
    // an idle connection the proxy database drops (restart, pg_terminate_backend) must not end the server
    this.authPool.on('error', (e) => this.options.log(`proxy database connection lost: ${e.message}`))
  }

  async credentialOf(user: string): Promise<Credential | undefined> {
    if (this.users) return this.users.get(user)
    if (!this.authPool) return undefined
    const cached = this.credentialCache.get(user)
    if (cached && Date.now() - cached.at < 5000) return cached.credential
    // PgBouncer's auth_query: needs a superuser (or pg_read_all_data on pg_authid) on the proxy database
    const res = await this.authPool.query(
      'select rolpassword from pg_catalog.pg_authid where rolname = $1 and rolcanlogin and (rolvaliduntil is null or rolvaliduntil > now())',
      [user],
    )
    const text: string | null | undefined = res.rows[0]?.rolpassword
    const credential = text ? credentialOfText(text) : undefined
    const value = typeof credential === 'object' ? credential : undefined
    this.credentialCache.set(user, { at: Date.now(), credential: value })
    return value
  }

  /**
   * A session's settings at its start that plproxy-ts itself follows
   * (search_path, statement_timeout): the proxy database's settings for the
   * role in that database (ALTER ROLE/DATABASE … SET, in PostgreSQL's order
   * of precedence), else the server's defaults.
   */
  async sessionDefaults(user: string, database: string): Promise<SessionDefaults> {
    const fallback: SessionDefaults = { searchPath: this.options.searchPath ?? ['$user', 'public'] }
    if (!this.authPool) return fallback
    const key = `${user}\u0000${database}`
    const cached = this.defaultsCache.get(key)
    if (cached && Date.now() - cached.at < 5000) return cached.defaults
    const res = await this.authPool.query(
      `select distinct on (split_part(s.setting, '=', 1)) s.setting from (
         select 1 as rank, unnest(setconfig) as setting from pg_catalog.pg_db_role_setting
          where setdatabase = (select oid from pg_catalog.pg_database where datname = $2)
            and setrole = (select oid from pg_catalog.pg_roles where rolname = $1)
         union all
         select 2, unnest(setconfig) from pg_catalog.pg_db_role_setting
          where setdatabase = 0 and setrole = (select oid from pg_catalog.pg_roles where rolname = $1)
         union all
         select 3, unnest(setconfig) from pg_catalog.pg_db_role_setting
          where setdatabase = (select oid from pg_catalog.pg_database where datname = $2) and setrole = 0
         union all
         select 4, name || '=' || case when source in ('database', 'user', 'database user', 'session')
                                        then boot_val else setting end
           from pg_catalog.pg_settings where name in ('search_path', 'statement_timeout')
       ) s where lower(split_part(s.setting, '=', 1)) in
                 ('search_path', 'statement_timeout', 'datestyle', 'timezone', 'intervalstyle', 'bytea_output')
       order by split_part(s.setting, '=', 1), s.rank`,
      [user, database],
    )
    const settings = new Map<string, string>()
    const output: Record<string, string> = {}
    for (const row of res.rows as { setting: string }[]) {
      const eq = row.setting.indexOf('=')
      const name = row.setting.slice(0, eq)
      const value = row.setting.slice(eq + 1)
      settings.set(name, value)
      const canonical = OUTPUT_SETTINGS[name.toLowerCase()]
      if (canonical) output[canonical] = value
    }
    const path = settings.get('search_path')
    const timeout = settings.get('statement_timeout')
    const defaults: SessionDefaults = {
      searchPath: path === undefined ? fallback.searchPath : splitSearchPath(path),
      ...(timeout !== undefined ? { statementTimeout: timeout } : {}),
      ...(Object.keys(output).length ? { settings: output } : {}),
    }
    this.defaultsCache.set(key, { at: Date.now(), defaults })
    return defaults
  }

  private classify(stmt: OtherStatement, ctx: CallContext): 'function' | 'catalog' | undefined {
    if (isPlproxyFunction(stmt)) return 'function'
    const names = functionNames(stmt)
    if (names) {
      return names.some((n) => this.proxy.server.isProxyFunction(n, ctx.searchPath)) ? 'function' : undefined
    }
    if (!CATALOG_NODES.has(stmt.node)) return undefined
    if (stmt.node === 'DropStmt') {
      const kind: string = stmt.tree.DropStmt.removeType
      if (
        !['OBJECT_TYPE', 'OBJECT_DOMAIN', 'OBJECT_SCHEMA', 'OBJECT_TABLE', 'OBJECT_FOREIGN_SERVER'].includes(
          kind,
        )
      )
        return undefined
    }
    if (stmt.node === 'GrantStmt' && stmt.tree.GrantStmt.objtype !== 'OBJECT_FOREIGN_SERVER') return undefined
    if (
      stmt.node === 'RenameStmt' &&
      !['OBJECT_TYPE', 'OBJECT_ATTRIBUTE', 'OBJECT_SCHEMA'].includes(stmt.tree.RenameStmt.renameType)
    )
      return undefined
    // with a proxy database, SQL/MED lives there and is read live
    if (this.proxyDatabase && SQLMED_NODES.has(stmt.node)) return undefined
    return 'catalog'
  }

  /** Worker mode: DDL runs one statement at a time across the workers, and reaches all of them. */
  sequencer: DdlSequencer | undefined

  private async apply(
    stmt: OtherStatement,
    ctx: CallContext,
  ): Promise<{ tag: string; notices: readonly { message: string; code: string; severity: string }[] }> {
    const record: DdlRecord = { statement: stmt.text, user: ctx.user, searchPath: ctx.searchPath }
    type Outcome =
      | SessionError
      | { tag: string; notices: { severity: string; code: string; message: string }[] }
    const work = async (): Promise<{ broadcast?: DdlRecord; value: Outcome }> => {
      const applied = this.compiler.apply(
        { file: '<statement>', text: stmt.text },
        { searchPath: ctx.searchPath, user: ctx.user },
      )
      const error = applied.diagnostics.find((d) => d.severity === 'error')
      if (error) {
        const failure = new SessionError(error.message, error.sqlstate, {
          ...(error.detail ? { detail: error.detail } : {}),
          ...(error.hint ? { hint: error.hint } : {}),
        })
        return { value: failure }
      }
      this.proxy.server.reload(this.compiler.result())
      if (this.store) await this.store.append(record)
      // the compiler's warnings are for people reading files (plproxy compile); PostgreSQL sends none here
      for (const d of applied.diagnostics) {
        if (d.severity === 'warning') this.options.log(`${tagOf(stmt)}: ${d.message}`)
      }
      return { broadcast: record, value: { tag: tagOf(stmt), notices: [] } }
    }
    const outcome = this.sequencer ? await this.sequencer.exclusive(work) : (await work()).value
    if (outcome instanceof SessionError) throw outcome
    return outcome
  }

  /** DDL another worker applied (and kept): compiled here too, so every client sees it. */
  applyFromPeer(record: DdlRecord): void {
    const applied = this.compiler.apply(
      { file: '<statement>', text: record.statement },
      { searchPath: record.searchPath, user: record.user },
    )
    const error = applied.diagnostics.find((d) => d.severity === 'error')
    if (error) this.options.log(`a worker's DDL failed here: ${error.message}`)
    this.proxy.server.reload(this.compiler.result())
  }

  /** the compile result now (for tests and `SHOW`) */
  result(): CompileResult {
    return this.compiler.result()
  }

  async end(): Promise<void> {
    await this.proxy.end()
    await this.authPool?.end()
  }
}

/** `"$user", public` → ['$user', 'public'] (quoted names keep their case and commas). */
export function splitSearchPath(text: string): string[] {
  const out: string[] = []
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,\s][^,]*?))\s*(?:,|$)/gy
  for (let m = re.exec(text); m && m[0] !== ''; m = re.exec(text)) {
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase())
  }
  return out
}

export type { WireCredentials, WireOptions }
