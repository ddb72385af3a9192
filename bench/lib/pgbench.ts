/** Running pgbench and reading its per-transaction log (latency percentiles). */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PG_BIN } from '../../test/harness/pg-cluster.js'

export interface PgbenchRun {
  readonly tps: number
  /** per-transaction latencies, ms, sorted */
  readonly latencies: number[]
}

export interface PgbenchOptions {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly database: string
  readonly script: string
  readonly clients: number
  readonly threads: number
  readonly seconds: number
  readonly defines?: Readonly<Record<string, string | number>>
  readonly protocol?: 'simple' | 'extended' | 'prepared'
}

export function pgbench(options: PgbenchOptions): Promise<PgbenchRun> {
  const dir = mkdtempSync(join(tmpdir(), 'plproxy-pgbench-'))
  const scriptFile = join(dir, 'script.sql')
  writeFileSync(scriptFile, options.script)
  const args = [
    '-h',
    options.host,
    '-p',
    String(options.port),
    '-U',
    options.user,
    '-n',
    '-M',
    options.protocol ?? 'extended',
    '-c',
    String(options.clients),
    '-j',
    String(Math.min(options.threads, options.clients)),
    '-T',
    String(options.seconds),
    '-f',
    scriptFile,
    '-l',
    '--log-prefix',
    join(dir, 'tx'),
    ...Object.entries(options.defines ?? {}).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
    options.database,
  ]
  return new Promise((resolve, reject) => {
    execFile(join(PG_BIN, 'pgbench'), args, { cwd: dir, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      try {
        if (err) throw new Error(`pgbench failed: ${stderr || err.message}`)
        const m =
          /tps = ([0-9.]+) \(without initial connection time\)/.exec(stdout) ?? /tps = ([0-9.]+)/.exec(stdout)
        if (!m) throw new Error(`no tps in pgbench output:\n${stdout}`)
        const latencies: number[] = []
        for (const f of readdirSync(dir)) {
          if (!f.startsWith('tx')) continue
          for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
            const fields = line.split(' ')
            if (fields.length >= 3) latencies.push(Number(fields[2]) / 1000)
          }
        }
        latencies.sort((a, b) => a - b)
        resolve({ tps: Number(m[1]), latencies })
      } catch (e) {
        reject(e)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
}
