/**
 * One remote query on one partition connection: text parameters and text
 * results (as PL/Proxy: all I/O is text) — or the DataRow messages
 * themselves with `raw` —, notices forwarded while it runs, cancellation
 * by CancelRequest on abort or query timeout.
 */
import type { WireNotice } from '../wire/index.js'
import { ConnectAborted, type ConnectionPool, type PooledConnection } from './pool.js'

export interface RemoteColumn {
  readonly name: string
  readonly typeOid: number
}

export interface RemoteResult<Row = (string | null)[]> {
  /** read-only: shared between results of the same statement on a connection */
  readonly fields: readonly RemoteColumn[]
  /** text values (null = NULL), or with `raw` whole DataRow messages ('D', length, values) */
  readonly rows: Row[]
}

export interface RemoteOptions {
  readonly signal?: AbortSignal
  /** ms; ≤ 0 = none */
  readonly queryTimeoutMs: number
  readonly onNotice?: (notice: WireNotice) => void
  /** rows as raw DataRow messages (see dataRowValues) */
  readonly raw?: boolean
}

/** The partition could not be connected to (the cause is a socket error, the server's error, or libpq-worded). */
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

/** Runs `sql` on a connection of `pool`; the caller maps errors to PL/Proxy's wording. */
export function runRemote(
  pool: ConnectionPool,
  sql: string,
  params: readonly (string | null)[],
  options: RemoteOptions & { readonly raw: true },
): Promise<RemoteResult<Buffer>>
export function runRemote(
  pool: ConnectionPool,
  sql: string,
  params: readonly (string | null)[],
  options: RemoteOptions,
): Promise<RemoteResult>
export async function runRemote(
  pool: ConnectionPool,
  sql: string,
  params: readonly (string | null)[],
  options: RemoteOptions,
): Promise<RemoteResult<Buffer | (string | null)[]>> {
  const signal = options.signal
  if (signal?.aborted) throw new RemoteInterrupted('abort')
  let conn: PooledConnection
  try {
    conn = await pool.acquire(signal)
  } catch (e) {
    if (e instanceof ConnectAborted || signal?.aborted) throw new RemoteInterrupted('abort')
    throw new ConnectFailed(e)
  }
  if (signal?.aborted) {
    // aborted while the connection was being handed over: its abort event has passed already
    pool.release(conn)
    throw new RemoteInterrupted('abort')
  }
  conn.onNotice = options.onNotice
  const raw = options.raw === true
  // the common case: nothing to watch
  if (signal === undefined && !(options.queryTimeoutMs > 0)) {
    try {
      return await conn.client.query(sql, params, raw ? RAW : TEXT)
    } finally {
      pool.release(conn)
    }
  }
  let interrupted: RemoteInterrupted | undefined
  let cancelSent: Promise<void> | undefined
  const interrupt = (why: 'timeout' | 'abort') => {
    if (interrupted) return
    interrupted = new RemoteInterrupted(why)
    cancelSent = pool.cancel(conn)
  }
  const onAbort = () => interrupt('abort')
  signal?.addEventListener('abort', onAbort, { once: true })
  const timer =
    options.queryTimeoutMs > 0 ? setTimeout(() => interrupt('timeout'), options.queryTimeoutMs) : undefined
  try {
    const result = await conn.client.query(sql, params, raw ? RAW : TEXT)
    if (interrupted) throw interrupted
    return result
  } catch (e) {
    // the remote "canceling statement" error of our own cancel is swallowed, as PL/Proxy does
    if (interrupted) throw interrupted
    throw e
  } finally {
    if (timer) clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
    if (cancelSent) {
      await cancelSent
      // a cancel request that arrives late could hit the next query on this connection: retire it
      conn.broken = true
    }
    pool.release(conn)
  }
}

const RAW = { raw: true } as const
const TEXT = { raw: false } as const
