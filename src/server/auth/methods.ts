/**
 * Server-side authentication exchanges, one small state machine per method,
 * independent of sockets. The session calls `start()`, sends the message of
 * the step it gets, and hands the body of every 'p' message the client sends
 * to `receive()` until a step says `ok` or `fail`:
 *
 *   send  → write `message`, set the decoder to `phase`, wait for a 'p' message
 *   ok    → write `message` (AuthenticationOk, after SASLFinal for SCRAM) and
 *           go on with the session; set the decoder to 'normal'
 *   fail  → write fatalErrorResponse(error) and close
 *
 * Behaviour and wording follow PostgreSQL 15 (auth.c, auth-sasl.c,
 * auth-scram.c, crypt.c): failures say `password authentication failed for
 * user "…"` (28P01) whatever the reason, which goes to `logDetail` for the
 * server log only; SCRAM for an unknown user (or one with an md5 hash) runs a
 * mock exchange with a salt derived from the user name and fails at the end,
 * so that a client cannot tell which users exist.
 */
import { randomBytes } from 'node:crypto'
import {
  authenticationCleartextPassword,
  authenticationMD5Password,
  authenticationOk,
  authenticationSASL,
  authenticationSASLContinue,
  authenticationSASLFinal,
} from '../protocol/backend.js'
import { FEATURE_NOT_SUPPORTED, PROTOCOL_VIOLATION, ProtocolViolation } from '../protocol/errors.js'
import { decodePasswordMessage, decodeSASLInitialResponse } from '../protocol/frontend.js'
import {
  constantTimeEqual,
  decodeBase64,
  hmac,
  md5PasswordHash,
  md5Response,
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_DEFAULT_SALT_LENGTH,
  SCRAM_KEY_LENGTH,
  SCRAM_RAW_NONCE_LENGTH,
  SCRAM_SHA_256,
  type ScramSecret,
  sha256,
  verifyScramPassword,
  xor,
} from './scram.js'
import { type Credential, md5HashFor, scramSecretFor } from './users-file.js'

export type AuthMethod = 'trust' | 'password' | 'md5' | 'scram-sha-256'

/** SQLSTATE 28P01 */
export const INVALID_PASSWORD = '28P01'

/** An authentication failure reported to the client (always FATAL). */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError'
  readonly severity = 'FATAL'
  constructor(
    message: string,
    /** SQLSTATE */
    readonly code: string,
    readonly detail?: string,
    /** why, for the server log; never sent to the client */
    readonly logDetail?: string,
  ) {
    super(message)
  }
}

export type AuthStep =
  | { readonly kind: 'send'; readonly message: Buffer; readonly phase: 'password' | 'sasl' }
  | {
      readonly kind: 'ok'
      /** AuthenticationOk, preceded by AuthenticationSASLFinal for SCRAM */
      readonly message: Buffer
      /** SCRAM: the client's ClientKey, recovered from its proof (to authenticate onward as the client) */
      readonly clientKey: Buffer | null
      /** SCRAM: the secret the exchange used (salt and iterations go with clientKey) */
      readonly scramSecret: ScramSecret | null
      /** `password` method: the password the client sent */
      readonly password: string | null
    }
  | { readonly kind: 'fail'; readonly error: AuthenticationError | ProtocolViolation }

export interface AuthExchange {
  /** the method really used: md5 becomes scram-sha-256 for a user with a SCRAM secret, as in PostgreSQL */
  readonly method: AuthMethod
  start(): AuthStep
  /** the body of the next 'p' message (PasswordMessage, SASLInitialResponse or SASLResponse) */
  receive(body: Buffer): AuthStep
}

export interface AuthOptions {
  /**
   * Secret mixed into the mock salt of unknown users (PostgreSQL uses the
   * cluster's mock authentication nonce). Keep it stable across restarts, or
   * a client can tell unknown users by their salt changing; default: random
   * per process.
   */
  readonly mockNonce?: Buffer
  /**
   * What an unknown user is challenged with under `md5` (PostgreSQL:
   * password_encryption); default 'scram-sha-256'.
   */
  readonly passwordEncryption?: 'md5' | 'scram-sha-256'
  /** the SCRAM server nonce; tests only (default: base64 of 18 random bytes) */
  readonly scramNonce?: string
  /** the md5 salt; tests only (default: 4 random bytes) */
  readonly md5Salt?: Buffer
}

const processMockNonce = randomBytes(32)

export function passwordFailed(user: string, logDetail?: string): AuthenticationError {
  return new AuthenticationError(
    `password authentication failed for user "${user}"`,
    INVALID_PASSWORD,
    undefined,
    logDetail,
  )
}

const fail = (error: AuthenticationError | ProtocolViolation): AuthStep => ({ kind: 'fail', error })
const ok = (
  message: Buffer,
  clientKey: Buffer | null = null,
  scramSecret: ScramSecret | null = null,
  password: string | null = null,
): AuthStep => ({ kind: 'ok', message, clientKey, scramSecret, password })

function asFailure(e: unknown): AuthStep {
  if (e instanceof ProtocolViolation || e instanceof AuthenticationError) return fail(e)
  throw e
}

/** Choose and set up the exchange for a method, a user and what the users file says of them. */
export function createAuthExchange(
  method: AuthMethod,
  user: string,
  credential: Credential | undefined,
  options: AuthOptions = {},
): AuthExchange {
  switch (method) {
    case 'trust':
      return new TrustExchange()
    case 'password':
      return new PasswordExchange(user, credential)
    case 'md5':
      if (credential?.kind === 'scram') return new ScramExchange(user, credential, options)
      if (credential === undefined && (options.passwordEncryption ?? 'scram-sha-256') === 'scram-sha-256') {
        return new ScramExchange(user, credential, options)
      }
      return new Md5Exchange(user, credential, options)
    case 'scram-sha-256':
      return new ScramExchange(user, credential, options)
  }
}

// ---- trust ---------------------------------------------------------------------

export class TrustExchange implements AuthExchange {
  readonly method = 'trust' as const
  start(): AuthStep {
    return ok(authenticationOk())
  }
  receive(): AuthStep {
    return fail(new ProtocolViolation('unexpected authentication message', 'FATAL'))
  }
}

// ---- password (cleartext) ----------------------------------------------------------

/** The cleartext password of a PasswordMessage body, with PostgreSQL's checks (recv_password_packet). */
function receivedPassword(body: Buffer): Buffer {
  decodePasswordMessage(body)
  if (body.length === 1) throw new AuthenticationError('empty password returned by client', INVALID_PASSWORD)
  return body.subarray(0, body.length - 1)
}

export class PasswordExchange implements AuthExchange {
  readonly method = 'password' as const
  private done = false
  constructor(
    private readonly user: string,
    private readonly credential: Credential | undefined,
  ) {}

  start(): AuthStep {
    return { kind: 'send', message: authenticationCleartextPassword(), phase: 'password' }
  }

  receive(body: Buffer): AuthStep {
    if (this.done) return fail(new ProtocolViolation('unexpected authentication message', 'FATAL'))
    this.done = true
    let password: Buffer
    try {
      password = receivedPassword(body)
    } catch (e) {
      return asFailure(e)
    }
    const c = this.credential
    let good = false
    let why: string | undefined
    if (c === undefined) why = `Role "${this.user}" does not exist.`
    else if (c.kind === 'plain') {
      // hashed first, so that the comparison does not depend on the lengths either
      good = c.password !== '' && constantTimeEqual(sha256(password), sha256(Buffer.from(c.password, 'utf8')))
      if (c.password === '') why = `User "${this.user}" has an empty password.`
    } else if (c.kind === 'md5') {
      good = constantTimeEqual(Buffer.from(md5PasswordHash(password, this.user)), Buffer.from(c.hash))
    } else good = verifyScramPassword(password, c)
    if (!good)
      return fail(passwordFailed(this.user, why ?? `Password does not match for user "${this.user}".`))
    return ok(authenticationOk(), null, null, password.toString('utf8'))
  }
}

// ---- md5 ------------------------------------------------------------------------------

export class Md5Exchange implements AuthExchange {
  readonly method = 'md5' as const
  private readonly salt: Buffer
  private done = false
  constructor(
    private readonly user: string,
    private readonly credential: Credential | undefined,
    options: AuthOptions = {},
  ) {
    this.salt = options.md5Salt ?? randomBytes(4)
  }

  start(): AuthStep {
    return { kind: 'send', message: authenticationMD5Password(this.salt), phase: 'password' }
  }

  receive(body: Buffer): AuthStep {
    if (this.done) return fail(new ProtocolViolation('unexpected authentication message', 'FATAL'))
    this.done = true
    let answer: Buffer
    try {
      answer = receivedPassword(body)
    } catch (e) {
      return asFailure(e)
    }
    const stored = this.credential === undefined ? null : md5HashFor(this.credential, this.user)
    // compare against something even when there is nothing to compare against
    const expected = md5Response(stored ?? md5PasswordHash(randomBytes(16), this.user), this.salt)
    const good = constantTimeEqual(answer, Buffer.from(expected)) && stored !== null
    if (good) return ok(authenticationOk())
    let why = `Password does not match for user "${this.user}".`
    if (this.credential === undefined) why = `Role "${this.user}" does not exist.`
    else if (stored === null)
      why = `User "${this.user}" has a password that cannot be used with MD5 authentication.`
    return fail(passwordFailed(this.user, why))
  }
}

// ---- SCRAM-SHA-256 ------------------------------------------------------------------------

function malformed(detail: string): ProtocolViolation {
  return new ProtocolViolation('malformed SCRAM message', 'FATAL', PROTOCOL_VIOLATION, detail)
}

/** a byte as auth-scram.c's sanitize_char shows it */
function sanitizeChar(c: number): string {
  return c >= 0x21 && c <= 0x7e ? `'${String.fromCharCode(c)}'` : `0x${c.toString(16).padStart(2, '0')}`
}

/** Cursor over a SCRAM message (latin1: one char per byte), reading attributes as auth-scram.c does. */
class AttrReader {
  pos = 0
  constructor(readonly s: string) {}

  private at(i: number): number {
    return i < this.s.length ? this.s.charCodeAt(i) : 0
  }

  peek(): number {
    return this.at(this.pos)
  }

  /** read_attr_value */
  value(attr: string): string {
    const c = this.peek()
    if (c !== attr.charCodeAt(0)) {
      throw malformed(`Expected attribute "${attr}" but found "${sanitizeChar(c)}".`)
    }
    return this.rest(attr)
  }

  /** read_any_attr */
  any(): [string, string] {
    const c = this.peek()
    if (c === 0) throw malformed('Attribute expected, but found end of string.')
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) {
      throw malformed(`Attribute expected, but found invalid character "${sanitizeChar(c)}".`)
    }
    const attr = String.fromCharCode(c)
    return [attr, this.rest(attr)]
  }

  private rest(attr: string): string {
    this.pos++
    if (this.peek() !== 0x3d) throw malformed(`Expected character "=" for attribute "${attr}".`)
    this.pos++
    const start = this.pos
    const comma = this.s.indexOf(',', start)
    const end = comma < 0 ? this.s.length : comma
    this.pos = comma < 0 ? end : end + 1
    return this.s.slice(start, end)
  }

  get atEnd(): boolean {
    return this.pos >= this.s.length
  }
}

/** is_scram_printable: %x21-2B / %x2D-7E */
function printable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x21 || c > 0x7e || c === 0x2c) return false
  }
  return true
}

/** SHA-256(user || mock nonce), first 16 bytes (scram_mock_salt) */
export function scramMockSalt(user: string, mockNonce: Buffer): Buffer {
  return sha256(Buffer.concat([Buffer.from(user, 'utf8'), mockNonce])).subarray(0, SCRAM_DEFAULT_SALT_LENGTH)
}

type ScramState = 'init' | 'init-no-data' | 'salt-sent' | 'finished'

export class ScramExchange implements AuthExchange {
  readonly method = 'scram-sha-256' as const
  private state: ScramState = 'init'
  private readonly secret: ScramSecret
  /** a mock exchange, bound to fail */
  private readonly doomed: boolean
  private readonly logDetail: string | undefined
  private readonly serverNonce: string
  private cbindFlag = 0
  private clientNonce = ''
  private clientFirstBare = ''
  private serverFirst = ''

  constructor(
    private readonly user: string,
    credential: Credential | undefined,
    options: AuthOptions = {},
  ) {
    const secret = credential === undefined ? null : scramSecretFor(credential)
    if (secret === null) {
      this.doomed = true
      this.logDetail =
        credential === undefined
          ? `Role "${user}" does not exist.`
          : `User "${user}" does not have a valid SCRAM secret.`
      this.secret = {
        iterations: SCRAM_DEFAULT_ITERATIONS,
        salt: scramMockSalt(user, options.mockNonce ?? processMockNonce),
        storedKey: Buffer.alloc(SCRAM_KEY_LENGTH),
        serverKey: Buffer.alloc(SCRAM_KEY_LENGTH),
      }
    } else {
      this.doomed = false
      this.logDetail = undefined
      this.secret = secret
    }
    this.serverNonce = options.scramNonce ?? randomBytes(SCRAM_RAW_NONCE_LENGTH).toString('base64')
  }

  start(): AuthStep {
    return { kind: 'send', message: authenticationSASL([SCRAM_SHA_256]), phase: 'sasl' }
  }

  receive(body: Buffer): AuthStep {
    try {
      switch (this.state) {
        case 'init': {
          const { data } = decodeSASLInitialResponse(body, [SCRAM_SHA_256])
          if (data === null) {
            // no Initial Client Response: an empty challenge, answered by the client-first message
            this.state = 'init-no-data'
            return { kind: 'send', message: authenticationSASLContinue(Buffer.alloc(0)), phase: 'sasl' }
          }
          return this.clientFirst(data)
        }
        case 'init-no-data':
          return this.clientFirst(body)
        case 'salt-sent':
          return this.clientFinal(body)
        case 'finished':
          return fail(new ProtocolViolation('invalid SCRAM exchange state', 'FATAL'))
      }
    } catch (e) {
      this.state = 'finished'
      return asFailure(e)
    }
  }

  /** pg_be_scram_exchange's checks of the input */
  private input(data: Buffer): string {
    if (data.length === 0) throw malformed('The message is empty.')
    if (data.includes(0)) throw malformed('Message length does not match input length.')
    return data.toString('latin1')
  }

  /** read_client_first_message, build_server_first_message */
  private clientFirst(data: Buffer): AuthStep {
    const r = new AttrReader(this.input(data))
    const flag = r.peek()
    this.cbindFlag = flag
    switch (flag) {
      case 0x6e: // n: no channel binding
      case 0x79: // y: the client supports channel binding but thinks the server does not
        r.pos++
        if (r.peek() !== 0x2c)
          throw malformed(`Comma expected, but found character "${sanitizeChar(r.peek())}".`)
        r.pos++
        break
      case 0x70: // p: channel binding required; SCRAM-SHA-256-PLUS is not offered
        throw malformed(
          'The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.',
        )
      default:
        throw malformed(`Unexpected channel-binding flag "${sanitizeChar(flag)}".`)
    }
    if (r.peek() === 0x61) {
      throw new ProtocolViolation(
        'client uses authorization identity, but it is not supported',
        'FATAL',
        FEATURE_NOT_SUPPORTED,
      )
    }
    if (r.peek() !== 0x2c) {
      throw malformed(`Unexpected attribute "${sanitizeChar(r.peek())}" in client-first-message.`)
    }
    r.pos++
    this.clientFirstBare = r.s.slice(r.pos)
    if (r.peek() === 0x6d) {
      throw new ProtocolViolation(
        'client requires an unsupported SCRAM extension',
        'FATAL',
        FEATURE_NOT_SUPPORTED,
      )
    }
    r.value('n') // the user name: ignored, the startup packet's counts
    this.clientNonce = r.value('r')
    if (!printable(this.clientNonce)) {
      throw new ProtocolViolation('non-printable characters in SCRAM nonce', 'FATAL')
    }
    while (!r.atEnd) r.any() // extensions: ignored
    const s = this.secret
    this.serverFirst = `r=${this.clientNonce}${this.serverNonce},s=${s.salt.toString('base64')},i=${s.iterations}`
    this.state = 'salt-sent'
    return { kind: 'send', message: authenticationSASLContinue(this.serverFirst), phase: 'sasl' }
  }

  /** read_client_final_message, verify_final_nonce, verify_client_proof, build_server_final_message */
  private clientFinal(data: Buffer): AuthStep {
    const input = this.input(data)
    const r = new AttrReader(input)
    const binding = r.value('c')
    if (
      !((binding === 'biws' && this.cbindFlag === 0x6e) || (binding === 'eSws' && this.cbindFlag === 0x79))
    ) {
      throw new ProtocolViolation(
        'unexpected SCRAM channel-binding attribute in client-final-message',
        'FATAL',
      )
    }
    const finalNonce = r.value('r')
    let proofAt: number
    let attr: string
    let value: string
    do {
      proofAt = r.pos - 1
      ;[attr, value] = r.any()
    } while (attr !== 'p')
    const proof = decodeBase64(value)
    if (proof === null || proof.length !== SCRAM_KEY_LENGTH)
      throw malformed('Malformed proof in client-final-message.')
    if (!r.atEnd) throw malformed('Garbage found at the end of client-final-message.')
    const withoutProof = input.slice(0, proofAt)

    const expectedNonce = Buffer.from(this.clientNonce + this.serverNonce, 'latin1')
    if (!constantTimeEqual(Buffer.from(finalNonce, 'latin1'), expectedNonce)) {
      throw new ProtocolViolation(
        'invalid SCRAM response',
        'FATAL',
        PROTOCOL_VIOLATION,
        'Nonce does not match.',
      )
    }
    this.state = 'finished'
    const authMessage = Buffer.from(`${this.clientFirstBare},${this.serverFirst},${withoutProof}`, 'latin1')
    const s = this.secret
    // computed in a mock exchange too, so that both take the same time
    const clientKey = xor(proof, hmac(s.storedKey, authMessage))
    const good = constantTimeEqual(sha256(clientKey), s.storedKey)
    if (!good || this.doomed) {
      return fail(
        passwordFailed(this.user, this.logDetail ?? `Password does not match for user "${this.user}".`),
      )
    }
    const serverFinal = `v=${hmac(s.serverKey, authMessage).toString('base64')}`
    return ok(Buffer.concat([authenticationSASLFinal(serverFinal), authenticationOk()]), clientKey, s)
  }
}
