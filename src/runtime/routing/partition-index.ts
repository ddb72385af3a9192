/**
 * Hash → partition index (PL/Proxy's tag_part, spec §4.2): with n a power
 * of two, `hash & (n - 1)` in two's complement; with modular_mapping,
 * `|hash rem n|` using C's truncating remainder.
 */
export function partitionIndex(hash: number | bigint, count: number, modular: boolean): number {
  if (typeof hash === 'number') {
    if (modular) return Math.abs(hash % count)
    // int2/int4 hashes: 32-bit two's complement AND
    return hash & (count - 1)
  }
  if (modular) {
    const r = hash % BigInt(count)
    return Number(r < 0n ? -r : r)
  }
  return Number(BigInt.asIntN(64, hash) & BigInt(count - 1))
}

/** A non-negative 31-bit random number, as PL/Proxy draws for RUN ON ANY. */
export function random31(): number {
  return Math.floor(Math.random() * 0x80000000)
}
