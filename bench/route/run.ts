/**
 * bench/route: routes per second with no I/O — everything a call does
 * before sending the remote query (cluster lookup, RUN ON evaluation,
 * partition tagging, connect strings, parameters) — for
 * `RUN ON hashtext(username)` and `RUN ON i_userid`.
 * Goal: ≥ 2,000,000 routes/s.
 *
 *   npm run bench:route [-- --routes 2000000 --runs 5]
 */
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { fmt, markdownTable, median } from '../lib/stats.js'

const { values } = parseArgs({
  options: { routes: { type: 'string', default: '2000000' }, runs: { type: 'string', default: '5' } },
})
const routes = Number(values.routes)
const runs = Number(values.runs)

// the built code (dist/), as users run it: `npm run build` first
const { createProxy } = (await import(
  new URL('../../dist/runtime/proxy.js', import.meta.url).href
)) as typeof import('../../src/runtime/proxy.js')

const proxy = await createProxy({
  functions: `
    create function f_by_name(username text) returns setof int as $$
      cluster 'userdb'; run on hashtext(username);
    $$ language plproxy;
    create function f_by_id(i_userid int) returns setof int as $$
      cluster 'userdb'; run on i_userid;
    $$ language plproxy;`,
  clusters: `
    create server userdb foreign data wrapper plproxy options (
      p0 'host=10.0.0.1 dbname=u0', p1 'host=10.0.0.2 dbname=u1', p2 'host=10.0.0.3 dbname=u2', p3 'host=10.0.0.4 dbname=u3');
    create user mapping for public server userdb options (user 'app', password 'secret');`,
  user: 'app',
})

const names = Array.from({ length: 4096 }, (_, i) => `user_${i.toString(36)}_${(i * 2654435761) % 1000003}`)
const ids = Array.from({ length: 4096 }, (_, i) => String((i * 2654435761) % 50000000))
const byName = proxy.plan('f_by_name', 1)
const byId = proxy.plan('f_by_id', 1)
const router = proxy.router

async function measure(plan: typeof byName, args: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint()
  let check = 0
  for (let i = 0; i < routes; i++) {
    const r = router(plan, [args[i & 4095]!])
    check += (r instanceof Promise ? (await r).connections : r.connections).length
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (check !== routes) throw new Error(`expected one partition per call, got ${check}/${routes}`)
  return routes / seconds
}

const results: Record<string, number[]> = { hashtext: [], int: [] }
for (let r = 0; r < runs; r++) {
  results.hashtext!.push(await measure(byName, names))
  results.int!.push(await measure(byId, ids))
}
await proxy.end()

const lines = [
  '# bench/route',
  '',
  `${fmt(routes)} routes per run, ${runs} runs interleaved, medians. Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}.`,
  'A route is everything a call does before its remote query: cluster, RUN ON, tagging, connect string, parameters.',
  'Goal: ≥ 2,000,000 routes/s.',
  '',
  markdownTable(
    ['RUN ON', 'routes/s (median)', 'best', 'worst'],
    Object.entries(results).map(([k, xs]) => [
      k === 'hashtext' ? '`hashtext(username)`' : '`i_userid` (int4)',
      fmt(median(xs)),
      fmt(Math.max(...xs)),
      fmt(Math.min(...xs)),
    ]),
  ),
  '',
]
console.log(lines.join('\n'))
writeFileSync(new URL('../results/route.md', import.meta.url), lines.join('\n'))
