/**
 * A worker process of `plproxy serve --workers N` (see workers.ts): a whole
 * server without a listener of its own; its primary hands it connections.
 */
import type { Socket } from 'node:net'
import { Core } from './core.js'
import type { DdlRecord } from './ddl-store.js'
import { type StartServerOptions, serverSettings } from './index.js'
import { PlProxyServer, type WorkerLink } from './server.js'
import { ServerStats } from './stats.js'
import type { FromWorker, ToWorker } from './workers.js'

const send = (m: FromWorker): void => {
  if (process.connected) process.send?.(m)
}

let server: PlProxyServer | undefined
let core: Core | undefined
let nextId = 1
const waiting = new Map<number, (value: unknown) => void>()

function request<T>(make: (id: number) => FromWorker): Promise<T> {
  const id = nextId++
  return new Promise<T>((resolve) => {
    waiting.set(id, resolve as (value: unknown) => void)
    send(make(id))
  })
}

function answer(id: number, value: unknown): void {
  const resolve = waiting.get(id)
  waiting.delete(id)
  resolve?.(value)
}

async function init(index: number, options: StartServerOptions): Promise<void> {
  const log = (line: string) => send({ t: 'log', line })
  const stats = new ServerStats()
  const link: WorkerLink = {
    index,
    forwardCancel: (processId, secretKey) => send({ t: 'cancel', processId, secretKey }),
    clusterStats: async () =>
      ServerStats.merge([
        await request<ReturnType<ServerStats['snapshot']>>((id) => ({ t: 'stats-all?', id })),
      ]),
    connectionClosed: () => send({ t: 'closed' }),
  }
  const settings = serverSettings(options, log, stats)
  core = await Core.create({ ...settings.core, log })
  core.sequencer = {
    async exclusive(work) {
      const id = nextId++
      await new Promise<void>((resolve) => {
        waiting.set(id, resolve as (value: unknown) => void)
        send({ t: 'ddl-begin', id })
      })
      let record: DdlRecord | undefined
      try {
        const outcome = await work()
        record = outcome.broadcast
        return outcome.value
      } finally {
        await new Promise<void>((resolve) => {
          waiting.set(id, resolve as (value: unknown) => void)
          send({ t: 'ddl-commit', id, ...(record ? { record } : {}) })
        })
      }
    },
  }
  server = new PlProxyServer(core, { ...settings.server, metrics: undefined, workers: link })
}

process.on('message', (m: ToWorker, handle?: Socket) => {
  switch (m.t) {
    case 'init':
      init(m.index, m.options as StartServerOptions).then(
        () => send({ t: 'ready' }),
        (e) => {
          send({ t: 'failed', message: (e as Error).message })
          process.exit(1)
        },
      )
      return
    case 'socket':
      if (!handle || !server) {
        handle?.destroy()
        send({ t: 'closed' })
        return
      }
      server.accept(handle, m.admitted)
      handle.resume()
      return
    case 'cancel':
      server?.cancel(m.processId, m.secretKey)
      return
    case 'stats?':
      send({ t: 'stats', id: m.id, snapshot: (server?.stats ?? new ServerStats()).snapshot() })
      return
    case 'stats-all':
      answer(m.id, m.snapshot)
      return
    case 'ddl-go':
    case 'ddl-done':
      answer(m.id, undefined)
      return
    case 'ddl':
      core?.applyFromPeer(m.record)
      send({ t: 'ddl-ack', id: m.id })
      return
    case 'shutdown':
      void (server?.close({ graceful: m.graceful, timeoutMs: m.timeoutMs }) ?? Promise.resolve()).then(() =>
        process.exit(0),
      )
      return
  }
})

// the primary went away: so do we
process.on('disconnect', () => {
  void (server?.close({ graceful: false }) ?? Promise.resolve()).then(() => process.exit(0))
})
