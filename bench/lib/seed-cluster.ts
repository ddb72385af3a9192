/**
 * The seed article's data nodes on a throwaway PostgreSQL: databases
 * digoal0..digoal{n-1}, each with the article's tables and functions
 * (examples/digoal/data-node.sql) and the users whose id ≡ k (mod n).
 */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import type { PgCluster } from '../../test/harness/pg-cluster.js'

export const DATA_NODE_SQL = readFileSync(
  new URL('../../examples/digoal/data-node.sql', import.meta.url),
  'utf8',
)

export interface SeedOptions {
  readonly partitions: number
  /** total users over all partitions */
  readonly users: number
  readonly log?: (line: string) => void
}

export function partitionDatabase(k: number): string {
  return `digoal${k}`
}

export async function createDataNodes(cluster: PgCluster, options: SeedOptions): Promise<void> {
  const { partitions, users } = options
  await Promise.all(
    Array.from({ length: partitions }, async (_, k) => {
      const db = partitionDatabase(k)
      await cluster.query('postgres', `drop database if exists ${db} with (force)`)
      await cluster.createDatabase(db)
      // the article's sessions connect as user digoal, whose "$user" schema holds the tables
      await cluster.query('postgres', `alter database ${db} set search_path = digoal, public`)
      const client = new pg.Client(cluster.clientConfig(db))
      await client.connect()
      try {
        await client.query(DATA_NODE_SQL)
        await client.query('alter table digoal.user_info drop constraint pk_user_info')
        await client.query(
          `insert into digoal.user_info (userid, engname, cnname, occupation, birthday, signname, email, qq, crt_time, mod_time)
           select g, 'digoal.zhou', '德哥', 'DBA', '1970-01-01', E'公益是一辈子的事, I\\'m Digoal.Zhou, Just do it!',
                  'digoal@example.com', 276732431, clock_timestamp(), null
             from generate_series($1::int, $2::int, $3::int) g`,
          [k, users - 1, partitions],
        )
        await client.query('alter table digoal.user_info add constraint pk_user_info primary key (userid)')
        await client.query('analyze')
      } finally {
        await client.end()
      }
      options.log?.(`partition ${k}: ${db} ready`)
    }),
  )
}

/** The article's cluster as SQL/MED DDL for these data nodes. */
export function clusterDdl(cluster: PgCluster, partitions: number, user = cluster.user): string {
  const parts = Array.from(
    { length: partitions },
    (_, k) => `p${k} '${cluster.connstr(partitionDatabase(k))}'`,
  )
  return `create server digoal foreign data wrapper plproxy options (connection_lifetime '1800', disable_binary '1', ${parts.join(', ')});
create user mapping for public server digoal options (user '${user}');`
}
