/**
 * PostgreSQL's string hash functions for a **UTF-8** database with a deterministic collation (the `C`
 * collation, libc/ICU deterministic ones), on a **little-endian** server:
 *
 * - `hashtext(text)` / `hashtextextended(text, int8)` (`access/hash/hashfunc.c`): lookup3 of the string's
 *   bytes; `varchar` hashes with the same functions (it is binary-coercible to `text`).
 * - `hashbpchar(bpchar)` / `hashbpcharextended(bpchar, int8)` (`utils/adt/varchar.c`): the same of the bytes
 *   without trailing blanks (`bcTruelen`), so `'ab'` and `'ab  '` hash alike.
 *
 * A JS string is taken as its UTF-8 encoding, lone surrogates becoming U+FFFD exactly as node-postgres
 * (`Buffer.from(s, 'utf8')`) sends them. PostgreSQL cannot store U+0000; here it is simply the byte 0.
 * Nondeterministic collations (which hash a sort key instead) are not covered.
 *
 * Strings are encoded into a reused scratch buffer (which grows up to 1 MiB): strings of up to 24 UTF-16
 * units by a `charCodeAt` loop with no allocation at all, longer ones by `TextEncoder.encodeInto` (whose
 * small result object is the only allocation); larger strings get a one-off array.
 */
import { hashBytesExtendedInt64Unchecked, hashBytesInt32Unchecked } from './lookup3.js'

const encoder = new TextEncoder()
/** Up to this many UTF-16 code units a JS loop encodes faster than a native `encodeInto` call. */
const SHORT_STRING = 24
/** Strings needing more than this many bytes of buffer are encoded into a fresh array instead. */
const MAX_SCRATCH = 1 << 20
let scratch = new Uint8Array(1024)
/** The buffer holding the bytes of the last `encodeUtf8` call (from index 0). */
let encoded: Uint8Array = scratch

/** Encodes `s` as UTF-8 into `encoded` (from 0) and returns the byte length. */
function encodeUtf8(s: string): number {
  if (typeof s !== 'string') throw new TypeError(`expected a string, got ${typeof s}`)
  const n = s.length
  // at most 3 bytes per UTF-16 code unit (a surrogate pair: 2 units, 4 bytes)
  if (n * 3 > scratch.length) {
    if (n * 3 > MAX_SCRATCH) {
      encoded = encoder.encode(s)
      return encoded.length
    }
    scratch = new Uint8Array(Math.min(MAX_SCRATCH, Math.max(n * 3, scratch.length * 2)))
  }
  const buf = scratch
  encoded = buf
  if (n > SHORT_STRING) return encoder.encodeInto(s, buf).written
  let p = 0
  for (let i = 0; i < n; i++) {
    let ch = s.charCodeAt(i)
    if (ch < 0x80) {
      buf[p++] = ch
      continue
    }
    if (ch < 0x800) {
      buf[p++] = 0xc0 | (ch >> 6)
      buf[p++] = 0x80 | (ch & 0x3f)
      continue
    }
    if (ch >= 0xd800 && ch <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0
      if (ch <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = ((ch - 0xd800) << 10) + (next - 0xdc00) + 0x10000
        buf[p++] = 0xf0 | (cp >> 18)
        buf[p++] = 0x80 | ((cp >> 12) & 0x3f)
        buf[p++] = 0x80 | ((cp >> 6) & 0x3f)
        buf[p++] = 0x80 | (cp & 0x3f)
        i++
        continue
      }
      ch = 0xfffd // a lone surrogate, as TextEncoder and Buffer encode it
    }
    buf[p++] = 0xe0 | (ch >> 12)
    buf[p++] = 0x80 | ((ch >> 6) & 0x3f)
    buf[p++] = 0x80 | (ch & 0x3f)
  }
  return p
}

/** Byte length of the last encoded string without its trailing blanks (0x20 is never inside a multibyte). */
function trimmedLength(n: number): number {
  const buf = encoded
  let len = n
  while (len > 0 && buf[len - 1] === 0x20) len--
  return len
}

/** PostgreSQL `hashtext(text)` (and of `varchar`): the 32-bit hash as SQL returns it, a signed int4. */
export function hashtext(s: string): number {
  const n = encodeUtf8(s)
  return hashBytesInt32Unchecked(encoded, 0, n)
}

/** PostgreSQL `hashtextextended(text, seed int8)`: the seeded 64-bit hash as a signed int8. */
export function hashtextextended(s: string, seed: bigint): bigint {
  const n = encodeUtf8(s)
  return hashBytesExtendedInt64Unchecked(encoded, 0, n, seed)
}

/** PostgreSQL `hashbpchar(bpchar)`: `hashtext` of the value without trailing blanks, a signed int4. */
export function hashbpchar(s: string): number {
  const n = trimmedLength(encodeUtf8(s))
  return hashBytesInt32Unchecked(encoded, 0, n)
}

/** PostgreSQL `hashbpcharextended(bpchar, seed int8)`: trailing blanks ignored, a signed int8. */
export function hashbpcharextended(s: string, seed: bigint): bigint {
  const n = trimmedLength(encodeUtf8(s))
  return hashBytesExtendedInt64Unchecked(encoded, 0, n, seed)
}
