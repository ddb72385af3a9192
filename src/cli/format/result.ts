/**
 * A query result as the formatters take it: column names (and type OIDs when known)
 * and rows of PostgreSQL text-format values, `null` for SQL NULL.
 */
export interface ResultColumn {
  readonly name: string
  /** pg_type OID; decides right alignment in the aligned table format */
  readonly typeOid?: number
}

export interface TextResult {
  readonly columns: readonly ResultColumn[]
  readonly rows: readonly (readonly (string | null)[])[]
}

/** Every row must have one value per column; the formatters rely on it. */
export function checkRowShape(result: TextResult): void {
  const n = result.columns.length
  result.rows.forEach((row, i) => {
    if (row.length !== n) {
      throw new RangeError(`row ${i + 1} has ${row.length} values, but the result has ${n} columns`)
    }
  })
}
