/**
 * What a client of the wire server sends, as plproxy-ts needs to see it:
 * calls of functions in the shapes a proxy function is called in, and
 * everything else (kept as text, to be forwarded to the proxy database).
 */
import type { TypeReference } from '../script/model.js'

/** The kind of a constant as PostgreSQL's parser types it (`make_const`). */
export type ConstantKind = 'integer' | 'bigint' | 'numeric' | 'string' | 'boolean' | 'null'

export type ClientArgument =
  /** `42`, `-1.5`, `'text'`, `true`, `NULL`: the value as PostgreSQL's text (`t`/`f` for booleans) */
  | {
      readonly kind: 'Constant'
      readonly value: string | null
      readonly constant: ConstantKind
      /** 1-based character position in the statement (for error positions) */
      readonly position?: number
    }
  /** `$n` (1-based) */
  | { readonly kind: 'Parameter'; readonly number: number }
  /** `x::type`, `CAST(x AS type)`, `type 'literal'` */
  | { readonly kind: 'Cast'; readonly argument: ClientArgument; readonly type: TypeReference }
  /** `ARRAY[a, b]` (elements may be arrays themselves: `ARRAY[[1,2],[3,4]]`) */
  | { readonly kind: 'Array'; readonly elements: readonly ClientArgument[] }
  /** `ROW(a, b)` or `(a, b)` */
  | { readonly kind: 'Row'; readonly fields: readonly ClientArgument[] }

export interface ClientCallArgument {
  /** `name => value` */
  readonly name?: string
  readonly value: ClientArgument
}

export interface SelectedColumn {
  /** the function's output column it names */
  readonly column: string
  /** the result column's name (`AS label`, else the column) */
  readonly label: string
  /** 1-based character position of the column reference in the statement (for error positions) */
  readonly position?: number
}

export interface SortKey {
  /** an output column: its 1-based position, or its name */
  readonly column: number | string
  readonly descending: boolean
  /** NULLS FIRST / LAST; PostgreSQL's default: NULLs sort as if larger than any value */
  readonly nullsFirst: boolean
}

export interface ColumnDefinition {
  readonly name: string
  readonly type: TypeReference
}

/**
 * `SELECT f(args) [AS label]` (context `scalar`) or
 * `SELECT * | cols FROM f(args) [AS alias [(cols | col type, …)]]` (context `from`).
 */
export interface FunctionCallStatement {
  readonly kind: 'FunctionCall'
  readonly schema?: string
  readonly name: string
  readonly arguments: readonly ClientCallArgument[]
  readonly context: 'scalar' | 'from'
  /** scalar context: the result column's name (the function's name unless `AS label`) */
  readonly label?: string
  /** from context: `*` or the columns selected */
  readonly select?: 'star' | readonly SelectedColumn[]
  readonly alias?: string
  /** `AS t(a, b)`: new names for the output columns, in order */
  readonly columnAliases?: readonly string[]
  /** `AS t(a int, b text)`: the column definition list of a RECORD function */
  readonly columnDefinitions?: readonly ColumnDefinition[]
  /** `ORDER BY 2 DESC, name`: output columns by position (1-based) or name */
  readonly orderBy?: readonly SortKey[]
  /** `LIMIT n` (a constant or `$n`; NULL: no limit) */
  readonly limit?: ClientArgument
  /** `OFFSET n` */
  readonly offset?: ClientArgument
  /** 1-based character position of the function call in the statement (for error positions) */
  readonly position?: number
  /** the statement's text */
  readonly text: string
}

/** Any other statement: forwarded as it is. */
export interface OtherStatement {
  readonly kind: 'Other'
  readonly text: string
  /** PostgreSQL's parse-node name (`SelectStmt`, `TransactionStmt`, `VariableSetStmt`, …) */
  readonly node: string
  // biome-ignore lint/suspicious/noExplicitAny: libpg-query parse trees are untyped JSON
  readonly tree: any
  /** every function name called anywhere in it, as `name` or `schema.name` */
  readonly calledFunctions: readonly string[]
  /** for a SELECT naming a function in a shape plproxy-ts does not run: why */
  readonly unsupportedCall?: string
}

export interface EmptyStatement {
  readonly kind: 'Empty'
}

export type ClientStatement = FunctionCallStatement | OtherStatement

/** A statement PostgreSQL's parser rejects: its message and 1-based character position. */
export class ClientSyntaxError extends Error {
  override readonly name = 'ClientSyntaxError'
  constructor(
    message: string,
    readonly position: number | undefined,
  ) {
    super(message)
  }
}
