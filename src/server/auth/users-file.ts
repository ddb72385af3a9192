/**
 * The users file: PgBouncer's `auth_file` format (userlist.txt).
 *
 *   ; comment            # comment
 *   "alice" "plaintext password"
 *   "bob"   "md5<32 hex digits: md5(password || user name)>"
 *   "carol" "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"
 *   "a ""quoted"" name" "pass"
 *
 * Each entry is two double-quoted fields; `""` inside a field is one quote.
 * As in PgBouncer, the rest of an entry's line is ignored, and a user listed
 * twice keeps the later password. Lines whose first non-blank character is
 * `;` or `#` are comments.
 */
import { readFile } from 'node:fs/promises'
import { buildScramSecret, md5PasswordHash, parseScramSecret, type ScramSecret } from './scram.js'

export interface PlainCredential {
  readonly kind: 'plain'
  readonly password: string
}
export interface Md5Credential {
  readonly kind: 'md5'
  /** "md5" + 32 lower-case hex digits */
  readonly hash: string
}
export interface ScramCredential extends ScramSecret {
  readonly kind: 'scram'
}
export type Credential = PlainCredential | Md5Credential | ScramCredential

export class UsersFileError extends Error {
  override readonly name = 'UsersFileError'
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`)
  }
}

/** What a password field holds: "md5…" of the right shape, a SCRAM secret, or else a plaintext password. */
export function credentialOf(password: string): Credential | string {
  if (/^md5[0-9a-fA-F]{32}$/.test(password)) return { kind: 'md5', hash: password.toLowerCase() }
  if (password.startsWith('SCRAM-SHA-256$')) {
    const secret = parseScramSecret(password)
    if (secret === null) {
      return 'invalid SCRAM secret: expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> in base64'
    }
    return { kind: 'scram', ...secret }
  }
  return { kind: 'plain', password }
}

/** Parse the text of a users file; errors name the file, line and column (1-based). */
export function parseUsersFile(text: string, file = 'users file'): Map<string, Credential> {
  const users = new Map<string, Credential>()
  const lines = text.replace(/^\uFEFF/, '').split('\n')
  lines.forEach((rawLine, index) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
    const lineNo = index + 1
    const fail = (column: number, reason: string): never => {
      throw new UsersFileError(file, lineNo, column + 1, reason)
    }
    let at = skipBlanks(line, 0)
    if (at === line.length || line[at] === ';' || line[at] === '#') return
    if (line[at] !== '"') fail(at, 'expected a double-quoted user name')
    const user = quoted(line, at, fail)
    if (user.value === '') fail(at, 'empty user name')
    at = skipBlanks(line, user.end)
    if (at === line.length || line[at] !== '"')
      fail(at, 'expected a double-quoted password after the user name')
    const passwordAt = at
    const password = quoted(line, at, fail)
    const credential = credentialOf(password.value)
    if (typeof credential === 'string') fail(passwordAt + 1, credential)
    users.set(user.value, credential as Credential)
  })
  return users
}

/** Read and parse a users file. */
export async function loadUsersFile(path: string): Promise<Map<string, Credential>> {
  return parseUsersFile(await readFile(path, 'utf8'), path)
}

/** A line for a users file (quotes doubled). */
export function formatUsersFileLine(user: string, password: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`
  return `${q(user)} ${q(password)}`
}

function skipBlanks(line: string, at: number): number {
  while (at < line.length && (line[at] === ' ' || line[at] === '\t')) at++
  return at
}

/** the quoted field opening at `start` */
function quoted(line: string, start: number, fail: (column: number, reason: string) => never) {
  let value = ''
  let at = start + 1
  for (;;) {
    const close = line.indexOf('"', at)
    if (close < 0) return fail(start, 'unterminated quoted string')
    value += line.slice(at, close)
    if (line[close + 1] === '"') {
      value += '"'
      at = close + 2
    } else return { value, end: close + 1 }
  }
}

// ---- deriving other forms ------------------------------------------------------

const scramCache = new WeakMap<PlainCredential, ScramSecret>()

/**
 * The SCRAM secret a credential serves SCRAM with: its own, or for a
 * plaintext password one built once (random salt, 4096 iterations) and kept
 * for the life of the credential object. Null for an md5 hash, which cannot
 * serve SCRAM, and for an empty password.
 */
export function scramSecretFor(credential: Credential): ScramSecret | null {
  switch (credential.kind) {
    case 'scram':
      return credential
    case 'md5':
      return null
    case 'plain': {
      if (credential.password === '') return null
      let secret = scramCache.get(credential)
      if (secret === undefined) {
        secret = buildScramSecret(credential.password)
        scramCache.set(credential, secret)
      }
      return secret
    }
  }
}

/** The md5 hash a credential serves md5 authentication with, or null (a SCRAM secret, an empty password). */
export function md5HashFor(credential: Credential, user: string): string | null {
  switch (credential.kind) {
    case 'md5':
      return credential.hash
    case 'plain':
      return credential.password === '' ? null : md5PasswordHash(credential.password, user)
    case 'scram':
      return null
  }
}
