/**
 * `plproxy serve --workers N`: one primary process that listens and hands
 * each connection to the least busy of N worker processes, each a whole
 * server (runtime, pools, sessions) on its own core. The primary also keeps
 * the connection limit, routes cancel requests to the worker that owns the
 * session, sums the workers' counters for /metrics and SHOW plproxy.stats,
 * and runs DDL from clients one statement at a time across the workers
 * (the worker that received it applies and keeps it, then every other
 * worker applies it before the client is answered).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import type { Server as HttpServer } from 'node:http'
import type { Server, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { DdlRecord } from './ddl-store.js'
import { listenForClients, listenForMetrics } from './listeners.js'
import type { Listener } from './server.js'
import { ServerStats, type StatsSnapshot } from './stats.js'

/** Messages between the primary and its workers. */
export type ToWorker =
  | { t: 'init'; index: number; options: unknown }
  | { t: 'socket'; admitted: boolean }
  | { t: 'cancel'; processId: number; secretKey: Buffer }
  | { t: 'stats?'; id: number }
  | { t: 'stats-all'; id: number; snapshot: StatsSnapshot }
  | { t: 'ddl-go'; id: number }
  | { t: 'ddl'; id: number; record: DdlRecord }
  | { t: 'ddl-done'; id: number }
  | { t: 'shutdown'; graceful: boolean; timeoutMs?: number }

export type FromWorker =
  | { t: 'ready' }
  | { t: 'failed'; message: string }
  | { t: 'closed' }
  | { t: 'log'; line: string }
  | { t: 'cancel'; processId: number; secretKey: Buffer }
  | { t: 'stats'; id: number; snapshot: StatsSnapshot }
  | { t: 'stats-all?'; id: number }
  | { t: 'ddl-begin'; id: number }
  | { t: 'ddl-commit'; id: number; record?: DdlRecord }
  | { t: 'ddl-ack'; id: number }

export interface WorkersSettings {
  readonly count: number
  readonly listen: Listener
  readonly unixSocketDirectory?: string
  readonly maxConnections: number
  readonly metrics?: Listener
  readonly log: (line: string) => void
  /** what each worker starts its server with (serializable) */
  readonly workerOptions: unknown
}

interface Worker {
  readonly index: number
  child: ChildProcess
  open: number
  ready: boolean
}

/** The worker's entry module: compiled JavaScript, or TypeScript under a loader (tests). */
function workerModule(): { path: string; execArgv: string[] } {
  const url = new URL('./worker-main.js', import.meta.url)
  const path = fileURLToPath(url)
  if (import.meta.url.endsWith('.ts')) {
    return { path: path.replace(/\.js$/, '.ts'), execArgv: ['--import', 'tsx'] }
  }
  return { path, execArgv: [] }
}

export class WorkerPool {
  port = 0
  metricsPort: number | undefined
  private readonly workers: Worker[] = []
  private readonly listeners: Server[] = []
  private http: HttpServer | undefined
  private socketPath: string | undefined
  private open = 0
  private closing = false
  private nextId = 1
  private readonly statsWaits = new Map<
    number,
    { want: number; got: StatsSnapshot[]; done: (s: StatsSnapshot[]) => void }
  >()
  /** DDL: the worker holding the lock, and those waiting for it */
  private ddlHolder: { worker: Worker; id: number } | undefined
  private readonly ddlQueue: { worker: Worker; id: number }[] = []
  private readonly ddlAcks = new Map<number, { origin: Worker; waiting: number }>()

  constructor(private readonly settings: WorkersSettings) {}

  private spawn(index: number): Promise<Worker> {
    const { path, execArgv } = workerModule()
    const child = fork(path, [], {
      serialization: 'advanced',
      execArgv: [...process.execArgv.filter((a) => !a.startsWith('--cpu-prof')), ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const worker: Worker = { index, child, open: 0, ready: false }
    child.on('message', (m: FromWorker) => this.onMessage(worker, m))
    child.on('exit', (code, signal) => this.onExit(worker, code, signal))
    return new Promise<Worker>((resolve, reject) => {
      const onReady = (m: FromWorker) => {
        if (m.t === 'ready') {
          worker.ready = true
          child.off('message', onReady)
          resolve(worker)
        } else if (m.t === 'failed') {
          child.off('message', onReady)
          reject(new Error(m.message))
        }
      }
      child.on('message', onReady)
      child.once('exit', () => reject(new Error(`worker ${index} exited while starting`)))
      child.send({ t: 'init', index, options: this.settings.workerOptions } satisfies ToWorker)
    })
  }

  async start(): Promise<void> {
    try {
      for (let i = 0; i < this.settings.count; i++) this.workers.push(await this.spawn(i))
    } catch (e) {
      for (const w of this.workers) w.child.kill()
      throw e
    }
    const clients = await listenForClients(
      this.settings.listen,
      this.settings.unixSocketDirectory,
      this.dispatch,
      { pauseOnConnect: true },
    )
    this.listeners.push(...clients.servers)
    this.port = clients.port
    this.socketPath = clients.socketPath
    if (this.settings.metrics) {
      const { http, port } = await listenForMetrics(this.settings.metrics, async () =>
        (await this.stats()).prometheus(),
      )
      this.metricsPort = port
      this.http = http
    }
  }

  /** A new connection goes to the worker with the fewest; past the limit it is still handed over, to be refused with PostgreSQL's error. */
  private readonly dispatch = (socket: Socket): void => {
    const live = this.workers.filter((w) => w.ready && w.child.connected)
    if (this.closing || !live.length) {
      socket.destroy()
      return
    }
    let target = live[0]!
    for (const w of live) if (w.open < target.open) target = w
    const admitted = this.open < this.settings.maxConnections
    this.open++
    target.open++
    target.child.send({ t: 'socket', admitted } satisfies ToWorker, socket, { keepOpen: false }, (err) => {
      if (err) {
        this.open--
        target.open--
        socket.destroy()
      }
    })
  }

  private onMessage(w: Worker, m: FromWorker): void {
    switch (m.t) {
      case 'closed':
        this.open = Math.max(0, this.open - 1)
        w.open = Math.max(0, w.open - 1)
        return
      case 'log':
        this.settings.log(`[worker ${w.index}] ${m.line}`)
        return
      case 'cancel': {
        const owner = this.workers[Math.floor(m.processId / 2 ** 24) - 1]
        if (owner?.child.connected) owner.child.send(m satisfies ToWorker)
        return
      }
      case 'stats': {
        const wait = this.statsWaits.get(m.id)
        if (!wait) return
        wait.got.push(m.snapshot)
        if (wait.got.length >= wait.want) {
          this.statsWaits.delete(m.id)
          wait.done(wait.got)
        }
        return
      }
      case 'stats-all?':
        void this.stats().then((s) => {
          if (w.child.connected)
            w.child.send({ t: 'stats-all', id: m.id, snapshot: s.snapshot() } satisfies ToWorker)
        })
        return
      case 'ddl-begin':
        this.ddlQueue.push({ worker: w, id: m.id })
        this.nextDdl()
        return
      case 'ddl-commit': {
        const others = this.workers.filter((x) => x !== w && x.ready && x.child.connected)
        if (!m.record || !others.length) {
          this.finishDdl(w, m.id)
          return
        }
        this.ddlAcks.set(m.id, { origin: w, waiting: others.length })
        for (const x of others) x.child.send({ t: 'ddl', id: m.id, record: m.record } satisfies ToWorker)
        return
      }
      case 'ddl-ack': {
        const acks = this.ddlAcks.get(m.id)
        if (!acks) return
        if (--acks.waiting <= 0) {
          this.ddlAcks.delete(m.id)
          this.finishDdl(acks.origin, m.id)
        }
        return
      }
      default:
        return
    }
  }

  private nextDdl(): void {
    if (this.ddlHolder) return
    const next = this.ddlQueue.shift()
    if (!next) return
    this.ddlHolder = next
    next.worker.child.send({ t: 'ddl-go', id: next.id } satisfies ToWorker)
  }

  private finishDdl(origin: Worker, id: number): void {
    if (origin.child.connected) origin.child.send({ t: 'ddl-done', id } satisfies ToWorker)
    this.ddlHolder = undefined
    this.nextDdl()
  }

  private onExit(w: Worker, code: number | null, signal: string | null): void {
    this.open = Math.max(0, this.open - w.open)
    w.open = 0
    w.ready = false
    if (this.ddlHolder?.worker === w) {
      this.ddlHolder = undefined
      this.nextDdl()
    }
    if (this.closing) return
    this.settings.log(`worker ${w.index} exited (${signal ?? `code ${code}`}); starting another`)
    void this.spawn(w.index).then(
      (fresh) => {
        this.workers[w.index] = fresh
      },
      (e) => this.settings.log(`worker ${w.index} could not start again: ${(e as Error).message}`),
    )
  }

  /** Every worker's counters, summed. */
  stats(): Promise<ServerStats> {
    const live = this.workers.filter((w) => w.ready && w.child.connected)
    if (!live.length) return Promise.resolve(new ServerStats())
    const id = this.nextId++
    return new Promise<ServerStats>((resolve) => {
      const timer = setTimeout(() => {
        const wait = this.statsWaits.get(id)
        this.statsWaits.delete(id)
        resolve(ServerStats.merge(wait?.got ?? []))
      }, 2000)
      this.statsWaits.set(id, {
        want: live.length,
        got: [],
        done: (got) => {
          clearTimeout(timer)
          resolve(ServerStats.merge(got))
        },
      })
      for (const w of live) w.child.send({ t: 'stats?', id } satisfies ToWorker)
    })
  }

  async close(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.closing = true
    await Promise.all(this.listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    if (this.socketPath) rmSync(this.socketPath, { force: true })
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || !w.child.connected) {
              resolve()
              return
            }
            w.child.once('exit', () => resolve())
            w.child.send({
              t: 'shutdown',
              graceful: options.graceful !== false,
              timeoutMs: options.timeoutMs,
            } satisfies ToWorker)
            // a worker that does not stop is stopped
            setTimeout(() => w.child.kill('SIGKILL'), (options.timeoutMs ?? 30_000) + 5000).unref()
          }),
      ),
    )
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()))
  }
}
