/**
 * JSON output: one array of row objects on a single line.
 */
import { checkRowShape, type TextResult } from './result.js'

/**
 * Object keys for the columns. A repeated column name (`select 1 as a, 2 as a`) would
 * otherwise lose all but one value, so its second and later occurrences get a suffix
 * `_2`, `_3`, … — the first number that clashes neither with another column's own name
 * nor with a key already given out. The first occurrence keeps the plain name.
 */
export function jsonKeys(names: readonly string[]): string[] {
  const taken = new Set(names)
  const seen = new Set<string>()
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name)
      return name
    }
    let n = 2
    while (taken.has(`${name}_${n}`)) n += 1
    const key = `${name}_${n}`
    taken.add(key)
    return key
  })
}

/**
 * `[{"col":"text value" | null, …}, …]` followed by a newline. Values stay PostgreSQL's
 * text representation (no number or boolean conversion). Keys appear in column order;
 * the text is built by hand because a JavaScript object would move integer-like names
 * such as "1" to the front and treat "__proto__" specially.
 */
export function formatJson(result: TextResult): string {
  checkRowShape(result)
  const keys = jsonKeys(result.columns.map((c) => c.name)).map((k) => JSON.stringify(k))
  const rows = result.rows.map((row) => `{${row.map((v, i) => `${keys[i]}:${JSON.stringify(v)}`).join(',')}}`)
  return `[${rows.join(',')}]\n`
}
