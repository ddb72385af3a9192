/**
 * The seed article's data node, loaded into a demo partition: its tables
 * and functions (examples/digoal/data-node.sql, unchanged), and the users
 * whose id ≡ k (mod n) on partition k.
 */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import type { Partition } from './partitions.js'

export const EXAMPLES = new URL('../../examples/digoal/', import.meta.url)

export function exampleFile(name: string): { file: string; text: string } {
  const url = new URL(name, EXAMPLES)
  return { file: `examples/digoal/${name}`, text: readFileSync(url, 'utf8') }
}

export async function loadPartition(partition: Partition, partitions: number, users: number): Promise<void> {
  const client = new pg.Client(partition.clientConfig)
  await client.connect()
  try {
    // the article's sessions connect as user digoal, whose "$user" schema holds the tables
    await client.query(`alter database ${partition.clientConfig.database} set search_path = digoal, public`)
    await client.query('set search_path = digoal, public')
    await client.query(exampleFile('data-node.sql').text)
    // which partition this is, for the RUN ON ALL summary
    await client.query(
      `create function digoal.partition_id() returns int language sql immutable as 'select ${partition.index}'`,
    )
    await client.query(
      `insert into digoal.user_info (userid, engname, cnname, occupation, birthday, signname, email, qq, crt_time, mod_time)
       select g, 'digoal.zhou', '德哥', 'DBA', '1970-01-01', E'公益是一辈子的事, I\\'m Digoal.Zhou, Just do it!',
              'digoal@example.com', 276732431, clock_timestamp(), null
         from generate_series($1::int, $2::int, $3::int) g`,
      [partition.index, users - 1, partitions],
    )
    await client.query('analyze digoal.user_info')
  } finally {
    await client.end()
  }
}

/** The demo's cluster definition: the article's SQL/MED server, pointed at the demo partitions. */
export function demoClusterDdl(list: readonly Partition[], user: string): string {
  const parts = list.map((p) => `    p${p.index} '${p.connstr}'`).join(',\n')
  return `create server digoal foreign data wrapper plproxy options (
    connection_lifetime '1800',
    disable_binary '1',
${parts}
);
create user mapping for public server digoal options (user '${user}');`
}

/** Two more proxy functions for the demo's summary: RUN ON ALL with a custom SELECT. */
export const DEMO_FUNCTIONS = `
create function proxy.partition_summary(out part int, out users bigint, out logins bigint) returns setof record as $$
  cluster 'digoal';
  run on all;
  select digoal.partition_id() as part,
         (select count(*) from digoal.user_info) as users,
         (select count(*) from digoal.user_login_rec) as logins;
$$ language plproxy;

create function proxy.login_rows(out part int, out userid int) returns setof record as $$
  cluster 'digoal';
  run on all;
  select digoal.partition_id() as part, r.userid from digoal.user_login_rec r;
$$ language plproxy;
`
