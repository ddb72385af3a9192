/**
 * A scripted PostgreSQL "server" on 127.0.0.1 for the protocol's corners a
 * real server does not show on demand (a connection dropped mid-query,
 * unsupported authentication, a silent peer…).
 */
import { createServer, type Server, type Socket } from 'node:net'
import { MessageSplitter } from '../../../src/runtime/wire/index.js'

export interface Peer {
  readonly socket: Socket
  /** the next startup-phase packet (untyped: length + payload) */
  readPacket(): Promise<Buffer>
  /** the next typed message, whole */
  readMessage(): Promise<Buffer>
  write(...messages: Buffer[]): void
}

export interface FakeServer {
  readonly port: number
  /** every peer script's outcome, settled */
  readonly done: Promise<void>[]
  close(): Promise<void>
}

/** Message bytes: a type, then Int32s (numbers), NUL-terminated strings, raw Buffers. */
export function message(type: string, ...parts: (string | number | Buffer)[]): Buffer {
  const body = Buffer.concat(
    parts.map((p) => {
      if (typeof p === 'string') return Buffer.from(`${p}\0`)
      if (typeof p === 'number') {
        const b = Buffer.alloc(4)
        b.writeInt32BE(p)
        return b
      }
      return p
    }),
  )
  const head = Buffer.alloc(5)
  head.write(type, 0, 'latin1')
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

export const AUTH_OK = message('R', 0)
export const READY = message('Z', Buffer.from('I'))
export const KEY = message('K', 4242, 99)

export async function fakeServer(script: (peer: Peer) => Promise<void>): Promise<FakeServer> {
  const sockets: Socket[] = []
  const done: Promise<void>[] = []
  const server: Server = createServer((socket) => {
    sockets.push(socket)
    let buffered = Buffer.alloc(0)
    const messages: Buffer[] = []
    let typed = false
    let wake: (() => void) | undefined
    const splitter = new MessageSplitter((_, buf, start, end) =>
      messages.push(Buffer.from(buf.subarray(start, end))),
    )
    socket.on('data', (chunk) => {
      if (typed) splitter.push(chunk)
      else buffered = Buffer.concat([buffered, chunk])
      wake?.()
    })
    socket.on('error', () => {})
    const waitFor = async <T>(take: () => T | undefined): Promise<T> => {
      for (;;) {
        const got = take()
        if (got !== undefined) return got
        if (socket.destroyed) throw new Error('peer closed')
        await new Promise<void>((resolve) => {
          wake = resolve
          socket.once('close', resolve)
        })
      }
    }
    const peer: Peer = {
      socket,
      readPacket: () =>
        waitFor(() => {
          if (buffered.length < 4) return undefined
          const n = buffered.readInt32BE(0)
          if (buffered.length < n) return undefined
          const packet = buffered.subarray(0, n)
          buffered = buffered.subarray(n)
          return packet
        }),
      readMessage: () => {
        if (!typed) {
          typed = true
          if (buffered.length) splitter.push(buffered)
          buffered = Buffer.alloc(0)
        }
        return waitFor(() => messages.shift())
      },
      write: (...ms) => {
        for (const m of ms) socket.write(m)
      },
    }
    done.push(script(peer).catch(() => {}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as { port: number }).port
  return {
    port,
    done,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The usual opening: read the startup packet, log in without a password. */
export async function trustLogin(peer: Peer): Promise<Buffer> {
  const startup = await peer.readPacket()
  peer.write(AUTH_OK, KEY, message('S', 'server_version', '15.0'), READY)
  return startup
}
