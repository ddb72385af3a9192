/**
 * PL/Proxy's own regression suite (github:plproxy/plproxy, test/sql and
 * test/expected) run with pg_regress through `plproxy serve` — a report,
 * not a gate: it is not part of `npm test`.
 *
 *   npx tsx scripts/plproxy-regress.ts [--suite PATH] [--ref REV] [--out DIR] [--no-build] [--keep]
 *                                      [--only NAME,…] [--timeout SECONDS] [--single-run] [--direct]
 *
 * What it does, in order:
 *  1. takes the suite's test/sql, test/expected and the Makefile's REGRESS
 *     list (the schedule) from PATH at REV into a temporary directory —
 *     nothing of PL/Proxy's is kept in this repository. PATH is a git
 *     directory (bare or not) or a plain directory holding test/ and the
 *     Makefile; by default $PLPROXY_SUITE, else the mirror
 *     /work/.mirror/plproxy+plproxy/repo (what fetching github:plproxy/plproxy
 *     brings), else a clone of https://github.com/plproxy/plproxy. REV
 *     defaults to HEAD (v2.12.0 when this was written; the files then use
 *     `\set VERBOSITY terse`);
 *  2. `npm run build` (skipped with --no-build): the server that runs is
 *     `node bin/plproxy.js serve`, i.e. dist/;
 *  3. starts a throwaway PostgreSQL 15 cluster (src/demo/pg-cluster.ts: C
 *     locale, UTF8, trust on loopback — the suite's CI uses initdb
 *     --no-locale, which plproxy_encoding needs) and creates the proxy
 *     database `regression` in it (the server probes it at start);
 *  4. starts `plproxy serve` on a free loopback port with an empty
 *     --functions file, --ddl-store none and --proxy-db pointing at
 *     `regression`, with PGHOST/PGPORT/PGUSER naming the real cluster in
 *     its environment: the suite's partitions are `host=127.0.0.1
 *     dbname=test_part…` without a port (libpq defaults of the server
 *     process, as with the real extension);
 *  5. runs pg_regress against plproxy serve, one run per file in the
 *     schedule's order on the same databases: the first run drops and
 *     re-creates `regression` through the server (which relays sessions
 *     for other databases, `\c test_part0` included, to the real cluster),
 *     the next ones use what the earlier files left (--use-existing). So a
 *     crash costs only its own file: when a PostgreSQL backend crashes
 *     (postmaster.log) the harness waits for PostgreSQL to be back, and
 *     when plproxy serve has died it is started again for the next file
 *     (proxy functions made by earlier files are then gone). Both are
 *     reported. --single-run runs the whole schedule in one pg_regress, as
 *     `make installcheck` does (a crash then fails every later file, and
 *     timing-dependent behaviour shows as it would there);
 *  6. after each file, lists the LANGUAGE plproxy functions PostgreSQL
 *     itself holds: one in `regression` means a CREATE FUNCTION reached the
 *     real extension instead of plproxy-ts; one in another database was
 *     made by a relayed session, where the real PL/Proxy — not plproxy-ts —
 *     runs it (plproxy_encoding makes its own proxy databases);
 *  7. prints one line per file (ok / FAILED, the size of its diff, what
 *     happened), the totals, and leaves in --out (default
 *     $TMPDIR/plproxy-regress, emptied first): summary.txt, regression.out,
 *     regression.diffs, diffs/<test>.diff, results/, server.log (plproxy
 *     serve's stderr), postmaster.log and suite.txt (commit and tag used);
 *  8. stops the server and the cluster and removes the temporary files
 *     (with --keep, the cluster's directory and the extracted suite stay).
 *
 * --only init,test,… runs only those files (with or without the plproxy_
 * prefix), still in the schedule's order; keep plproxy_init among them, it
 * creates the partition databases and the cluster functions the others use.
 *
 * --direct runs the same suite straight against the throwaway PostgreSQL
 * and its real PL/Proxy extension (no plproxy serve): the baseline, to tell
 * the installed extension's own failures from plproxy-ts's (PL/Proxy 2.10
 * here: the v2.12.0 suite's last plproxy_sqlmed statement crashes its
 * backend — `plproxy_fdw_validator` with an option without a value, fixed
 * in 2.12).
 *
 * Needs: the PostgreSQL 15 server binaries, the real PL/Proxy extension
 * (the suite's `create extension plproxy` runs on the proxy database) and
 * pg_regress (postgresql-server-dev-15; PG_REGRESS overrides its path):
 * scripts/test-all.sh installs them. Exit status: 0 when every file passed,
 * 1 when some failed, 2 when the suite could not be run.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import {
  appendFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { freePort, PG_BIN, type PgCluster, startPgCluster } from '../src/demo/pg-cluster.js'

const execFileAsync = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '..')
const PG_REGRESS = process.env.PG_REGRESS ?? '/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress'
const DEFAULT_MIRROR = '/work/.mirror/plproxy+plproxy/repo'
const UPSTREAM = 'https://github.com/plproxy/plproxy'

interface Options {
  suite?: string
  ref: string
  out: string
  build: boolean
  keep: boolean
  only?: string[]
  timeoutSeconds: number
  /** one pg_regress run for the whole schedule (as `make installcheck`) instead of one per file */
  singleRun: boolean
  /** baseline: pg_regress straight against PostgreSQL and the real PL/Proxy extension, no plproxy serve */
  direct: boolean
}

function usage(message?: string): never {
  if (message) process.stderr.write(`plproxy-regress: ${message}\n`)
  process.stderr.write(
    'usage: npx tsx scripts/plproxy-regress.ts [--suite PATH] [--ref REV] [--out DIR] [--no-build] [--keep] [--only NAME,…] [--timeout SECONDS] [--direct] [--single-run]\n',
  )
  process.exit(2)
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    ref: 'HEAD',
    out: join(tmpdir(), 'plproxy-regress'),
    build: true,
    keep: false,
    timeoutSeconds: 900,
    suite: process.env.PLPROXY_SUITE,
    direct: false,
    singleRun: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) usage(`${a} needs a value`)
      return v
    }
    if (a === '--suite') o.suite = value()
    else if (a === '--ref') o.ref = value()
    else if (a === '--out') o.out = resolve(value())
    else if (a === '--no-build') o.build = false
    else if (a === '--keep') o.keep = true
    else if (a === '--direct') o.direct = true
    else if (a === '--single-run') o.singleRun = true
    else if (a === '--only') o.only = value().split(',').filter(Boolean)
    else if (a === '--timeout') o.timeoutSeconds = Number(value())
    else if (a === '-h' || a === '--help') usage()
    else usage(`unknown argument ${a}`)
  }
  return o
}

const log = (line: string): void => {
  process.stderr.write(`==> ${line}\n`)
}

// ---- 1. the suite ------------------------------------------------------------------

interface Suite {
  /** directory with sql/ and expected/ (pg_regress --inputdir) */
  readonly inputDir: string
  /** the Makefile's REGRESS list, in order */
  readonly schedule: readonly string[]
  /** where it came from, for the report */
  readonly origin: string
}

function git(gitDir: string, args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 64 * 1024 * 1024 }).toString()
}

/** The git directory of PATH, when it is a repository (bare, mirror or checkout). */
function gitDirOf(path: string): string | undefined {
  for (const candidate of [join(path, '.git'), path]) {
    try {
      execFileSync('git', ['--git-dir', candidate, 'rev-parse', '--git-dir'], { stdio: 'ignore' })
      return candidate
    } catch {
      // not a repository
    }
  }
  return undefined
}

/** REGRESS = a b \ c … from a Makefile. */
function regressList(makefile: string): string[] {
  const joined = makefile.replace(/\\\r?\n/g, ' ')
  const m = /^REGRESS\s*:?=\s*(.*)$/m.exec(joined)
  if (!m) throw new Error('the Makefile has no REGRESS list')
  return m[1]!.trim().split(/\s+/).filter(Boolean)
}

function extractSuite(o: Options, work: string): Suite {
  let source = o.suite
  if (!source && existsSync(DEFAULT_MIRROR)) source = DEFAULT_MIRROR
  if (!source) {
    source = join(work, 'plproxy.git')
    log(`no --suite and no mirror: cloning ${UPSTREAM}`)
    execFileSync('git', ['clone', '--quiet', '--bare', UPSTREAM, source], { stdio: 'inherit' })
  }
  const root = join(work, 'suite')
  const inputDir = join(root, 'test')
  mkdirSync(root, { recursive: true })
  const gitDir = gitDirOf(source)
  let origin: string
  if (gitDir) {
    const commit = git(gitDir, ['rev-parse', `${o.ref}^{commit}`]).trim()
    const describe = (() => {
      try {
        return git(gitDir, ['describe', '--tags', commit]).trim()
      } catch {
        return '(no tag)'
      }
    })()
    const subject = git(gitDir, ['log', '-1', '--format=%cs %s', commit]).trim()
    // only what pg_regress reads: test/sql, test/expected, the Makefile (for REGRESS)
    const tar = execFileSync(
      'git',
      ['--git-dir', gitDir, 'archive', '--format=tar', commit, 'test/sql', 'test/expected', 'Makefile'],
      { maxBuffer: 256 * 1024 * 1024 },
    )
    execFileSync('tar', ['-x', '-C', root], { input: tar })
    origin = `${source} @ ${commit} (${describe}; ${subject})`
  } else {
    if (!existsSync(join(source, 'test', 'sql'))) throw new Error(`${source} has no test/sql`)
    execFileSync('cp', ['-r', join(source, 'test'), join(source, 'Makefile'), root])
    origin = `${source} (a directory, not a git repository)`
  }
  const schedule = regressList(readFileSync(join(root, 'Makefile'), 'utf8'))
  return { inputDir, schedule, origin }
}

// ---- 4. plproxy serve ------------------------------------------------------------------

async function startServe(
  cluster: PgCluster,
  work: string,
  serverLog: string,
): Promise<{ port: number; child: ChildProcess }> {
  const functions = join(work, 'no-functions.sql')
  writeFileSync(functions, '-- the suite creates its proxy functions through the server\n')
  const port = await freePort()
  const args = [
    join(ROOT, 'bin', 'plproxy.js'),
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    '--functions',
    functions,
    '--proxy-db',
    `host=127.0.0.1 port=${cluster.port} dbname=regression user=${cluster.user}`,
    '--ddl-store',
    'none',
    '--user',
    cluster.user,
  ]
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // the partitions' connect strings name no port (and CONNECT 'dbname=…' no host): libpq defaults
    PGHOST: '127.0.0.1',
    PGPORT: String(cluster.port),
    PGUSER: cluster.user,
    LANG: 'C',
  }
  for (const k of ['PGDATABASE', 'PGOPTIONS', 'PGSERVICE', 'PGPASSWORD', 'LC_ALL']) delete env[k]
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const file = createWriteStream(serverLog, { flags: 'a' })
  child.stdout!.pipe(file, { end: false })
  child.stderr!.pipe(file, { end: false })
  await new Promise<void>((resolvePromise, reject) => {
    let seen = ''
    const timer = setTimeout(
      () => reject(new Error(`plproxy serve did not start in 60 s; see ${serverLog}`)),
      60_000,
    )
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString()
      if (/listening on /.test(seen)) {
        clearTimeout(timer)
        child.stderr!.off('data', onData)
        resolvePromise()
      }
    }
    child.stderr!.on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`plproxy serve exited at start (${signal ?? code}):\n${seen.slice(-2000)}`))
    })
  })
  return { port, child }
}

async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

/** pg_regress runs under way (stopped on SIGINT/SIGTERM) */
const running = new Set<ChildProcess>()

// ---- 5. pg_regress ---------------------------------------------------------------------

interface FileResult {
  readonly test: string
  readonly status: 'ok' | 'FAILED' | 'not run'
  readonly ms?: number
  readonly diffLines?: number
  /** pg_regress's remark, e.g. `test process exited with exit code 2` (psql lost its connection) */
  readonly note?: string
  /** what the harness saw around this file (plproxy serve died, PostgreSQL restarted…) */
  readonly events?: readonly string[]
}

/**
 * One pg_regress run of some tests in order; the first run (re)creates the
 * database, the next ones use it as it was left (--use-existing).
 */
async function runPgRegress(
  suite: Suite,
  tests: readonly string[],
  port: number,
  out: string,
  options: { useExisting: boolean; timeoutSeconds: number; quiet: boolean },
): Promise<{ code: number | null; timedOut: boolean; output: string }> {
  const args = [
    `--inputdir=${suite.inputDir}`,
    `--outputdir=${out}`,
    `--bindir=${PG_BIN}`,
    '--host=127.0.0.1',
    `--port=${port}`,
    '--user=postgres',
    '--dbname=regression',
    ...(options.useExisting ? ['--use-existing'] : []),
    ...tests,
  ]
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C' }
  for (const k of ['PGDATABASE', 'PGOPTIONS', 'PGSERVICE', 'LC_ALL', 'PGHOST', 'PGPORT']) delete env[k]
  const child = spawn(PG_REGRESS, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  child.once('exit', () => running.delete(child))
  let output = ''
  const take = (chunk: Buffer): void => {
    output += chunk.toString()
    if (!options.quiet) process.stderr.write(chunk)
  }
  child.stdout!.on('data', take)
  child.stderr!.on('data', take)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    log(`pg_regress still running after ${options.timeoutSeconds} s: stopping it`)
    child.kill('SIGTERM')
  }, options.timeoutSeconds * 1000)
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
  clearTimeout(timer)
  return { code, timedOut, output }
}

/** Lines of regression.out: `test plproxy_init ... ok 12 ms` (PG15; also the `ok N - name` format of PG16+). */
function parseRegressionOut(text: string): Map<string, FileResult> {
  const found = new Map<string, FileResult>()
  for (const line of text.split('\n')) {
    const old = /^test\s+(\S+)\s+\.\.\.\s+(ok|FAILED|failed \(ignored\))(?:\s+\(([^)]*)\))?\s+(\d+) ms/.exec(
      line,
    )
    if (old) {
      found.set(old[1]!, {
        test: old[1]!,
        status: old[2] === 'ok' ? 'ok' : 'FAILED',
        ms: Number(old[4]),
        ...(old[3] ? { note: old[3] } : {}),
      })
      continue
    }
    const tap = /^(not ok|ok)\s+\d+\s+[-+]\s+(\S+)\s+(\d+)\s*ms/.exec(line)
    if (tap)
      found.set(tap[2]!, { test: tap[2]!, status: tap[1] === 'ok' ? 'ok' : 'FAILED', ms: Number(tap[3]) })
  }
  return found
}

/** regression.diffs split by test (a test with alternative expected files may have several). */
function splitDiffs(all: string): Map<string, string> {
  const diffs = new Map<string, string>()
  const starts = [...all.matchAll(/^diff .*\/expected\/([^/\s]+?)(?:_\d+)?\.out .*$/gm)]
  starts.forEach((m, k) => {
    const end = k + 1 < starts.length ? starts[k + 1]!.index : all.length
    const name = m[1]!
    diffs.set(name, (diffs.get(name) ?? '') + all.slice(m.index, end))
  })
  return diffs
}

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

/**
 * LANGUAGE plproxy functions that exist in PostgreSQL itself, per database:
 * through plproxy serve there should be none in the proxy database (its
 * CREATE FUNCTION … LANGUAGE plproxy is compiled by plproxy-ts); in other
 * databases they come from relayed sessions, where the real extension runs them.
 */
async function realPlproxyFunctions(cluster: PgCluster): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  const dbs = await cluster.query<{ datname: string }>(
    'postgres',
    'select datname from pg_database where datallowconn order by 1',
  )
  for (const { datname } of dbs) {
    try {
      const rows = await cluster.query<{ f: string }>(
        datname,
        `select p.oid::regprocedure::text as f from pg_proc p join pg_language l on l.oid = p.prolang
          where l.lanname = 'plproxy' order by 1`,
      )
      if (rows.length)
        out.set(
          datname,
          rows.map((r) => r.f),
        )
    } catch {
      // dropped meanwhile, or not reachable: nothing to say
    }
  }
  return out
}

/** Waits until PostgreSQL accepts connections again (after a backend crash it restarts all of them). */
async function waitForPostgres(cluster: PgCluster, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    try {
      await cluster.query('postgres', 'select 1')
      return true
    } catch {
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  return false
}

// ---- main ----------------------------------------------------------------------------

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2))
  if (!existsSync(PG_REGRESS)) {
    log(`pg_regress not found at ${PG_REGRESS} (apt-get install postgresql-server-dev-15, or set PG_REGRESS)`)
    return 2
  }
  const started = Date.now()
  const work = mkdtempSync(join(tmpdir(), 'plproxy-regress-work-'))
  rmSync(o.out, { recursive: true, force: true })
  mkdirSync(join(o.out, 'diffs'), { recursive: true })
  mkdirSync(join(o.out, 'results'), { recursive: true })
  const serverLog = join(o.out, 'server.log')
  const cleanups: (() => Promise<void>)[] = []
  if (!o.keep) cleanups.push(async () => rmSync(work, { recursive: true, force: true }))
  let interrupted = false
  const onSignal = (): void => {
    interrupted = true
    log('interrupted: cleaning up')
    for (const c of running) c.kill('SIGTERM')
    void Promise.allSettled([...cleanups].reverse().map((c) => c())).then(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const suite = extractSuite(o, work)
    writeFileSync(join(o.out, 'suite.txt'), `${suite.origin}\nschedule: ${suite.schedule.join(' ')}\n`)
    log(`suite: ${suite.origin}`)
    const tests = o.only
      ? suite.schedule.filter((t) => o.only!.some((x) => t === x || t === `plproxy_${x}`))
      : suite.schedule
    if (!tests.length) {
      log(`--only names none of ${suite.schedule.join(' ')}`)
      return 2
    }

    if (o.build && !o.direct) {
      log('npm run build')
      await execFileAsync('npm', ['run', '--silent', 'build'], { cwd: ROOT })
    }

    log('starting a throwaway PostgreSQL 15 cluster')
    const cluster = await startPgCluster({ name: 'plproxy-regress' })
    cleanups.push(async () => {
      const pmLog = join(cluster.socketDir, 'postmaster.log')
      if (existsSync(pmLog)) writeFileSync(join(o.out, 'postmaster.log'), readFileSync(pmLog))
      if (o.keep) log(`--keep: the cluster stays in ${cluster.dataDir} (port ${cluster.port})`)
      else await cluster.stop()
    })
    // the proxy database must exist when the server starts (it probes it); pg_regress re-creates it
    await cluster.createDatabase('regression')

    // plproxy serve, (re)started when it is not running
    let serve: { port: number; child: ChildProcess } | undefined
    let serveStarts = 0
    const ensureServe = async (): Promise<number> => {
      if (o.direct) return cluster.port
      if (serve && serve.child.exitCode === null && serve.child.signalCode === null) return serve.port
      serveStarts++
      log(serveStarts === 1 ? 'starting plproxy serve' : 'plproxy serve is not running: starting it again')
      appendFileSync(serverLog, `---- plproxy-regress: start ${serveStarts} of plproxy serve\n`)
      serve = await startServe(cluster, work, serverLog)
      log(`plproxy serve on 127.0.0.1:${serve.port}, PostgreSQL on 127.0.0.1:${cluster.port}`)
      return serve.port
    }
    cleanups.push(async () => {
      if (serve) await stopServe(serve.child)
    })
    if (o.direct) log(`--direct: pg_regress runs against PostgreSQL itself on 127.0.0.1:${cluster.port}`)

    // by default one pg_regress run per file, in the schedule's order and on the same databases, so
    // that a crash (of plproxy serve, or of a PostgreSQL backend) costs only the file where it
    // happened; --single-run: one pg_regress for the whole schedule, as `make installcheck`
    const groups = o.singleRun ? [tests] : tests.map((t) => [t])
    const results: FileResult[] = []
    let regressOut = ''
    let regressDiffs = ''
    let timedOut = false
    const regressStarted = Date.now()
    let realBefore = new Map<string, string[]>()
    /** --single-run: what happened during the one run (not tied to a file) */
    const runEvents: string[] = []
    for (const [i, group] of groups.entries()) {
      const events: string[] = []
      const pmBefore = readIfExists(join(cluster.socketDir, 'postmaster.log')).length
      const startsBefore = serveStarts
      const port = await ensureServe()
      if (startsBefore > 0 && serveStarts > startsBefore) {
        events.push('ran on a restarted plproxy serve (proxy functions made by earlier files are gone)')
      }
      const dir = join(work, 'runs', String(i))
      mkdirSync(dir, { recursive: true })
      const run = await runPgRegress(suite, group, port, dir, {
        useExisting: i > 0,
        timeoutSeconds: o.timeoutSeconds,
        quiet: !o.singleRun,
      })
      timedOut ||= run.timedOut
      // pg_regress removes regression.out when everything passed: its stdout has the same lines
      const out =
        readIfExists(join(dir, 'regression.out')) || run.output.replace(/^(?!test |ok |not ok ).*\n?/gm, '')
      const diffs = readIfExists(join(dir, 'regression.diffs'))
      regressOut += out
      regressDiffs += diffs
      if (existsSync(join(dir, 'results')))
        execFileSync('cp', ['-r', `${join(dir, 'results')}/.`, join(o.out, 'results')])
      const byTest = splitDiffs(diffs)
      if (run.timedOut) events.push(`pg_regress timed out after ${o.timeoutSeconds} s`)
      const pmLog = readIfExists(join(cluster.socketDir, 'postmaster.log')).slice(pmBefore)
      const crash =
        /server process \(PID \d+\) was terminated by signal \d+: [^\n]*\n[^\n]*DETAIL: {2}Failed process was running: ([^\n]*)/.exec(
          pmLog,
        )
      if (crash) {
        events.push(`a PostgreSQL backend crashed running "${crash[1]!.trim()}…"; PostgreSQL restarted`)
        if (!(await waitForPostgres(cluster, 60)))
          throw new Error('PostgreSQL did not come back after a crash')
      }
      // a death of plproxy serve belongs to this run (give it a moment to show)
      if (!o.direct && serve) {
        const child = serve.child
        if (child.exitCode === null && child.signalCode === null) {
          await new Promise((r) => setTimeout(r, crash ? 1000 : 50))
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          events.push(`plproxy serve died (${child.signalCode ?? `exit ${child.exitCode}`}); see server.log`)
        }
      }
      // proxy functions the real PL/Proxy ran instead of plproxy-ts (with --direct: all of them)
      if (!o.direct) {
        const real = await realPlproxyFunctions(cluster)
        for (const [db, fns] of real) {
          const before = new Set(realBefore.get(db) ?? [])
          const created = fns.filter((f) => !before.has(f))
          if (!created.length) continue
          events.push(
            db === 'regression'
              ? `${created.length} LANGUAGE plproxy function(s) reached PostgreSQL's proxy database instead of plproxy-ts: ${created.join(', ')}`
              : `${created.length} LANGUAGE plproxy function(s) created in database ${db} (a relayed session: the real PL/Proxy runs them, not plproxy-ts): ${created.join(', ')}`,
          )
        }
        realBefore = real
      }
      const parsed = parseRegressionOut(out)
      for (const test of group) {
        const diff = byTest.get(test)
        if (diff) writeFileSync(join(o.out, 'diffs', `${test}.diff`), diff)
        let r: FileResult = parsed.get(test) ?? {
          test,
          status: 'not run',
          note: run.output.trim().split('\n').slice(-3).join(' / '),
        }
        if (diff && r.status === 'FAILED') {
          r = { ...r, diffLines: diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l)).length }
        }
        results.push(r)
        if (!o.singleRun) log(`${test}: ${r.status}${r.note ? ` [${r.note}]` : ''}`)
      }
      if (events.length && o.singleRun) runEvents.push(...events)
      else if (events.length) {
        const last = results.length - 1
        results[last] = { ...results[last]!, events }
      }
      for (const e of events) log(`${o.singleRun ? '' : `${group.at(-1)}: `}${e}`)
    }
    writeFileSync(join(o.out, 'regression.out'), regressOut)
    writeFileSync(join(o.out, 'regression.diffs'), regressDiffs)
    const regressSeconds = (Date.now() - regressStarted) / 1000

    const passed = results.filter((r) => r.status === 'ok').length
    const failed = results.filter((r) => r.status === 'FAILED').length
    const notRun = results.filter((r) => r.status === 'not run').length
    const width = Math.max(...results.map((r) => r.test.length))
    const lines = results.flatMap((r) => [
      `${r.test.padEnd(width)}  ${r.status.padEnd(7)}${r.ms !== undefined ? `${String(r.ms).padStart(7)} ms` : ''}` +
        (r.diffLines !== undefined ? `  (${r.diffLines} diff lines: diffs/${r.test}.diff)` : '') +
        (r.note ? `  [${r.note}]` : ''),
      ...(r.events ?? []).map((e) => `${''.padEnd(width)}    ! ${e}`),
    ])
    const total =
      `${passed} of ${results.length} files passed, ${failed} failed` +
      (notRun ? `, ${notRun} not run` : '') +
      (timedOut ? ' (pg_regress timed out)' : '') +
      (serveStarts > 1 ? ` (plproxy serve was started ${serveStarts} times)` : '')
    const summary = [
      `suite: ${suite.origin}`,
      o.direct
        ? 'direct: PostgreSQL and its PL/Proxy extension, no plproxy serve'
        : `plproxy-ts: ${gitHead()} (${ROOT}${o.build ? '' : '; --no-build: dist/ as it was'})`,
      '',
      ...lines,
      ...(runEvents.length ? ['', 'during the run:', ...runEvents.map((e) => `  ! ${e}`)] : []),
      '',
      total,
      `pg_regress ${regressSeconds.toFixed(1)} s, all ${((Date.now() - started) / 1000).toFixed(1)} s; output in ${o.out}`,
    ].join('\n')
    writeFileSync(join(o.out, 'summary.txt'), `${summary}\n`)
    process.stdout.write(`\n${summary}\n`)
    return failed || notRun || timedOut ? 1 : 0
  } catch (e) {
    if (!interrupted) log(`could not run the suite: ${(e as Error).stack ?? String(e)}`)
    return 2
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    for (const c of [...cleanups].reverse()) {
      try {
        await c()
      } catch (e) {
        log(`cleanup: ${(e as Error).message}`)
      }
    }
    if (o.keep) log(`--keep: the extracted suite and per-file runs stay in ${work}`)
  }
}

function gitHead(): string {
  try {
    const quiet = { stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[] }
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], quiet).toString().trim()
    const dirty = execFileSync(
      'git',
      ['-C', ROOT, 'status', '--porcelain', '--untracked-files=all', 'src'],
      quiet,
    )
      .toString()
      .trim()
    return `${head}${dirty ? ' + uncommitted changes in src/' : ''}`
  } catch {
    return '(not a git checkout)'
  }
}

process.exitCode = await main()
