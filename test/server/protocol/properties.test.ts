/**
 * Property tests of the codec: however a stream is cut into chunks the same
 * messages come out; truncated streams wait; garbage and corrupted streams
 * raise only ProtocolViolation and never loop; backend messages read back by
 * pg-protocol's Parser carry what was written.
 */
import fc from 'fast-check'
import { serialize } from 'pg-protocol'
import { describe, expect, it } from 'vitest'
import {
  BackendWriter,
  type DataValue,
  type DecoderPhase,
  type ErrorFields,
  type FieldDescription,
  FrontendDecoder,
  type FrontendMessage,
  ProtocolViolation,
} from '../../../src/server/protocol/index.js'
import { cstr, frame, i16, i32, packet, parseBackend, splitBackend, u32 } from './helpers.js'

const RUNS = { numRuns: 300 }

/** strings PostgreSQL can carry in a NUL-terminated field */
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'))
const name = fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).filter((s) => !s.includes('\0'))
const bytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))

/** a frontend message as bytes, with the fields the decoder must find */
type Sample = { bytes: Buffer; expected: Record<string, unknown> }

const query = text.map((sql): Sample => ({ bytes: serialize.query(sql), expected: { type: 'Query', sql } }))
const parse = fc
  .record({ name, sql: text, types: fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { maxLength: 5 }) })
  .map(
    ({ name, sql, types }): Sample => ({
      bytes: serialize.parse({ name, text: sql, types }),
      expected: { type: 'Parse', name, sql, paramTypes: types },
    }),
  )
const bind = fc
  .record({
    portal: name,
    statement: name,
    values: fc.array(fc.oneof(text, bytes, fc.constant(null)), { maxLength: 6 }),
    binary: fc.boolean(),
  })
  .map(({ portal, statement, values, binary }): Sample => {
    return {
      bytes: serialize.bind({ portal, statement, values, binary }),
      expected: {
        type: 'Bind',
        portal,
        statement,
        paramFormats: values.map((v) => (Buffer.isBuffer(v) ? 1 : 0)),
        params: values.map((v) => (v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v))),
        resultFormats: [binary ? 1 : 0],
      },
    }
  })
const describeOrClose = fc
  .record({
    kind: fc.constantFrom('Describe', 'Close'),
    target: fc.constantFrom('S' as const, 'P' as const),
    name,
  })
  .map(({ kind, target, name }): Sample => {
    const b =
      kind === 'Describe'
        ? serialize.describe({ type: target, name })
        : serialize.close({ type: target, name })
    return { bytes: b, expected: { type: kind, target, name } }
  })
const execute = fc.record({ portal: name, rows: fc.integer({ min: 0, max: 0x7fffffff }) }).map(
  ({ portal, rows }): Sample => ({
    bytes: serialize.execute({ portal, rows }),
    expected: { type: 'Execute', portal, maxRows: rows },
  }),
)
const simple = fc.constantFrom<Sample>(
  { bytes: serialize.sync(), expected: { type: 'Sync' } },
  { bytes: serialize.flush(), expected: { type: 'Flush' } },
  { bytes: serialize.copyDone(), expected: { type: 'CopyDone' } },
)
const copyData = bytes.map(
  (data): Sample => ({ bytes: serialize.copyData(data), expected: { type: 'CopyData', data } }),
)
const copyFail = text.map(
  (message): Sample => ({ bytes: serialize.copyFail(message), expected: { type: 'CopyFail', message } }),
)
const functionCall = fc
  .record({
    oid: fc.integer({ min: 0, max: 0xffffffff }),
    args: fc.array(fc.oneof(bytes, fc.constant(null)), { maxLength: 4 }),
    result: fc.constantFrom(0, 1),
  })
  .map(
    ({ oid, args, result }): Sample => ({
      bytes: frame(
        'F',
        u32(oid),
        i16(1),
        i16(1),
        i16(args.length),
        ...args.flatMap((a) => (a === null ? [i32(-1)] : [i32(a.length), a])),
        i16(result),
      ),
      expected: { type: 'FunctionCall', functionOid: oid, argFormats: [1], args, resultFormat: result },
    }),
  )

const message = fc.oneof(
  query,
  parse,
  bind,
  describeOrClose,
  execute,
  simple,
  copyData,
  copyFail,
  functionCall,
)
const stream = fc.array(message, { minLength: 1, maxLength: 12 })

/** cut `b` at the given fractions */
function cut(b: Buffer, fractions: number[]): Buffer[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * b.length)))].sort((x, y) => x - y)
  const out: Buffer[] = []
  let last = 0
  for (const p of points) {
    out.push(b.subarray(last, p))
    last = p
  }
  out.push(b.subarray(last))
  return out
}

function fieldsOf(m: FrontendMessage, keys: string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {}
  for (const k of keys) r[k] = (m as unknown as Record<string, unknown>)[k]
  return r
}

/**
 * Feed chunks, pulling after each; go on after field errors (the stream is
 * still in sync), stop at a fatal one. Fails the test on anything but a
 * ProtocolViolation, on an internal error, and on a decoder that neither
 * consumes nor waits.
 */
function feed(d: FrontendDecoder, chunks: Buffer[]) {
  const messages: FrontendMessage[] = []
  const errors: ProtocolViolation[] = []
  let steps = 0
  outer: for (const c of chunks) {
    d.push(c)
    for (;;) {
      if (++steps > 100_000) throw new Error('decoder does not make progress')
      const before = d.buffered
      let m: FrontendMessage | null
      try {
        m = d.next()
      } catch (e) {
        if (!(e instanceof ProtocolViolation)) throw e
        expect((e as { cause?: unknown }).cause).toBeUndefined()
        errors.push(e)
        if (e.fatal) break outer
        expect(d.buffered).toBeLessThan(before)
        continue
      }
      if (m === null) break
      expect(d.buffered).toBeLessThan(before)
      messages.push(m)
    }
  }
  return { messages, errors }
}

describe('frontend decoder properties', () => {
  it('yields the same messages however the stream is split', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }),
        (samples, fr) => {
          const all = Buffer.concat(samples.map((s) => s.bytes))
          const { messages, errors } = feed(new FrontendDecoder({ phase: 'normal' }), cut(all, fr))
          expect(errors).toEqual([])
          expect(messages).toHaveLength(samples.length)
          messages.forEach((m, i) => {
            const s = samples[i]!
            expect(fieldsOf(m, Object.keys(s.expected))).toEqual(s.expected)
            expect(m.raw.equals(s.bytes)).toBe(true)
          })
        },
      ),
      RUNS,
    )
  })

  it('waits on a truncated stream, then completes it', () => {
    fc.assert(
      fc.property(stream, fc.double({ min: 0, max: 1, noNaN: true }), (samples, f) => {
        const all = Buffer.concat(samples.map((s) => s.bytes))
        const at = Math.floor(f * all.length)
        const d = new FrontendDecoder({ phase: 'normal' })
        const first = feed(d, [all.subarray(0, at)])
        expect(first.errors).toEqual([])
        // exactly the messages wholly inside the prefix
        let whole = 0
        let end = 0
        for (const s of samples) {
          if (end + s.bytes.length > at) break
          end += s.bytes.length
          whole++
        }
        expect(first.messages).toHaveLength(whole)
        expect(d.buffered).toBe(at - end)
        const rest = feed(d, [all.subarray(at)])
        expect(rest.errors).toEqual([])
        expect(first.messages.length + rest.messages.length).toBe(samples.length)
      }),
      RUNS,
    )
  })

  const phases: DecoderPhase[] = ['startup', 'password', 'sasl', 'normal']

  it('raises only ProtocolViolation on random bytes, in every phase', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...phases),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        (phase, data, fr) => {
          const d = new FrontendDecoder({ phase })
          const { errors } = feed(d, cut(Buffer.from(data), fr))
          const fatal = errors.find((e) => e.fatal)
          if (fatal) {
            expect(() => d.next()).toThrow(fatal)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('raises only ProtocolViolation on corrupted valid streams', () => {
    const edit = fc.oneof(
      fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({
        op: fc.constant('insert' as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
    )
    fc.assert(
      fc.property(
        stream,
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (samples, edits, fr) => {
          let all = Buffer.concat(samples.map((s) => s.bytes))
          for (const e of edits) {
            const at = e.at % (all.length + 1)
            if (e.op === 'flip' && at < all.length) {
              all = Buffer.from(all)
              all[at] = e.value
            } else if (e.op === 'delete' && at < all.length) {
              all = Buffer.concat([all.subarray(0, at), all.subarray(at + 1)])
            } else if (e.op === 'insert') {
              all = Buffer.concat([all.subarray(0, at), Buffer.from([e.value]), all.subarray(at)])
            }
          }
          feed(new FrontendDecoder({ phase: 'normal' }), cut(all, fr))
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('well-framed messages with random bodies: each is a message or an ERROR, and decoding goes on', () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      // bodies made of plausible pieces: short strings, small counts, lengths
      fc
        .array(
          fc.oneof(
            name.map((s) => cstr(s)),
            fc.integer({ min: -2, max: 4 }).map((n) => i16(n)),
            fc.integer({ min: -3, max: 8 }).map((n) => i32(n)),
            fc.constantFrom(Buffer.from('S'), Buffer.from('P'), Buffer.from([0])),
          ),
          { maxLength: 8 },
        )
        .map((parts) => Buffer.concat(parts)),
    )
    const framed = fc
      .tuple(fc.constantFrom(...'QPBDCESHXdcfF'), body)
      .map(([t, b]) => frame(t, Buffer.from(b)))
    fc.assert(
      fc.property(
        fc.array(framed, { minLength: 1, maxLength: 10 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (frames, fr) => {
          const { messages, errors } = feed(
            new FrontendDecoder({ phase: 'normal' }),
            cut(Buffer.concat(frames), fr),
          )
          expect(errors.every((e) => e.level === 'ERROR')).toBe(true)
          expect(messages.length + errors.length).toBe(frames.length)
          for (const m of messages) expect(frames.some((f) => f.equals(m.raw))).toBe(true)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('reads startup packets built from random parameters, split anywhere', () => {
    const params = fc.array(
      fc.tuple(
        name.filter((s) => s.length > 0),
        text,
      ),
      { maxLength: 6 },
    )
    fc.assert(
      fc.property(
        params,
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (ps, minor, fr) => {
          const body = Buffer.concat([...ps.flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.from([0])])
          const pre = [serialize.requestSsl(), packet(80877104)]
          const all = Buffer.concat([...pre, packet((3 << 16) | minor, body)])
          const { messages, errors } = feed(
            new FrontendDecoder({ maxStartupPacketLength: 100_000 }),
            cut(all, fr),
          )
          expect(errors).toEqual([])
          expect(messages.map((m) => m.type)).toEqual(['SSLRequest', 'GSSENCRequest', 'StartupMessage'])
          expect(messages[2]).toMatchObject({ major: 3, minor, parameters: ps })
        },
      ),
      RUNS,
    )
  })
})

describe('backend encoder properties (read back by pg-protocol)', () => {
  const value: fc.Arbitrary<DataValue> = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 40, maxLength: 400 }),
    fc.string({ unit: 'grapheme', minLength: 48, maxLength: 200 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map((s) => Buffer.from(s)),
    fc.constant(null),
  )

  it('DataRow', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { maxLength: 12 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 64, max: 4096 }),
        (rows, slab) => {
          const w = new BackendWriter(slab)
          for (const r of rows) w.dataRow(r)
          const got = parseBackend(w.flush())
          expect(got.map((m) => m.fields)).toEqual(
            rows.map((r) => r.map((v) => (v === null ? null : Buffer.isBuffer(v) ? v.toString() : v))),
          )
        },
      ),
      RUNS,
    )
  })

  it('strings are written as Buffer.from writes them (astral characters, lone surrogates)', () => {
    const any = fc.string({ unit: 'binary', maxLength: 100 })
    fc.assert(
      fc.property(fc.array(any, { maxLength: 6 }), (values) => {
        const [[, body]] = splitBackend(new BackendWriter(64).dataRow(values).flush()) as [[string, Buffer]]
        let at = 2
        for (const v of values) {
          const len = body.readInt32BE(at)
          expect(body.subarray(at + 4, at + 4 + len)).toEqual(Buffer.from(v))
          at += 4 + len
        }
        expect(at).toBe(body.length)
      }),
      RUNS,
    )
  })

  it('RowDescription', () => {
    const field: fc.Arbitrary<FieldDescription> = fc.record({
      name: text,
      tableOid: fc.integer({ min: 0, max: 0xffffffff }),
      columnAttr: fc.integer({ min: -32768, max: 32767 }),
      typeOid: fc.integer({ min: 0, max: 0xffffffff }),
      typeSize: fc.integer({ min: -32768, max: 32767 }),
      typmod: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      format: fc.constantFrom(0, 1),
    })
    fc.assert(
      fc.property(fc.array(field, { maxLength: 20 }), (fields) => {
        const [m] = parseBackend(new BackendWriter(64).rowDescription(fields).flush())
        expect(m!.fields).toEqual(
          fields.map((f) =>
            expect.objectContaining({
              name: f.name,
              tableID: f.tableOid,
              columnID: f.columnAttr,
              dataTypeID: f.typeOid,
              dataTypeSize: f.typeSize,
              dataTypeModifier: f.typmod,
              format: f.format === 0 ? 'text' : 'binary',
            }),
          ),
        )
      }),
      RUNS,
    )
  })

  it('ErrorResponse, NoticeResponse, ParameterStatus, CommandComplete', () => {
    const opt = fc.option(text, { nil: undefined })
    const fields = fc.record({
      severity: opt,
      code: fc.option(fc.stringMatching(/^[0-9A-Z]{5}$/), { nil: undefined }),
      message: text,
      detail: opt,
      hint: opt,
      where: opt,
      schema: opt,
      table: opt,
      routine: opt,
    }) as fc.Arbitrary<ErrorFields>
    fc.assert(
      fc.property(fields, fc.boolean(), text, text, (f, notice, k, v) => {
        const w = new BackendWriter(64)
        if (notice) w.noticeResponse(f)
        else w.errorResponse(f)
        w.parameterStatus(k, v).commandComplete(v)
        const [e, ps, cc] = parseBackend(w.flush())
        expect(e).toMatchObject({
          name: notice ? 'notice' : 'error',
          severity: f.severity ?? (notice ? 'NOTICE' : 'ERROR'),
          code: f.code ?? (notice ? '00000' : 'XX000'),
          message: f.message,
          detail: f.detail,
          hint: f.hint,
          where: f.where,
          schema: f.schema,
          table: f.table,
          routine: f.routine,
        })
        expect(ps).toMatchObject({ parameterName: k, parameterValue: v })
        expect(cc).toMatchObject({ text: v })
      }),
      RUNS,
    )
  })
})
