/**
 * A call of a proxy function as a SQL client writes it (`select f(42)`,
 * `select * from f($1::int8) as t(a int)`), prepared once and run many
 * times: which function it means (PostgreSQL's resolution by argument
 * types), the types of its `$n` parameters, the columns the client gets,
 * and how each execution's parameter values become the function's
 * arguments. The wire server prepares one per Parse message.
 */
import {
  builtinType,
  type CallSiteColumn,
  type PlanType,
  type RoutingPlan,
  resolveTypeReference,
  type TypeRegistry,
} from '../compiler/index.js'
import type { ClientArgument, FunctionCallStatement, TypeReference } from '../parser/index.js'
import { defaultArgumentText } from './argument-defaults.js'
import { type CallArgumentType, resolveCall } from './call-resolution.js'
import { PlProxyError } from './errors.js'
import type { FunctionTable } from './function-lookup.js'
import { comparatorOf } from './values/compare.js'
import {
  canonicalText,
  nativeTypeOf,
  PgValueError,
  quoteArrayElement,
  quoteRecordField,
} from './values/index.js'

export interface ClientCallContext {
  readonly table: FunctionTable
  /** schemas for unqualified names, `$user` already replaced */
  readonly searchPath: readonly string[]
  /** the type registry of the functions' database (user types included) */
  readonly types: TypeRegistry
  /** the PlanType of a built-in type OID (a Parse message's parameter type) */
  typeByOid(oid: number): PlanType | undefined
  /** the columns a plan returns for these call-site columns (engine.resultColumns) */
  resultColumns(
    plan: RoutingPlan,
    columns?: readonly CallSiteColumn[],
  ): readonly { name: string; type: PlanType }[]
}

export interface OutputColumn {
  readonly name: string
  readonly type: PlanType
}

/**
 * How the client's row is made from the function's row: its columns in
 * order (`map` undefined: all of them as they are), or the whole row as one
 * composite value (`select f()` of a function returning a row).
 */
export type OutputShape =
  | { readonly kind: 'columns'; readonly map?: readonly number[] }
  | { readonly kind: 'record' }

/** ORDER BY of a call: a key per function column (the row's own column index). */
export interface SortOrder {
  readonly column: number
  readonly descending: boolean
  readonly nullsFirst: boolean
  readonly compare: (a: string, b: string) => number
}

export interface PreparedClientCall {
  readonly plan: RoutingPlan
  /** the type of each `$n`, n = 1… */
  readonly parameterTypes: readonly PlanType[]
  /** what the client receives (RowDescription) */
  readonly columns: readonly OutputColumn[]
  /** the function's row: the columns of the rows the partitions return */
  readonly rowColumns: readonly OutputColumn[]
  /** the column definition list of a dynamic RECORD call */
  readonly callColumns?: readonly CallSiteColumn[]
  readonly output: OutputShape
  /** the function's IN-argument texts for these `$n` values (text) */
  arguments(parameters: readonly (string | null)[]): (string | null)[]
  /** ORDER BY, on the function's row columns */
  readonly order?: readonly SortOrder[]
  /** LIMIT and OFFSET for these `$n` values (LIMIT undefined: all) */
  window?(parameters: readonly (string | null)[]): { limit?: number; offset: number }
}

/**
 * The rows a client gets after ORDER BY, OFFSET and LIMIT (DataRow
 * messages in the function's column order; values read with `values`).
 */
export function windowRows<R>(
  prepared: PreparedClientCall,
  rows: readonly R[],
  parameters: readonly (string | null)[],
  values: (row: R) => readonly (Buffer | null)[],
): readonly R[] {
  let out = rows
  const order = prepared.order
  if (order?.length && rows.length > 1) {
    const keyed = rows.map((row, i) => {
      const v = values(row)
      return { row, i, keys: order.map((k) => v[k.column]?.toString('utf8') ?? null) }
    })
    keyed.sort((a, b) => {
      for (let k = 0; k < order.length; k++) {
        const o = order[k]!
        const x = a.keys[k]!
        const y = b.keys[k]!
        let c: number
        if (x === null || y === null) {
          if (x === y) continue
          c = (x === null) === o.nullsFirst ? -1 : 1
          return c
        }
        c = o.compare(x, y)
        if (c !== 0) return o.descending ? -c : c
      }
      return a.i - b.i
    })
    out = keyed.map((k) => k.row)
  }
  if (prepared.window) {
    const { limit, offset } = prepared.window(parameters)
    if (offset > 0 || limit !== undefined) {
      out = out.slice(offset, limit === undefined ? undefined : offset + limit)
    }
  }
  return out
}

/** The type PostgreSQL's parser gives a constant (make_const); undefined for unknown-type literals. */
function constantType(ctx: ClientCallContext, kind: string): PlanType | undefined {
  switch (kind) {
    case 'integer':
      return ctx.typeByOid(23)
    case 'bigint':
      return ctx.typeByOid(20)
    case 'numeric':
      return ctx.typeByOid(1700)
    case 'boolean':
      return ctx.typeByOid(16)
    default:
      return undefined
  }
}

function typeOf(ctx: ClientCallContext, ref: TypeReference): PlanType {
  const type = resolveTypeReference(ctx.types, ref, ctx.searchPath)
  if (!type) {
    const shown = ref.names.join('.') + '[]'.repeat(ref.arrayDimensions)
    throw new PlProxyError(`type "${shown}" does not exist`, { code: '42704' })
  }
  return type
}

/** Every `$n` an argument refers to, with the type a cast around it gives it. */
function collectParameters(
  ctx: ClientCallContext,
  arg: ClientArgument,
  found: Map<number, PlanType | undefined>,
  castTo?: PlanType,
): void {
  if (arg.kind === 'Parameter') {
    if (!found.has(arg.number) || found.get(arg.number) === undefined) found.set(arg.number, castTo)
  } else if (arg.kind === 'Cast') collectParameters(ctx, arg.argument, found, typeOf(ctx, arg.type))
  else if (arg.kind === 'Array') for (const e of arg.elements) collectParameters(ctx, e, found)
  else if (arg.kind === 'Row') for (const f of arg.fields) collectParameters(ctx, f, found)
}

/** The type of ARRAY[…]: the array of its elements' common type (text for unknown literals), when there is one. */
function arrayType(
  ctx: ClientCallContext,
  arg: Extract<ClientArgument, { kind: 'Array' }>,
  parameterTypes: ReadonlyMap<number, PlanType | undefined>,
): PlanType | undefined {
  let element: PlanType | undefined
  for (const e of arg.elements) {
    const t =
      e.kind === 'Array' ? arrayType(ctx, e, parameterTypes)?.element : argumentType(ctx, e, parameterTypes)
    if (!t) continue
    if (element && (element.schema !== t.schema || element.typname !== t.typname)) return undefined
    element = t
  }
  const name = element ? element.typname : 'text'
  if (element && element.schema !== 'pg_catalog') return undefined
  const key = `pg_catalog._${name}`
  return ctx.types.get(key) || builtinTypeExists(`_${name}`) ? ctx.types.planType(key) : undefined
}

function builtinTypeExists(typname: string): boolean {
  return builtinType(typname) !== undefined
}

/** The type an argument has before it is passed (undefined: unknown). */
function argumentType(
  ctx: ClientCallContext,
  arg: ClientArgument,
  parameterTypes: ReadonlyMap<number, PlanType | undefined>,
): PlanType | undefined {
  switch (arg.kind) {
    case 'Constant':
      return constantType(ctx, arg.constant)
    case 'Parameter':
      return parameterTypes.get(arg.number)
    case 'Cast':
      return typeOf(ctx, arg.type)
    case 'Array':
      return arrayType(ctx, arg, parameterTypes)
    case 'Row':
      return undefined
  }
}

const INTEGER_LIMITS: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-(2n ** 63n), 2n ** 63n - 1n],
}

/** numeric → integer as PostgreSQL casts it: rounded half away from zero, range-checked. */
function numericToInteger(text: string, typname: string): string {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text)
  if (!m) throw new PgValueError(`invalid input syntax for type numeric: "${text}"`, '22P02')
  const [, sign, whole = '', frac = '', exp = '0'] = m
  let digits = whole + frac
  let point = whole.length + Number(exp)
  if (point < 0) {
    digits = '0'.repeat(-point) + digits
    point = 0
  }
  digits = digits.padEnd(point + 1, '0')
  let int = BigInt(digits.slice(0, point) || '0')
  if (Number(digits[point] ?? '0') >= 5) int += 1n
  if (sign === '-') int = -int
  const [lo, hi] = INTEGER_LIMITS[typname]!
  if (int < lo || int > hi) {
    const what = typname === 'int2' ? 'smallint' : typname === 'int4' ? 'integer' : 'bigint'
    throw new PgValueError(`${what} out of range`, '22003')
  }
  return String(int)
}

/** The text of a value of type `from` cast to `to` (natively where PostgreSQL's result is known). */
function castText(text: string, from: PlanType | undefined, to: PlanType): string {
  const target = to.schema === 'pg_catalog' ? to.typname : undefined
  const source = from?.schema === 'pg_catalog' ? from.typname : undefined
  if (
    target &&
    INTEGER_LIMITS[target] &&
    source !== target &&
    (source === 'numeric' || source === 'float4' || source === 'float8' || (source && INTEGER_LIMITS[source]))
  ) {
    return numericToInteger(text, target)
  }
  return nativeTypeOf(to) ? canonicalText(to, text) : text
}

type Evaluator = (parameters: readonly (string | null)[]) => string | null

function evaluator(
  ctx: ClientCallContext,
  arg: ClientArgument,
  parameterTypes: ReadonlyMap<number, PlanType | undefined>,
): Evaluator {
  switch (arg.kind) {
    case 'Constant': {
      const v = arg.value
      return () => v
    }
    case 'Parameter': {
      const i = arg.number - 1
      // a parameter is read by its type's input function at Bind, as PostgreSQL does
      const type = parameterTypes.get(arg.number)
      if (type && nativeTypeOf(type)) {
        return (p) => {
          const v = p[i] ?? null
          if (v === null) return null
          try {
            return canonicalText(type, v)
          } catch (e) {
            throw Object.assign(e as Error, { parameter: arg.number })
          }
        }
      }
      return (p) => p[i] ?? null
    }
    case 'Cast': {
      const inner = evaluator(ctx, arg.argument, parameterTypes)
      const from = argumentType(ctx, arg.argument, parameterTypes)
      const to = typeOf(ctx, arg.type)
      return (p) => {
        const v = inner(p)
        return v === null ? null : castText(v, from, to)
      }
    }
    case 'Array': {
      // an array literal: `{a,b}`, nested arrays as sub-arrays
      const elements = arg.elements.map((e) => ({
        nested: e.kind === 'Array',
        get: evaluator(ctx, e, parameterTypes),
      }))
      return (p) =>
        `{${elements.map((e) => (e.nested ? (e.get(p) ?? 'NULL') : quoteArrayElement(e.get(p)))).join(',')}}`
    }
    case 'Row': {
      const fields = arg.fields.map((f) => evaluator(ctx, f, parameterTypes))
      return (p) => `(${fields.map((f) => quoteRecordField(f(p))).join(',')})`
    }
  }
}

/** Output column names after `AS t(a, b)`: the aliases replace the first names. */
function renamed(
  columns: readonly OutputColumn[],
  alias: string | undefined,
  aliases: readonly string[] | undefined,
): OutputColumn[] {
  if (!aliases?.length) return [...columns]
  if (aliases.length > columns.length) {
    throw new PlProxyError(
      `table "${alias}" has ${columns.length} columns available but ${aliases.length} columns specified`,
      { code: '42P10' },
    )
  }
  return columns.map((c, i) => (i < aliases.length ? { name: aliases[i]!, type: c.type } : c))
}

/**
 * Prepares a client's call; undefined when no proxy function has that name
 * (the statement is then someone else's: the proxy database's).
 */
export function prepareClientCall(
  ctx: ClientCallContext,
  stmt: FunctionCallStatement,
  parameterTypeOids: readonly number[] = [],
): PreparedClientCall | undefined {
  const candidates = ctx.table.named(stmt.name, stmt.schema)
  if (!candidates.length) return undefined
  const shownName = stmt.schema === undefined ? stmt.name : `${stmt.schema}.${stmt.name}`

  // the parameters' types: given by the client, from a cast around them, or (later) from the function
  const parameterTypes = new Map<number, PlanType | undefined>()
  parameterTypeOids.forEach((oid, i) => {
    if (oid === 0) return
    const t = ctx.typeByOid(oid)
    if (!t) {
      throw new PlProxyError(`parameter $${i + 1} has a type (OID ${oid}) plproxy-ts does not know`, {
        code: '42704',
      })
    }
    parameterTypes.set(i + 1, t)
  })
  const referenced = new Map<number, PlanType | undefined>()
  for (const a of stmt.arguments) collectParameters(ctx, a.value, referenced)
  // LIMIT $n and OFFSET $n are bigint
  for (const w of [stmt.limit, stmt.offset]) if (w) collectParameters(ctx, w, referenced, ctx.typeByOid(20))
  for (const [n, t] of referenced) if (!parameterTypes.get(n) && t) parameterTypes.set(n, t)

  const argTypes: CallArgumentType[] = stmt.arguments.map((a) => {
    const type = argumentType(ctx, a.value, parameterTypes)
    return a.name === undefined ? { type } : { name: a.name, type }
  })
  const { plan, sources } = resolveCall(
    shownName,
    candidates,
    argTypes,
    ctx.searchPath,
    stmt.schema !== undefined,
  )
  const ins = plan.function.arguments.filter((a) => a.inIndex !== undefined)

  // a bare `$n` takes the type of the argument it is passed as
  sources.forEach((k, j) => {
    if (k < 0) return
    const v = stmt.arguments[k]!.value
    if (v.kind === 'Parameter' && !parameterTypes.get(v.number)) parameterTypes.set(v.number, ins[j]!.type)
  })
  const count = Math.max(parameterTypeOids.length, ...[...referenced.keys()], 0)
  const parameterList: PlanType[] = []
  for (let n = 1; n <= count; n++) {
    const t = parameterTypes.get(n)
    if (!t) throw new PlProxyError(`could not determine data type of parameter $${n}`, { code: '42P18' })
    parameterList.push(t)
  }

  // each IN argument: the call's expression, or the function's default
  const evaluators: Evaluator[] = sources.map((k, j) => {
    const arg = ins[j]!
    if (k < 0) {
      const text = defaultArgumentText(plan, arg.name, arg.default, arg.type)
      return () => text
    }
    const value = stmt.arguments[k]!.value
    const inner = evaluator(ctx, value, parameterTypes)
    const from = argumentType(ctx, value, parameterTypes)
    // an implicit coercion (int4 → int8, numeric → float8…) keeps the text; unknown literals are read by the type
    if (from && from.schema === arg.type.schema && from.typname === arg.type.typname) return inner
    return (p) => {
      const v = inner(p)
      return v === null ? null : castText(v, from, arg.type)
    }
  })

  // the result
  let callColumns: CallSiteColumn[] | undefined
  if (plan.result.kind === 'DynamicRecordResult') {
    if (stmt.context === 'scalar') {
      throw new PlProxyError(`PL/Proxy function ${plan.function.qualifiedName}(0): unsupported type`, {
        code: 'XX000',
      })
    }
    if (!stmt.columnDefinitions?.length) {
      throw new PlProxyError('a column definition list is required for functions returning "record"', {
        code: '42601',
      })
    }
    callColumns = stmt.columnDefinitions.map((c) => ({ name: c.name, type: typeOf(ctx, c.type) }))
  } else if (stmt.columnDefinitions?.length) {
    throw new PlProxyError('a column definition list is only allowed for functions returning "record"', {
      code: '42601',
    })
  }
  const resultColumns = ctx.resultColumns(plan, callColumns)
  let columns: OutputColumn[]
  let output: OutputShape
  if (stmt.context === 'scalar') {
    if (plan.result.kind === 'CompositeResult') {
      output = { kind: 'record' }
      columns = [{ name: stmt.label ?? plan.function.name, type: plan.function.returnType }]
    } else {
      output = { kind: 'columns' }
      columns = [{ name: stmt.label ?? plan.function.name, type: resultColumns[0]!.type }]
    }
  } else {
    let available: OutputColumn[] = resultColumns.map((c) => ({ name: c.name, type: c.type }))
    // a scalar function in FROM names its column after the alias
    if (plan.result.kind === 'ScalarResult' && stmt.alias !== undefined && !stmt.columnAliases?.length) {
      available = [{ name: stmt.alias, type: available[0]!.type }]
    }
    available = renamed(available, stmt.alias, stmt.columnAliases)
    if (stmt.select === 'star' || stmt.select === undefined) {
      columns = available
      output = { kind: 'columns' }
    } else {
      const map = stmt.select.map((s) => {
        const i = available.findIndex((c) => c.name === s.column)
        if (i < 0) {
          const position = s.position === undefined ? undefined : String(s.position)
          throw new PlProxyError(`column "${s.column}" does not exist`, { code: '42703', position })
        }
        return i
      })
      columns = stmt.select.map((s, i) => ({ name: s.label, type: available[map[i]!]!.type }))
      const identity = map.length === available.length && map.every((j, i) => j === i)
      output = identity ? { kind: 'columns' } : { kind: 'columns', map }
    }
  }

  // ORDER BY output columns, kept as the function's row columns (rows are sorted before they are shaped)
  let order: SortOrder[] | undefined
  if (stmt.orderBy?.length) {
    const rowColumnOf = (i: number): number[] => {
      if (output.kind === 'record') return resultColumns.map((_, j) => j)
      return [output.map ? output.map[i]! : i]
    }
    order = stmt.orderBy.flatMap((key) => {
      let i: number
      if (typeof key.column === 'number') {
        i = key.column - 1
        if (i < 0 || i >= columns.length) {
          throw new PlProxyError(`ORDER BY position ${key.column} is not in select list`, { code: '42P10' })
        }
      } else {
        i = columns.findIndex((c) => c.name === key.column)
        if (i < 0) throw new PlProxyError(`column "${key.column}" does not exist`, { code: '42703' })
      }
      return rowColumnOf(i).map((column) => ({
        column,
        descending: key.descending,
        nullsFirst: key.nullsFirst,
        compare: comparatorOf(resultColumns[column]!.type),
      }))
    })
  }
  const limitOf = stmt.limit ? evaluator(ctx, stmt.limit, parameterTypes) : undefined
  const offsetOf = stmt.offset ? evaluator(ctx, stmt.offset, parameterTypes) : undefined
  const rowCount = (text: string | null, what: string): number | undefined => {
    if (text === null) return undefined
    const n = Number(text)
    if (!Number.isInteger(n)) {
      throw new PgValueError(`invalid input syntax for type bigint: "${text}"`, '22P02')
    }
    if (n < 0) throw new PgValueError(`${what} must not be negative`, what === 'LIMIT' ? '2201W' : '2201X')
    return n
  }

  return {
    plan,
    parameterTypes: parameterList,
    columns,
    rowColumns: resultColumns.map((c) => ({ name: c.name, type: c.type })),
    ...(callColumns ? { callColumns } : {}),
    ...(order ? { order } : {}),
    ...(limitOf || offsetOf
      ? {
          window: (params: readonly (string | null)[]) => {
            const limit = limitOf ? rowCount(limitOf(params), 'LIMIT') : undefined
            const offset = (offsetOf ? rowCount(offsetOf(params), 'OFFSET') : 0) ?? 0
            return limit === undefined ? { offset } : { limit, offset }
          },
        }
      : {}),
    output,
    arguments: (parameters) => {
      const out = new Array<string | null>(evaluators.length)
      for (let j = 0; j < evaluators.length; j++) out[j] = evaluators[j]!(parameters)
      return out
    },
  }
}
