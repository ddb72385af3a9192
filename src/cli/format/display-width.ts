/**
 * How psql measures and escapes text before it lays out a table (PostgreSQL 15,
 * src/fe_utils/mbprint.c and src/common/wchar.c), for a UTF-8 client encoding.
 */
import { WIDE_RANGES, ZERO_WIDTH_RANGES } from './unicode-width-table.js'

function inRanges(ranges: readonly number[], cp: number): boolean {
  let lo = 0
  let hi = ranges.length / 2 - 1
  if (hi < 0 || cp < ranges[0]! || cp > ranges[ranges.length - 1]!) return false
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (cp > ranges[2 * mid + 1]!) lo = mid + 1
    else if (cp < ranges[2 * mid]!) hi = mid - 1
    else return true
  }
  return false
}

/**
 * libpq's `ucs_wcwidth`: -1 for control characters, 0 for NUL and combining marks,
 * 2 for East Asian wide/fullwidth characters, 1 otherwise.
 */
export function codePointWidth(cp: number): number {
  if (cp === 0) return 0
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp > 0x10ffff) return -1
  if (inRanges(ZERO_WIDTH_RANGES, cp)) return 0
  if (inRanges(WIDE_RANGES, cp)) return 2
  return 1
}

/** Display width of a string that is printed as-is on one line (psql's `pg_wcswidth`). */
export function displayWidth(text: string): number {
  let width = 0
  for (const ch of text) {
    const w = codePointWidth(ch.codePointAt(0)!)
    if (w > 0) width += w
  }
  return width
}

/**
 * psql's `mbvalidate` for UTF-8, which every header and cell passes through before
 * printing in any format. Its validity check (`utf_charcheck`) only ever rejects, among
 * characters a UTF-8 database can store, the noncharacters U+xFFFE and U+xFFFF of the
 * supplementary planes (its BMP noncharacter test looks at the wrong byte and never fires):
 * those are silently dropped from the output.
 */
export function psqlValidate(text: string): string {
  // fast path: supplementary characters are rare
  if (!/[\uD800-\uDBFF]/.test(text)) return text
  let out = ''
  for (const ch of text) {
    const cp = ch.codePointAt(0)!
    if (cp > 0xffff && (cp & 0xfffe) === 0xfffe) continue
    out += ch
  }
  return out
}

/** One display line of a formatted value. */
export interface DisplayLine {
  readonly text: string
  readonly width: number
}

/**
 * psql's `pg_wcsformat`: splits a value at newlines and makes every line printable:
 * a carriage return becomes `\r`, a tab advances to the next multiple of 8 columns,
 * other ASCII control characters become `\xHH` and C1 controls `\uHHHH` (upper-case hex).
 */
export function formatDisplayLines(text: string): DisplayLine[] {
  const lines: DisplayLine[] = []
  let line = ''
  let width = 0
  for (const ch of text) {
    const cp = ch.codePointAt(0)!
    if (cp === 0x0a) {
      lines.push({ text: line, width })
      line = ''
      width = 0
    } else if (cp === 0x0d) {
      line += '\\r'
      width += 2
    } else if (cp === 0x09) {
      do {
        line += ' '
        width += 1
      } while (width % 8 !== 0)
    } else {
      const w = codePointWidth(cp)
      if (w >= 0) {
        line += ch
        width += w
      } else if (cp < 0x80) {
        line += `\\x${hex(cp, 2)}`
        width += 4
      } else {
        line += `\\u${hex(cp, 4)}`
        width += 6
      }
    }
  }
  lines.push({ text: line, width })
  return lines
}

function hex(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, '0')
}
