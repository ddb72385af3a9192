/**
 * Splits a SQL script into statements the way psql reads it: `;` ends a
 * statement outside quotes, comments and parentheses; backslash
 * meta-commands (`\c db`, `\set`, `\i file`) are separate items; the data
 * lines after `COPY … FROM stdin` are skipped up to `\.`; psql variables
 * (`:name`, `:'name'`, `:"name"`) set with `\set` are substituted outside
 * quotes, keeping a map back to file offsets.
 */

export interface SqlChunk {
  readonly kind: 'sql'
  /** the statement text, `;` excluded, psql variables substituted */
  readonly text: string
  /** file offset of text[0] */
  readonly start: number
  /** file offset just past the statement (the `;` excluded) */
  readonly end: number
  /** anchors [textIndex, fileOffset], ascending; absent when the text is a plain slice of the file */
  readonly anchors?: readonly (readonly [number, number])[]
}

export interface MetaChunk {
  readonly kind: 'meta'
  /** the command name without the backslash: `c`, `connect`, `i`, `set`, … */
  readonly command: string
  readonly args: readonly string[]
  readonly start: number
  readonly end: number
}

export type ScriptChunk = SqlChunk | MetaChunk

export type PsqlVariables = Map<string, string>

const isIdentChar = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x30 && c <= 0x39) ||
  c === 0x5f ||
  c === 0x24 ||
  c >= 0x80
const isIdentStart = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80
const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y
const VARIABLE_NAME = /[A-Za-z0-9_\u0080-\uffff]+/y
const COPY_FROM_STDIN = /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i

/** End offset (exclusive) of a quoted construct starting at `i`, or text.length when unterminated. */
function skipQuoted(text: string, i: number, quote: string, backslashEscapes: boolean): number {
  let j = i + 1
  while (j < text.length) {
    const ch = text[j]
    if (backslashEscapes && ch === '\\') {
      j += 2
      continue
    }
    if (ch === quote) {
      if (text[j + 1] === quote) {
        j += 2
        continue
      }
      return j + 1
    }
    j++
  }
  return text.length
}

/** End of a (nested, as in PostgreSQL) block comment starting at `i`. */
function skipBlockComment(text: string, i: number): number {
  let depth = 0
  let j = i
  while (j < text.length) {
    if (text[j] === '/' && text[j + 1] === '*') {
      depth++
      j += 2
    } else if (text[j] === '*' && text[j + 1] === '/') {
      depth--
      j += 2
      if (depth === 0) return j
    } else j++
  }
  return text.length
}

/** psql's quoting rules for meta-command arguments (single quotes with '' and backslash escapes; double quotes kept). */
function readMetaArgs(text: string, from: number, vars: PsqlVariables): { args: string[]; end: number } {
  const args: string[] = []
  let i = from
  for (;;) {
    while (i < text.length && text[i] !== '\n' && isSpace(text.charCodeAt(i))) i++
    if (i >= text.length || text[i] === '\n') break
    if (text[i] === '\\' && text[i + 1] === '\\') {
      i += 2
      break
    }
    if (text[i] === '\\') break
    let arg = ''
    while (i < text.length && !isSpace(text.charCodeAt(i)) && !(text[i] === '\\' && text[i + 1] === '\\')) {
      const ch = text[i]!
      if (ch === "'") {
        let j = i + 1
        while (j < text.length && text[j] !== '\n') {
          if (text[j] === "'" && text[j + 1] === "'") {
            arg += "'"
            j += 2
          } else if (text[j] === "'") {
            j++
            break
          } else if (text[j] === '\\' && j + 1 < text.length) {
            const e = text[j + 1]!
            arg += e === 'n' ? '\n' : e === 't' ? '\t' : e
            j += 2
          } else arg += text[j++]
        }
        i = j
      } else if (ch === '"') {
        const end = skipQuoted(text, i, '"', false)
        arg += text.slice(i, end)
        i = end
      } else if (ch === ':' && text[i + 1] !== ':') {
        VARIABLE_NAME.lastIndex = i + 1
        const m = VARIABLE_NAME.exec(text)
        const value = m ? vars.get(m[0]) : undefined
        if (m && value !== undefined) {
          arg += value
          i += 1 + m[0].length
        } else {
          arg += ch
          i++
        }
      } else {
        arg += ch
        i++
      }
    }
    args.push(arg)
  }
  return { args, end: i }
}

class StatementBuffer {
  start = -1
  private pieces: string[] = []
  private anchors: [number, number][] = []
  private copiedUpTo = -1
  private length = 0

  begin(at: number): void {
    if (this.start < 0) {
      this.start = at
      this.copiedUpTo = at
    }
  }

  get started(): boolean {
    return this.start >= 0
  }

  /** replace file text [from, to) by `value` */
  substitute(text: string, from: number, to: number, value: string): void {
    this.flush(text, from)
    if (this.anchors.length === 0) this.anchors.push([0, this.start])
    this.pieces.push(value)
    this.length += value.length
    this.copiedUpTo = to
    this.anchors.push([this.length, to])
  }

  private flush(text: string, upTo: number): void {
    if (upTo > this.copiedUpTo) {
      const piece = text.slice(this.copiedUpTo, upTo)
      this.pieces.push(piece)
      this.length += piece.length
      this.copiedUpTo = upTo
    }
  }

  finish(text: string, end: number): SqlChunk {
    this.flush(text, end)
    const chunk: SqlChunk = {
      kind: 'sql',
      text: this.pieces.join(''),
      start: this.start,
      end,
      ...(this.anchors.length ? { anchors: this.anchors } : {}),
    }
    this.start = -1
    this.pieces = []
    this.anchors = []
    this.length = 0
    return chunk
  }
}

/**
 * Splits `text` into statements and meta-commands. `vars` holds psql
 * variables; `\set`/`\unset` met on the way update it, so substitution
 * follows the script's order.
 */
export function splitScript(text: string, vars: PsqlVariables = new Map()): ScriptChunk[] {
  const chunks: ScriptChunk[] = []
  const buf = new StatementBuffer()
  let depth = 0
  let i = 0
  const endStatement = (end: number): void => {
    if (!buf.started) return
    const chunk = buf.finish(text, end)
    chunks.push(chunk)
    depth = 0
    if (COPY_FROM_STDIN.test(chunk.text)) i = skipCopyData(text, i)
  }
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (isSpace(c)) {
      i++
      continue
    }
    const ch = text[i]!
    const next = text[i + 1]
    if (ch === '-' && next === '-') {
      const nl = text.indexOf('\n', i)
      i = nl < 0 ? text.length : nl
      continue
    }
    if (ch === '/' && next === '*') {
      i = skipBlockComment(text, i)
      continue
    }
    if (ch === '\\') {
      // a psql meta-command runs to the end of the line (or `\\`)
      const m = /\\([A-Za-z!?.;]+|[^\sA-Za-z])/y
      m.lastIndex = i
      const match = m.exec(text)
      const command = match ? match[1]! : ''
      const { args, end } = readMetaArgs(text, i + 1 + command.length, vars)
      if (/^(g|gx|gset|gexec|;)$/.test(command)) endStatement(i)
      chunks.push({ kind: 'meta', command, args, start: i, end })
      if (command === 'set' && args[0] !== undefined) vars.set(args[0], args.slice(1).join(''))
      if (command === 'unset' && args[0] !== undefined) vars.delete(args[0])
      i = end
      continue
    }
    buf.begin(i)
    if (ch === ';' && depth === 0) {
      const end = i
      i++
      endStatement(end)
      continue
    }
    if (ch === '(') {
      depth++
      i++
      continue
    }
    if (ch === ')') {
      if (depth > 0) depth--
      i++
      continue
    }
    if (ch === "'") {
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0
      const backslashEscapes =
        (prev === 0x45 || prev === 0x65) && !(i > 1 && isIdentChar(text.charCodeAt(i - 2)))
      i = skipQuoted(text, i, "'", backslashEscapes)
      continue
    }
    if (ch === '"') {
      i = skipQuoted(text, i, '"', false)
      continue
    }
    if (ch === '$') {
      DOLLAR_TAG.lastIndex = i
      const tag = DOLLAR_TAG.exec(text)
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length)
        i = close < 0 ? text.length : close + tag[0].length
        continue
      }
      i++
      while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++
      continue
    }
    if (ch === ':' && next === ':') {
      i += 2
      continue
    }
    if (ch === ':' && vars.size > 0) {
      const quote = next === "'" || next === '"' ? next : ''
      VARIABLE_NAME.lastIndex = i + 1 + quote.length
      const m = VARIABLE_NAME.exec(text)
      const closeOk = m && (!quote || text[i + 1 + quote.length + m[0].length] === quote)
      const value = m && closeOk ? vars.get(m[0]) : undefined
      if (m && value !== undefined) {
        const end = i + 1 + quote.length * 2 + m[0].length
        const replacement =
          quote === "'"
            ? `'${value.replace(/'/g, "''")}'`
            : quote === '"'
              ? `"${value.replace(/"/g, '""')}"`
              : value
        buf.substitute(text, i, end, replacement)
        i = end
        continue
      }
      i++
      continue
    }
    if (isIdentStart(c)) {
      i++
      while (i < text.length && isIdentChar(text.charCodeAt(i))) i++
      continue
    }
    i++
  }
  endStatement(text.length)
  return chunks
}

/** After `COPY … FROM stdin;`, data lines run up to a line `\.`; returns the offset after it. */
function skipCopyData(text: string, from: number): number {
  const nl = text.indexOf('\n', from)
  if (nl < 0) return text.length
  let lineStart = nl + 1
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart)
    if (lineEnd < 0) lineEnd = text.length
    if (text.slice(lineStart, lineEnd).replace(/\r$/, '') === '\\.') return lineEnd
    lineStart = lineEnd + 1
  }
  return text.length
}

/** Maps an index into a chunk's text back to a file offset. */
export function chunkOffset(chunk: SqlChunk, index: number): number {
  const anchors = chunk.anchors
  if (!anchors) return chunk.start + index
  let best = anchors[0]!
  for (const a of anchors) {
    if (a[0] <= index) best = a
    else break
  }
  return best[1] + (index - best[0])
}
