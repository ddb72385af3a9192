/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it, without
 * channel binding (gs2 header `n,,`), and PostgreSQL's MD5 password
 * scheme. The client side authenticates from a password or from the keys
 * a verifier leaves (`{ clientKey, serverKey }`), which is what a pooler
 * holds when it authenticates to a backend on a client's behalf (auth
 * pass-through: it learns ClientKey from the client's own SCRAM proof).
 * The primitives (`hi`, `hmac`, `sha256`, nonce, verifier parsing) serve a
 * server-side implementation too.
 */
import {
  type BinaryLike,
  createHash,
  createHmac,
  pbkdf2,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

export const SCRAM_MECHANISM = 'SCRAM-SHA-256'
/** PostgreSQL's default iteration count (scram_iterations, PostgreSQL ≤ 15: fixed). */
export const SCRAM_DEFAULT_ITERATIONS = 4096

/** What authenticates a SCRAM client without the password. */
export interface ScramKeys {
  /** HMAC(SaltedPassword, "Client Key") */
  readonly clientKey: Buffer
  /** HMAC(SaltedPassword, "Server Key"): proves the server knows the verifier */
  readonly serverKey: Buffer
}

/** A PostgreSQL SCRAM verifier (`pg_authid.rolpassword`). */
export interface ScramVerifier {
  readonly iterations: number
  readonly salt: Buffer
  readonly storedKey: Buffer
  readonly serverKey: Buffer
}

/** A SCRAM exchange that cannot go on; the message says why, in libpq's words where it has some. */
export class ScramError extends Error {
  override readonly name = 'ScramError'
}

export function sha256(data: BinaryLike): Buffer {
  return createHash('sha256').update(data).digest()
}

export function hmac(key: BinaryLike, data: BinaryLike): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

/** Hi(str, salt, i) of RFC 5802: PBKDF2 with HMAC-SHA-256 and a 32-byte output. */
export function hi(password: BinaryLike, salt: BinaryLike, iterations: number): Buffer {
  return pbkdf2Sync(password, salt, iterations, 32, 'sha256')
}

/** {@link hi} off the event loop's thread. */
export function hiAsync(password: BinaryLike, salt: BinaryLike, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)))
  })
}

export function xor(a: Buffer, b: Buffer): Buffer {
  if (a.length !== b.length) throw new ScramError('SCRAM: cannot XOR values of different lengths')
  const out = Buffer.allocUnsafe(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** A printable nonce of 18 random bytes, base64 (no commas), as libpq sends. */
export function scramNonce(): string {
  return randomBytes(18).toString('base64')
}

/** The keys a salted password gives. */
export function scramKeysFromSaltedPassword(saltedPassword: Buffer): ScramKeys {
  return {
    clientKey: hmac(saltedPassword, 'Client Key'),
    serverKey: hmac(saltedPassword, 'Server Key'),
  }
}

/**
 * RFC 4013 SASLprep as PostgreSQL applies it (`pg_saslprep`): ASCII
 * passwords are used as they are; others get non-ASCII spaces mapped to a
 * space, the "mapped to nothing" characters removed and NFKC applied, and
 * when the result holds a prohibited character the raw password is used,
 * as PostgreSQL does. Not checked: unassigned code points and the bidi rule
 * (PostgreSQL falls back to the raw password for those too).
 */
export function saslprep(password: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (/^[\x00-\x7f]*$/.test(password)) return password
  let mapped = ''
  for (const ch of password) {
    const cp = ch.codePointAt(0)!
    if (inRanges(cp, NON_ASCII_SPACE)) mapped += ' '
    else if (!inRanges(cp, MAPPED_TO_NOTHING)) mapped += ch
  }
  mapped = mapped.normalize('NFKC')
  if (mapped === '') return password
  for (const ch of mapped) if (inRanges(ch.codePointAt(0)!, PROHIBITED)) return password
  return mapped
}

type Ranges = readonly (readonly [number, number])[]

function inRanges(cp: number, ranges: Ranges): boolean {
  for (const [from, to] of ranges) if (cp >= from && cp <= to) return true
  return false
}

/** RFC 3454 C.1.2 */
const NON_ASCII_SPACE: Ranges = [
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
]

/** RFC 3454 B.1 */
const MAPPED_TO_NOTHING: Ranges = [
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
]

/** RFC 3454 C.1.2 and C.2–C.9, as RFC 4013 prohibits them */
const PROHIBITED: Ranges = [
  ...NON_ASCII_SPACE,
  // C.2.1, C.2.2 control characters
  [0x0, 0x1f],
  [0x7f, 0x9f],
  [0x6dd, 0x6dd],
  [0x70f, 0x70f],
  [0x180e, 0x180e],
  [0x200c, 0x200d],
  [0x2028, 0x2029],
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffc],
  [0x1d173, 0x1d17a],
  // C.3 private use
  [0xe000, 0xf8ff],
  [0xf0000, 0xffffd],
  [0x100000, 0x10fffd],
  // C.4 non-character code points
  [0xfdd0, 0xfdef],
  [0xfffe, 0xffff],
  ...Array.from({ length: 16 }, (_, i): [number, number] => [
    (i + 1) * 0x10000 + 0xfffe,
    (i + 1) * 0x10000 + 0xffff,
  ]),
  // C.5 surrogates, C.6 inappropriate for plain text, C.7 for canonical representation
  [0xd800, 0xdfff],
  [0xfff9, 0xfffd],
  [0x2ff0, 0x2ffb],
  // C.8 change display properties
  [0x340, 0x341],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x206a, 0x206f],
  // C.9 tagging characters
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
]

/** The keys a password gives with a verifier's salt and iteration count. */
export function scramKeysFromPassword(password: string, salt: Buffer, iterations: number): ScramKeys {
  return scramKeysFromSaltedPassword(hi(saslprep(password), salt, iterations))
}

/** A PostgreSQL verifier for a password: `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`. */
export function scramVerifier(
  password: string,
  salt: Buffer = randomBytes(16),
  iterations: number = SCRAM_DEFAULT_ITERATIONS,
): string {
  const keys = scramKeysFromPassword(password, salt, iterations)
  return formatScramVerifier({
    iterations,
    salt,
    storedKey: sha256(keys.clientKey),
    serverKey: keys.serverKey,
  })
}

export function formatScramVerifier(v: ScramVerifier): string {
  return `${SCRAM_MECHANISM}$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}`
}

/** Reads a PostgreSQL SCRAM verifier; undefined when the text is not one. */
export function parseScramVerifier(text: string): ScramVerifier | undefined {
  const m = /^SCRAM-SHA-256\$([0-9]+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(text)
  if (!m) return undefined
  const iterations = Number(m[1])
  const storedKey = Buffer.from(m[3]!, 'base64')
  const serverKey = Buffer.from(m[4]!, 'base64')
  if (!Number.isSafeInteger(iterations) || iterations < 1) return undefined
  if (storedKey.length !== 32 || serverKey.length !== 32) return undefined
  return { iterations, salt: Buffer.from(m[2]!, 'base64'), storedKey, serverKey }
}

/**
 * The server side's check of a client proof: ClientKey = proof XOR
 * HMAC(StoredKey, AuthMessage), accepted when H(ClientKey) = StoredKey.
 * Returns the ClientKey (what a pooler keeps to log in to backends), or
 * undefined for a wrong proof.
 */
export function clientKeyFromProof(
  storedKey: Buffer,
  authMessage: string,
  proof: Buffer,
): Buffer | undefined {
  if (proof.length !== storedKey.length) return undefined
  const clientKey = xor(proof, hmac(storedKey, authMessage))
  return timingSafeEqual(sha256(clientKey), storedKey) ? clientKey : undefined
}

/** `key=value` attributes of a SCRAM message. */
function attributes(message: string, what: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of message.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new ScramError(`malformed SCRAM message (${what})`)
    out.set(part[0]!, part.slice(2))
  }
  return out
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * The client side of one SCRAM-SHA-256 exchange:
 *
 *   const s = new ScramClient({ password })      // or { keys: { clientKey, serverKey } }
 *   send SASLInitialResponse('SCRAM-SHA-256', s.clientFirstMessage())
 *   send SASLResponse(await s.clientFinalMessage(serverFirst))
 *   s.verifyServerFinal(serverFinal)              // throws when the server cannot prove itself
 */
export class ScramClient {
  readonly nonce: string
  private clientFirstBare: string
  private expectedServerSignature: Buffer | undefined

  constructor(
    private readonly credential: { readonly password: string } | { readonly keys: ScramKeys },
    nonce: string = scramNonce(),
    /** PostgreSQL takes the user from the startup packet: libpq sends an empty name */
    user = '',
  ) {
    this.nonce = nonce
    this.clientFirstBare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`
  }

  /** client-first-message-bare, a part of the AuthMessage */
  get clientFirstMessageBare(): string {
    return this.clientFirstBare
  }

  clientFirstMessage(): string {
    return `n,,${this.clientFirstBare}`
  }

  async clientFinalMessage(serverFirst: string): Promise<string> {
    const attrs = attributes(serverFirst, 'server-first-message')
    const nonce = attrs.get('r')
    const saltText = attrs.get('s')
    const iterationText = attrs.get('i')
    if (nonce === undefined || saltText === undefined || iterationText === undefined) {
      throw new ScramError('malformed SCRAM message (attribute missing)')
    }
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) {
      throw new ScramError('invalid SCRAM response (nonce mismatch)')
    }
    if (!BASE64.test(saltText)) throw new ScramError('malformed SCRAM message (invalid salt)')
    if (!/^[1-9][0-9]{0,9}$/.test(iterationText)) {
      throw new ScramError('malformed SCRAM message (invalid iteration count)')
    }
    const iterations = Number(iterationText)
    let keys: ScramKeys
    if ('password' in this.credential) {
      const salted = await hiAsync(
        saslprep(this.credential.password),
        Buffer.from(saltText, 'base64'),
        iterations,
      )
      keys = scramKeysFromSaltedPassword(salted)
    } else keys = this.credential.keys
    // c=biws is base64("n,,"): no channel binding
    const finalWithoutProof = `c=biws,r=${nonce}`
    const authMessage = `${this.clientFirstBare},${serverFirst},${finalWithoutProof}`
    const proof = xor(keys.clientKey, hmac(sha256(keys.clientKey), authMessage))
    this.expectedServerSignature = hmac(keys.serverKey, authMessage)
    return `${finalWithoutProof},p=${proof.toString('base64')}`
  }

  verifyServerFinal(serverFinal: string): void {
    const attrs = attributes(serverFinal, 'server-final-message')
    const error = attrs.get('e')
    if (error !== undefined) throw new ScramError(`error received from server in SCRAM exchange: ${error}`)
    const verifier = attrs.get('v')
    if (verifier === undefined || !BASE64.test(verifier)) {
      throw new ScramError('malformed SCRAM message (invalid server signature)')
    }
    const signature = Buffer.from(verifier, 'base64')
    const expected = this.expectedServerSignature
    if (!expected || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new ScramError('incorrect server signature')
    }
  }
}

// ---------------------------------------------------------------------------
// MD5

function md5Hex(data: BinaryLike): string {
  return createHash('md5').update(data).digest('hex')
}

/** What PostgreSQL stores for an MD5 password: `md5` + md5(password + user). */
export function md5PasswordHash(password: string, user: string): string {
  return `md5${md5Hex(password + user)}`
}

/** The PasswordMessage answering AuthenticationMD5Password from a stored `md5…` hash. */
export function md5ResponseFromHash(md5Hash: string, salt: Buffer): string {
  if (!/^md5[0-9a-f]{32}$/.test(md5Hash))
    throw new ScramError('an MD5 password hash must be "md5" and 32 hex digits')
  return `md5${md5Hex(Buffer.concat([Buffer.from(md5Hash.slice(3)), salt]))}`
}

/** `"md5" + md5(md5(password + user) + salt)` */
export function md5Response(user: string, password: string, salt: Buffer): string {
  return md5ResponseFromHash(md5PasswordHash(password, user), salt)
}
