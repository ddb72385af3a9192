/**
 * Which proxy function a client's call names when its argument types are
 * known (`select f(42)`, `f($1::int8)`, `f(n => 'x')`): PostgreSQL's
 * function resolution (parse_func.c, func_select_candidate) reduced to
 * what proxy functions need — exact matches, implicit coercions along the
 * numeric and string ladders, unknown literals matching anything.
 */
import { baseTypeOf, type PlanArgument, type PlanType, type RoutingPlan } from '../compiler/index.js'
import { PlProxyError } from './errors.js'

/** One argument of a call: its name (`name => value`), its type when known. */
export interface CallArgumentType {
  readonly name?: string
  /** undefined: an unknown-type literal, NULL or untyped parameter */
  readonly type?: PlanType
}

export interface ResolvedCall {
  readonly plan: RoutingPlan
  /**
   * for each IN argument of the function, in order: the index of the
   * call's argument that gives it, or -1 when its default does
   */
  readonly sources: readonly number[]
}

const NUMERIC_LADDER = ['int2', 'int4', 'int8', 'numeric', 'float4', 'float8']
const STRING_TYPES = new Set(['text', 'varchar', 'bpchar', 'name'])
const PREFERRED: Readonly<Record<string, string>> = { N: 'float8', S: 'text', D: 'timestamptz', B: 'bool' }

function pgCatalogName(t: PlanType): string | undefined {
  return t.schema === 'pg_catalog' ? t.typname : undefined
}

function same(a: PlanType, b: PlanType): boolean {
  return a.schema === b.schema && a.typname === b.typname
}

/** Can a value of type `from` be passed where `to` is declared, without a cast? */
export function implicitlyCoercible(from: PlanType, to: PlanType): boolean {
  if (same(from, to)) return true
  const f = baseTypeOf(from)
  if (same(f, to)) return true
  // a value goes into a domain through its base type (the domain's constraints are checked where it is read)
  if (to.kind === 'domain') return implicitlyCoercible(f, baseTypeOf(to))
  // arrays coerce element by element (int4[] → int8[])
  if (f.element && to.element) return implicitlyCoercible(f.element, to.element)
  const fn = pgCatalogName(f)
  const tn = pgCatalogName(to)
  if (fn === undefined || tn === undefined) return false
  const fi = NUMERIC_LADDER.indexOf(fn)
  const ti = NUMERIC_LADDER.indexOf(tn)
  if (fi >= 0 && ti >= 0) return fi <= ti
  if (STRING_TYPES.has(fn) && STRING_TYPES.has(tn)) return true
  if ((fn === 'int4' || fn === 'int8' || fn === 'int2') && (tn === 'oid' || tn === 'regclass')) return true
  if (fn === 'timestamp' && tn === 'timestamptz') return true
  if (fn === 'date' && (tn === 'timestamp' || tn === 'timestamptz')) return true
  if (fn === 'json' && tn === 'jsonb') return false
  return false
}

function inArgs(plan: RoutingPlan): PlanArgument[] {
  return plan.function.arguments.filter((a) => a.inIndex !== undefined)
}

/** How the call's arguments bind to a candidate's IN arguments, or undefined when they cannot. */
function bind(plan: RoutingPlan, args: readonly CallArgumentType[]): number[] | undefined {
  const ins = inArgs(plan)
  const positional = args.findIndex((a) => a.name !== undefined)
  const nPositional = positional < 0 ? args.length : positional
  if (args.length > ins.length) return undefined
  const sources = new Array<number>(ins.length).fill(-1)
  for (let i = 0; i < nPositional; i++) sources[i] = i
  for (let k = nPositional; k < args.length; k++) {
    const name = args[k]!.name
    if (name === undefined) return undefined
    const j = ins.findIndex((a) => a.name === name)
    if (j < 0 || sources[j] !== -1) return undefined
    sources[j] = k
  }
  for (let j = 0; j < ins.length; j++)
    if (sources[j] === -1 && ins[j]!.default === undefined) return undefined
  return sources
}

interface Candidate {
  readonly plan: RoutingPlan
  readonly sources: number[]
}

function describe(name: string, args: readonly CallArgumentType[]): string {
  const shown = args.map((a) => {
    const t = a.type ? a.type.sqlName : 'unknown'
    return a.name === undefined ? t : `${a.name} => ${t}`
  })
  return `${name}(${shown.join(', ')})`
}

/**
 * The function a call means among `candidates` (same name, already
 * filtered by schema), PostgreSQL's errors when none or several fit.
 */
export function resolveCall(
  displayName: string,
  candidates: readonly RoutingPlan[],
  args: readonly CallArgumentType[],
  searchPath: readonly string[],
  qualified: boolean,
): ResolvedCall {
  let fitting: Candidate[] = []
  for (const plan of candidates) {
    const sources = bind(plan, args)
    if (!sources) continue
    const ins = inArgs(plan)
    const ok = sources.every((k, j) => {
      if (k < 0) return true
      const t = args[k]!.type
      return t === undefined || implicitlyCoercible(t, ins[j]!.type)
    })
    if (ok) fitting.push({ plan, sources })
  }
  if (!qualified && fitting.length > 1) {
    // a function in an earlier schema of the path hides one with the same argument types in a later one
    const rank = (p: RoutingPlan) => {
      const i = searchPath.indexOf(p.function.schema)
      return i < 0 ? searchPath.length : i
    }
    const signature = (c: Candidate) =>
      inArgs(c.plan)
        .map((a) => `${a.type.schema}.${a.type.typname}`)
        .join(',')
    const best = new Map<string, Candidate>()
    for (const c of fitting) {
      const key = signature(c)
      const prev = best.get(key)
      if (!prev || rank(c.plan) < rank(prev.plan)) best.set(key, c)
    }
    fitting = [...best.values()]
  }
  if (fitting.length > 1) {
    // most exact matches wins; then most preferred types where the argument's category matches
    const score = (c: Candidate, exactOnly: boolean) => {
      const ins = inArgs(c.plan)
      let n = 0
      c.sources.forEach((k, j) => {
        if (k < 0) return
        const t = args[k]!.type
        if (!t) return
        if (same(t, ins[j]!.type)) n++
        else if (!exactOnly) {
          const category = baseTypeOf(t).category
          if (category && PREFERRED[category] === pgCatalogName(ins[j]!.type)) n++
        }
      })
      return n
    }
    for (const exactOnly of [true, false]) {
      const scores = fitting.map((c) => score(c, exactOnly))
      const top = Math.max(...scores)
      fitting = fitting.filter((_, i) => scores[i] === top)
      if (fitting.length === 1) break
    }
  }
  if (fitting.length === 1) return fitting[0]!
  const call = describe(displayName, args)
  if (fitting.length > 1) {
    throw new PlProxyError(`function ${call} is not unique`, {
      code: '42725',
      hint: 'Could not choose a best candidate function. You might need to add explicit type casts.',
    })
  }
  throw new PlProxyError(`function ${call} does not exist`, {
    code: '42883',
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
  })
}
