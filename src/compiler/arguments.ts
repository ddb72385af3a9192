/**
 * Argument references (spec §3.5): `$n` by position, or a bare identifier
 * naming an IN argument, compared case-insensitively (ASCII folding, like
 * pg_strcasecmp). OUT parameters are never arguments.
 */
import type { PlanType } from './catalog/types.js'

export interface InArgument {
  /** the name as declared; undefined for unnamed arguments (only `$n` reaches them) */
  readonly name?: string
  readonly type: PlanType
}

const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase())

const LONG_MAX = 2n ** 63n - 1n

/** glibc atoi() of a digit string: strtol (saturating at LONG_MAX) truncated to a 32-bit int */
function cAtoi(digits: string): number {
  let v = BigInt(digits || '0')
  if (v > LONG_MAX) v = LONG_MAX
  return Number(BigInt.asIntN(32, v))
}

/** IN-argument index the identifier refers to, or -1. */
export function argumentIndex(ident: string, args: readonly InArgument[]): number {
  if (ident.startsWith('$')) {
    const i = cAtoi(ident.slice(1)) - 1
    return i >= 0 && i < args.length ? i : -1
  }
  const folded = asciiLower(ident)
  return args.findIndex((a) => a.name !== undefined && asciiLower(a.name) === folded)
}

/**
 * Builds one generated SQL string from constants and identifiers, numbering
 * the referenced arguments locally by first appearance (PL/Proxy's
 * QueryBuffer, spec §3.1). Remote queries print `$k::type`, local ones `$k`.
 */
export class QueryBuffer {
  private readonly parts: string[] = []
  readonly parameters: number[] = []

  constructor(
    private readonly args: readonly InArgument[],
    private readonly addTypes: boolean,
  ) {}

  addConst(text: string): void {
    this.parts.push(text)
  }

  /** adds an identifier; false when it is an invalid `$n` reference */
  addIdent(ident: string): boolean {
    const index = argumentIndex(ident, this.args)
    if (index < 0) {
      if (ident.startsWith('$')) return false
      this.parts.push(ident)
      return true
    }
    let local = this.parameters.indexOf(index)
    if (local < 0) {
      local = this.parameters.length
      this.parameters.push(index)
    }
    this.parts.push(this.addTypes ? `$${local + 1}::${this.args[index]!.type.name}` : `$${local + 1}`)
    return true
  }

  get sql(): string {
    return this.parts.join('')
  }
}
