/**
 * Clusters defined in a live proxy database: SQL/MED servers in its
 * catalogs, or the `plproxy.get_cluster_version/partitions/config`
 * functions (spec §5.1–5.3), reloaded when their version changes.
 */
import type { ProxyDatabase } from '../proxy-database.js'
import {
  applyConfigKey,
  type ClusterConfig,
  ConfigKeyError,
  DEFAULT_CLUSTER_CONFIG,
  isValidPartitionCount,
} from './config.js'
import { ClusterError } from './errors.js'
import type { Cluster, UserMapping } from './model.js'
import type { SqlMedOption, SqlMedServer } from './sqlmed.js'

const TEXT_OID = 25
const INT4_OID = 23

interface CompatEntry {
  cluster: Cluster
  checkedAt: number
}

/** `{a=1,b=2}`-style option arrays as PostgreSQL prints text[] → name/value pairs */
function optionPairs(options: readonly string[] | null): SqlMedOption[] {
  return (options ?? []).map((o) => {
    const eq = o.indexOf('=')
    return eq < 0 ? { name: o } : { name: o.slice(0, eq), value: o.slice(eq + 1) }
  })
}

function parseTextArray(text: string | null): string[] | null {
  if (text === null) return null
  // options arrays print as {"p0=dbname=x host=y",connection_lifetime=1800}
  const out: string[] = []
  let i = 1
  while (i < text.length - 1) {
    let value = ''
    if (text[i] === '"') {
      i++
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++
        value += text[i++]
      }
      i++
    } else {
      while (i < text.length - 1 && text[i] !== ',') value += text[i++]
    }
    out.push(value)
    if (text[i] === ',') i++
  }
  return out
}

export interface LiveSourceOptions {
  /** how long a checked cluster version stays valid; 0: check on every call, as PL/Proxy does */
  readonly refreshMs: number
}

export class LiveClusterSource {
  private compatAvailable: { value: boolean; checkedAt: number } | undefined
  private readonly compat = new Map<string, CompatEntry>()
  private readonly sqlmed = new Map<string, { server: SqlMedServer | undefined; checkedAt: number }>()
  private sqlmedVersion = 0

  constructor(
    private readonly db: ProxyDatabase,
    private readonly options: LiveSourceOptions,
  ) {}

  /**
   * Forget when things were last checked: the next call checks the proxy
   * database again (after statements that may have changed cluster
   * definitions). Unchanged definitions keep their objects, and so their pools.
   */
  invalidate(): void {
    for (const entry of this.compat.values()) entry.checkedAt = 0
    for (const entry of this.sqlmed.values()) entry.checkedAt = 0
    this.compatAvailable = undefined
  }

  private fresh(checkedAt: number): boolean {
    return this.options.refreshMs > 0 && Date.now() - checkedAt < this.options.refreshMs
  }

  /** The foreign server of that name, if the proxy database has one. */
  async server(name: string): Promise<SqlMedServer | undefined> {
    const cached = this.sqlmed.get(name)
    if (cached && this.fresh(cached.checkedAt)) return cached.server
    const r = await this.db.query(
      `select s.srvoptions::text, w.fdwoptions::text, pg_get_userbyid(s.srvowner),
              (select string_agg(case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee)::text end, ',')
                 from aclexplode(s.srvacl) a where a.privilege_type = 'USAGE')
         from pg_foreign_server s join pg_foreign_data_wrapper w on w.oid = s.srvfdw
        where s.srvname = $1`,
      [name],
      [TEXT_OID],
    )
    let server: SqlMedServer | undefined
    const row = r.rows[0]
    if (row) {
      const mappings = await this.db.query(
        `select case when umuser = 0 then null else usename::text end, umoptions::text
           from pg_user_mappings where srvname = $1`,
        [name],
        [TEXT_OID],
      )
      const userMappings: UserMapping[] = mappings.rows.map((m) => ({
        user: m[0] ?? undefined,
        options: optionPairs(parseTextArray(m[1] ?? null)).map((o) => ({
          name: o.name,
          value: o.value ?? '',
        })),
      }))
      const owner = row[2] ?? undefined
      const grants = row[3]
      const previous = cached?.server
      const next: SqlMedServer = {
        name,
        wrapperOptions: optionPairs(parseTextArray(row[1] ?? null)),
        options: optionPairs(parseTextArray(row[0] ?? null)),
        userMappings,
        // srvacl NULL: only the owner (and superusers); otherwise the grantees
        usage: new Set(grants ? grants.split(',') : []),
        owner,
        version: 0,
      }
      const same =
        previous &&
        JSON.stringify({ ...previous, usage: [...(previous.usage ?? [])], version: 0 }) ===
          JSON.stringify({ ...next, usage: [...(next.usage ?? [])] })
      server = same ? previous : { ...next, version: ++this.sqlmedVersion }
    }
    this.sqlmed.set(name, { server, checkedAt: Date.now() })
    return server
  }

  /** Whether schema plproxy has all three get_cluster_* functions. */
  private async hasCompatFunctions(): Promise<boolean> {
    if (this.compatAvailable && this.fresh(this.compatAvailable.checkedAt)) return this.compatAvailable.value
    const r = await this.db.query(
      `select count(distinct p.proname) = 3 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'plproxy'
          and p.proname in ('get_cluster_version', 'get_cluster_partitions', 'get_cluster_config')
          and p.pronargs = 1 and p.proargtypes[0] = 'text'::regtype`,
    )
    const value = r.rows[0]?.[0] === 't'
    this.compatAvailable = { value, checkedAt: Date.now() }
    return value
  }

  /** A cluster from the plproxy.get_cluster_* functions, or undefined when they do not exist. */
  async compatCluster(name: string): Promise<Cluster | undefined> {
    const cached = this.compat.get(name)
    if (cached && this.fresh(cached.checkedAt)) return cached.cluster
    if (!(await this.hasCompatFunctions())) return undefined
    const v = await this.db.query('select * from plproxy.get_cluster_version($1)', [name], [TEXT_OID])
    if (v.rows.length !== 1) throw new ClusterError(`get_version: got ${v.rows.length} rows`, 'function')
    const versionText = v.rows[0]![0]
    if (versionText === null || versionText === undefined)
      throw new ClusterError('get_version: got NULL?', 'function')
    const version = Number.parseInt(versionText, 10)
    if (cached && cached.cluster.version === version) {
      cached.checkedAt = Date.now()
      return cached.cluster
    }
    const config = await this.compatConfig(name)
    const partitions = await this.compatPartitions(name, config)
    const cluster: Cluster = { name, source: 'functions', version, partitions, config }
    this.compat.set(name, { cluster, checkedAt: Date.now() })
    return cluster
  }

  private async compatConfig(name: string): Promise<ClusterConfig> {
    const r = await this.db.query('select * from plproxy.get_cluster_config($1)', [name], [TEXT_OID])
    if (r.fields.length !== 2) throw new ClusterError('Cluster config must have 2 columns', 'function')
    if (r.fields[0]!.typeOid !== TEXT_OID) throw new ClusterError('Config column 1 must be text', 'function')
    if (r.fields[1]!.typeOid !== TEXT_OID) throw new ClusterError('Config column 2 must be text', 'function')
    let config = DEFAULT_CLUSTER_CONFIG
    for (const [key, val] of r.rows) {
      if (key === null || key === undefined) throw new ClusterError('key must not be NULL', 'function')
      if (val === null || val === undefined) throw new ClusterError('val must not be NULL', 'function')
      try {
        config = applyConfigKey(config, key, val)
      } catch (e) {
        if (e instanceof ConfigKeyError) throw new ClusterError(e.message, e.plain ? 'plain' : 'function')
        throw e
      }
    }
    return config
  }

  private async compatPartitions(name: string, config: ClusterConfig): Promise<string[]> {
    const r = await this.db.query('select * from plproxy.get_cluster_partitions($1)', [name], [TEXT_OID])
    if (!isValidPartitionCount(r.rows.length, config))
      throw new ClusterError('get_partlist: invalid part count', 'function')
    if (r.fields.length < 1)
      throw new ClusterError('Partition config must have at least 1 columns', 'function')
    if (r.fields[0]!.typeOid !== TEXT_OID)
      throw new ClusterError('partition column 1 must be text', 'function')
    return r.rows.map((row) => {
      const connstr = row[0]
      if (connstr === null || connstr === undefined)
        throw new ClusterError('connstr must not be NULL', 'function')
      return connstr
    })
  }
}

export const LIVE_TYPE_OIDS = { text: TEXT_OID, int4: INT4_OID } as const
