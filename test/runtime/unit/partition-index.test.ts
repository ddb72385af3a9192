/**
 * Hash → partition (spec §4.2): `hash & (n − 1)` in two's complement, or with
 * modular_mapping `|hash rem n|` with C's truncating remainder; int2/int4 hashes as
 * numbers, int8 hashes as bigints.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { partitionIndex, random31 } from '../../../src/runtime/routing/partition-index.js'

/** The reference: C semantics on a signed 64-bit hash. */
function reference(hash: bigint, n: number, modular: boolean): number {
  const h = BigInt.asIntN(64, hash)
  if (modular) {
    const r = h % BigInt(n) // BigInt % truncates like C
    return Number(r < 0n ? -r : r)
  }
  return Number(h & BigInt(n - 1))
}

const powersOfTwo = fc.integer({ min: 0, max: 20 }).map((k) => 2 ** k)
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })

describe('partitionIndex: mask mapping', () => {
  it.each([
    [0, 4, 0],
    [1, 4, 1],
    [-1, 4, 3],
    [-2, 4, 2],
    [-4, 4, 0],
    [-5, 4, 3],
    [-2147483648, 4, 0],
    [-2147483647, 4, 1],
    [2147483647, 8, 7],
    [-785388649, 4, 3],
    [12345, 1, 0],
    [-12345, 1, 0],
    [-1, 1024, 1023],
  ])('int4 hash %i over %i partitions → %i', (hash, n, expected) => {
    expect(partitionIndex(hash, n, false)).toBe(expected)
    expect(partitionIndex(BigInt(hash), n, false)).toBe(expected)
  })

  it.each([
    [-1n, 4, 3],
    [-9223372036854775808n, 1024, 0],
    [-9223372036854775807n, 4, 1],
    [9223372036854775807n, 16, 15],
    [-6747756470228489321n, 8, 7],
    [4294967296n, 4, 0],
    [4294967295n, 4, 3],
  ])('int8 hash %s over %i partitions → %i', (hash, n, expected) => {
    expect(partitionIndex(hash, n, false)).toBe(expected)
  })

  it('equals the two’s complement reference for every int4 and int8 hash', () => {
    fc.assert(
      fc.property(int32, powersOfTwo, (h, n) => {
        expect(partitionIndex(h, n, false)).toBe(reference(BigInt(h), n, false))
      }),
    )
    fc.assert(
      fc.property(int64, powersOfTwo, (h, n) => {
        expect(partitionIndex(h, n, false)).toBe(reference(h, n, false))
      }),
    )
  })
})

describe('partitionIndex: modular_mapping', () => {
  it('n = 3: 0..4 → 0,1,2,0,1 and −1..−4 → 1,2,0,1 (plproxy_modular.out)', () => {
    expect([0, 1, 2, 3, 4].map((h) => partitionIndex(h, 3, true))).toEqual([0, 1, 2, 0, 1])
    expect([-1, -2, -3, -4].map((h) => partitionIndex(h, 3, true))).toEqual([1, 2, 0, 1])
    expect([-1n, -2n, -3n, -4n].map((h) => partitionIndex(h, 3, true))).toEqual([1, 2, 0, 1])
  })

  it.each([
    [-2147483648, 3, 2],
    [2147483647, 3, 1],
    [-2147483648, 7, 2],
    [-785388649, 5, 4],
    [-7, 1, 0],
  ])('int4 hash %i over %i partitions → %i', (hash, n, expected) => {
    expect(partitionIndex(hash, n, true)).toBe(expected)
    expect(Object.is(partitionIndex(hash, n, true), expected)).toBe(true)
  })

  it.each([
    [-9223372036854775808n, 3, 2],
    [9223372036854775807n, 3, 1],
    [-9223372036854775808n, 10, 8],
    [-6747756470228489321n, 6, 5],
  ])('int8 hash %s over %i partitions → %i', (hash, n, expected) => {
    expect(partitionIndex(hash, n, true)).toBe(expected)
  })

  it('never returns −0', () => {
    expect(Object.is(partitionIndex(-6, 3, true), 0)).toBe(true)
    expect(Object.is(partitionIndex(-6n, 3, true), 0)).toBe(true)
  })

  it('equals the C reference for every hash and partition count', () => {
    const counts = fc.integer({ min: 1, max: 1000 })
    fc.assert(
      fc.property(int32, counts, (h, n) => {
        expect(partitionIndex(h, n, true)).toBe(reference(BigInt(h), n, true))
      }),
    )
    fc.assert(
      fc.property(int64, counts, (h, n) => {
        expect(partitionIndex(h, n, true)).toBe(reference(h, n, true))
      }),
    )
  })
})

describe('random31', () => {
  it('draws non-negative 31-bit integers', () => {
    for (let i = 0; i < 1000; i++) {
      const r = random31()
      expect(Number.isInteger(r)).toBe(true)
      expect(r).toBeGreaterThanOrEqual(0)
      expect(r).toBeLessThan(2 ** 31)
    }
  })

  it('reaches every partition of 4 in 100 draws (plproxy_many)', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 100; i++) seen.add(partitionIndex(random31(), 4, false))
    expect([...seen].sort()).toEqual([0, 1, 2, 3])
  })
})
