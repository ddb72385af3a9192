/**
 * Bob Jenkins' lookup3 hash as PostgreSQL uses it (`src/common/hashfn.c`, PostgreSQL ≥ 13; `hash_any` in
 * `access/hash/hashfunc.c` before): `hash_bytes`, `hash_bytes_extended`, `hash_bytes_uint32` and
 * `hash_bytes_uint32_extended`.
 *
 * The results equal those of a **little-endian** PostgreSQL server (x86-64, ARM64, …): lookup3 reads the
 * input as little-endian 32-bit words there. Big-endian servers compute other values.
 *
 * The 32-bit paths use plain int32 arithmetic (`| 0`, `>>> 0`); BigInt appears only where a 64-bit result
 * is returned. Written from the algorithm description, not from PostgreSQL's source.
 */

/** lookup3's initial state without the length: 0x9e3779b9 (golden ratio) + 3923095 (PostgreSQL's constant). */
const INIT = 0x9e3779b9 + 3923095

/** `b` of the last core run, read by the extended (64-bit) variants right after the call. */
let lastB = 0

/**
 * The shared core: hashes `len` bytes of `k` from `off`. With `seeded`, the state is first perturbed by
 * the seed's high (`seedHi`) and low (`seedLo`) 32-bit halves, as `hash_bytes_extended` does for a
 * non-zero seed. Returns `c` as an int32 and leaves `b` in `lastB`. No bounds checks.
 */
function lookup3(
  k: Uint8Array,
  off: number,
  len: number,
  seeded: boolean,
  seedHi: number,
  seedLo: number,
): number {
  let a = (INIT + len) | 0
  let b = a
  let c = a
  if (seeded) {
    a = (a + seedHi) | 0
    b = (b + seedLo) | 0
    // mix(a, b, c)
    a = (a - c) ^ ((c << 4) | (c >>> 28))
    c = (c + b) | 0
    b = (b - a) ^ ((a << 6) | (a >>> 26))
    a = (a + c) | 0
    c = (c - b) ^ ((b << 8) | (b >>> 24))
    b = (b + a) | 0
    a = (a - c) ^ ((c << 16) | (c >>> 16))
    c = (c + b) | 0
    b = (b - a) ^ ((a << 19) | (a >>> 13))
    a = (a + c) | 0
    c = (c - b) ^ ((b << 4) | (b >>> 28))
    b = (b + a) | 0
  }
  let p = off
  let rem = len
  while (rem >= 12) {
    a = (a + (k[p]! | (k[p + 1]! << 8) | (k[p + 2]! << 16) | (k[p + 3]! << 24))) | 0
    b = (b + (k[p + 4]! | (k[p + 5]! << 8) | (k[p + 6]! << 16) | (k[p + 7]! << 24))) | 0
    c = (c + (k[p + 8]! | (k[p + 9]! << 8) | (k[p + 10]! << 16) | (k[p + 11]! << 24))) | 0
    // mix(a, b, c)
    a = (a - c) ^ ((c << 4) | (c >>> 28))
    c = (c + b) | 0
    b = (b - a) ^ ((a << 6) | (a >>> 26))
    a = (a + c) | 0
    c = (c - b) ^ ((b << 8) | (b >>> 24))
    b = (b + a) | 0
    a = (a - c) ^ ((c << 16) | (c >>> 16))
    c = (c + b) | 0
    b = (b - a) ^ ((a << 19) | (a >>> 13))
    a = (a + c) | 0
    c = (c - b) ^ ((b << 4) | (b >>> 28))
    b = (b + a) | 0
    p += 12
    rem -= 12
  }
  // Tail of 0..11 bytes: bytes 0-3 go into a, 4-7 into b (little-endian), 8-10 into c shifted up one byte,
  // because the lowest byte of c is reserved for the length.
  if (rem >= 4) {
    a = (a + (k[p]! | (k[p + 1]! << 8) | (k[p + 2]! << 16) | (k[p + 3]! << 24))) | 0
    if (rem >= 8) {
      b = (b + (k[p + 4]! | (k[p + 5]! << 8) | (k[p + 6]! << 16) | (k[p + 7]! << 24))) | 0
      c = (c + (partialWord(k, p + 8, rem - 8) << 8)) | 0
    } else {
      b = (b + partialWord(k, p + 4, rem - 4)) | 0
    }
  } else {
    a = (a + partialWord(k, p, rem)) | 0
  }
  // final(a, b, c)
  c = ((c ^ b) - ((b << 14) | (b >>> 18))) | 0
  a = ((a ^ c) - ((c << 11) | (c >>> 21))) | 0
  b = ((b ^ a) - ((a << 25) | (a >>> 7))) | 0
  c = ((c ^ b) - ((b << 16) | (b >>> 16))) | 0
  a = ((a ^ c) - ((c << 4) | (c >>> 28))) | 0
  b = ((b ^ a) - ((a << 14) | (a >>> 18))) | 0
  c = ((c ^ b) - ((b << 24) | (b >>> 8))) | 0
  lastB = b
  return c
}

/** Little-endian word of the `n` (0..3) bytes at `p`, the missing high bytes being zero. */
function partialWord(k: Uint8Array, p: number, n: number): number {
  if (n === 0) return 0
  if (n === 1) return k[p]!
  if (n === 2) return k[p]! | (k[p + 1]! << 8)
  return k[p]! | (k[p + 1]! << 8) | (k[p + 2]! << 16)
}

/** `hash_bytes_uint32` core (optionally seeded): returns `c` as an int32 and leaves `b` in `lastB`. */
function lookup3Uint32(k: number, seeded: boolean, seedHi: number, seedLo: number): number {
  let a = (INIT + 4) | 0
  let b = a
  let c = a
  if (seeded) {
    a = (a + seedHi) | 0
    b = (b + seedLo) | 0
    // mix(a, b, c)
    a = (a - c) ^ ((c << 4) | (c >>> 28))
    c = (c + b) | 0
    b = (b - a) ^ ((a << 6) | (a >>> 26))
    a = (a + c) | 0
    c = (c - b) ^ ((b << 8) | (b >>> 24))
    b = (b + a) | 0
    a = (a - c) ^ ((c << 16) | (c >>> 16))
    c = (c + b) | 0
    b = (b - a) ^ ((a << 19) | (a >>> 13))
    a = (a + c) | 0
    c = (c - b) ^ ((b << 4) | (b >>> 28))
    b = (b + a) | 0
  }
  a = (a + k) | 0
  // final(a, b, c)
  c = ((c ^ b) - ((b << 14) | (b >>> 18))) | 0
  a = ((a ^ c) - ((c << 11) | (c >>> 21))) | 0
  b = ((b ^ a) - ((a << 25) | (a >>> 7))) | 0
  c = ((c ^ b) - ((b << 16) | (b >>> 16))) | 0
  a = ((a ^ c) - ((c << 4) | (c >>> 28))) | 0
  b = ((b ^ a) - ((a << 14) | (a >>> 18))) | 0
  c = ((c ^ b) - ((b << 24) | (b >>> 8))) | 0
  lastB = b
  return c
}

const TWO_POW_64 = 1n << 64n
const MIN_INT64 = -(1n << 63n)

/** Seed halves of the last `splitSeed` call. */
let seedHi = 0
let seedLo = 0

/**
 * Splits a seed into its 32-bit halves (`seedHi`, `seedLo`) and returns whether it is non-zero. PostgreSQL
 * passes the SQL `int8` seed as `uint64`, so both -2^63..2^63-1 and 0..2^64-1 are accepted.
 */
function splitSeed(seed: bigint): boolean {
  if (typeof seed !== 'bigint' || seed < MIN_INT64 || seed >= TWO_POW_64) {
    throw new RangeError(`hash seed must be a bigint in -2^63..2^64-1, got ${String(seed)}`)
  }
  const u = BigInt.asUintN(64, seed)
  seedHi = Number(u >> 32n) | 0
  seedLo = Number(u & 0xffffffffn) | 0
  return u !== 0n
}

function checkRange(bytes: Uint8Array, offset: number, length: number): void {
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > bytes.length
  ) {
    throw new RangeError(`byte range ${offset}+${length} is outside the input of ${bytes.length} bytes`)
  }
}

/** `(uint64) hi << 32 | lo` from two int32 halves. */
export function uint64FromHalves(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)
}

/** `(int64) hi << 32 | lo` from two int32 halves (the SQL `int8` view of a uint64 hash). */
export function int64FromHalves(hi: number, lo: number): bigint {
  return (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0)
}

/**
 * PostgreSQL `hash_bytes(k, keylen)` (`hash_any`): the 32-bit lookup3 hash of `length` bytes of `bytes`
 * from `offset` (default: all of it), as an unsigned number 0..2^32-1.
 */
export function hashBytes(bytes: Uint8Array, offset = 0, length: number = bytes.length - offset): number {
  checkRange(bytes, offset, length)
  return lookup3(bytes, offset, length, false, 0, 0) >>> 0
}

/**
 * PostgreSQL `hash_bytes_extended(k, keylen, seed)` (`hash_any_extended`): the seeded 64-bit variant, as
 * an unsigned bigint 0..2^64-1. With seed 0 its low 32 bits equal `hashBytes`.
 */
export function hashBytesExtended(
  bytes: Uint8Array,
  seed: bigint,
  offset = 0,
  length: number = bytes.length - offset,
): bigint {
  checkRange(bytes, offset, length)
  const seeded = splitSeed(seed)
  const c = lookup3(bytes, offset, length, seeded, seedHi, seedLo)
  return uint64FromHalves(lastB, c)
}

function checkUint32(k: number): void {
  if (!Number.isInteger(k) || k < -0x80000000 || k > 0xffffffff) {
    throw new RangeError(`hash input must be a 32-bit integer, got ${k}`)
  }
}

/**
 * PostgreSQL `hash_bytes_uint32(k)` (`hash_uint32`): lookup3 of one 32-bit word, as an unsigned number
 * 0..2^32-1. `k` may be given as uint32 or as int32 (same bits).
 */
export function hashBytesUint32(k: number): number {
  checkUint32(k)
  return lookup3Uint32(k | 0, false, 0, 0) >>> 0
}

/** PostgreSQL `hash_bytes_uint32_extended(k, seed)`: the seeded 64-bit variant, as an unsigned bigint. */
export function hashBytesUint32Extended(k: number, seed: bigint): bigint {
  checkUint32(k)
  const seeded = splitSeed(seed)
  const c = lookup3Uint32(k | 0, seeded, seedHi, seedLo)
  return uint64FromHalves(lastB, c)
}

// ---- unchecked entry points for the SQL-level functions of this folder (inputs already validated) ----

/** `hash_bytes` as an int32 (the SQL `int4` view). No bounds checks. */
export function hashBytesInt32Unchecked(bytes: Uint8Array, offset: number, length: number): number {
  return lookup3(bytes, offset, length, false, 0, 0)
}

/** `hash_bytes_extended` as a signed bigint (the SQL `int8` view). No bounds checks. */
export function hashBytesExtendedInt64Unchecked(
  bytes: Uint8Array,
  offset: number,
  length: number,
  seed: bigint,
): bigint {
  const seeded = splitSeed(seed)
  const c = lookup3(bytes, offset, length, seeded, seedHi, seedLo)
  return int64FromHalves(lastB, c)
}

/** `hash_bytes_uint32` of an int32 word, as an int32. */
export function hashUint32Int32Unchecked(k: number): number {
  return lookup3Uint32(k, false, 0, 0)
}

/** `hash_bytes_uint32_extended` of an int32 word, as a signed bigint. */
export function hashUint32ExtendedInt64Unchecked(k: number, seed: bigint): bigint {
  const seeded = splitSeed(seed)
  const c = lookup3Uint32(k, seeded, seedHi, seedLo)
  return int64FromHalves(lastB, c)
}
