/**
 * Lowering of PL/Proxy's local expressions (DESIGN decision 4): the token
 * stream after `CLUSTER fn(`, `CONNECT fn(` or `RUN ON fn(` is parsed as a
 * small SQL expression; when every part is an argument, a literal, a cast
 * or a natively implemented function with exactly PostgreSQL's typing, the
 * result is a native node. Otherwise the caller keeps the SQL.
 */
import type { FunctionCallNode, SqlToken } from '../../parser/index.js'
import { argumentIndex, type InArgument } from '../arguments.js'
import { builtinType } from '../catalog/type-registry.js'
import type { PlanType } from '../catalog/types.js'
import { baseTypeOf } from '../catalog/types.js'
import type { ExpressionNode, NativeFunctionName, NativeOperator } from '../plan/expression.js'
import {
  CAST_FUNCTIONS,
  CAST_TYPE_NAMES,
  INTEGER_OPERATORS,
  INTEGER_TYPES,
  NATIVE_FUNCTIONS,
  TEXT_TYPES,
  widerInteger,
} from './native-functions.js'

export class NotLowerable extends Error {}

interface Tok {
  readonly kind: 'ident' | 'number' | 'string' | 'symbol'
  readonly text: string
  /** for strings: the value */
  readonly value?: string
  /** no whitespace between this token and the previous one */
  readonly glued: boolean
  /** the FNCALL head: PL/Proxy never substitutes it */
  readonly head?: boolean
}

const builtin = (typname: string): PlanType => {
  const entry = builtinType(typname)
  if (!entry) throw new Error(`missing built-in type ${typname}`)
  return {
    name: typname,
    schema: 'pg_catalog',
    typname,
    kind: 'base',
    sqlName: entry.sqlName ?? typname,
    oid: entry.oid,
    category: entry.category,
  }
}

const UNKNOWN: PlanType = { ...builtin('unknown'), kind: 'pseudo' }

function tokensOf(sql: readonly SqlToken[]): Tok[] {
  const out: Tok[] = []
  let glued = true
  for (const t of sql) {
    if (t.kind === 'SqlIdent') {
      out.push({ kind: 'ident', text: t.text, glued })
      glued = true
      continue
    }
    const text = t.text
    if (text === ' ') {
      glued = false
      continue
    }
    if (/^[0-9]/.test(text)) out.push({ kind: 'number', text, glued })
    else if (text.startsWith("'")) {
      if (!text.endsWith("'") || text.length < 2) throw new NotLowerable('unterminated string')
      out.push({ kind: 'string', text, value: text.slice(1, -1).replace(/''/g, "'"), glued })
    } else if (text.length === 1) out.push({ kind: 'symbol', text, glued })
    else
      throw new NotLowerable(`${text.length > 16 ? `${text.slice(0, 16)}…` : text} is not supported natively`)
    glued = true
  }
  return out
}

/** Implicit coercion PostgreSQL would apply from `from` to `to`, as a node, or undefined if none exists. */
function coerce(node: ExpressionNode, to: string): ExpressionNode | undefined {
  const from = typeOf(node)
  const fromBase = baseTypeOf(from)
  if (from.typname === to && from.schema === 'pg_catalog') return node
  if (from === UNKNOWN || from.typname === 'unknown') {
    if (node.kind === 'Constant') return { kind: 'Constant', type: builtin(to), value: node.value }
    return undefined
  }
  if (fromBase.schema !== 'pg_catalog') return undefined
  const f = fromBase.typname
  if (f === to) return { kind: 'Cast', input: node, type: builtin(to) }
  const ints = INTEGER_TYPES as readonly string[]
  if (ints.includes(f) && ints.includes(to) && ints.indexOf(f) < ints.indexOf(to)) {
    return { kind: 'Cast', input: node, type: builtin(to) }
  }
  if (to === 'text' && (TEXT_TYPES as readonly string[]).includes(f))
    return { kind: 'Cast', input: node, type: builtin('text') }
  return undefined
}

export function typeOf(node: ExpressionNode): PlanType {
  return node.type
}

/** Explicit casts (`::t`, `t(x)`) that are exact natively: between integers, integers↔text, text types. */
function explicitCast(node: ExpressionNode, to: string): ExpressionNode {
  const implicit = coerce(node, to)
  if (implicit) return implicit === node ? node : implicit
  const fromBase = baseTypeOf(typeOf(node))
  if (fromBase.schema !== 'pg_catalog') throw new NotLowerable(`cast from ${fromBase.name} is not native`)
  const f = fromBase.typname
  const ints = INTEGER_TYPES as readonly string[]
  const texts = TEXT_TYPES as readonly string[]
  if (
    (ints.includes(f) && ints.includes(to)) ||
    (ints.includes(f) && texts.includes(to)) ||
    (texts.includes(f) && (ints.includes(to) || texts.includes(to)))
  ) {
    return { kind: 'Cast', input: node, type: builtin(to) }
  }
  throw new NotLowerable(`cast from ${f} to ${to} is not native`)
}

class ExpressionParser {
  private pos = 0
  constructor(
    private readonly toks: Tok[],
    private readonly args: readonly InArgument[],
    private readonly split: ReadonlySet<number>,
  ) {}

  private peek(offset = 0): Tok | undefined {
    return this.toks[this.pos + offset]
  }
  private isSymbol(text: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t?.kind === 'symbol' && t.text === text
  }
  /** `::` and `||` are two one-character tokens written next to each other */
  private isPair(text: string): boolean {
    return this.isSymbol(text[0]!) && this.isSymbol(text[1]!, 1) && this.peek(1)!.glued
  }
  skip(n: number): void {
    this.pos += n
  }
  get done(): boolean {
    return this.pos >= this.toks.length
  }

  /** other operators (`||`, `&`, `|`, `#`): lowest precedence we handle, left-associative */
  parseExpression(): ExpressionNode {
    let left = this.parseAdditive()
    for (;;) {
      let op: NativeOperator | undefined
      if (this.isPair('||')) {
        op = '||'
        this.pos += 2
      } else if (this.isSymbol('&') || this.isSymbol('#') || (this.isSymbol('|') && !this.isPair('||'))) {
        op = this.peek()!.text as NativeOperator
        this.pos++
      }
      if (!op) return left
      left = this.operator(op, left, this.parseAdditive())
    }
  }

  private parseAdditive(): ExpressionNode {
    let left = this.parseMultiplicative()
    while (this.isSymbol('+') || this.isSymbol('-')) {
      const op = this.peek()!.text as NativeOperator
      this.pos++
      left = this.operator(op, left, this.parseMultiplicative())
    }
    return left
  }

  private parseMultiplicative(): ExpressionNode {
    let left = this.parseUnary()
    while (this.isSymbol('*') || this.isSymbol('/') || this.isSymbol('%')) {
      const op = this.peek()!.text as NativeOperator
      this.pos++
      left = this.operator(op, left, this.parseUnary())
    }
    return left
  }

  private parseUnary(): ExpressionNode {
    if (this.isSymbol('-')) {
      this.pos++
      const next = this.peek()
      if (next?.kind === 'number') {
        // a negative literal, typed by its magnitude like PostgreSQL's lexer does
        return this.parsePostfix(this.number(`-${next.text}`, 1))
      }
      const input = this.integer(this.parseUnary())
      return { kind: 'Negate', input, type: typeOf(input) }
    }
    if (this.isSymbol('+')) {
      this.pos++
      return this.parseUnary()
    }
    return this.parsePostfix(this.parsePrimary())
  }

  private parsePostfix(node: ExpressionNode): ExpressionNode {
    let cur = node
    while (this.isPair('::')) {
      this.pos += 2
      const t = this.peek()
      if (t?.kind !== 'ident') throw new NotLowerable('cast to a type written in an unsupported way')
      this.pos++
      const name = t.text.replace(/^pg_catalog\s*\.\s*/i, '').toLowerCase()
      const target = CAST_TYPE_NAMES[name]
      if (!target || this.isSymbol('(') || this.isSymbol('['))
        throw new NotLowerable(`cast to ${t.text} is not native`)
      cur = explicitCast(cur, target)
    }
    return cur
  }

  private number(text: string, consumed: number): ExpressionNode {
    this.pos += consumed
    if (!/^-?[0-9]+$/.test(text)) throw new NotLowerable(`numeric literal ${text} is not native`)
    const v = BigInt(text)
    if (v >= -(2n ** 31n) && v < 2n ** 31n)
      return { kind: 'Constant', type: builtin('int4'), value: v.toString() }
    if (v >= -(2n ** 63n) && v < 2n ** 63n)
      return { kind: 'Constant', type: builtin('int8'), value: v.toString() }
    throw new NotLowerable(`numeric literal ${text} is not native`)
  }

  private parsePrimary(): ExpressionNode {
    const t = this.peek()
    if (!t) throw new NotLowerable('expression ends early')
    if (t.kind === 'number') return this.number(t.text, 1)
    if (t.kind === 'string') {
      this.pos++
      return { kind: 'Constant', type: UNKNOWN, value: t.value ?? '' }
    }
    if (t.kind === 'symbol' && t.text === '(') {
      this.pos++
      const inner = this.parseExpression()
      this.expect(')')
      return inner
    }
    if (t.kind === 'ident') {
      this.pos++
      if (this.isSymbol('(')) {
        // PL/Proxy substitutes argument names even before `(`, which breaks the call
        if (!t.head && argumentIndex(t.text, this.args) >= 0)
          throw new NotLowerable(`argument ${t.text} used as a function`)
        this.pos++
        return this.call(t.text, this.callArguments())
      }
      if (/^null$/i.test(t.text)) return { kind: 'Constant', type: UNKNOWN, value: null }
      const index = argumentIndex(t.text, this.args)
      if (index < 0) throw new NotLowerable(`"${t.text}" is not an argument`)
      return argumentNode(index, this.args, this.split)
    }
    throw new NotLowerable(`"${t.text}" is not supported natively`)
  }

  private expect(symbol: string): void {
    if (!this.isSymbol(symbol)) throw new NotLowerable(`expected ${symbol}`)
    this.pos++
  }

  /** after `name(`: the arguments and the closing `)` */
  callArguments(): ExpressionNode[] {
    const list: ExpressionNode[] = []
    if (this.isSymbol(')')) {
      this.pos++
      return list
    }
    for (;;) {
      list.push(this.parseExpression())
      if (this.isSymbol(',')) {
        this.pos++
        continue
      }
      this.expect(')')
      return list
    }
  }

  call(rawName: string, args: ExpressionNode[]): ExpressionNode {
    const name = rawName.replace(/^pg_catalog\s*\.\s*/i, '')
    if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new NotLowerable(`function ${rawName} is not native`)
    const lower = name.toLowerCase()
    const cast = CAST_FUNCTIONS[lower]
    if (cast && args.length === 1) return explicitCast(args[0]!, cast)
    const overloads = NATIVE_FUNCTIONS[lower as NativeFunctionName]
    if (!overloads) throw new NotLowerable(`function ${rawName} is not implemented natively`)
    // exact match first, then implicit coercions, as PostgreSQL's function resolution prefers
    const exact = overloads.find(
      (o) =>
        o.args.length === args.length &&
        o.args.every((a, i) => {
          const t = baseTypeOf(typeOf(args[i]!))
          return t.schema === 'pg_catalog' && t.typname === a
        }),
    )
    const candidates = exact ? [exact] : overloads.filter((o) => o.args.length === args.length)
    const viable = candidates
      .map((o) => ({ o, coerced: o.args.map((a, i) => coerce(args[i]!, a)) }))
      .filter((c) => c.coerced.every((x) => x !== undefined))
    if (viable.length !== 1)
      throw new NotLowerable(`function ${rawName} with these argument types is not native`)
    const { o, coerced } = viable[0]!
    return {
      kind: 'Call',
      function: lower as NativeFunctionName,
      arguments: coerced as ExpressionNode[],
      type: builtin(o.returns),
    }
  }

  private integer(node: ExpressionNode): ExpressionNode {
    const t = baseTypeOf(typeOf(node))
    if (t.schema === 'pg_catalog' && (INTEGER_TYPES as readonly string[]).includes(t.typname)) {
      return t === typeOf(node) ? node : { kind: 'Cast', input: node, type: builtin(t.typname) }
    }
    if (node.kind === 'Constant' && typeOf(node) === UNKNOWN)
      throw new NotLowerable('untyped literal in arithmetic')
    throw new NotLowerable(`operator on ${typeOf(node).name} is not native`)
  }

  private operator(op: NativeOperator, l: ExpressionNode, r: ExpressionNode): ExpressionNode {
    if (op === '||') {
      const lt = baseTypeOf(typeOf(l))
      const rt = baseTypeOf(typeOf(r))
      const isText = (t: PlanType, n: ExpressionNode) =>
        (t.schema === 'pg_catalog' && (TEXT_TYPES as readonly string[]).includes(t.typname)) ||
        typeOf(n) === UNKNOWN
      if (!isText(lt, l) || !isText(rt, r) || (typeOf(l) === UNKNOWN && typeOf(r) === UNKNOWN)) {
        throw new NotLowerable('|| on these types is not native')
      }
      return {
        kind: 'Operator',
        operator: '||',
        left: coerce(l, 'text')!,
        right: coerce(r, 'text')!,
        type: builtin('text'),
      }
    }
    if (!INTEGER_OPERATORS.includes(op)) throw new NotLowerable(`operator ${op} is not native`)
    const li = this.integer(l)
    const ri = this.integer(r)
    const type = widerInteger(baseTypeOf(typeOf(li)).typname, baseTypeOf(typeOf(ri)).typname)
    return {
      kind: 'Operator',
      operator: op,
      left: coerce(li, type)!,
      right: coerce(ri, type)!,
      type: builtin(type),
    }
  }
}

export type LoweringContext = 'select-expression' | 'from-function'

/**
 * Lowers `head sql…` (`hashtext(` `username` `)`): in `from-function`
 * context (RUN ON, CONNECT: `select * from <call>`) it must be exactly one
 * function call; in `select-expression` context (CLUSTER: `select <expr>`)
 * any supported expression. Throws NotLowerable with the reason.
 */
export function lowerFunctionCall(
  call: FunctionCallNode,
  context: LoweringContext,
  args: readonly InArgument[],
  split: ReadonlySet<number>,
): ExpressionNode {
  const toks: Tok[] = [
    { kind: 'ident', text: call.name, glued: true, head: true },
    { kind: 'symbol', text: '(', glued: true },
    ...tokensOf(call.sql),
  ]
  const parser = new ExpressionParser(toks, args, split)
  if (context === 'from-function') {
    parser.skip(2)
    const node = parser.call(call.name, parser.callArguments())
    if (!parser.done) throw new NotLowerable('text after the function call')
    return node
  }
  const node = parser.parseExpression()
  if (!parser.done) throw new NotLowerable('unsupported text after the expression')
  return node
}

/** A bare argument (`RUN ON x`, `CONNECT $1`) as a node. */
export function argumentNode(
  index: number,
  args: readonly InArgument[],
  split: ReadonlySet<number>,
): ExpressionNode {
  const type = args[index]!.type
  const isSplit = split.has(index)
  // a SPLIT argument is seen one element at a time, typed as the element
  return { kind: 'Argument', index, type: isSplit && type.element ? type.element : type, split: isSplit }
}

/**
 * The arguments of a function call that is not native itself (a user's
 * `map_cluster(part)`), when each of them is, so the runtime can hand them
 * to a JavaScript function registered under that name.
 */
export function lowerCallArguments(
  call: FunctionCallNode,
  args: readonly InArgument[],
  split: ReadonlySet<number>,
): ExpressionNode[] | undefined {
  try {
    const parser = new ExpressionParser(tokensOf(call.sql), args, split)
    const list = parser.callArguments()
    return parser.done ? list : undefined
  } catch (e) {
    if (e instanceof NotLowerable) return undefined
    throw e
  }
}
