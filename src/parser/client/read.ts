/**
 * Reads what a client sent in a Query or Parse message into statements:
 * proxy-function calls recognised, everything else kept as text.
 */
import { parseSync } from 'libpg-query'
import { fastFunctionCall } from './fast-path.js'
import { type ClientStatement, ClientSyntaxError } from './model.js'
import { statementFromTree } from './tree.js'

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse trees are untyped JSON
type Node = any

/** Character index of a UTF-8 byte offset of `text`. */
function charIndex(buffer: Buffer | undefined, byte: number): number {
  return buffer ? buffer.subarray(0, byte).toString('utf8').length : byte
}

/**
 * The statements of `sql`, in order (none for an empty query). Throws
 * ClientSyntaxError with PostgreSQL's message when its parser rejects it.
 * Needs loadPostgresParser() to have resolved.
 */
export function readClientStatements(sql: string): ClientStatement[] {
  const fast = fastFunctionCall(sql)
  if (fast) return [fast]
  let tree: { stmts?: { stmt: Node; stmt_location?: number; stmt_len?: number }[] }
  try {
    tree = parseSync(sql) as typeof tree
  } catch (e) {
    const details = (e as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails
    const message = details?.message ?? (e as Error).message
    if (/^Query cannot be empty$/.test(message)) return []
    const byte = details?.cursorPosition
    const buffer = Buffer.byteLength(sql) === sql.length ? undefined : Buffer.from(sql, 'utf8')
    throw new ClientSyntaxError(message, byte === undefined ? undefined : charIndex(buffer, byte) + 1)
  }
  const stmts = tree.stmts ?? []
  const buffer = Buffer.byteLength(sql) === sql.length ? undefined : Buffer.from(sql, 'utf8')
  return stmts.map((s) => {
    const from = s.stmt_location ?? 0
    const text =
      stmts.length === 1
        ? sql
        : buffer
          ? buffer.subarray(from, s.stmt_len === undefined ? undefined : from + s.stmt_len).toString('utf8')
          : sql.slice(from, s.stmt_len === undefined ? undefined : from + s.stmt_len)
    return statementFromTree(s.stmt, text.trim(), sql)
  })
}
