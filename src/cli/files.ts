/**
 * Reading the SQL files named on the command line (and their `\i`
 * includes), with errors a person can act on.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { IncludeResolver, ScriptInput } from '../parser/index.js'

export class CliUsageError extends Error {}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory'
    case 'EACCES':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory'
    default:
      return err.message ?? String(e)
  }
}

export function readSqlFile(path: string): ScriptInput {
  try {
    return { file: path, text: readFileSync(path, 'utf8') }
  } catch (e) {
    throw new CliUsageError(`cannot read ${path}: ${reason(e)}`)
  }
}

/** `\i` is relative to the working directory, `\ir` to the including file, as in psql. */
export const fileIncludeResolver: IncludeResolver = (path, fromFile, relative) => {
  const full = relative ? resolve(dirname(fromFile), path) : resolve(path)
  try {
    return { file: full, text: readFileSync(full, 'utf8') }
  } catch (e) {
    throw new Error(reason(e))
  }
}
