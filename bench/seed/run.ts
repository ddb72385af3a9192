/**
 * bench/seed: the seed article's benchmark on this machine, plproxy-ts
 * against the real PL/Proxy 2.10 in the same run.
 *
 * One throwaway PostgreSQL 15 cluster: 4 data-node databases with the
 * article's tables (2,000,000 users, userid ≡ k mod 4 on partition k) and a
 * proxy database with the real extension and the article's proxy functions.
 * Targets, interleaved run by run:
 *   (a) pgbench with the article's login script through the real PL/Proxy;
 *   (b) plproxy-ts's embedded runtime, driven by a Node load generator with
 *       the same number of concurrent clients and the same random userids;
 *   (c) the data nodes called directly (pgbench on each node, the clients
 *       spread over them): the upper bound;
 *   (d) pgbench through `plproxy serve` (when src/server exists).
 * Then a RUN ON ALL fan-out series over 4, 16 and 64 partitions (distinct
 * connect strings to the 4 databases) for both implementations.
 *
 *   (e) with --serve-workers N: the same through `plproxy serve --workers N`.
 *
 *   npm run bench:seed [-- --clients 8 --seconds 15 --runs 3 --users 2000000 --serve-workers 2]
 *
 * Installs nothing: says what is missing and stops.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  PG_BIN,
  type PgCluster,
  plproxyMissingReason,
  postgresMissingReason,
  startPgCluster,
} from '../../test/harness/pg-cluster.js'
import { pgbench } from '../lib/pgbench.js'
import { clusterDdl, createDataNodes, partitionDatabase } from '../lib/seed-cluster.js'
import { fmt, markdownTable, median, percentile } from '../lib/stats.js'
import { benchmarkSvg } from '../lib/svg-chart.js'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '15' },
    runs: { type: 'string', default: '3' },
    users: { type: 'string', default: '2000000' },
    'fanout-seconds': { type: 'string', default: '8' },
    /** also (e): pgbench through `plproxy serve --workers N` */
    'serve-workers': { type: 'string', default: '0' },
  },
})
const clients = Number(values.clients)
const seconds = Number(values.seconds)
const runs = Number(values.runs)
const users = Number(values.users)
const fanoutSeconds = Number(values['fanout-seconds'])
const serveWorkers = Number(values['serve-workers'])
/** the `plproxy serve` instances of targets (d) and (e), closed at the end */
const closeServers: (() => Promise<void>)[] = []
const PARTITIONS = 4
const FANOUT = [4, 16, 64]

const log = (s: string) => process.stderr.write(`${s}\n`)
const missing = [
  postgresMissingReason(),
  plproxyMissingReason(),
  existsSync(join(PG_BIN, 'pgbench')) ? undefined : `pgbench not found in ${PG_BIN}`,
  existsSync(new URL('../../dist/runtime/proxy.js', import.meta.url))
    ? undefined
    : 'dist/ is missing: run `npm run build`',
].filter((r): r is string => !!r)
if (missing.length) {
  log(`bench/seed cannot run here:\n${[...new Set(missing)].map((m) => `  - ${m}`).join('\n')}`)
  log(
    'It compares plproxy-ts with the real PL/Proxy 2.10 on PostgreSQL 15: as root, `apt-get install -y postgresql-15-plproxy`.',
  )
  process.exit(2)
}
const { createProxy } = (await import(
  new URL('../../dist/runtime/proxy.js', import.meta.url).href
)) as typeof import('../../src/runtime/proxy.js')
const serverModule = new URL('../../dist/server/index.js', import.meta.url)

const PROXY_SQL = readFileSync(new URL('../../examples/digoal/proxy.sql', import.meta.url), 'utf8')
const LOGIN_SCRIPT = '\\set userid random(0, :maxid)\nSELECT f_user_login(:userid);\n'

function fanoutDdl(cluster: PgCluster, n: number): string {
  // distinct connect strings (application_name) so every partition is its own connection
  const parts = Array.from(
    { length: n },
    (_, k) =>
      `p${k} '${cluster.connstr(partitionDatabase(k % PARTITIONS), `application_name=fan${n}_${k}`)}'`,
  )
  return `create server fan${n} foreign data wrapper plproxy options (${parts.join(', ')});
create user mapping for public server fan${n} options (user '${cluster.user}');
create function proxy.fanout${n}() returns setof int as $$ cluster 'fan${n}'; run on all; select 1; $$ language plproxy;`
}

interface Sample {
  tps: number
  p50: number
  p99: number
}

function sample(tps: number, sorted: readonly number[]): Sample {
  return { tps, p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
}

log('starting a throwaway PostgreSQL 15 cluster…')
const cluster = await startPgCluster({
  name: 'plproxy-bench-seed',
  settings: { max_connections: 800, shared_buffers: '256MB', max_wal_size: '4GB' },
})
try {
  const loadStart = performance.now()
  log(`creating ${PARTITIONS} data nodes with ${fmt(users)} users…`)
  await createDataNodes(cluster, { partitions: PARTITIONS, users, log })
  log(`data nodes ready in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`)

  const clusterSql = clusterDdl(cluster, PARTITIONS)
  const fanoutSql = FANOUT.map((n) => fanoutDdl(cluster, n)).join('\n')
  await cluster.createDatabase('proxy')
  await cluster.query(
    'proxy',
    `create extension plproxy; create schema if not exists proxy; ${clusterSql}
     alter database proxy set search_path = proxy, public;`,
  )
  await cluster.query('proxy', `set search_path = proxy, public; ${PROXY_SQL}`)
  await cluster.query('proxy', fanoutSql)
  const plproxyVersion = (
    await cluster.query<{ v: string }>(
      'proxy',
      "select extversion as v from pg_extension where extname = 'plproxy'",
    )
  )[0]?.v
  const pgVersion = (
    await cluster.query<{ v: string }>('proxy', "select current_setting('server_version') as v")
  )[0]?.v

  const proxy = await createProxy({
    // the same SQL the proxy database got: the article's functions, then the fan-out servers and functions
    functions: [
      { file: 'examples/digoal/proxy.sql', text: PROXY_SQL },
      { file: 'fanout.sql', text: fanoutSql },
    ],
    clusters: [{ file: 'cluster.sql', text: clusterSql }],
    user: cluster.user,
    pool: { max: clients },
  })

  let maxRss = 0
  const rssTimer = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss)
  }, 200)

  async function nodeLoad(
    call: (id: number) => Promise<unknown>,
    concurrency: number,
    secs: number,
    pick: () => number,
  ) {
    const deadline = performance.now() + secs * 1000
    const latencies: number[] = []
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now()
          await call(pick())
          latencies.push(performance.now() - t)
        }
      }),
    )
    latencies.sort((a, b) => a - b)
    return sample(latencies.length / secs, latencies)
  }
  const randomUser = () => Math.floor(Math.random() * users)

  const common = { host: cluster.host, port: cluster.port, user: cluster.user, clients, threads: 2, seconds }
  type Target = { name: string; short: string; run: () => Promise<Sample> }
  const targets: Target[] = [
    {
      name: '(a) pgbench → real PL/Proxy 2.10',
      short: 'PL/Proxy',
      run: async () => {
        const r = await pgbench({
          ...common,
          database: 'proxy',
          script: LOGIN_SCRIPT,
          defines: { maxid: users - 1 },
        })
        return sample(r.tps, r.latencies)
      },
    },
    {
      name: '(b) plproxy-ts embedded runtime',
      short: 'plproxy-ts',
      run: () => nodeLoad((id) => proxy.call('f_user_login', [id]), clients, seconds, randomUser),
    },
    {
      name: '(c) data nodes directly (upper bound)',
      short: 'direct',
      run: async () => {
        const per = Math.max(1, Math.round(clients / PARTITIONS))
        const results = await Promise.all(
          Array.from({ length: PARTITIONS }, (_, k) =>
            pgbench({
              ...common,
              clients: per,
              threads: 1,
              database: partitionDatabase(k),
              script: `\\set n random(0, :maxn)\n\\set userid :n * ${PARTITIONS} + ${k}\nSELECT digoal.f_user_login(:userid);\n`,
              defines: { maxn: Math.floor((users - 1 - k) / PARTITIONS) },
            }),
          ),
        )
        const all = results.flatMap((r) => r.latencies).sort((a, b) => a - b)
        return sample(
          results.reduce((s, r) => s + r.tps, 0),
          all,
        )
      },
    },
  ]
  if (existsSync(serverModule)) {
    const { startServer } = (await import(serverModule.href)) as {
      startServer(o: unknown): Promise<{ port: number; close(): Promise<void> }>
    }
    const serve = async (workers: number, name: string, short: string) => {
      const server = await startServer({
        listen: '127.0.0.1:0',
        functions: [{ file: 'examples/digoal/proxy.sql', text: PROXY_SQL }],
        clusters: [{ file: 'cluster.sql', text: clusterSql }],
        user: cluster.user,
        proxyDatabase: cluster.connstr('proxy', `user=${cluster.user}`),
        ...(workers > 1 ? { workers } : {}),
      })
      targets.push({
        name,
        short,
        run: async () => {
          const r = await pgbench({
            ...common,
            port: server.port,
            database: 'proxy',
            script: LOGIN_SCRIPT,
            defines: { maxid: users - 1 },
          })
          return sample(r.tps, r.latencies)
        },
      })
      closeServers.push(() => server.close())
    }
    await serve(1, '(d) pgbench → plproxy serve', 'serve')
    if (serveWorkers > 1) {
      await serve(
        serveWorkers,
        `(e) pgbench → plproxy serve --workers ${serveWorkers}`,
        `serve ×${serveWorkers}`,
      )
    }
  }

  // warm up every target
  for (const t of targets) {
    log(`warming up: ${t.name}`)
    await (t.short === 'plproxy-ts'
      ? nodeLoad((id) => proxy.call('f_user_login', [id]), clients, 2, randomUser)
      : t.run())
  }
  const results = new Map<string, Sample[]>()
  for (let r = 0; r < runs; r++) {
    for (const t of targets) {
      log(`run ${r + 1}/${runs}: ${t.name}`)
      const s = await t.run()
      log(`  ${fmt(s.tps)} tps, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`)
      results.set(t.name, [...(results.get(t.name) ?? []), s])
    }
  }

  // RUN ON ALL fan-out: one client, latency per call
  const fanout: { n: number; plproxy: Sample; ts: Sample }[] = []
  for (const n of FANOUT) {
    log(`fan-out over ${n} partitions…`)
    const samples: { plproxy: Sample[]; ts: Sample[] } = { plproxy: [], ts: [] }
    for (let r = 0; r < runs; r++) {
      const p = await pgbench({
        ...common,
        clients: 1,
        threads: 1,
        seconds: fanoutSeconds,
        database: 'proxy',
        script: `SELECT count(*) FROM fanout${n}();\n`,
      })
      samples.plproxy.push(sample(p.tps, p.latencies))
      samples.ts.push(
        await nodeLoad(
          () => proxy.callText(`fanout${n}`, []),
          1,
          fanoutSeconds,
          () => 0,
        ),
      )
    }
    const med = (xs: Sample[]) => ({
      tps: median(xs.map((x) => x.tps)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
    })
    fanout.push({ n, plproxy: med(samples.plproxy), ts: med(samples.ts) })
  }
  clearInterval(rssTimer)
  await proxy.end()

  const med = (name: string) => {
    const xs = results.get(name) ?? []
    return {
      tps: median(xs.map((x) => x.tps)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
    }
  }
  const plproxyTps = med(targets[0]!.name).tps
  const rows = targets.map((t) => {
    const m = med(t.name)
    const all = results.get(t.name) ?? []
    return [
      t.name,
      fmt(m.tps),
      all.map((s) => fmt(s.tps)).join(' / '),
      m.p50.toFixed(2),
      m.p99.toFixed(2),
      `${(m.tps / plproxyTps).toFixed(2)}×`,
    ]
  })
  const lines = [
    "# bench/seed — the seed article's workload: plproxy-ts vs the real PL/Proxy",
    '',
    `Machine: ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; PostgreSQL ${pgVersion}; PL/Proxy ${plproxyVersion}.`,
    `Workload: ${fmt(users)} users on ${PARTITIONS} data-node databases of one cluster (userid ≡ k mod ${PARTITIONS} on digoal${'{k}'}),`,
    `\`SELECT f_user_login(:userid)\` with a random userid, ${clients} concurrent clients, ${seconds} s per run, ${runs} interleaved runs; medians.`,
    `pgbench: \`pgbench -n -M extended -c ${clients} -j 2 -T ${seconds} -f login.sql -D maxid=${users - 1}\` (login.sql: \`${LOGIN_SCRIPT.trim().replace('\n', ' ; ')}\`).`,
    `Command: \`npm run bench:seed -- --clients ${clients} --seconds ${seconds} --runs ${runs} --users ${users}${serveWorkers > 1 ? ` --serve-workers ${serveWorkers}` : ''}\`.`,
    '',
    markdownTable(['target', 'TPS (median)', 'TPS per run', 'p50 ms', 'p99 ms', 'vs PL/Proxy'], rows),
    '',
    `plproxy-ts process RSS (max during the runs, load generator included): ${(maxRss / 2 ** 20).toFixed(0)} MiB.`,
    '',
    '## RUN ON ALL fan-out (one client, `select count(*) from fanoutN()`, `select 1` on every partition)',
    '',
    markdownTable(
      [
        'partitions',
        'PL/Proxy p50 ms',
        'plproxy-ts p50 ms',
        'PL/Proxy p99 ms',
        'plproxy-ts p99 ms',
        'PL/Proxy calls/s',
        'plproxy-ts calls/s',
      ],
      fanout.map((f) => [
        String(f.n),
        f.plproxy.p50.toFixed(2),
        f.ts.p50.toFixed(2),
        f.plproxy.p99.toFixed(2),
        f.ts.p99.toFixed(2),
        fmt(f.plproxy.tps),
        fmt(f.ts.tps),
      ]),
    ),
    '',
    `Growth of p50 latency from ${FANOUT[0]} to ${FANOUT[FANOUT.length - 1]} partitions: PL/Proxy ${(fanout[fanout.length - 1]!.plproxy.p50 / fanout[0]!.plproxy.p50).toFixed(1)}×, plproxy-ts ${(fanout[fanout.length - 1]!.ts.p50 / fanout[0]!.ts.p50).toFixed(1)}×.`,
    '',
    '![TPS per target and fan-out latency](seed.svg)',
    '',
  ]
  const report = lines.join('\n')
  console.log(report)
  writeFileSync(new URL('../results/seed.md', import.meta.url), report)
  writeFileSync(
    new URL('../results/seed.svg', import.meta.url),
    benchmarkSvg({
      title: `Seed workload: f_user_login, ${clients} clients (median TPS of ${runs} runs)`,
      barUnit: 'TPS',
      bars: targets.map((t, i) => ({
        label: t.name.replace(/^\(\w\) /, ''),
        value: med(t.name).tps,
        color: ['#888888', '#2f7d32', '#4a7bd0', '#b5651d'][i],
      })),
      lines: {
        title: 'RUN ON ALL fan-out: p50 latency (ms)',
        xLabel: 'partitions',
        yLabel: 'ms',
        series: [
          {
            label: 'PL/Proxy 2.10',
            color: '#888888',
            points: fanout.map((f) => [f.n, f.plproxy.p50] as const),
          },
          { label: 'plproxy-ts', color: '#2f7d32', points: fanout.map((f) => [f.n, f.ts.p50] as const) },
        ],
      },
    }),
  )
} finally {
  for (const close of closeServers) await close().catch(() => {})
  await cluster.stop()
}
