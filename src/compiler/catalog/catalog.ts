/**
 * The catalog a set of scripts builds: per database (psql `\c` switches),
 * the types, proxy functions, foreign-data wrapper, servers, user mappings
 * and USAGE grants, after applying every operation in order the way
 * PostgreSQL would, PL/Proxy's FDW validator included.
 */
import type {
  ArgumentMode,
  Diagnostic,
  FunctionDefinition,
  OptionValue,
  SourcePosition,
  TypeReference,
} from '../../parser/index.js'
import type { TypeRegistry } from './type-registry.js'

export interface ResolvedArgument {
  readonly name?: string
  readonly mode: ArgumentMode
  /** type key (`schema.typname`) */
  readonly type: string
  readonly defaultSql?: string
  readonly position: SourcePosition
}

export interface FunctionEntry {
  readonly definition: FunctionDefinition
  readonly database: string
  /** schema and name now (ALTER FUNCTION may have moved or renamed it) */
  readonly schema: string
  readonly name: string
  readonly securityDefiner: boolean
  readonly volatility: 'volatile' | 'stable' | 'immutable'
  readonly strict: boolean
  readonly arguments: readonly ResolvedArgument[]
  /** type key of prorettype (`pg_catalog.record` for several OUT parameters) */
  readonly returnType: string
  readonly returnsSet: boolean
  /** the search_path in effect when it was created */
  readonly searchPath: readonly string[]
  /** the role that created it, when the script said (psql `\c db user`): who SECURITY DEFINER runs as */
  readonly owner?: string
  /** the database's typesGeneration when it was compiled */
  readonly typesGeneration: number
  /** the validator's result at CREATE FUNCTION (plans are rebuilt if types changed since) */
  compiled?: CompiledFunctionResult
}

/** What compiling a function gives (defined by the compiler; opaque here). */
export interface CompiledFunctionResult {
  readonly diagnostics: readonly Diagnostic[]
}

export interface ServerEntry {
  readonly name: string
  readonly wrapper: string
  /** the role that created it (or ALTER SERVER … OWNER TO), when the script said */
  owner?: string
  options: OptionValue[]
  readonly position: SourcePosition
}

/** A user mapping: `user` is a role name, or undefined for PUBLIC. */
export interface UserMappingEntry {
  readonly server: string
  readonly user?: string
  options: OptionValue[]
  readonly position: SourcePosition
}

export interface WrapperEntry {
  readonly name: string
  /** the validator function, if any (PL/Proxy's is plproxy_fdw_validator) */
  validator?: string
  options: OptionValue[]
  readonly position?: SourcePosition
}

export interface DatabaseCatalog {
  /** '' for the database the script starts in */
  readonly name: string
  readonly types: TypeRegistry
  readonly schemas: Set<string>
  readonly functions: FunctionEntry[]
  readonly wrappers: Map<string, WrapperEntry>
  readonly servers: Map<string, ServerEntry>
  readonly userMappings: UserMappingEntry[]
  /** server name → roles granted USAGE ('public' for PUBLIC) */
  readonly usageGrants: Map<string, Set<string>>
  /** bumped on every change to a type (a function compiled before must be rebuilt) */
  typesGeneration: number
}

/** The IN-argument signature that identifies a function within its schema. */
export function inputSignature(args: readonly { mode: ArgumentMode; type: string }[]): string {
  return args
    .filter((a) => a.mode === 'in' || a.mode === 'inout' || a.mode === 'variadic')
    .map((a) => a.type)
    .join(',')
}

export function typeRefText(ref: TypeReference): string {
  const base = ref.schema ? `${ref.schema}.${ref.name}` : ref.name
  return ref.percentType ? `${base}%TYPE` : base
}
