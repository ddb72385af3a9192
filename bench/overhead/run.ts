/**
 * bench/overhead: one proxy call through the runtime against the same
 * remote query sent with bare node-postgres to the same partition, at the
 * same concurrency. Goal: the runtime ≤ 10% slower. Also against a bare
 * WireConnection (the runtime's own driver), which isolates what the
 * runtime adds; and the Node CPU each call costs (process.cpuUsage), the
 * figure that stays meaningful on a shared or busy machine.
 *
 *   npm run bench:overhead [-- --clients 8 --seconds 5 --runs 3 --users 100000]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { connectWire } from '../../src/runtime/wire/index.js'
import { postgresMissingReason, startPgCluster } from '../../test/harness/pg-cluster.js'
import { clusterDdl, createDataNodes, partitionDatabase } from '../lib/seed-cluster.js'
import { fmt, markdownTable, median, percentile } from '../lib/stats.js'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    users: { type: 'string', default: '100000' },
    only: { type: 'string' },
  },
})
const clients = Number(values.clients)
const seconds = Number(values.seconds)
const runs = Number(values.runs)
const users = Number(values.users)
const PARTITIONS = 4

const missing = postgresMissingReason()
if (missing) {
  console.error(`bench/overhead needs PostgreSQL 15 server binaries: ${missing}`)
  process.exit(2)
}
const { createProxy } = (await import(
  new URL('../../dist/runtime/proxy.js', import.meta.url).href
)) as typeof import('../../src/runtime/proxy.js')

const log = (s: string) => process.stderr.write(`${s}\n`)
log('starting a throwaway PostgreSQL 15…')
const cluster = await startPgCluster({ name: 'plproxy-bench-overhead', settings: { max_connections: 200 } })
try {
  await createDataNodes(cluster, { partitions: PARTITIONS, users, log })
  const proxy = await createProxy({
    functions: [
      {
        file: 'proxy.sql',
        text: readFileSync(new URL('../../examples/digoal/proxy.sql', import.meta.url), 'utf8'),
      },
    ],
    clusters: [{ file: 'cluster.sql', text: clusterDdl(cluster, PARTITIONS) }],
    user: cluster.user,
    pool: { max: clients },
  })
  const plan = proxy.plan('f_user_login', 1)
  if (plan.remoteQuery.kind !== 'RemoteQuery') throw new Error('unexpected plan')
  const sql = plan.remoteQuery.sql
  const pools = Array.from(
    { length: PARTITIONS },
    (_, k) => new pg.Pool({ ...cluster.clientConfig(partitionDatabase(k)), max: clients }),
  )

  // one WireConnection per client loop and partition
  const wires = await Promise.all(
    Array.from({ length: clients }, () =>
      Promise.all(
        Array.from({ length: PARTITIONS }, (_, k) =>
          connectWire({
            host: cluster.host,
            port: cluster.port,
            user: cluster.user,
            database: partitionDatabase(k),
            sslmode: 'disable',
          }),
        ),
      ),
    ),
  )

  /** a call by client loop `loop` */
  type Target = (userid: number, loop: number) => Promise<unknown>
  const targets: Record<string, Target> = {
    'plproxy-ts runtime (`proxy.call`)': (id) => proxy.call('f_user_login', [id]),
    'bare node-postgres, same SQL, same partition': (id) => pools[id & 3]!.query(sql, [id]),
    'bare WireConnection, same SQL, same partition': (id, loop) =>
      wires[loop]![id & 3]!.query(sql, [String(id)]),
  }

  interface Figures {
    tps: number
    p50: number
    p99: number
    /** µs of Node CPU (user + system) per call */
    cpu: number
    /** of which in the kernel (system) */
    sys: number
  }

  async function load(target: Target): Promise<Figures> {
    const deadline = performance.now() + seconds * 1000
    const latencies: number[] = []
    const cpu0 = process.cpuUsage()
    await Promise.all(
      Array.from({ length: clients }, async (_, loop) => {
        while (performance.now() < deadline) {
          const id = Math.floor(Math.random() * users)
          const t = performance.now()
          await target(id, loop)
          latencies.push(performance.now() - t)
        }
      }),
    )
    const cpu = process.cpuUsage(cpu0)
    latencies.sort((a, b) => a - b)
    return {
      tps: latencies.length / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      cpu: (cpu.user + cpu.system) / latencies.length,
      sys: cpu.system / latencies.length,
    }
  }

  if (values.only) {
    for (const name of Object.keys(targets)) if (!name.startsWith(values.only)) delete targets[name]
  }
  // warm both paths (connections, JIT)
  for (const t of Object.values(targets)) {
    for (let i = 0; i < 200; i += clients) {
      await Promise.all(Array.from({ length: clients }, (_, loop) => t(i + loop, loop)))
    }
  }
  const results: Record<string, Figures[]> = {}
  for (let r = 0; r < runs; r++) {
    for (const [name, t] of Object.entries(targets)) {
      log(`run ${r + 1}/${runs}: ${name}`)
      const list = results[name] ?? []
      list.push(await load(t))
      results[name] = list
    }
  }
  await proxy.end()
  await Promise.all(pools.map((p) => p.end()))
  await Promise.all(wires.flat().map((w) => w.end()))

  const [runtimeName, bareName, wireName] = Object.keys(targets) as [string, string, string]
  const tpsOf = (name: string) => median((results[name] ?? []).map((x) => x.tps))
  const cpuOf = (name: string) => median((results[name] ?? []).map((x) => x.cpu))
  const slower = (1 - tpsOf(runtimeName) / tpsOf(bareName)) * 100
  const signed = (d: number) => `${d >= 0 ? '+' : '−'}${fmt(Math.abs(d), 1)}`
  const versus = (other: string, what: string) => {
    if (!results[runtimeName] || !results[other]) return ''
    const pct = (1 - tpsOf(runtimeName) / tpsOf(other)) * 100
    return (
      `Runtime vs ${what}: throughput ${fmt(100 - pct, 1)}% (${pct >= 0 ? `${fmt(pct, 1)}% slower` : `${fmt(-pct, 1)}% faster`}), ` +
      `Node CPU per call ${fmt(cpuOf(runtimeName), 1)} µs vs ${fmt(cpuOf(other), 1)} µs (${signed(cpuOf(runtimeName) - cpuOf(other))} µs).`
    )
  }
  const lines = [
    '# bench/overhead',
    '',
    `f_user_login on 4 partitions (${fmt(users)} users), ${clients} concurrent clients, ${seconds} s per run, ${runs} interleaved runs, medians.`,
    `Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}. Goal: the runtime ≤ 10% slower than bare node-postgres.`,
    '',
    markdownTable(
      ['target', 'calls/s', 'p50 ms', 'p99 ms', 'Node CPU µs/call', 'of which system'],
      Object.entries(results).map(([name, xs]) => [
        name,
        fmt(median(xs.map((x) => x.tps))),
        fmt(median(xs.map((x) => x.p50)), 2),
        fmt(median(xs.map((x) => x.p99)), 2),
        fmt(median(xs.map((x) => x.cpu)), 1),
        fmt(median(xs.map((x) => x.sys)), 1),
      ]),
    ),
    '',
    `Runtime throughput vs bare node-postgres: ${fmt(100 - slower, 1)}% (${slower >= 0 ? `${fmt(slower, 1)}% slower` : `${fmt(-slower, 1)}% faster`}).`,
    '',
    versus(bareName, 'bare node-postgres'),
    versus(wireName, 'bare WireConnection (what the runtime adds to its driver)'),
    '',
  ]
  console.log(lines.join('\n'))
  writeFileSync(new URL('../results/overhead.md', import.meta.url), lines.join('\n'))
} finally {
  await cluster.stop()
}
