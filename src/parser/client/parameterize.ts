/**
 * A call with constants, as a simple Query sends it (`select f(42, 'x')`),
 * turned into the same call with parameters (`select f($1, $2)`) and the
 * constants as their values — so that calls differing only in their
 * constants share one prepared call. A constant's parameter has the type
 * PostgreSQL's parser gives the constant (int4, int8, numeric, bool), or
 * no type for string literals and NULL, which keep taking the argument's.
 */
import type { ClientArgument, ConstantKind, FunctionCallStatement } from './model.js'

/** Type OIDs of constants; 0: unknown (a string literal, NULL). */
const CONSTANT_TYPE: Readonly<Record<ConstantKind, number>> = {
  integer: 23,
  bigint: 20,
  numeric: 1700,
  boolean: 16,
  string: 0,
  null: 0,
}

export interface ParameterizedCall {
  /** the statement with `$1…$n` for its constants (text kept from the original) */
  readonly statement: FunctionCallStatement
  /** the constants' values, for `$1…$n` */
  readonly values: readonly (string | null)[]
  /** the parameters' type OIDs (0 = unknown) */
  readonly types: readonly number[]
  /** where each constant stood in the statement (1-based; for error positions) */
  readonly positions: readonly (number | undefined)[]
  /** the same for every call that differs only in its constants */
  readonly key: string
}

/** Undefined when the statement has `$n` parameters of its own. */
export function parameterizeConstants(stmt: FunctionCallStatement): ParameterizedCall | undefined {
  const values: (string | null)[] = []
  const types: number[] = []
  const positions: (number | undefined)[] = []
  let own = false
  const replace = (a: ClientArgument): ClientArgument => {
    switch (a.kind) {
      case 'Constant':
        values.push(a.value)
        types.push(CONSTANT_TYPE[a.constant])
        positions.push(a.position)
        return { kind: 'Parameter', number: values.length }
      case 'Parameter':
        own = true
        return a
      case 'Cast':
        return { kind: 'Cast', argument: replace(a.argument), type: a.type }
      default:
        // ARRAY[…] and ROW(…): prepared as they are
        own = true
        return a
    }
  }
  const args = stmt.arguments.map((a) =>
    a.name === undefined ? { value: replace(a.value) } : { name: a.name, value: replace(a.value) },
  )
  if (own) return undefined
  const statement: FunctionCallStatement = { ...stmt, arguments: args }
  const key = JSON.stringify([
    statement.schema,
    statement.name,
    statement.context,
    statement.label,
    statement.select,
    statement.alias,
    statement.columnAliases,
    statement.columnDefinitions?.map((c) => [c.name, c.type.names, c.type.typmods, c.type.arrayDimensions]),
    args.map((a) => [a.name, shape(a.value)]),
    types,
  ])
  return { statement, values, types, positions, key }
}

function shape(a: ClientArgument): unknown {
  switch (a.kind) {
    case 'Cast':
      return [shape(a.argument), a.type.names, a.type.typmods, a.type.arrayDimensions]
    case 'Parameter':
      return a.number
    default:
      return null
  }
}
