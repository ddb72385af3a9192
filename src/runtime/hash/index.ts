/**
 * PostgreSQL's hash functions, bit for bit as a little-endian server with a UTF-8 database computes them:
 * lookup3 (`hash_bytes*`), the SQL-level `hashtext`/`hashbpchar`/`hashint2/4/8` and their seeded
 * `*extended` variants, and hash partitioning. Depends on nothing else in plproxy-ts.
 */
export {
  hashint2,
  hashint2extended,
  hashint4,
  hashint4extended,
  hashint8,
  hashint8extended,
} from './integer.js'
export { hashBytes, hashBytesExtended, hashBytesUint32, hashBytesUint32Extended } from './lookup3.js'
export {
  HASH_PARTITION_SEED,
  hashCombine64,
  hashPartitionIndex,
  type PartitionKey,
  type PartitionKeyType,
  partitionHash,
  satisfiesHashPartition,
} from './partition.js'
export { hashbpchar, hashbpcharextended, hashtext, hashtextextended } from './text.js'
