/**
 * Backend (server → client) messages of the PostgreSQL wire protocol v3.
 *
 * `BackendWriter` appends messages into a growing slab and hands out the
 * bytes written since the last `flush()` as one Buffer — one socket write for
 * many messages. Flushed bytes are never written over: the writer continues
 * after them, or in a new slab, so a flushed Buffer stays valid while the
 * socket holds it.
 *
 * The standalone functions (`readyForQuery('I')`, …) return one message each;
 * the constant ones return shared Buffers that must not be modified.
 */
import type { ProtocolViolation, ReportableError } from './errors.js'

export type TransactionStatus = 'I' | 'T' | 'E'

/** One column of a RowDescription. */
export interface FieldDescription {
  readonly name: string
  /** OID of the table, or 0 */
  readonly tableOid: number
  /** attribute number of the column in the table, or 0 */
  readonly columnAttr: number
  readonly typeOid: number
  /** pg_type.typlen: -1 for varlena, -2 for cstring */
  readonly typeSize: number
  /** atttypmod, -1 when none */
  readonly typmod: number
  /** 0 text, 1 binary */
  readonly format: number
}

/**
 * The fields of an ErrorResponse or NoticeResponse, named as node-postgres and
 * postgres.js name them (so `PlProxyError` and remote error objects fit).
 * Sent in PostgreSQL's order: S V C M D H P p q W s t c d n F L R.
 */
export interface ErrorFields {
  /** S: localized severity; default ERROR (NoticeResponse: NOTICE) */
  readonly severity?: string | undefined
  /** V: non-localized severity; default the severity */
  readonly severityNonLocalized?: string | undefined
  /** C: SQLSTATE; default XX000 (NoticeResponse: 00000) */
  readonly code?: string | undefined
  /** M */
  readonly message: string
  /** D */
  readonly detail?: string | undefined
  /** H */
  readonly hint?: string | undefined
  /** P: 1-based character position in the query */
  readonly position?: string | number | undefined
  /** p */
  readonly internalPosition?: string | number | undefined
  /** q */
  readonly internalQuery?: string | undefined
  /** W: CONTEXT */
  readonly where?: string | undefined
  /** s */
  readonly schema?: string | undefined
  /** t */
  readonly table?: string | undefined
  /** c */
  readonly column?: string | undefined
  /** d */
  readonly dataType?: string | undefined
  /** n */
  readonly constraint?: string | undefined
  /** F */
  readonly file?: string | undefined
  /** L */
  readonly line?: string | number | undefined
  /** R */
  readonly routine?: string | undefined
}

/** A DataRow value: text or binary bytes as they go on the wire, or SQL NULL. */
export type DataValue = Buffer | string | null

const DEFAULT_SLAB = 16 * 1024
/** the slab grows to fit the batches written, up to this */
const MAX_SLAB = 1024 * 1024
/** below this many free bytes after a flush, the next write starts a new slab */
const MIN_TAIL = 256

export class BackendWriter {
  private buf: Buffer
  /** start of the bytes not yet flushed */
  private start = 0
  /** write position */
  private pos = 0
  /** start of the message being written */
  private msg = 0
  private slab: number

  constructor(slabSize: number = DEFAULT_SLAB) {
    this.slab = Math.max(64, slabSize | 0)
    this.buf = Buffer.allocUnsafe(this.slab)
  }

  /** bytes written and not yet flushed */
  get length(): number {
    return this.pos - this.start
  }

  /** Everything written since the last flush, as one Buffer (empty when nothing was written). */
  flush(): Buffer {
    const out = this.buf.subarray(this.start, this.pos)
    this.start = this.pos
    this.msg = this.pos
    if (this.buf.length - this.pos < MIN_TAIL) {
      this.buf = Buffer.allocUnsafe(this.slab)
      this.start = this.pos = this.msg = 0
    }
    return out
  }

  /** Drop what was written since the last flush. */
  reset(): void {
    this.pos = this.start
    this.msg = this.start
  }

  // ---- primitives ---------------------------------------------------------

  /** make room for n more bytes, keeping the unflushed bytes */
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const pending = this.pos - this.start
    // batches that outgrow the slab teach it their size (up to MAX_SLAB)
    while (this.slab < MAX_SLAB && this.slab < 2 * (pending + n)) this.slab *= 2
    let size = this.slab
    while (size < pending + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, this.start, this.pos)
    this.msg -= this.start
    this.pos = pending
    this.start = 0
    this.buf = next
  }

  /** type byte and a length placeholder; reserve `n` more bytes */
  private begin(code: number, n: number): void {
    this.ensure(5 + n)
    this.msg = this.pos
    this.buf[this.pos] = code
    this.pos += 5
  }

  /** write the length of the message begun last */
  private end(): this {
    const len = this.pos - this.msg - 1
    const b = this.buf
    const at = this.msg + 1
    b[at] = len >>> 24
    b[at + 1] = len >>> 16
    b[at + 2] = len >>> 8
    b[at + 3] = len
    return this
  }

  private int16(v: number): void {
    const b = this.buf
    b[this.pos] = v >>> 8
    b[this.pos + 1] = v
    this.pos += 2
  }

  private int32(v: number): void {
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 24
    b[p + 1] = v >>> 16
    b[p + 2] = v >>> 8
    b[p + 3] = v
    this.pos = p + 4
  }

  /** UTF-8 bytes of s (no terminator); returns the byte count */
  private str(s: string): number {
    const n = s.length
    if (n < 64) {
      // short strings: encode in JS, cheaper than a call into Buffer.write
      this.ensure(n * 3)
      const b = this.buf
      const p0 = this.pos
      let p = p0
      for (let i = 0; i < n; i++) {
        let c = s.charCodeAt(i)
        if (c < 0x80) b[p++] = c
        else if (c < 0x800) {
          b[p++] = 0xc0 | (c >> 6)
          b[p++] = 0x80 | (c & 0x3f)
        } else {
          if (c >= 0xd800 && c <= 0xdfff) {
            const d = c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0
            if (d >= 0xdc00 && d <= 0xdfff) {
              // a surrogate pair: 4 bytes (room: 2 code units × 3 bytes)
              c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
              i++
              b[p++] = 0xf0 | (c >> 18)
              b[p++] = 0x80 | ((c >> 12) & 0x3f)
              b[p++] = 0x80 | ((c >> 6) & 0x3f)
              b[p++] = 0x80 | (c & 0x3f)
              continue
            }
            c = 0xfffd // a lone surrogate, as Buffer.from writes it
          }
          b[p++] = 0xe0 | (c >> 12)
          b[p++] = 0x80 | ((c >> 6) & 0x3f)
          b[p++] = 0x80 | (c & 0x3f)
        }
      }
      this.pos = p
      return p - p0
    }
    if (this.pos + n * 3 > this.buf.length) this.ensure(Buffer.byteLength(s, 'utf8'))
    const w = this.buf.write(s, this.pos, 'utf8')
    this.pos += w
    return w
  }

  /** NUL-terminated string; a NUL inside s would break the framing, so it is refused */
  private cstr(s: string): void {
    if (s.includes('\0')) {
      this.pos = this.msg
      throw new TypeError(`a protocol string cannot contain a NUL character: ${JSON.stringify(s)}`)
    }
    this.str(s)
    this.ensure(1)
    this.buf[this.pos++] = 0
  }

  private bytes(data: Buffer): void {
    this.ensure(data.length)
    data.copy(this.buf, this.pos)
    this.pos += data.length
  }

  private stringOrBytes(data: Buffer | string): void {
    if (typeof data === 'string') this.str(data)
    else this.bytes(data)
  }

  // ---- messages -----------------------------------------------------------

  /** Append bytes that already are whole messages (e.g. forwarded from a partition). */
  raw(messages: Buffer): this {
    this.bytes(messages)
    this.msg = this.pos
    return this
  }

  authenticationOk(): this {
    return this.auth(0)
  }

  authenticationCleartextPassword(): this {
    return this.auth(3)
  }

  authenticationMD5Password(salt: Buffer): this {
    if (salt.length !== 4) throw new RangeError('the MD5 salt is 4 bytes')
    this.begin(0x52, 8)
    this.int32(5)
    this.bytes(salt)
    return this.end()
  }

  authenticationSASL(mechanisms: readonly string[]): this {
    this.begin(0x52, 5)
    this.int32(10)
    for (const m of mechanisms) this.cstr(m)
    this.ensure(1)
    this.buf[this.pos++] = 0
    return this.end()
  }

  authenticationSASLContinue(data: Buffer | string): this {
    this.begin(0x52, 4)
    this.int32(11)
    this.stringOrBytes(data)
    return this.end()
  }

  authenticationSASLFinal(data: Buffer | string): this {
    this.begin(0x52, 4)
    this.int32(12)
    this.stringOrBytes(data)
    return this.end()
  }

  private auth(code: number): this {
    this.begin(0x52, 4)
    this.int32(code)
    return this.end()
  }

  parameterStatus(name: string, value: string): this {
    this.begin(0x53, 2)
    this.cstr(name)
    this.cstr(value)
    return this.end()
  }

  /**
   * BackendKeyData. A number is the 4-byte key of protocol 3.0; protocol 3.2
   * allows a key of 4 to 256 bytes, given as a Buffer.
   */
  backendKeyData(processId: number, secretKey: number | Buffer): this {
    if (typeof secretKey === 'number') {
      this.begin(0x4b, 8)
      this.int32(processId)
      this.int32(secretKey)
      return this.end()
    }
    if (secretKey.length < 4 || secretKey.length > 256) throw new RangeError('a cancel key is 4 to 256 bytes')
    this.begin(0x4b, 4 + secretKey.length)
    this.int32(processId)
    this.bytes(secretKey)
    return this.end()
  }

  readyForQuery(status: TransactionStatus): this {
    this.begin(0x5a, 1)
    this.buf[this.pos++] = status.charCodeAt(0)
    return this.end()
  }

  rowDescription(fields: readonly FieldDescription[]): this {
    const n = fields.length
    this.begin(0x54, 2)
    this.int16(n)
    for (let i = 0; i < n; i++) {
      const f = fields[i]!
      this.cstr(f.name)
      this.ensure(18)
      this.int32(f.tableOid)
      this.int16(f.columnAttr)
      this.int32(f.typeOid)
      this.int16(f.typeSize)
      this.int32(f.typmod)
      this.int16(f.format)
    }
    return this.end()
  }

  /** DataRow: text values as strings or bytes, binary values as bytes, null for NULL. */
  dataRow(values: readonly DataValue[]): this {
    const n = values.length
    this.begin(0x44, 2 + n * 4)
    this.int16(n)
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (v === null || v === undefined) {
        this.ensure(4)
        this.int32(-1)
      } else if (typeof v === 'string') {
        this.ensure(4)
        this.pos += 4
        const len = this.str(v)
        // str() may have moved the message to a new slab: find the length slot from the end
        const slot = this.pos - len - 4
        const b = this.buf
        b[slot] = len >>> 24
        b[slot + 1] = len >>> 16
        b[slot + 2] = len >>> 8
        b[slot + 3] = len
      } else {
        this.ensure(4 + v.length)
        this.int32(v.length)
        v.copy(this.buf, this.pos)
        this.pos += v.length
      }
    }
    return this.end()
  }

  commandComplete(tag: string): this {
    this.begin(0x43, 1)
    this.cstr(tag)
    return this.end()
  }

  emptyQueryResponse(): this {
    return this.empty(0x49)
  }

  errorResponse(fields: ErrorFields): this {
    return this.errorOrNotice(0x45, fields, 'ERROR', 'XX000')
  }

  noticeResponse(fields: ErrorFields): this {
    return this.errorOrNotice(0x4e, fields, 'NOTICE', '00000')
  }

  private errorOrNotice(code: number, f: ErrorFields, severity: string, sqlstate: string): this {
    this.begin(code, 1)
    const s = f.severity ?? severity
    this.field(0x53, s)
    this.field(0x56, f.severityNonLocalized ?? s)
    this.field(0x43, f.code ?? sqlstate)
    this.field(0x4d, f.message)
    this.field(0x44, f.detail)
    this.field(0x48, f.hint)
    this.field(0x50, f.position)
    this.field(0x70, f.internalPosition)
    this.field(0x71, f.internalQuery)
    this.field(0x57, f.where)
    this.field(0x73, f.schema)
    this.field(0x74, f.table)
    this.field(0x63, f.column)
    this.field(0x64, f.dataType)
    this.field(0x6e, f.constraint)
    this.field(0x46, f.file)
    this.field(0x4c, f.line)
    this.field(0x52, f.routine)
    this.ensure(1)
    this.buf[this.pos++] = 0
    return this.end()
  }

  private field(type: number, value: string | number | undefined): void {
    if (value === undefined) return
    this.ensure(1)
    this.buf[this.pos++] = type
    this.cstr(typeof value === 'string' ? value : String(value))
  }

  parseComplete(): this {
    return this.empty(0x31)
  }

  bindComplete(): this {
    return this.empty(0x32)
  }

  closeComplete(): this {
    return this.empty(0x33)
  }

  noData(): this {
    return this.empty(0x6e)
  }

  portalSuspended(): this {
    return this.empty(0x73)
  }

  copyDone(): this {
    return this.empty(0x63)
  }

  private empty(code: number): this {
    this.begin(code, 0)
    return this.end()
  }

  parameterDescription(typeOids: readonly number[]): this {
    const n = typeOids.length
    this.begin(0x74, 2 + 4 * n)
    this.int16(n)
    for (let i = 0; i < n; i++) this.int32(typeOids[i]!)
    return this.end()
  }

  /**
   * NegotiateProtocolVersion: the newest minor version of protocol 3 the
   * server speaks (sent, as PostgreSQL does, as the whole version number
   * 3.minor), and the `_pq_.` options of the startup packet it did not know.
   */
  negotiateProtocolVersion(newestMinor: number, unrecognizedOptions: readonly string[]): this {
    this.begin(0x76, 8)
    this.int32((3 << 16) | (newestMinor & 0xffff))
    this.int32(unrecognizedOptions.length)
    for (const o of unrecognizedOptions) this.cstr(o)
    return this.end()
  }

  /** CopyInResponse: overall format (0 text, 1 binary) and one format per column. */
  copyInResponse(format: number, columnFormats: readonly number[]): this {
    return this.copyResponse(0x47, format, columnFormats)
  }

  copyOutResponse(format: number, columnFormats: readonly number[]): this {
    return this.copyResponse(0x48, format, columnFormats)
  }

  copyBothResponse(format: number, columnFormats: readonly number[]): this {
    return this.copyResponse(0x57, format, columnFormats)
  }

  private copyResponse(code: number, format: number, columnFormats: readonly number[]): this {
    const n = columnFormats.length
    this.begin(code, 3 + 2 * n)
    this.buf[this.pos++] = format
    this.int16(n)
    for (let i = 0; i < n; i++) this.int16(columnFormats[i]!)
    return this.end()
  }

  copyData(data: Buffer | string): this {
    this.begin(0x64, 0)
    this.stringOrBytes(data)
    return this.end()
  }

  notificationResponse(processId: number, channel: string, payload: string): this {
    this.begin(0x41, 6)
    this.int32(processId)
    this.cstr(channel)
    this.cstr(payload)
    return this.end()
  }

  /** FunctionCallResponse: the result value, or null for NULL. */
  functionCallResponse(value: Buffer | string | null): this {
    this.begin(0x56, 4)
    if (value === null) {
      this.int32(-1)
      return this.end()
    }
    this.pos += 4
    let len = value.length
    if (typeof value === 'string') len = this.str(value)
    else this.bytes(value)
    this.buf.writeInt32BE(len, this.pos - len - 4)
    return this.end()
  }
}

// ---- one message at a time ------------------------------------------------

const one = new BackendWriter(64 * 1024)

function fixed(write: (w: BackendWriter) => void): Buffer {
  const w = new BackendWriter(64)
  write(w)
  return Buffer.from(w.flush())
}

const AUTH_OK = fixed((w) => w.authenticationOk())
const AUTH_CLEARTEXT = fixed((w) => w.authenticationCleartextPassword())
const EMPTY_QUERY = fixed((w) => w.emptyQueryResponse())
const PARSE_COMPLETE = fixed((w) => w.parseComplete())
const BIND_COMPLETE = fixed((w) => w.bindComplete())
const CLOSE_COMPLETE = fixed((w) => w.closeComplete())
const NO_DATA = fixed((w) => w.noData())
const PORTAL_SUSPENDED = fixed((w) => w.portalSuspended())
const COPY_DONE = fixed((w) => w.copyDone())
const RFQ = {
  I: fixed((w) => w.readyForQuery('I')),
  T: fixed((w) => w.readyForQuery('T')),
  E: fixed((w) => w.readyForQuery('E')),
}

/** The answer to an SSLRequest that accepts TLS (a single byte, no framing). */
export const SSL_ACCEPT: Buffer = Buffer.from('S')
/** The answer to an SSLRequest that refuses TLS. */
export const SSL_REJECT: Buffer = Buffer.from('N')
/** The answer to a GSSENCRequest: no GSSAPI encryption. */
export const GSSENC_REJECT: Buffer = Buffer.from('N')

export const authenticationOk = (): Buffer => AUTH_OK
export const authenticationCleartextPassword = (): Buffer => AUTH_CLEARTEXT
export const authenticationMD5Password = (salt: Buffer): Buffer => one.authenticationMD5Password(salt).flush()
export const authenticationSASL = (mechanisms: readonly string[]): Buffer =>
  one.authenticationSASL(mechanisms).flush()
export const authenticationSASLContinue = (data: Buffer | string): Buffer =>
  one.authenticationSASLContinue(data).flush()
export const authenticationSASLFinal = (data: Buffer | string): Buffer =>
  one.authenticationSASLFinal(data).flush()
export const parameterStatus = (name: string, value: string): Buffer =>
  one.parameterStatus(name, value).flush()
export const backendKeyData = (processId: number, secretKey: number | Buffer): Buffer =>
  one.backendKeyData(processId, secretKey).flush()
export const readyForQuery = (status: TransactionStatus): Buffer => RFQ[status]
export const rowDescription = (fields: readonly FieldDescription[]): Buffer =>
  one.rowDescription(fields).flush()
export const dataRow = (values: readonly DataValue[]): Buffer => one.dataRow(values).flush()
export const commandComplete = (tag: string): Buffer => one.commandComplete(tag).flush()
export const emptyQueryResponse = (): Buffer => EMPTY_QUERY
export const errorResponse = (fields: ErrorFields): Buffer => one.errorResponse(fields).flush()
export const noticeResponse = (fields: ErrorFields): Buffer => one.noticeResponse(fields).flush()
export const parseComplete = (): Buffer => PARSE_COMPLETE
export const bindComplete = (): Buffer => BIND_COMPLETE
export const closeComplete = (): Buffer => CLOSE_COMPLETE
export const noData = (): Buffer => NO_DATA
export const portalSuspended = (): Buffer => PORTAL_SUSPENDED
export const parameterDescription = (typeOids: readonly number[]): Buffer =>
  one.parameterDescription(typeOids).flush()
export const negotiateProtocolVersion = (
  newestMinor: number,
  unrecognizedOptions: readonly string[],
): Buffer => one.negotiateProtocolVersion(newestMinor, unrecognizedOptions).flush()
export const copyInResponse = (format: number, columnFormats: readonly number[]): Buffer =>
  one.copyInResponse(format, columnFormats).flush()
export const copyOutResponse = (format: number, columnFormats: readonly number[]): Buffer =>
  one.copyOutResponse(format, columnFormats).flush()
export const copyData = (data: Buffer | string): Buffer => one.copyData(data).flush()
export const copyDone = (): Buffer => COPY_DONE
export const notificationResponse = (processId: number, channel: string, payload: string): Buffer =>
  one.notificationResponse(processId, channel, payload).flush()
export const functionCallResponse = (value: Buffer | string | null): Buffer =>
  one.functionCallResponse(value).flush()

/**
 * The ErrorResponse PostgreSQL sends before closing a connection: severity
 * FATAL, the error's SQLSTATE (08P01 for protocol violations), message and
 * detail.
 */
export function fatalErrorResponse(error: ReportableError): Buffer {
  return one
    .errorResponse({
      severity: 'FATAL',
      code: error.code,
      message: error.message,
      detail: error.detail,
      hint: error.hint,
    })
    .flush()
}

/**
 * The ErrorResponse for a protocol violation: severity ERROR when the
 * message was consumed and the session can go on (level ERROR), FATAL
 * otherwise. (For COMMERROR PostgreSQL sends nothing and just closes.)
 */
export function violationErrorResponse(violation: ProtocolViolation): Buffer {
  return one
    .errorResponse({
      severity: violation.level === 'ERROR' ? 'ERROR' : 'FATAL',
      code: violation.code,
      message: violation.message,
      detail: violation.detail,
    })
    .flush()
}
