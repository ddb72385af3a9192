import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  buildScramSecret,
  type Credential,
  formatScramSecret,
  formatUsersFileLine,
  loadUsersFile,
  md5HashFor,
  md5PasswordHash,
  parseUsersFile,
  scramSecretFor,
  UsersFileError,
  verifyScramPassword,
} from '../../../src/server/auth/index.js'

const scramText =
  'SCRAM-SHA-256$4096:7/ChQ1Y5J5MVWwCWKzR/tQ==$fv3mPIemWJE9svilDl6GzQaMbfN9NqbigqmLedRdGcI=:S9xG67nSjubnqgqbZnUHhRS1JP9qauIbX86RssbXdmM='

function errorOf(text: string, file?: string): UsersFileError {
  try {
    parseUsersFile(text, file)
  } catch (e) {
    expect(e).toBeInstanceOf(UsersFileError)
    return e as UsersFileError
  }
  throw new Error('no error')
}

describe('users file', () => {
  it('reads plaintext, md5 and SCRAM entries, comments, blank lines, quotes and CRLF', () => {
    const text = [
      '\uFEFF; PgBouncer-style comment',
      '# another comment',
      '',
      '   ',
      '"alice" "wonderland"',
      '\t"bob"\t"md5ABCDEF0123456789ABCDEF0123456789"',
      `"carol" "${scramText}"`,
      '"say ""hi""" "pa""ss"',
      '"dave" ""',
      '"eve" "md5 is not a hash here"',
      '"frank" "x" trailing fields are ignored, as in PgBouncer',
      '"alice" "second wins"\r',
      '"ünïcode" "pässwörd"',
    ].join('\n')
    const users = parseUsersFile(text)
    expect([...users.keys()]).toEqual([
      'alice',
      'bob',
      'carol',
      'say "hi"',
      'dave',
      'eve',
      'frank',
      'ünïcode',
    ])
    expect(users.get('alice')).toEqual({ kind: 'plain', password: 'second wins' })
    expect(users.get('bob')).toEqual({ kind: 'md5', hash: 'md5abcdef0123456789abcdef0123456789' })
    const carol = users.get('carol')!
    expect(carol.kind).toBe('scram')
    expect(carol.kind === 'scram' && verifyScramPassword('pencil', carol)).toBe(true)
    expect(users.get('say "hi"')).toEqual({ kind: 'plain', password: 'pa"ss' })
    expect(users.get('dave')).toEqual({ kind: 'plain', password: '' })
    expect(users.get('eve')).toEqual({ kind: 'plain', password: 'md5 is not a hash here' })
    expect(users.get('frank')).toEqual({ kind: 'plain', password: 'x' })
    expect(users.get('ünïcode')).toEqual({ kind: 'plain', password: 'pässwörd' })
  })

  it('names the file, line and column of an error', () => {
    const cases: [string, number, number, string][] = [
      ['alice "x"', 1, 1, 'expected a double-quoted user name'],
      ['\n\n  "alice"', 3, 10, 'expected a double-quoted password after the user name'],
      ['"alice" x', 1, 9, 'expected a double-quoted password after the user name'],
      ['"alice "x"', 1, 9, 'expected a double-quoted password after the user name'],
      ['"alice" "x""', 1, 9, 'unterminated quoted string'],
      ['"alice" "unterminated', 1, 9, 'unterminated quoted string'],
      ['"alice', 1, 1, 'unterminated quoted string'],
      ['"" "x"', 1, 1, 'empty user name'],
      [
        '"bob" "SCRAM-SHA-256$4096:notbase64$abc:def"',
        1,
        8,
        'invalid SCRAM secret: expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> in base64',
      ],
    ]
    for (const [text, line, column, reason] of cases) {
      const e = errorOf(text, '/etc/plproxy/users.txt')
      expect([e.line, e.column, e.reason]).toEqual([line, column, reason])
      expect(e.file).toBe('/etc/plproxy/users.txt')
      expect(e.message).toBe(`/etc/plproxy/users.txt:${line}:${column}: ${reason}`)
    }
  })

  it('refuses SCRAM secrets PostgreSQL would not parse', () => {
    const bad = [
      'SCRAM-SHA-256$0:7/ChQ1Y5J5MVWwCWKzR/tQ==$fv3mPIemWJE9svilDl6GzQaMbfN9NqbigqmLedRdGcI=:S9xG67nSjubnqgqbZnUHhRS1JP9qauIbX86RssbXdmM=',
      'SCRAM-SHA-256$4096:7/ChQ1Y5J5MVWwCWKzR/tQ==$fv3mPIemWJE9svilDl6GzQaMbfN9NqbigqmLedRdGcI=:S9xG67nSjubnqgqbZnUHhRS1JP9qa',
      'SCRAM-SHA-256$4096:7/ChQ1Y5J5MVWwCWKzR/tQ==$fv3mPIemWJE9svilDl6GzQaMbfN9NqbigqmLedRdGcI=',
      'SCRAM-SHA-256$x:7/ChQ1Y5J5MVWwCWKzR/tQ==$fv3mPIemWJE9svilDl6GzQaMbfN9NqbigqmLedRdGcI=:S9xG67nSjubnqgqbZnUHhRS1JP9qauIbX86RssbXdmM=',
    ]
    for (const secret of bad) expect(errorOf(`"u" "${secret}"`).reason).toMatch(/^invalid SCRAM secret/)
  })

  it('loads a file from disk, naming it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'users-'))
    const good = join(dir, 'userlist.txt')
    await writeFile(good, `"a" "b"\n"c" "${md5PasswordHash('d', 'c')}"\n`)
    expect([...(await loadUsersFile(good)).keys()]).toEqual(['a', 'c'])
    const bad = join(dir, 'bad.txt')
    await writeFile(bad, '"a" "b"\noops\n')
    await expect(loadUsersFile(bad)).rejects.toThrow(`${bad}:2:1: expected a double-quoted user name`)
  })

  it('formatUsersFileLine writes what parseUsersFile reads', () => {
    const field = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[\n\r]/.test(s))
    fc.assert(
      fc.property(
        field.filter((s) => s !== ''),
        field,
        (user, password) => {
          const c = parseUsersFile(formatUsersFileLine(user, password)).get(user)
          expect(c).toBeDefined()
          if (c!.kind === 'plain') expect(c!.password).toBe(password)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('SCRAM secrets survive a trip through the file', () => {
    const secret = buildScramSecret('tr1p', { iterations: 1024 })
    const users = parseUsersFile(formatUsersFileLine('t', formatScramSecret(secret)))
    expect(users.get('t')).toEqual({ kind: 'scram', ...secret })
  })
})

describe('credentials serving other methods', () => {
  it('a plaintext password serves SCRAM with one secret per credential object', () => {
    const c: Credential = { kind: 'plain', password: 'pw' }
    const a = scramSecretFor(c)!
    expect(scramSecretFor(c)).toBe(a)
    expect(a.iterations).toBe(4096)
    expect(a.salt).toHaveLength(16)
    expect(verifyScramPassword('pw', a)).toBe(true)
    expect(scramSecretFor({ kind: 'plain', password: 'pw' })!.salt.equals(a.salt)).toBe(false)
    expect(scramSecretFor({ kind: 'plain', password: '' })).toBeNull()
    expect(scramSecretFor({ kind: 'md5', hash: md5PasswordHash('pw', 'u') })).toBeNull()
  })

  it('md5 hashes come from plaintext or md5 entries only', () => {
    expect(md5HashFor({ kind: 'plain', password: 'pw' }, 'u')).toBe(md5PasswordHash('pw', 'u'))
    expect(md5HashFor({ kind: 'md5', hash: 'md5x' }, 'u')).toBe('md5x')
    expect(md5HashFor({ kind: 'scram', ...buildScramSecret('pw', { iterations: 1 }) }, 'u')).toBeNull()
  })
})
