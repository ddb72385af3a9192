/**
 * libpq's password file (`~/.pgpass`, PGPASSFILE, the `passfile` option):
 * `hostname:port:database:username:password` lines, `*` matching anything,
 * `\` escaping `:` and `\`, the first matching line winning. As libpq
 * (PostgreSQL 15 `passwordFromFile`): a file readable by group or others
 * is ignored with a warning, as is one that is not a plain file; lines
 * starting with `#` are comments; a socket directory equal to the default
 * one is looked up as `localhost`.
 */
import { readFileSync, statSync } from 'node:fs'

export interface PasswordLookup {
  readonly file: string
  /** host (a name or a socket directory), else hostaddr */
  readonly host: string
  readonly port: string
  readonly database: string
  readonly user: string
  /** libpq's DEFAULT_PGSOCKET_DIR */
  readonly defaultSocketDir: string
}

const warned = new Set<string>()

function warnOnce(file: string, message: string): void {
  if (warned.has(file)) return
  warned.add(file)
  process.emitWarning(message)
}

/** `*:` or the token followed by `:` (with `\` escapes): the rest of the line after it, or undefined. */
function matches(line: string, pos: number, token: string): number {
  if (line[pos] === '*' && line[pos + 1] === ':') return pos + 2
  let t = 0
  let p = pos
  while (p < line.length) {
    let escaped = false
    if (line[p] === '\\' && p + 1 < line.length) {
      p++
      escaped = true
    }
    if (line[p] === ':' && !escaped && t === token.length) return p + 1
    if (t === token.length || line[p] !== token[t]) return -1
    p++
    t++
  }
  return -1
}

/** The password the file gives for this connection, or undefined. */
export function passwordFromFile(lookup: PasswordLookup): string | undefined {
  if (lookup.database === '' || lookup.user === '') return undefined
  let host = lookup.host
  if (host === '' || (host.startsWith('/') && host === lookup.defaultSocketDir)) host = 'localhost'
  const port = lookup.port === '' ? '5432' : lookup.port
  let text: string
  try {
    const st = statSync(lookup.file)
    if (!st.isFile()) {
      warnOnce(lookup.file, `password file "${lookup.file}" is not a plain file`)
      return undefined
    }
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      warnOnce(
        lookup.file,
        `password file "${lookup.file}" has group or world access; permissions should be u=rw (0600) or less`,
      )
      return undefined
    }
    text = readFileSync(lookup.file, 'utf8')
  } catch {
    return undefined
  }
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) continue
    const line = raw.replace(/\r$/, '')
    if (line === '') continue
    let p = matches(line, 0, host)
    if (p >= 0) p = matches(line, p, port)
    if (p >= 0) p = matches(line, p, lookup.database)
    if (p >= 0) p = matches(line, p, lookup.user)
    if (p < 0) continue
    // the password runs to the next unescaped ':' or the end of the line
    let password = ''
    for (let i = p; i < line.length && line[i] !== ':'; i++) {
      if (line[i] === '\\' && i + 1 < line.length) i++
      password += line[i]
    }
    return password
  }
  return undefined
}
