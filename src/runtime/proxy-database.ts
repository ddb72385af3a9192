/**
 * The proxy database: where PL/Proxy runs its local queries (`RUN ON
 * fn(…)`, `CLUSTER fn(…)`, `CONNECT fn(…)` that are not native) and where
 * live cluster configuration lives (`plproxy.get_cluster_*`, SQL/MED
 * catalogs). Queries are prepared with explicit parameter types, as
 * PL/Proxy's SPI_prepare does with the arguments' types.
 */
import pg from 'pg'
import type { PlanType } from '../compiler/index.js'
import { PlProxyError } from './errors.js'
import { isServerMessage, pgFields } from './pg-fields.js'

export interface LocalRow {
  readonly values: readonly (string | null)[]
}

export interface LocalResult {
  readonly fields: readonly { readonly name: string; readonly typeOid: number }[]
  readonly rows: readonly (readonly (string | null)[])[]
}

const rawText = (value: string) => value

/**
 * node-postgres takes a query's `types` both as the Parse message's
 * parameter type OIDs (an array) and as the result's type-parser provider
 * (getTypeParser): one array serves both, keeping values as text.
 */
function typedParameters(oids: readonly number[]): number[] & { getTypeParser: () => typeof rawText } {
  return Object.assign([...oids], { getTypeParser: () => rawText })
}

export class ProxyDatabase {
  private readonly pool: pg.Pool
  private readonly oids = new Map<string, number>()

  constructor(config: pg.PoolConfig) {
    this.pool = new pg.Pool({ max: 4, idleTimeoutMillis: 10_000, ...config })
    // an idle client's error (server restart) must not crash the process
    this.pool.on('error', () => {})
  }

  /** Runs a local query; PostgreSQL's errors come back as they are, without PL/Proxy's prefix. */
  async query(
    sql: string,
    params: readonly (string | null)[] = [],
    paramTypes: readonly number[] = [],
  ): Promise<LocalResult> {
    try {
      const result = await this.pool.query({
        text: sql,
        values: [...params],
        rowMode: 'array',
        types: typedParameters(paramTypes),
      } as pg.QueryConfig & { rowMode: 'array' })
      return {
        fields: result.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
        rows: result.rows as (string | null)[][],
      }
    } catch (e) {
      if (isServerMessage(e)) throw new PlProxyError(e.message ?? '', { ...pgFields(e), cause: e })
      throw new PlProxyError(`could not query the proxy database: ${(e as Error).message}`, {
        code: '08006',
        cause: e,
      })
    }
  }

  /** The OID of a type (built-in ones are known; others are looked up once). */
  async typeOid(type: PlanType): Promise<number> {
    if (type.oid !== undefined) return type.oid
    const cached = this.oids.get(type.name)
    if (cached !== undefined) return cached
    const r = await this.query('select $1::regtype::oid', [type.name])
    const oid = Number(r.rows[0]?.[0])
    this.oids.set(type.name, oid)
    return oid
  }

  end(): Promise<void> {
    return this.pool.end()
  }
}
