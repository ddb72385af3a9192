/**
 * bench/wire: node-postgres's query path against WireConnection's, on the
 * same throwaway PostgreSQL 15, same concurrency (one connection per loop),
 * text parameters and text rows both ways (node-postgres as the executor
 * used it: rowMode 'array', no type parsing). Interleaved runs, medians;
 * calls/s and microseconds of Node CPU (user + system, process.cpuUsage)
 * per call — the part of a call's cost the driver decides.
 *
 *   npx tsx bench/wire/run.ts [-- --loops 8 --seconds 3 --runs 5]
 */
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { connectWire, type WireConnection } from '../../src/runtime/wire/index.js'
import { postgresMissingReason, startPgCluster } from '../../test/harness/pg-cluster.js'
import { fmt, markdownTable, median } from '../lib/stats.js'

const { values } = parseArgs({
  options: {
    loops: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '5' },
  },
})
const loops = Number(values.loops)
const seconds = Number(values.seconds)
const runs = Number(values.runs)

const missing = postgresMissingReason()
if (missing) {
  console.error(`bench/wire needs PostgreSQL 15 server binaries: ${missing}`)
  process.exit(2)
}

const log = (s: string) => process.stderr.write(`${s}\n`)
log('starting a throwaway PostgreSQL 15…')
const cluster = await startPgCluster({ name: 'plproxy-bench-wire' })

const WORKLOADS: Record<string, { sql: string; params: (i: number) => string[] }> = {
  'select $1::int4': { sql: 'select $1::int4', params: (i) => [String(i)] },
  'function call, 8 columns': {
    sql: 'select * from f_user($1::int4)',
    params: (i) => [String(i % 1000)],
  },
}

const textValues = { getTypeParser: () => (value: string) => value }

type Runner = (sql: string, params: string[]) => Promise<unknown>

try {
  await cluster.query(
    'postgres',
    `create table users (id int primary key, name text, email text, born date, score numeric, note text, seen timestamptz, flag bool);
     insert into users select g, 'user ' || g, 'u' || g || '@example.com', '1970-01-01'::date + g, g * 1.5,
       'a note of some length for user ' || g, '2024-01-01'::timestamptz + g * interval '1 min', g % 2 = 0
       from generate_series(0, 999) g;
     create function f_user(i int) returns setof users language sql stable as 'select * from users where id = i';`,
  )
  const pgClients = await Promise.all(
    Array.from({ length: loops }, async () => {
      const c = new pg.Client(cluster.clientConfig('postgres'))
      await c.connect()
      return c
    }),
  )
  const wires: WireConnection[] = await Promise.all(
    Array.from({ length: loops }, () =>
      connectWire({
        host: cluster.host,
        port: cluster.port,
        user: cluster.user,
        database: 'postgres',
        sslmode: 'disable',
      }),
    ),
  )
  const drivers: Record<string, (k: number) => Runner> = {
    'node-postgres (pg.Client)': (k) => (sql, params) =>
      pgClients[k]!.query({
        text: sql,
        values: params,
        rowMode: 'array',
        types: textValues,
      } as pg.QueryConfig),
    WireConnection: (k) => (sql, params) => wires[k]!.query(sql, params),
    'WireConnection, raw rows': (k) => (sql, params) => wires[k]!.query(sql, params, { raw: true }),
  }

  async function load(driver: (k: number) => Runner, sql: string, params: (i: number) => string[]) {
    let calls = 0
    const deadline = performance.now() + seconds * 1000
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: loops }, async (_, k) => {
        const run = driver(k)
        let i = k
        while (performance.now() < deadline) {
          await run(sql, params(i))
          i += loops
          calls++
        }
      }),
    )
    const elapsed = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    return {
      rate: calls / elapsed,
      cpuPerCall: (cpu.user + cpu.system) / calls,
      sysPerCall: cpu.system / calls,
    }
  }

  const results: Record<
    string,
    Record<string, { rate: number; cpuPerCall: number; sysPerCall: number }[]>
  > = {}
  for (const [w, { sql, params }] of Object.entries(WORKLOADS)) {
    // warm-up: connections, JIT
    for (const d of Object.values(drivers)) await load(d, sql, params).catch(() => undefined)
    results[w] = {}
    for (let r = 0; r < runs; r++) {
      for (const [name, d] of Object.entries(drivers)) {
        log(`${w}, run ${r + 1}/${runs}: ${name}`)
        const list = results[w]![name] ?? []
        list.push(await load(d, sql, params))
        results[w]![name] = list
      }
    }
  }
  await Promise.all(pgClients.map((c) => c.end()))
  await Promise.all(wires.map((c) => c.end()))

  const lines = [
    '# bench/wire',
    '',
    `${loops} concurrent loops, one connection each, ${seconds} s per run, ${runs} interleaved runs, medians.`,
    `Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length} (PostgreSQL on the same machine).`,
    '',
  ]
  for (const [w, byDriver] of Object.entries(results)) {
    const base = median((byDriver['node-postgres (pg.Client)'] ?? []).map((x) => x.cpuPerCall))
    lines.push(
      `## ${w}`,
      '',
      markdownTable(
        ['driver', 'calls/s', 'Node CPU µs/call', 'of which system', 'CPU vs node-postgres'],
        Object.entries(byDriver).map(([name, xs]) => {
          const cpu = median(xs.map((x) => x.cpuPerCall))
          return [
            name,
            fmt(median(xs.map((x) => x.rate))),
            fmt(cpu, 1),
            fmt(median(xs.map((x) => x.sysPerCall)), 1),
            `${fmt((cpu / base) * 100)}%`,
          ]
        }),
      ),
      '',
    )
  }
  console.log(lines.join('\n'))
  writeFileSync(new URL('../results/wire.md', import.meta.url), lines.join('\n'))
} finally {
  await cluster.stop()
}
