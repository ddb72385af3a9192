/**
 * Evaluating PL/Proxy's local expressions (`RUN ON`, `CLUSTER fn()`,
 * `CONNECT fn()/arg`): natively when lowered, else by a JavaScript
 * function registered under the called name, else on the proxy database,
 * as PL/Proxy runs them (one row per result; column 1 typed).
 */
import type { Expression, ExpressionNode, PlanType } from '../compiler/index.js'
import type { ProxyDatabase } from './proxy-database.js'
import { evaluate, type NativeValue, NeedsDatabase } from './routing/evaluate.js'

/** Well-known type OIDs of local results. */
export const OID = { int2: 21, int4: 23, int8: 20, text: 25 } as const

/** One row's first column: its type OID and value (null = SQL NULL). */
export interface LocalValue {
  readonly typeOid: number
  readonly value: NativeValue
}

/** A JavaScript stand-in for a SQL function called in CLUSTER/RUN ON/CONNECT. */
export type JsFunction = (...args: NativeValue[]) => unknown

export interface LocalContext {
  readonly proxyDatabase?: ProxyDatabase
  readonly functions: ReadonlyMap<string, JsFunction>
}

function typeOidOf(t: PlanType): number {
  return t.oid ?? 0
}

/** A JavaScript result as PostgreSQL would type it: integers int4 (int8 beyond), bigint int8, strings text. */
function fromJs(value: unknown): LocalValue {
  if (value === null || value === undefined) return { typeOid: OID.text, value: null }
  if (typeof value === 'bigint') return { typeOid: OID.int8, value }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return { typeOid: 701, value: String(value) }
    return value >= -2147483648 && value <= 2147483647
      ? { typeOid: OID.int4, value }
      : { typeOid: OID.int8, value: BigInt(value) }
  }
  return { typeOid: OID.text, value: String(value) }
}

/**
 * The rows of a local expression. `args` are the IN arguments' native
 * values and `argTexts` their text, with SPLIT arguments replaced by the
 * current element in both.
 */
export function evaluateLocal(
  expression: Expression,
  args: readonly NativeValue[],
  argTexts: readonly (string | null)[],
  ctx: LocalContext,
): LocalValue[] | Promise<LocalValue[]> {
  if (expression.kind === 'NativeExpression') {
    try {
      return [{ typeOid: typeOidOf(expression.resultType), value: evaluate(expression.node, args) }]
    } catch (e) {
      if (!(e instanceof NeedsDatabase)) throw e
      if (!ctx.proxyDatabase) {
        // no database to ask: JavaScript's Unicode case mapping, documented in docs/compatibility.md
        return [
          {
            typeOid: typeOidOf(expression.resultType),
            value: evaluate(expression.node, args, { unicodeCaseMapping: true }),
          },
        ]
      }
    }
  } else if (expression.call) {
    const fn =
      ctx.functions.get(expression.call.name) ?? ctx.functions.get(expression.call.name.toLowerCase())
    if (fn) {
      const values = expression.call.arguments.map((a: ExpressionNode) => evaluate(a, args))
      const result = fn(...values)
      const rows = (r: unknown) => (Array.isArray(r) ? r.map(fromJs) : [fromJs(r)])
      return result instanceof Promise ? result.then(rows) : rows(result)
    }
  }
  return evaluateSql(expression, argTexts, ctx)
}

async function evaluateSql(
  expression: Expression,
  argTexts: readonly (string | null)[],
  ctx: LocalContext,
): Promise<LocalValue[]> {
  const db = ctx.proxyDatabase
  if (!db) throw new Error(`no proxy database to evaluate: ${expression.sql}`)
  const oids = await Promise.all(expression.parameterTypes.map((t) => db.typeOid(t)))
  const params = expression.parameters.map((i) => argTexts[i] ?? null)
  const r = await db.query(expression.sql, params, oids)
  const typeOid = r.fields[0]?.typeOid ?? 0
  return r.rows.map((row) => {
    const text = row[0] ?? null
    if (text === null) return { typeOid, value: null }
    if (typeOid === OID.int2 || typeOid === OID.int4) return { typeOid, value: Number(text) }
    if (typeOid === OID.int8) return { typeOid, value: BigInt(text) }
    return { typeOid, value: text }
  })
}
