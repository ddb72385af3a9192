/**
 * One remote query on one partition connection: text parameters and text
 * results (as PL/Proxy: all I/O is text), notices forwarded while it runs,
 * cancellation by CancelRequest on abort or query timeout.
 */
import type pg from 'pg'
import type { NoticeMessage } from 'pg-protocol/dist/messages.js'
import { ConnectAborted, type ConnectionPool, type PooledConnection } from './pool.js'

export interface RemoteColumn {
  readonly name: string
  readonly typeOid: number
}

export interface RemoteResult {
  readonly fields: readonly RemoteColumn[]
  readonly rows: (string | null)[][]
}

export interface RemoteOptions {
  readonly signal?: AbortSignal
  /** ms; ≤ 0 = none */
  readonly queryTimeoutMs: number
  readonly onNotice?: (notice: NoticeMessage) => void
}

/** The partition could not be connected to (the cause is node-postgres's or the server's error). */
export class ConnectFailed extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error)?.message ?? String(cause))
  }
}

/** How a remote query ended when it did not return rows. */
export class RemoteInterrupted extends Error {
  constructor(readonly why: 'timeout' | 'abort') {
    super(why === 'timeout' ? 'query timeout' : 'canceled')
  }
}

const textValues = { getTypeParser: () => (value: string) => value }

/** Runs `sql` on a connection of `pool`; the caller maps errors to PL/Proxy's wording. */
export async function runRemote(
  pool: ConnectionPool,
  sql: string,
  params: readonly (string | null)[],
  options: RemoteOptions,
): Promise<RemoteResult> {
  if (options.signal?.aborted) throw new RemoteInterrupted('abort')
  let conn: PooledConnection
  try {
    conn = await pool.acquire(options.signal)
  } catch (e) {
    if (e instanceof ConnectAborted || options.signal?.aborted) throw new RemoteInterrupted('abort')
    throw new ConnectFailed(e)
  }
  conn.onNotice = options.onNotice
  let interrupted: RemoteInterrupted | undefined
  let cancelSent: Promise<void> | undefined
  const interrupt = (why: 'timeout' | 'abort') => {
    if (interrupted) return
    interrupted = new RemoteInterrupted(why)
    cancelSent = pool.cancel(conn)
  }
  const onAbort = () => interrupt('abort')
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const timer =
    options.queryTimeoutMs > 0 ? setTimeout(() => interrupt('timeout'), options.queryTimeoutMs) : undefined
  try {
    const result = await conn.client.query({
      text: sql,
      values: [...params],
      rowMode: 'array',
      types: textValues,
    } as pg.QueryConfig & { rowMode: 'array' })
    if (interrupted) throw interrupted
    return {
      fields: result.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
      rows: result.rows as (string | null)[][],
    }
  } catch (e) {
    // the remote "canceling statement" error of our own cancel is swallowed, as PL/Proxy does
    if (interrupted) throw interrupted
    throw e
  } finally {
    if (timer) clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
    if (cancelSent) {
      await cancelSent
      // a cancel request that arrives late could hit the next query on this connection: retire it
      conn.broken = true
    }
    pool.release(conn)
  }
}
