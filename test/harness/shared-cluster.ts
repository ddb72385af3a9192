/**
 * The PostgreSQL cluster shared by all `*.pg.test.ts` files of one run
 * (started by test/harness/global-pg.ts). Each test file creates databases
 * with names of its own, so files do not interfere.
 */

import { execFile } from 'node:child_process'
import { join } from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import { PG_BIN, type PgCluster } from './pg-cluster.js'
import { skipUnless } from './prerequisites.js'

export interface SharedClusterInfo {
  missing?: string
  plproxyMissing?: string
  port?: number
  socketDir?: string
  dataDir?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgCluster: SharedClusterInfo
  }
}

export function sharedClusterInfo(): SharedClusterInfo {
  return inject('pgCluster')
}

/** True when the suite must skip because PostgreSQL is missing (throws in CI). */
export function skipWithoutPostgres(what: string): boolean {
  return skipUnless(sharedClusterInfo().missing, what)
}

/** True when the suite must skip because the real PL/Proxy is missing (throws in CI). */
export function skipWithoutPlproxy(what: string): boolean {
  const info = sharedClusterInfo()
  return skipUnless(info.missing ?? info.plproxyMissing, what)
}

let uniq = 0
/** A database name unique to this run and worker. */
export function uniqueDbName(prefix: string): string {
  uniq += 1
  return `${prefix}_${process.pid}_${uniq}`
}

export function sharedCluster(): PgCluster {
  const info = sharedClusterInfo()
  if (info.missing || !info.port || !info.socketDir || !info.dataDir) {
    throw new Error(`no shared PostgreSQL cluster: ${info.missing ?? 'not started'}`)
  }
  const port = info.port
  const user = 'postgres'
  const cluster: PgCluster = {
    host: '127.0.0.1',
    port,
    socketDir: info.socketDir,
    dataDir: info.dataDir,
    user,
    connstr: (database, extra) => `host=127.0.0.1 port=${port} dbname=${database}${extra ? ` ${extra}` : ''}`,
    clientConfig: (database) => ({ host: '127.0.0.1', port, user, database }),
    async query(database, sql, params) {
      const client = new pg.Client(cluster.clientConfig(database))
      await client.connect()
      try {
        const res = await client.query(sql, params as unknown[])
        const last = Array.isArray(res) ? res[res.length - 1] : res
        return (last?.rows ?? []) as never[]
      } finally {
        await client.end()
      }
    },
    psql(database, script, args = []) {
      return new Promise((resolve) => {
        const child = execFile(
          join(PG_BIN, 'psql'),
          ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', database, ...args],
          { env: { ...process.env, PGOPTIONS: '' }, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code =
              err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 0
            resolve({ stdout, stderr, code })
          },
        )
        child.stdin?.end(script)
      })
    },
    async createDatabase(name, opts) {
      const template = opts?.template ? ` template ${opts.template}` : ''
      await cluster.query('postgres', `create database "${name.replace(/"/g, '""')}"${template}`)
    },
    async stop() {
      // the shared cluster is stopped by the global teardown
    },
  }
  return cluster
}
