/**
 * Writes the published grammar (DESIGN.md, decision 2):
 *
 *   npm run grammar        (= tsx scripts/generate-grammar.ts)
 *
 * grammar/plproxy-body.ebnf and grammar/diagrams.html are generated from the
 * Chevrotain parser and tokens of src/parser/body by scripts/grammar-artifacts.ts;
 * test/grammar/grammar-fresh.test.ts fails when the committed files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EBNF_PATH, generateGrammarArtifacts, HTML_PATH } from './grammar-artifacts.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { ebnf, html } = generateGrammarArtifacts()
for (const [path, text] of [
  [EBNF_PATH, ebnf],
  [HTML_PATH, html],
] as const) {
  const file = join(root, path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
  console.log(`wrote ${relative(process.cwd(), file) || file} (${Buffer.byteLength(text)} bytes)`)
}
