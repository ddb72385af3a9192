/**
 * BackendLink over the lean wire client: the connection stays in relay
 * mode from its start, so every message the proxy database sends is passed
 * on as it came (an exchange's answers to the session, anything between
 * exchanges to `onUnsolicited`).
 */
import { connectWire, FLUSH, type WireConnection, type WireOptions } from '../runtime/wire/index.js'
import type { BackendLink } from './backend-link.js'
import type { TransactionStatus } from './protocol/index.js'
import { SessionError } from './session.js'

interface Waiting {
  until: (type: number, message: Buffer) => boolean
  relay: (type: number, message: Buffer) => void
  resolve: () => void
  reject: (e: Error) => void
}

class WireBackendLink implements BackendLink {
  onUnsolicited: ((type: number, message: Buffer) => void) | undefined = undefined
  private waiting: Waiting | undefined

  constructor(private readonly conn: WireConnection) {
    conn.setRelay((type, message) => this.onMessage(type, message))
    conn.onClose = (cause) => {
      const w = this.waiting
      this.waiting = undefined
      w?.reject(
        new SessionError(
          `the connection to the proxy database was lost${cause ? `: ${cause.message}` : ''}`,
          '08006',
        ),
      )
    }
  }

  get transactionStatus(): TransactionStatus {
    return this.conn.transactionStatus as TransactionStatus
  }

  get parameters(): ReadonlyMap<string, string> {
    return this.conn.parameters
  }

  get closed(): boolean {
    return this.conn.closed
  }

  private onMessage(type: number, message: Buffer): void {
    const w = this.waiting
    if (!w) {
      this.onUnsolicited?.(type, message)
      return
    }
    w.relay(type, message)
    if (w.until(type, message)) {
      this.waiting = undefined
      w.resolve()
    }
  }

  exchange(
    messages: readonly Buffer[],
    until: (type: number, message: Buffer) => boolean,
    relay: (type: number, message: Buffer) => void,
  ): Promise<void> {
    if (this.waiting)
      return Promise.reject(new Error('an exchange with the proxy database is already under way'))
    if (this.conn.closed) {
      return Promise.reject(new SessionError('the connection to the proxy database was lost', '08006'))
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting = { until, relay, resolve, reject }
      for (const m of messages) this.conn.writeRaw(m)
      const last = messages[messages.length - 1]?.[0]
      // the backend holds its answers until a Flush or Sync (a Query answers at once)
      if (last !== 0x53 && last !== 0x51) this.conn.writeRaw(FLUSH)
    })
  }

  passThrough(message: Buffer): void {
    if (!this.conn.closed) this.conn.writeRaw(message)
  }

  cancel(): Promise<void> {
    return this.conn.cancel().catch(() => {})
  }

  async close(): Promise<void> {
    await this.conn.end()
  }
}

/** Opens a client's connection to the proxy database (or, for pass-through, to another database on its server). */
export async function openBackendLink(options: WireOptions): Promise<BackendLink> {
  return new WireBackendLink(await connectWire(options))
}

/** The raw connection, for sessions relayed untouched (another database name). */
export function openWire(options: WireOptions): Promise<WireConnection> {
  return connectWire(options)
}
