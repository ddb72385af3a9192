/**
 * Known values of PostgreSQL's hash functions (little-endian server, UTF-8 database, C collation).
 * The published vectors come from reference/anchors.md §3.6; every other expected value below was
 * printed by a PostgreSQL 15 server (`select hashtext(...)`, partitioned tables), not by this code.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  HASH_PARTITION_SEED,
  hashBytes,
  hashBytesExtended,
  hashBytesUint32,
  hashBytesUint32Extended,
  hashbpchar,
  hashbpcharextended,
  hashCombine64,
  hashint2,
  hashint2extended,
  hashint4,
  hashint4extended,
  hashint8,
  hashint8extended,
  hashPartitionIndex,
  hashtext,
  hashtextextended,
  type PartitionKey,
  partitionHash,
  satisfiesHashPartition,
} from '../../../src/runtime/hash/index.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('published vectors (anchors.md §3.6)', () => {
  it('hashtext', () => {
    expect(hashtext('foobar')).toBe(289967942)
    expect(hashtext('greetings, human')).toBe(-1132466231)
    expect(hashtext('')).toBe(-1477818771)
  })

  it('hashint4', () => {
    expect(hashint4(1)).toBe(-1905060026)
  })

  it('hashtextextended with seed 0 has the 32-bit hash as its low half', () => {
    expect(hashtextextended('foobar', 0n)).toBe(455621379568996166n)
    expect(BigInt.asIntN(32, hashtextextended('foobar', 0n))).toBe(BigInt(hashtext('foobar')))
  })

  it("pgcat's bigint partition sets for modulus 5", () => {
    const shards = [
      [1, 4, 5, 14, 19, 39, 40, 46, 47, 53],
      [2, 3, 11, 17, 21, 23, 30, 49, 51, 54],
      [6, 7, 15, 16, 18, 20, 25, 28, 34, 35],
      [8, 12, 13, 22, 29, 31, 33, 36, 41, 43],
      [9, 10, 24, 26, 27, 32, 37, 38, 42, 45],
    ]
    shards.forEach((values, shard) => {
      for (const value of values) {
        expect(hashPartitionIndex(5, [{ type: 'int8', value }]), `value ${value}`).toBe(shard)
        expect(hashPartitionIndex(5, [{ type: 'int8', value: BigInt(value) }])).toBe(shard)
        expect(satisfiesHashPartition(5, shard, [{ type: 'int8', value }])).toBe(true)
        expect(satisfiesHashPartition(5, (shard + 1) % 5, [{ type: 'int8', value }])).toBe(false)
      }
    })
  })
})

describe('hashtext of every length 0..40 (every lookup3 block and tail case)', () => {
  const ascii = 'The quick brown fox jumps over the lazy dog'
  const asciiHashes = [
    -1477818771, 189977564, -1032424723, -2092041454, -529746819, 1319395734, 2048143525, 105174900,
    -461557097, 916841358, 1490567601, 2124940397, 82921656, -1857862021, -435097191, 1349080213, -807732534,
    1801273035, 2125926248, -287177489, -685456130, 300619715, -1262620514, -1236432247, -1217470220,
    1370806276, 2038649153, 1771424372, 1000863782, -1372205352, 1474626926, 1482680789, -2097643709,
    1270545934, 282202191, 646838985, -542547460, 1430556688, -1835488606, 1690460682, -1767799431,
  ]
  const asciiExtended42 = [
    6158832220375811857n,
    -9025939059608736434n,
    5100588869405015581n,
    3038043180143178147n,
    -4083866455743216685n,
    -5017294223739415004n,
    2246789860985709914n,
    4778540625600436775n,
    162873675338914461n,
    7126868943089119804n,
    -2848011637011580363n,
    -8903036199985890573n,
    -5550228464067396110n,
    -7779903148924832315n,
    -6201050169883609628n,
    -8601549039603741753n,
    -774570013319063046n,
    7218776346960315562n,
    -3574645881406115751n,
    3731392997417403243n,
    -1868726298622581182n,
    -4425845213604164205n,
    -4381390897662035110n,
    -5823772410289274600n,
    -7045680038553790823n,
    -6181948468376704678n,
    5894429791820467026n,
    7037532686952431464n,
    -7034062004586107796n,
    -471123389737642922n,
    4916916011233329036n,
    168372726536680504n,
    -3336056875295685611n,
    6501284550212229245n,
    4895202880495076286n,
    -4985114013987866365n,
    -2549683995865344234n,
    -7079616277688103043n,
    -4233867290483907867n,
    -2453023181833413642n,
    235957408920272642n,
  ]
  // prefixes in code points; 1..4-byte characters, so the byte lengths cross every tail size
  const nonAscii = 'ÿ€日本😀 Grüße, Jürgen ❤ ΑΒΓ ĉu vi parolas? 日本語テキスト 🎉🎉'
  const nonAsciiHashes = [
    -1477818771, -651125260, -1858585459, 564047399, -1204340281, 750276410, -652060151, 1690725023,
    1586966555, -1463467925, 1120589455, -526649985, 1691744176, -1549135199, 1755114396, -2016661842,
    -1002196055, -456901389, -1074156717, 535490673, 1037931291, -893120642, -311230107, 592832149,
    -1258160971, 1403052079, -1938362616, -125796450, 1851952697, -913407809, 2130957679, 1782841807,
    -1161718605, 796258754, 765947665, 243519952, 2082939804, -1688327078, 1074680480, 1487972230, 1496947755,
  ]
  const nonAsciiBytes = [
    0, 2, 5, 8, 11, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 36, 37, 39, 41, 43, 44,
    46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
  ]

  for (let n = 0; n <= 40; n++) {
    it(`length ${n}`, () => {
      const s = ascii.slice(0, n)
      expect(hashtext(s)).toBe(asciiHashes[n])
      expect(hashtextextended(s, 42n)).toBe(asciiExtended42[n])
      expect(hashBytes(utf8(s))).toBe(asciiHashes[n]! >>> 0)
      const t = Array.from(nonAscii).slice(0, n).join('')
      expect(utf8(t).length).toBe(nonAsciiBytes[n])
      expect(hashtext(t)).toBe(nonAsciiHashes[n])
      expect(hashBytes(utf8(t))).toBe(nonAsciiHashes[n]! >>> 0)
    })
  }
})

describe('hashtextextended seeds', () => {
  it('covers the int8 extremes and the partition seed', () => {
    const seeds = [0n, 1n, -1n, 9223372036854775807n, -9223372036854775808n, HASH_PARTITION_SEED]
    const expected = [
      455621379568996166n,
      -4134130950423147569n,
      -1195292887787224648n,
      163063083333454227n,
      1006598380717566489n,
      -2429227882219838614n,
    ]
    expect(seeds.map((seed) => hashtextextended('foobar', seed))).toEqual(expected)
  })

  it('takes a seed as int8 or as its uint64 bits', () => {
    expect(hashtextextended('foobar', 2n ** 64n - 1n)).toBe(hashtextextended('foobar', -1n))
    expect(hashtextextended('foobar', 2n ** 63n)).toBe(hashtextextended('foobar', -(2n ** 63n)))
  })

  it('rejects seeds outside -2^63..2^64-1', () => {
    expect(() => hashtextextended('x', 2n ** 64n)).toThrow(RangeError)
    expect(() => hashtextextended('x', -(2n ** 63n) - 1n)).toThrow(RangeError)
    expect(() => hashtextextended('x', 1 as unknown as bigint)).toThrow(RangeError)
  })
})

describe('integer hashes', () => {
  // value: [hashintN, hashintNextended(v, 0), hashintNextended(v, seed)]
  const int2: Array<[number, number, bigint, bigint]> = [
    [-32768, 193646934, 8455483389771436374n, 5885242512097991578n],
    [32767, 1289782602, 1790040721271588170n, -6436696229286267413n],
    [0, -272711505, 4154612158245552303n, -4403592609991167795n],
    [-1, 385747274, -1888257769727981238n, -5017072347659237694n],
    [1, -1905060026, -3670598878359251130n, 5968994663651403477n],
    [256, 1851357687, -4519207317629470217n, 5769331814454937003n],
  ]
  const int4: Array<[number, number, bigint, bigint]> = [
    [-2147483648, -1524351049, 1977219185673256887n, -4181099878007920731n],
    [2147483647, -96758253, -9109110466470504941n, -2009052510785349830n],
    [0, -272711505, 4154612158245552303n, 6070635583126202392n],
    [-1, 385747274, -1888257769727981238n, -4439390734192008633n],
    [1, -1905060026, -3670598878359251130n, -7474253914743946148n],
    [65536, 32085720, 1416966524809877208n, 4909333861440944408n],
  ]
  const int8: Array<[bigint, number, bigint, bigint]> = [
    [-9223372036854775808n, -96758253, -9109110466470504941n, -6050265599104649060n],
    [9223372036854775807n, -1524351049, 1977219185673256887n, 4938542303000433043n],
    [0n, -272711505, 4154612158245552303n, -4403592609991167795n],
    [-1n, 385747274, -1888257769727981238n, -5017072347659237694n],
    [1n, -1905060026, -3670598878359251130n, 5968994663651403477n],
    [4294967296n, -1905060026, -3670598878359251130n, 5968994663651403477n],
    [-4294967296n, -272711505, 4154612158245552303n, -4403592609991167795n],
    [4294967295n, 385747274, -1888257769727981238n, -5017072347659237694n],
    [2147483648n, -1524351049, 1977219185673256887n, 4938542303000433043n],
    [-2147483649n, -96758253, -9109110466470504941n, -6050265599104649060n],
    [9007199254740993n, -1466497253, -6408898991662627045n, -6549272185662802590n],
  ]

  it.each(int2)('hashint2(%d)', (v, h, e0, eSeed) => {
    expect(hashint2(v)).toBe(h)
    expect(hashint2extended(v, 0n)).toBe(e0)
    expect(hashint2extended(v, HASH_PARTITION_SEED)).toBe(eSeed)
  })

  it.each(int4)('hashint4(%d)', (v, h, e0, eSeed) => {
    expect(hashint4(v)).toBe(h)
    expect(hashint4extended(v, 0n)).toBe(e0)
    expect(hashint4extended(v, -7n)).toBe(eSeed)
  })

  it.each(int8)('hashint8(%s)', (v, h, e0, eSeed) => {
    expect(hashint8(v)).toBe(h)
    expect(hashint8extended(v, 0n)).toBe(e0)
    expect(hashint8extended(v, HASH_PARTITION_SEED)).toBe(eSeed)
    if (v >= -(2n ** 63n) && v < 2n ** 63n && Number.isSafeInteger(Number(v))) {
      expect(hashint8(Number(v))).toBe(h)
      expect(hashint8extended(Number(v), HASH_PARTITION_SEED)).toBe(eSeed)
    }
  })

  it('takes exact non-safe integer numbers at their value', () => {
    expect(hashint8(2 ** 53)).toBe(hashint8(2n ** 53n))
    expect(hashint8(-(2 ** 62))).toBe(hashint8(-(2n ** 62n)))
    expect(hashint8(-(2 ** 63))).toBe(hashint8(-(2n ** 63n)))
  })

  it('equal values hash alike across int2, int4 and int8', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), fc.bigInt(), (small, seed) => {
        const s = BigInt.asIntN(64, seed)
        expect(hashint4(small)).toBe(hashint2(small))
        expect(hashint8(small)).toBe(hashint2(small))
        expect(hashint8(BigInt(small))).toBe(hashint2(small))
        expect(hashint4extended(small, s)).toBe(hashint2extended(small, s))
        expect(hashint8extended(BigInt(small), s)).toBe(hashint2extended(small, s))
      }),
    )
    fc.assert(
      fc.property(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v, s) => {
        expect(hashint8(v)).toBe(hashint4(v))
        expect(hashint8extended(BigInt(v), s)).toBe(hashint4extended(v, s))
      }),
    )
  })

  it('hashint8 of a number equals hashint8 of the same bigint', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v, s) => {
        expect(hashint8(v)).toBe(hashint8(BigInt(v)))
        expect(hashint8extended(v, s)).toBe(hashint8extended(BigInt(v), s))
      }),
    )
  })

  it('hashint4 is hash_bytes_uint32 and hash_bytes of the little-endian word', () => {
    fc.assert(
      fc.property(fc.integer(), (v) => {
        const word = new Uint8Array(4)
        new DataView(word.buffer).setInt32(0, v, true)
        expect(hashBytesUint32(v)).toBe(hashint4(v) >>> 0)
        expect(hashBytesUint32(v >>> 0)).toBe(hashint4(v) >>> 0)
        expect(hashBytes(word)).toBe(hashint4(v) >>> 0)
        expect(hashBytesUint32Extended(v, 99n)).toBe(BigInt.asUintN(64, hashint4extended(v, 99n)))
        expect(hashBytesExtended(word, 99n)).toBe(BigInt.asUintN(64, hashint4extended(v, 99n)))
      }),
    )
  })

  it('rejects values outside the type', () => {
    for (const v of [32768, -32769, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => hashint2(v)).toThrow(RangeError)
      expect(() => hashint2extended(v, 0n)).toThrow(RangeError)
    }
    for (const v of [2 ** 31, -(2 ** 31) - 1, 0.5, Number.NaN]) {
      expect(() => hashint4(v)).toThrow(RangeError)
      expect(() => hashint4extended(v, 0n)).toThrow(RangeError)
    }
    for (const v of [2n ** 63n, -(2n ** 63n) - 1n, 2 ** 63, 1.5, Number.NaN, Number.NEGATIVE_INFINITY]) {
      expect(() => hashint8(v)).toThrow(RangeError)
      expect(() => hashint8extended(v, 0n)).toThrow(RangeError)
    }
    expect(() => hashint8('1' as unknown as number)).toThrow(TypeError)
    expect(() => hashBytesUint32(2 ** 32)).toThrow(RangeError)
    expect(() => hashBytesUint32(-(2 ** 31) - 1)).toThrow(RangeError)
  })
})

describe('hashbpchar', () => {
  const cases: Array<[string, number, bigint]> = [
    ['ab', 1718550461, 3720279804167291300n],
    ['ab   ', 1718550461, 3720279804167291300n],
    ['   ', -1477818771, 1628731699460038297n],
    ['', -1477818771, 1628731699460038297n],
    ['ab\t', 676287154, 1789140978664477020n],
    ['ab\u00a0', 867250620, 112452306520592881n],
    [' ab ', 1480564674, 5408715337868656824n],
  ]

  it.each(cases)('hashbpchar(%j)', (s, h, e3) => {
    expect(hashbpchar(s)).toBe(h)
    expect(hashbpcharextended(s, 3n)).toBe(e3)
  })

  it('ignores trailing blanks only', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(30), (s, blanks) => {
        const trimmed = s.replace(/ +$/, '')
        expect(hashbpchar(s + ' '.repeat(blanks))).toBe(hashtext(trimmed))
        expect(hashbpcharextended(s + ' '.repeat(blanks), 5n)).toBe(hashtextextended(trimmed, 5n))
      }),
    )
  })
})

describe('hashtext is lookup3 of the UTF-8 bytes', () => {
  const anyString = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'binary', minLength: 20, maxLength: 400 }),
    // lone surrogates: encoded as U+FFFD, like node-postgres sends them
    fc.string({
      unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)),
      maxLength: 30,
    }),
  )

  it('for any string, including lone surrogates', () => {
    fc.assert(
      fc.property(anyString, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (s, seed) => {
        const bytes = new Uint8Array(Buffer.from(s, 'utf8'))
        expect(hashtext(s)).toBe(hashBytes(bytes) | 0)
        expect(hashtextextended(s, seed)).toBe(BigInt.asIntN(64, hashBytesExtended(bytes, seed)))
      }),
      { numRuns: 500 },
    )
  })

  it('for long strings (scratch growth and the one-off path)', () => {
    for (const n of [1000, 5000, 100_000, 400_000]) {
      const s = 'aé日😀'.repeat(n / 4)
      const bytes = new Uint8Array(Buffer.from(s, 'utf8'))
      expect(hashtext(s)).toBe(hashBytes(bytes) | 0)
      expect(hashtext(s.slice(0, 30))).toBe(
        hashBytes(bytes.subarray(0, Buffer.byteLength(s.slice(0, 30)))) | 0,
      )
    }
  })

  it('rejects non-strings', () => {
    expect(() => hashtext(1 as unknown as string)).toThrow(TypeError)
    expect(() => hashbpchar(null as unknown as string)).toThrow(TypeError)
  })
})

describe('hashBytes', () => {
  it('hashes a byte range as the same bytes on their own', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.nat(),
        fc.nat(),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (bytes, x, y, seed) => {
          const offset = bytes.length === 0 ? 0 : x % (bytes.length + 1)
          const length = y % (bytes.length - offset + 1)
          const part = bytes.slice(offset, offset + length)
          expect(hashBytes(bytes, offset, length)).toBe(hashBytes(part))
          expect(hashBytesExtended(bytes, seed, offset, length)).toBe(hashBytesExtended(part, seed))
          expect(hashBytes(bytes, offset)).toBe(hashBytes(bytes.slice(offset)))
          const h = hashBytes(part)
          expect(h >= 0 && h <= 0xffffffff && Number.isInteger(h)).toBe(true)
          expect(hashBytesExtended(part, 0n) & 0xffffffffn).toBe(BigInt(h))
        },
      ),
    )
  })

  it('rejects ranges outside the input', () => {
    const b = new Uint8Array(4)
    expect(() => hashBytes(b, 5)).toThrow(RangeError)
    expect(() => hashBytes(b, 1, 4)).toThrow(RangeError)
    expect(() => hashBytes(b, -1, 2)).toThrow(RangeError)
    expect(() => hashBytes(b, 0.5, 1)).toThrow(RangeError)
    expect(() => hashBytesExtended(b, 0n, 2, 3)).toThrow(RangeError)
  })
})

describe('partition hashing', () => {
  it('hashCombine64', () => {
    expect(hashCombine64(0n, 0n)).toBe(0x49a0f4dd15e5a8e3n)
    expect(hashCombine64(0n, 2n ** 64n - 1n)).toBe(0x49a0f4dd15e5a8e2n)
    expect(hashCombine64(0n, -1n)).toBe(0x49a0f4dd15e5a8e2n)
    const a = 0x0123456789abcdefn
    const b = 0xfedcba9876543210n
    const mask = 2n ** 64n - 1n
    expect(hashCombine64(a, b)).toBe(a ^ ((b + 0x49a0f4dd15e5a8e3n + ((a << 54n) & mask) + (a >> 7n)) & mask))
  })

  it('skips NULL keys; all NULL gives 0', () => {
    expect(partitionHash([])).toBe(0n)
    expect(partitionHash([{ type: 'int4', value: null }])).toBe(0n)
    expect(
      partitionHash([
        { type: 'text', value: null },
        { type: 'int8', value: 7n },
      ]),
    ).toBe(partitionHash([{ type: 'int8', value: 7n }]))
    expect(partitionHash([{ type: 'int4', value: 5 }])).toBe(
      hashCombine64(0n, hashint4extended(5, HASH_PARTITION_SEED)),
    )
  })

  // rows placed by PostgreSQL 15 into `partition by hash (a int4, b text, c int8, d int2, e char(5),
  // f varchar)` with modulus 13
  const rows: Array<[PartitionKey[], number]> = [
    [
      [
        { type: 'int4', value: null },
        { type: 'text', value: null },
        { type: 'int8', value: null },
        { type: 'int2', value: null },
        { type: 'bpchar', value: null },
        { type: 'varchar', value: null },
      ],
      0,
    ],
    [
      [
        { type: 'int4', value: 1 },
        { type: 'text', value: 'a' },
        { type: 'int8', value: 1n },
        { type: 'int2', value: 1 },
        { type: 'bpchar', value: 'a    ' },
        { type: 'varchar', value: 'a' },
      ],
      1,
    ],
    [
      [
        { type: 'int4', value: null },
        { type: 'text', value: 'foobar' },
        { type: 'int8', value: null },
        { type: 'int2', value: null },
        { type: 'bpchar', value: 'bar' },
        { type: 'varchar', value: null },
      ],
      2,
    ],
    [
      [
        { type: 'int4', value: 0 },
        { type: 'text', value: 'The quick brown fox' },
        { type: 'int8', value: -9223372036854775808n },
        { type: 'int2', value: -32768 },
        { type: 'bpchar', value: 'abc' },
        { type: 'varchar', value: 'greetings, human' },
      ],
      3,
    ],
    [
      [
        { type: 'int4', value: 2147483647 },
        { type: 'text', value: '' },
        { type: 'int8', value: 9223372036854775807n },
        { type: 'int2', value: 32767 },
        { type: 'bpchar', value: '' },
        { type: 'varchar', value: 'x' },
      ],
      4,
    ],
    [
      [
        { type: 'int4', value: -1 },
        { type: 'text', value: 'ü' },
        { type: 'int8', value: -1 },
        { type: 'int2', value: -1 },
        { type: 'bpchar', value: 'ü   ' },
        { type: 'varchar', value: 'ü' },
      ],
      5,
    ],
  ]

  it.each(rows)('multi-column key %# lands where PostgreSQL puts it', (keys, remainder) => {
    expect(hashPartitionIndex(13, keys)).toBe(remainder)
    expect(satisfiesHashPartition(13, remainder, keys)).toBe(true)
  })

  it('bpchar keys ignore padding (char(5), modulus 7)', () => {
    const placed: Array<[string, number]> = [
      ['a', 3],
      ['ab', 6],
      ['abc  ', 3],
      ['x y', 2],
    ]
    for (const [value, remainder] of placed) {
      expect(hashPartitionIndex(7, [{ type: 'bpchar', value }])).toBe(remainder)
      expect(hashPartitionIndex(7, [{ type: 'bpchar', value: value.padEnd(5) }])).toBe(remainder)
    }
  })

  it('rejects a bad modulus or remainder', () => {
    const keys: PartitionKey[] = [{ type: 'int4', value: 1 }]
    expect(() => hashPartitionIndex(0, keys)).toThrow(RangeError)
    expect(() => hashPartitionIndex(1.5, keys)).toThrow(RangeError)
    expect(() => satisfiesHashPartition(4, 4, keys)).toThrow(RangeError)
    expect(() => satisfiesHashPartition(4, -1, keys)).toThrow(RangeError)
    expect(() => partitionHash([{ type: 'uuid', value: 'x' } as unknown as PartitionKey])).toThrow(TypeError)
  })
})
