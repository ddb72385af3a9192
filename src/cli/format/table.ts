/**
 * psql's default output format: aligned text, border 1, ASCII line style
 * (PostgreSQL 15, src/fe_utils/print.c: print_aligned_text).
 */
import { type DisplayLine, formatDisplayLines, psqlValidate } from './display-width.js'
import { checkRowShape, type TextResult } from './result.js'

export interface TableOptions {
  /** psql's `\pset title`: a line above the table, centred when narrower than it */
  readonly title?: string
  /** psql's `\pset null`: how NULL is printed (default: empty) */
  readonly nullDisplay?: string
}

/**
 * pg_type OIDs psql right-aligns (print.c: column_type_alignment): int2, int4, int8,
 * float4, float8, numeric, oid, xid, xid8, cid, money. It is this fixed list, not the
 * type category: domains over these types, regclass and the like are left-aligned.
 */
export const RIGHT_ALIGNED_TYPE_OIDS: ReadonlySet<number> = new Set([
  21, 23, 20, 700, 701, 1700, 26, 28, 5069, 29, 790,
])

/**
 * The text `psql -c 'select …'` prints with default settings (no pager):
 *
 * ```
 *  n | name
 * ---+-------
 *  1 | alice
 * (1 row)
 *
 * ```
 *
 * Headers are centred (the odd space goes right); cells are padded to the column's
 * widest line, numbers right-aligned; a value with newlines takes several lines, each
 * but the last marked with `+` after the cell; widths count display columns (CJK = 2,
 * combining marks = 0, tab to the next multiple of 8, control characters escaped).
 * The last column of a left-aligned row is not padded, while headers always are.
 */
export function formatTable(result: TextResult, options: TableOptions = {}): string {
  checkRowShape(result)
  const nullDisplay = options.nullDisplay ?? ''
  const ncols = result.columns.length
  const headers = result.columns.map((c) => formatDisplayLines(psqlValidate(c.name)))
  const rightAligned = result.columns.map(
    (c) => c.typeOid !== undefined && RIGHT_ALIGNED_TYPE_OIDS.has(c.typeOid),
  )
  const rows = result.rows.map((row) => row.map((v) => formatDisplayLines(psqlValidate(v ?? nullDisplay))))

  const widths = headers.map((lines) => maxWidth(lines))
  for (const row of rows) {
    row.forEach((lines, i) => {
      widths[i] = Math.max(widths[i]!, maxWidth(lines))
    })
  }

  let out = ''
  if (options.title !== undefined) {
    // the title is printed raw; only its widest line is measured
    const titleWidth = maxWidth(formatDisplayLines(options.title))
    const totalWidth = widths.reduce((sum, w) => sum + w, ncols > 0 ? ncols * 3 - 1 : 0)
    out +=
      titleWidth >= totalWidth ? options.title : ' '.repeat((totalWidth - titleWidth) >> 1) + options.title
    out += '\n'
  }

  const headerHeight = Math.max(0, ...headers.map((lines) => lines.length))
  for (let l = 0; l < headerHeight; l++) {
    const parts = headers.map((lines, i) => {
      const w = widths[i]!
      const line = lines[l]
      if (!line) return ` ${' '.repeat(w)} `
      const pad = w - line.width
      const more = l < lines.length - 1
      return ` ${' '.repeat(pad >> 1)}${line.text}${' '.repeat((pad + 1) >> 1)}${more ? '+' : ' '}`
    })
    out += `${parts.join('|')}\n`
  }
  out += `-${widths.map((w) => '-'.repeat(w)).join('-+-')}-\n`

  // a zero-column result prints no row lines at all, however many rows it has
  if (ncols > 0) {
    for (const row of rows) {
      const height = Math.max(...row.map((lines) => lines.length))
      for (let l = 0; l < height; l++) {
        let text = ''
        row.forEach((lines, j) => {
          const w = widths[j]!
          const last = j === ncols - 1
          const line = lines[l]
          const more = l < lines.length - 1
          text += ' '
          if (!line) {
            // this value has no more lines: blank, unless it is the last column
            if (!last) text += ' '.repeat(w)
          } else {
            const pad = ' '.repeat(w - line.width)
            if (rightAligned[j]) text += pad + line.text
            else text += last && !more ? line.text : line.text + pad
          }
          if (more) text += '+'
          else if (!last) text += ' '
          if (!last) text += '|'
        })
        out += `${text}\n`
      }
    }
  }

  const n = result.rows.length
  out += `(${n} ${n === 1 ? 'row' : 'rows'})\n\n`
  return out
}

function maxWidth(lines: readonly DisplayLine[]): number {
  let w = 0
  for (const line of lines) w = Math.max(w, line.width)
  return w
}
