/**
 * The wire codec without I/O: frontend messages byte for byte as the
 * protocol documentation lays them out, the incremental splitter under any
 * chunking, and the backend message parsers.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  bindMessage,
  CANCEL_REQUEST_CODE,
  cancelRequest,
  closeMessage,
  dataRowMessage,
  dataRowValues,
  describeMessage,
  errorResponseMessage,
  executeMessage,
  extendedQuery,
  FLUSH,
  MessageSplitter,
  MessageWriter,
  parseAuthentication,
  parseBackendKeyData,
  parseCommandComplete,
  parseDataRowText,
  parseErrorResponse,
  parseMessage,
  parseNegotiateProtocolVersion,
  parseNoticeResponse,
  parseNotification,
  parseParameterDescription,
  parseParameterStatus,
  parseReadyForQuery,
  parseRowDescription,
  passwordMessage,
  queryMessage,
  SSL_REQUEST_CODE,
  SYNC,
  saslInitialResponse,
  saslResponse,
  sslRequest,
  startupMessage,
  TERMINATE,
  WireNotice,
  WireProtocolError,
  WireServerError,
} from '../../../src/runtime/wire/index.js'

/** A message from its type, and body parts (strings are written NUL-terminated, numbers as Int32). */
function msg(type: string, ...parts: (string | number | Buffer | { i16: number })[]): Buffer {
  const body = Buffer.concat(
    parts.map((p) => {
      if (typeof p === 'string') return Buffer.from(`${p}\0`)
      if (typeof p === 'number') {
        const b = Buffer.alloc(4)
        b.writeInt32BE(p)
        return b
      }
      if (Buffer.isBuffer(p)) return p
      const b = Buffer.alloc(2)
      b.writeInt16BE(p.i16)
      return b
    }),
  )
  const head = Buffer.alloc(5)
  head.write(type, 0, 'latin1')
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

const hex = (b: Buffer) => b.toString('hex')

describe('frontend messages', () => {
  it('StartupMessage: length, protocol 3.0, name/value pairs, final NUL', () => {
    const m = startupMessage({ user: 'bob', database: 'db', client_encoding: 'UTF8', skipped: undefined })
    const body = Buffer.from('user\0bob\0database\0db\0client_encoding\0UTF8\0\0')
    expect(m.readInt32BE(0)).toBe(m.length)
    expect(m.readInt32BE(4)).toBe(196608)
    expect(m.subarray(8).equals(body)).toBe(true)
  })

  it('SSLRequest and CancelRequest', () => {
    expect(hex(sslRequest())).toBe('0000000804d2162f')
    expect(SSL_REQUEST_CODE).toBe((1234 << 16) | 5679)
    expect(CANCEL_REQUEST_CODE).toBe((1234 << 16) | 5678)
    const c = cancelRequest(4242, -7)
    expect(c.length).toBe(16)
    expect([c.readInt32BE(0), c.readInt32BE(4), c.readInt32BE(8), c.readInt32BE(12)]).toEqual([
      16, 80877102, 4242, -7,
    ])
  })

  it('PasswordMessage, SASLInitialResponse, SASLResponse', () => {
    expect(passwordMessage('sécret').equals(msg('p', 'sécret'))).toBe(true)
    expect(
      saslInitialResponse('SCRAM-SHA-256', 'n,,n=,r=abc').equals(
        msg('p', 'SCRAM-SHA-256', 11, Buffer.from('n,,n=,r=abc')),
      ),
    ).toBe(true)
    expect(saslResponse('c=biws,r=x,p=y').equals(msg('p', Buffer.from('c=biws,r=x,p=y')))).toBe(true)
  })

  it('Query, Parse, Describe, Execute, Close, Sync, Flush, Terminate', () => {
    expect(queryMessage('select 1').equals(msg('Q', 'select 1'))).toBe(true)
    expect(parseMessage('', 'select $1').equals(msg('P', '', 'select $1', { i16: 0 }))).toBe(true)
    expect(
      parseMessage('s1', 'select $1, $2', [23, 25]).equals(
        msg('P', 's1', 'select $1, $2', { i16: 2 }, 23, 25),
      ),
    ).toBe(true)
    expect(describeMessage('P').equals(msg('D', Buffer.from('P'), ''))).toBe(true)
    expect(describeMessage('S', 'st').equals(msg('D', Buffer.from('S'), 'st'))).toBe(true)
    expect(executeMessage('', 0).equals(msg('E', '', 0))).toBe(true)
    expect(executeMessage('p', 10).equals(msg('E', 'p', 10))).toBe(true)
    expect(closeMessage('S', 'st').equals(msg('C', Buffer.from('S'), 'st'))).toBe(true)
    expect(SYNC.equals(msg('S'))).toBe(true)
    expect(FLUSH.equals(msg('H'))).toBe(true)
    expect(TERMINATE.equals(msg('X'))).toBe(true)
  })

  it('Bind: text parameters (strings, Buffers, NULL), no format codes, text results', () => {
    const b = bindMessage(['42', null, Buffer.from([1, 2]), 'ü', undefined], 'portal', 'stmt')
    const expected = msg(
      'B',
      'portal',
      'stmt',
      { i16: 0 },
      { i16: 5 },
      2,
      Buffer.from('42'),
      -1,
      2,
      Buffer.from([1, 2]),
      2,
      Buffer.from('ü'),
      -1,
      { i16: 0 },
    )
    expect(hex(b)).toBe(hex(expected))
  })

  it('extendedQuery = Parse + Bind + Describe portal + Execute + Sync in one buffer', () => {
    const parse = parseMessage('', 'select $1::int, $2::text')
    const values = ['7', 'a long enough text value with ünïcödé, longer than thirty-two characters']
    expect(hex(extendedQuery(parse, values))).toBe(
      hex(Buffer.concat([parse, bindMessage(values), describeMessage('P'), executeMessage(), SYNC])),
    )
    expect(hex(extendedQuery(parse, []))).toBe(
      hex(Buffer.concat([parse, bindMessage([]), describeMessage('P'), executeMessage(), SYNC])),
    )
  })

  it('extendedQuery encodes any text as UTF-8 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ unit: 'grapheme', maxLength: 60 }))), (values) => {
        const parse = parseMessage('', 'q')
        const out = extendedQuery(parse, values)
        const bind = out.subarray(parse.length, parse.length + 1 + out.readInt32BE(parse.length + 1))
        let p = 1 + 4 + 1 + 1 + 2
        expect(bind.readInt16BE(p)).toBe(values.length)
        p += 2
        for (const v of values) {
          const n = bind.readInt32BE(p)
          p += 4
          if (v === null) expect(n).toBe(-1)
          else {
            expect(bind.toString('utf8', p, p + n)).toBe(v)
            p += n
          }
        }
        expect(bind.readInt16BE(p)).toBe(0)
        expect(p + 2).toBe(bind.length)
      }),
    )
  })

  it('MessageWriter builds several messages and refuses misuse', () => {
    const w = new MessageWriter(4)
    const two = w.begin('Q').cstring('a').end().begin('Q').cstring('bb').end().take()
    expect(two.equals(Buffer.concat([msg('Q', 'a'), msg('Q', 'bb')]))).toBe(true)
    expect(() => w.begin('Q').begin('Q')).toThrow('begin() inside a message')
    expect(() => new MessageWriter().end()).toThrow('end() outside a message')
  })
})

describe('MessageSplitter', () => {
  const stream = Buffer.concat([
    msg('1'),
    msg('2'),
    msg('T', { i16: 1 }, 'a', 0, { i16: 0 }, 23, { i16: 4 }, -1, { i16: 0 }),
    msg('D', { i16: 1 }, 1, Buffer.from('7')),
    msg('D', { i16: 1 }, 70000, Buffer.alloc(70000, 0x61)),
    msg('C', 'SELECT 2'),
    msg('Z', Buffer.from('I')),
  ])
  const types = '12TDDCZ'

  const collect = (chunks: Buffer[]) => {
    const out: { type: string; message: Buffer; buf: Buffer; start: number }[] = []
    const s = new MessageSplitter((type, buf, start, end) => {
      out.push({
        type: String.fromCharCode(type),
        message: Buffer.from(buf.subarray(start, end)),
        buf,
        start,
      })
    })
    for (const c of chunks) s.push(c)
    expect(s.pending).toBe(false)
    return out
  }

  it('one chunk: every message, as ranges of that chunk (no copy)', () => {
    const out = collect([stream])
    expect(out.map((m) => m.type).join('')).toBe(types)
    for (const m of out) expect(m.buf).toBe(stream)
    expect(Buffer.concat(out.map((m) => m.message)).equals(stream)).toBe(true)
  })

  it('byte by byte', () => {
    const chunks = Array.from(stream, (b) => Buffer.from([b]))
    const out = collect(chunks)
    expect(out.map((m) => m.type).join('')).toBe(types)
    expect(Buffer.concat(out.map((m) => m.message)).equals(stream)).toBe(true)
  })

  it('any chunking gives the same messages (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b)
        const chunks: Buffer[] = []
        let last = 0
        for (const p of points) {
          chunks.push(stream.subarray(last, p))
          last = p
        }
        chunks.push(stream.subarray(last))
        const out = collect(chunks)
        expect(out.map((m) => m.type).join('')).toBe(types)
        expect(Buffer.concat(out.map((m) => m.message)).equals(stream)).toBe(true)
      }),
    )
  })

  it('buffers handed out are not overwritten by later chunks', () => {
    const kept: Buffer[] = []
    const s = new MessageSplitter((_, buf, start, end) => kept.push(buf.subarray(start, end)))
    const half = Math.floor(stream.length / 2)
    s.push(Buffer.from(stream.subarray(0, half)))
    s.push(Buffer.from(stream.subarray(half)))
    s.push(Buffer.from(stream))
    expect(Buffer.concat(kept).equals(Buffer.concat([stream, stream]))).toBe(true)
  })

  it('refuses lengths below 4 and messages over the limit', () => {
    const s = new MessageSplitter(() => {}, 1024)
    expect(() => s.push(Buffer.from([0x44, 0, 0, 0, 3]))).toThrow(WireProtocolError)
    const t = new MessageSplitter(() => {}, 1024)
    expect(() => t.push(Buffer.from([0x44, 0, 0, 4, 0]))).toThrow(/too large/)
    // the guard holds when the header arrives in pieces too
    const u = new MessageSplitter(() => {}, 1024)
    u.push(Buffer.from([0x44, 0x7f]))
    expect(() => u.push(Buffer.from([0xff, 0xff, 0xff]))).toThrow(/too large/)
  })
})

describe('backend messages', () => {
  const parse = <T>(m: Buffer, f: (buf: Buffer, start: number, end: number) => T): T => {
    // embedded at an offset, as the splitter hands them out
    const padded = Buffer.concat([Buffer.from('xyz'), m, Buffer.from('!')])
    return f(padded, 3, 3 + m.length)
  }

  it('Authentication requests', () => {
    expect(parse(msg('R', 0), parseAuthentication)).toEqual({ code: 0 })
    expect(parse(msg('R', 3), parseAuthentication)).toEqual({ code: 3 })
    expect(parse(msg('R', 5, Buffer.from([1, 2, 3, 4])), parseAuthentication)).toEqual({
      code: 5,
      salt: Buffer.from([1, 2, 3, 4]),
    })
    expect(parse(msg('R', 10, 'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', ''), parseAuthentication)).toEqual({
      code: 10,
      mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'],
    })
    expect(parse(msg('R', 11, Buffer.from('r=a,s=b,i=1')), parseAuthentication)).toEqual({
      code: 11,
      data: 'r=a,s=b,i=1',
    })
    expect(parse(msg('R', 12, Buffer.from('v=xyz')), parseAuthentication)).toEqual({
      code: 12,
      data: 'v=xyz',
    })
    expect(parse(msg('R', 7), parseAuthentication)).toEqual({ code: 7 })
  })

  it('ParameterStatus, BackendKeyData, ReadyForQuery, CommandComplete', () => {
    expect(parse(msg('S', 'TimeZone', 'Europe/Zürich'), parseParameterStatus)).toEqual([
      'TimeZone',
      'Europe/Zürich',
    ])
    expect(parse(msg('K', 123, -456), parseBackendKeyData)).toEqual({ processId: 123, secretKey: -456 })
    expect(parse(msg('Z', Buffer.from('T')), (b, s) => parseReadyForQuery(b, s))).toBe('T')
    expect(parse(msg('C', 'INSERT 0 1'), parseCommandComplete)).toBe('INSERT 0 1')
  })

  it('RowDescription: every attribute of every field', () => {
    const m = msg(
      'T',
      { i16: 2 },
      'id',
      16384,
      { i16: 1 },
      23,
      { i16: 4 },
      -1,
      { i16: 0 },
      'näme',
      0,
      { i16: 0 },
      1043,
      { i16: -1 },
      24,
      { i16: 1 },
    )
    expect(parse(m, parseRowDescription).map((f) => ({ ...f }))).toEqual([
      { name: 'id', tableOid: 16384, columnAttr: 1, typeOid: 23, typeSize: 4, typmod: -1, format: 0 },
      { name: 'näme', tableOid: 0, columnAttr: 0, typeOid: 1043, typeSize: -1, typmod: 24, format: 1 },
    ])
    // OIDs are unsigned
    const big = msg('T', { i16: 1 }, 'x', -1, { i16: 0 }, -2, { i16: 0 }, 0, { i16: 0 })
    expect(parse(big, parseRowDescription)[0]).toMatchObject({ tableOid: 4294967295, typeOid: 4294967294 })
  })

  it('DataRow: text values, raw values, and the builder', () => {
    const m = msg('D', { i16: 4 }, 1, Buffer.from('1'), -1, 0, 3, Buffer.from('ü!'))
    expect(parse(m, parseDataRowText)).toEqual(['1', null, '', 'ü!'])
    expect(dataRowValues(m).map((v) => (v === null ? null : v.toString()))).toEqual(['1', null, '', 'ü!'])
    const values = dataRowValues(m)
    expect(values[0]!.buffer).toBe(m.buffer) // subarrays, not copies
    expect(dataRowMessage(['1', null, '', Buffer.from('ü!')]).equals(m)).toBe(true)
    expect(() => dataRowValues(msg('C', 'x'))).toThrow(WireProtocolError)
    const truncated = Buffer.from(m.subarray(0, m.length - 1))
    truncated.writeInt32BE(truncated.length - 1, 1)
    expect(() => dataRowValues(truncated)).toThrow(/too short/)
  })

  it('ParameterDescription, NegotiateProtocolVersion, NotificationResponse', () => {
    expect(parse(msg('t', { i16: 2 }, 23, -1), parseParameterDescription)).toEqual([23, 4294967295])
    expect(parse(msg('v', 0, 2, '_pq_.a', '_pq_.b'), parseNegotiateProtocolVersion)).toEqual({
      minorVersion: 0,
      unrecognized: ['_pq_.a', '_pq_.b'],
    })
    expect(parse(msg('A', 99, 'chan', 'payload'), parseNotification)).toEqual({
      processId: 99,
      channel: 'chan',
      payload: 'payload',
    })
  })

  it('ErrorResponse and NoticeResponse: every field, unknown fields ignored', () => {
    const all = {
      severity: 'ERREUR',
      severityNonLocalized: 'ERROR',
      code: '23505',
      message: 'duplicate key',
      detail: 'Key (id)=(1) already exists.',
      hint: 'a hint',
      position: '12',
      internalPosition: '3',
      internalQuery: 'select 1',
      where: 'SQL function "f"',
      schema: 'public',
      table: 't',
      column: 'id',
      dataType: 'int4',
      constraint: 't_pkey',
      file: 'nbtinsert.c',
      line: '664',
      routine: '_bt_check_unique',
    }
    const m = errorResponseMessage(all)
    const e = parse(m, parseErrorResponse)
    expect(e).toBeInstanceOf(WireServerError)
    expect(e).toBeInstanceOf(Error)
    expect(e.message).toBe('duplicate key')
    expect({ ...e, message: e.message }).toEqual({ ...all, name: 'WireServerError' })
    const n = parse(
      errorResponseMessage({ message: 'hi', code: '00000', severity: 'NOTICE' }, 'N'),
      parseNoticeResponse,
    )
    expect(n).toBeInstanceOf(WireNotice)
    expect({ ...n }).toMatchObject({ severity: 'NOTICE', code: '00000', message: 'hi', detail: undefined })
    const unknown = msg(
      'E',
      Buffer.from('SERROR\0'),
      Buffer.from('Zfuture\0'),
      Buffer.from('Mmsg\0'),
      Buffer.from([0]),
    )
    expect(parse(unknown, parseErrorResponse)).toMatchObject({ severity: 'ERROR', message: 'msg' })
  })

  it('errors and notices have one shape whatever fields they carry (no megamorphic objects)', () => {
    const a = parse(errorResponseMessage({ message: 'a' }), parseErrorResponse)
    const b = parse(errorResponseMessage({ message: 'b', detail: 'd', table: 't' }), parseErrorResponse)
    expect(Object.keys(a)).toEqual(Object.keys(b))
  })
})
