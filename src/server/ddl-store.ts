/**
 * Where the DDL clients send to `plproxy serve` (CREATE/DROP FUNCTION …
 * LANGUAGE plproxy, and the type and SQL/MED statements the compiler
 * follows) is kept, so that it survives a restart: a table of the proxy
 * database, or a SQL file of --functions (appended to, as psql would run
 * it again). Statements are replayed in order at start.
 */
import { appendFile, open } from 'node:fs/promises'
import type pg from 'pg'

export interface DdlRecord {
  readonly statement: string
  readonly user: string
  /** the client's search_path when it ran */
  readonly searchPath: readonly string[]
}

export interface DdlStore {
  /** statements kept earlier, in order (a file store returns none: the file is read with --functions) */
  load(): Promise<DdlRecord[]>
  append(record: DdlRecord): Promise<void>
  /** for logs */
  readonly description: string
}

function searchPathSql(path: readonly string[]): string {
  return path.map((s) => (s === '$user' ? '"$user"' : `"${s.replace(/"/g, '""')}"`)).join(', ')
}

/** Appends to a SQL file: a comment saying who and when, the search_path, the statement. */
export class FileDdlStore implements DdlStore {
  constructor(readonly path: string) {}

  get description(): string {
    return `the file ${this.path}`
  }

  async load(): Promise<DdlRecord[]> {
    return []
  }

  async append(record: DdlRecord): Promise<void> {
    const statement = record.statement.trim().replace(/;\s*$/, '')
    const text =
      `\n-- added by plproxy serve for ${record.user.replace(/\n/g, ' ')} at ${new Date().toISOString()}\n` +
      `set search_path = ${searchPathSql(record.searchPath)};\n${statement};\nreset search_path;\n`
    await appendFile(this.path, text, 'utf8')
    // the statement has taken effect for every client: make it durable before saying so
    const handle = await open(this.path, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }
}

const TABLE = 'plproxy_ts.ddl_log'

/** A table of the proxy database: plproxy_ts.ddl_log. */
export class ProxyDatabaseDdlStore implements DdlStore {
  private ready: Promise<void> | undefined

  constructor(private readonly connect: () => Promise<pg.Client>) {}

  get description(): string {
    return `the proxy database's table ${TABLE}`
  }

  private async withClient<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = await this.connect()
    try {
      return await work(client)
    } finally {
      await client.end().catch(() => {})
    }
  }

  private ensure(): Promise<void> {
    this.ready ??= this.withClient(async (c) => {
      await c.query(`create schema if not exists plproxy_ts;
        create table if not exists ${TABLE} (
          id bigserial primary key,
          created_at timestamptz not null default now(),
          created_by text not null,
          search_path text[] not null,
          statement text not null
        )`)
    }).catch((e) => {
      this.ready = undefined
      throw e
    })
    return this.ready
  }

  async load(): Promise<DdlRecord[]> {
    await this.ensure()
    return this.withClient(async (c) => {
      const res = await c.query(`select created_by, search_path, statement from ${TABLE} order by id`)
      return res.rows.map((r: { created_by: string; search_path: string[]; statement: string }) => ({
        statement: r.statement,
        user: r.created_by,
        searchPath: r.search_path,
      }))
    })
  }

  async append(record: DdlRecord): Promise<void> {
    await this.ensure()
    await this.withClient(async (c) => {
      await c.query(`insert into ${TABLE} (created_by, search_path, statement) values ($1, $2, $3)`, [
        record.user,
        record.searchPath,
        record.statement,
      ])
    })
  }
}
