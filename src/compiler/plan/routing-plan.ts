/**
 * A RoutingPlan is everything the runtime needs to run one proxy function,
 * as plain, frozen, JSON-serialisable data (no closures).
 */
import type { ArgumentMode } from '../../parser/index.js'
import type { PlanType } from '../catalog/types.js'
import type { Expression } from './expression.js'

export const PLAN_VERSION = 1 as const

export interface PlanArgument {
  readonly name?: string
  readonly mode: ArgumentMode
  readonly type: PlanType
  /** position among the IN arguments (IN and INOUT), absent for OUT/TABLE */
  readonly inIndex?: number
  /** the default expression's SQL text */
  readonly default?: string
}

export interface ProxyFunctionSignature {
  readonly schema: string
  readonly name: string
  /** PL/Proxy's func->name: quote_ident(schema) || '.' || quote_ident(name) */
  readonly qualifiedName: string
  /** the database (psql `\c`) the function was created in, when the script said */
  readonly database?: string
  /** every parameter in declaration order */
  readonly arguments: readonly PlanArgument[]
  /** number of IN arguments: the N in `PL/Proxy function f(N): …` */
  readonly inArgumentCount: number
  readonly returnType: PlanType
  readonly returnsSet: boolean
  readonly strict: boolean
  readonly securityDefiner: boolean
  /** the role that created the function, when the script said: SECURITY DEFINER functions connect as it */
  readonly owner?: string
  readonly source: { readonly file: string; readonly line: number; readonly column: number }
}

export type ClusterSelection =
  | { readonly kind: 'ClusterName'; readonly name: string }
  | { readonly kind: 'ClusterExpression'; readonly expression: Expression }
  | { readonly kind: 'ConnectString'; readonly connectString: string }
  | { readonly kind: 'ConnectExpression'; readonly expression: Expression }

export type RunTarget =
  | { readonly kind: 'RunOnAny' }
  | { readonly kind: 'RunOnAll' }
  | { readonly kind: 'RunOnPartition'; readonly partition: number }
  | { readonly kind: 'RunOnHash'; readonly expression: Expression }

export type RemoteQuery =
  | {
      readonly kind: 'RemoteQuery'
      readonly sql: string
      /** IN-argument index bound to each `$k` */
      readonly parameters: readonly number[]
      /** `default`: generated from the signature; `select`: the body's SELECT */
      readonly origin: 'default' | 'select'
    }
  | {
      /** RETURNS SETOF record without OUT parameters: the column list comes from each call */
      readonly kind: 'DynamicRemoteQuery'
      /** `select ` … ` from <target>($1::t,…) as (` … `)` is completed per call */
      readonly target: string
      readonly argumentsSql: string
      readonly parameters: readonly number[]
    }

export interface ResultColumn {
  /** attname as stored (unquoted); remote columns are matched by it, case-sensitively */
  readonly name: string
  /** dropped attributes keep their slot and come back as NULL */
  readonly dropped: boolean
  readonly type?: PlanType
}

export type ResultShape =
  | { readonly kind: 'ScalarResult'; readonly type: PlanType }
  | { readonly kind: 'CompositeResult'; readonly columns: readonly ResultColumn[] }
  | { readonly kind: 'DynamicRecordResult' }

/** An error PL/Proxy raises only when the function is called (not at CREATE FUNCTION). */
export interface DeferredError {
  readonly message: string
  readonly sqlstate: string
}

export interface RoutingPlan {
  readonly kind: 'RoutingPlan'
  readonly version: typeof PLAN_VERSION
  readonly function: ProxyFunctionSignature
  readonly cluster: ClusterSelection
  readonly run: RunTarget
  /** IN-argument indexes of the SPLIT arguments, ascending */
  readonly split: readonly number[]
  /** `TARGET name` as written, if any */
  readonly target?: string
  readonly remoteQuery: RemoteQuery
  readonly result: ResultShape
  readonly deferredError?: DeferredError
}

/** Freezes a plan and everything in it (shared PlanTypes are frozen already and skipped). */
export function freezePlan<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) freezePlan(value[i])
    } else {
      for (const key in value) freezePlan((value as Record<string, unknown>)[key])
    }
  }
  return value
}
