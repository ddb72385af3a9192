/**
 * `plproxy call` and `plproxy explain`: run (or show the routing of) one
 * proxy function call, from the command line.
 *
 *   plproxy call f_user_login 42 --functions proxy.sql --clusters cluster.sql
 *   plproxy call --functions proxy.sql --clusters c.json --format csv -- f -1 NULL
 */

import { PlProxyError } from '../runtime/errors.js'
import { createProxy, type PlProxy, type ProxyOptions } from '../runtime/proxy.js'
import { CliUsageError } from './files.js'
import { formatCsv, formatJson, formatTable } from './format/index.js'
import type { Output } from './output.js'

export interface CallCommandOptions {
  readonly functions?: readonly string[]
  readonly clusters?: readonly string[]
  readonly proxyDb?: string
  readonly user?: string
  readonly argsJson?: string
  readonly format?: string
  /** column definition list for RETURNS SETOF record functions: `id int, name text` */
  readonly columns?: string
  readonly variables?: ReadonlyMap<string, string>
}

const FORMATS = ['table', 'csv', 'json'] as const

/** `id int, name varchar(10)` → [['id','int'], ['name','varchar(10)']] (commas inside parentheses kept) */
function columnList(text: string): [string, string][] {
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
    } else cur += ch
  }
  if (cur.trim()) parts.push(cur)
  return parts.map((p) => {
    const m = /^\s*("(?:[^"]|"")+"|\S+)\s+(.+?)\s*$/.exec(p)
    if (!m) throw new CliUsageError(`invalid column definition "${p.trim()}": expected "name type"`)
    const name = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!.toLowerCase()
    return [name, m[2]!]
  })
}

async function loadProxy(options: CallCommandOptions): Promise<PlProxy> {
  if (!options.functions?.length) throw new CliUsageError('--functions <file.sql> is required')
  const proxyOptions: ProxyOptions = {
    functions: options.functions.map((path) => ({ path })),
    clusters: (options.clusters ?? []).map((path) => ({ path })),
    ...(options.proxyDb !== undefined ? { proxyDatabase: options.proxyDb } : {}),
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.variables ? { variables: Object.fromEntries(options.variables) } : {}),
    // 0: like PL/Proxy, check a live cluster's version on every call
    clusterRefreshMs: 0,
  }
  return createProxy(proxyOptions)
}

function argumentsOf(
  args: readonly string[],
  options: CallCommandOptions,
): { text?: (string | null)[]; json?: unknown[] } {
  if (options.argsJson !== undefined) {
    if (args.length)
      throw new CliUsageError('give the arguments either positionally or with --args-json, not both')
    let parsed: unknown
    try {
      parsed = JSON.parse(options.argsJson)
    } catch (e) {
      throw new CliUsageError(`--args-json is not valid JSON: ${(e as Error).message}`)
    }
    if (!Array.isArray(parsed)) throw new CliUsageError('--args-json must be a JSON array')
    return { json: parsed }
  }
  // PostgreSQL text literals; the bare word NULL is SQL NULL
  return { text: args.map((a) => (a === 'NULL' ? null : a)) }
}

/** `ERROR:  message[ at character N]` as psql prints it with terse verbosity */
export function psqlError(e: unknown): string {
  if (e instanceof PlProxyError) {
    const at = e.position ? ` at character ${e.position}` : ''
    return `${e.severity}:  ${e.message}${at}\n`
  }
  if (e instanceof Error && e.name === 'ProxyLoadError') return `ERROR:  ${e.message}\n`
  return `ERROR:  ${(e as Error).message ?? String(e)}\n`
}

export async function callCommand(
  fn: string,
  args: readonly string[],
  options: CallCommandOptions,
  out: Output,
  explain = false,
): Promise<number> {
  const format = options.format ?? 'table'
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new CliUsageError(`unknown --format "${format}": expected ${FORMATS.join(', ')}`)
  }
  const given = argumentsOf(args, options)
  const columns = options.columns !== undefined ? columnList(options.columns) : undefined
  let proxy: PlProxy | undefined
  try {
    proxy = await loadProxy(options)
    const callOptions = columns ? { columns } : {}
    if (explain) {
      const plan = proxy.plan(fn, (given.text ?? given.json ?? []).length)
      const explanation = await proxy.explain(fn, given.json ?? given.text ?? [], callOptions)
      out.stdout(
        format === 'json' ? `${JSON.stringify({ ...explanation, plan })}\n` : renderExplanation(explanation),
      )
      return 0
    }
    const text = given.json ? await jsonAsText(proxy, fn, given.json) : (given.text ?? [])
    const result = await proxy.callText(fn, text, callOptions)
    const table = {
      columns: result.columns.map((c) => ({ name: c.name, typeOid: c.type.oid })),
      rows: result.rows,
    }
    out.stdout(
      format === 'csv' ? formatCsv(table) : format === 'json' ? formatJson(table) : formatTable(table),
    )
    return 0
  } catch (e) {
    if (e instanceof CliUsageError) throw e
    out.stderr(psqlError(e))
    return 1
  } finally {
    await proxy?.end()
  }
}

async function jsonAsText(
  proxy: PlProxy,
  fn: string,
  values: readonly unknown[],
): Promise<(string | null)[]> {
  const { encodeValue } = await import('../runtime/values/index.js')
  const plan = proxy.plan(fn, values.length)
  const ins = plan.function.arguments.filter((a) => a.inIndex !== undefined)
  return values.map((v, i) => encodeValue(ins[i]!.type, v))
}

function renderExplanation(e: Awaited<ReturnType<PlProxy['explain']>>): string {
  const lines = [
    `function:  ${e.function}`,
    `cluster:   ${e.cluster.name} (${e.cluster.source}, version ${e.cluster.version}, ${e.cluster.partitions} partition${e.cluster.partitions === 1 ? '' : 's'})`,
    `user:      ${e.user}`,
    `run:       ${e.run}${e.hashes.length ? ` (hash ${e.hashes.join(', ')})` : ''}`,
  ]
  if (!e.connections.length) lines.push('no partition is tagged: no remote query is sent')
  for (const c of e.connections) {
    lines.push(`partition ${c.partitions.join(', ')}: ${c.connectString}`)
    lines.push(`  ${c.sql}`)
    c.parameters.forEach((p, i) => {
      lines.push(`  $${i + 1} = ${p === null ? 'NULL' : `'${p.replace(/'/g, "''")}'`}`)
    })
  }
  return `${lines.join('\n')}\n`
}
