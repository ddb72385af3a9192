/**
 * What the script reader extracts from SQL files: the DDL operations that
 * matter to PL/Proxy, in file order, with positions. The compiler's catalog
 * builder applies them the way PostgreSQL would.
 */
import type { SourcePosition } from '../source-file.js'

/** A type as written in DDL, names already case-folded and normalised by PostgreSQL's parser. */
export interface TypeReference {
  /** schema when written qualified (`pg_catalog` for SQL-standard spellings like `integer`) */
  readonly schema?: string
  readonly name: string
  /** every dotted part as written (more than two is a cross-database reference) */
  readonly names: readonly string[]
  /** typmod arguments as written (`varchar(20)` → ['20']); PL/Proxy drops them */
  readonly typmods: readonly string[]
  /** number of array dimensions written (`int[][]` → 2) */
  readonly arrayDimensions: number
  /** `tbl.col%TYPE` */
  readonly percentType: boolean
  /** `SETOF` (return types only) */
  readonly setof: boolean
  readonly position: SourcePosition
}

export type ArgumentMode = 'in' | 'out' | 'inout' | 'variadic' | 'table'

export interface FunctionArgument {
  readonly name?: string
  readonly type: TypeReference
  readonly mode: ArgumentMode
  /** the default expression's SQL text as written */
  readonly defaultSql?: string
  /** what the default expression contains that PostgreSQL rejects or checks */
  readonly defaultShape?: DefaultShape
  readonly position: SourcePosition
}

/** The parts of a DEFAULT expression PostgreSQL's checks look at. */
export interface DefaultShape {
  /** the first column reference, as written */
  readonly columnRef?: string
  readonly subquery: boolean
  /** names of functions called */
  readonly calls: readonly string[]
  /** a bare literal (optionally cast): its text and whether it is a string */
  readonly literal?: { readonly text: string; readonly isString: boolean; readonly isNull: boolean }
}

export type Volatility = 'volatile' | 'stable' | 'immutable'

/** Where the body's characters are in the file. */
export interface BodyLocation {
  /** file offset of body[0] */
  readonly offset: number
  /**
   * body offsets before which the file has one character more than the
   * body (the second quote of a doubled `''` in a single-quoted body)
   */
  readonly skips: readonly number[]
}

export interface FunctionDefinition {
  readonly kind: 'FunctionDefinition'
  /** schema as written, undefined when unqualified */
  readonly schema?: string
  readonly name: string
  readonly arguments: readonly FunctionArgument[]
  /** undefined when RETURNS is omitted (OUT parameters decide) */
  readonly returns?: TypeReference
  /** `RETURNS TABLE (…)` */
  readonly returnsTable: boolean
  readonly language: string
  readonly strict: boolean
  readonly volatility: Volatility
  readonly securityDefiner: boolean
  readonly isProcedure: boolean
  readonly orReplace: boolean
  readonly body: string
  readonly bodyLocation: BodyLocation
  /** the CREATE FUNCTION options as written, in order (for PostgreSQL's conflicting-options check) */
  readonly options: readonly { readonly name: string; readonly position: SourcePosition }[]
  /** how many items AS gave (`AS 'obj', 'symbol'` is 2); 0 without AS */
  readonly asItems: number
  /** a SQL-standard body (`RETURN …` / `BEGIN ATOMIC … END`) */
  readonly sqlBody: boolean
  readonly cost?: number
  readonly rows?: number
  readonly position: SourcePosition
}

/** ALTER FUNCTION / ALTER PROCEDURE: the changes that matter to proxy functions. */
export interface AlterFunction {
  readonly kind: 'AlterFunction'
  readonly schema?: string
  readonly name: string
  readonly argumentTypes?: readonly TypeReference[]
  readonly rename?: string
  readonly newSchema?: string
  readonly owner?: RoleReference
  readonly securityDefiner?: boolean
  readonly volatility?: Volatility
  readonly strict?: boolean
  readonly position: SourcePosition
}

export interface DropFunction {
  readonly kind: 'DropFunction'
  readonly schema?: string
  readonly name: string
  /** argument types when given (IN/INOUT/VARIADIC ones identify the function) */
  readonly argumentTypes?: readonly TypeReference[]
  readonly missingOk: boolean
  readonly position: SourcePosition
}

export interface AttributeDefinition {
  readonly name: string
  readonly type: TypeReference
}

export interface CreateCompositeType {
  readonly kind: 'CreateCompositeType'
  /** `CREATE TYPE … AS (…)` or a table's row type */
  readonly origin: 'type' | 'table'
  readonly schema?: string
  readonly name: string
  readonly attributes: readonly AttributeDefinition[]
  readonly position: SourcePosition
}

export interface AlterCompositeType {
  readonly kind: 'AlterCompositeType'
  readonly origin: 'type' | 'table'
  readonly schema?: string
  readonly name: string
  readonly missingOk: boolean
  readonly actions: readonly (
    | { readonly action: 'add'; readonly attribute: AttributeDefinition; readonly missingOk: boolean }
    | { readonly action: 'drop'; readonly name: string; readonly missingOk: boolean }
    | { readonly action: 'rename'; readonly name: string; readonly newName: string }
    | { readonly action: 'alter-type'; readonly name: string; readonly type: TypeReference }
  )[]
  readonly position: SourcePosition
}

export interface CreateEnumType {
  readonly kind: 'CreateEnumType'
  readonly schema?: string
  readonly name: string
  readonly labels: readonly string[]
  readonly position: SourcePosition
}

export interface CreateRangeType {
  readonly kind: 'CreateRangeType'
  readonly schema?: string
  readonly name: string
  readonly subtype: TypeReference
  readonly multirangeName?: string
  readonly position: SourcePosition
}

export interface CreateDomain {
  readonly kind: 'CreateDomain'
  readonly schema?: string
  readonly name: string
  readonly baseType: TypeReference
  readonly position: SourcePosition
}

/** `CREATE TYPE name` (shell) or with INPUT/OUTPUT: a base type */
export interface CreateBaseType {
  readonly kind: 'CreateBaseType'
  readonly schema?: string
  readonly name: string
  readonly position: SourcePosition
}

export interface DropObjects {
  readonly kind: 'DropObjects'
  readonly objectType: 'type' | 'table' | 'domain' | 'server' | 'schema'
  readonly names: readonly { readonly schema?: string; readonly name: string }[]
  readonly missingOk: boolean
  readonly cascade: boolean
  readonly position: SourcePosition
}

export interface OptionValue {
  readonly name: string
  /** undefined: the option was written without a value */
  readonly value?: string
  readonly position: SourcePosition
}

export interface OptionChange extends OptionValue {
  readonly action: 'add' | 'set' | 'drop'
}

export interface CreateForeignDataWrapper {
  readonly kind: 'CreateForeignDataWrapper'
  readonly name: string
  /** the validator function's name, if any */
  readonly validator?: string
  readonly options: readonly OptionValue[]
  readonly position: SourcePosition
}

export interface AlterForeignDataWrapper {
  readonly kind: 'AlterForeignDataWrapper'
  readonly name: string
  /** a new validator (null: NO VALIDATOR), undefined when unchanged */
  readonly validator?: string | null
  readonly changes: readonly OptionChange[]
  readonly position: SourcePosition
}

export interface CreateServer {
  readonly kind: 'CreateServer'
  readonly name: string
  readonly wrapper: string
  readonly ifNotExists: boolean
  readonly options: readonly OptionValue[]
  readonly position: SourcePosition
}

export interface AlterServer {
  readonly kind: 'AlterServer'
  readonly name: string
  /** ALTER SERVER … OWNER TO */
  readonly owner?: RoleReference
  readonly changes: readonly OptionChange[]
  readonly position: SourcePosition
}

/** `PUBLIC`, a role name, or `CURRENT_USER`/`SESSION_USER`/`USER` (resolved later) */
export type RoleReference =
  | { readonly kind: 'public' }
  | { readonly kind: 'role'; readonly name: string }
  | { readonly kind: 'current_user' | 'session_user' | 'current_role' }

export interface CreateUserMapping {
  readonly kind: 'CreateUserMapping'
  readonly user: RoleReference
  readonly server: string
  readonly ifNotExists: boolean
  readonly options: readonly OptionValue[]
  readonly position: SourcePosition
}

export interface AlterUserMapping {
  readonly kind: 'AlterUserMapping'
  readonly user: RoleReference
  readonly server: string
  readonly changes: readonly OptionChange[]
  readonly position: SourcePosition
}

export interface DropUserMapping {
  readonly kind: 'DropUserMapping'
  readonly user: RoleReference
  readonly server: string
  readonly missingOk: boolean
  readonly position: SourcePosition
}

export interface GrantServerUsage {
  readonly kind: 'GrantServerUsage'
  readonly grant: boolean
  readonly servers: readonly string[]
  readonly roles: readonly RoleReference[]
  readonly position: SourcePosition
}

export interface CreateExtension {
  readonly kind: 'CreateExtension'
  readonly name: string
  readonly position: SourcePosition
}

export interface CreateSchema {
  readonly kind: 'CreateSchema'
  readonly name: string
  readonly position: SourcePosition
}

export interface SetSearchPath {
  readonly kind: 'SetSearchPath'
  /** undefined: RESET / DEFAULT */
  readonly schemas?: readonly string[]
  readonly position: SourcePosition
}

/** psql `\c dbname`: later statements go to that database */
export interface ConnectDatabase {
  readonly kind: 'ConnectDatabase'
  readonly database?: string
  readonly user?: string
  readonly position: SourcePosition
}

export type ScriptOperation =
  | FunctionDefinition
  | AlterFunction
  | DropFunction
  | CreateCompositeType
  | AlterCompositeType
  | CreateEnumType
  | CreateRangeType
  | CreateDomain
  | CreateBaseType
  | DropObjects
  | CreateForeignDataWrapper
  | AlterForeignDataWrapper
  | CreateServer
  | AlterServer
  | CreateUserMapping
  | AlterUserMapping
  | DropUserMapping
  | GrantServerUsage
  | CreateExtension
  | CreateSchema
  | SetSearchPath
  | ConnectDatabase
