/**
 * Frontend (client → server) messages of the PostgreSQL wire protocol v3:
 * an incremental decoder. Push socket chunks in, pull whole messages out:
 *
 *   decoder.push(chunk)
 *   for (let m = decoder.next(); m !== null; m = decoder.next()) handle(m)
 *
 * The decoder follows the connection through its phases, as PostgreSQL does:
 * - `startup`: packets without a type byte (StartupMessage, SSLRequest,
 *   GSSENCRequest, CancelRequest); a StartupMessage moves it to `password`;
 * - `password` / `sasl`: only 'p' messages, at most 65535 / 1024 bytes long
 *   (PG_MAX_AUTH_TOKEN_LENGTH, PG_MAX_SASL_MESSAGE_LENGTH); the server moves it
 *   with `setPhase` ('sasl' for SCRAM, 'normal' after AuthenticationOk, or
 *   straight to 'normal' for trust);
 * - `normal`: typed messages with PostgreSQL's per-type length limits (1 GiB
 *   for Query, Parse, Bind, FunctionCall and CopyData; 10000 bytes for the
 *   others).
 * The message type is checked as soon as its byte arrives and the length as
 * soon as its four bytes do, so nothing is buffered or allocated for a
 * message that will be refused.
 *
 * Every message keeps `raw`, its bytes (type byte and length included), to be
 * forwarded untouched: a view into the pushed chunk when the message lies in
 * one chunk, else one copy. Bind parameters and CopyData payloads are views
 * into `raw`.
 *
 * Faults are `ProtocolViolation`s with PostgreSQL's wording (pqcomm.c,
 * pqformat.c, postgres.c, backend_startup.c). A framing fault (level
 * COMMERROR or FATAL) leaves the decoder failed: every later call throws it
 * again. A field fault (level ERROR) is raised after the message has been
 * consumed; the stream stays in sync and decoding can go on.
 */
import { FEATURE_NOT_SUPPORTED, ProtocolViolation, type ViolationLevel } from './errors.js'

// ---- constants --------------------------------------------------------------

export const CANCEL_REQUEST_CODE = 80877102
export const SSL_REQUEST_CODE = 80877103
export const GSSENC_REQUEST_CODE = 80877104

/** PQ_LARGE_MESSAGE_LIMIT: MaxAllocSize - 1 */
export const LARGE_MESSAGE_LIMIT = 0x3ffffffe
/** PQ_SMALL_MESSAGE_LIMIT */
export const SMALL_MESSAGE_LIMIT = 10000
/** MAX_STARTUP_PACKET_LENGTH (the packet without its length word) */
export const MAX_STARTUP_PACKET_LENGTH = 10000
/** PG_MAX_AUTH_TOKEN_LENGTH: the limit of a password message */
export const MAX_AUTH_TOKEN_LENGTH = 65535
/** PG_MAX_SASL_MESSAGE_LENGTH */
export const MAX_SASL_MESSAGE_LENGTH = 1024
/** the longest cancel key of protocol 3.2 */
export const MAX_CANCEL_KEY_LENGTH = 256

// ---- messages ---------------------------------------------------------------

export interface StartupMessage {
  readonly type: 'StartupMessage'
  readonly raw: Buffer
  readonly major: number
  readonly minor: number
  /** name/value pairs in the order sent (user, database, options, application_name, _pq_.*, …) */
  readonly parameters: readonly (readonly [string, string])[]
}
export interface SSLRequest {
  readonly type: 'SSLRequest'
  readonly raw: Buffer
}
export interface GSSENCRequest {
  readonly type: 'GSSENCRequest'
  readonly raw: Buffer
}
export interface CancelRequest {
  readonly type: 'CancelRequest'
  readonly raw: Buffer
  readonly processId: number
  /** 4 bytes in protocol 3.0, up to 256 in 3.2 */
  readonly secretKey: Buffer
}
export interface Query {
  readonly type: 'Query'
  readonly raw: Buffer
  readonly sql: string
}
export interface Parse {
  readonly type: 'Parse'
  readonly raw: Buffer
  readonly name: string
  readonly sql: string
  /** type OIDs, 0 for unspecified */
  readonly paramTypes: readonly number[]
}
export interface Bind {
  readonly type: 'Bind'
  readonly raw: Buffer
  readonly portal: string
  readonly statement: string
  /** none (all text), one (for all), or one per parameter */
  readonly paramFormats: readonly number[]
  /** views into raw; null for NULL */
  readonly params: readonly (Buffer | null)[]
  readonly resultFormats: readonly number[]
}
export interface Describe {
  readonly type: 'Describe'
  readonly raw: Buffer
  /** S: prepared statement, P: portal */
  readonly target: 'S' | 'P'
  readonly name: string
}
export interface Execute {
  readonly type: 'Execute'
  readonly raw: Buffer
  readonly portal: string
  /** 0 (or negative): no limit */
  readonly maxRows: number
}
export interface Close {
  readonly type: 'Close'
  readonly raw: Buffer
  readonly target: 'S' | 'P'
  readonly name: string
}
export interface Sync {
  readonly type: 'Sync'
  readonly raw: Buffer
}
export interface Flush {
  readonly type: 'Flush'
  readonly raw: Buffer
}
export interface Terminate {
  readonly type: 'Terminate'
  readonly raw: Buffer
}
/**
 * A 'p' message: PasswordMessage, SASLInitialResponse, SASLResponse or
 * GSSResponse — which one depends on the authentication under way. Read the
 * body with `decodePasswordMessage`, `decodeSASLInitialResponse` or
 * `decodeSASLResponse`.
 */
export interface PasswordMessage {
  readonly type: 'PasswordMessage'
  readonly raw: Buffer
  /** the message without type byte and length (a view into raw) */
  readonly body: Buffer
}
export interface CopyData {
  readonly type: 'CopyData'
  readonly raw: Buffer
  /** a view into raw */
  readonly data: Buffer
}
export interface CopyDone {
  readonly type: 'CopyDone'
  readonly raw: Buffer
}
export interface CopyFail {
  readonly type: 'CopyFail'
  readonly raw: Buffer
  readonly message: string
}
export interface FunctionCall {
  readonly type: 'FunctionCall'
  readonly raw: Buffer
  readonly functionOid: number
  readonly argFormats: readonly number[]
  /** views into raw; null for NULL */
  readonly args: readonly (Buffer | null)[]
  readonly resultFormat: number
}

export type StartupPhaseMessage = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest
export type FrontendMessage =
  | StartupPhaseMessage
  | Query
  | Parse
  | Bind
  | Describe
  | Execute
  | Close
  | Sync
  | Flush
  | Terminate
  | PasswordMessage
  | CopyData
  | CopyDone
  | CopyFail
  | FunctionCall

export type DecoderPhase = 'startup' | 'password' | 'sasl' | 'normal'

export interface FrontendDecoderOptions {
  /** where the connection starts; default 'startup' */
  readonly phase?: DecoderPhase
  /** limit of Query, Parse, Bind, FunctionCall and CopyData messages (length word included); default 0x3ffffffe */
  readonly maxMessageLength?: number
  /** limit of the other messages; default 10000 */
  readonly maxSmallMessageLength?: number
  /** limit of a startup packet, without its length word; default 10000 */
  readonly maxStartupPacketLength?: number
  /** the newest minor version of protocol 3 the server speaks, for the unsupported-version message; default 0 */
  readonly latestMinor?: number
}

const EMPTY: readonly never[] = Object.freeze([])
const EMPTY_BUFFER = Buffer.alloc(0)
/** chunks up to this size are gathered while a message is incomplete */
const SMALL_CHUNK = 4096
const MERGE_SIZE = 64 * 1024

function constant<T extends 'Sync' | 'Flush' | 'Terminate' | 'CopyDone'>(type: T, code: number) {
  return Object.freeze({ type, raw: Buffer.from([code, 0, 0, 0, 4]) })
}
const SYNC: Sync = constant('Sync', 0x53)
const FLUSH: Flush = constant('Flush', 0x48)
const TERMINATE: Terminate = constant('Terminate', 0x58)
const COPY_DONE: CopyDone = constant('CopyDone', 0x63)

// ---- field reader -----------------------------------------------------------

function fieldError(message: string, level: ViolationLevel = 'ERROR'): ProtocolViolation {
  return new ProtocolViolation(message, level)
}

/** Reads the fields of one message body, with pqformat.c's checks. */
class Reader {
  buf: Buffer = Buffer.alloc(0)
  pos = 0
  end = 0
  level: ViolationLevel = 'ERROR'

  reset(buf: Buffer, pos: number, end: number, level: ViolationLevel): this {
    this.buf = buf
    this.pos = pos
    this.end = end
    this.level = level
    return this
  }

  get remaining(): number {
    return this.end - this.pos
  }

  /** pq_getmsgstring */
  cstring(): string {
    const b = this.buf
    const start = this.pos
    const end = this.end
    let i = start
    // short strings: a plain loop beats indexOf's call overhead
    const stop = Math.min(end, start + 32)
    while (i < stop && b[i] !== 0) i++
    if (i === stop && i < end) {
      i = b.indexOf(0, i)
      if (i < 0 || i >= end) i = end
    }
    if (i >= end) throw fieldError('invalid string in message', this.level)
    this.pos = i + 1
    return utf8(b, start, i)
  }

  /** pq_getmsgbyte */
  byte(): number {
    if (this.pos >= this.end) throw fieldError('no data left in message', this.level)
    return this.buf[this.pos++]!
  }

  /** pq_getmsgint(msg, 2), unsigned */
  uint16(): number {
    const p = this.pos
    if (p + 2 > this.end) throw fieldError('insufficient data left in message', this.level)
    this.pos = p + 2
    return (this.buf[p]! << 8) | this.buf[p + 1]!
  }

  /** an int16 field (format codes, result format) */
  int16(): number {
    return (this.uint16() << 16) >> 16
  }

  int32(): number {
    const p = this.pos
    if (p + 4 > this.end) throw fieldError('insufficient data left in message', this.level)
    this.pos = p + 4
    const b = this.buf
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
  }

  uint32(): number {
    return this.int32() >>> 0
  }

  /** pq_getmsgbytes: a view */
  bytes(n: number): Buffer {
    const p = this.pos
    if (n < 0 || n > this.end - p) throw fieldError('insufficient data left in message', this.level)
    this.pos = p + n
    return this.buf.subarray(p, p + n)
  }

  /** n items of `size` bytes must fit before anything is allocated for them */
  need(n: number, size: number): void {
    if (n * size > this.end - this.pos) throw fieldError('insufficient data left in message', this.level)
  }

  /** pq_getmsgend */
  done(): void {
    if (this.pos !== this.end) throw fieldError('invalid message format', this.level)
  }

  int16s(n: number): readonly number[] {
    if (n === 0) return EMPTY
    this.need(n, 2)
    const out = new Array<number>(n)
    for (let i = 0; i < n; i++) out[i] = this.int16()
    return out
  }
}

function utf8(b: Buffer, start: number, end: number): string {
  const n = end - start
  if (n === 0) return ''
  if (n < 24) {
    let s = ''
    for (let i = start; i < end; i++) {
      const c = b[i]!
      if (c > 0x7f) return b.toString('utf8', start, end)
      s += String.fromCharCode(c)
    }
    return s
  }
  return b.toString('utf8', start, end)
}

// ---- per-phase type tables ---------------------------------------------------

type LimitTable = Uint32Array

function limits(large: number, small: number): Record<'password' | 'sasl' | 'normal', LimitTable> {
  const normal = new Uint32Array(256)
  for (const c of 'QFBPd') normal[c.charCodeAt(0)] = large
  for (const c of 'XCDEHScf') normal[c.charCodeAt(0)] = small
  const password = new Uint32Array(256)
  password[0x70] = Math.min(large, MAX_AUTH_TOKEN_LENGTH)
  const sasl = new Uint32Array(256)
  sasl[0x70] = Math.min(large, MAX_SASL_MESSAGE_LENGTH)
  return { password, sasl, normal }
}

// ---- the decoder --------------------------------------------------------------

export class FrontendDecoder {
  private readonly chunks: Buffer[] = []
  /** index of the first unread chunk */
  private head = 0
  /** read offset in chunks[head] */
  private offset = 0
  private available = 0
  private phaseName: DecoderPhase
  private table: LimitTable | null
  private readonly tables: Record<'password' | 'sasl' | 'normal', LimitTable>
  private readonly maxStartup: number
  private readonly latestMinor: number
  private failure: ProtocolViolation | null = null
  private sslDone = false
  private gssDone = false
  private readonly reader = new Reader()
  /** where small chunks are gathered: chunks[mergeEntry] views merge[mergeStart, mergeEnd) */
  private merge: Buffer = EMPTY_BUFFER
  private mergeStart = 0
  private mergeEnd = 0
  private mergeEntry = -1

  constructor(options: FrontendDecoderOptions = {}) {
    const large = Math.max(4, options.maxMessageLength ?? LARGE_MESSAGE_LIMIT)
    const small = Math.min(large, Math.max(4, options.maxSmallMessageLength ?? SMALL_MESSAGE_LIMIT))
    this.tables = limits(large, small)
    this.maxStartup = options.maxStartupPacketLength ?? MAX_STARTUP_PACKET_LENGTH
    this.latestMinor = options.latestMinor ?? 0
    this.phaseName = options.phase ?? 'startup'
    this.table = this.phaseName === 'startup' ? null : this.tables[this.phaseName]
  }

  get phase(): DecoderPhase {
    return this.phaseName
  }

  /** Change what the next messages may be (the session knows where authentication is). */
  setPhase(phase: DecoderPhase): void {
    this.phaseName = phase
    this.table = phase === 'startup' ? null : this.tables[phase]
  }

  /** bytes received and not yet returned as messages */
  get buffered(): number {
    return this.available
  }

  /** the fault that stopped the decoder, if any */
  get error(): ProtocolViolation | null {
    return this.failure
  }

  push(chunk: Buffer): void {
    const n = chunk.length
    if (n === 0) return
    if (this.available === 0) {
      // the common case: whole messages in a fresh chunk, read in place
      this.chunks.length = 0
      this.head = 0
      this.offset = 0
      this.mergeEntry = -1
      this.merge = EMPTY_BUFFER
    } else if (n <= SMALL_CHUNK) {
      // a message arriving in dribs and drabs: gather the pieces, so that
      // the chunk list does not grow by one entry per tiny read
      this.append(chunk)
      return
    }
    this.chunks.push(chunk)
    this.available += n
  }

  /** copy a small chunk after the pending bytes, into the merge buffer */
  private append(chunk: Buffer): void {
    const n = chunk.length
    const last = this.chunks.length - 1
    if (this.mergeEntry !== last || this.merge.length - this.mergeEnd < n) {
      if (this.merge.length - this.mergeEnd < n) {
        // small at first (many idle connections may each hold a partial message), doubling up to MERGE_SIZE
        this.merge = Buffer.allocUnsafe(Math.min(MERGE_SIZE, Math.max(512, this.merge.length * 2, n)))
        this.mergeEnd = 0
      }
      this.mergeStart = this.mergeEnd
      this.mergeEntry = last + 1
      this.chunks.push(EMPTY_BUFFER)
    }
    chunk.copy(this.merge, this.mergeEnd)
    this.mergeEnd += n
    // a longer view from the same start: read offsets into it stay valid
    this.chunks[this.mergeEntry] = this.merge.subarray(this.mergeStart, this.mergeEnd)
    this.available += n
  }

  /** Remove and return the bytes not yet decoded (e.g. what followed an SSLRequest). */
  takeBuffered(): Buffer {
    const out = this.available === 0 ? Buffer.alloc(0) : this.take(this.available)
    this.chunks.length = 0
    this.head = 0
    this.offset = 0
    this.mergeEntry = -1
    return out
  }

  /** The next whole message, or null until more bytes arrive. Throws only ProtocolViolation. */
  next(): FrontendMessage | null {
    if (this.failure !== null) throw this.failure
    if (this.available === 0) return null
    try {
      return this.table === null ? this.nextStartup() : this.nextMessage(this.table)
    } catch (e) {
      let v: ProtocolViolation
      if (e instanceof ProtocolViolation) v = e
      else {
        // a bug of ours; still a violation for the caller, with the cause kept
        v = new ProtocolViolation('invalid message format', 'COMMERROR')
        Object.defineProperty(v, 'cause', { value: e })
      }
      if (v.level !== 'ERROR') this.failure = v
      throw v
    }
  }

  /** Call `handler` for each whole message; stop early when it returns false. */
  drain(handler: (message: FrontendMessage) => boolean | undefined): void {
    for (let m = this.next(); m !== null; m = this.next()) {
      if (handler(m) === false) return
    }
  }

  /**
   * At end of input: the fault PostgreSQL logs for a message cut short, or
   * null when the stream ended between messages.
   */
  eofError(): ProtocolViolation | null {
    if (this.failure !== null || this.available === 0) return null
    if (this.table === null) return new ProtocolViolation('incomplete startup packet', 'COMMERROR')
    if (this.available < 5)
      return new ProtocolViolation('unexpected EOF within message length word', 'COMMERROR')
    return new ProtocolViolation('incomplete message from client', 'COMMERROR')
  }

  // ---- buffer access ----

  /** byte at logical position i of the unread data (i < available) */
  private peek(i: number): number {
    let at = this.offset + i
    let c = this.head
    let chunk = this.chunks[c]!
    while (at >= chunk.length) {
      at -= chunk.length
      chunk = this.chunks[++c]!
    }
    return chunk[at]!
  }

  private peekInt32(i: number): number {
    const chunk = this.chunks[this.head]!
    const at = this.offset + i
    if (at + 4 <= chunk.length) return chunk.readInt32BE(at)
    return (this.peek(i) << 24) | (this.peek(i + 1) << 16) | (this.peek(i + 2) << 8) | this.peek(i + 3)
  }

  /** consume n bytes (n <= available): a view when they lie in one chunk, else a copy */
  private take(n: number): Buffer {
    const chunk = this.chunks[this.head]!
    const off = this.offset
    this.available -= n
    if (chunk.length - off > n) {
      this.offset = off + n
      return chunk.subarray(off, off + n)
    }
    if (chunk.length - off === n) {
      this.advanceChunk()
      return chunk.subarray(off, off + n)
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[this.head]!
      const from = this.offset
      const count = Math.min(c.length - from, n - filled)
      c.copy(out, filled, from, from + count)
      filled += count
      if (from + count === c.length) this.advanceChunk()
      else this.offset = from + count
    }
    return out
  }

  private advanceChunk(): void {
    this.chunks[this.head] = EMPTY_BUFFER
    this.head++
    this.offset = 0
    if (this.head === this.chunks.length) {
      this.chunks.length = 0
      this.head = 0
      this.mergeEntry = -1
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks.splice(0, this.head)
      this.mergeEntry -= this.head
      this.head = 0
    }
  }

  // ---- startup phase ----

  private nextStartup(): StartupPhaseMessage | null {
    if (this.available < 4) return null
    const len = this.peekInt32(0)
    if (len - 4 < 4 || len - 4 > this.maxStartup) {
      throw new ProtocolViolation('invalid length of startup packet', 'COMMERROR')
    }
    if (this.available < len) return null
    const raw = this.take(len)
    const code = raw.readUInt32BE(4)
    if (code === CANCEL_REQUEST_CODE) {
      if (len < 12) throw new ProtocolViolation('invalid length of cancel request packet', 'COMMERROR')
      const keyLength = len - 12
      if (keyLength < 4 || keyLength > MAX_CANCEL_KEY_LENGTH) {
        throw new ProtocolViolation('invalid length of cancel key in cancel request packet', 'COMMERROR')
      }
      return { type: 'CancelRequest', raw, processId: raw.readInt32BE(8), secretKey: raw.subarray(12) }
    }
    if (code === SSL_REQUEST_CODE && !this.sslDone) {
      this.sslDone = true
      return { type: 'SSLRequest', raw }
    }
    if (code === GSSENC_REQUEST_CODE && !this.gssDone) {
      this.gssDone = true
      return { type: 'GSSENCRequest', raw }
    }
    const major = code >>> 16
    const minor = code & 0xffff
    if (major !== 3) {
      throw new ProtocolViolation(
        `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.${this.latestMinor}`,
        'FATAL',
        FEATURE_NOT_SUPPORTED,
      )
    }
    const parameters: [string, string][] = []
    let off = 8
    while (off < len && raw[off] !== 0) {
      const nameEnd = raw.indexOf(0, off)
      const valueEnd = nameEnd < 0 ? -1 : raw.indexOf(0, nameEnd + 1)
      if (valueEnd < 0) break
      parameters.push([utf8(raw, off, nameEnd), utf8(raw, nameEnd + 1, valueEnd)])
      off = valueEnd + 1
    }
    if (off !== len - 1 || raw[off] !== 0) {
      throw new ProtocolViolation('invalid startup packet layout: expected terminator as last byte', 'FATAL')
    }
    this.setPhase('password')
    return { type: 'StartupMessage', raw, major, minor, parameters }
  }

  // ---- typed messages ----

  private nextMessage(table: LimitTable): FrontendMessage | null {
    const chunk = this.chunks[this.head]!
    const off = this.offset
    const code = chunk[off]!
    const limit = table[code]!
    if (limit === 0) throw this.unexpectedType(code)
    if (this.available < 5) return null
    const len = off + 5 <= chunk.length ? chunk.readInt32BE(off + 1) : this.peekInt32(1)
    if (len < 4 || len > limit) throw new ProtocolViolation('invalid message length', 'COMMERROR')
    const total = len + 1
    if (this.available < total) return null
    if (len === 4) {
      // bodiless messages: no bytes to keep
      switch (code) {
        case 0x53:
          this.skip(5)
          return SYNC
        case 0x48:
          this.skip(5)
          return FLUSH
        case 0x58:
          this.skip(5)
          return TERMINATE
        case 0x63:
          this.skip(5)
          return COPY_DONE
      }
    }
    const raw = this.take(total)
    try {
      return this.decode(code, raw)
    } catch (e) {
      if (e instanceof ProtocolViolation) e.messageType = String.fromCharCode(code)
      throw e
    }
  }

  private skip(n: number): void {
    const chunk = this.chunks[this.head]!
    if (chunk.length - this.offset > n) {
      this.offset += n
      this.available -= n
    } else this.take(n)
  }

  private unexpectedType(code: number): ProtocolViolation {
    switch (this.phaseName) {
      case 'password':
        return new ProtocolViolation(`expected password response, got message type ${code}`, 'FATAL')
      case 'sasl':
        return new ProtocolViolation(`expected SASL response, got message type ${code}`, 'FATAL')
      default:
        return new ProtocolViolation(`invalid frontend message type ${code}`, 'FATAL')
    }
  }

  private decode(code: number, raw: Buffer): FrontendMessage {
    const r = this.reader.reset(raw, 5, raw.length, 'ERROR')
    switch (code) {
      case 0x51: {
        const sql = r.cstring()
        r.done()
        return { type: 'Query', raw, sql }
      }
      case 0x50: {
        const name = r.cstring()
        const sql = r.cstring()
        const n = r.uint16()
        let paramTypes: readonly number[] = EMPTY
        if (n > 0) {
          r.need(n, 4)
          const types = new Array<number>(n)
          for (let i = 0; i < n; i++) types[i] = r.uint32()
          paramTypes = types
        }
        r.done()
        return { type: 'Parse', raw, name, sql, paramTypes }
      }
      case 0x42:
        return decodeBind(r, raw)
      case 0x44:
      case 0x43: {
        const target = r.byte()
        const name = r.cstring()
        r.done()
        if (target !== 0x53 && target !== 0x50) {
          throw fieldError(`invalid ${code === 0x44 ? 'DESCRIBE' : 'CLOSE'} message subtype ${target}`)
        }
        const t = target === 0x53 ? 'S' : 'P'
        return code === 0x44
          ? { type: 'Describe', raw, target: t, name }
          : { type: 'Close', raw, target: t, name }
      }
      case 0x45: {
        const portal = r.cstring()
        const maxRows = r.int32()
        r.done()
        return { type: 'Execute', raw, portal, maxRows }
      }
      case 0x53:
        r.done()
        return { type: 'Sync', raw }
      case 0x48:
        r.done()
        return { type: 'Flush', raw }
      case 0x58:
        return { type: 'Terminate', raw }
      case 0x63:
        return { type: 'CopyDone', raw }
      case 0x64:
        return { type: 'CopyData', raw, data: raw.subarray(5) }
      case 0x66:
        return { type: 'CopyFail', raw, message: r.cstring() }
      case 0x46:
        return decodeFunctionCall(r, raw)
      case 0x70:
        return { type: 'PasswordMessage', raw, body: raw.subarray(5) }
      default:
        // unreachable: the limit tables admit only the codes above
        throw new ProtocolViolation(`invalid frontend message type ${code}`, 'FATAL')
    }
  }
}

function decodeBind(r: Reader, raw: Buffer): Bind {
  const portal = r.cstring()
  const statement = r.cstring()
  const paramFormats = r.int16s(r.uint16())
  const n = r.uint16()
  const nf = paramFormats.length
  if (nf > 1 && nf !== n) throw fieldError(`bind message has ${nf} parameter formats but ${n} parameters`)
  let params: readonly (Buffer | null)[] = EMPTY
  if (n > 0) {
    r.need(n, 4)
    const values = new Array<Buffer | null>(n)
    for (let i = 0; i < n; i++) {
      const len = r.int32()
      values[i] = len === -1 ? null : r.bytes(len)
    }
    params = values
  }
  const resultFormats = r.int16s(r.uint16())
  r.done()
  return { type: 'Bind', raw, portal, statement, paramFormats, params, resultFormats }
}

function decodeFunctionCall(r: Reader, raw: Buffer): FunctionCall {
  const functionOid = r.uint32()
  const argFormats = r.int16s(r.uint16())
  const n = r.uint16()
  const nf = argFormats.length
  if (nf > 1 && nf !== n) {
    throw fieldError(`function call message contains ${nf} argument formats but ${n} arguments`)
  }
  let args: readonly (Buffer | null)[] = EMPTY
  if (n > 0) {
    r.need(n, 4)
    const values = new Array<Buffer | null>(n)
    for (let i = 0; i < n; i++) {
      const size = r.int32()
      if (size === -1) values[i] = null
      else if (size < 0) throw fieldError(`invalid argument size ${size} in function call message`)
      else values[i] = r.bytes(size)
    }
    args = values
  }
  const resultFormat = r.int16()
  r.done()
  return { type: 'FunctionCall', raw, functionOid, argFormats, args, resultFormat }
}

// ---- 'p' message bodies ---------------------------------------------------------

const authReader = new Reader()

function bodyOf(message: PasswordMessage | Buffer): Buffer {
  return Buffer.isBuffer(message) ? message : message.body
}

/**
 * The password of a PasswordMessage (cleartext, or md5 response): one
 * NUL-terminated string filling the body. Does not refuse an empty password:
 * that is the authentication's business ("empty password returned by client").
 */
export function decodePasswordMessage(message: PasswordMessage | Buffer): string {
  const body = bodyOf(message)
  const nul = body.indexOf(0)
  if (body.length === 0 || nul !== body.length - 1) {
    throw new ProtocolViolation('invalid password packet size', 'FATAL')
  }
  return body.toString('utf8', 0, nul)
}

export interface SASLInitialResponse {
  readonly mechanism: string
  /** the Initial Client Response, or null when the client sent none (length -1) */
  readonly data: Buffer | null
}

/**
 * A SASLInitialResponse. With `mechanisms`, the selected mechanism is checked
 * before the rest of the message is read, as PostgreSQL does.
 */
export function decodeSASLInitialResponse(
  message: PasswordMessage | Buffer,
  mechanisms?: readonly string[],
): SASLInitialResponse {
  const body = bodyOf(message)
  const r = authReader.reset(body, 0, body.length, 'FATAL')
  const nul = body.indexOf(0)
  if (nul < 0) throw fieldError('invalid string in message', 'FATAL')
  r.pos = nul + 1
  const mechanism = body.toString('utf8', 0, nul)
  if (mechanisms !== undefined && !mechanisms.includes(mechanism)) {
    throw new ProtocolViolation('client selected an invalid SASL authentication mechanism', 'FATAL')
  }
  const len = r.int32()
  const data = len === -1 ? null : r.bytes(len)
  r.done()
  return { mechanism, data }
}

/** A SASLResponse: the whole body is the mechanism's data. */
export function decodeSASLResponse(message: PasswordMessage | Buffer): Buffer {
  return bodyOf(message)
}

// ---- startup helpers ---------------------------------------------------------------

/** The value of a startup parameter (the last one sent wins, as in PostgreSQL), or undefined. */
export function startupParameter(message: StartupMessage, name: string): string | undefined {
  let value: string | undefined
  for (const [k, v] of message.parameters) if (k === name) value = v
  return value
}

/**
 * What PostgreSQL answers with NegotiateProtocolVersion: needed when the
 * client asked for a newer minor version than `latestMinor`, or sent `_pq_.`
 * options (none are known). Null when no negotiation is needed.
 */
export function protocolNegotiation(
  message: StartupMessage,
  latestMinor: number,
): { readonly newestMinor: number; readonly unrecognizedOptions: readonly string[] } | null {
  const unrecognizedOptions: string[] = []
  for (const [k] of message.parameters) if (k.startsWith('_pq_.')) unrecognizedOptions.push(k)
  if (message.minor <= latestMinor && unrecognizedOptions.length === 0) return null
  return { newestMinor: Math.min(message.minor, latestMinor), unrecognizedOptions }
}

/** FATAL when data arrived before the TLS (or GSSAPI) handshake it should have followed. */
export function unencryptedDataAfter(request: 'SSLRequest' | 'GSSENCRequest'): ProtocolViolation {
  return new ProtocolViolation(
    request === 'SSLRequest'
      ? 'received unencrypted data after SSL request'
      : 'received unencrypted data after GSSAPI encryption request',
    'FATAL',
    undefined,
    'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.',
  )
}
