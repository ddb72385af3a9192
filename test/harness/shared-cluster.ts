/**
 * The PostgreSQL cluster shared by all `*.pg.test.ts` files of one run
 * (started by test/harness/global-pg.ts). Each test file creates databases
 * with names of its own, so files do not interfere.
 */

import { inject } from 'vitest'
import { clusterHandle, type PgCluster } from './pg-cluster.js'
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
  return clusterHandle({
    port: info.port,
    socketDir: info.socketDir,
    dataDir: info.dataDir,
    user: 'postgres',
    // the shared cluster is stopped by the global teardown
    stop: async () => {},
  })
}
