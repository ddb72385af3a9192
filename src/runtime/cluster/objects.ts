/**
 * Clusters given as plain objects or JSON (the API's and the CLI's
 * `--clusters file.json`), validated like PL/Proxy validates the
 * `plproxy.get_cluster_*` answers.
 */
import { applyConfigKey, ConfigKeyError, DEFAULT_CLUSTER_CONFIG, isValidPartitionCount } from './config.js'
import type { Cluster } from './model.js'

export interface ClusterObject {
  /** partition connect strings, partition 0 first */
  readonly partitions: readonly string[]
  /** config keys (connection_lifetime, query_timeout, modular_mapping, …) */
  readonly config?: Readonly<Record<string, string | number>>
  readonly version?: number
}

export type ClusterObjects = Readonly<Record<string, ClusterObject>>

export class ClusterDefinitionError extends Error {}

/** Builds a Cluster from an object, with clear errors naming the cluster. */
export function clusterFromObject(name: string, def: ClusterObject): Cluster {
  if (!def || !Array.isArray(def.partitions)) {
    throw new ClusterDefinitionError(`cluster "${name}": "partitions" must be an array of connect strings`)
  }
  let config = DEFAULT_CLUSTER_CONFIG
  for (const [k, v] of Object.entries(def.config ?? {})) {
    try {
      config = applyConfigKey(config, k, String(v))
    } catch (e) {
      if (e instanceof ConfigKeyError) throw new ClusterDefinitionError(`cluster "${name}": ${e.message}`)
      throw e
    }
  }
  def.partitions.forEach((p, i) => {
    if (typeof p !== 'string')
      throw new ClusterDefinitionError(`cluster "${name}": partition ${i} is not a connect string`)
  })
  if (!isValidPartitionCount(def.partitions.length, config)) {
    throw new ClusterDefinitionError(
      `cluster "${name}": invalid partition count ${def.partitions.length} (must be a power of 2 > 0, or any count > 0 with modular_mapping)`,
    )
  }
  return { name, source: 'object', version: def.version ?? 1, partitions: [...def.partitions], config }
}

/**
 * Reads a JSON document of clusters: `{ "name": { "partitions": [...] } }`,
 * `{ "clusters": { … } }` or `[ { "name": …, "partitions": [...] } ]`.
 */
export function clustersFromJson(json: unknown, where = 'clusters'): Cluster[] {
  const doc =
    json && typeof json === 'object' && 'clusters' in json ? (json as { clusters: unknown }).clusters : json
  if (Array.isArray(doc)) {
    return doc.map((entry, i) => {
      const name = entry && typeof entry === 'object' ? (entry as { name?: unknown }).name : undefined
      if (typeof name !== 'string')
        throw new ClusterDefinitionError(`${where}[${i}]: "name" must be a string`)
      return clusterFromObject(name, entry as ClusterObject)
    })
  }
  if (doc && typeof doc === 'object') {
    return Object.entries(doc as Record<string, ClusterObject>).map(([name, def]) =>
      clusterFromObject(name, def),
    )
  }
  throw new ClusterDefinitionError(`${where}: expected an object of clusters or an array`)
}
