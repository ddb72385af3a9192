/**
 * The typed AST of a PL/Proxy function body. Positions are relative to the
 * body (offset 0 = first character after the opening quote), lines counted
 * on LF from 1 like PL/Proxy's scanner; the script reader maps them into the
 * file.
 *
 * A statement cut short by a syntax error is still present with the parts
 * read before the error (`complete: false`), because PL/Proxy raises the
 * errors of its parse actions in token order.
 */

export interface BodySpan {
  readonly offset: number
  /** exclusive */
  readonly endOffset: number
  /** 1-based, first line of the token */
  readonly line: number
  /** 1-based, in UTF-16 code units */
  readonly column: number
  /** line at the token's last character: what PL/Proxy reports after scanning it */
  readonly endLine: number
}

/** A piece of SQL text copied verbatim into a generated query (whitespace runs and comments already one space). */
export interface SqlTextToken {
  readonly kind: 'SqlText'
  readonly text: string
  readonly span: BodySpan
}

/** An identifier in SQL text: an argument reference if it names an IN argument, else copied verbatim. */
export interface SqlIdentToken {
  readonly kind: 'SqlIdent'
  readonly text: string
  readonly span: BodySpan
}

export type SqlToken = SqlTextToken | SqlIdentToken

/** `name(` … up to `;`: a function call whose text becomes a local query. */
export interface FunctionCallNode {
  readonly kind: 'FunctionCall'
  /** the FNCALL token as written, `(` and any whitespace before it included */
  readonly head: string
  /** the function name part of the head, as written (dotted names kept) */
  readonly name: string
  readonly sql: readonly SqlToken[]
  readonly span: BodySpan
}

export interface IdentifierNode {
  readonly kind: 'Identifier'
  /** as written: a name (possibly dotted) or `$n` */
  readonly text: string
  readonly span: BodySpan
}

export interface StringNode {
  readonly kind: 'String'
  /** the value: outer quotes removed, `''` collapsed */
  readonly value: string
  readonly span: BodySpan
}

export interface ClusterStatement {
  readonly kind: 'ClusterStatement'
  readonly complete: boolean
  readonly keyword: BodySpan
  readonly target?: StringNode | FunctionCallNode
  readonly terminator?: BodySpan
}

export interface ConnectStatement {
  readonly kind: 'ConnectStatement'
  readonly complete: boolean
  readonly keyword: BodySpan
  readonly target?: StringNode | IdentifierNode | FunctionCallNode
  readonly terminator?: BodySpan
}

export interface RunOnPartition {
  readonly kind: 'RunOnPartition'
  /** the digits as written */
  readonly text: string
  readonly span: BodySpan
}
export interface RunOnAny {
  readonly kind: 'RunOnAny'
  readonly span: BodySpan
}
export interface RunOnAll {
  readonly kind: 'RunOnAll'
  readonly span: BodySpan
}

export interface RunStatement {
  readonly kind: 'RunStatement'
  readonly complete: boolean
  readonly keyword: BodySpan
  readonly target?: RunOnPartition | RunOnAny | RunOnAll | IdentifierNode | FunctionCallNode
  readonly terminator?: BodySpan
}

export interface SplitAll {
  readonly kind: 'SplitAll'
  readonly span: BodySpan
}

export interface SplitStatement {
  readonly kind: 'SplitStatement'
  readonly complete: boolean
  readonly keyword: BodySpan
  /** `SPLIT ALL`, or the listed identifiers (possibly fewer than written when cut short) */
  readonly target?: SplitAll | readonly IdentifierNode[]
  readonly terminator?: BodySpan
}

export interface TargetStatement {
  readonly kind: 'TargetStatement'
  readonly complete: boolean
  readonly keyword: BodySpan
  readonly name?: IdentifierNode
  readonly terminator?: BodySpan
}

export interface SelectStatement {
  readonly kind: 'SelectStatement'
  readonly complete: boolean
  /** the SELECT keyword as written (`select`, `SELECT`, `SeLeCt`) */
  readonly keywordText: string
  readonly keyword: BodySpan
  readonly sql: readonly SqlToken[]
  readonly terminator?: BodySpan
}

export type Statement =
  | ClusterStatement
  | ConnectStatement
  | RunStatement
  | SplitStatement
  | TargetStatement
  | SelectStatement

export interface BodyAst {
  readonly kind: 'Body'
  readonly statements: readonly Statement[]
}

/** The first token the grammar could not accept. */
export interface BodySyntaxError {
  /** offset of the offending token; the body length at end of input */
  readonly offset: number
  readonly endOffset: number
  readonly line: number
  readonly column: number
  /** the line PL/Proxy reports: after scanning the offending token */
  readonly reportLine: number
  /** the offending text, or '' at end of input */
  readonly found: string
  /** what the grammar expected there, for people (PL/Proxy itself says only `syntax error`) */
  readonly expected: string
}

export interface ParsedBody {
  readonly ast: BodyAst
  readonly syntaxError?: BodySyntaxError
  /** 1 + number of LFs in the body: PL/Proxy's line number after the whole body */
  readonly lastLine: number
}
