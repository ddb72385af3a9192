/**
 * Differential test over the compile corpus: every `test/corpus/compile/*.sql`
 * file (found at run time) is executed statement by statement on the real
 * PL/Proxy (in a fresh database with `create extension plproxy`) and compiled
 * by plproxy-ts. For each proxy function definition and each SQL/MED
 * statement (CREATE/ALTER SERVER, USER MAPPING, FOREIGN DATA WRAPPER) both
 * must agree: accepted by both, or rejected by both with the same primary
 * message. All disagreements of a file are reported in one assertion.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseSync } from 'libpg-query'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { compileScriptsSync } from '../../src/compiler/index.js'
import { loadPostgresParser, type ScriptChunk, type SqlChunk, splitScript } from '../../src/parser/index.js'
import { sharedCluster, skipWithoutPlproxy, uniqueDbName } from '../harness/shared-cluster.js'

const skip = skipWithoutPlproxy('differential compile test (corpus)')

const corpusDir = fileURLToPath(new URL('../corpus/compile/', import.meta.url))
const corpusFiles = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.sql'))
  .sort()

/** What a statement did: `null` for success, else the error's primary message. */
type Outcome = { readonly error: string | null } | { readonly skipped: string }

type Compared = 'plproxy function' | 'SQL/MED'

/** The statement kinds whose outcome plproxy-ts must predict. */
const SQLMED_NODES = new Set([
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
])
const FUNCTION_FALLBACK =
  /^\s*create\s+(or\s+replace\s+)?(function|procedure)\b[\s\S]*\blanguage\s+["']?plproxy\b/i
const SQLMED_FALLBACK = /^\s*(create|alter)\s+(server|user\s+mapping|foreign\s+data\s+wrapper)\b/i

function compared(sql: string): Compared | undefined {
  let stmts: readonly { stmt?: Record<string, unknown> }[]
  try {
    stmts = (parseSync(sql) as { stmts?: { stmt?: Record<string, unknown> }[] }).stmts ?? []
  } catch {
    // PostgreSQL's own syntax error: still compare when it looks like one of ours
    if (FUNCTION_FALLBACK.test(sql)) return 'plproxy function'
    if (SQLMED_FALLBACK.test(sql)) return 'SQL/MED'
    return undefined
  }
  const node = stmts[0]?.stmt
  if (!node) return undefined
  const [kind, body] = Object.entries(node)[0] ?? []
  if (kind && SQLMED_NODES.has(kind)) return 'SQL/MED'
  if (kind !== 'CreateFunctionStmt') return undefined
  const options = ((body as { options?: unknown[] }).options ?? []) as {
    DefElem?: { defname?: string; arg?: { String?: { sval?: string } } }
  }[]
  const language = options.find((o) => o.DefElem?.defname === 'language')?.DefElem?.arg?.String?.sval
  return language === 'plproxy' ? 'plproxy function' : undefined
}

/** Calls a shared cluster must never see (PL/Proxy 2.10 crashes on a valueless validator option). */
const UNSAFE = /plproxy_fdw_validator\s*\(/i

function lineOf(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++
  return line
}

const head = (sql: string): string => {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length > 90 ? `${flat.slice(0, 87)}...` : flat
}

const show = (o: Outcome): string =>
  'skipped' in o ? `(not run: ${o.skipped})` : o.error === null ? 'accepted' : `ERROR: ${o.error}`

const EXISTING_PROXY_FUNCTIONS = `select quote_ident(n.nspname) || '.' || quote_ident(p.proname) as name
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
  where l.lanname = 'plproxy' and n.nspname not like 'pg_temp%'`

interface ServerRun {
  readonly outcomes: ReadonlyMap<SqlChunk, Outcome>
  /** the proxy functions that exist at the end, per database (`''`: the one the script starts in) */
  readonly functions: ReadonlyMap<string, readonly string[]>
}

/** Runs the file on the real server, one statement at a time in autocommit; `\c db` switches databases. */
async function runOnServer(base: string, chunks: readonly ScriptChunk[]): Promise<ServerRun> {
  const cluster = sharedCluster()
  const outcomes = new Map<SqlChunk, Outcome>()
  const databases = new Map<string, pg.Client>()
  const open = async (key: string): Promise<pg.Client> => {
    const existing = databases.get(key)
    if (existing) return existing
    const name = key === '' ? base : `${base}_${key.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()}`
    await cluster.createDatabase(name)
    await cluster.query(name, 'create extension plproxy')
    const client = new pg.Client({ ...cluster.clientConfig(name), statement_timeout: 20_000 })
    client.on('error', () => {})
    await client.connect()
    databases.set(key, client)
    return client
  }
  let client = await open('')
  const functions = new Map<string, string[]>()
  try {
    for (const chunk of chunks) {
      if (chunk.kind === 'meta') {
        const target = chunk.args[0]
        if ((chunk.command === 'c' || chunk.command === 'connect') && target && target !== '-') {
          client = await open(target)
        }
        continue
      }
      if (UNSAFE.test(chunk.text)) {
        outcomes.set(chunk, { skipped: 'unsafe for PL/Proxy 2.10' })
        continue
      }
      try {
        await client.query(chunk.text)
        outcomes.set(chunk, { error: null })
      } catch (err) {
        if (!(err instanceof pg.DatabaseError)) throw err
        outcomes.set(chunk, { error: err.message })
      }
    }
    for (const [key, c] of databases) {
      const rows = (await c.query<{ name: string }>(EXISTING_PROXY_FUNCTIONS)).rows
      functions.set(key, rows.map((r) => r.name).sort())
    }
  } finally {
    for (const c of databases.values()) await c.end()
  }
  return { outcomes, functions }
}

/** `a` minus `b`, as multisets */
function minus(a: readonly string[], b: readonly string[]): string[] {
  const rest = [...b]
  return a.filter((x) => {
    const i = rest.indexOf(x)
    if (i < 0) return true
    rest.splice(i, 1)
    return false
  })
}

describe.skipIf(skip)('compile corpus: plproxy-ts agrees with the real PL/Proxy 2.10', () => {
  it('has corpus files', () => {
    expect(corpusFiles).toContain('differential-sanity.sql')
  })

  it.each(corpusFiles)('%s', async (file) => {
    await loadPostgresParser()
    const text = readFileSync(`${corpusDir}${file}`, 'utf8')
    const chunks = splitScript(text)
    const real = await runOnServer(uniqueDbName('corpus'), chunks)

    const result = compileScriptsSync([{ file, text }])
    const errors = result.diagnostics.filter((d) => d.severity === 'error' && d.file === file)

    const mismatches: string[] = []
    let checked = 0
    for (const chunk of chunks) {
      if (chunk.kind !== 'sql') continue
      const kind = compared(chunk.text)
      const theirs = real.outcomes.get(chunk)
      if (!kind || !theirs || 'skipped' in theirs) continue
      checked++
      const inside = errors.filter((d) => d.offset >= chunk.start && d.offset <= chunk.end)
      const ours: Outcome = { error: inside[0]?.message ?? null }
      const more = inside.slice(1).map((d) => d.message)
      const extra = more.length ? ` (+${more.length} more: ${more.join(' | ')})` : ''
      if (theirs.error !== ours.error || extra) {
        mismatches.push(
          `${file}:${lineOf(text, chunk.start)}: [${kind}] ${head(chunk.text)}\n` +
            `    real PL/Proxy: ${show(theirs)}\n` +
            `    plproxy-ts:    ${show(ours)}${extra}`,
        )
      }
    }

    // what a caller could call afterwards: a failed CREATE OR REPLACE must keep the old definition, etc.
    for (const [database, existing] of real.functions) {
      const compiled = result.functions
        .filter((f) => f.plan && (f.database ?? '') === database)
        .map((f) => f.name)
        .sort()
      const onlyReal = minus(existing, compiled)
      const onlyOurs = minus(compiled, existing)
      if (onlyReal.length || onlyOurs.length) {
        mismatches.push(
          `${file}: proxy functions defined at the end of the script${database ? ` in database ${database}` : ''}:\n` +
            `    only on the real PL/Proxy: ${onlyReal.join(', ') || '-'}\n` +
            `    only in plproxy-ts:        ${onlyOurs.join(', ') || '-'}`,
        )
      }
    }

    const sql = chunks.filter((c) => c.kind === 'sql').length
    const report =
      `${file}: ${mismatches.length} disagreement(s) over ${checked} compared statements ` +
      `(${sql} statements run, ${chunks.length - sql} psql meta-commands not run):\n${mismatches.join('\n')}`
    expect(mismatches.length, report).toBe(0)
  })
})
