import { createHash, createHmac, pbkdf2Sync } from 'node:crypto'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import {
  type AuthStep,
  buildScramSecret,
  type Credential,
  createAuthExchange,
  formatScramSecret,
  md5PasswordHash,
  parseScramSecret,
  ScramExchange,
  saslprep,
  scramMockSalt,
  verifyScramPassword,
} from '../../../src/server/auth/index.js'
import { ProtocolViolation } from '../../../src/server/protocol/index.js'
import { parseBackend } from '../protocol/helpers.js'

const require = createRequire(import.meta.url)
const pgSasl = require('pg/lib/crypto/sasl.js') as {
  startSession(mechanisms: string[]): { response: string; message: string }
  continueSession(session: object, password: string, serverData: string): Promise<void>
  finalizeSession(session: object, serverData: string): void
}

const b64 = (s: string) => Buffer.from(s, 'base64')

/** the body of a SASLInitialResponse */
function initial(data: string | null, mechanism = 'SCRAM-SHA-256'): Buffer {
  const len = Buffer.alloc(4)
  len.writeInt32BE(data === null ? -1 : Buffer.byteLength(data))
  return Buffer.concat([Buffer.from(`${mechanism}\0`), len, Buffer.from(data ?? '')])
}

/** the data of the SASL challenge a step sends */
function challenge(step: AuthStep): string {
  expect(step.kind).toBe('send')
  const [m] = parseBackend((step as { message: Buffer }).message)
  expect(m!.name).toBe('authenticationSASLContinue')
  return m!.data as string
}

function failure(step: AuthStep) {
  expect(step.kind).toBe('fail')
  return (step as Extract<AuthStep, { kind: 'fail' }>).error
}

/** A SCRAM client written here, from RFC 5802, on node:crypto alone. */
function clientFinal(
  password: string,
  clientFirstBare: string,
  serverFirst: string,
  cbind = 'biws',
  extra = '',
) {
  const attrs = new Map(serverFirst.split(',').map((kv) => [kv[0]!, kv.slice(2)]))
  const salted = pbkdf2Sync(password, b64(attrs.get('s')!), Number(attrs.get('i')), 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const withoutProof = `c=${cbind},r=${attrs.get('r')}${extra}`
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`
  const signature = createHmac('sha256', storedKey).update(authMessage).digest()
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!))
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  const verifier = createHmac('sha256', serverKey).update(authMessage).digest('base64')
  return { message: `${withoutProof},p=${proof.toString('base64')}`, clientKey, verifier }
}

describe('SCRAM-SHA-256: RFC 7677 example', () => {
  const salt = b64('W22ZaJ0SNY7soEsUEjb6gQ==')
  const credential: Credential = { kind: 'scram', ...buildScramSecret('pencil', { salt, iterations: 4096 }) }
  const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'

  it('produces the RFC messages and recovers the ClientKey', () => {
    const x = new ScramExchange('user', credential, { scramNonce: serverNonce })
    const start = x.start()
    expect(start.kind).toBe('send')
    expect(parseBackend((start as { message: Buffer }).message)[0]).toMatchObject({
      name: 'authenticationSASL',
      mechanisms: ['SCRAM-SHA-256'],
    })
    const first = x.receive(initial('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
    expect(challenge(first)).toBe(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    )
    const done = x.receive(
      Buffer.from(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
    )
    expect(done.kind).toBe('ok')
    if (done.kind !== 'ok') return
    expect(parseBackend(done.message).map((m) => [m.name, m.data])).toEqual([
      ['authenticationSASLFinal', 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='],
      ['authenticationOk', undefined],
    ])
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256')
    expect(done.clientKey).toEqual(createHmac('sha256', salted).update('Client Key').digest())
    expect(done.scramSecret).toBe(credential)
  })

  it('stores the secret in PostgreSQL form and reads it back', () => {
    const text = formatScramSecret(credential as Extract<Credential, { kind: 'scram' }>)
    expect(text).toMatch(
      /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/,
    )
    expect(parseScramSecret(text)).toEqual(buildScramSecret('pencil', { salt, iterations: 4096 }))
  })
})

describe('SCRAM secrets made by PostgreSQL 15 (SASLprep included)', () => {
  // CREATE ROLE … PASSWORD … with password_encryption = 'scram-sha-256' on PostgreSQL 15.20
  const secrets: [string, string, string[], string[]][] = [
    [
      'pencil',
      'SCRAM-SHA-256$4096:7/ChQ1Y5J5MVWwCWKzR/tQ==$fv3mPIemWJE9svilDl6GzQaMbfN9NqbigqmLedRdGcI=:S9xG67nSjubnqgqbZnUHhRS1JP9qauIbX86RssbXdmM=',
      [],
      ['Pencil', 'pencil '],
    ],
    // NFKC: the ligature is "fi"
    [
      '\uFB01sh',
      'SCRAM-SHA-256$4096:dPBhBmeTb3V1+ng2ZhxSiA==$nGaVqfBbRfQsqbdWCcHxw6c/KaNARS5BYiRhTLAP2rM=:csx0WkquawALk2khvJ2PnGDXsutQR7WvKiM03ByFXkk=',
      ['fish'],
      ['f\uFB01sh'],
    ],
    // a non-ASCII space maps to SPACE
    [
      'pass\u00A0word',
      'SCRAM-SHA-256$4096:leGDN0+TY1tygh+R/KCw/g==$HUKEJ3mVYC781Bav5Nl5HEZXLyPferxcXDAUwg07gWY=:AlYfU28559Gi5uFD6NbCJwfmbTF+BmgPwLC0u7b8d7M=',
      ['pass word', 'pass\u3000word'],
      ['password'],
    ],
    // a soft hyphen maps to nothing
    [
      'a\u00ADb',
      'SCRAM-SHA-256$4096:8a5Jz/DMiHWW8nDwdcSQXA==$pakrTbnMbi23vJx5z46PhXyCXYl3DTyRT/Y63+83sJ4=:Hk8Z6V+m9Xh+e7FEvz3AYuD1mOP7c8qIYzzHs8xh6yg=',
      ['ab\u00AD', '\u00ADab'],
      ['a-b'],
    ],
    // ROMAN NUMERAL NINE is "IX" under NFKC
    [
      'I\u2168x',
      'SCRAM-SHA-256$4096:4pya095gEQnzpbgS554BAQ==$79cja6K3vvwZRCsCjyWGMXh2uaasqE1J5+kN4J1FGKo=:RFpc/in3kDCEcUZMdcx+8r5hDLXAbXALU8gfWmVuVF8=',
      ['IIXx'],
      ['I\u2168X'],
    ],
    // a control character is prohibited: the raw bytes are hashed, not normalized
    [
      'abc\u0007\u00E9',
      'SCRAM-SHA-256$4096:L1se/jdnmUG7qFr+VqSMAw==$EPrXFfVL1HBGTyL0nEit8IKL3VGq2h1sMcGZdcrsUSo=:71bjjbB9Xm0hRe/KAPfHHAcXRzA+AUE1SAWYipKDiIk=',
      [],
      ['abc\u0007e\u0301'],
    ],
    // right-to-left and left-to-right letters mixed: bidi check fails, raw bytes
    [
      '\u05D0a\u05D1',
      'SCRAM-SHA-256$4096:bJA+jJao7idDybwKaXnrMw==$xhwEeWOCyxdbSDGU8brUQ4R69VQMaf6AyKHIl/o2jbA=:h/sgpC+hlBhlFuXdEGYuGBEZAPkvHL9hRvo1sUT8Mwo=',
      [],
      [],
    ],
    [
      '\u05D0\u0661\u05D1',
      'SCRAM-SHA-256$4096:q96bERNgCrJXSIqmdWoxNQ==$7a3xjqZw2gHpn8/ULUmrxeVd7ekPXKat3LYcmo/f6Xo=:7bsoIDdPx3H6soYM5wMhL2jLBcO4vrFnnXfVyQ1QKis=',
      [],
      [],
    ],
    // a decomposed accent is composed by NFKC
    [
      'e\u0301t\u00E9',
      'SCRAM-SHA-256$4096:Ff+fsmn4Q3oae+lzg/bD/Q==$qMAW+Hc0YRkoF+Uvtx0bbJRs21vvBsHkbfffcaWW5u8=:6XcopU9jqUGPSGwr4TjkpiPLIJzl5qNIc2+qpBFVOLk=',
      ['\u00E9t\u00E9', 'e\u0301te\u0301'],
      [],
    ],
    // mapped to nothing at all: empty, so prohibited, raw bytes
    [
      '\u00AD',
      'SCRAM-SHA-256$4096:o9UCyFCnUEQKPJOafRe04A==$UnUdoCH+SDNcGN7ShctQTY0GcMUeUkJg7no6lNX5C4g=:0ByEdhF0y/zbfmPDNXBI0z6fKdn63tkeZsdELD7vRZA=',
      [],
      ['', '\u00AD\u00AD'],
    ],
  ]
  for (const [password, text, alsoGood, bad] of secrets) {
    it(`verifies ${JSON.stringify(password)}`, () => {
      const secret = parseScramSecret(text)
      expect(secret).not.toBeNull()
      expect(verifyScramPassword(password, secret!)).toBe(true)
      for (const p of alsoGood) expect([p, verifyScramPassword(p, secret!)]).toEqual([p, true])
      for (const p of bad) expect([p, verifyScramPassword(p, secret!)]).toEqual([p, false])
    })
  }

  it('md5 hashes match PostgreSQL', () => {
    // role m1, password 'pencil', password_encryption = 'md5'
    expect(md5PasswordHash('pencil', 'm1')).toBe('md57474753e4b2f9e23953d5977773aabb0')
  })

  it('saslprep leaves ASCII and invalid UTF-8 alone', () => {
    expect(saslprep('plain ASCII \u0007').toString()).toBe('plain ASCII \u0007')
    const invalid = Buffer.from([0x61, 0xc3, 0x28])
    expect(saslprep(invalid)).toBe(invalid)
  })
})

describe('SCRAM-SHA-256 against node-postgres as the client', () => {
  async function login(credential: Credential | undefined, password: string, user = 'app') {
    const x = createAuthExchange('scram-sha-256', user, credential)
    const start = x.start()
    const [sasl] = parseBackend((start as { message: Buffer }).message)
    const session = pgSasl.startSession(sasl!.mechanisms as string[])
    const first = x.receive(initial(session.response))
    await pgSasl.continueSession(session, password, challenge(first))
    const last = x.receive(Buffer.from((session as unknown as { response: string }).response))
    if (last.kind === 'ok') {
      const [final] = parseBackend(last.message)
      pgSasl.finalizeSession(session, final!.data as string)
    }
    return { x, first: challenge(first), last }
  }

  it('authenticates with a SCRAM secret and with a plaintext password', async () => {
    const scram: Credential = { kind: 'scram', ...buildScramSecret('s3cret') }
    const a = await login(scram, 's3cret')
    expect(a.last.kind).toBe('ok')
    const plain: Credential = { kind: 'plain', password: 'pässwörd' }
    const b = await login(plain, 'pässwörd')
    expect(b.last.kind).toBe('ok')
    // a plaintext credential serves SCRAM with one secret, built once
    const c = await login(plain, 'pässwörd')
    expect(c.first.split(',').slice(1)).toEqual(b.first.split(',').slice(1))
  })

  it('the recovered ClientKey is the one the client derived', async () => {
    const secret = buildScramSecret('onward', { iterations: 4096 })
    const { last } = await login({ kind: 'scram', ...secret }, 'onward')
    expect(last.kind).toBe('ok')
    if (last.kind !== 'ok') return
    const salted = pbkdf2Sync('onward', secret.salt, 4096, 32, 'sha256')
    expect(last.clientKey).toEqual(createHmac('sha256', salted).update('Client Key').digest())
  })

  it('a wrong password, an unknown user and an md5-only user fail alike', async () => {
    const wrong = await login({ kind: 'plain', password: 'right' }, 'wrong')
    const unknown = await login(undefined, 'whatever', 'ghost')
    const md5 = await login({ kind: 'md5', hash: md5PasswordHash('pw', 'app') }, 'pw')
    const errors = [wrong, unknown, md5].map(({ last }) => failure(last))
    expect(errors.map((e) => [e.message, e.code])).toEqual([
      ['password authentication failed for user "app"', '28P01'],
      ['password authentication failed for user "ghost"', '28P01'],
      ['password authentication failed for user "app"', '28P01'],
    ])
    expect(errors.map((e) => (e as { logDetail?: string }).logDetail)).toEqual([
      'Password does not match for user "app".',
      'Role "ghost" does not exist.',
      'User "app" does not have a valid SCRAM secret.',
    ])
    // the mock exchange looks like a real one: a 16-byte salt and 4096 iterations
    const attrs = new Map(unknown.first.split(',').map((kv) => [kv[0], kv.slice(2)]))
    expect(b64(attrs.get('s')!)).toHaveLength(16)
    expect(attrs.get('i')).toBe('4096')
  })

  it('the mock salt is stable for a user name and differs between users', () => {
    const nonce = Buffer.alloc(32, 1)
    const salt = (user: string) => {
      const x = new ScramExchange(user, undefined, { mockNonce: nonce })
      x.start()
      return challenge(x.receive(initial('n,,n=,r=abc'))).split(',')[1]
    }
    expect(salt('ghost')).toBe(salt('ghost'))
    expect(salt('ghost')).not.toBe(salt('ghost2'))
    expect(salt('ghost')).toBe(`s=${scramMockSalt('ghost', nonce).toString('base64')}`)
    expect(scramMockSalt('ghost', nonce)).toEqual(
      createHash('sha256').update('ghost').update(nonce).digest().subarray(0, 16),
    )
  })
})

describe('SCRAM-SHA-256 exchange details', () => {
  const credential: Credential = { kind: 'scram', ...buildScramSecret('pw', { iterations: 4096 }) }

  function exchange() {
    const x = new ScramExchange('app', credential, { scramNonce: 'SERVERNONCE' })
    x.start()
    return x
  }

  it('accepts the y flag with eSws, and a client that sends no initial response', () => {
    const x = exchange()
    const first = challenge(x.receive(initial('y,,n=,r=cn')))
    const { message, verifier } = clientFinal('pw', 'n=,r=cn', first, 'eSws')
    const done = x.receive(Buffer.from(message))
    expect(done.kind).toBe('ok')
    expect(parseBackend((done as { message: Buffer }).message)[0]!.data).toBe(`v=${verifier}`)

    const y = exchange()
    expect(challenge(y.receive(initial(null)))).toBe('')
    const first2 = challenge(y.receive(Buffer.from('n,,n=ignored,r=cn2')))
    expect(first2.startsWith('r=cn2SERVERNONCE,s=')).toBe(true)
    expect(y.receive(Buffer.from(clientFinal('pw', 'n=ignored,r=cn2', first2).message)).kind).toBe('ok')
  })

  it('ignores extensions in both client messages; the proof covers them', () => {
    const x = exchange()
    const first = challenge(x.receive(initial('n,,n=,r=cn,x=ext')))
    const { message } = clientFinal('pw', 'n=,r=cn,x=ext', first, 'biws', ',e=1')
    expect(x.receive(Buffer.from(message)).kind).toBe('ok')
  })

  const firstCases: [string, string, string, string | undefined][] = [
    ['', '08P01', 'malformed SCRAM message', 'The message is empty.'],
    ['n,,n=,r=a\0b', '08P01', 'malformed SCRAM message', 'Message length does not match input length.'],
    [
      'p=tls-server-end-point,,n=,r=x',
      '08P01',
      'malformed SCRAM message',
      'The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.',
    ],
    ['x,,n=,r=abc', '08P01', 'malformed SCRAM message', `Unexpected channel-binding flag "'x'".`],
    ['\u0001,,n=,r=abc', '08P01', 'malformed SCRAM message', 'Unexpected channel-binding flag "0x01".'],
    ['n', '08P01', 'malformed SCRAM message', 'Comma expected, but found character "0x00".'],
    ['y;', '08P01', 'malformed SCRAM message', `Comma expected, but found character "';'".`],
    ['n,a=someone,n=,r=x', '0A000', 'client uses authorization identity, but it is not supported', undefined],
    ['n,x,n=,r=x', '08P01', 'malformed SCRAM message', `Unexpected attribute "'x'" in client-first-message.`],
    ['n,,m=ext,n=,r=x', '0A000', 'client requires an unsupported SCRAM extension', undefined],
    ['n,,r=abc', '08P01', 'malformed SCRAM message', `Expected attribute "n" but found "'r'".`],
    ['n,,n', '08P01', 'malformed SCRAM message', 'Expected character "=" for attribute "n".'],
    ['n,,n=', '08P01', 'malformed SCRAM message', 'Expected attribute "r" but found "0x00".'],
    ['n,,n=,r=a b', '08P01', 'non-printable characters in SCRAM nonce', undefined],
    [
      'n,,n=,r=abc,1=x',
      '08P01',
      'malformed SCRAM message',
      `Attribute expected, but found invalid character "'1'".`,
    ],
    ['n,,n=,r=abc,x', '08P01', 'malformed SCRAM message', 'Expected character "=" for attribute "x".'],
  ]
  for (const [input, code, message, detail] of firstCases) {
    it(`client-first ${JSON.stringify(input)}: ${detail ?? message}`, () => {
      const e = failure(exchange().receive(initial(input)))
      expect(e).toBeInstanceOf(ProtocolViolation)
      expect({ code: e.code, message: e.message, detail: e.detail }).toEqual({ code, message, detail })
    })
  }

  it('refuses SCRAM-SHA-256-PLUS and other mechanisms', () => {
    const e = failure(exchange().receive(initial('p=tls-server-end-point,,n=,r=x', 'SCRAM-SHA-256-PLUS')))
    expect(e.message).toBe('client selected an invalid SASL authentication mechanism')
    expect(failure(exchange().receive(initial('n,,n=,r=x', 'PLAIN'))).code).toBe('08P01')
  })

  const finalCases: [(nonce: string, proof: string) => string, string, string | undefined][] = [
    [
      (n, p) => `c=eSws,r=${n},p=${p}`,
      'unexpected SCRAM channel-binding attribute in client-final-message',
      undefined,
    ],
    [(n, p) => `r=${n},p=${p}`, 'malformed SCRAM message', `Expected attribute "c" but found "'r'".`],
    [(n) => `c=biws,r=${n}`, 'malformed SCRAM message', 'Attribute expected, but found end of string.'],
    [(n) => `c=biws,r=${n},p=AAAA`, 'malformed SCRAM message', 'Malformed proof in client-final-message.'],
    [
      (n) => `c=biws,r=${n},p=not base64!`,
      'malformed SCRAM message',
      'Malformed proof in client-final-message.',
    ],
    [
      (n, p) => `c=biws,r=${n},p=${p},x`,
      'malformed SCRAM message',
      'Garbage found at the end of client-final-message.',
    ],
    [(n, p) => `c=biws,r=${n}X,p=${p}`, 'invalid SCRAM response', 'Nonce does not match.'],
    [(n, p) => `c=biws,r=${n.slice(0, -1)},p=${p}`, 'invalid SCRAM response', 'Nonce does not match.'],
    [(_n, p) => `c=biws,r=cnSERVERNONCF,p=${p}`, 'invalid SCRAM response', 'Nonce does not match.'],
  ]
  for (const [make, message, detail] of finalCases) {
    const sample = make('cnSERVERNONCE', 'P'.repeat(43) + '=')
    it(`client-final ${JSON.stringify(sample)}: ${detail ?? message}`, () => {
      const x = exchange()
      const first = challenge(x.receive(initial('n,,n=,r=cn')))
      const { message: good } = clientFinal('pw', 'n=,r=cn', first)
      const proof = good.slice(good.indexOf(',p=') + 3)
      const e = failure(x.receive(Buffer.from(make('cnSERVERNONCE', proof))))
      expect(e).toBeInstanceOf(ProtocolViolation)
      expect({ code: e.code, message: e.message, detail: e.detail }).toEqual({
        code: '08P01',
        message,
        detail,
      })
      // the exchange is over
      expect(x.receive(Buffer.from(good)).kind).toBe('fail')
    })
  }

  it('a wrong proof is a password failure, and a trailing comma after the proof is accepted as PostgreSQL does', () => {
    const x = exchange()
    const first = challenge(x.receive(initial('n,,n=,r=cn')))
    const { message } = clientFinal('not pw', 'n=,r=cn', first)
    expect(failure(x.receive(Buffer.from(message))).message).toBe(
      'password authentication failed for user "app"',
    )

    const y = exchange()
    const first2 = challenge(y.receive(initial('n,,n=,r=cn')))
    expect(y.receive(Buffer.from(`${clientFinal('pw', 'n=,r=cn', first2).message},`)).kind).toBe('ok')
  })

  it('fails when used after it has finished', () => {
    const x = exchange()
    const first = challenge(x.receive(initial('n,,n=,r=cn')))
    expect(x.receive(Buffer.from(clientFinal('pw', 'n=,r=cn', first).message)).kind).toBe('ok')
    expect(failure(x.receive(Buffer.from('again'))).message).toBe('invalid SCRAM exchange state')
  })
})
