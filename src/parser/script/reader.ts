/**
 * The script reader: reads whole `.sql` files as people write them and
 * extracts, with exact file positions, what PL/Proxy cares about (proxy
 * functions, the types they use, SQL/MED cluster definitions). Everything
 * else is skipped. The DDL is parsed by the real PostgreSQL parser
 * (libpg-query); the splitting into statements follows psql.
 *
 * No I/O here: `\i` includes are read through a resolver the caller gives.
 */
import { loadModule, parseSync } from 'libpg-query'
import type { Diagnostic } from '../diagnostic.js'
import { SourceFile } from '../source-file.js'
import { dropFunctionOperations, operationOf, type StatementLocator, typeReference } from './ddl.js'
import type { ScriptOperation, TypeReference } from './model.js'
import { chunkOffset, type PsqlVariables, type SqlChunk, splitScript } from './splitter.js'

export interface ScriptInput {
  /** the name used in positions and diagnostics */
  readonly file: string
  readonly text: string
}

/** Reads a file named by `\i` / `\ir`; `relative` is true for `\ir` (relative to the including file). */
export type IncludeResolver = (path: string, fromFile: string, relative: boolean) => ScriptInput

export interface ReadScriptOptions {
  readonly includeResolver?: IncludeResolver
  /** psql variables, as `-v name=value` would set them */
  readonly variables?: ReadonlyMap<string, string>
}

export interface ScriptReadResult {
  readonly operations: readonly ScriptOperation[]
  readonly diagnostics: readonly Diagnostic[]
  /** every file read (the input and its includes), for printing source lines */
  readonly files: ReadonlyMap<string, SourceFile>
}

let parserReady: Promise<void> | undefined

/** Loads PostgreSQL's parser (WebAssembly); readScript does it on first use. */
export function loadPostgresParser(): Promise<void> {
  parserReady ??= loadModule()
  return parserReady
}

const INTERESTING = /^(create|alter|drop|set|reset|grant|revoke)\b/i
const MUST_PARSE =
  /^(create\s+(or\s+replace\s+)?(function|procedure)\b[\s\S]*\bplproxy\b|(create|alter)\s+(server|foreign\s+data\s+wrapper|user\s+mapping)\b)/i
const MAX_INCLUDE_DEPTH = 32

function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true
  return false
}

/** Maps UTF-8 byte offsets (what PostgreSQL's parser reports) to string indexes. */
function byteIndexer(text: string): (byteOffset: number) => number {
  if (!hasNonAscii(text)) return (b) => b
  const map: number[] = []
  const encoder = new TextEncoder()
  let bytes = 0
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!
    const units = cp > 0xffff ? 2 : 1
    const len = encoder.encode(String.fromCodePoint(cp)).length
    for (let k = 0; k < len; k++) map[bytes + k] = i
    bytes += len
    i += units
  }
  map[bytes] = text.length
  return (b) => map[b] ?? text.length
}

/** libpg-query's error position (0-based, in characters = code points) → string index. */
function codePointIndex(text: string, cursor: number): number {
  let i = 0
  for (let n = 0; n < cursor && i < text.length; n++) i += text.codePointAt(i)! > 0xffff ? 2 : 1
  return i
}

class Reader {
  readonly operations: ScriptOperation[] = []
  readonly diagnostics: Diagnostic[] = []
  readonly files = new Map<string, SourceFile>()
  readonly variables: PsqlVariables

  constructor(readonly options: ReadScriptOptions) {
    this.variables = new Map(options.variables ?? [])
  }

  read(input: ScriptInput, depth: number): void {
    const source = new SourceFile(input.file, input.text)
    this.files.set(input.file, source)
    for (const chunk of splitScript(input.text, this.variables)) {
      if (chunk.kind === 'meta') {
        this.meta(chunk.command, chunk.args, source, chunk.start, depth)
        continue
      }
      if (!INTERESTING.test(chunk.text)) continue
      this.statement(chunk, source)
    }
  }

  private meta(
    command: string,
    args: readonly string[],
    source: SourceFile,
    start: number,
    depth: number,
  ): void {
    const position = source.position(start)
    if (command === 'c' || command === 'connect') {
      const [database, user] = args
      this.operations.push({
        kind: 'ConnectDatabase',
        ...(database && database !== '-' ? { database } : {}),
        ...(user && user !== '-' ? { user } : {}),
        position,
      })
      return
    }
    const include = { i: false, include: false, ir: true, include_relative: true }[command]
    if (include === undefined) return
    const path = args[0]
    const fail = (message: string): void => {
      this.diagnostics.push({
        severity: 'error',
        message,
        sqlstate: '58P01',
        file: source.name,
        line: position.line,
        column: position.column,
        offset: start,
        length: 0,
      })
    }
    if (!path) {
      fail(`\\${command}: missing required argument`)
      return
    }
    if (!this.options.includeResolver) {
      fail(`${path}: includes are not read here (no include resolver)`)
      return
    }
    if (depth >= MAX_INCLUDE_DEPTH) {
      fail(`${path}: too many nested includes`)
      return
    }
    let included: ScriptInput
    try {
      included = this.options.includeResolver(path, source.name, include)
    } catch (e) {
      fail(`${path}: ${(e as Error).message}`)
      return
    }
    this.read(included, depth + 1)
  }

  private statement(chunk: SqlChunk, source: SourceFile): void {
    const toIndex = byteIndexer(chunk.text)
    const loc: StatementLocator = {
      text: chunk.text,
      position: (index) => source.position(chunkOffset(chunk, index)),
      index: (byteOffset) => (byteOffset === undefined || byteOffset < 0 ? 0 : toIndex(byteOffset)),
    }
    let tree: { stmts?: { stmt: Record<string, unknown> }[] }
    try {
      tree = parseSync(chunk.text) as typeof tree
    } catch (e) {
      if (!MUST_PARSE.test(chunk.text)) return
      const details = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails
      const index =
        details?.cursorPosition !== undefined ? codePointIndex(chunk.text, details.cursorPosition) : 0
      const position = loc.position(index)
      this.diagnostics.push({
        severity: 'error',
        message: (e as Error).message,
        sqlstate: '42601',
        file: position.file,
        line: position.line,
        column: position.column,
        offset: position.offset,
        length: 0,
      })
      return
    }
    for (const { stmt } of tree.stmts ?? []) {
      const drops = dropFunctionOperations(stmt, loc)
      if (drops.length) {
        this.operations.push(...drops)
        continue
      }
      const op = operationOf(stmt, loc)
      if (op) this.operations.push(op)
    }
  }
}

/**
 * Reads one SQL script (and the files it includes). Never throws for any
 * text: what PostgreSQL would reject in a statement PL/Proxy cares about
 * becomes a diagnostic.
 */
export async function readScript(
  input: ScriptInput,
  options: ReadScriptOptions = {},
): Promise<ScriptReadResult> {
  await loadPostgresParser()
  return readScriptSync(input, options)
}

/** Like readScript, once loadPostgresParser() has resolved. */
export function readScriptSync(input: ScriptInput, options: ReadScriptOptions = {}): ScriptReadResult {
  const reader = new Reader(options)
  reader.read(input, 0)
  return { operations: reader.operations, diagnostics: reader.diagnostics, files: reader.files }
}

/**
 * A type name as written in SQL (`integer`, `varchar(10)[]`, `public.mood`),
 * read by PostgreSQL's parser; undefined when it is not one.
 */
export function parseTypeName(text: string): TypeReference | undefined {
  let tree: { stmts?: { stmt: Record<string, unknown> }[] }
  try {
    tree = parseSync(`select null::${text}`) as typeof tree
  } catch {
    return undefined
  }
  const stmt = tree.stmts?.[0]?.stmt as
    | { SelectStmt?: { targetList?: { ResTarget?: { val?: { TypeCast?: { typeName?: unknown } } } }[] } }
    | undefined
  const typeName = stmt?.SelectStmt?.targetList?.[0]?.ResTarget?.val?.TypeCast?.typeName
  if (!typeName || (tree.stmts?.length ?? 0) !== 1) return undefined
  const source = new SourceFile('<type>', text)
  return typeReference(typeName, {
    text,
    position: (index) => source.position(index),
    index: () => 0,
  })
}
