import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import {
  AuthenticationError,
  type AuthStep,
  buildScramSecret,
  type Credential,
  createAuthExchange,
  md5PasswordHash,
  md5Response,
} from '../../../src/server/auth/index.js'
import { ProtocolViolation } from '../../../src/server/protocol/index.js'
import { parseBackend } from '../protocol/helpers.js'

const require = createRequire(import.meta.url)
const pgUtils = require('pg/lib/crypto/utils.js') as {
  postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>
}

const md5hex = (s: string | Buffer) => createHash('md5').update(s).digest('hex')
const pw = (s: string) => Buffer.from(`${s}\0`)

function sent(step: AuthStep) {
  expect(step.kind).toBe('send')
  return parseBackend((step as { message: Buffer }).message)[0]!
}

function failed(step: AuthStep) {
  expect(step.kind).toBe('fail')
  return (step as Extract<AuthStep, { kind: 'fail' }>).error
}

describe('md5', () => {
  const salt = Buffer.from([0x01, 0x02, 0x03, 0x04])
  // md5(md5('pencil' || 'user') || salt), computed here from the definition
  const expected = `md5${md5hex(Buffer.concat([Buffer.from(md5hex('pencil' + 'user')), salt]))}`

  it('agrees with the definition and with node-postgres', async () => {
    expect(md5Response(md5PasswordHash('pencil', 'user'), salt)).toBe(expected)
    expect(await pgUtils.postgresMd5PasswordHash('user', 'pencil', salt)).toBe(expected)
  })

  for (const credential of [
    { kind: 'plain', password: 'pencil' },
    { kind: 'md5', hash: md5PasswordHash('pencil', 'user') },
  ] as Credential[]) {
    it(`authenticates against a ${credential.kind} credential`, () => {
      const x = createAuthExchange('md5', 'user', credential, { md5Salt: salt })
      expect(x.method).toBe('md5')
      const req = sent(x.start())
      expect(req.name).toBe('authenticationMD5Password')
      expect(Buffer.from(req.salt as Buffer)).toEqual(salt)
      const done = x.receive(pw(expected))
      expect(done.kind).toBe('ok')
      expect(parseBackend((done as { message: Buffer }).message).map((m) => m.name)).toEqual([
        'authenticationOk',
      ])
    })
  }

  it('uses a random salt by default', () => {
    const salts = new Set(
      Array.from({ length: 8 }, () => {
        const m = sent(createAuthExchange('md5', 'u', { kind: 'plain', password: 'p' }).start())
        return Buffer.from(m.salt as Buffer).toString('hex')
      }),
    )
    expect(salts.size).toBeGreaterThan(1)
  })

  it('fails on a wrong answer, an unknown user, and a plaintext password sent instead', async () => {
    const cases: [Credential | undefined, string, string][] = [
      [
        { kind: 'plain', password: 'pencil' },
        await pgUtils.postgresMd5PasswordHash('user', 'pencil!', salt),
        'Password does not match for user "user".',
      ],
      [undefined, expected, 'Role "user" does not exist.'],
      [{ kind: 'plain', password: 'pencil' }, 'pencil', 'Password does not match for user "user".'],
      [
        { kind: 'plain', password: '' },
        md5Response(md5PasswordHash('', 'user'), salt),
        'User "user" has a password that cannot be used with MD5 authentication.',
      ],
    ]
    for (const [credential, answer, logDetail] of cases) {
      const x = createAuthExchange('md5', 'user', credential, { md5Salt: salt, passwordEncryption: 'md5' })
      expect(x.method).toBe('md5')
      x.start()
      const e = failed(x.receive(pw(answer)))
      expect(e).toBeInstanceOf(AuthenticationError)
      expect([e.message, e.code, (e as AuthenticationError).logDetail]).toEqual([
        'password authentication failed for user "user"',
        '28P01',
        logDetail,
      ])
    }
  })

  it('refuses an empty password and a malformed packet', () => {
    const x = createAuthExchange('md5', 'u', { kind: 'plain', password: 'p' })
    x.start()
    const e = failed(x.receive(Buffer.from([0])))
    expect([e.message, e.code]).toEqual(['empty password returned by client', '28P01'])
    const y = createAuthExchange('md5', 'u', { kind: 'plain', password: 'p' })
    y.start()
    const v = failed(y.receive(Buffer.from('md5abc')))
    expect(v).toBeInstanceOf(ProtocolViolation)
    expect([v.message, v.code]).toEqual(['invalid password packet size', '08P01'])
    // one answer only
    expect(y.receive(pw('x')).kind).toBe('fail')
  })

  it('becomes SCRAM for a user with a SCRAM secret, and for unknown users unless password_encryption is md5', () => {
    const scram: Credential = { kind: 'scram', ...buildScramSecret('p') }
    expect(createAuthExchange('md5', 'u', scram).method).toBe('scram-sha-256')
    expect(sent(createAuthExchange('md5', 'u', scram).start()).name).toBe('authenticationSASL')
    expect(createAuthExchange('md5', 'ghost', undefined).method).toBe('scram-sha-256')
    expect(createAuthExchange('md5', 'ghost', undefined, { passwordEncryption: 'md5' }).method).toBe('md5')
    expect(createAuthExchange('md5', 'u', { kind: 'plain', password: 'p' }).method).toBe('md5')
  })
})

describe('password (cleartext)', () => {
  const cases: [string, Credential][] = [
    ['plain', { kind: 'plain', password: 'pässword' }],
    ['md5', { kind: 'md5', hash: md5PasswordHash('pässword', 'alice') }],
    ['scram', { kind: 'scram', ...buildScramSecret('pässword') }],
  ]
  for (const [name, credential] of cases) {
    it(`checks the password against a ${name} credential and hands it on`, () => {
      const x = createAuthExchange('password', 'alice', credential)
      expect(sent(x.start()).name).toBe('authenticationCleartextPassword')
      const done = x.receive(pw('pässword'))
      expect(done.kind).toBe('ok')
      expect(done.kind === 'ok' && done.password).toBe('pässword')

      const y = createAuthExchange('password', 'alice', credential)
      y.start()
      expect(failed(y.receive(pw('password'))).message).toBe(
        'password authentication failed for user "alice"',
      )
    })
  }

  it('fails for an unknown user and an empty stored password, and refuses an empty answer', () => {
    const unknown = createAuthExchange('password', 'ghost', undefined)
    unknown.start()
    expect((failed(unknown.receive(pw('x'))) as AuthenticationError).logDetail).toBe(
      'Role "ghost" does not exist.',
    )
    const empty = createAuthExchange('password', 'u', { kind: 'plain', password: '' })
    empty.start()
    expect(failed(empty.receive(pw('x'))).code).toBe('28P01')
    const blank = createAuthExchange('password', 'u', { kind: 'plain', password: '' })
    blank.start()
    expect(failed(blank.receive(pw(''))).message).toBe('empty password returned by client')
  })
})

describe('trust', () => {
  it('sends AuthenticationOk at once', () => {
    const x = createAuthExchange('trust', 'anyone', undefined)
    const step = x.start()
    expect(step.kind).toBe('ok')
    expect(parseBackend((step as { message: Buffer }).message).map((m) => m.name)).toEqual([
      'authenticationOk',
    ])
    expect(x.receive(pw('x')).kind).toBe('fail')
  })
})
