/**
 * The published grammar (grammar/, DESIGN.md decision 2) must be what the
 * parser generates today: regenerate it with `npm run grammar` after changing
 * src/parser/body/parser.ts or tokens.ts.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CustomPatternMatcherFunc } from 'chevrotain'
import { describe, expect, it } from 'vitest'
import {
  CUSTOM_PATTERN_EQUIVALENTS,
  EBNF_PATH,
  generateGrammarArtifacts,
  HTML_PATH,
  parserRuleNames,
} from '../../scripts/grammar-artifacts.js'
import { ALL_TOKENS } from '../../src/parser/body/tokens.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const STALE = 'is stale: run `npm run grammar` and commit the result'

function committed(path: string): string {
  try {
    return readFileSync(join(ROOT, path), 'utf8')
  } catch {
    throw new Error(`${path} is missing: run \`npm run grammar\` and commit the result`)
  }
}

const fresh = generateGrammarArtifacts()
const rules = parserRuleNames()

describe('grammar/ is up to date', () => {
  it(`${EBNF_PATH} equals the generated EBNF`, () => {
    expect(committed(EBNF_PATH), `${EBNF_PATH} ${STALE}`).toBe(fresh.ebnf)
  })

  it(`${HTML_PATH} equals the generated diagrams`, () => {
    // No diff of ~70 kB of inlined scripts: a plain verdict.
    expect(committed(HTML_PATH) === fresh.html, `${HTML_PATH} ${STALE}`).toBe(true)
  })

  it('generation is deterministic', () => {
    expect(generateGrammarArtifacts()).toEqual(fresh)
  })
})

describe('grammar/diagrams.html is self-contained', () => {
  const html = fresh.html

  it('loads no script, stylesheet or other resource from the network', () => {
    expect(html).not.toMatch(/<script\b[^>]*\bsrc\s*=/i)
    expect(html).not.toMatch(/<link\b/i)
    expect(html).not.toMatch(
      /<(?:img|iframe|object|embed|source)\b[^>]*\b(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?\/\//i,
    )
    expect(html).not.toMatch(/@import|url\(\s*["']?\s*(?:https?:)?\/\//i)
    expect(html).not.toContain('unpkg.com')
  })

  it('inlines the diagram runtime of chevrotain', () => {
    for (const global of [
      'this.railroad = {}',
      'root.diagrams_builder',
      'root.diagrams_behavior',
      'root.main',
    ]) {
      expect(html).toContain(global)
    }
    expect(html).toContain('main.drawDiagramsFromSerializedGrammar(serializedGrammar, diagramsDiv)')
    expect(html).toContain('svg.railroad-diagram path')
  })
})

describe('every parser rule is published', () => {
  it('the parser has the rules of the body language', () => {
    expect(rules).toContain('body')
    expect(rules).toContain('statement')
    expect(rules).toContain('clusterStatement')
  })

  it('in the EBNF, as a production', () => {
    for (const rule of rules) expect(fresh.ebnf).toMatch(new RegExp(`^${rule} +::= `, 'm'))
  })

  it('in the HTML, as a rule of the serialized grammar', () => {
    const json = /window\.serializedGrammar = ([\s\S]*?);\n<\/script>/.exec(fresh.html)?.[1]
    expect(json, 'serialized grammar not found in the HTML').toBeDefined()
    const serialized = JSON.parse(json!) as { type: string; name: string }[]
    expect(serialized.filter((r) => r.type === 'Rule').map((r) => r.name)).toEqual(rules)
  })
})

describe('every token is published', () => {
  it('in the EBNF, as a lexical production', () => {
    for (const token of ALL_TOKENS) expect(fresh.ebnf).toMatch(new RegExp(`^${token.name} +::= `, 'm'))
  })

  it('custom matchers equal the regular expressions shown for them', () => {
    const samples = [
      '',
      'x',
      '\n',
      '$$',
      '$$ a $ b $$ c $$',
      '$a$ x $A$ y $a$z',
      '$a$ unterminated $b$',
      '$1$ no tag',
      '$ab',
      '$_x9$$_x9$',
      '$é$ ü $é$',
      '$$$$',
      '$a$$a$',
      '\\`\f\v',
    ]
    const names = Object.keys(CUSTOM_PATTERN_EQUIVALENTS)
    expect(names.length).toBeGreaterThan(0)
    for (const name of names) {
      const token = ALL_TOKENS.find((t) => t.name === name)
      expect(token, `no token ${name}`).toBeDefined()
      const matcher = (token!.PATTERN as { exec: CustomPatternMatcherFunc }).exec
      const re = CUSTOM_PATTERN_EQUIVALENTS[name]!
      const sticky = new RegExp(re.source, `${re.flags}y`)
      for (const text of samples) {
        for (let offset = 0; offset <= text.length; offset++) {
          sticky.lastIndex = offset
          const expected = sticky.exec(text)?.[0] ?? null
          const actual = matcher(text, offset, [], {})?.[0] ?? null
          expect(actual, `${name} on ${JSON.stringify(text)} at ${offset}`).toBe(expected)
        }
      }
    }
  })
})
