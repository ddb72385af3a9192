/**
 * The compiler's entry point: SQL scripts in, routing plans and
 * diagnostics out. Scripts are applied in the order given, each as its own
 * psql session (search_path and `\c` reset between files).
 */
import { loadPostgresParser, type ScriptInput } from '../parser/index.js'
import { type CompileOptions, type CompileResult, CompilerSession } from './session.js'

export type { CompileOptions, CompileResult } from './session.js'

export async function compileScripts(
  inputs: readonly ScriptInput[],
  options: CompileOptions = {},
): Promise<CompileResult> {
  await loadPostgresParser()
  return compileScriptsSync(inputs, options)
}

/** compileScripts once loadPostgresParser() has resolved */
export function compileScriptsSync(
  inputs: readonly ScriptInput[],
  options: CompileOptions = {},
): CompileResult {
  const session = new CompilerSession(options)
  for (const input of inputs) session.apply(input)
  return session.result()
}
