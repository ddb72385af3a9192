/**
 * Finds clusters by name the way PL/Proxy does (spec §5.1): a SQL/MED
 * server of that name wins, then the compat definitions, else
 * `Pl/Proxy: cluster not found: <name>`. Sources, in order: SQL/MED servers
 * from SQL files, SQL/MED servers of the live proxy database, clusters given
 * as objects/JSON, the live proxy database's plproxy.get_cluster_* functions.
 * CONNECT strings become one-partition "fake" clusters.
 */
import { DEFAULT_CLUSTER_CONFIG } from './config.js'
import { ClusterError } from './errors.js'
import type { LiveClusterSource } from './live.js'
import type { Cluster } from './model.js'
import { clusterFromServer, type SqlMedServer } from './sqlmed.js'

export interface ClusterSources {
  /** SQL/MED servers from SQL files */
  readonly servers?: { get(name: string, database?: string): SqlMedServer | undefined }
  /** clusters given as objects */
  readonly objects?: ReadonlyMap<string, Cluster>
  readonly live?: LiveClusterSource
}

/** At most this many distinct CONNECT strings are remembered (PL/Proxy's cache is unbounded). */
const MAX_CONNECT_CLUSTERS = 1024

export class ClusterRegistry {
  private readonly fromServers = new WeakMap<SqlMedServer, Cluster>()
  private readonly connectClusters = new Map<string, Cluster>()
  private sources: ClusterSources

  constructor(sources: ClusterSources) {
    this.sources = sources
  }

  /** The proxy database's definitions may have changed: check them again at the next call. */
  invalidateLive(): void {
    this.sources.live?.invalidate()
  }

  /** SQL/MED servers changed (DDL a wire client sent): the new catalog's, with a new version. */
  replaceServers(servers: ClusterSources['servers']): void {
    this.sources = { ...this.sources, servers }
  }

  /** Whether resolving a name may need the proxy database. */
  get isLive(): boolean {
    return this.sources.live !== undefined
  }

  /** Static lookups only (no proxy database): undefined when a live source might know it. */
  resolveStatic(name: string, database?: string): Cluster | undefined {
    const server = this.sources.servers?.get(name, database)
    if (server) return this.loadServer(server)
    if (this.sources.live) return undefined
    const object = this.sources.objects?.get(name)
    if (object) return object
    throw new ClusterError(`Pl/Proxy: cluster not found: ${name}`, 'plain')
  }

  async resolve(name: string, database?: string): Promise<Cluster> {
    const server = this.sources.servers?.get(name, database)
    if (server) return this.loadServer(server)
    const live = this.sources.live
    const liveServer = live ? await live.server(name) : undefined
    if (liveServer) return this.loadServer(liveServer)
    const object = this.sources.objects?.get(name)
    if (object) return object
    const compat = live ? await live.compatCluster(name) : undefined
    if (compat) return compat
    throw new ClusterError(`Pl/Proxy: cluster not found: ${name}`, 'plain')
  }

  private loadServer(server: SqlMedServer): Cluster {
    let cluster = this.fromServers.get(server)
    if (!cluster) {
      cluster = clusterFromServer(server)
      this.fromServers.set(server, cluster)
    }
    return cluster
  }

  /** The one-partition cluster of a CONNECT string (shared by every function using that string). */
  connectCluster(connstr: string): Cluster {
    let cluster = this.connectClusters.get(connstr)
    if (cluster) {
      // keep recently used strings at the end
      this.connectClusters.delete(connstr)
    } else {
      cluster = {
        name: connstr,
        source: 'connect',
        version: 1,
        partitions: [connstr],
        config: DEFAULT_CLUSTER_CONFIG,
      }
    }
    this.connectClusters.set(connstr, cluster)
    if (this.connectClusters.size > MAX_CONNECT_CLUSTERS) {
      const oldest = this.connectClusters.keys().next().value
      if (oldest !== undefined) this.connectClusters.delete(oldest)
    }
    return cluster
  }
}
