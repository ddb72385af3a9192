/**
 * Finding the proxy function a caller names: `schema.name` or a bare name
 * looked up along the search path (then, if only one schema has it,
 * there), overloads told apart by how many arguments are given.
 */
import type { PlanArgument, RoutingPlan } from '../compiler/index.js'
import { PlProxyError } from './errors.js'

/**
 * `schema.name`, `"Quoted"`, or a bare name. Quoted parts are exact; bare
 * ones are taken as written, then case-folded as PostgreSQL folds them.
 */
function splitQualified(name: string): { schema?: string; name: string; quoted: boolean } {
  const m = /^("(?:[^"]|"")+"|[^."]+)\.("(?:[^"]|"")+"|[^."]+)$/.exec(name)
  const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s.toLowerCase())
  if (m) return { schema: unquote(m[1]!), name: unquote(m[2]!), quoted: m[2]!.startsWith('"') }
  const quoted = name.length > 1 && name.startsWith('"') && name.endsWith('"')
  return { name: quoted ? unquote(name) : name, quoted }
}

const inArgumentsOf = new WeakMap<RoutingPlan, readonly PlanArgument[]>()

/** The IN (and INOUT) arguments, in order; computed once per plan (read-only). */
export function inArguments(plan: RoutingPlan): readonly PlanArgument[] {
  let ins = inArgumentsOf.get(plan)
  if (ins === undefined) {
    ins = Object.freeze(plan.function.arguments.filter((a) => a.inIndex !== undefined))
    inArgumentsOf.set(plan, ins)
  }
  return ins
}

function accepts(plan: RoutingPlan, count: number | readonly string[]): boolean {
  const ins = inArguments(plan)
  if (typeof count !== 'number') {
    const names = new Set(ins.map((a) => a.name))
    return (
      count.every((n) => names.has(n)) &&
      ins.every((a) => count.includes(a.name ?? '') || a.default !== undefined)
    )
  }
  const required = ins.filter((a) => a.default === undefined).length
  return count >= required && count <= ins.length
}

export class FunctionTable {
  private readonly byName = new Map<string, RoutingPlan[]>()
  /** `count:name` → the plan found for that search path (calls by position repeat the same few lookups) */
  private readonly found = new Map<
    string,
    { readonly searchPath: readonly string[]; readonly plan: RoutingPlan }
  >()

  constructor(plans: Iterable<RoutingPlan>) {
    for (const plan of plans) {
      const list = this.byName.get(plan.function.name) ?? []
      list.push(plan)
      this.byName.set(plan.function.name, list)
    }
  }

  /** The functions called `name` (exact, then case-folded unless quoted), in `schema` when given. */
  named(name: string, schema?: string): RoutingPlan[] {
    const list = this.byName.get(name) ?? []
    return schema === undefined ? list : list.filter((p) => p.function.schema === schema)
  }

  all(): RoutingPlan[] {
    return [...this.byName.values()].flat()
  }

  /**
   * The plan a call of `name` with these arguments (a count, or the names
   * of named arguments) means; PostgreSQL's error when there is none.
   */
  find(name: string, given: number | readonly string[], searchPath: readonly string[]): RoutingPlan {
    if (typeof given !== 'number') return this.lookup(name, given, searchPath)
    const key = `${given}:${name}`
    const hit = this.found.get(key)
    if (hit !== undefined && hit.searchPath === searchPath) return hit.plan
    const plan = this.lookup(name, given, searchPath)
    // bounded: names come from callers
    if (this.found.size >= 1000) this.found.clear()
    this.found.set(key, { searchPath, plan })
    return plan
  }

  private lookup(
    name: string,
    given: number | readonly string[],
    searchPath: readonly string[],
  ): RoutingPlan {
    const q = splitQualified(name)
    let candidates =
      this.byName.get(q.name) ?? (q.quoted ? undefined : this.byName.get(q.name.toLowerCase())) ?? []
    if (q.schema !== undefined) candidates = candidates.filter((p) => p.function.schema === q.schema)
    let fitting = candidates.filter((p) => accepts(p, given))
    if (q.schema === undefined) {
      // the first schema on the path with a function that takes these arguments wins, as in PostgreSQL
      const onPath = searchPath.find((s) => fitting.some((p) => p.function.schema === s))
      const schemas = new Set(fitting.map((p) => p.function.schema))
      if (onPath !== undefined) fitting = fitting.filter((p) => p.function.schema === onPath)
      else if (schemas.size > 1) fitting = []
    }
    const shown =
      typeof given === 'number'
        ? Array(given).fill('unknown').join(', ')
        : given.map((n) => `${n} => unknown`).join(', ')
    if (fitting.length === 1) return fitting[0]!
    if (fitting.length > 1) {
      throw new PlProxyError(`function ${name}(${shown}) is not unique`, {
        code: '42725',
        hint: 'Could not choose a best candidate function. Call it with its schema-qualified name or with named arguments.',
      })
    }
    throw new PlProxyError(`function ${name}(${shown}) does not exist`, {
      code: '42883',
      hint: candidates.length
        ? `${name} takes ${[...new Set(candidates.map((p) => inArguments(p).length))].join(' or ')} argument(s).`
        : 'No proxy function matches the given name. Check the name, or the files given with --functions.',
    })
  }
}
