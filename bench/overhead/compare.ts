/**
 * bench/overhead/compare: the runtime of two builds side by side (e.g. the
 * committed one built into another directory, and this tree's dist/),
 * interleaved with bare node-postgres on the same partitions: calls/s and
 * Node CPU per call, medians. For before/after figures on one machine state.
 *
 *   git archive HEAD | tar -x -C /tmp/before && (cd /tmp/before && ln -s $PWD/node_modules && npx tsc -p tsconfig.build.json)
 *   npx tsx bench/overhead/compare.ts --before /tmp/before/dist [--clients 8 --seconds 5 --runs 5 --users 100000]
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { postgresMissingReason, startPgCluster } from '../../test/harness/pg-cluster.js'
import { clusterDdl, createDataNodes, partitionDatabase } from '../lib/seed-cluster.js'
import { fmt, markdownTable, median } from '../lib/stats.js'

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    clients: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    users: { type: 'string', default: '100000' },
  },
})
if (!values.before) {
  console.error('--before <dist directory of the other build> is required')
  process.exit(2)
}
const clients = Number(values.clients)
const seconds = Number(values.seconds)
const runs = Number(values.runs)
const users = Number(values.users)
const missing = postgresMissingReason()
if (missing) {
  console.error(`needs PostgreSQL 15 server binaries: ${missing}`)
  process.exit(2)
}
type ProxyModule = typeof import('../../src/runtime/proxy.js')
const load = async (dist: string) =>
  (await import(pathToFileURL(resolve(dist, 'runtime/proxy.js')).href)) as ProxyModule
const before = await load(values.before)
const after = await load(new URL('../../dist', import.meta.url).pathname)

const log = (s: string) => process.stderr.write(`${s}\n`)
const cluster = await startPgCluster({ name: 'plproxy-bench-compare', settings: { max_connections: 200 } })
try {
  await createDataNodes(cluster, { partitions: 4, users, log })
  const source = {
    file: 'proxy.sql',
    text: readFileSync(new URL('../../examples/digoal/proxy.sql', import.meta.url), 'utf8'),
  }
  const make = (m: ProxyModule) =>
    m.createProxy({
      functions: [source],
      clusters: [{ file: 'cluster.sql', text: clusterDdl(cluster, 4) }],
      user: cluster.user,
      pool: { max: clients },
    })
  const proxyBefore = await make(before)
  const proxyAfter = await make(after)
  const plan = proxyAfter.plan('f_user_login', 1)
  if (plan.remoteQuery.kind !== 'RemoteQuery') throw new Error('unexpected plan')
  const sql = plan.remoteQuery.sql
  const pools = Array.from(
    { length: 4 },
    (_, k) => new pg.Pool({ ...cluster.clientConfig(partitionDatabase(k)), max: clients }),
  )
  const targets: Record<string, (id: number) => Promise<unknown>> = {
    'runtime, before': (id) => proxyBefore.call('f_user_login', [id]),
    'runtime, after': (id) => proxyAfter.call('f_user_login', [id]),
    'bare node-postgres': (id) => pools[id & 3]!.query(sql, [id]),
  }
  const measure = async (t: (id: number) => Promise<unknown>) => {
    let calls = 0
    const deadline = performance.now() + seconds * 1000
    const cpu0 = process.cpuUsage()
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < deadline) {
          await t(Math.floor(Math.random() * users))
          calls++
        }
      }),
    )
    const cpu = process.cpuUsage(cpu0)
    return { tps: calls / seconds, cpu: (cpu.user + cpu.system) / calls }
  }
  for (const t of Object.values(targets)) await Promise.all(Array.from({ length: 400 }, (_, i) => t(i)))
  const results: Record<string, { tps: number; cpu: number }[]> = {}
  for (let r = 0; r < runs; r++) {
    for (const [name, t] of Object.entries(targets)) {
      log(`run ${r + 1}/${runs}: ${name}`)
      const list = results[name] ?? []
      list.push(await measure(t))
      results[name] = list
    }
  }
  await Promise.all([proxyBefore.end(), proxyAfter.end(), ...pools.map((p) => p.end())])
  const tps = (n: string) => median((results[n] ?? []).map((x) => x.tps))
  const lines = [
    `f_user_login, ${clients} clients, ${seconds} s × ${runs} interleaved runs, medians`,
    '',
    markdownTable(
      ['target', 'calls/s', 'Node CPU µs/call', 'vs bare node-postgres'],
      Object.entries(results).map(([name, xs]) => [
        name,
        fmt(tps(name)),
        fmt(median(xs.map((x) => x.cpu)), 1),
        `${fmt((tps(name) / tps('bare node-postgres')) * 100, 1)}%`,
      ]),
    ),
  ]
  console.log(lines.join('\n'))
} finally {
  await cluster.stop()
}
