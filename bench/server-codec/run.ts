/**
 * bench/server-codec: messages per second through the wire server's codec,
 * no I/O.
 * - decode: a pgbench-like client stream (extended protocol Parse/Bind/
 *   Describe/Execute/Sync per query, prepared Bind/Describe/Execute/Sync, and
 *   simple Query), pushed in 64 KiB chunks as a socket delivers it;
 * - encode: the answer to one query, RowDescription + DataRow +
 *   CommandComplete + ReadyForQuery, batched 16 answers per flushed Buffer;
 *   and wide rows (8 columns × 20 rows per answer).
 *
 *   npx tsx bench/server-codec/run.ts [--messages 2000000] [--runs 5]
 */
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { serialize } from 'pg-protocol'
import { BackendWriter, type FieldDescription, FrontendDecoder } from '../../src/server/protocol/index.js'
import { fmt, markdownTable, median } from '../lib/stats.js'

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '2000000' }, runs: { type: 'string', default: '5' } },
})
const target = Number(values.messages)
const runs = Number(values.runs)

const sql = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1'
function stream(kind: 'extended' | 'prepared' | 'simple'): { bytes: Buffer; messages: number } {
  const parts: Buffer[] = []
  let messages = 0
  for (let i = 0; messages < target; i++) {
    const aid = String((i * 2654435761) % 10_000_000)
    if (kind === 'simple') {
      parts.push(serialize.query(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`))
      messages += 1
      continue
    }
    if (kind === 'extended') parts.push(serialize.parse({ text: sql }))
    parts.push(
      serialize.bind({ statement: kind === 'prepared' ? 'P0_1' : '', values: [aid] }),
      serialize.describe({ type: 'P' }),
      serialize.execute(),
      serialize.sync(),
    )
    messages += kind === 'extended' ? 5 : 4
  }
  return { bytes: Buffer.concat(parts), messages }
}

function chunks(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size))
  return out
}

function decode(input: Buffer[], expected: number): number {
  const d = new FrontendDecoder({ phase: 'normal' })
  let n = 0
  let check = 0
  const start = process.hrtime.bigint()
  for (const c of input) {
    d.push(c)
    for (let m = d.next(); m !== null; m = d.next()) {
      n++
      if (m.type === 'Bind') check += m.params.length
      else if (m.type === 'Query') check += m.sql.length
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (n !== expected || check === 0) throw new Error(`decoded ${n} of ${expected} messages`)
  return n / seconds
}

const oneColumn: FieldDescription[] = [
  { name: 'abalance', tableOid: 16397, columnAttr: 3, typeOid: 23, typeSize: 4, typmod: -1, format: 0 },
]
const eightColumns: FieldDescription[] = Array.from({ length: 8 }, (_, i) => ({
  name: `col_${i}`,
  tableOid: 0,
  columnAttr: 0,
  typeOid: i % 2 ? 25 : 23,
  typeSize: i % 2 ? -1 : 4,
  typmod: -1,
  format: 0,
}))
const balances = Array.from({ length: 4096 }, (_, i) => [String(((i * 7919) % 100000) - 50000)])
const wideRow = [
  '12345',
  'user_12345',
  '-42',
  'some text value',
  '2026-01-01',
  'ünïcödé',
  '7',
  'x'.repeat(40),
]

function encode(kind: 'narrow' | 'wide'): number {
  const w = new BackendWriter()
  const answers = kind === 'narrow' ? Math.ceil(target / 4) : Math.ceil(target / 23)
  let messages = 0
  let bytes = 0
  const start = process.hrtime.bigint()
  for (let i = 0; i < answers; i++) {
    if (kind === 'narrow') {
      w.rowDescription(oneColumn)
        .dataRow(balances[i & 4095]!)
        .commandComplete('SELECT 1')
        .readyForQuery('I')
      messages += 4
    } else {
      w.rowDescription(eightColumns)
      for (let r = 0; r < 20; r++) w.dataRow(wideRow)
      w.commandComplete('SELECT 20').readyForQuery('I')
      messages += 23
    }
    if ((i & 15) === 15) bytes += w.flush().length
  }
  bytes += w.flush().length
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (bytes === 0) throw new Error('nothing encoded')
  return messages / seconds
}

const inputs = {
  extended: stream('extended'),
  prepared: stream('prepared'),
  simple: stream('simple'),
}
const chunked = Object.fromEntries(
  Object.entries(inputs).map(([k, v]) => [k, chunks(v.bytes, 64 * 1024)]),
) as Record<keyof typeof inputs, Buffer[]>

const results: Record<string, number[]> = {
  'decode: Parse/Bind/Describe/Execute/Sync': [],
  'decode: Bind/Describe/Execute/Sync (prepared)': [],
  'decode: Query': [],
  'encode: RowDescription/DataRow/CommandComplete/ReadyForQuery': [],
  'encode: RowDescription + 20 × DataRow(8 columns) + CommandComplete/ReadyForQuery': [],
}
const keys = Object.keys(results)
for (let r = 0; r < runs; r++) {
  results[keys[0]!]!.push(decode(chunked.extended, inputs.extended.messages))
  results[keys[1]!]!.push(decode(chunked.prepared, inputs.prepared.messages))
  results[keys[2]!]!.push(decode(chunked.simple, inputs.simple.messages))
  results[keys[3]!]!.push(encode('narrow'))
  results[keys[4]!]!.push(encode('wide'))
}

const lines = [
  '# bench/server-codec',
  '',
  `About ${fmt(target)} messages per run, ${runs} runs interleaved, medians. Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}.`,
  'Decoding pushes the client stream in 64 KiB chunks; encoding flushes one Buffer per 16 answers.',
  '',
  markdownTable(
    ['workload', 'messages/s (median)', 'best', 'worst'],
    Object.entries(results).map(([k, xs]) => [
      k,
      fmt(median(xs)),
      fmt(Math.max(...xs)),
      fmt(Math.min(...xs)),
    ]),
  ),
  '',
]
console.log(lines.join('\n'))
writeFileSync(new URL('../results/server-codec.md', import.meta.url), lines.join('\n'))
