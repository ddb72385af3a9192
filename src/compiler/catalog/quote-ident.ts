/**
 * PostgreSQL's quote_ident(): an identifier stays bare only when it starts
 * with [a-z_], has only [a-z0-9_], and is not a keyword outside the
 * "unreserved" category; otherwise it is double-quoted with `"` doubled.
 */
import { COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS } from '../../parser/keywords.js'

const QUOTED_KEYWORDS = new Set([...COL_NAME_KEYWORDS, ...TYPE_FUNC_NAME_KEYWORDS, ...RESERVED_KEYWORDS])
const SAFE = /^[a-z_][a-z0-9_]*$/

export function quoteIdent(ident: string): string {
  if (SAFE.test(ident) && !QUOTED_KEYWORDS.has(ident)) return ident
  return `"${ident.replace(/"/g, '""')}"`
}

/** `schema.name`, each part quoted as needed */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`
}
