/**
 * PostgreSQL wire protocol 3.0, client side: frontend messages as Buffers,
 * an incremental splitter of the typed messages arriving on a socket, and
 * parsers for the backend messages a client needs.
 *
 * Layout of a typed message: a type byte, an Int32 length that counts
 * itself but not the type byte, then the body. The splitter hands out
 * messages as (type, buffer, start, end) with `buffer[start]` the type
 * byte and `end` one past the last byte, so `buffer.subarray(start, end)`
 * is the whole message and `buffer.subarray(start + 5, end)` its body;
 * nothing is copied when a message lies within one socket chunk.
 */

export const PROTOCOL_VERSION = 196608 // 3.0
export const SSL_REQUEST_CODE = 80877103
export const CANCEL_REQUEST_CODE = 80877102
export const GSSENC_REQUEST_CODE = 80877104
/** PostgreSQL refuses messages of 1 GiB or more (PQ_LARGE_MESSAGE_LIMIT is 1 GiB - 1). */
export const DEFAULT_MAX_MESSAGE_SIZE = 0x40000000

/** Backend message type bytes. */
export const B = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  CopyBothResponse: 0x57, // W
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  FunctionCallResponse: 0x56, // V
  NegotiateProtocolVersion: 0x76, // v
  NoData: 0x6e, // n
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
} as const

/** A stream that is not PostgreSQL's protocol (or a message too large): the connection cannot go on. */
export class WireProtocolError extends Error {
  override readonly name = 'WireProtocolError'
}

// ---------------------------------------------------------------------------
// strings

interface FastBuffer extends Buffer {
  utf8Slice(start: number, end: number): string
  latin1Slice(start: number, end: number): string
}

const fastSlices = typeof (Buffer.prototype as FastBuffer).utf8Slice === 'function'

/** UTF-8 text of `buf[start, end)`. */
export function utf8(buf: Buffer, start: number, end: number): string {
  return fastSlices ? (buf as FastBuffer).utf8Slice(start, end) : buf.toString('utf8', start, end)
}

/** Bytes a string takes in UTF-8: short ASCII strings without a native call. */
function utf8Length(s: string): number {
  const n = s.length
  if (n > 32) return Buffer.byteLength(s, 'utf8')
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8')
  return n
}

/** Writes `s` at `offset` (its UTF-8 length is `length`); returns the offset after it. */
function writeUtf8(buf: Buffer, offset: number, s: string, length: number): number {
  if (length === s.length && length <= 32) {
    for (let i = 0; i < length; i++) buf[offset + i] = s.charCodeAt(i)
    return offset + length
  }
  return offset + buf.write(s, offset, length, 'utf8')
}

function writeInt32(buf: Buffer, offset: number, v: number): void {
  buf[offset] = v >>> 24
  buf[offset + 1] = v >>> 16
  buf[offset + 2] = v >>> 8
  buf[offset + 3] = v
}

function readInt32(buf: Buffer, offset: number): number {
  return (buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!
}

function readInt16(buf: Buffer, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!
}

// ---------------------------------------------------------------------------
// frontend messages

/**
 * A growable buffer that builds messages: `begin(type)` (or `begin()` for
 * the untyped startup packets), fields, `end()` to fill in the length;
 * several messages may follow each other, and `take()` returns them all.
 */
export class MessageWriter {
  private buf: Buffer
  private pos = 0
  private start = -1

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size)
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(bigger, 0, 0, this.pos)
    this.buf = bigger
  }

  /** Starts a message: its type byte (a character or a byte), none for startup packets. */
  begin(type?: string | number): this {
    if (this.start >= 0) throw new Error('MessageWriter: begin() inside a message')
    if (type !== undefined) {
      this.ensure(1)
      this.buf[this.pos++] = typeof type === 'number' ? type : type.charCodeAt(0)
    }
    this.start = this.pos
    this.ensure(4)
    this.pos += 4
    return this
  }

  int8(v: number): this {
    this.ensure(1)
    this.buf[this.pos++] = v
    return this
  }

  int16(v: number): this {
    this.ensure(2)
    this.buf.writeUInt16BE(v & 0xffff, this.pos)
    this.pos += 2
    return this
  }

  int32(v: number): this {
    this.ensure(4)
    writeInt32(this.buf, this.pos, v)
    this.pos += 4
    return this
  }

  /** A string without terminator. */
  string(s: string): this {
    const n = utf8Length(s)
    this.ensure(n)
    this.pos = writeUtf8(this.buf, this.pos, s, n)
    return this
  }

  /** A NUL-terminated string (PostgreSQL's String type). */
  cstring(s: string): this {
    return this.string(s).int8(0)
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  /** Ends the current message: writes its length. */
  end(): this {
    if (this.start < 0) throw new Error('MessageWriter: end() outside a message')
    writeInt32(this.buf, this.start, this.pos - this.start)
    this.start = -1
    return this
  }

  /** The messages written so far (a copy), and an empty writer. */
  take(): Buffer {
    if (this.start >= 0) throw new Error('MessageWriter: take() inside a message')
    const out = Buffer.from(this.buf.subarray(0, this.pos))
    this.pos = 0
    return out
  }
}

/** Startup parameters: user, database, then the others; values must not contain NUL. */
export function startupMessage(parameters: Readonly<Record<string, string | undefined>>): Buffer {
  const w = new MessageWriter().begin().int32(PROTOCOL_VERSION)
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) continue
    w.cstring(name).cstring(value)
  }
  return w.int8(0).end().take()
}

export function sslRequest(): Buffer {
  return new MessageWriter(8).begin().int32(SSL_REQUEST_CODE).end().take()
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  return new MessageWriter(16)
    .begin()
    .int32(CANCEL_REQUEST_CODE)
    .int32(processId)
    .int32(secretKey)
    .end()
    .take()
}

export function passwordMessage(password: string): Buffer {
  return new MessageWriter().begin('p').cstring(password).end().take()
}

export function saslInitialResponse(mechanism: string, data: string): Buffer {
  const bytes = Buffer.from(data, 'utf8')
  return new MessageWriter().begin('p').cstring(mechanism).int32(bytes.length).bytes(bytes).end().take()
}

export function saslResponse(data: string): Buffer {
  return new MessageWriter().begin('p').string(data).end().take()
}

/** A simple-protocol query. */
export function queryMessage(sql: string): Buffer {
  return new MessageWriter(sql.length + 16).begin('Q').cstring(sql).end().take()
}

/** Parse; `paramTypes` 0 (or none) lets the server infer a parameter's type. */
export function parseMessage(statement: string, sql: string, paramTypes: readonly number[] = []): Buffer {
  const w = new MessageWriter(sql.length + 32)
    .begin('P')
    .cstring(statement)
    .cstring(sql)
    .int16(paramTypes.length)
  for (const oid of paramTypes) w.int32(oid)
  return w.end().take()
}

export type BindValue = string | Buffer | null | undefined

/** The bytes a Bind of these values takes (all parameters and results in text format). */
function bindLength(values: readonly BindValue[], portal: number, statement: number): number {
  let n = 1 + 4 + portal + 1 + statement + 1 + 2 + 2 + 2
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    n += 4
    if (v === null || v === undefined) continue
    n += typeof v === 'string' ? utf8Length(v) : v.length
  }
  return n
}

function writeBind(
  buf: Buffer,
  offset: number,
  portal: string,
  statement: string,
  values: readonly BindValue[],
  end: number,
): number {
  buf[offset] = 0x42 // B
  writeInt32(buf, offset + 1, end - offset - 1)
  let p = offset + 5
  if (portal !== '') p = writeUtf8(buf, p, portal, Buffer.byteLength(portal))
  buf[p++] = 0
  if (statement !== '') p = writeUtf8(buf, p, statement, Buffer.byteLength(statement))
  buf[p++] = 0
  // no parameter format codes: all text
  buf[p++] = 0
  buf[p++] = 0
  buf[p++] = values.length >>> 8
  buf[p++] = values.length
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) {
      writeInt32(buf, p, -1)
      p += 4
    } else if (typeof v === 'string') {
      const n = utf8Length(v)
      writeInt32(buf, p, n)
      p = writeUtf8(buf, p + 4, v, n)
    } else {
      writeInt32(buf, p, v.length)
      buf.set(v, p + 4)
      p += 4 + v.length
    }
  }
  // no result format codes: all text
  buf[p++] = 0
  buf[p++] = 0
  return p
}

/** Bind with text parameters (null = NULL) and text results. */
export function bindMessage(values: readonly BindValue[], portal = '', statement = ''): Buffer {
  if (values.length > 0xffff) throw new RangeError('Bind: at most 65535 parameters')
  const n = bindLength(values, Buffer.byteLength(portal), Buffer.byteLength(statement))
  const buf = Buffer.allocUnsafe(n)
  writeBind(buf, 0, portal, statement, values, n)
  return buf
}

/** Describe a prepared statement ('S') or a portal ('P'). */
export function describeMessage(kind: 'S' | 'P', name = ''): Buffer {
  return new MessageWriter().begin('D').int8(kind.charCodeAt(0)).cstring(name).end().take()
}

/** Execute a portal; 0 rows = all. */
export function executeMessage(portal = '', maxRows = 0): Buffer {
  return new MessageWriter().begin('E').cstring(portal).int32(maxRows).end().take()
}

/** Close a prepared statement ('S') or a portal ('P'). */
export function closeMessage(kind: 'S' | 'P', name = ''): Buffer {
  return new MessageWriter().begin('C').int8(kind.charCodeAt(0)).cstring(name).end().take()
}

export const SYNC: Buffer = Buffer.from([0x53, 0, 0, 0, 4])
export const FLUSH: Buffer = Buffer.from([0x48, 0, 0, 0, 4])
export const TERMINATE: Buffer = Buffer.from([0x58, 0, 0, 0, 4])

/** Describe portal '' + Execute '' (all rows) + Sync. */
const DESCRIBE_EXECUTE_SYNC: Buffer = Buffer.concat([describeMessage('P'), executeMessage('', 0), SYNC])

/**
 * One round trip of the extended protocol with the unnamed statement and
 * portal: `parse` (a Parse message, typically cached per SQL text), then
 * Bind (text parameters, text results), Describe portal, Execute, Sync —
 * in one Buffer.
 */
export function extendedQuery(parse: Buffer, values: readonly BindValue[]): Buffer {
  if (values.length > 0xffff) throw new RangeError('Bind: at most 65535 parameters')
  const bind = bindLength(values, 0, 0)
  const total = parse.length + bind + DESCRIBE_EXECUTE_SYNC.length
  const buf = Buffer.allocUnsafe(total)
  parse.copy(buf, 0)
  const p = writeBind(buf, parse.length, '', '', values, parse.length + bind)
  DESCRIBE_EXECUTE_SYNC.copy(buf, p)
  return buf
}

// ---------------------------------------------------------------------------
// splitting

/** Receives one complete message: `buf[start]` is its type byte, `end` is one past its last byte. */
export type MessageSink = (type: number, buf: Buffer, start: number, end: number) => void

/**
 * Cuts a byte stream of typed messages (backend messages, or a client's
 * messages after its startup packet) into whole messages. Chunks are
 * pushed as they arrive; each complete message goes to the sink at once,
 * as a range of the chunk it lies in (no copy), or of a buffer of exactly
 * its size when it spans chunks. Buffers handed out are never written to
 * again, so a sink may keep subarrays of them.
 */
export class MessageSplitter {
  /** a message spanning chunks: its bytes so far (all of it allocated once the header is known) */
  private partial: Buffer | undefined
  private filled = 0
  private readonly header = Buffer.alloc(5)

  constructor(
    public sink: MessageSink,
    readonly maxMessageSize: number = DEFAULT_MAX_MESSAGE_SIZE,
  ) {}

  /** True when part of a message is waiting for more bytes. */
  get pending(): boolean {
    return this.filled > 0
  }

  private lengthOf(type: number, length: number): number {
    if (length < 4 || length >= this.maxMessageSize) {
      throw new WireProtocolError(
        length < 4
          ? `invalid message length ${length} (message type 0x${type.toString(16)})`
          : `message of ${length} bytes is too large (type 0x${type.toString(16)}, limit ${this.maxMessageSize})`,
      )
    }
    return length + 1
  }

  push(chunk: Buffer): void {
    const n = chunk.length
    let pos = 0
    if (this.filled > 0) {
      pos = this.continuePartial(chunk)
      if (pos < 0) return
    }
    while (n - pos >= 5) {
      const type = chunk[pos]!
      const end = pos + this.lengthOf(type, readInt32(chunk, pos + 1))
      if (end > n) break
      this.sink(type, chunk, pos, end)
      pos = end
    }
    if (pos < n) this.startPartial(chunk, pos)
  }

  /** Copies the bytes left at the end of a chunk. */
  private startPartial(chunk: Buffer, pos: number): void {
    const left = chunk.length - pos
    if (left < 5) {
      chunk.copy(this.header, 0, pos)
      this.partial = undefined
      this.filled = left
      return
    }
    const size = this.lengthOf(chunk[pos]!, readInt32(chunk, pos + 1))
    this.partial = Buffer.allocUnsafe(size)
    chunk.copy(this.partial, 0, pos)
    this.filled = left
  }

  /** Feeds a partial message; returns where the chunk's next message starts, or -1 when it is used up. */
  private continuePartial(chunk: Buffer): number {
    let pos = 0
    if (this.partial === undefined) {
      const take = Math.min(5 - this.filled, chunk.length)
      chunk.copy(this.header, this.filled, 0, take)
      this.filled += take
      pos = take
      if (this.filled < 5) return -1
      const size = this.lengthOf(this.header[0]!, readInt32(this.header, 1))
      this.partial = Buffer.allocUnsafe(size)
      this.header.copy(this.partial, 0)
    }
    const partial = this.partial
    const take = Math.min(partial.length - this.filled, chunk.length - pos)
    chunk.copy(partial, this.filled, pos, pos + take)
    this.filled += take
    pos += take
    if (this.filled < partial.length) return -1
    this.partial = undefined
    this.filled = 0
    this.sink(partial[0]!, partial, 0, partial.length)
    return pos
  }
}

// ---------------------------------------------------------------------------
// backend messages

/** Offset of the body of the message at `start`. */
const BODY = 5

function cstringEnd(buf: Buffer, offset: number, end: number, what: string): number {
  const z = buf.indexOf(0, offset)
  if (z < 0 || z >= end) throw new WireProtocolError(`${what}: unterminated string`)
  return z
}

export type Authentication =
  | { readonly code: 0 } // Ok
  | { readonly code: 3 } // CleartextPassword
  | { readonly code: 5; readonly salt: Buffer } // MD5Password
  | { readonly code: 10; readonly mechanisms: readonly string[] } // SASL
  | { readonly code: 11 | 12; readonly data: string } // SASLContinue, SASLFinal
  | { readonly code: number } // unsupported methods (Kerberos 2, SCM 6, GSS 7/8, SSPI 9)

export const AUTH = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  SCMCredential: 6,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const

/** An Authentication message (type 'R'). */
export function parseAuthentication(buf: Buffer, start: number, end: number): Authentication {
  if (end - start < BODY + 4) throw new WireProtocolError('Authentication message too short')
  const code = readInt32(buf, start + BODY)
  const p = start + BODY + 4
  switch (code) {
    case AUTH.MD5Password:
      if (end - p < 4) throw new WireProtocolError('AuthenticationMD5Password without salt')
      return { code, salt: Buffer.from(buf.subarray(p, p + 4)) }
    case AUTH.SASL: {
      const mechanisms: string[] = []
      let q = p
      while (q < end && buf[q] !== 0) {
        const z = cstringEnd(buf, q, end, 'AuthenticationSASL')
        mechanisms.push(utf8(buf, q, z))
        q = z + 1
      }
      return { code, mechanisms }
    }
    case AUTH.SASLContinue:
    case AUTH.SASLFinal:
      return { code, data: utf8(buf, p, end) }
    default:
      return { code }
  }
}

/** ParameterStatus ('S'): [name, value]. */
export function parseParameterStatus(buf: Buffer, start: number, end: number): [string, string] {
  const z = cstringEnd(buf, start + BODY, end, 'ParameterStatus')
  const z2 = cstringEnd(buf, z + 1, end, 'ParameterStatus')
  return [utf8(buf, start + BODY, z), utf8(buf, z + 1, z2)]
}

/** BackendKeyData ('K'). */
export function parseBackendKeyData(
  buf: Buffer,
  start: number,
  end: number,
): { processId: number; secretKey: number } {
  if (end - start < BODY + 8) throw new WireProtocolError('BackendKeyData message too short')
  return { processId: readInt32(buf, start + BODY), secretKey: readInt32(buf, start + BODY + 4) }
}

/** ReadyForQuery ('Z'): the transaction status, 'I' (idle), 'T' (in a transaction) or 'E' (failed transaction). */
export function parseReadyForQuery(buf: Buffer, start: number): string {
  return String.fromCharCode(buf[start + BODY]!)
}

/** One column of a RowDescription. */
export class RowField {
  constructor(
    readonly name: string,
    /** the table's OID, 0 when the column is not a table's */
    readonly tableOid: number,
    /** the column's attribute number in that table, 0 otherwise */
    readonly columnAttr: number,
    readonly typeOid: number,
    /** pg_type.typlen (negative for variable length) */
    readonly typeSize: number,
    /** type modifier, -1 when none */
    readonly typmod: number,
    /** 0 text, 1 binary */
    readonly format: number,
  ) {}
}

/** RowDescription ('T'). */
export function parseRowDescription(buf: Buffer, start: number, end: number): RowField[] {
  const count = readInt16(buf, start + BODY)
  const fields = new Array<RowField>(count)
  let p = start + BODY + 2
  for (let i = 0; i < count; i++) {
    const z = cstringEnd(buf, p, end, 'RowDescription')
    const name = utf8(buf, p, z)
    p = z + 1
    if (p + 18 > end) throw new WireProtocolError('RowDescription message too short')
    fields[i] = new RowField(
      name,
      readInt32(buf, p) >>> 0,
      (readInt16(buf, p + 4) << 16) >> 16,
      readInt32(buf, p + 6) >>> 0,
      (readInt16(buf, p + 10) << 16) >> 16,
      readInt32(buf, p + 12),
      readInt16(buf, p + 16),
    )
    p += 18
  }
  return fields
}

/** ParameterDescription ('t'): the parameters' type OIDs. */
export function parseParameterDescription(buf: Buffer, start: number, end: number): number[] {
  const count = readInt16(buf, start + BODY)
  if (start + BODY + 2 + 4 * count > end)
    throw new WireProtocolError('ParameterDescription message too short')
  const oids = new Array<number>(count)
  for (let i = 0; i < count; i++) oids[i] = readInt32(buf, start + BODY + 2 + 4 * i) >>> 0
  return oids
}

/** A DataRow's values as UTF-8 text (null for NULL). */
export function parseDataRowText(buf: Buffer, start: number, end: number): (string | null)[] {
  const count = readInt16(buf, start + BODY)
  const row = new Array<string | null>(count)
  let p = start + BODY + 2
  for (let i = 0; i < count; i++) {
    const len = readInt32(buf, p)
    p += 4
    if (len < 0) row[i] = null
    else {
      if (p + len > end) throw new WireProtocolError('DataRow message too short')
      row[i] = utf8(buf, p, p + len)
      p += len
    }
  }
  return row
}

/** The values of a whole DataRow message ('D', length, count, values), as subarrays of it. */
export function dataRowValues(message: Buffer): (Buffer | null)[] {
  if (message[0] !== B.DataRow || message.length < BODY + 2) {
    throw new WireProtocolError('not a DataRow message')
  }
  const count = readInt16(message, BODY)
  const out = new Array<Buffer | null>(count)
  let p = BODY + 2
  for (let i = 0; i < count; i++) {
    const len = readInt32(message, p)
    p += 4
    if (len < 0) out[i] = null
    else {
      if (p + len > message.length) throw new WireProtocolError('DataRow message too short')
      out[i] = message.subarray(p, p + len)
      p += len
    }
  }
  return out
}

/** A whole DataRow message of these values (text as UTF-8, null for NULL). */
export function dataRowMessage(values: readonly (Buffer | string | null | undefined)[]): Buffer {
  let size = BODY + 2
  const bytes = new Array<Buffer | null>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    const b = v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v
    bytes[i] = b
    size += 4 + (b ? b.length : 0)
  }
  const out = Buffer.allocUnsafe(size)
  out[0] = B.DataRow
  writeInt32(out, 1, size - 1)
  out[5] = values.length >>> 8
  out[6] = values.length
  let p = 7
  for (const b of bytes) {
    if (b === null) {
      writeInt32(out, p, -1)
      p += 4
    } else {
      writeInt32(out, p, b.length)
      out.set(b, p + 4)
      p += 4 + b.length
    }
  }
  return out
}

/** CommandComplete ('C'): the command tag, `SELECT 3`, `INSERT 0 1`… */
export function parseCommandComplete(buf: Buffer, start: number, end: number): string {
  return utf8(buf, start + BODY, cstringEnd(buf, start + BODY, end, 'CommandComplete'))
}

/** NegotiateProtocolVersion ('v'): the newest minor version the server speaks, and the options it did not know. */
export function parseNegotiateProtocolVersion(
  buf: Buffer,
  start: number,
  end: number,
): { minorVersion: number; unrecognized: string[] } {
  const minorVersion = readInt32(buf, start + BODY)
  const count = readInt32(buf, start + BODY + 4)
  const unrecognized: string[] = []
  let p = start + BODY + 8
  for (let i = 0; i < count; i++) {
    const z = cstringEnd(buf, p, end, 'NegotiateProtocolVersion')
    unrecognized.push(utf8(buf, p, z))
    p = z + 1
  }
  return { minorVersion, unrecognized }
}

/** NotificationResponse ('A'). */
export function parseNotification(
  buf: Buffer,
  start: number,
  end: number,
): { processId: number; channel: string; payload: string } {
  const processId = readInt32(buf, start + BODY)
  const z = cstringEnd(buf, start + BODY + 4, end, 'NotificationResponse')
  const z2 = cstringEnd(buf, z + 1, end, 'NotificationResponse')
  return { processId, channel: utf8(buf, start + BODY + 4, z), payload: utf8(buf, z + 1, z2) }
}

/**
 * The fields of an ErrorResponse or NoticeResponse, named as node-postgres
 * names them (so `isServerMessage`/`pgFields` read both drivers' errors).
 */
export interface WireMessageFields {
  /** S: ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO, LOG (possibly localized) */
  readonly severity: string | undefined
  /** V: the severity, never localized (PostgreSQL 9.6+) */
  readonly severityNonLocalized: string | undefined
  /** C: SQLSTATE */
  readonly code: string | undefined
  /** M */
  readonly message: string
  readonly detail: string | undefined
  readonly hint: string | undefined
  /** P: cursor position in the query, 1-based characters, as text */
  readonly position: string | undefined
  /** p */
  readonly internalPosition: string | undefined
  /** q */
  readonly internalQuery: string | undefined
  /** W: CONTEXT */
  readonly where: string | undefined
  readonly schema: string | undefined
  readonly table: string | undefined
  readonly column: string | undefined
  /** d */
  readonly dataType: string | undefined
  /** n */
  readonly constraint: string | undefined
  /** F, L, R: where in PostgreSQL's sources */
  readonly file: string | undefined
  readonly line: string | undefined
  readonly routine: string | undefined
}

type MutableFields = { -readonly [K in keyof WireMessageFields]: WireMessageFields[K] }

function readFields(buf: Buffer, start: number, end: number, into: MutableFields): void {
  let p = start + BODY
  while (p < end && buf[p] !== 0) {
    const code = buf[p]!
    const z = cstringEnd(buf, p + 1, end, 'ErrorResponse')
    const value = utf8(buf, p + 1, z)
    p = z + 1
    switch (code) {
      case 0x53: // S
        into.severity = value
        break
      case 0x56: // V
        into.severityNonLocalized = value
        break
      case 0x43: // C
        into.code = value
        break
      case 0x4d: // M
        into.message = value
        break
      case 0x44: // D
        into.detail = value
        break
      case 0x48: // H
        into.hint = value
        break
      case 0x50: // P
        into.position = value
        break
      case 0x70: // p
        into.internalPosition = value
        break
      case 0x71: // q
        into.internalQuery = value
        break
      case 0x57: // W
        into.where = value
        break
      case 0x73: // s
        into.schema = value
        break
      case 0x74: // t
        into.table = value
        break
      case 0x63: // c
        into.column = value
        break
      case 0x64: // d
        into.dataType = value
        break
      case 0x6e: // n
        into.constraint = value
        break
      case 0x46: // F
        into.file = value
        break
      case 0x4c: // L
        into.line = value
        break
      case 0x52: // R
        into.routine = value
        break
      default:
        // fields added by later protocol versions are to be ignored
        break
    }
  }
}

/** An error a PostgreSQL server sent (ErrorResponse): every field the server gave. */
export class WireServerError extends Error implements WireMessageFields {
  override readonly name = 'WireServerError'
  severity: string | undefined = undefined
  severityNonLocalized: string | undefined = undefined
  code: string | undefined = undefined
  detail: string | undefined = undefined
  hint: string | undefined = undefined
  position: string | undefined = undefined
  internalPosition: string | undefined = undefined
  internalQuery: string | undefined = undefined
  where: string | undefined = undefined
  schema: string | undefined = undefined
  table: string | undefined = undefined
  column: string | undefined = undefined
  dataType: string | undefined = undefined
  constraint: string | undefined = undefined
  file: string | undefined = undefined
  line: string | undefined = undefined
  routine: string | undefined = undefined

  constructor(message = '') {
    super(message)
  }
}

/** A NoticeResponse: the same fields as an error. */
export class WireNotice implements WireMessageFields {
  severity: string | undefined = undefined
  severityNonLocalized: string | undefined = undefined
  code: string | undefined = undefined
  message = ''
  detail: string | undefined = undefined
  hint: string | undefined = undefined
  position: string | undefined = undefined
  internalPosition: string | undefined = undefined
  internalQuery: string | undefined = undefined
  where: string | undefined = undefined
  schema: string | undefined = undefined
  table: string | undefined = undefined
  column: string | undefined = undefined
  dataType: string | undefined = undefined
  constraint: string | undefined = undefined
  file: string | undefined = undefined
  line: string | undefined = undefined
  routine: string | undefined = undefined
}

/** ErrorResponse ('E'). */
export function parseErrorResponse(buf: Buffer, start: number, end: number): WireServerError {
  const e = new WireServerError()
  readFields(buf, start, end, e)
  return e
}

/** NoticeResponse ('N'). */
export function parseNoticeResponse(buf: Buffer, start: number, end: number): WireNotice {
  const n = new WireNotice()
  readFields(buf, start, end, n)
  return n
}

/** Builds an ErrorResponse or NoticeResponse message (for tests and servers). */
export function errorResponseMessage(
  fields: Partial<WireMessageFields> & { readonly message: string },
  type: 'E' | 'N' = 'E',
): Buffer {
  const codes: [string, string | undefined][] = [
    ['S', fields.severity ?? (type === 'E' ? 'ERROR' : 'NOTICE')],
    ['V', fields.severityNonLocalized ?? fields.severity ?? (type === 'E' ? 'ERROR' : 'NOTICE')],
    ['C', fields.code ?? (type === 'E' ? 'XX000' : '00000')],
    ['M', fields.message],
    ['D', fields.detail],
    ['H', fields.hint],
    ['P', fields.position],
    ['p', fields.internalPosition],
    ['q', fields.internalQuery],
    ['W', fields.where],
    ['s', fields.schema],
    ['t', fields.table],
    ['c', fields.column],
    ['d', fields.dataType],
    ['n', fields.constraint],
    ['F', fields.file],
    ['L', fields.line],
    ['R', fields.routine],
  ]
  const w = new MessageWriter().begin(type)
  for (const [code, value] of codes) if (value !== undefined) w.int8(code.charCodeAt(0)).cstring(value)
  return w.int8(0).end().take()
}
