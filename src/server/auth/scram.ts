/**
 * SCRAM-SHA-256 building blocks (RFC 5802, RFC 7677) and PostgreSQL's
 * stored form of a SCRAM secret:
 *
 *   SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import { saslprep } from './saslprep.js'

/** PostgreSQL's default scram_iterations */
export const SCRAM_DEFAULT_ITERATIONS = 4096
/** SCRAM_DEFAULT_SALT_LEN */
export const SCRAM_DEFAULT_SALT_LENGTH = 16
/** SCRAM_RAW_NONCE_LEN */
export const SCRAM_RAW_NONCE_LENGTH = 18
export const SCRAM_KEY_LENGTH = 32
export const SCRAM_SHA_256 = 'SCRAM-SHA-256'

export interface ScramSecret {
  readonly iterations: number
  readonly salt: Buffer
  readonly storedKey: Buffer
  readonly serverKey: Buffer
}

export const hmac = (key: Buffer, data: Buffer | string): Buffer =>
  createHmac('sha256', key).update(data).digest()
export const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest()

/** SaltedPassword := Hi(SASLprep(password), salt, i) */
export function saltedPassword(password: Buffer | string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(saslprep(password), salt, iterations, SCRAM_KEY_LENGTH, 'sha256')
}

/** ClientKey := HMAC(SaltedPassword, "Client Key") */
export const clientKeyOf = (salted: Buffer): Buffer => hmac(salted, 'Client Key')
/** ServerKey := HMAC(SaltedPassword, "Server Key") */
export const serverKeyOf = (salted: Buffer): Buffer => hmac(salted, 'Server Key')

/**
 * A SCRAM secret for a password, as PostgreSQL builds one
 * (pg_be_scram_build_secret): 4096 iterations and a random 16-byte salt
 * unless given.
 */
export function buildScramSecret(
  password: Buffer | string,
  options: { readonly iterations?: number; readonly salt?: Buffer } = {},
): ScramSecret {
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new RangeError('SCRAM iterations must be a positive integer')
  const salt = options.salt ?? randomBytes(SCRAM_DEFAULT_SALT_LENGTH)
  const salted = saltedPassword(password, salt, iterations)
  return { iterations, salt, storedKey: sha256(clientKeyOf(salted)), serverKey: serverKeyOf(salted) }
}

export function formatScramSecret(secret: ScramSecret): string {
  return (
    `${SCRAM_SHA_256}$${secret.iterations}:${secret.salt.toString('base64')}` +
    `$${secret.storedKey.toString('base64')}:${secret.serverKey.toString('base64')}`
  )
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Strict base64 (padding required, no stray characters), or null. */
export function decodeBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null
}

/** Parse a stored SCRAM secret; null when it is not one (parse_scram_secret). */
export function parseScramSecret(text: string): ScramSecret | null {
  const m = /^SCRAM-SHA-256\$([^:$]*):([^$]*)\$([^:]*):(.*)$/s.exec(text)
  if (m === null) return null
  const [, iter, salt64, stored64, server64] = m as unknown as [string, string, string, string, string]
  if (!/^[1-9][0-9]{0,9}$/.test(iter) || Number(iter) > 0x7fffffff) return null
  const salt = decodeBase64(salt64)
  const storedKey = decodeBase64(stored64)
  const serverKey = decodeBase64(server64)
  if (salt === null || storedKey === null || serverKey === null) return null
  if (storedKey.length !== SCRAM_KEY_LENGTH || serverKey.length !== SCRAM_KEY_LENGTH) return null
  return { iterations: Number(iter), salt, storedKey, serverKey }
}

/**
 * Check a cleartext password against a SCRAM secret, as PostgreSQL does for
 * `password` authentication of a role with a SCRAM secret: recompute the
 * ServerKey and compare.
 */
export function verifyScramPassword(password: Buffer | string, secret: ScramSecret): boolean {
  const salted = saltedPassword(password, secret.salt, secret.iterations)
  return constantTimeEqual(serverKeyOf(salted), secret.serverKey)
}

/** Compare in time independent of where the bytes differ (a length difference returns at once). */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** md5(password || user), as stored by PostgreSQL and PgBouncer: "md5" + 32 hex digits. */
export function md5PasswordHash(password: Buffer | string, user: Buffer | string): string {
  return `md5${createHash('md5').update(password).update(user).digest('hex')}`
}

/** The client's answer to an MD5 challenge: "md5" + md5(hex of md5(password || user) || salt). */
export function md5Response(storedHash: string, salt: Buffer): string {
  const hex = storedHash.startsWith('md5') ? storedHash.slice(3) : storedHash
  return `md5${createHash('md5').update(hex).update(salt).digest('hex')}`
}
