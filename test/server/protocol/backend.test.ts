import { describe, expect, it } from 'vitest'
import * as be from '../../../src/server/protocol/backend.js'
import { BackendWriter, ProtocolViolation } from '../../../src/server/protocol/index.js'
import { parseBackend, splitBackend } from './helpers.js'

const only = (bytes: Buffer) => {
  const all = parseBackend(bytes)
  expect(all).toHaveLength(1)
  return all[0]!
}

describe('backend messages, read back by pg-protocol', () => {
  it('authentication requests', () => {
    expect(only(be.authenticationOk())).toMatchObject({ name: 'authenticationOk', length: 8 })
    expect(only(be.authenticationCleartextPassword())).toMatchObject({
      name: 'authenticationCleartextPassword',
    })
    const salt = Buffer.from([1, 2, 0xfe, 0xff])
    const md5 = only(be.authenticationMD5Password(salt))
    expect(md5.name).toBe('authenticationMD5Password')
    expect(Buffer.from(md5.salt as Buffer).equals(salt)).toBe(true)
    expect(only(be.authenticationSASL(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']))).toMatchObject({
      name: 'authenticationSASL',
      mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'],
    })
    expect(only(be.authenticationSASLContinue('r=abc,s=c2FsdA==,i=4096'))).toMatchObject({
      name: 'authenticationSASLContinue',
      data: 'r=abc,s=c2FsdA==,i=4096',
    })
    expect(only(be.authenticationSASLContinue(Buffer.alloc(0)))).toMatchObject({ data: '' })
    expect(only(be.authenticationSASLFinal(Buffer.from('v=xyz')))).toMatchObject({
      name: 'authenticationSASLFinal',
      data: 'v=xyz',
    })
    expect(() => be.authenticationMD5Password(Buffer.alloc(3))).toThrow(RangeError)
  })

  it('ParameterStatus, BackendKeyData, ReadyForQuery', () => {
    expect(only(be.parameterStatus('server_version', '15.4 (plproxy-ts)'))).toMatchObject({
      name: 'parameterStatus',
      parameterName: 'server_version',
      parameterValue: '15.4 (plproxy-ts)',
    })
    expect(only(be.backendKeyData(12345, -2))).toMatchObject({
      name: 'backendKeyData',
      processID: 12345,
      secretKey: -2,
    })
    for (const s of ['I', 'T', 'E'] as const) {
      expect(only(be.readyForQuery(s))).toMatchObject({ name: 'readyForQuery', status: s })
    }
  })

  it('BackendKeyData with a protocol 3.2 key', () => {
    const key = Buffer.alloc(32, 0xab)
    const [[type, body]] = splitBackend(be.backendKeyData(7, key)) as [[string, Buffer]]
    expect(type).toBe('K')
    expect(body.readInt32BE(0)).toBe(7)
    expect(body.subarray(4).equals(key)).toBe(true)
    expect(() => be.backendKeyData(7, Buffer.alloc(3))).toThrow(RangeError)
    expect(() => be.backendKeyData(7, Buffer.alloc(257))).toThrow(RangeError)
  })

  it('RowDescription', () => {
    const m = only(
      be.rowDescription([
        { name: 'id', tableOid: 16384, columnAttr: 1, typeOid: 23, typeSize: 4, typmod: -1, format: 0 },
        {
          name: 'naïve',
          tableOid: 0,
          columnAttr: 0,
          typeOid: 0xfffffff0,
          typeSize: -1,
          typmod: 36,
          format: 1,
        },
      ]),
    )
    expect(m.name).toBe('rowDescription')
    expect(m.fields).toEqual([
      expect.objectContaining({
        name: 'id',
        tableID: 16384,
        columnID: 1,
        dataTypeID: 23,
        dataTypeSize: 4,
        dataTypeModifier: -1,
        format: 'text',
      }),
      expect.objectContaining({
        name: 'naïve',
        tableID: 0,
        columnID: 0,
        dataTypeID: 0xfffffff0,
        dataTypeSize: -1,
        dataTypeModifier: 36,
        format: 'binary',
      }),
    ])
    expect(only(be.rowDescription([]))).toMatchObject({ name: 'rowDescription', fieldCount: 0 })
  })

  it('DataRow with strings, bytes and NULLs', () => {
    const long = 'é'.repeat(3000)
    const m = only(be.dataRow(['1', null, Buffer.from('bytes'), '', 'ünïcödé ✓', long, 'x'.repeat(100)]))
    expect(m.fields).toEqual(['1', null, 'bytes', '', 'ünïcödé ✓', long, 'x'.repeat(100)])
    expect(only(be.dataRow([]))).toMatchObject({ name: 'dataRow', fields: [] })
  })

  it('CommandComplete, EmptyQueryResponse and the bodiless extended-protocol replies', () => {
    expect(only(be.commandComplete('SELECT 1'))).toMatchObject({ name: 'commandComplete', text: 'SELECT 1' })
    expect(only(be.emptyQueryResponse()).name).toBe('emptyQuery')
    expect(only(be.parseComplete()).name).toBe('parseComplete')
    expect(only(be.bindComplete()).name).toBe('bindComplete')
    expect(only(be.closeComplete()).name).toBe('closeComplete')
    expect(only(be.noData()).name).toBe('noData')
    expect(only(be.portalSuspended()).name).toBe('portalSuspended')
  })

  it('ParameterDescription', () => {
    expect(only(be.parameterDescription([23, 25, 0xfffffffe]))).toMatchObject({
      name: 'parameterDescription',
      parameterCount: 3,
      dataTypeIDs: [23, 25, 0xfffffffe],
    })
  })

  it('ErrorResponse with every field, in PostgreSQL order', () => {
    const bytes = be.errorResponse({
      severity: 'ERREUR',
      severityNonLocalized: 'ERROR',
      code: '42P01',
      message: 'relation "x" does not exist',
      detail: 'd',
      hint: 'h',
      position: 15,
      internalPosition: '3',
      internalQuery: 'select 1',
      where: 'PL/pgSQL function f()',
      schema: 'public',
      table: 'x',
      column: 'c',
      dataType: 'int4',
      constraint: 'x_pkey',
      file: 'parse_relation.c',
      line: 1392,
      routine: 'parserOpenTable',
    })
    const e = only(bytes)
    expect(e).toBeInstanceOf(Error)
    expect(e).toMatchObject({
      name: 'error',
      severity: 'ERREUR',
      code: '42P01',
      message: 'relation "x" does not exist',
      detail: 'd',
      hint: 'h',
      position: '15',
      internalPosition: '3',
      internalQuery: 'select 1',
      where: 'PL/pgSQL function f()',
      schema: 'public',
      table: 'x',
      column: 'c',
      dataType: 'int4',
      constraint: 'x_pkey',
      file: 'parse_relation.c',
      line: '1392',
      routine: 'parserOpenTable',
    })
    const [[, body]] = splitBackend(bytes) as [[string, Buffer]]
    const order = [...body.toString('latin1').matchAll(/(?:^|\0)([A-Za-z])/g)].map((m) => m[1]).join('')
    expect(order).toBe('SVCMDHPpqWstcdnFLR')
  })

  it('ErrorResponse and NoticeResponse defaults', () => {
    const e = only(be.errorResponse({ message: 'boom' }))
    expect(e).toMatchObject({ name: 'error', severity: 'ERROR', code: 'XX000', message: 'boom' })
    const n = only(be.noticeResponse({ message: 'hello', severity: 'WARNING', code: '01000' }))
    expect(n).toMatchObject({ name: 'notice', severity: 'WARNING', code: '01000', message: 'hello' })
    const d = only(be.noticeResponse({ message: 'm' }))
    expect(d).toMatchObject({ severity: 'NOTICE', code: '00000' })
    const [[, body]] = splitBackend(be.errorResponse({ message: 'x', severity: 'FATAL' })) as [
      [string, Buffer],
    ]
    expect(body.toString()).toBe('SFATAL\0VFATAL\0CXX000\0Mx\0\0')
  })

  it('fatalErrorResponse: severity FATAL, SQLSTATE and message of the violation', () => {
    const v = new ProtocolViolation('invalid frontend message type 0', 'FATAL')
    expect(only(be.fatalErrorResponse(v))).toMatchObject({
      name: 'error',
      severity: 'FATAL',
      code: '08P01',
      message: 'invalid frontend message type 0',
    })
    const withDetail = only(be.fatalErrorResponse({ message: 'm', code: '28P01', detail: 'd', hint: 'h' }))
    expect(withDetail).toMatchObject({ severity: 'FATAL', code: '28P01', detail: 'd', hint: 'h' })
  })

  it('violationErrorResponse: ERROR for a consumed message, FATAL for a broken stream', () => {
    expect(
      only(be.violationErrorResponse(new ProtocolViolation('invalid string in message', 'ERROR'))),
    ).toMatchObject({
      severity: 'ERROR',
      code: '08P01',
      message: 'invalid string in message',
    })
    expect(
      only(be.violationErrorResponse(new ProtocolViolation('x', 'COMMERROR', '0A000', 'd'))),
    ).toMatchObject({
      severity: 'FATAL',
      code: '0A000',
      detail: 'd',
    })
  })

  it('COPY messages and NotificationResponse', () => {
    expect(only(be.copyInResponse(0, [0, 0]))).toMatchObject({
      name: 'copyInResponse',
      binary: false,
      columnTypes: [0, 0],
    })
    expect(only(be.copyOutResponse(1, [1]))).toMatchObject({
      name: 'copyOutResponse',
      binary: true,
      columnTypes: [1],
    })
    const data = only(be.copyData(Buffer.from('a\tb\n')))
    expect(data.name).toBe('copyData')
    expect(Buffer.from(data.chunk as Buffer).toString()).toBe('a\tb\n')
    expect(only(be.copyDone()).name).toBe('copyDone')
    expect(only(be.notificationResponse(99, 'chan', 'payload ✓'))).toMatchObject({
      name: 'notification',
      processId: 99,
      channel: 'chan',
      payload: 'payload ✓',
    })
    const [[t, body]] = splitBackend(new BackendWriter().copyBothResponse(0, []).flush()) as [
      [string, Buffer],
    ]
    expect([t, [...body]]).toEqual(['W', [0, 0, 0]])
  })

  it('NegotiateProtocolVersion carries the version 3.minor and the unknown options', () => {
    const [[type, body]] = splitBackend(be.negotiateProtocolVersion(2, ['_pq_.a', '_pq_.bb'])) as [
      [string, Buffer],
    ]
    expect(type).toBe('v')
    expect(body.readInt32BE(0)).toBe((3 << 16) | 2)
    expect(body.readInt32BE(4)).toBe(2)
    expect(body.subarray(8).toString()).toBe('_pq_.a\0_pq_.bb\0')
  })

  it('FunctionCallResponse', () => {
    const [[t1, b1]] = splitBackend(be.functionCallResponse('42')) as [[string, Buffer]]
    expect([t1, b1.readInt32BE(0), b1.subarray(4).toString()]).toEqual(['V', 2, '42'])
    const [[, b2]] = splitBackend(be.functionCallResponse(null)) as [[string, Buffer]]
    expect(b2.readInt32BE(0)).toBe(-1)
    const [[, b3]] = splitBackend(be.functionCallResponse(Buffer.from([9, 8]))) as [[string, Buffer]]
    expect([...b3]).toEqual([0, 0, 0, 2, 9, 8])
  })

  it('the SSL and GSSAPI answers are single bytes', () => {
    expect(be.SSL_ACCEPT.toString()).toBe('S')
    expect(be.SSL_REJECT.toString()).toBe('N')
    expect(be.GSSENC_REJECT.toString()).toBe('N')
  })
})

describe('BackendWriter', () => {
  it('batches many messages into one Buffer', () => {
    const w = new BackendWriter()
    w.authenticationOk()
      .parameterStatus('client_encoding', 'UTF8')
      .backendKeyData(1, 2)
      .readyForQuery('I')
      .rowDescription([
        { name: 'a', tableOid: 0, columnAttr: 0, typeOid: 25, typeSize: -1, typmod: -1, format: 0 },
      ])
      .dataRow(['x'])
      .commandComplete('SELECT 1')
      .readyForQuery('I')
    expect(w.length).toBeGreaterThan(0)
    const out = w.flush()
    expect(w.length).toBe(0)
    expect(parseBackend(out).map((m) => m.name)).toEqual([
      'authenticationOk',
      'parameterStatus',
      'backendKeyData',
      'readyForQuery',
      'rowDescription',
      'dataRow',
      'commandComplete',
      'readyForQuery',
    ])
    expect(w.flush()).toHaveLength(0)
  })

  it('never writes over a flushed Buffer', () => {
    const w = new BackendWriter(128)
    const first = w.commandComplete('SELECT 1').flush()
    const copy = Buffer.from(first)
    for (let i = 0; i < 200; i++) w.dataRow([`row ${i}`, 'ü'.repeat(i)])
    const second = w.flush()
    expect(first.equals(copy)).toBe(true)
    expect(parseBackend(second)).toHaveLength(200)
    w.commandComplete('SELECT 200')
    expect(first.equals(copy)).toBe(true)
  })

  it('grows for messages larger than a slab, keeping the pending ones', () => {
    const w = new BackendWriter(64)
    const big = 'ab'.repeat(300_000)
    w.readyForQuery('I')
      .dataRow([big, Buffer.alloc(100_000, 1), 'é'.repeat(50_000)])
      .commandComplete('x')
    const msgs = parseBackend(w.flush())
    expect(msgs.map((m) => m.name)).toEqual(['readyForQuery', 'dataRow', 'commandComplete'])
    expect((msgs[1]!.fields as string[])[0]).toBe(big)
    expect((msgs[1]!.fields as string[])[2]).toBe('é'.repeat(50_000))
  })

  it('raw() appends forwarded bytes', () => {
    const w = new BackendWriter()
    w.raw(be.parseComplete()).raw(be.bindComplete()).readyForQuery('T')
    expect(parseBackend(w.flush()).map((m) => m.name)).toEqual([
      'parseComplete',
      'bindComplete',
      'readyForQuery',
    ])
  })

  it('refuses a NUL inside a protocol string and drops the half-written message', () => {
    const w = new BackendWriter()
    w.readyForQuery('I')
    expect(() => w.parameterStatus('a', 'b\0c')).toThrow(TypeError)
    expect(() => w.errorResponse({ message: 'x\0' })).toThrow(TypeError)
    w.commandComplete('OK')
    expect(parseBackend(w.flush()).map((m) => m.name)).toEqual(['readyForQuery', 'commandComplete'])
  })

  it('reset() drops the unflushed messages', () => {
    const w = new BackendWriter()
    w.readyForQuery('I')
    w.reset()
    expect(w.length).toBe(0)
    w.noData()
    expect(parseBackend(w.flush()).map((m) => m.name)).toEqual(['noData'])
  })
})
