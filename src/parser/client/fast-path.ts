/**
 * The fast path of the client-statement reader: the shapes pgbench and
 * applications send for every call (`select f(42)`, `select * from f($1)`)
 * read without PostgreSQL's parser. It accepts a strict subset of SQL on
 * which it provably agrees with the general path (tree.ts); anything else
 * — a keyword where a name stands, an escape string, a comment it does
 * not expect — returns undefined and goes the general way.
 */
import { COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS } from '../keywords.js'
import type { TypeReference } from '../script/model.js'
import { parseTypeName } from '../script/reader.js'
import type { ClientArgument, ClientCallArgument, FunctionCallStatement, SelectedColumn } from './model.js'

/**
 * Keywords that cannot stand where the fast path reads a name; unreserved
 * keywords (`text`, `name`, `action`…) are names wherever it reads one.
 */
const KEYWORDS = new Set([...COL_NAME_KEYWORDS, ...TYPE_FUNC_NAME_KEYWORDS, ...RESERVED_KEYWORDS])

/** Type names that are keywords but never take more words, written alone after `::`. */
const KEYWORD_TYPES = new Set([
  'int',
  'integer',
  'smallint',
  'bigint',
  'real',
  'boolean',
  'numeric',
  'decimal',
])

enum T {
  Name,
  Keyword,
  Integer,
  Decimal,
  String,
  Param,
  Punct,
}

interface Token {
  readonly t: T
  /** folded name, keyword (lower case), number text, string value, punctuation */
  readonly v: string
  /** where it starts in the statement (character index) */
  readonly at: number
}

const typeCache = new Map<string, TypeReference | null>()

function typeNamed(text: string): TypeReference | undefined {
  let ref = typeCache.get(text)
  if (ref === undefined) {
    ref = parseTypeName(text) ?? null
    if (typeCache.size > 1000) typeCache.clear()
    typeCache.set(text, ref)
  }
  return ref ?? undefined
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** Tokens of `sql`, or undefined at the first thing the fast path does not read. */
function tokenize(sql: string): Token[] | undefined {
  const out: Token[] = []
  const n = sql.length
  let i = 0
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++
      continue
    }
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      // -- comment
      while (i < n && sql.charCodeAt(i) !== 10 && sql.charCodeAt(i) !== 13) i++
      continue
    }
    if (isIdentStart(c)) {
      let j = i + 1
      while (j < n && isIdentPart(sql.charCodeAt(j))) j++
      const next = sql.charCodeAt(j)
      // E'…', U&'…', B'…', X'…', N'…', and a type name before a literal: the general path
      if (next === 39 || next === 38) return undefined
      const word = sql.slice(i, j)
      // PostgreSQL folds ASCII letters only
      const folded = word.replace(/[A-Z]+/g, (m) => m.toLowerCase())
      out.push({ t: KEYWORDS.has(folded) ? T.Keyword : T.Name, v: folded, at: i })
      i = j
      continue
    }
    if (c === 34) {
      // "quoted identifier"
      let j = i + 1
      let v = ''
      for (;;) {
        const q = sql.indexOf('"', j)
        if (q < 0) return undefined
        v += sql.slice(j, q)
        if (sql.charCodeAt(q + 1) === 34) {
          v += '"'
          j = q + 2
          continue
        }
        j = q + 1
        break
      }
      if (v === '') return undefined
      out.push({ t: T.Name, v, at: i })
      i = j
      continue
    }
    if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      let j = i
      while (j < n && isDigit(sql.charCodeAt(j))) j++
      let decimal = false
      if (sql.charCodeAt(j) === 46) {
        // `1..2` and `1.e` are the general path's business
        if (sql.charCodeAt(j + 1) === 46) return undefined
        decimal = true
        j++
        while (j < n && isDigit(sql.charCodeAt(j))) j++
      }
      const e = sql.charCodeAt(j)
      if (e === 101 || e === 69) {
        let k = j + 1
        if (sql.charCodeAt(k) === 43 || sql.charCodeAt(k) === 45) k++
        if (!isDigit(sql.charCodeAt(k))) return undefined
        while (k < n && isDigit(sql.charCodeAt(k))) k++
        decimal = true
        j = k
      }
      // `123abc`: junk after a number
      if (j < n && isIdentPart(sql.charCodeAt(j))) return undefined
      out.push({ t: decimal ? T.Decimal : T.Integer, v: sql.slice(i, j), at: i })
      i = j
      continue
    }
    if (c === 39) {
      // 'string' ('' doubles a quote; standard_conforming_strings is on)
      let j = i + 1
      let v = ''
      for (;;) {
        const q = sql.indexOf("'", j)
        if (q < 0) return undefined
        v += sql.slice(j, q)
        if (sql.charCodeAt(q + 1) === 39) {
          v += "'"
          j = q + 2
          continue
        }
        j = q + 1
        break
      }
      // 'a' 'b' across a newline is one literal: the general path's business
      const prev = out[out.length - 1]
      if (prev && prev.t === T.String) return undefined
      out.push({ t: T.String, v, at: i })
      i = j
      continue
    }
    if (c === 36) {
      // $n
      let j = i + 1
      while (j < n && isDigit(sql.charCodeAt(j))) j++
      if (j === i + 1 || (j < n && isIdentPart(sql.charCodeAt(j)))) return undefined
      out.push({ t: T.Param, v: sql.slice(i + 1, j), at: i })
      i = j
      continue
    }
    if (c === 58 && sql.charCodeAt(i + 1) === 58) {
      out.push({ t: T.Punct, v: '::', at: i })
      i += 2
      continue
    }
    if (c === 61 && sql.charCodeAt(i + 1) === 62) {
      out.push({ t: T.Punct, v: '=>', at: i })
      i += 2
      continue
    }
    // ( ) , . * ; [ ] -
    if (c === 40 || c === 41 || c === 44 || c === 46 || c === 42 || c === 59 || c === 91 || c === 93) {
      out.push({ t: T.Punct, v: sql[i]!, at: i })
      i++
      continue
    }
    if (c === 45) {
      // unary minus, only directly before a number; `--`, `-/`… are not
      const next = sql.charCodeAt(i + 1)
      if (next === 45 || next === 42 || next === 47) return undefined
      out.push({ t: T.Punct, v: '-', at: i })
      i++
      continue
    }
    return undefined
  }
  return out
}

class Cursor {
  i = 0
  constructor(readonly tokens: readonly Token[]) {}
  peek(k = 0): Token | undefined {
    return this.tokens[this.i + k]
  }
  punct(v: string): boolean {
    const t = this.tokens[this.i]
    if (t && t.t === T.Punct && t.v === v) {
      this.i++
      return true
    }
    return false
  }
  keyword(v: string): boolean {
    const t = this.tokens[this.i]
    if (t && t.t === T.Keyword && t.v === v) {
      this.i++
      return true
    }
    return false
  }
  name(): string | undefined {
    const t = this.tokens[this.i]
    if (t && t.t === T.Name) {
      this.i++
      return t.v
    }
    return undefined
  }
  /** `;` at most once, then nothing */
  atEnd(): boolean {
    this.punct(';')
    return this.i === this.tokens.length
  }
}

/** PostgreSQL's make_const for an integral literal too big for int4. */
function integerConstant(text: string, negative: boolean): ClientArgument {
  // leading zeros: the general path (PostgreSQL keeps their text in some cases)
  if (text.length > 1 && text.charCodeAt(0) === 48) return undefinedArgument
  const value = negative && text !== '0' ? `-${text}` : text
  // the lexer decides on the digits alone: -2147483648 is not an int4 constant
  if (text.length <= 10 && Number(text) <= 2147483647) {
    return { kind: 'Constant', value, constant: 'integer' }
  }
  const big = BigInt(value)
  if (big >= -(2n ** 63n) && big < 2n ** 63n) return { kind: 'Constant', value, constant: 'bigint' }
  return { kind: 'Constant', value, constant: 'numeric' }
}

/** A marker the parser turns into "not on the fast path". */
const undefinedArgument: ClientArgument = { kind: 'Constant', value: null, constant: 'null' }

function argument(c: Cursor): ClientArgument | undefined {
  let value: ClientArgument | undefined
  const t = c.peek()
  if (!t) return undefined
  if (t.t === T.Punct && t.v === '-') {
    const num = c.peek(1)
    if (!num || (num.t !== T.Integer && num.t !== T.Decimal)) return undefined
    // -5::int is -(5::int): an operator, not a constant
    const after = c.peek(2)
    if (after && after.t === T.Punct && after.v === '::') return undefined
    c.i += 2
    if (num.t === T.Integer) {
      value = integerConstant(num.v, true)
      if (value === undefinedArgument) return undefined
    } else value = { kind: 'Constant', value: `-${num.v}`, constant: 'numeric' }
  } else if (t.t === T.Integer) {
    c.i++
    value = integerConstant(t.v, false)
    if (value === undefinedArgument) return undefined
  } else if (t.t === T.Decimal) {
    c.i++
    value = { kind: 'Constant', value: t.v, constant: 'numeric' }
  } else if (t.t === T.String) {
    c.i++
    value = { kind: 'Constant', value: t.v, constant: 'string' }
  } else if (t.t === T.Param) {
    c.i++
    const n = Number(t.v)
    if (!Number.isSafeInteger(n) || n > 2147483647) return undefined
    value = { kind: 'Parameter', number: n }
  } else if (t.t === T.Keyword && (t.v === 'true' || t.v === 'false')) {
    c.i++
    value = { kind: 'Constant', value: t.v === 'true' ? 't' : 'f', constant: 'boolean' }
  } else if (t.t === T.Keyword && t.v === 'null') {
    c.i++
    value = { kind: 'Constant', value: null, constant: 'null' }
  } else return undefined
  if (value.kind === 'Constant') value = { ...value, position: t.at + 1 }
  while (c.punct('::')) {
    const type = c.peek()
    if (!type || !(type.t === T.Name || (type.t === T.Keyword && KEYWORD_TYPES.has(type.v)))) return undefined
    c.i++
    let text = type.t === T.Name ? quoteName(type.v) : type.v
    if (c.punct('.')) {
      const second = c.name()
      if (second === undefined) return undefined
      text += `.${quoteName(second)}`
    }
    while (c.punct('[')) {
      if (!c.punct(']')) return undefined
      text += '[]'
    }
    const next = c.peek()
    if (!next || next.t !== T.Punct || (next.v !== ',' && next.v !== ')' && next.v !== '::')) return undefined
    const ref = typeNamed(text)
    if (!ref) return undefined
    value = { kind: 'Cast', argument: value, type: ref }
  }
  return value
}

function quoteName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}

/** `name [. name] ( args )` */
function call(
  c: Cursor,
): { schema?: string; name: string; arguments: ClientCallArgument[]; position: number } | undefined {
  const position = (c.peek()?.at ?? 0) + 1
  const first = c.name()
  if (first === undefined) return undefined
  let schema: string | undefined
  let name = first
  if (c.punct('.')) {
    const second = c.name()
    if (second === undefined) return undefined
    schema = first
    name = second
  }
  if (!c.punct('(')) return undefined
  const args: ClientCallArgument[] = []
  if (!c.punct(')')) {
    for (;;) {
      let argName: string | undefined
      const t = c.peek()
      const arrow = c.peek(1)
      if (t && t.t === T.Name && arrow && arrow.t === T.Punct && arrow.v === '=>') {
        argName = t.v
        c.i += 2
      }
      const value = argument(c)
      if (!value) return undefined
      args.push(argName === undefined ? { value } : { name: argName, value })
      if (c.punct(')')) break
      if (!c.punct(',')) return undefined
    }
  }
  return schema === undefined
    ? { name, arguments: args, position }
    : { schema, name, arguments: args, position }
}

/** The statement read on the fast path, or undefined to take the general one. */
export function fastFunctionCall(sql: string): FunctionCallStatement | undefined {
  const tokens = tokenize(sql)
  if (!tokens) return undefined
  const c = new Cursor(tokens)
  if (!c.keyword('select')) return undefined
  const first = c.peek()
  if (!first) return undefined
  const second = c.peek(1)
  const isCall =
    first.t === T.Name &&
    second?.t === T.Punct &&
    (second.v === '(' || (second.v === '.' && c.peek(3)?.v === '('))
  if (isCall) {
    // SELECT f(args) [AS label]
    const fn = call(c)
    if (!fn) return undefined
    let label = fn.name
    if (c.keyword('as')) {
      const l = c.name()
      if (l === undefined) return undefined
      label = l
    }
    if (!c.atEnd()) return undefined
    return { kind: 'FunctionCall', ...fn, context: 'scalar', label, text: sql }
  }
  let select: 'star' | SelectedColumn[]
  if (c.punct('*')) select = 'star'
  else {
    select = []
    for (;;) {
      const position = (c.peek()?.at ?? 0) + 1
      const column = c.name()
      if (column === undefined) return undefined
      // qualified columns and bare labels: the general path
      const next = c.peek()
      if (next && next.t === T.Punct && next.v === '.') return undefined
      let label = column
      if (c.keyword('as')) {
        const l = c.name()
        if (l === undefined) return undefined
        label = l
      }
      select.push({ column, label, position })
      if (!c.punct(',')) break
    }
  }
  if (!c.keyword('from')) return undefined
  const fn = call(c)
  if (!fn) return undefined
  let alias: string | undefined
  if (c.keyword('as')) {
    alias = c.name()
    if (alias === undefined) return undefined
  } else alias = c.name()
  if (!c.atEnd()) return undefined
  return {
    kind: 'FunctionCall',
    ...fn,
    context: 'from',
    select,
    ...(alias === undefined ? {} : { alias }),
    text: sql,
  }
}
