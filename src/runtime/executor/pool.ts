/**
 * A connection pool per partition connect string (and so per user, which
 * is part of the string): the runtime is its own pooler (DESIGN decision
 * 7). Connections live at most `connection_lifetime` seconds, each with up
 * to 10% jitter so a cluster's connections do not all expire together.
 */
import pg from 'pg'
import type { NoticeMessage } from 'pg-protocol/dist/messages.js'
import { sendCancelRequest } from './cancel.js'

export interface PoolOptions {
  /** most connections open at once; further callers wait */
  readonly max: number
  /** ms; ≤ 0 = unlimited */
  readonly lifetimeMs: number
  /** ms an idle connection is kept */
  readonly idleTimeoutMs: number
}

export interface PooledConnection {
  readonly client: pg.Client
  readonly createdAt: number
  readonly expiresAt: number
  /** when it was last returned to the pool */
  idleSince: number
  broken: boolean
  /** the notice sink of the query running on it */
  onNotice?: (notice: NoticeMessage) => void
}

/** A connection attempt given up because the caller's signal aborted. */
export class ConnectAborted extends Error {
  constructor() {
    super('connection attempt aborted')
  }
}

interface Waiter {
  resolve: (c: PooledConnection) => void
  reject: (e: unknown) => void
}

/** How long jitter may shorten a lifetime (fraction). */
const LIFETIME_JITTER = 0.1

export class ConnectionPool {
  private readonly idle: PooledConnection[] = []
  private readonly waiters: Waiter[] = []
  private open = 0
  private ended = false
  private idleTimer: NodeJS.Timeout | undefined

  constructor(
    readonly config: pg.ClientConfig,
    private options: PoolOptions,
  ) {}

  /** The lifetime may change when the cluster's configuration is reloaded. */
  configure(options: Partial<PoolOptions>): void {
    this.options = { ...this.options, ...options }
  }

  get size(): number {
    return this.open
  }

  get idleCount(): number {
    return this.idle.length
  }

  private usable(c: PooledConnection, now: number): boolean {
    return !c.broken && now < c.expiresAt
  }

  async acquire(signal?: AbortSignal): Promise<PooledConnection> {
    if (this.ended) throw new Error('connection pool has been closed')
    const now = Date.now()
    while (this.idle.length) {
      const c = this.idle.pop()!
      if (this.usable(c, now)) return c
      this.destroy(c)
    }
    if (this.open < this.options.max) return this.connect(signal)
    return new Promise<PooledConnection>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject }
      this.waiters.push(waiter)
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiters.indexOf(waiter)
          if (i >= 0) {
            this.waiters.splice(i, 1)
            reject(new ConnectAborted())
          }
        },
        { once: true },
      )
    })
  }

  private async connect(signal?: AbortSignal): Promise<PooledConnection> {
    this.open++
    const client = new pg.Client(this.config)
    const now = Date.now()
    const lifetime = this.options.lifetimeMs
    const conn: PooledConnection = {
      client,
      createdAt: now,
      expiresAt:
        lifetime > 0 ? now + lifetime * (1 - Math.random() * LIFETIME_JITTER) : Number.POSITIVE_INFINITY,
      idleSince: now,
      broken: false,
    }
    client.on('error', () => {
      conn.broken = true
    })
    client.on('end', () => {
      conn.broken = true
    })
    client.on('notice', (n) => {
      try {
        conn.onNotice?.(n)
      } catch (e) {
        // a listener's own failure must not break the connection or the call
        process.emitWarning(`plproxy-ts: the notice listener threw: ${(e as Error).message ?? String(e)}`)
      }
    })
    const connecting = client.connect()
    if (!signal) {
      try {
        await connecting
        return conn
      } catch (e) {
        this.connectFailed(client)
        throw e
      }
    }
    // libpq-style abort of a connection attempt: give up at once, close it whenever it settles
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new ConnectAborted())
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      await Promise.race([connecting, aborted])
      return conn
    } catch (e) {
      if (e instanceof ConnectAborted) {
        connecting.then(
          () => this.connectFailed(client),
          () => this.connectFailed(client),
        )
      } else this.connectFailed(client)
      throw e
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort)
    }
  }

  private connectFailed(client: pg.Client): void {
    this.open--
    this.wakeWaiter()
    client.end().catch(() => {})
  }

  /** Returns a connection; a broken or expired one is closed instead. */
  release(conn: PooledConnection): void {
    conn.onNotice = undefined
    if (this.ended || !this.usable(conn, Date.now())) {
      this.destroy(conn)
      this.wakeWaiter()
      return
    }
    const waiter = this.waiters.shift()
    if (waiter) {
      waiter.resolve(conn)
      return
    }
    conn.idleSince = Date.now()
    this.idle.push(conn)
    this.scheduleIdleCheck()
  }

  private wakeWaiter(): void {
    if (!this.waiters.length || this.open >= this.options.max) return
    const waiter = this.waiters.shift()!
    this.connect().then(waiter.resolve, waiter.reject)
  }

  private destroy(conn: PooledConnection): void {
    this.open--
    conn.broken = true
    conn.client.end().catch(() => {})
  }

  private scheduleIdleCheck(): void {
    if (this.idleTimer || this.options.idleTimeoutMs <= 0) return
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined
      const now = Date.now()
      // idle connections are at the end of the array most recently; drop the old and the expired
      for (let i = this.idle.length - 1; i >= 0; i--) {
        const c = this.idle[i]!
        if (!this.usable(c, now) || now - c.idleSince >= this.options.idleTimeoutMs) {
          this.idle.splice(i, 1)
          this.destroy(c)
        }
      }
      if (this.idle.length) this.scheduleIdleCheck()
    }, this.options.idleTimeoutMs)
    this.idleTimer.unref()
  }

  /** Cancels the query running on a connection (PostgreSQL CancelRequest). */
  cancel(conn: PooledConnection): Promise<void> {
    const client = conn.client as pg.Client & {
      processID?: number
      secretKey?: number
      host?: string
      port?: number
    }
    if (client.processID == null || client.secretKey == null) return Promise.resolve()
    return sendCancelRequest({
      host: String(this.config.host ?? 'localhost'),
      port: Number(this.config.port ?? 5432),
      processID: client.processID,
      secretKey: client.secretKey,
    })
  }

  async end(): Promise<void> {
    this.ended = true
    if (this.idleTimer) clearTimeout(this.idleTimer)
    for (const w of this.waiters.splice(0)) w.reject(new Error('connection pool has been closed'))
    const idle = this.idle.splice(0)
    this.open -= idle.length
    await Promise.all(idle.map((c) => c.client.end().catch(() => {})))
  }
}
