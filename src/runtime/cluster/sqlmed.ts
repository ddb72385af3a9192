/**
 * SQL/MED clusters (spec §5.3): a foreign server whose options are the
 * partitions (`p<N>` / `partition_<N>`) and config keys, on top of the
 * wrapper's options, with user mappings for the credentials.
 */
import { partitionNumberOf } from '../../compiler/index.js'
import {
  applyConfigKey,
  type ClusterConfig,
  ConfigKeyError,
  DEFAULT_CLUSTER_CONFIG,
  isValidPartitionCount,
} from './config.js'
import { ClusterError } from './errors.js'
import type { Cluster, MappingOption, UserMapping } from './model.js'

export interface SqlMedOption {
  readonly name: string
  readonly value?: string
}

/** A foreign server as the catalog holds it. */
export interface SqlMedServer {
  readonly name: string
  readonly wrapperOptions: readonly SqlMedOption[]
  readonly options: readonly SqlMedOption[]
  readonly userMappings: readonly UserMapping[]
  /** roles granted USAGE ('public' for PUBLIC); undefined: do not check */
  readonly usage?: ReadonlySet<string>
  readonly owner?: string
  /** bumped by the source whenever the server, its wrapper or a mapping changes */
  readonly version: number
}

function applyAll(config: ClusterConfig, options: readonly SqlMedOption[]): ClusterConfig {
  let c = config
  for (const o of options) {
    try {
      c = applyConfigKey(c, o.name, o.value ?? '')
    } catch (e) {
      if (e instanceof ConfigKeyError) throw new ClusterError(e.message, e.plain ? 'plain' : 'function')
      throw e
    }
  }
  return c
}

/** Loads a server into a Cluster the way PL/Proxy's reload_sqlmed_cluster does. */
export function clusterFromServer(server: SqlMedServer): Cluster {
  // wrapper options first, then the server's own non-partition options (the server wins)
  let config = applyAll(DEFAULT_CLUSTER_CONFIG, server.wrapperOptions)
  const partitions: { num: number; value: string }[] = []
  const configOptions: SqlMedOption[] = []
  for (const o of server.options) {
    const num = partitionNumberOf(o.name)
    if (num === undefined) configOptions.push(o)
    else partitions.push({ num, value: o.value ?? '' })
  }
  config = applyAll(config, configOptions)
  const count = partitions.length
  if (!isValidPartitionCount(count, config)) throw new ClusterError('invalid partition count', 'function')
  const map: string[] = new Array(count)
  for (const p of partitions) {
    if (p.num < 0 || p.num >= count) {
      throw new ClusterError(`wrong partitions number, must be >= 0 and < ${count}`, 'function')
    }
    if (map[p.num] !== undefined) throw new ClusterError(`duplicate partition number: ${p.num}`, 'function')
    map[p.num] = p.value
  }
  return {
    name: server.name,
    source: 'sqlmed',
    version: server.version,
    partitions: map,
    config,
    userMappings: server.userMappings,
    usage: server.usage,
    owner: server.owner,
  }
}

/** The user mapping PostgreSQL picks for a user: the user's own, else PUBLIC. */
export function userMappingFor(cluster: Cluster, user: string): readonly MappingOption[] {
  const mappings = cluster.userMappings ?? []
  const own = mappings.find((m) => m.user === user) ?? mappings.find((m) => m.user === undefined)
  if (!own) {
    throw new ClusterError(`user mapping not found for "${user}"`, 'plain', '42704')
  }
  return own.options
}

/** USAGE on the server: superusers, the owner, and grantees (or PUBLIC) pass. */
export function checkUsage(cluster: Cluster, user: string, superusers: ReadonlySet<string>): void {
  const usage = cluster.usage
  if (!usage || superusers.has(user) || cluster.owner === user || usage.has(user) || usage.has('public'))
    return
  throw new ClusterError(`permission denied for foreign server ${cluster.name}`, 'plain', '42501')
}
