/**
 * One cluster model for every source (DESIGN decision 6): the ordered
 * partition connect strings, the config, and — for SQL/MED clusters — the
 * user mappings and USAGE grants that decide who connects how.
 */
import type { ClusterConfig } from './config.js'

export interface MappingOption {
  readonly name: string
  readonly value: string
}

export interface UserMapping {
  /** the role, or undefined for PUBLIC */
  readonly user?: string
  readonly options: readonly MappingOption[]
}

export type ClusterSource = 'sqlmed' | 'functions' | 'object' | 'connect'

export interface Cluster {
  readonly name: string
  readonly source: ClusterSource
  /** changes whenever the definition changes (get_cluster_version for compat clusters) */
  readonly version: number
  /** partition i → connect string (several partitions may share one) */
  readonly partitions: readonly string[]
  readonly config: ClusterConfig
  /** SQL/MED: mappings by user; undefined for other sources */
  readonly userMappings?: readonly UserMapping[]
  /**
   * SQL/MED: roles allowed to use the server ('public' for everyone);
   * undefined means no check (the runtime was not told about privileges)
   */
  readonly usage?: ReadonlySet<string>
  /** SQL/MED: the server's owner, who always has USAGE */
  readonly owner?: string
}
