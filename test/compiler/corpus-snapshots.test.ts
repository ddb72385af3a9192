/**
 * Plan snapshots for the compile corpus (test/corpus/compile/*.sql): every
 * return kind, the common argument types, every statement form, and every
 * rejection. A change in generated remote SQL, routing or messages shows up
 * as a snapshot diff to review.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { compileScriptsSync } from '../../src/compiler/index.js'
import { loadPostgresParser } from '../../src/parser/index.js'

const corpusDir = join(import.meta.dirname, '../corpus/compile')
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.sql'))
  .sort()

beforeAll(async () => {
  await loadPostgresParser()
})

describe('compile corpus', () => {
  it.each(corpus)('%s compiles to the snapshotted plans and diagnostics', async (name) => {
    const file = `test/corpus/compile/${name}`
    const result = compileScriptsSync([{ file, text: readFileSync(join(corpusDir, name), 'utf8') }])
    const snapshot = {
      functions: result.functions.map((f) => ({ name: f.name, line: f.line, plan: f.plan ?? null })),
      diagnostics: result.diagnostics.map(
        (d) => `${d.line}:${d.column} ${d.severity} [${d.sqlstate}] ${d.message}`,
      ),
    }
    await expect(`${JSON.stringify(snapshot, null, 1)}\n`).toMatchFileSnapshot(
      `__snapshots__/${basename(name, '.sql')}.plans.json`,
    )
  })

  it('rejects every function of rejections.sql and accepts every other corpus function', () => {
    for (const name of corpus) {
      if (name.startsWith('differential')) continue
      const result = compileScriptsSync([{ file: name, text: readFileSync(join(corpusDir, name), 'utf8') }])
      const rejected = result.functions.filter((f) => !f.plan).map((f) => f.name)
      if (name === 'rejections.sql')
        expect(result.functions.every((f) => !f.plan && f.diagnostics.length === 1)).toBe(true)
      else expect(rejected).toEqual([])
    }
  })
})
