/**
 * psql's `--csv` output format (PostgreSQL 15, src/fe_utils/print.c: print_csv_text, csv_print_field).
 */
import { psqlValidate } from './display-width.js'
import { checkRowShape, type TextResult } from './result.js'

export interface CsvOptions {
  /** psql's `\pset null`: how NULL is printed (default: empty, the same as an empty string) */
  readonly nullDisplay?: string
}

/**
 * Quotes a field the way psql does: only when it contains the separator, a double quote,
 * CR or LF, or is exactly `\.` (which COPY would read as end-of-data). Leading and
 * trailing spaces, tabs and the empty string are printed bare.
 */
export function csvField(value: string): string {
  if (/[,"\r\n]/.test(value) || value === '\\.') return `"${value.replace(/"/g, '""')}"`
  return value
}

/**
 * Exactly what `psql --csv -c 'select …'` prints: a header line of column names, then
 * one line per row, every line ended by LF (not CRLF); NULL and the empty string both
 * print as an empty unquoted field; no footer.
 */
export function formatCsv(result: TextResult, options: CsvOptions = {}): string {
  checkRowShape(result)
  const nullDisplay = options.nullDisplay ?? ''
  let out = `${result.columns.map((c) => csvField(psqlValidate(c.name))).join(',')}\n`
  // psql prints no line at all for the rows of a zero-column result
  if (result.columns.length === 0) return out
  for (const row of result.rows) {
    out += `${row.map((v) => csvField(psqlValidate(v ?? nullDisplay))).join(',')}\n`
  }
  return out
}
