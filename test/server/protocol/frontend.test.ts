import { serialize } from 'pg-protocol'
import { describe, expect, it } from 'vitest'
import {
  type Bind,
  type CancelRequest,
  decodePasswordMessage,
  decodeSASLInitialResponse,
  decodeSASLResponse,
  FrontendDecoder,
  type FrontendMessage,
  type PasswordMessage,
  ProtocolViolation,
  protocolNegotiation,
  type StartupMessage,
  startupParameter,
  unencryptedDataAfter,
} from '../../../src/server/protocol/index.js'
import { cstr, decodeAll, decodeError, frame, i16, i32, packet, u32 } from './helpers.js'

function violation(e: unknown): ProtocolViolation {
  expect(e).toBeInstanceOf(ProtocolViolation)
  return e as ProtocolViolation
}

function expectViolation(
  e: unknown,
  message: string,
  level: ProtocolViolation['level'],
  code = '08P01',
): ProtocolViolation {
  const v = violation(e)
  expect({ message: v.message, level: v.level, code: v.code }).toEqual({ message, level, code })
  return v
}

function one(bytes: Buffer, options?: ConstructorParameters<typeof FrontendDecoder>[0]): FrontendMessage {
  const all = decodeAll(bytes, options)
  expect(all).toHaveLength(1)
  return all[0]!
}

const startup = (params: Record<string, string>, version = 0x30000): Buffer => {
  const body = Buffer.concat([
    ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]),
    Buffer.from([0]),
  ])
  return packet(version, body)
}

describe('startup phase', () => {
  it('reads a StartupMessage with its parameters in order and moves to the password phase', () => {
    const d = new FrontendDecoder()
    expect(d.phase).toBe('startup')
    const bytes = serialize.startup({ user: 'bob', database: 'shop', application_name: 'psql' })
    d.push(bytes)
    const m = d.next() as StartupMessage
    expect(m.type).toBe('StartupMessage')
    expect(m.major).toBe(3)
    expect(m.minor).toBe(0)
    expect(m.parameters).toEqual([
      ['user', 'bob'],
      ['database', 'shop'],
      ['application_name', 'psql'],
      ['client_encoding', 'UTF8'],
    ])
    expect(m.raw.equals(bytes)).toBe(true)
    expect(d.phase).toBe('password')
    expect(d.next()).toBeNull()
  })

  it('keeps duplicate and empty parameters; the last value of a name wins', () => {
    const m = one(
      Buffer.concat([
        packet(
          0x30000,
          Buffer.concat([
            cstr('user'),
            cstr('a'),
            cstr('options'),
            cstr(''),
            cstr('user'),
            cstr('b'),
            Buffer.from([0]),
          ]),
        ),
      ]),
      { phase: 'startup' },
    ) as StartupMessage
    expect(m.parameters).toEqual([
      ['user', 'a'],
      ['options', ''],
      ['user', 'b'],
    ])
    expect(startupParameter(m, 'user')).toBe('b')
    expect(startupParameter(m, 'database')).toBeUndefined()
  })

  it('reads UTF-8 parameter values', () => {
    const m = one(startup({ user: 'jürgen', application_name: 'データ' }), {
      phase: 'startup',
    }) as StartupMessage
    expect(m.parameters).toEqual([
      ['user', 'jürgen'],
      ['application_name', 'データ'],
    ])
  })

  it('accepts a packet with only the terminator', () => {
    const m = one(packet(0x30000, Buffer.from([0])), { phase: 'startup' }) as StartupMessage
    expect(m.parameters).toEqual([])
  })

  it('reads SSLRequest and GSSENCRequest, then the StartupMessage that follows', () => {
    const d = new FrontendDecoder()
    d.push(Buffer.concat([serialize.requestSsl(), packet(80877104), startup({ user: 'u' })]))
    expect(d.next()?.type).toBe('SSLRequest')
    expect(d.phase).toBe('startup')
    expect(d.next()?.type).toBe('GSSENCRequest')
    expect(d.next()?.type).toBe('StartupMessage')
  })

  it('refuses a second SSLRequest as an unsupported protocol, as PostgreSQL does', () => {
    const d = new FrontendDecoder()
    d.push(Buffer.concat([serialize.requestSsl(), serialize.requestSsl()]))
    expect(d.next()?.type).toBe('SSLRequest')
    let e: unknown
    try {
      d.next()
    } catch (err) {
      e = err
    }
    expectViolation(
      e,
      'unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0',
      'FATAL',
      '0A000',
    )
  })

  it('exposes what followed an SSLRequest, for the unencrypted-data check', () => {
    const d = new FrontendDecoder()
    d.push(Buffer.concat([serialize.requestSsl(), Buffer.from('Q\0\0')]))
    expect(d.next()?.type).toBe('SSLRequest')
    expect(d.buffered).toBe(3)
    expect(d.takeBuffered().toString()).toBe('Q\0\0')
    expect(d.buffered).toBe(0)
    const v = unencryptedDataAfter('SSLRequest')
    expect(v.message).toBe('received unencrypted data after SSL request')
    expect(v.level).toBe('FATAL')
    expect(v.detail).toMatch(/man-in-the-middle/)
    expect(unencryptedDataAfter('GSSENCRequest').message).toBe(
      'received unencrypted data after GSSAPI encryption request',
    )
  })

  it('reads a 3.0 CancelRequest', () => {
    const m = one(serialize.cancel(4242, -559038737), { phase: 'startup' }) as CancelRequest
    expect(m.type).toBe('CancelRequest')
    expect(m.processId).toBe(4242)
    expect(m.secretKey.readInt32BE(0)).toBe(-559038737)
    expect(m.secretKey).toHaveLength(4)
  })

  it('reads protocol 3.2 cancel keys up to 256 bytes, and refuses other sizes', () => {
    for (const n of [4, 32, 256]) {
      const key = Buffer.alloc(n, 7)
      const m = one(packet(80877102, Buffer.concat([i32(7), key])), { phase: 'startup' }) as CancelRequest
      expect(m.secretKey.equals(key)).toBe(true)
    }
    for (const n of [0, 3, 257]) {
      expectViolation(
        decodeError(packet(80877102, Buffer.concat([i32(7), Buffer.alloc(n)])), { phase: 'startup' }),
        'invalid length of cancel key in cancel request packet',
        'COMMERROR',
      )
    }
    expectViolation(
      decodeError(packet(80877102, Buffer.alloc(2)), { phase: 'startup' }),
      'invalid length of cancel request packet',
      'COMMERROR',
    )
  })

  it('refuses a bad startup length as soon as the length word arrives', () => {
    for (const len of [0, 3, 4, 7, 10005, -1, 0x7fffffff]) {
      const d = new FrontendDecoder()
      d.push(i32(len))
      let e: unknown
      try {
        d.next()
      } catch (err) {
        e = err
      }
      expectViolation(e, 'invalid length of startup packet', 'COMMERROR')
    }
    // the largest packet PostgreSQL reads
    const big = startup({ user: 'u', options: 'x'.repeat(10004 - 8 - 7 - 8 - 1 - 1) })
    expect(big.length).toBe(10004)
    expect(one(big, { phase: 'startup' }).type).toBe('StartupMessage')
  })

  it('refuses a protocol major version other than 3, naming the supported range', () => {
    expectViolation(
      decodeError(startup({ user: 'u' }, 0x20000), { phase: 'startup' }),
      'unsupported frontend protocol 2.0: server supports 3.0 to 3.0',
      'FATAL',
      '0A000',
    )
    expectViolation(
      decodeError(startup({ user: 'u' }, 0x40001), { phase: 'startup', latestMinor: 2 }),
      'unsupported frontend protocol 4.1: server supports 3.0 to 3.2',
      'FATAL',
      '0A000',
    )
  })

  it('accepts newer minor versions; protocolNegotiation says what to answer', () => {
    const m = one(startup({ user: 'u', '_pq_.grease': '1', '_pq_.x': 'y' }, 0x39999), {
      phase: 'startup',
    }) as StartupMessage
    expect(m.minor).toBe(0x9999)
    expect(protocolNegotiation(m, 2)).toEqual({
      newestMinor: 2,
      unrecognizedOptions: ['_pq_.grease', '_pq_.x'],
    })
    const plain = one(startup({ user: 'u' }, 0x30002), { phase: 'startup' }) as StartupMessage
    expect(protocolNegotiation(plain, 2)).toBeNull()
    expect(protocolNegotiation(plain, 0)).toEqual({ newestMinor: 0, unrecognizedOptions: [] })
  })

  it('refuses a bad parameter layout', () => {
    const cases = [
      Buffer.alloc(0), // no terminator at all
      Buffer.concat([cstr('user'), cstr('u')]), // no terminator
      Buffer.concat([cstr('user'), Buffer.from([0])]), // a name without value
      Buffer.concat([cstr('user'), Buffer.from('u')]), // a value without NUL
      Buffer.from('user'), // a name without NUL
      Buffer.concat([cstr('user'), cstr('u'), Buffer.from([0, 0])]), // bytes after the terminator
      Buffer.concat([cstr('user'), cstr('u'), Buffer.from('x')]), // a stray byte instead of the terminator
    ]
    for (const body of cases) {
      expectViolation(
        decodeError(packet(0x30000, body), { phase: 'startup' }),
        'invalid startup packet layout: expected terminator as last byte',
        'FATAL',
      )
    }
  })

  it('reports a packet cut short at end of input', () => {
    const d = new FrontendDecoder()
    expect(d.eofError()).toBeNull()
    d.push(startup({ user: 'u' }).subarray(0, 10))
    expect(d.next()).toBeNull()
    expect(d.eofError()?.message).toBe('incomplete startup packet')
  })
})

describe('normal phase: messages', () => {
  it('reads Query', () => {
    const bytes = serialize.query('select 1; select ’unicode’')
    const m = one(bytes)
    expect(m).toEqual({ type: 'Query', raw: bytes, sql: 'select 1; select ’unicode’' })
  })

  it('reads Parse with parameter type OIDs, unsigned', () => {
    const bytes = serialize.parse({ name: 's1', text: 'select $1, $2', types: [23, 0] })
    expect(one(bytes)).toEqual({
      type: 'Parse',
      raw: bytes,
      name: 's1',
      sql: 'select $1, $2',
      paramTypes: [23, 0],
    })
    const big = frame('P', cstr(''), cstr('x'), i16(1), u32(0xfffffffe))
    expect(one(big)).toMatchObject({ paramTypes: [0xfffffffe] })
  })

  it('reads Bind with text and binary parameters, NULLs and result formats', () => {
    const bytes = serialize.bind({
      portal: 'p1',
      statement: 's1',
      values: ['abc', null, Buffer.from([1, 2, 3]), ''],
      binary: true,
    })
    const m = one(bytes) as Bind
    expect(m.type).toBe('Bind')
    expect(m.portal).toBe('p1')
    expect(m.statement).toBe('s1')
    expect(m.paramFormats).toEqual([0, 0, 1, 0])
    expect(m.params.map((p) => (p === null ? null : [...p]))).toEqual([[97, 98, 99], null, [1, 2, 3], []])
    expect(m.resultFormats).toEqual([1])
    // parameter values are views into raw
    expect(m.params[0]!.buffer).toBe(m.raw.buffer)
  })

  it('reads Bind with no formats, a single format, and negative format codes as int16', () => {
    const m = one(
      frame('B', cstr(''), cstr(''), i16(1), i16(-2), i16(2), i32(1), 'x', i32(-1), i16(2), i16(0), i16(1)),
    )
    expect(m).toMatchObject({ paramFormats: [-2], resultFormats: [0, 1] })
    const none = one(frame('B', cstr(''), cstr(''), i16(0), i16(0), i16(0))) as Bind
    expect(none.paramFormats).toEqual([])
    expect(none.params).toEqual([])
    expect(none.resultFormats).toEqual([])
  })

  it('reads Describe, Close and Execute', () => {
    expect(one(serialize.describe({ type: 'S', name: 'st' }))).toMatchObject({
      type: 'Describe',
      target: 'S',
      name: 'st',
    })
    expect(one(serialize.describe({ type: 'P' }))).toMatchObject({ type: 'Describe', target: 'P', name: '' })
    expect(one(serialize.close({ type: 'P', name: 'cur' }))).toMatchObject({
      type: 'Close',
      target: 'P',
      name: 'cur',
    })
    expect(one(serialize.execute({ portal: 'cur', rows: 100 }))).toMatchObject({
      type: 'Execute',
      portal: 'cur',
      maxRows: 100,
    })
    expect(one(serialize.execute())).toMatchObject({ type: 'Execute', portal: '', maxRows: 0 })
  })

  it('reads Sync, Flush, Terminate, CopyDone (shared objects) and their raw bytes', () => {
    const msgs = decodeAll(
      Buffer.concat([serialize.sync(), serialize.flush(), serialize.end(), serialize.copyDone()]),
    )
    expect(msgs.map((m) => m.type)).toEqual(['Sync', 'Flush', 'Terminate', 'CopyDone'])
    expect(msgs.map((m) => m.raw.toString('hex'))).toEqual([
      '5300000004',
      '4800000004',
      '5800000004',
      '6300000004',
    ])
  })

  it('keeps the body of Terminate and CopyDone, which PostgreSQL does not check', () => {
    expect(one(frame('X', 'junk')).raw.toString()).toBe('X\0\0\0\x08junk')
    expect(one(frame('c', 'junk')).type).toBe('CopyDone')
  })

  it('reads CopyData, CopyFail', () => {
    const chunk = Buffer.from('1\tone\n2\ttwo\n')
    const m = one(serialize.copyData(chunk))
    expect(m.type).toBe('CopyData')
    expect(m.type === 'CopyData' && m.data.equals(chunk)).toBe(true)
    expect(one(serialize.copyFail('aborted by user'))).toMatchObject({
      type: 'CopyFail',
      message: 'aborted by user',
    })
  })

  it('reads FunctionCall', () => {
    const bytes = frame('F', u32(1598), i16(2), i16(0), i16(1), i16(2), i32(3), 'abc', i32(-1), i16(1))
    expect(one(bytes)).toMatchObject({
      type: 'FunctionCall',
      functionOid: 1598,
      argFormats: [0, 1],
      resultFormat: 1,
    })
    const m = one(bytes)
    expect(m.type === 'FunctionCall' && m.args.map((a) => a?.toString() ?? null)).toEqual(['abc', null])
  })

  it('returns views of the pushed chunk, and copies only messages split across chunks', () => {
    const q1 = serialize.query('select 1')
    const q2 = serialize.query('select 2')
    const chunk = Buffer.concat([q1, q2])
    const d = new FrontendDecoder({ phase: 'normal' })
    d.push(chunk.subarray(0, q1.length + 3))
    const a = d.next()!
    expect(a.raw.buffer).toBe(chunk.buffer)
    expect(a.raw.byteOffset).toBe(chunk.byteOffset)
    expect(d.next()).toBeNull()
    d.push(chunk.subarray(q1.length + 3))
    const b = d.next()!
    expect(b.raw.equals(q2)).toBe(true)
    expect(b).toMatchObject({ type: 'Query', sql: 'select 2' })
    expect(d.next()).toBeNull()
    expect(d.buffered).toBe(0)
  })

  it('waits for a message fed one byte at a time', () => {
    const bytes = serialize.bind({ statement: 's', values: ['1', null] })
    const d = new FrontendDecoder({ phase: 'normal' })
    for (let i = 0; i < bytes.length - 1; i++) {
      d.push(bytes.subarray(i, i + 1))
      expect(d.next()).toBeNull()
    }
    d.push(bytes.subarray(bytes.length - 1))
    expect(d.next()).toMatchObject({ type: 'Bind', statement: 's' })
  })

  it('gathers a message dripped one byte per read instead of keeping one entry per byte', () => {
    const sql = 'x'.repeat(200_000)
    const bytes = Buffer.concat([serialize.query(sql), serialize.sync()])
    const d = new FrontendDecoder({ phase: 'normal' })
    const internals = d as unknown as { chunks: Buffer[] }
    let most = 0
    for (let i = 0; i < bytes.length - 5; i++) {
      d.push(bytes.subarray(i, i + 1))
      most = Math.max(most, internals.chunks.length)
      if (i % 50_000 === 0) expect(d.next()).toBeNull()
    }
    expect(most).toBeLessThan(20)
    d.push(bytes.subarray(bytes.length - 5, bytes.length - 3))
    d.push(bytes.subarray(bytes.length - 3))
    expect(d.next()).toMatchObject({ type: 'Query', sql })
    expect(d.next()?.type).toBe('Sync')
    expect(d.buffered).toBe(0)
  })

  it('drain() hands messages to a callback and stops when it returns false', () => {
    const d = new FrontendDecoder({ phase: 'normal' })
    d.push(Buffer.concat([serialize.query('a'), serialize.query('b'), serialize.sync()]))
    const seen: string[] = []
    d.drain((m) => {
      seen.push(m.type)
      return seen.length < 2
    })
    expect(seen).toEqual(['Query', 'Query'])
    d.drain((m) => {
      seen.push(m.type)
      return undefined
    })
    expect(seen).toEqual(['Query', 'Query', 'Sync'])
  })
})

describe('normal phase: framing faults', () => {
  it('refuses an unknown type byte as soon as it arrives', () => {
    for (const code of [0, 1, 0x70, 0x5a, 0xff]) {
      const d = new FrontendDecoder({ phase: 'normal' })
      d.push(Buffer.from([code]))
      let e: unknown
      try {
        d.next()
      } catch (err) {
        e = err
      }
      expectViolation(e, `invalid frontend message type ${code}`, 'FATAL')
    }
  })

  it('refuses lengths below 4 or above the per-type limit', () => {
    expectViolation(decodeError(Buffer.from([0x51, 0, 0, 0, 3])), 'invalid message length', 'COMMERROR')
    expectViolation(
      decodeError(Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff])),
      'invalid message length',
      'COMMERROR',
    )
    expectViolation(decodeError(Buffer.from([0x51, 0x40, 0, 0, 0])), 'invalid message length', 'COMMERROR')
    // small messages: 10000 bytes
    expectViolation(
      decodeError(Buffer.concat([Buffer.from('S'), i32(10001)])),
      'invalid message length',
      'COMMERROR',
    )
    expect(decodeError(Buffer.concat([Buffer.from('E'), i32(10000)]))).toBeUndefined() // waits for the body
    // a configurable limit for large messages
    expectViolation(
      decodeError(serialize.query('x'.repeat(100)), { phase: 'normal', maxMessageLength: 50 }),
      'invalid message length',
      'COMMERROR',
    )
  })

  it('stays failed after a framing fault', () => {
    const d = new FrontendDecoder({ phase: 'normal' })
    d.push(Buffer.from([0x00]))
    const first = (() => {
      try {
        d.next()
      } catch (e) {
        return e
      }
    })()
    d.push(serialize.sync())
    expect(() => d.next()).toThrow(first as Error)
    expect(d.error).toBe(first)
  })

  it('reports messages cut short at end of input', () => {
    const d = new FrontendDecoder({ phase: 'normal' })
    d.push(Buffer.from([0x51, 0, 0]))
    expect(d.next()).toBeNull()
    expect(d.eofError()?.message).toBe('unexpected EOF within message length word')
    d.push(Buffer.from([0, 9, 0x61]))
    expect(d.next()).toBeNull()
    expect(d.eofError()?.message).toBe('incomplete message from client')
  })
})

describe('normal phase: field faults are ERRORs after the message is consumed', () => {
  const cases: [string, Buffer, string][] = [
    ['Query without NUL', frame('Q', 'select 1'), 'invalid string in message'],
    ['Query with trailing bytes', frame('Q', cstr('select 1'), 'x'), 'invalid message format'],
    ['empty Query', frame('Q'), 'invalid string in message'],
    [
      'Parse with too many types',
      frame('P', cstr(''), cstr('x'), i16(3), i32(23)),
      'insufficient data left in message',
    ],
    ['Parse with count cut short', frame('P', cstr(''), cstr('x'), [0]), 'insufficient data left in message'],
    [
      'Bind with 2 formats and 3 parameters',
      frame('B', cstr(''), cstr(''), i16(2), i16(0), i16(0), i16(3), i32(-1), i32(-1), i32(-1), i16(0)),
      'bind message has 2 parameter formats but 3 parameters',
    ],
    [
      'Bind with a length -2',
      frame('B', cstr(''), cstr(''), i16(0), i16(1), i32(-2), i16(0)),
      'insufficient data left in message',
    ],
    [
      'Bind with a value overrunning',
      frame('B', cstr(''), cstr(''), i16(0), i16(1), i32(10), 'abc', i16(0)),
      'insufficient data left in message',
    ],
    [
      'Bind with 65535 parameters declared',
      frame('B', cstr(''), cstr(''), i16(0), [0xff, 0xff]),
      'insufficient data left in message',
    ],
    [
      'Bind without result formats',
      frame('B', cstr(''), cstr(''), i16(0), i16(0)),
      'insufficient data left in message',
    ],
    [
      'Bind with trailing bytes',
      frame('B', cstr(''), cstr(''), i16(0), i16(0), i16(0), 'z'),
      'invalid message format',
    ],
    ['Bind with a portal name without NUL', frame('B', 'portal'), 'invalid string in message'],
    ['empty Describe', frame('D'), 'no data left in message'],
    ['Describe of X', frame('D', 'X', cstr('n')), 'invalid DESCRIBE message subtype 88'],
    ['Close of lower-case s', frame('C', 's', cstr('n')), 'invalid CLOSE message subtype 115'],
    ['Describe with trailing bytes', frame('D', 'S', cstr('n'), 'x'), 'invalid message format'],
    ['Execute cut short', frame('E', cstr(''), [0, 0]), 'insufficient data left in message'],
    ['Sync with a body', frame('S', 'x'), 'invalid message format'],
    ['Flush with a body', frame('H', [0]), 'invalid message format'],
    ['CopyFail without NUL', frame('f', 'oops'), 'invalid string in message'],
    [
      'FunctionCall with 2 formats and 1 argument',
      frame('F', u32(1), i16(2), i16(0), i16(0), i16(1), i32(-1), i16(0)),
      'function call message contains 2 argument formats but 1 arguments',
    ],
    [
      'FunctionCall with argument size -5',
      frame('F', u32(1), i16(0), i16(1), i32(-5), i16(0)),
      'invalid argument size -5 in function call message',
    ],
  ]
  for (const [name, bytes, message] of cases) {
    it(name, () => {
      const d = new FrontendDecoder({ phase: 'normal' })
      d.push(Buffer.concat([bytes, serialize.sync()]))
      let e: unknown
      try {
        d.next()
      } catch (err) {
        e = err
      }
      expectViolation(e, message, 'ERROR')
      expect(violation(e).fatal).toBe(false)
      // consumed: the stream is still in sync
      expect(d.next()?.type).toBe('Sync')
    })
  }
})

describe('authentication phases', () => {
  const p = (body: Buffer) => frame('p', body)

  it('accepts only password messages while a password is expected', () => {
    const d = new FrontendDecoder({ phase: 'password' })
    d.push(serialize.password('secret'))
    const m = d.next() as PasswordMessage
    expect(m.type).toBe('PasswordMessage')
    expect(decodePasswordMessage(m)).toBe('secret')
    expectViolation(
      decodeError(serialize.query('select 1'), { phase: 'password' }),
      'expected password response, got message type 81',
      'FATAL',
    )
    expectViolation(
      decodeError(serialize.query('select 1'), { phase: 'sasl' }),
      'expected SASL response, got message type 81',
      'FATAL',
    )
    expectViolation(decodeError(serialize.password('x')), 'invalid frontend message type 112', 'FATAL')
  })

  it('limits password messages to 65535 bytes and SASL messages to 1024', () => {
    expect(decodeAll(p(Buffer.alloc(65530)), { phase: 'password' })).toHaveLength(1)
    expectViolation(
      decodeError(p(Buffer.alloc(65532)), { phase: 'password' }),
      'invalid message length',
      'COMMERROR',
    )
    expect(decodeAll(p(Buffer.alloc(1020)), { phase: 'sasl' })).toHaveLength(1)
    expectViolation(
      decodeError(p(Buffer.alloc(1021)), { phase: 'sasl' }),
      'invalid message length',
      'COMMERROR',
    )
  })

  it('follows setPhase', () => {
    const d = new FrontendDecoder()
    d.push(Buffer.concat([startup({ user: 'u' }), serialize.password('pw'), serialize.query('select 1')]))
    expect(d.next()?.type).toBe('StartupMessage')
    expect(d.phase).toBe('password')
    expect(d.next()?.type).toBe('PasswordMessage')
    d.setPhase('normal')
    expect(d.next()?.type).toBe('Query')
  })

  it('decodes password message bodies, refusing bad sizes', () => {
    expect(decodePasswordMessage(cstr('pässword'))).toBe('pässword')
    expect(decodePasswordMessage(cstr(''))).toBe('')
    for (const body of [Buffer.alloc(0), Buffer.from('abc'), Buffer.from('a\0b\0')]) {
      expectViolation(
        (() => {
          try {
            decodePasswordMessage(body)
          } catch (e) {
            return e
          }
        })(),
        'invalid password packet size',
        'FATAL',
      )
    }
  })

  it('decodes SASLInitialResponse and SASLResponse', () => {
    const init = one(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=*,r=abc'), {
      phase: 'sasl',
    }) as PasswordMessage
    const r = decodeSASLInitialResponse(init, ['SCRAM-SHA-256'])
    expect(r.mechanism).toBe('SCRAM-SHA-256')
    expect(r.data?.toString()).toBe('n,,n=*,r=abc')
    expect(decodeSASLInitialResponse(Buffer.concat([cstr('SCRAM-SHA-256'), i32(-1)])).data).toBeNull()
    const cont = one(serialize.sendSCRAMClientFinalMessage('c=biws,r=x,p=y'), {
      phase: 'sasl',
    }) as PasswordMessage
    expect(decodeSASLResponse(cont).toString()).toBe('c=biws,r=x,p=y')
  })

  it('refuses malformed SASLInitialResponse bodies with PostgreSQL wording', () => {
    const err = (body: Buffer, mechanisms?: string[]) => {
      try {
        decodeSASLInitialResponse(body, mechanisms)
      } catch (e) {
        return e
      }
    }
    expectViolation(err(Buffer.from('SCRAM')), 'invalid string in message', 'FATAL')
    expectViolation(
      err(Buffer.concat([cstr('M'), [0, 0]].map((x) => Buffer.from(x as Buffer)))),
      'insufficient data left in message',
      'FATAL',
    )
    expectViolation(
      err(Buffer.concat([cstr('M'), i32(5), Buffer.from('ab')])),
      'insufficient data left in message',
      'FATAL',
    )
    expectViolation(err(Buffer.concat([cstr('M'), i32(-2)])), 'insufficient data left in message', 'FATAL')
    expectViolation(
      err(Buffer.concat([cstr('M'), i32(1), Buffer.from('ab')])),
      'invalid message format',
      'FATAL',
    )
    // the mechanism is checked first, as in PostgreSQL
    expectViolation(
      err(Buffer.concat([cstr('SCRAM-SHA-256-PLUS'), Buffer.from('junk')]), ['SCRAM-SHA-256']),
      'client selected an invalid SASL authentication mechanism',
      'FATAL',
    )
  })
})
