/**
 * Client statements read from PostgreSQL's own parse tree (libpg-query):
 * the general path, for anything the fast path (fast-path.ts) does not take.
 */

import { type StatementLocator, typeReference } from '../script/ddl.js'
import { SourceFile } from '../source-file.js'
import type {
  ClientArgument,
  ClientCallArgument,
  ClientStatement,
  ColumnDefinition,
  FunctionCallStatement,
  SelectedColumn,
  SortKey,
} from './model.js'

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse trees are untyped JSON
type Node = any

const str = (n: Node): string => n?.String?.sval ?? ''

/** Why a node is not a call argument plproxy-ts evaluates. */
class NotAnArgument extends Error {}

function locatorFor(text: string): StatementLocator {
  const source = new SourceFile('<statement>', text)
  const buffer = Buffer.from(text, 'utf8')
  const ascii = buffer.length === text.length
  return {
    text,
    position: (index) => source.position(index),
    index: (byte) =>
      byte === undefined ? 0 : ascii ? byte : buffer.subarray(0, byte).toString('utf8').length,
  }
}

/** PostgreSQL's make_const: integral constants beyond int4 are int8 when they fit, numeric otherwise. */
function numericConstant(text: string): Extract<ClientArgument, { kind: 'Constant' }> {
  if (/^-?\d+$/.test(text)) {
    const n = BigInt(text)
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return { kind: 'Constant', value: text, constant: 'bigint' }
  }
  return { kind: 'Constant', value: text, constant: 'numeric' }
}

/** A constant as PostgreSQL's parser types it. */
function constantArgument(a: Node): Extract<ClientArgument, { kind: 'Constant' }> {
  if (a.isnull) return { kind: 'Constant', value: null, constant: 'null' }
  if (a.ival) return { kind: 'Constant', value: String(a.ival.ival ?? 0), constant: 'integer' }
  if (a.fval) return numericConstant(String(a.fval.fval))
  if (a.sval) return { kind: 'Constant', value: String(a.sval.sval ?? ''), constant: 'string' }
  if (a.boolval) return { kind: 'Constant', value: a.boolval.boolval ? 't' : 'f', constant: 'boolean' }
  throw new NotAnArgument('a bit-string constant')
}

function argument(node: Node, loc: StatementLocator): ClientArgument {
  if (node?.A_Const) {
    const constant = constantArgument(node.A_Const)
    return node.A_Const.location === undefined
      ? constant
      : { ...constant, position: loc.index(node.A_Const.location) + 1 }
  }
  if (node?.ParamRef) return { kind: 'Parameter', number: node.ParamRef.number ?? 0 }
  if (node?.TypeCast) {
    const t = node.TypeCast.typeName
    return { kind: 'Cast', argument: argument(node.TypeCast.arg, loc), type: typeReference(t, loc) }
  }
  if (node?.A_ArrayExpr) {
    return { kind: 'Array', elements: (node.A_ArrayExpr.elements ?? []).map((e: Node) => argument(e, loc)) }
  }
  if (node?.RowExpr) {
    return { kind: 'Row', fields: (node.RowExpr.args ?? []).map((e: Node) => argument(e, loc)) }
  }
  throw new NotAnArgument(Object.keys(node ?? {})[0] ?? 'an expression')
}

function callArguments(call: Node, loc: StatementLocator): ClientCallArgument[] {
  return (call.args ?? []).map((a: Node): ClientCallArgument => {
    if (a.NamedArgExpr) return { name: a.NamedArgExpr.name, value: argument(a.NamedArgExpr.arg, loc) }
    return { value: argument(a, loc) }
  })
}

/** A FuncCall node that is a plain call (no DISTINCT, ORDER BY, FILTER, OVER, VARIADIC, `*`). */
function plainCall(call: Node): boolean {
  return (
    !call.agg_order &&
    !call.agg_filter &&
    !call.over &&
    !call.agg_within_group &&
    !call.agg_star &&
    !call.agg_distinct &&
    !call.func_variadic &&
    (call.funcformat === undefined || call.funcformat === 'COERCE_EXPLICIT_CALL')
  )
}

function nameOf(call: Node): { schema?: string; name: string; parts: number } {
  const parts: string[] = (call.funcname ?? []).map(str)
  const name = parts[parts.length - 1] ?? ''
  return parts.length >= 2
    ? { schema: parts[parts.length - 2], name, parts: parts.length }
    : { name, parts: 1 }
}

/** Every function name called anywhere in a tree (`name` or `schema.name`). */
export function calledFunctions(tree: Node): string[] {
  const out = new Set<string>()
  const walk = (n: Node): void => {
    if (Array.isArray(n)) {
      for (const x of n) walk(x)
      return
    }
    if (n === null || typeof n !== 'object') return
    if (n.FuncCall) {
      const { schema, name } = nameOf(n.FuncCall)
      out.add(schema === undefined ? name : `${schema}.${name}`)
    }
    for (const k in n) walk(n[k])
  }
  walk(tree)
  return [...out]
}

/** Only a SELECT list, FROM, ORDER BY, LIMIT and OFFSET (no WHERE, GROUP BY, DISTINCT, INTO, WITH, …). */
function bareSelect(s: Node): boolean {
  const allowed = new Set([
    'targetList',
    'fromClause',
    'limitOption',
    'op',
    'sortClause',
    'limitCount',
    'limitOffset',
  ])
  return (
    Object.keys(s).every((k) => allowed.has(k)) &&
    s.op === 'SETOP_NONE' &&
    (s.limitOption === undefined ||
      s.limitOption === 'LIMIT_OPTION_DEFAULT' ||
      s.limitOption === 'LIMIT_OPTION_COUNT')
  )
}

/** ORDER BY output columns (numbers or names), LIMIT and OFFSET constants or parameters; a reason when not that. */
function sortAndLimit(
  s: Node,
  loc: StatementLocator,
): { orderBy?: SortKey[]; limit?: ClientArgument; offset?: ClientArgument } | { unsupported: string } {
  const out: { orderBy?: SortKey[]; limit?: ClientArgument; offset?: ClientArgument } = {}
  if (s.sortClause) {
    const keys: SortKey[] = []
    for (const item of s.sortClause as Node[]) {
      const sb = item.SortBy
      if (!sb || sb.useOp)
        return { unsupported: 'ORDER BY around a proxy function call takes its output columns only' }
      let column: number | string
      if (sb.node?.A_Const?.ival !== undefined) column = Number(sb.node.A_Const.ival.ival ?? 0)
      else if (sb.node?.ColumnRef?.fields?.length === 1 && sb.node.ColumnRef.fields[0].String) {
        column = str(sb.node.ColumnRef.fields[0])
      } else return { unsupported: 'ORDER BY around a proxy function call takes its output columns only' }
      const descending = sb.sortby_dir === 'SORTBY_DESC'
      const nullsFirst =
        sb.sortby_nulls === 'SORTBY_NULLS_FIRST' || (sb.sortby_nulls !== 'SORTBY_NULLS_LAST' && descending)
      keys.push({ column, descending, nullsFirst })
    }
    out.orderBy = keys
  }
  try {
    if (s.limitCount) out.limit = argument(s.limitCount, loc)
    if (s.limitOffset) out.offset = argument(s.limitOffset, loc)
  } catch (e) {
    if (e instanceof NotAnArgument)
      return { unsupported: 'LIMIT and OFFSET around a proxy function call take constants or $n' }
    throw e
  }
  return out
}

/**
 * The call a SELECT makes, or a reason it is not one plproxy-ts runs
 * (undefined when it calls nothing at all in a shape worth reporting).
 */
function selectCall(
  s: Node,
  text: string,
  loc: StatementLocator,
): FunctionCallStatement | { unsupported: string } | undefined {
  const targets: Node[] = s.targetList ?? []
  const from: Node[] = s.fromClause ?? []
  const shape = 'only SELECT f(…) and SELECT * | columns FROM f(…) run proxy functions'
  if (!from.length) {
    // SELECT f(args) [AS label]
    if (targets.length !== 1) return undefined
    const rt = targets[0]?.ResTarget
    const call = rt?.val?.FuncCall
    if (!call) return undefined
    if (!bareSelect(s) || !plainCall(call)) return { unsupported: shape }
    const { schema, name, parts } = nameOf(call)
    if (parts > 2) return { unsupported: 'cross-database references are not implemented' }
    let args: ClientCallArgument[]
    try {
      args = callArguments(call, loc)
    } catch (e) {
      if (e instanceof NotAnArgument) return { unsupported: argumentReason(e) }
      throw e
    }
    const around = sortAndLimit(s, loc)
    if ('unsupported' in around) return around
    return {
      kind: 'FunctionCall',
      ...(schema === undefined ? {} : { schema }),
      name,
      arguments: args,
      context: 'scalar',
      label: rt.name ?? name,
      ...around,
      position: loc.index(call.location) + 1,
      text,
    }
  }
  if (from.length !== 1 || !from[0].RangeFunction) return undefined
  const rf = from[0].RangeFunction
  const items: Node[] = rf.functions ?? []
  const call = items.length === 1 ? items[0]?.List?.items?.[0]?.FuncCall : undefined
  if (!call) return undefined
  if (!bareSelect(s) || !plainCall(call) || rf.lateral || rf.ordinality || rf.is_rowsfrom) {
    return { unsupported: shape }
  }
  const { schema, name, parts } = nameOf(call)
  if (parts > 2) return { unsupported: 'cross-database references are not implemented' }
  let args: ClientCallArgument[]
  try {
    args = callArguments(call, loc)
  } catch (e) {
    if (e instanceof NotAnArgument) return { unsupported: argumentReason(e) }
    throw e
  }
  const alias: string | undefined = rf.alias?.aliasname
  const columnAliases: string[] | undefined = rf.alias?.colnames?.map(str)
  const columnDefinitions: ColumnDefinition[] | undefined = rf.coldeflist?.map((c: Node) => ({
    name: c.ColumnDef.colname,
    type: typeReference(c.ColumnDef.typeName, loc),
  }))
  // the select list: *, alias.*, or plain column references with optional labels
  let select: 'star' | SelectedColumn[] = []
  const relation = alias ?? name
  for (const t of targets) {
    const rt = t.ResTarget
    const fields: Node[] | undefined = rt?.val?.ColumnRef?.fields
    if (!fields) return { unsupported: `${shape}; the select list may only name its columns` }
    const last = fields[fields.length - 1]
    const qualifier = fields.length === 2 ? str(fields[0]) : undefined
    if (fields.length > 2 || (qualifier !== undefined && qualifier !== relation)) {
      return { unsupported: `${shape}; the select list may only name its columns` }
    }
    if (last?.A_Star) {
      if (targets.length !== 1 || rt.name) return { unsupported: `${shape}; * must stand alone` }
      select = 'star'
      break
    }
    const column = str(last)
    ;(select as SelectedColumn[]).push({
      column,
      label: rt.name ?? column,
      position: loc.index(rt.val.ColumnRef.location) + 1,
    })
  }
  const around = sortAndLimit(s, loc)
  if ('unsupported' in around) return around
  return {
    kind: 'FunctionCall',
    ...(schema === undefined ? {} : { schema }),
    name,
    arguments: args,
    context: 'from',
    select,
    ...around,
    position: loc.index(call.location) + 1,
    ...(alias === undefined ? {} : { alias }),
    ...(columnAliases ? { columnAliases } : {}),
    ...(columnDefinitions ? { columnDefinitions } : {}),
    text,
  }
}

function argumentReason(e: NotAnArgument): string {
  return `arguments of a proxy function call must be constants, $n parameters or casts of them (found ${e.message})`
}

/**
 * One statement of a parse tree as a ClientStatement. `query` is the whole
 * query text the positions count in (PostgreSQL reports positions in it).
 */
export function statementFromTree(stmt: Node, text: string, query: string = text): ClientStatement {
  const node = Object.keys(stmt ?? {})[0] ?? 'Unknown'
  const body = stmt?.[node]
  const called = calledFunctions(stmt)
  if (node === 'SelectStmt' && called.length) {
    const found = selectCall(body, text, locatorFor(query))
    if (found && 'kind' in found) return found
    return {
      kind: 'Other',
      text,
      node,
      tree: stmt,
      calledFunctions: called,
      ...(found ? { unsupportedCall: found.unsupported } : {}),
    }
  }
  return { kind: 'Other', text, node, tree: stmt, calledFunctions: called }
}
