/**
 * Shared helpers of the runtime integration tests: partition databases on the shared
 * throwaway PostgreSQL, pg_stat_activity probes, SQL files on disk, the CLI with
 * captured output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../../../src/cli/main.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { uniqueDbName } from '../../harness/shared-cluster.js'

/** Creates `count` databases named `<prefix>_<pid>_<n>` and runs `setup(i)` in each. */
export async function createPartitions(
  cluster: PgCluster,
  prefix: string,
  count: number,
  setup: (index: number, db: string) => string,
): Promise<string[]> {
  const names = Array.from({ length: count }, () => uniqueDbName(prefix))
  for (const [i, db] of names.entries()) {
    await cluster.createDatabase(db)
    const sql = setup(i, db)
    if (sql.trim()) await cluster.query(db, sql)
  }
  return names
}

export interface Backend {
  pid: number
  state: string | null
  query: string
  usename: string
}

/** Client backends connected to a database (the probing connection excluded). */
export async function backends(cluster: PgCluster, db: string): Promise<Backend[]> {
  return cluster.query<Backend>(
    'postgres',
    `select pid, state, query, usename::text as usename from pg_stat_activity
      where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid()
      order by pid`,
    [db],
  )
}

/** Backends of a database currently running a query that contains `needle`. */
export async function activeQueries(cluster: PgCluster, db: string, needle: string): Promise<Backend[]> {
  return (await backends(cluster, db)).filter((b) => b.state === 'active' && b.query.includes(needle))
}

/** Polls `probe` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs = 5000,
  stepMs = 50,
): Promise<boolean> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return true
    if (Date.now() > end) return false
    await sleep(stepMs)
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Writes `text` to a new temporary file and returns its path. */
export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plproxy-rt-'))
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** Runs `plproxy …` in-process with captured output. */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
  })
  return { code, stdout, stderr }
}

/** The rejection of a promise (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await p
  } catch (e) {
    return e as Record<string, unknown> & Error
  }
  throw new Error('expected the promise to reject, it resolved')
}

/** A TCP port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** Handles (sockets, timers, servers) that keep the event loop alive, by constructor name. */
export function activeHandles(): Record<string, number> {
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles()
  const out: Record<string, number> = {}
  for (const h of handles) {
    const name = h.constructor?.name ?? 'unknown'
    out[name] = (out[name] ?? 0) + 1
  }
  return out
}

/** Open TCP sockets to a port. */
export function socketsTo(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles()
  return handles.filter(
    (h) =>
      h.constructor?.name === 'Socket' &&
      (h as { remotePort?: number }).remotePort === port &&
      !(h as { destroyed?: boolean }).destroyed,
  ).length
}
