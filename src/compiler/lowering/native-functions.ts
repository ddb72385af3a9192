/**
 * The PostgreSQL functions and operators plproxy-ts evaluates natively,
 * with the signatures PostgreSQL resolves them by. Only these lower to
 * native expression nodes; anything else stays SQL.
 */
import type { NativeFunctionName, NativeOperator } from '../plan/expression.js'

export interface NativeSignature {
  readonly args: readonly string[]
  readonly returns: string
}

/** built-in name → overloads (argument and result typnames in pg_catalog) */
export const NATIVE_FUNCTIONS: Readonly<Record<NativeFunctionName, readonly NativeSignature[]>> = {
  hashtext: [{ args: ['text'], returns: 'int4' }],
  hashtextextended: [{ args: ['text', 'int8'], returns: 'int8' }],
  hashint2: [{ args: ['int2'], returns: 'int4' }],
  hashint4: [{ args: ['int4'], returns: 'int4' }],
  hashint8: [{ args: ['int8'], returns: 'int4' }],
  hashint4extended: [{ args: ['int4', 'int8'], returns: 'int8' }],
  hashint8extended: [{ args: ['int8', 'int8'], returns: 'int8' }],
  abs: [
    { args: ['int2'], returns: 'int2' },
    { args: ['int4'], returns: 'int4' },
    { args: ['int8'], returns: 'int8' },
  ],
  ascii: [{ args: ['text'], returns: 'int4' }],
  lower: [{ args: ['text'], returns: 'text' }],
  upper: [{ args: ['text'], returns: 'text' }],
  length: [{ args: ['text'], returns: 'int4' }],
  btrim: [{ args: ['text'], returns: 'text' }],
  ltrim: [{ args: ['text'], returns: 'text' }],
  rtrim: [{ args: ['text'], returns: 'text' }],
}

/** Function-call spellings of casts: `int4(x)`, `text(x)`… */
export const CAST_FUNCTIONS: Readonly<Record<string, string>> = {
  int2: 'int2',
  int4: 'int4',
  int8: 'int8',
  text: 'text',
}

/** SQL spellings of the types a `::` cast may name natively */
export const CAST_TYPE_NAMES: Readonly<Record<string, string>> = {
  int2: 'int2',
  smallint: 'int2',
  int4: 'int4',
  int: 'int4',
  integer: 'int4',
  int8: 'int8',
  bigint: 'int8',
  text: 'text',
  varchar: 'varchar',
}

export const INTEGER_TYPES = ['int2', 'int4', 'int8'] as const
export const TEXT_TYPES = ['text', 'varchar', 'bpchar', 'name'] as const

/** Integer operators: the result type is the wider operand's (int2 op int2 → int2, int2 op int4 → int4, …). */
export const INTEGER_OPERATORS: readonly NativeOperator[] = ['+', '-', '*', '/', '%', '&', '|', '#']

export function widerInteger(a: string, b: string): string {
  const rank = (t: string) => INTEGER_TYPES.indexOf(t as (typeof INTEGER_TYPES)[number])
  return rank(a) >= rank(b) ? a : b
}
