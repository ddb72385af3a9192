/**
 * Cluster configuration keys (spec §5.4): matched case-insensitively,
 * values read with C atoi, defaults 0 (disabled).
 */
import { atoi } from '../../compiler/index.js'

export interface ClusterConfig {
  /** seconds; a connection older than this is closed before reuse; ≤ 0 = unlimited */
  readonly connectionLifetime: number
  /** seconds; a remote query running longer fails with `query timeout`; ≤ 0 = none */
  readonly queryTimeout: number
  /** accepted, no effect: all I/O is text, as in PL/Proxy */
  readonly disableBinary: number
  /** ≠ 0: partition = |hash % n| for any n > 0, instead of hash & (n - 1) for powers of two */
  readonly modularMapping: number
  /** which user connects (compat clusters only) */
  readonly defaultUser: 'current_user' | 'session_user'
  /** accepted and ignored, as in PL/Proxy since 2.0.3 */
  readonly statementTimeout: number
  /** accepted and ignored (PL/Proxy ≥ 2.9 warns once when one is > 0) */
  readonly keepaliveIdle: number
  readonly keepaliveInterval: number
  readonly keepaliveCount: number
}

export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = Object.freeze({
  connectionLifetime: 0,
  queryTimeout: 0,
  disableBinary: 0,
  modularMapping: 0,
  defaultUser: 'current_user',
  statementTimeout: 0,
  keepaliveIdle: 0,
  keepaliveInterval: 0,
  keepaliveCount: 0,
})

export class ConfigKeyError extends Error {
  /** raised through plain elog (no `PL/Proxy function …` prefix) */
  constructor(
    message: string,
    readonly plain: boolean,
  ) {
    super(message)
  }
}

const NUMERIC_KEYS: Record<string, keyof ClusterConfig> = {
  connection_lifetime: 'connectionLifetime',
  query_timeout: 'queryTimeout',
  disable_binary: 'disableBinary',
  modular_mapping: 'modularMapping',
  statement_timeout: 'statementTimeout',
  keepalive_idle: 'keepaliveIdle',
  keepalive_interval: 'keepaliveInterval',
  keepalive_count: 'keepaliveCount',
}

/**
 * Applies one key (PL/Proxy's set_config_key). Unknown keys — including
 * `connect_timeout`, documented but never accepted — throw
 * `Unknown config param: <key>`.
 */
export function applyConfigKey(config: ClusterConfig, key: string, value: string): ClusterConfig {
  const lower = key.toLowerCase()
  if (lower === 'default_user') {
    if (value !== 'current_user' && value !== 'session_user') {
      throw new ConfigKeyError(`default_user: Expect 'current_user' or 'session_user', got '${value}'`, true)
    }
    return { ...config, defaultUser: value }
  }
  const field = NUMERIC_KEYS[lower]
  if (!field) throw new ConfigKeyError(`Unknown config param: ${key}`, false)
  return { ...config, [field]: atoi(value) }
}

/** A whole configuration from key/value pairs, starting from the defaults. */
export function configFrom(pairs: Iterable<readonly [string, string]>): ClusterConfig {
  let config = DEFAULT_CLUSTER_CONFIG
  for (const [k, v] of pairs) config = applyConfigKey(config, k, v)
  return config
}

export function isValidPartitionCount(n: number, config: ClusterConfig): boolean {
  if (config.modularMapping) return n > 0
  return n > 0 && (n & (n - 1)) === 0
}
