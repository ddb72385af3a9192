/**
 * The one error the protocol codec raises, with PostgreSQL's wording.
 *
 * `level` says what PostgreSQL does with the same fault:
 * - `COMMERROR`: the stream cannot be trusted (bad framing, a startup packet
 *   of the wrong size); PostgreSQL logs it and closes the connection without
 *   telling the client;
 * - `FATAL`: PostgreSQL sends this ErrorResponse with severity FATAL, then
 *   closes (unknown message type, unsupported protocol, bad startup layout);
 * - `ERROR`: the message was well framed and has been consumed, but a field in
 *   it is malformed; PostgreSQL reports an ERROR and the session goes on (in
 *   the extended protocol, skipping messages until Sync).
 */
export type ViolationLevel = 'ERROR' | 'FATAL' | 'COMMERROR'

/** SQLSTATE 08P01 */
export const PROTOCOL_VIOLATION = '08P01'
/** SQLSTATE 0A000 */
export const FEATURE_NOT_SUPPORTED = '0A000'

export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation'
  /** SQLSTATE: 08P01 except where PostgreSQL uses another (0A000 for an unsupported protocol version) */
  readonly code: string
  readonly level: ViolationLevel
  readonly detail: string | undefined
  /** for a field fault: the type byte of the message it was found in (`Q`, `B`, …) */
  messageType: string | undefined

  constructor(message: string, level: ViolationLevel, code: string = PROTOCOL_VIOLATION, detail?: string) {
    super(message)
    this.code = code
    this.level = level
    this.detail = detail
  }

  /** True when the stream is out of sync (or PostgreSQL would end the session): close after reporting. */
  get fatal(): boolean {
    return this.level !== 'ERROR'
  }
}

/** The fields an error reply to the client needs (a ProtocolViolation, an authentication error, …). */
export interface ReportableError {
  readonly message: string
  readonly code: string
  readonly detail?: string | undefined
  readonly hint?: string | undefined
}
