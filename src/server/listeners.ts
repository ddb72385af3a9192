/**
 * The sockets `plproxy serve` listens on, for the single-process server and
 * for the primary of `--workers N` alike: TCP, the optional Unix socket
 * (`.s.PGSQL.<port>` in a directory, as PostgreSQL names it) and the
 * optional HTTP `/metrics` endpoint.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import type { Listener } from './server.js'

function listen(
  server: Server | HttpServer,
  where: { host?: string; port?: number; path?: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(where, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

export interface ClientListeners {
  readonly servers: readonly Server[]
  /** the TCP port (the one the system chose for port 0) */
  readonly port: number
  /** the Unix socket's path, removed on close */
  readonly socketPath?: string
}

/**
 * Listens for clients on TCP and, with a directory, on a Unix socket.
 * `pauseOnConnect`: sockets handed on to another process must not be read here.
 */
export async function listenForClients(
  listen_: Listener,
  unixSocketDirectory: string | undefined,
  onConnection: (socket: Socket) => void,
  options: { pauseOnConnect?: boolean } = {},
): Promise<ClientListeners> {
  const servers: Server[] = []
  try {
    const tcp = createServer({ noDelay: true, pauseOnConnect: options.pauseOnConnect }, onConnection)
    await listen(tcp, { host: listen_.host, port: listen_.port })
    servers.push(tcp)
    const address = tcp.address()
    const port = typeof address === 'object' && address ? address.port : listen_.port
    if (unixSocketDirectory === undefined) return { servers, port }
    mkdirSync(unixSocketDirectory, { recursive: true })
    const socketPath = join(unixSocketDirectory, `.s.PGSQL.${port}`)
    rmSync(socketPath, { force: true })
    const unix = createServer({ pauseOnConnect: options.pauseOnConnect }, onConnection)
    await listen(unix, { path: socketPath })
    servers.push(unix)
    return { servers, port, socketPath }
  } catch (e) {
    for (const s of servers) s.close()
    throw e
  }
}

/** `GET /metrics` in Prometheus's text format (anything else: 404). */
export async function listenForMetrics(
  where: Listener,
  metrics: () => string | Promise<string>,
): Promise<{ http: HttpServer; port: number }> {
  const http = createHttpServer((req, res) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
      Promise.resolve()
        .then(metrics)
        .then(
          (text) => {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
            res.end(text)
          },
          (e) => {
            res.writeHead(500, { 'content-type': 'text/plain' })
            res.end(`${(e as Error).message}\n`)
          },
        )
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('plproxy serve: only /metrics is here\n')
    }
  })
  await listen(http, { host: where.host, port: where.port })
  const a = http.address()
  return { http, port: typeof a === 'object' && a ? a.port : where.port }
}
