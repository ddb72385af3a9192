/**
 * SASLprep (RFC 4013) as PostgreSQL applies it to SCRAM passwords
 * (src/common/saslprep.c), on both the server and the libpq side:
 *
 * - pure ASCII passes unchanged; bytes that are not valid UTF-8 are used raw;
 * - map: non-ASCII spaces (C.1.2) to SPACE, "commonly mapped to nothing"
 *   (B.1) removed; an empty result counts as prohibited;
 * - normalize to NFKC;
 * - prohibit C.1.2–C.9 and unassigned (A.1) code points, and check the bidi
 *   rules (D.1/D.2). Like PostgreSQL, these checks look at the mapped
 *   string before normalization.
 * When a check fails PostgreSQL does not refuse the password: it hashes the
 * raw bytes instead, and so does this.
 */
import { isUtf8 } from 'node:buffer'
import {
  L_CAT,
  MAPPED_TO_NOTHING,
  NON_ASCII_SPACE,
  PROHIBITED,
  RAND_AL_CAT,
  UNASSIGNED,
} from './saslprep-tables.js'

function inTable(table: readonly number[], cp: number): boolean {
  let lo = 0
  let hi = (table.length >> 1) - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (cp < table[mid * 2]!) hi = mid - 1
    else if (cp > table[mid * 2 + 1]!) lo = mid + 1
    else return true
  }
  return false
}

function isAscii(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! > 0x7f) return false
  return true
}

/** The bytes PostgreSQL hashes for this password: SASLprep'd when it can be, else the input itself. */
export function saslprep(password: Buffer | string): Buffer {
  const input = typeof password === 'string' ? Buffer.from(password, 'utf8') : password
  if (isAscii(input) || !isUtf8(input)) return input
  const mapped: number[] = []
  for (const ch of input.toString('utf8')) {
    const cp = ch.codePointAt(0)!
    if (inTable(NON_ASCII_SPACE, cp)) mapped.push(0x20)
    else if (!inTable(MAPPED_TO_NOTHING, cp)) mapped.push(cp)
  }
  if (mapped.length === 0) return input
  for (const cp of mapped) {
    if (inTable(PROHIBITED, cp) || inTable(UNASSIGNED, cp)) return input
  }
  if (mapped.some((cp) => inTable(RAND_AL_CAT, cp))) {
    if (mapped.some((cp) => inTable(L_CAT, cp))) return input
    if (!inTable(RAND_AL_CAT, mapped[0]!) || !inTable(RAND_AL_CAT, mapped[mapped.length - 1]!)) return input
  }
  let s = ''
  for (const cp of mapped) s += String.fromCodePoint(cp)
  return Buffer.from(s.normalize('NFKC'), 'utf8')
}
