/**
 * PostgreSQL's hash partitioning (`partitioning/partbounds.c`: `compute_partition_hash_value`,
 * `satisfies_hash_partition`; `hash_combine64` from `common/hashfn.h`; `HASH_PARTITION_SEED` from
 * `catalog/partition.h`) on a **little-endian** server with a UTF-8 database and deterministic collations.
 *
 * The row hash starts at 0 and, for each non-NULL key column in order, is combined with the column type's
 * extended hash of the value under `HASH_PARTITION_SEED`; NULL keys are skipped. A row belongs to the
 * partition `FOR VALUES WITH (MODULUS m, REMAINDER r)` when `rowHash % m = r` (uint64 arithmetic).
 *
 * This is not what PL/Proxy's `RUN ON hashtext(x)` computes (32-bit, unseeded); both families are here.
 */
import { hashint2extended, hashint4extended, hashint8extended } from './integer.js'
import { hashbpcharextended, hashtextextended } from './text.js'

/** `HASH_PARTITION_SEED`, the seed of every key's extended hash in hash partitioning. */
export const HASH_PARTITION_SEED = 0x7a5b22367996dcfdn

/** Key column types supported by `partitionHash`, with PostgreSQL's type names. */
export type PartitionKeyType = 'int2' | 'int4' | 'int8' | 'text' | 'varchar' | 'bpchar'

/** One partition key column: its type and value (`null` for SQL NULL). */
export type PartitionKey =
  | { type: 'int2' | 'int4'; value: number | null }
  | { type: 'int8'; value: bigint | number | null }
  | { type: 'text' | 'varchar' | 'bpchar'; value: string | null }

/**
 * PostgreSQL `hash_combine64(a, b)`: `a ^ (b + 0x49a0f4dd15e5a8e3 + (a << 54) + (a >> 7))` in uint64.
 * Inputs are taken modulo 2^64 (so signed int8 hashes may be passed as they are); the result is 0..2^64-1.
 */
export function hashCombine64(a: bigint, b: bigint): bigint {
  const ua = BigInt.asUintN(64, a)
  return ua ^ BigInt.asUintN(64, BigInt.asUintN(64, b) + 0x49a0f4dd15e5a8e3n + (ua << 54n) + (ua >> 7n))
}

/** The extended hash of one key value under `HASH_PARTITION_SEED`, as a signed int8. */
function keyHash(key: PartitionKey): bigint {
  switch (key.type) {
    case 'int2':
      return hashint2extended(key.value as number, HASH_PARTITION_SEED)
    case 'int4':
      return hashint4extended(key.value as number, HASH_PARTITION_SEED)
    case 'int8':
      return hashint8extended(key.value as bigint | number, HASH_PARTITION_SEED)
    case 'text':
    case 'varchar':
      return hashtextextended(key.value as string, HASH_PARTITION_SEED)
    case 'bpchar':
      return hashbpcharextended(key.value as string, HASH_PARTITION_SEED)
    default:
      throw new TypeError(`unsupported partition key type: ${String((key as { type: unknown }).type)}`)
  }
}

/**
 * PostgreSQL `compute_partition_hash_value`: the row hash (uint64, 0..2^64-1) of the partition key
 * columns in key order; NULL values are skipped (all NULL gives 0).
 */
export function partitionHash(keys: readonly PartitionKey[]): bigint {
  let rowHash = 0n
  for (const key of keys) {
    if (key.value === null || key.value === undefined) continue
    rowHash = hashCombine64(rowHash, keyHash(key))
  }
  return rowHash
}

function checkModulus(modulus: number): void {
  if (!Number.isInteger(modulus) || modulus <= 0 || modulus > 0x7fffffff) {
    throw new RangeError(
      `modulus for hash partition must be an integer value greater than zero, got ${modulus}`,
    )
  }
}

/** The remainder `partitionHash(keys) % modulus`: the partition `WITH (MODULUS modulus, REMAINDER r)`. */
export function hashPartitionIndex(modulus: number, keys: readonly PartitionKey[]): number {
  checkModulus(modulus)
  return Number(partitionHash(keys) % BigInt(modulus))
}

/**
 * PostgreSQL `satisfies_hash_partition`: whether a row with these key values belongs to the partition
 * `FOR VALUES WITH (MODULUS modulus, REMAINDER remainder)`.
 */
export function satisfiesHashPartition(
  modulus: number,
  remainder: number,
  keys: readonly PartitionKey[],
): boolean {
  checkModulus(modulus)
  if (!Number.isInteger(remainder) || remainder < 0 || remainder >= modulus) {
    throw new RangeError(
      `remainder for hash partition must be an integer value in 0..modulus-1 (${modulus - 1}), got ${remainder}`,
    )
  }
  return hashPartitionIndex(modulus, keys) === remainder
}
