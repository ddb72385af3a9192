/**
 * A connection pool per partition connect string (and so per user, which
 * is part of the string): the runtime is its own pooler (DESIGN decision
 * 7). Connections live at most `connection_lifetime` seconds, each with up
 * to 10% jitter so a cluster's connections do not all expire together.
 */
import { connectWire, type WireConnection, type WireNotice, type WireOptions } from '../wire/index.js'

export interface PoolOptions {
  /** most connections open at once; further callers wait */
  readonly max: number
  /** ms; ≤ 0 = unlimited */
  readonly lifetimeMs: number
  /** ms an idle connection is kept */
  readonly idleTimeoutMs: number
}

export interface PooledConnection {
  readonly client: WireConnection
  readonly createdAt: number
  readonly expiresAt: number
  /** when it was last returned to the pool */
  idleSince: number
  broken: boolean
  /** the notice sink of the query running on it */
  onNotice: ((notice: WireNotice) => void) | undefined
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
    /** where and how connections are opened (host, port, database, user… as libpq resolved them) */
    readonly config: WireOptions,
    private options: PoolOptions,
  ) {}

  /** The lifetime may change when the cluster's configuration is reloaded. */
  configure(options: Partial<PoolOptions>): void {
    this.options = { ...this.options, ...options }
  }

  get lifetimeMs(): number {
    return this.options.lifetimeMs
  }

  get size(): number {
    return this.open
  }

  get idleCount(): number {
    return this.idle.length
  }

  private usable(c: PooledConnection, now: number): boolean {
    return !c.broken && !c.client.closed && now < c.expiresAt
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
    let client: WireConnection
    try {
      // an abort gives the attempt up at once (libpq-style), closing its socket
      client = await connectWire(this.config, signal)
    } catch (e) {
      this.open--
      this.wakeWaiter()
      if (signal?.aborted) throw new ConnectAborted()
      throw e
    }
    const now = Date.now()
    const lifetime = this.options.lifetimeMs
    const conn: PooledConnection = {
      client,
      createdAt: now,
      expiresAt:
        lifetime > 0 ? now + lifetime * (1 - Math.random() * LIFETIME_JITTER) : Number.POSITIVE_INFINITY,
      idleSince: now,
      broken: false,
      onNotice: undefined,
    }
    client.onClose = () => {
      conn.broken = true
    }
    client.onNotice = (n) => {
      try {
        conn.onNotice?.(n)
      } catch (e) {
        // a listener's own failure must not break the connection or the call
        process.emitWarning(`plproxy-ts: the notice listener threw: ${(e as Error).message ?? String(e)}`)
      }
    }
    return conn
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
    void conn.client.end()
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
    return conn.client.cancel()
  }

  async end(): Promise<void> {
    this.ended = true
    if (this.idleTimer) clearTimeout(this.idleTimer)
    for (const w of this.waiters.splice(0)) w.reject(new Error('connection pool has been closed'))
    const idle = this.idle.splice(0)
    this.open -= idle.length
    await Promise.all(idle.map((c) => c.client.end()))
  }
}
