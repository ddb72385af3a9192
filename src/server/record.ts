/**
 * record_out on bytes: a row of text values as one composite value,
 * `(a,b,"c d",,"")`, built without decoding the values (what PostgreSQL
 * prints for `select f()` when f returns a row).
 */

/** Bytes that make record_out quote a field: `"` `\` `(` `)` `,` and isspace(). */
function needsQuotes(v: Buffer): boolean {
  if (v.length === 0) return true
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!
    if (
      c === 0x22 ||
      c === 0x5c ||
      c === 0x28 ||
      c === 0x29 ||
      c === 0x2c ||
      c === 0x20 ||
      (c >= 9 && c <= 13)
    ) {
      return true
    }
  }
  return false
}

export function recordText(values: readonly (Buffer | null)[]): Buffer {
  let size = 2 + Math.max(0, values.length - 1)
  const quoted = new Array<boolean>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) continue
    const q = needsQuotes(v)
    quoted[i] = q
    size += v.length
    if (q) {
      size += 2
      for (let k = 0; k < v.length; k++) if (v[k] === 0x22 || v[k] === 0x5c) size++
    }
  }
  const out = Buffer.allocUnsafe(size)
  let p = 0
  out[p++] = 0x28
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out[p++] = 0x2c
    const v = values[i]
    if (v === null || v === undefined) continue
    if (!quoted[i]) {
      v.copy(out, p)
      p += v.length
      continue
    }
    out[p++] = 0x22
    for (let k = 0; k < v.length; k++) {
      const c = v[k]!
      if (c === 0x22 || c === 0x5c) out[p++] = c
      out[p++] = c
    }
    out[p++] = 0x22
  }
  out[p++] = 0x29
  return out
}
