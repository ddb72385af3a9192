/**
 * The compiler's entry point: SQL scripts in, routing plans and
 * diagnostics out. Scripts are applied in the order given, each as its own
 * psql session (search_path and `\c` reset between files).
 */
import {
  type Diagnostic,
  type IncludeResolver,
  loadPostgresParser,
  readScriptSync,
  type ScriptInput,
  type SourceFile,
} from '../parser/index.js'
import type { DatabaseCatalog } from './catalog/catalog.js'
import { CatalogBuilder } from './catalog/catalog-builder.js'
import { type CompiledFunction, compileFunction } from './compile-function.js'

export interface CompileOptions {
  readonly includeResolver?: IncludeResolver
  /** psql variables (`-v name=value`) */
  readonly variables?: ReadonlyMap<string, string>
  /** the role the scripts run as (for `"$user"` in search_path and CURRENT_USER mappings) */
  readonly user?: string
}

export interface CompileResult {
  /** every proxy function found, compiled or rejected, in creation order per database */
  readonly functions: readonly CompiledFunction[]
  /** every diagnostic, in file order */
  readonly diagnostics: readonly Diagnostic[]
  readonly files: ReadonlyMap<string, SourceFile>
  /** the catalog the scripts built, per database (`''` for the one they start in) */
  readonly databases: ReadonlyMap<string, DatabaseCatalog>
}

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
  const files = new Map<string, SourceFile>()
  const builder = new CatalogBuilder({
    user: options.user,
    // PL/Proxy's validator runs at CREATE FUNCTION: what it rejects is not created
    validate: (entry, db) => {
      const file = files.get(entry.definition.position.file)
      if (!file) throw new Error(`no source for ${entry.definition.position.file}`)
      return compileFunction(entry, db, file)
    },
  })
  const readerDiagnostics: Diagnostic[] = []
  for (const input of inputs) {
    const read = readScriptSync(input, {
      includeResolver: options.includeResolver,
      variables: options.variables,
    })
    for (const [name, file] of read.files) files.set(name, file)
    readerDiagnostics.push(...read.diagnostics)
    builder.startSession().apply(read.operations)
  }
  const built = builder.result()
  const functions: CompiledFunction[] = []
  for (const db of built.databases.values()) {
    for (const entry of db.functions) {
      const file = files.get(entry.definition.position.file)
      if (!file) continue
      const atCreate = entry.compiled as CompiledFunction | undefined
      if (atCreate && entry.typesGeneration === db.typesGeneration) {
        functions.push(atCreate)
        continue
      }
      // types changed (or the function was altered) since CREATE: the plan is built from the final state
      const again = compileFunction(entry, db, file)
      functions.push({ ...again, diagnostics: atCreate?.diagnostics ?? again.diagnostics })
    }
  }
  functions.push(...(built.rejected as CompiledFunction[]))
  const fileOrder = [...files.keys()]
  const diagnostics = [...readerDiagnostics, ...built.diagnostics].sort(
    (a, b) => fileOrder.indexOf(a.file) - fileOrder.indexOf(b.file) || a.offset - b.offset,
  )
  functions.sort(
    (a, b) => fileOrder.indexOf(a.file) - fileOrder.indexOf(b.file) || a.line - b.line || a.column - b.column,
  )
  return { functions, diagnostics, files, databases: built.databases }
}
