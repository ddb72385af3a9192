/**
 * PostgreSQL's integer hash functions (`access/hash/hashfunc.c`) on a **little-endian** server:
 * `hashint2`, `hashint4`, `hashint8` and their seeded `*extended` variants.
 *
 * All hash one 32-bit word with `hash_bytes_uint32`: int2 sign-extended to int4, int4 as is, and int8
 * folded to its low half XOR its high half (XOR the complement of the high half for negative values), so
 * that equal values hash alike whatever their integer type. Results are what the SQL functions return:
 * a signed int4 (number) or a signed int8 (bigint). Inputs outside the type's range throw a RangeError.
 */
import { hashUint32ExtendedInt64Unchecked, hashUint32Int32Unchecked } from './lookup3.js'

function checkInt2(v: number): number {
  if ((v << 16) >> 16 !== v) throw new RangeError(`int2 value out of range: ${String(v)}`)
  return v | 0
}

function checkInt4(v: number): number {
  if ((v | 0) !== v) throw new RangeError(`int4 value out of range: ${String(v)}`)
  return v | 0
}

const TWO_POW_32 = 4294967296
const TWO_POW_63 = 2 ** 63
const MIN_INT8 = -(1n << 63n)
const MAX_INT8 = (1n << 63n) - 1n

/** The 32-bit word `hashint8` hashes: low half XOR (high half, or its complement when negative). */
function foldInt8(v: bigint | number): number {
  let lo: number
  let hi: number
  if (typeof v === 'number') {
    if ((v | 0) === v) return v | 0 // int4 range: the high half is only sign bits
    if (!Number.isInteger(v) || v < -TWO_POW_63 || v >= TWO_POW_63) {
      throw new RangeError(`int8 value out of range: ${String(v)}`)
    }
    const h = Math.floor(v / TWO_POW_32)
    lo = (v - h * TWO_POW_32) | 0
    hi = h | 0
  } else if (typeof v === 'bigint') {
    if (v < MIN_INT8 || v > MAX_INT8) throw new RangeError(`int8 value out of range: ${v}`)
    lo = Number(BigInt.asIntN(32, v))
    hi = Number(v >> 32n)
  } else {
    throw new TypeError(`int8 value must be a bigint or a number, got ${typeof v}`)
  }
  return lo ^ (hi >= 0 ? hi : ~hi)
}

/** PostgreSQL `hashint2(int2)`: signed int4. */
export function hashint2(v: number): number {
  return hashUint32Int32Unchecked(checkInt2(v))
}

/** PostgreSQL `hashint4(int4)`: signed int4. */
export function hashint4(v: number): number {
  return hashUint32Int32Unchecked(checkInt4(v))
}

/** PostgreSQL `hashint8(int8)`: signed int4; equals `hashint4(v)` for values in int4 range. */
export function hashint8(v: bigint | number): number {
  return hashUint32Int32Unchecked(foldInt8(v))
}

/** PostgreSQL `hashint2extended(int2, seed int8)`: signed int8. */
export function hashint2extended(v: number, seed: bigint): bigint {
  return hashUint32ExtendedInt64Unchecked(checkInt2(v), seed)
}

/** PostgreSQL `hashint4extended(int4, seed int8)`: signed int8. */
export function hashint4extended(v: number, seed: bigint): bigint {
  return hashUint32ExtendedInt64Unchecked(checkInt4(v), seed)
}

/** PostgreSQL `hashint8extended(int8, seed int8)`: signed int8. */
export function hashint8extended(v: bigint | number, seed: bigint): bigint {
  return hashUint32ExtendedInt64Unchecked(foldInt8(v), seed)
}
