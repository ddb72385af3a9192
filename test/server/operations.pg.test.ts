/**
 * Operating `plproxy serve`: the connection limit, graceful SIGTERM of the
 * CLI process, /metrics in Prometheus's text format, and logs without
 * passwords.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'
import { activeQueries, closedPort, waitFor } from '../runtime/integration/helpers.js'
import {
  connectClient,
  createDigoal,
  type DigoalEnv,
  PROXY_SQL,
  PSQL,
  psql,
  run,
  serveDigoal,
  sleep,
  tempDir,
  writeTemp,
} from './serve-env.js'

const skip = skipWithoutPostgres('plproxy serve: operations')

/** A TCP connection to the server that sends nothing by itself. */
function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s))
    s.on('error', reject)
  })
}

const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

/** `plproxy serve …` in a child process running the TypeScript sources. */
function startCli(args: readonly string[]): {
  child: ChildProcess
  stderr: () => string
  exit: Promise<number | null>
} {
  const entry = writeTemp(
    'plproxy-cli.mts',
    `import { runCli } from ${JSON.stringify(CLI_MAIN)}\nprocess.exitCode = await runCli(process.argv.slice(2))\n`,
  )
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PGPASSWORD: undefined },
  })
  let err = ''
  child.stderr!.setEncoding('utf8').on('data', (t: string) => {
    err += t
  })
  child.stdout!.resume()
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, stderr: () => err, exit }
}

/** Prometheus text format: samples keyed `name{labels}`, with a check of the syntax of every line. */
function parsePrometheus(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>()
  const types = new Map<string, string>()
  const helps = new Set<string>()
  expect(text.endsWith('\n')).toBe(true)
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line)
    if (m) {
      helps.add(m[1]!)
      continue
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (m) {
      expect(types.has(m[1]!), `TYPE ${m[1]} twice`).toBe(false)
      types.set(m[1]!, m[2]!)
      continue
    }
    m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)?\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(
        line,
      )
    expect(m, `not a Prometheus line: ${line}`).not.toBeNull()
    const name = m![1]!
    const family = name.replace(/_(bucket|sum|count)$/, '')
    expect(types.has(name) || types.get(family) === 'histogram', `${name} has no TYPE before it`).toBe(true)
    const key = `${name}${m![2] ?? ''}`
    expect(samples.has(key), `${key} twice`).toBe(false)
    samples.set(key, Number(m![3]))
  }
  for (const name of types.keys()) expect(helps.has(name), `${name} has no HELP`).toBe(true)
  return { samples, types }
}

describe.skipIf(skip)('plproxy serve: operations', () => {
  let env: DigoalEnv

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_ops', { users: 100 })
  })

  describe('maxConnections', () => {
    let server: RunningServer
    beforeAll(async () => {
      server = await serveDigoal(env, { maxConnections: 2, metrics: '127.0.0.1:0' })
    })
    afterAll(async () => {
      await server?.close({ graceful: false })
    })

    it('the client over the limit gets 53300 "sorry, too many clients already"; a freed slot is usable again', async () => {
      const config = { host: '127.0.0.1', port: server.port, user: 'postgres', database: env.proxyDb }
      const a = new pg.Client(config)
      const b = new pg.Client(config)
      await a.connect()
      await b.connect()
      try {
        const c = new pg.Client(config)
        const e = await c.connect().then(
          () => undefined,
          (err: pg.DatabaseError) => err,
        )
        await c.end().catch(() => {})
        expect(e).toMatchObject({
          code: '53300',
          message: 'sorry, too many clients already',
          severity: 'FATAL',
        })
        const p = await psql(server.port, env.proxyDb, ['-c', 'select 1'])
        expect(p.code).toBe(2)
        expect(p.stderr).toContain('FATAL:  sorry, too many clients already')
        // pass-through connections count too
        const other = await psql(server.port, env.nodes[0]!, ['-c', 'select 1'])
        expect(other.stderr).toContain('sorry, too many clients already')
        expect((await a.query('select o_userid from f_user_login(1)')).rows).toEqual([{ o_userid: 1 }])
      } finally {
        await b.end()
      }
      expect(await waitFor(async () => (await server.counters()).connectionsOpen === 1)).toBe(true)
      const again = await psql(server.port, env.proxyDb, ['-Atc', 'select o_userid from f_user_login(2)'])
      expect(again.stdout).toBe('2\n')
      await a.end()
      const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text()
      expect(
        parsePrometheus(metrics).samples.get('plproxy_connections_rejected_total'),
      ).toBeGreaterThanOrEqual(3)
    })
  })

  describe('/metrics', () => {
    let server: RunningServer
    beforeAll(async () => {
      server = await serveDigoal(env, { metrics: '127.0.0.1:0' })
    })
    afterAll(async () => {
      await server?.close({ graceful: false })
    })

    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      return parsePrometheus(await res.text())
    }

    it('Prometheus text format, per-function and per-partition counters that move', async () => {
      const before = await scrape()
      const c = await connectClient(server, env)
      try {
        // userids 1, 5, 9 → partition 1; 2 → partition 2
        for (const id of [1, 5, 9]) await c.query('select * from f_user_login($1)', [id])
        await c.query('select f_user_logout(2)')
        await c.query('select f_fail(3)').catch(() => {})
        await c.query('select 1')
        const { samples, types } = await scrape()
        const login = 'plproxy_function_calls_total{function="proxy.f_user_login"}'
        expect((samples.get(login) ?? 0) - (before.samples.get(login) ?? 0)).toBe(3)
        expect(samples.get('plproxy_function_calls_total{function="proxy.f_user_logout"}')).toBe(1)
        expect(samples.get('plproxy_function_errors_total{function="proxy.f_fail"}')).toBe(1)
        const p1 = `cluster="digoal",partition="1",database="${env.nodes[1]}"`
        expect(samples.get(`plproxy_partition_calls_total{${p1}}`)).toBe(3)
        expect(
          samples.get(
            `plproxy_partition_calls_total{cluster="digoal",partition="2",database="${env.nodes[2]}"}`,
          ),
        ).toBe(1)
        expect(
          samples.get(
            `plproxy_partition_errors_total{cluster="digoal",partition="3",database="${env.nodes[3]}"}`,
          ),
        ).toBe(1)
        expect(samples.get('plproxy_connections')).toBe(1)
        expect(samples.get('plproxy_forwarded_statements_total')).toBeGreaterThanOrEqual(1)
        expect(types.get('plproxy_function_duration_seconds')).toBe('histogram')
        // a histogram: cumulative buckets, +Inf = count
        const buckets = [...samples].filter(([k]) =>
          k.startsWith(`plproxy_partition_duration_seconds_bucket{${p1},`),
        )
        const values = buckets.map(([, v]) => v)
        expect(values).toEqual([...values].sort((a, b) => a - b))
        expect(samples.get(`plproxy_partition_duration_seconds_bucket{${p1},le="+Inf"}`)).toBe(3)
        expect(samples.get(`plproxy_partition_duration_seconds_count{${p1}}`)).toBe(3)
        expect(samples.get(`plproxy_partition_duration_seconds_sum{${p1}}`)).toBeGreaterThan(0)
      } finally {
        await c.end()
      }
    })

    it('other paths: 404', async () => {
      const res = await fetch(`http://127.0.0.1:${server.metricsPort}/`)
      expect(res.status).toBe(404)
      await res.text()
    })
  })

  it('a unix socket too (unixSocketDirectory): psql -h <dir>', async () => {
    const dir = tempDir('plproxy-sock-')
    const server = await serveDigoal(env, { unixSocketDirectory: dir })
    try {
      const r = await run(PSQL, [
        '-X',
        '-h',
        dir,
        '-p',
        String(server.port),
        '-U',
        'postgres',
        '-d',
        env.proxyDb,
        '-Atc',
        'select o_userid from f_user_login(14)',
      ])
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe('14\n')
    } finally {
      await server.close({ graceful: false })
    }
  })

  describe('close() with clients still connected', () => {
    it('resolves while sockets have sent nothing, or half a startup packet', async () => {
      const server = await serveDigoal(env)
      const silent = await rawSocket(server.port)
      const half = await rawSocket(server.port)
      half.write(Buffer.from([0, 0, 0, 40, 0, 3]))
      await sleep(100)
      const closed = server.close({ graceful: false }).then(() => 'closed')
      expect(await Promise.race([closed, sleep(5000).then(() => 'close() still pending after 5 s')])).toBe(
        'closed',
      )
      silent.destroy()
      half.destroy()
    })

    /** A server with one idle client (after a call); closes it and reports what happened, in at most 6 s. */
    async function closeWithIdleClient(graceful: boolean): Promise<{ outcome: string; gone: unknown }> {
      const server = await serveDigoal(env)
      const idle = await connectClient(server, env)
      const gone = new Promise<unknown>((resolve) => {
        idle.on('error', resolve)
        idle.on('end', () => resolve('end without an error'))
      })
      await idle.query('select f_user_logout(1)')
      const closed = server.close({ graceful, timeoutMs: 2000 }).then(() => 'closed')
      const outcome = await Promise.race([closed, sleep(6000).then(() => 'close() still pending after 6 s')])
      if (outcome !== 'closed') {
        // let the server go (and the test end) anyway
        await idle.end().catch(() => {})
        await closed
      }
      return { outcome, gone: await Promise.race([gone, sleep(1000).then(() => 'still connected')]) }
    }

    it.each([true, false])('graceful: %s — resolves while an idle client is connected', async (graceful) => {
      expect((await closeWithIdleClient(graceful)).outcome).toBe('closed')
    })

    it('the idle client is told FATAL 57P01, as by PostgreSQL’s fast shutdown', async () => {
      const { gone } = await closeWithIdleClient(true)
      expect(gone).toMatchObject({
        code: '57P01',
        message: 'terminating connection due to administrator command',
      })
    })
  })

  describe('the CLI process', () => {
    const PASSWORD = 'Sekr1t-pw-4-proxy'
    const PART_PASSWORD = 'Sekr1t-pw-4-partitions'
    let cli: ReturnType<typeof startCli> | undefined
    let port = 0

    beforeAll(async () => {
      const dead = await closedPort()
      const clusterFile = writeTemp(
        'cluster.sql',
        `${env.clusterSql.replace(/dbname=(\S+)'/g, `dbname=$1 password=${PART_PASSWORD}'`)}
create server broken foreign data wrapper plproxy options (p0 'host=127.0.0.1 port=${dead} dbname=nowhere user=postgres password=${PART_PASSWORD}');
create user mapping for public server broken options (user 'postgres', password '${PART_PASSWORD}');
`,
      )
      const functionsFile = writeTemp(
        'proxy.sql',
        `${PROXY_SQL}
create function f_broken(i int) returns int as $$ cluster 'broken'; run on 0; $$ language plproxy;
`,
      )
      cli = startCli([
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--functions',
        functionsFile,
        '--clusters',
        clusterFile,
        '--proxy-db',
        env.cluster.connstr(env.proxyDb, `user=postgres password=${PASSWORD}`),
        '--user',
        'postgres',
        '--ddl-store',
        'none',
      ])
      const up = await waitFor(async () => /listening on 127\.0\.0\.1:(\d+)/.test(cli!.stderr()), 30_000, 100)
      expect(up, cli.stderr()).toBe(true)
      port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(cli.stderr())![1])
    })
    afterAll(async () => {
      if (cli && cli.child.exitCode === null) {
        cli.child.kill('SIGKILL')
        await cli.exit
      }
    })

    it('serves psql', async () => {
      const r = await psql(port, env.proxyDb, ['-Atc', 'select o_userid, o_engname from f_user_login(12)'])
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe('12|eng12\n')
    })

    it('no password in what clients see or in the log', async () => {
      const broken = await psql(port, env.proxyDb, ['-c', 'select f_broken(1)'])
      expect(broken.stderr).toMatch(/ERROR:/)
      const failing = await psql(port, env.proxyDb, ['-c', 'select f_fail(1)'])
      expect(failing.stderr).toContain('REMOTE ERROR: boom 1')
      const badUser = await psql(port, env.proxyDb, ['-c', 'select 1'], { user: 'no_such_role_x' })
      expect(badUser.code).not.toBe(0)
      for (const text of [broken.stderr, failing.stderr, badUser.stderr, cli!.stderr()]) {
        expect(text).not.toContain(PASSWORD)
        expect(text).not.toContain(PART_PASSWORD)
      }
    })

    it('SIGTERM: a running call finishes and returns its row, new connections are refused, exit code 0', async () => {
      const running = psql(port, env.proxyDb, ['-Atc', 'select f_sleep(7, 1.5)'])
      expect(
        await waitFor(
          async () => (await activeQueries(env.cluster, env.nodes[3]!, 'f_sleep')).length > 0,
          10_000,
        ),
      ).toBe(true)
      cli!.child.kill('SIGTERM')
      // the signal takes effect within moments (longer on a loaded machine)
      let refused = await psql(port, env.proxyDb, ['-c', 'select 1'])
      for (let i = 0; i < 25 && refused.code !== 2; i++) {
        await sleep(200)
        refused = await psql(port, env.proxyDb, ['-c', 'select 1'])
      }
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/Connection refused|shutting down/)
      const r = await running
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe('7\n')
      const exit = await Promise.race([cli!.exit, sleep(15_000).then(() => 'still running 15 s later')])
      expect(exit, cli!.stderr()).toBe(0)
      expect(cli!.stderr()).toMatch(/SIGTERM/)
      expect(cli!.stderr()).not.toContain(PASSWORD)
    })
  })
})
