/**
 * PostgreSQL's CancelRequest: a new connection to the same server sends the
 * backend's PID and secret key; the server cancels whatever that backend
 * runs. Fire and forget, like libpq's PQcancel (errors are ignored).
 */
import { connect, type Socket } from 'node:net'

const CANCEL_REQUEST_CODE = 80877102

export interface CancelTarget {
  readonly host: string
  readonly port: number
  readonly processID: number
  readonly secretKey: number
}

export function sendCancelRequest(target: CancelTarget, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    let socket: Socket
    const done = () => {
      socket.destroy()
      resolve()
    }
    const packet = Buffer.alloc(16)
    packet.writeInt32BE(16, 0)
    packet.writeInt32BE(CANCEL_REQUEST_CODE, 4)
    packet.writeInt32BE(target.processID, 8)
    packet.writeInt32BE(target.secretKey, 12)
    socket = target.host.startsWith('/')
      ? connect({ path: `${target.host}/.s.PGSQL.${target.port}` })
      : connect({ host: target.host, port: target.port })
    socket.setTimeout(timeoutMs, done)
    socket.on('connect', () => socket.end(packet))
    // the server closes the connection once it has read the request
    socket.on('close', done)
    socket.on('error', done)
  })
}
