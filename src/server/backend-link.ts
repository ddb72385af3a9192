/**
 * A client's own connection to the proxy database, for everything that is
 * not a proxy-function call: the client's messages go to it as they came,
 * the database's answers come back as they are.
 */
import type { TransactionStatus } from './protocol/index.js'

/** Backend message type bytes the session looks at. */
export const B = {
  ParseComplete: 0x31,
  BindComplete: 0x32,
  CloseComplete: 0x33,
  CommandComplete: 0x43,
  CopyInResponse: 0x47,
  CopyOutResponse: 0x48,
  CopyBothResponse: 0x57,
  EmptyQueryResponse: 0x49,
  ErrorResponse: 0x45,
  NoticeResponse: 0x4e,
  NotificationResponse: 0x41,
  NoData: 0x6e,
  ParameterDescription: 0x74,
  ParameterStatus: 0x53,
  DataRow: 0x44,
  PortalSuspended: 0x73,
  ReadyForQuery: 0x5a,
  RowDescription: 0x54,
} as const

export interface BackendLink {
  /** from the proxy database's last ReadyForQuery */
  readonly transactionStatus: TransactionStatus
  /** the proxy database's ParameterStatus values as it reported them */
  readonly parameters: ReadonlyMap<string, string>
  /**
   * Sends messages exactly as the client sent them (followed by a Flush
   * unless the last one is a Sync or a Query) and hands each message the
   * proxy database sends to `relay`, until `until` says the exchange is
   * over (that message included).
   */
  exchange(
    messages: readonly Buffer[],
    until: (type: number, message: Buffer) => boolean,
    relay: (type: number, message: Buffer) => void,
  ): Promise<void>
  /** A client message sent on at once, outside any exchange (COPY data while COPY FROM STDIN runs). */
  passThrough(message: Buffer): void
  /** Messages that arrive between exchanges (notifications, parameter changes). */
  onUnsolicited: ((type: number, message: Buffer) => void) | undefined
  /** Cancels what the proxy database is running for this client. */
  cancel(): Promise<void>
  close(): Promise<void>
  readonly closed: boolean
}
