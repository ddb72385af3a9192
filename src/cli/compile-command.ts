/**
 * `plproxy compile [--json] <file.sql>…`
 */
import { compileScripts } from '../compiler/index.js'
import { fileIncludeResolver, readSqlFile } from './files.js'
import { formatDiagnostic, summaryLine } from './format-diagnostic.js'
import type { Output } from './output.js'

export interface CompileCommandOptions {
  readonly json?: boolean
  readonly variables?: ReadonlyMap<string, string>
}

/** Returns the exit status: 0 all compiled, 1 a function was rejected. */
export async function compileCommand(
  paths: readonly string[],
  options: CompileCommandOptions,
  out: Output,
): Promise<number> {
  const inputs = paths.map(readSqlFile)
  const result = await compileScripts(inputs, {
    includeResolver: fileIncludeResolver,
    ...(options.variables ? { variables: options.variables } : {}),
  })
  const compiled = result.functions.filter((f) => f.plan)
  const hasErrors = result.diagnostics.some((d) => d.severity === 'error')
  if (options.json) {
    out.stdout(
      `${JSON.stringify({
        functions: compiled.map((f) => ({
          name: f.name,
          ...(f.database ? { database: f.database } : {}),
          file: f.file,
          line: f.line,
          column: f.column,
          plan: f.plan,
        })),
        diagnostics: result.diagnostics.map((d) => ({
          file: d.file,
          line: d.line,
          column: d.column,
          severity: d.severity,
          ...(d.function ? { function: d.function } : {}),
          message: d.message,
          sqlstate: d.sqlstate,
          ...(d.detail ? { detail: d.detail } : {}),
          ...(d.hint ? { hint: d.hint } : {}),
        })),
      })}\n`,
    )
  } else {
    for (const d of result.diagnostics) out.stderr(`${formatDiagnostic(d, result.files)}\n`)
    out.stdout(
      `${summaryLine(compiled.length, result.functions.length - compiled.length, result.diagnostics)}\n`,
    )
  }
  return hasErrors ? 1 : 0
}
