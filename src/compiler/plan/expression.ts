/**
 * Expressions PL/Proxy evaluates locally (in the proxy database) for
 * `RUN ON`, `CLUSTER fn()` and `CONNECT fn()/arg`. Where every part is
 * implemented bit-exactly the compiler lowers them to native nodes;
 * otherwise they stay SQL, run on the proxy database as PL/Proxy does.
 */
import type { PlanType } from '../catalog/types.js'

/** An IN argument of the proxy function (for a SPLIT argument in a hash expression: one element). */
export interface ArgumentNode {
  readonly kind: 'Argument'
  /** index among the IN arguments */
  readonly index: number
  readonly type: PlanType
  /** a SPLIT argument: the hash expression sees one element at a time */
  readonly split: boolean
}

/** A literal, as its text representation (null for NULL). */
export interface ConstantNode {
  readonly kind: 'Constant'
  readonly type: PlanType
  readonly value: string | null
}

/** The built-in functions the runtime evaluates natively, bit for bit like PostgreSQL. */
export type NativeFunctionName =
  | 'hashtext'
  | 'hashint2'
  | 'hashint4'
  | 'hashint8'
  | 'hashtextextended'
  | 'hashint4extended'
  | 'hashint8extended'
  | 'abs'
  | 'ascii'
  | 'lower'
  | 'upper'
  | 'length'
  | 'btrim'
  | 'ltrim'
  | 'rtrim'

export interface CallNode {
  readonly kind: 'Call'
  readonly function: NativeFunctionName
  readonly arguments: readonly ExpressionNode[]
  readonly type: PlanType
}

/** A cast between types PostgreSQL casts without loss of exactness here (integers, text types). */
export interface CastNode {
  readonly kind: 'Cast'
  readonly input: ExpressionNode
  readonly type: PlanType
}

export type NativeOperator = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '#' | '||'

export interface OperatorNode {
  readonly kind: 'Operator'
  readonly operator: NativeOperator
  readonly left: ExpressionNode
  readonly right: ExpressionNode
  readonly type: PlanType
}

export interface NegateNode {
  readonly kind: 'Negate'
  readonly input: ExpressionNode
  readonly type: PlanType
}

export type ExpressionNode = ArgumentNode | ConstantNode | CallNode | CastNode | OperatorNode | NegateNode

/** The local query as PL/Proxy would run it, parameters numbered by first appearance. */
interface LocalQuery {
  /** e.g. `select * from hashtext($1)` */
  readonly sql: string
  /** IN-argument index bound to each `$k` */
  readonly parameters: readonly number[]
  /** parameter types the query is prepared with (a SPLIT argument's element type in hash queries) */
  readonly parameterTypes: readonly PlanType[]
}

export interface NativeExpression extends LocalQuery {
  readonly kind: 'NativeExpression'
  readonly node: ExpressionNode
  readonly resultType: PlanType
}

/**
 * The expression is exactly one call of a function that is not native,
 * with arguments that are: the runtime may satisfy it with a JavaScript
 * function registered under that name instead of the proxy database.
 */
export interface SqlCall {
  /** the function name as written (dotted names kept) */
  readonly name: string
  readonly arguments: readonly ExpressionNode[]
}

export interface SqlExpression extends LocalQuery {
  readonly kind: 'SqlExpression'
  readonly call?: SqlCall
  /** why it could not be lowered, for `explain` */
  readonly reason: string
}

export type Expression = NativeExpression | SqlExpression
