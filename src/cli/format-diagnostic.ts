/**
 * Diagnostics for people: `file:line:col: error: message`, the source line
 * and a caret under the offending text, then detail and hint lines.
 */
import type { Diagnostic, SourceFile } from '../parser/index.js'

export function formatDiagnostic(d: Diagnostic, files: ReadonlyMap<string, SourceFile>): string {
  const lines = [`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`]
  const source = files.get(d.file)
  if (source) {
    const text = source.lineText(d.line)
    const gutter = String(d.line).length
    const visible = text.replace(/\t/g, ' ')
    const caretStart = Math.max(0, d.column - 1)
    const caretLength = Math.max(1, Math.min(d.length || 1, visible.length - caretStart || 1))
    lines.push(`${' '.repeat(gutter + 1)}|`)
    lines.push(`${d.line} | ${visible}`)
    lines.push(`${' '.repeat(gutter + 1)}| ${' '.repeat(caretStart)}${'^'.repeat(caretLength)}`)
  }
  if (d.detail) lines.push(`  detail: ${d.detail}`)
  if (d.hint) lines.push(`  hint: ${d.hint}`)
  return lines.join('\n')
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

export function summaryLine(compiled: number, rejected: number, diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length
  const warnings = diagnostics.length - errors
  return `${plural(compiled, 'function')} compiled, ${rejected} rejected, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`
}
