/**
 * Vitest global setup for the `pg` project: one throwaway PostgreSQL 15
 * cluster for the whole run, stopped at teardown.
 */
import type { TestProject } from 'vitest/node'
import { type PgCluster, plproxyMissingReason, postgresMissingReason, startPgCluster } from './pg-cluster.js'

let cluster: PgCluster | undefined

export async function setup(project: TestProject): Promise<void> {
  const missing = postgresMissingReason()
  if (missing) {
    project.provide('pgCluster', { missing })
    return
  }
  cluster = await startPgCluster({ name: 'plproxy-ts-test' })
  project.provide('pgCluster', {
    port: cluster.port,
    socketDir: cluster.socketDir,
    dataDir: cluster.dataDir,
    plproxyMissing: plproxyMissingReason(),
  })
}

export async function teardown(): Promise<void> {
  await cluster?.stop()
}
