/**
 * SCRAM-SHA-256 and MD5 without I/O: RFC 7677's example exchange, keys
 * instead of the password, PostgreSQL's verifier format, the server-side
 * proof check a pooler needs, and SASLprep.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  clientKeyFromProof,
  formatScramVerifier,
  hi,
  hmac,
  md5PasswordHash,
  md5Response,
  md5ResponseFromHash,
  parseScramVerifier,
  ScramClient,
  ScramError,
  saslprep,
  scramKeysFromPassword,
  scramNonce,
  scramVerifier,
  sha256,
} from '../../../src/runtime/wire/index.js'

// RFC 7677 section 3
const RFC = {
  user: 'user',
  password: 'pencil',
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
}

describe('SCRAM-SHA-256 client', () => {
  it("reproduces RFC 7677's example from the password", async () => {
    const c = new ScramClient({ password: RFC.password }, RFC.clientNonce, RFC.user)
    expect(c.clientFirstMessage()).toBe(RFC.clientFirst)
    expect(await c.clientFinalMessage(RFC.serverFirst)).toBe(RFC.clientFinal)
    expect(() => c.verifyServerFinal(RFC.serverFinal)).not.toThrow()
  })

  it('reproduces it from the keys alone, and the keys are what the verifier holds', async () => {
    const keys = scramKeysFromPassword(RFC.password, RFC.salt, 4096)
    const c = new ScramClient({ keys }, RFC.clientNonce, RFC.user)
    expect(await c.clientFinalMessage(RFC.serverFirst)).toBe(RFC.clientFinal)
    c.verifyServerFinal(RFC.serverFinal)
    const salted = hi(RFC.password, RFC.salt, 4096)
    expect(keys.clientKey.equals(hmac(salted, 'Client Key'))).toBe(true)
    expect(keys.serverKey.equals(hmac(salted, 'Server Key'))).toBe(true)
  })

  it('sends an empty user name and the n,, gs2 header, as libpq', () => {
    const c = new ScramClient({ password: 'x' }, 'abc')
    expect(c.clientFirstMessage()).toBe('n,,n=,r=abc')
    expect(c.clientFirstMessageBare).toBe('n=,r=abc')
    expect(new ScramClient({ password: 'x' }, 'n', 'a=b,c').clientFirstMessageBare).toBe('n=a=3Db=2Cc,r=n')
  })

  it('refuses a wrong server signature, a server error, and malformed server messages', async () => {
    const c = new ScramClient({ password: RFC.password }, RFC.clientNonce, RFC.user)
    await c.clientFinalMessage(RFC.serverFirst)
    expect(() => c.verifyServerFinal('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toThrow(
      'incorrect server signature',
    )
    expect(() => c.verifyServerFinal('e=invalid-proof')).toThrow(
      'error received from server in SCRAM exchange: invalid-proof',
    )
    expect(() => c.verifyServerFinal('garbage')).toThrow(ScramError)
    const fresh = () => new ScramClient({ password: 'p' }, 'abc')
    await expect(fresh().clientFinalMessage('r=xyz123,s=AAAA,i=1')).rejects.toThrow('nonce mismatch')
    await expect(fresh().clientFinalMessage('r=abc,s=AAAA,i=1')).rejects.toThrow('nonce mismatch')
    await expect(fresh().clientFinalMessage('r=abcd,s=A,i=1')).rejects.toThrow('invalid salt')
    await expect(fresh().clientFinalMessage('r=abcd,s=AAAA,i=0')).rejects.toThrow('invalid iteration count')
    await expect(fresh().clientFinalMessage('r=abcd,s=AAAA')).rejects.toThrow('attribute missing')
    // before any server-first message, no signature can be right
    expect(() => fresh().verifyServerFinal(RFC.serverFinal)).toThrow('incorrect server signature')
  })

  it('nonces are random printable base64 without commas', () => {
    const a = scramNonce()
    expect(a).toMatch(/^[A-Za-z0-9+/]{24}$/)
    expect(scramNonce()).not.toBe(a)
  })
})

describe('PostgreSQL SCRAM verifiers', () => {
  it('SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>, StoredKey = H(ClientKey)', () => {
    const v = scramVerifier(RFC.password, RFC.salt, 4096)
    const keys = scramKeysFromPassword(RFC.password, RFC.salt, 4096)
    expect(v).toBe(
      `SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$${sha256(keys.clientKey).toString('base64')}:${keys.serverKey.toString('base64')}`,
    )
    const parsed = parseScramVerifier(v)!
    expect(parsed.iterations).toBe(4096)
    expect(parsed.salt.equals(RFC.salt)).toBe(true)
    expect(parsed.storedKey.equals(sha256(keys.clientKey))).toBe(true)
    expect(parsed.serverKey.equals(keys.serverKey)).toBe(true)
    expect(formatScramVerifier(parsed)).toBe(v)
  })

  it('a verifier PostgreSQL 15 made (password "secret")', () => {
    // select rolpassword from pg_authid, after: set password_encryption = 'scram-sha-256'; alter role r password 'secret'
    const stored =
      'SCRAM-SHA-256$4096:suuDcZvse7Z+9hgu/roLDQ==$5Y9eA+QkysDJrI06NGqR9+GuRmsyViU1kzZ5+6JDjUA=:OV2bMv7j/7Lv4hWsJSFNc2ov2ul7CwpNew7SDpACsUk='
    const v = parseScramVerifier(stored)!
    expect(scramVerifier('secret', v.salt, v.iterations)).toBe(stored)
    expect(scramVerifier('Secret', v.salt, v.iterations)).not.toBe(stored)
  })

  it('rejects texts that are not verifiers', () => {
    for (const bad of [
      'md5abc',
      'SCRAM-SHA-256$0:AAAA$AAAA:AAAA',
      'SCRAM-SHA-256$4096:AAAA$AAAA:AAAA',
      'SCRAM-SHA-1$4096:AAAA$AAAA:AAAA',
      '',
    ]) {
      expect(parseScramVerifier(bad)).toBeUndefined()
    }
  })

  it('the server side recovers ClientKey from a proof (what auth pass-through keeps), and only from a right one', async () => {
    const keys = scramKeysFromPassword(RFC.password, RFC.salt, 4096)
    const storedKey = sha256(keys.clientKey)
    const c = new ScramClient({ password: RFC.password }, RFC.clientNonce, RFC.user)
    const final = await c.clientFinalMessage(RFC.serverFirst)
    const withoutProof = final.slice(0, final.indexOf(',p='))
    const proof = Buffer.from(final.slice(final.indexOf(',p=') + 3), 'base64')
    const authMessage = `${c.clientFirstMessageBare},${RFC.serverFirst},${withoutProof}`
    expect(clientKeyFromProof(storedKey, authMessage, proof)?.equals(keys.clientKey)).toBe(true)
    const bad = Buffer.from(proof)
    bad[0] = bad[0]! ^ 1
    expect(clientKeyFromProof(storedKey, authMessage, bad)).toBeUndefined()
    expect(clientKeyFromProof(storedKey, `${authMessage}x`, proof)).toBeUndefined()
    expect(clientKeyFromProof(storedKey, authMessage, proof.subarray(1))).toBeUndefined()
  })
})

describe('SASLprep', () => {
  it('leaves ASCII alone (control characters included), as PostgreSQL does', () => {
    expect(saslprep('pencil')).toBe('pencil')
    expect(saslprep('a\u0007b')).toBe('a\u0007b')
  })

  it('maps non-ASCII spaces to a space, removes the mapped-to-nothing characters, applies NFKC', () => {
    expect(saslprep('a\u00a0b')).toBe('a b')
    expect(saslprep('a\u2003b')).toBe('a b')
    expect(saslprep('I\u00adX')).toBe('IX')
    expect(saslprep('\u2168')).toBe('IX') // ROMAN NUMERAL NINE
    expect(saslprep('\u00aa')).toBe('a')
    expect(saslprep('ｐａｓｓ')).toBe('pass')
  })

  it('uses the raw password when the prepared one holds a prohibited character', () => {
    expect(saslprep('é\u0007')).toBe('é\u0007')
    expect(saslprep('é\ue000')).toBe('é\ue000')
    expect(saslprep('\u00ad')).toBe('\u00ad')
  })
})

describe('MD5', () => {
  const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex')

  it('the stored hash is md5 + md5(password + user)', () => {
    expect(md5PasswordHash('secret', 'alice')).toBe(`md5${md5('secretalice')}`)
    // PostgreSQL 15: select 'md5' || md5('secret' || 'alice')
    expect(md5PasswordHash('secret', 'alice')).toBe('md54a0a68b43b6cd5cf266fa02f196e2371')
  })

  it('the response is md5 + md5(hash-hex + salt), from the password or the hash alone', () => {
    const salt = Buffer.from([0x01, 0x02, 0xfe, 0xff])
    const inner = md5('secretalice')
    const expected = `md5${md5(Buffer.concat([Buffer.from(inner), salt]))}`
    expect(md5Response('alice', 'secret', salt)).toBe(expected)
    expect(md5ResponseFromHash(`md5${inner}`, salt)).toBe(expected)
    expect(() => md5ResponseFromHash('secret', salt)).toThrow(/"md5" and 32 hex digits/)
  })
})
