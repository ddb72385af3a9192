/**
 * A compiler that lives on: scripts applied one after another to the same
 * catalog, as psql sessions against one database server would apply them.
 * `compileScripts` is one session run to its end; the wire server keeps
 * one open and applies the DDL its clients send.
 */
import {
  type Diagnostic,
  type IncludeResolver,
  readScriptSync,
  type ScriptInput,
  type ScriptOperation,
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

export interface AppliedScript {
  /** what reading and applying this script reported, in order */
  readonly diagnostics: readonly Diagnostic[]
  readonly operations: readonly ScriptOperation[]
}

export class CompilerSession {
  private readonly files = new Map<string, SourceFile>()
  private readonly builder: CatalogBuilder
  private readonly readerDiagnostics: Diagnostic[] = []
  private seenDiagnostics = 0

  constructor(private readonly options: CompileOptions = {}) {
    this.builder = new CatalogBuilder({
      user: options.user,
      // PL/Proxy's validator runs at CREATE FUNCTION: what it rejects is not created
      validate: (entry, db) => {
        const file = this.files.get(entry.definition.position.file)
        if (!file) throw new Error(`no source for ${entry.definition.position.file}`)
        return compileFunction(entry, db, file)
      },
    })
  }

  /**
   * Applies one script as a new psql session (first database, default
   * search_path and user unless given: a wire client's session has its
   * own). Needs loadPostgresParser() to have resolved.
   */
  apply(input: ScriptInput, session: { searchPath?: readonly string[]; user?: string } = {}): AppliedScript {
    const read = readScriptSync(input, {
      includeResolver: this.options.includeResolver,
      variables: this.options.variables,
    })
    for (const [name, file] of read.files) this.files.set(name, file)
    this.readerDiagnostics.push(...read.diagnostics)
    this.builder.startSession(session).apply(read.operations)
    const built = this.builder.result().diagnostics
    const fresh = built.slice(this.seenDiagnostics)
    this.seenDiagnostics = built.length
    return { diagnostics: [...read.diagnostics, ...fresh], operations: read.operations }
  }

  get databases(): ReadonlyMap<string, DatabaseCatalog> {
    return this.builder.result().databases
  }

  /** The functions as the catalog holds them now (rejected ones included), with every diagnostic. */
  result(): CompileResult {
    const built = this.builder.result()
    const functions: CompiledFunction[] = []
    for (const db of built.databases.values()) {
      for (const entry of db.functions) {
        const file = this.files.get(entry.definition.position.file)
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
    const fileOrder = [...this.files.keys()]
    const diagnostics = [...this.readerDiagnostics, ...built.diagnostics].sort(
      (a, b) => fileOrder.indexOf(a.file) - fileOrder.indexOf(b.file) || a.offset - b.offset,
    )
    functions.sort(
      (a, b) =>
        fileOrder.indexOf(a.file) - fileOrder.indexOf(b.file) || a.line - b.line || a.column - b.column,
    )
    return { functions, diagnostics, files: this.files, databases: built.databases }
  }
}
