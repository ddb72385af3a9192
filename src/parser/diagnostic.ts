/**
 * A problem found in a source file, in the words PL/Proxy or PostgreSQL
 * would use, with where it is.
 */
export type Severity = 'error' | 'warning'

export interface Diagnostic {
  readonly severity: Severity
  /** PL/Proxy's or PostgreSQL's own message text */
  readonly message: string
  /** SQLSTATE the real server would raise with it */
  readonly sqlstate: string
  readonly file: string
  /** 1-based */
  readonly line: number
  /** 1-based */
  readonly column: number
  readonly offset: number
  /** length of the offending text, 0 when it is a point (end of input) */
  readonly length: number
  /** the proxy function, as `schema.name` quoted like PL/Proxy quotes it */
  readonly function?: string
  /** more words for people (PL/Proxy itself says only `syntax error`) */
  readonly detail?: string
  readonly hint?: string
}
