/**
 * src/parser: the script reader (SQL files → DDL operations) and the
 * Chevrotain grammar of the PL/Proxy body language. No I/O, nothing of ours
 * imported.
 */
export * from './body/index.js'
export * from './client/index.js'
export type { Diagnostic, Severity } from './diagnostic.js'
export * from './script/index.js'
export { SourceFile, type SourcePosition } from './source-file.js'
