/**
 * A source file's text with its line index, mapping offsets to 1-based
 * line and column (columns in UTF-16 code units, lines ended by LF).
 */
export interface SourcePosition {
  readonly file: string
  readonly offset: number
  readonly line: number
  readonly column: number
}

export class SourceFile {
  private readonly lineStarts: number[] = [0]

  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1)
  }

  position(offset: number): SourcePosition {
    const clamped = Math.max(0, Math.min(offset, this.text.length))
    let lo = 0
    let hi = this.lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.lineStarts[mid]! <= clamped) lo = mid
      else hi = mid - 1
    }
    return { file: this.name, offset: clamped, line: lo + 1, column: clamped - this.lineStarts[lo]! + 1 }
  }

  /** the text of a 1-based line, without its line ending */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1]
    if (start === undefined) return ''
    const next = this.lineStarts[line]
    return this.text.slice(start, next === undefined ? undefined : next - 1).replace(/\r$/, '')
  }
}
