/**
 * `plproxy demo`: the seed article's workload on embedded partitions, end to
 * end — partitions started, the article's tables and data loaded, cluster
 * `digoal` defined as an SQL/MED server, the article's proxy functions
 * compiled unchanged, and calls routed to exactly the partitions PL/Proxy
 * would pick.
 */
import { type Partitions, startPglitePartitions, startPostgresPartitions } from '../demo/partitions.js'
import { DEMO_FUNCTIONS, demoClusterDdl, exampleFile, loadPartition } from '../demo/seed.js'
import { createProxy } from '../runtime/proxy.js'
import { CliUsageError } from './files.js'
import { formatTable } from './format/index.js'
import type { Output } from './output.js'

export interface DemoOptions {
  readonly partitions?: string
  readonly rows?: string
  readonly postgres?: boolean
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0)
    throw new CliUsageError(`--${name} must be a positive integer, got "${value}"`)
  return n
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

export async function demoCommand(options: DemoOptions, out: Output): Promise<number> {
  const count = positive('partitions', options.partitions, 4)
  const users = positive('rows', options.rows, 10_000)
  if (count & (count - 1))
    throw new CliUsageError(`--partitions must be a power of 2 (PL/Proxy's rule), got ${count}`)
  const started = performance.now()
  const isTTY = !!(process.stderr as { isTTY?: boolean }).isTTY
  const progress = (ready: number, total: number, note?: string) => {
    const line = `  partitions: ${ready}/${total} ready${note ? ` — ${note}` : ''} (${seconds(performance.now() - started)})`
    out.stderr(isTTY ? `\r${line}\x1b[K` : `${line}\n`)
  }
  out.stdout(`plproxy-ts demo: the seed article's workload on ${count} partitions\n\n`)
  let partitions: Partitions | undefined
  let proxy: Awaited<ReturnType<typeof createProxy>> | undefined
  try {
    const start = options.postgres ? startPostgresPartitions : startPglitePartitions
    partitions = await start(count, (e) => progress(e.ready, e.total, e.note))
    if (isTTY) out.stderr('\n')
    const list = partitions.list
    out.stdout(
      `${count} partitions on ${partitions.engine}, started in ${seconds(performance.now() - started)}\n`,
    )

    const loadStart = performance.now()
    for (const p of list) await loadPartition(p, count, users)
    out.stdout(
      `loaded ${users.toLocaleString('en-US')} users (userid ≡ k mod ${count} on partition k) with examples/digoal/data-node.sql in ${seconds(performance.now() - loadStart)}\n\n`,
    )

    const clusterDdl = demoClusterDdl(list, partitions.user)
    out.stdout(`cluster digoal, as the article defines it (SQL/MED):\n${clusterDdl.replace(/^/gm, '  ')}\n\n`)
    proxy = await createProxy({
      functions: [exampleFile('proxy.sql'), { file: 'demo.sql', text: DEMO_FUNCTIONS }],
      clusters: [{ file: 'cluster.sql', text: clusterDdl }],
      user: partitions.user,
    })
    out.stdout(
      `proxy functions compiled from examples/digoal/proxy.sql, unchanged: ${proxy.plans
        .filter((p) => p.function.source.file.endsWith('proxy.sql'))
        .map((p) => p.function.qualifiedName)
        .join(', ')}\n`,
    )
    const login = proxy.plan('f_user_login', 1)
    if (login.remoteQuery.kind === 'RemoteQuery') out.stdout(`  remote query: ${login.remoteQuery.sql}\n\n`)

    // calls: userid → hash → partition → the row the partition returned
    const ids = [0, 1, 2, 3, 42, 4099, users - 1, Math.floor(users / 3), users + 7].filter(
      (v, i, a) => a.indexOf(v) === i,
    )
    const rows: (string | null)[][] = []
    for (const id of ids) {
      const route = await proxy.explain('f_user_login', [id])
      const [row] = await proxy.call<Record<string, unknown>>('f_user_login', [id])
      rows.push([
        String(id),
        route.hashes.join(', '),
        route.connections.map((c) => c.partitions.join(',')).join(' '),
        row?.o_userid == null ? null : String(row.o_userid),
        row?.o_engname == null ? null : String(row.o_engname),
        row?.o_cnname == null ? null : String(row.o_cnname),
        row?.o_occupation == null ? null : String(row.o_occupation),
      ])
    }
    out.stdout('select * from f_user_login(userid)   — RUN ON i_userid: partition = userid & 3\n')
    out.stdout(
      formatTable({
        columns: [
          { name: 'userid', typeOid: 23 },
          { name: 'hash', typeOid: 23 },
          { name: 'partition', typeOid: 23 },
          { name: 'o_userid', typeOid: 23 },
          { name: 'o_engname' },
          { name: 'o_cnname' },
          { name: 'o_occupation' },
        ],
        rows,
      }),
    )
    out.stdout(
      `(userid ${users + 7} does not exist: its partition answers a row of NULLs, as the article's function does)\n\n`,
    )

    const logout = await proxy.call<{ o_result: number }>('f_user_logout', [42])
    out.stdout(`select * from f_user_logout(42) → o_result = ${logout[0]?.o_result}\n\n`)

    const summary = await proxy.callText('partition_summary', [])
    out.stdout(
      'select * from partition_summary()   — RUN ON ALL, one row per partition, in partition order\n',
    )
    out.stdout(
      formatTable({
        columns: summary.columns.map((c) => ({ name: c.name, typeOid: c.type.oid })),
        rows: summary.rows,
      }),
    )

    const logins = await proxy.call<{ part: number; userid: number }>('login_rows', [])
    const misplaced = logins.filter((r) => r.userid % count !== r.part)
    out.stdout(
      misplaced.length
        ? `✗ ${misplaced.length} login rows landed on the wrong partition\n`
        : `✓ every one of the ${logins.length} login rows landed on the partition its userid belongs to (userid mod ${count})\n`,
    )
    out.stdout(`\ntotal ${seconds(performance.now() - started)}\n`)
    return misplaced.length ? 1 : 0
  } finally {
    await proxy?.end()
    await partitions?.stop()
  }
}
