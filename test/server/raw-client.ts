/**
 * A raw protocol client for the wire-server tests: frontend messages from
 * pg-protocol's serializer (or hand-built bytes), backend messages read
 * with pg-protocol's Parser, so tests see exactly what the server sends.
 */
import { connect, type Socket } from 'node:net'
import type { BackendMessage } from 'pg-protocol/dist/messages.js'
import { Parser } from 'pg-protocol/dist/parser.js'
import { serialize } from 'pg-protocol/dist/serializer.js'

export { serialize }

export class RawClient {
  private readonly parser = new Parser()
  private readonly received: BackendMessage[] = []
  private waiter: (() => void) | undefined
  closed = false

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.parser.parse(chunk, (m) => {
        this.received.push(m)
        this.waiter?.()
      })
    })
    socket.on('close', () => {
      this.closed = true
      this.waiter?.()
    })
    socket.on('error', () => {})
  }

  /** Connects and runs the startup (trust auth) up to the first ReadyForQuery. */
  static async open(port: number, user: string, database: string): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('error', reject)
    })
    const c = new RawClient(socket)
    c.send(serialize.startup({ user, database }))
    await c.until('readyForQuery')
    return c
  }

  send(...buffers: Buffer[]): void {
    for (const b of buffers) this.socket.write(b)
  }

  /** Messages received until (and including) the first one named `name`; they are consumed. */
  async until(name: string, timeoutMs = 10_000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.received.findIndex((m) => m.name === name)
      if (i >= 0) return this.received.splice(0, i + 1)
      if (this.closed)
        throw new Error(
          `connection closed before ${name}: got ${this.received.map((m) => m.name).join(', ')}`,
        )
      if (Date.now() > deadline)
        throw new Error(`timeout waiting for ${name}: got ${this.received.map((m) => m.name).join(', ')}`)
      await new Promise<void>((resolve) => {
        this.waiter = resolve
        setTimeout(resolve, 50)
      })
      this.waiter = undefined
    }
  }

  end(): void {
    this.socket.end(serialize.end())
  }
}

/** Message names, with the command tag or error message where they carry one. */
export function summary(messages: readonly BackendMessage[]): string[] {
  return messages.map((m) => {
    const x = m as BackendMessage & { text?: string; message?: string; fields?: unknown[]; code?: string }
    if (m.name === 'commandComplete') return `commandComplete ${x.text}`
    if (m.name === 'error') return `error ${x.code} ${x.message}`
    if (m.name === 'dataRow') return `dataRow ${JSON.stringify(x.fields)}`
    return m.name
  })
}
