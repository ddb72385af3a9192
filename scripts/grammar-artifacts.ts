/**
 * The published grammar of the PL/Proxy body language (DESIGN.md, decision 2):
 * `grammar/plproxy-body.ebnf` and `grammar/diagrams.html`, both derived from
 * the Chevrotain parser and token definitions, so they cannot drift from them.
 *
 * `generateGrammarArtifacts()` is deterministic (no timestamps, no network):
 * scripts/generate-grammar.ts writes its result to grammar/, and
 * test/grammar/grammar-fresh.test.ts fails when the committed files differ.
 *
 * What is generated and what is written here by hand:
 * - the syntactic productions: generated from the parser's GAST;
 * - the lexical productions: generated from the token types (pattern source,
 *   label, mode, mode switches, categories, longer_alt, group) plus the doc
 *   comments of src/parser/body/tokens.ts; only the tokens with a custom
 *   matcher (a function, no regular expression) get a hand-written equivalent
 *   regular expression below;
 * - the notation and the flex conventions: hand-written comment text below.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Alternation as AlternationNode, IProduction, Rule, TokenType } from 'chevrotain'
// the same Chevrotain instance the parser was built with (instanceof checks below)
import { chevrotain } from '../src/parser/body/chevrotain.js'
import { bodyParser } from '../src/parser/body/parser.js'

const {
  Alternation,
  Alternative,
  createSyntaxDiagramsCode,
  Lexer,
  NonTerminal,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
  Terminal,
  VERSION,
} = chevrotain

import { ALL_TOKENS, SQL_MODE_TOKENS, STATEMENT_MODE_TOKENS } from '../src/parser/body/tokens.js'

export interface GrammarArtifacts {
  /** grammar/plproxy-body.ebnf */
  ebnf: string
  /** grammar/diagrams.html */
  html: string
}

export const EBNF_PATH = 'grammar/plproxy-body.ebnf'
export const HTML_PATH = 'grammar/diagrams.html'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const TOKENS_SOURCE = 'src/parser/body/tokens.ts'

export function generateGrammarArtifacts(): GrammarArtifacts {
  const rules = Object.values(bodyParser.getGAstProductions())
  const tokens = describeTokens()
  return { ebnf: renderEbnf(rules, tokens), html: renderHtml(tokens) }
}

/** Names of the parser's rules, in definition order. */
export function parserRuleNames(): string[] {
  return Object.keys(bodyParser.getGAstProductions())
}

// ---------------------------------------------------------------------------
// Token model (shared by the EBNF and the HTML)
// ---------------------------------------------------------------------------

type Mode = 'statement' | 'sql'

interface TokenInfo {
  name: string
  label: string | undefined
  /** undefined for a category (no pattern of its own) */
  mode: Mode | undefined
  /** JavaScript regular expression literal (undefined for a category) */
  regex: string | undefined
  /** the pattern is a function; `regex` is an equivalent expression */
  custom: boolean
  skipped: boolean
  categories: string[]
  /** category members, in matching order */
  members: string[]
  pushMode: string | undefined
  popMode: boolean
  longerAlt: string[]
  doc: string | undefined
}

/**
 * Tokens whose pattern is a function, not a regular expression, and an
 * equivalent regular expression for each (hand-written; the grammar test
 * checks the equivalence on sample inputs). The generator fails when a token
 * with a custom matcher has no entry here.
 */
export const CUSTOM_PATTERN_EQUIVALENTS: Record<string, RegExp> = {
  // The opening tag, then any text up to and including the first occurrence of the very same tag, or to
  // the end of the body.
  DollarQuoted: /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$[\s\S]*?(?:\$\1\$|$)/,
}

function describeTokens(): TokenInfo[] {
  const docs = tokenDocs()
  const modeOf = new Map<TokenType, Mode>()
  for (const t of STATEMENT_MODE_TOKENS) modeOf.set(t, 'statement')
  for (const t of SQL_MODE_TOKENS) modeOf.set(t, 'sql')
  const inMatchingOrder = [...STATEMENT_MODE_TOKENS, ...SQL_MODE_TOKENS]

  return ALL_TOKENS.map((t): TokenInfo => {
    const pattern = t.PATTERN
    const isCategory = pattern === Lexer.NA
    let regex: string | undefined
    let custom = false
    if (!isCategory) {
      let re = pattern instanceof RegExp ? pattern : undefined
      if (re === undefined) {
        custom = true
        re = CUSTOM_PATTERN_EQUIVALENTS[t.name]
        if (re === undefined) {
          throw new Error(`token ${t.name} has a custom pattern: add it to CUSTOM_PATTERN_EQUIVALENTS`)
        }
      }
      regex = `/${re.source}/${re.flags}`
      if (regex.slice(1).includes('/*')) throw new Error(`pattern of ${t.name} would open an EBNF comment`)
    }
    const longer =
      t.LONGER_ALT === undefined ? [] : Array.isArray(t.LONGER_ALT) ? t.LONGER_ALT : [t.LONGER_ALT]
    return {
      name: t.name,
      label: t.LABEL,
      mode: modeOf.get(t),
      regex,
      custom,
      skipped: t.GROUP === Lexer.SKIPPED,
      categories: (t.CATEGORIES ?? []).map((c) => c.name),
      members: isCategory
        ? inMatchingOrder.filter((m) => (m.CATEGORIES ?? []).includes(t)).map((m) => m.name)
        : [],
      pushMode: t.PUSH_MODE,
      popMode: t.POP_MODE === true,
      longerAlt: longer.map((l) => l.name),
      doc: docs.get(t.name),
    }
  })
}

/** The doc comments (`/** ... *\/ export const Name`) of tokens.ts, as one line each. */
function tokenDocs(): Map<string, string> {
  const source = readFileSync(join(REPO_ROOT, TOKENS_SOURCE), 'utf8')
  const docs = new Map<string, string>()
  for (const m of source.matchAll(/\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*export const (\w+)\b/g)) {
    const text = m[1]!
      .split('\n')
      .map((line) => line.replace(/^\s*\*?\s?/, '').trim())
      .filter((line) => line !== '')
      .join(' ')
    docs.set(m[2]!, text)
  }
  return docs
}

/** Mode switches, group, categories and longer_alt of a token, as short phrases. */
function tokenTraits(t: TokenInfo, withLabel = true): string[] {
  const traits: string[] = []
  if (withLabel && t.label !== undefined && t.label !== t.name) traits.push(`label ${t.label}`)
  if (t.skipped) traits.push('skipped')
  if (t.custom) traits.push('custom matcher, equivalent to this expression')
  if (t.categories.length > 0) traits.push(`category ${t.categories.join(', ')}`)
  if (t.longerAlt.length > 0) traits.push(`yields to a longer ${t.longerAlt.join(' or ')}`)
  if (t.pushMode !== undefined) traits.push(`pushes mode ${t.pushMode}`)
  if (t.popMode) traits.push('pops mode (back to statement mode)')
  return traits
}

// ---------------------------------------------------------------------------
// EBNF
// ---------------------------------------------------------------------------

const HEADER = `
plproxy-body.ebnf: the grammar of the PL/Proxy function-body language, the
text between the $$ quotes of CREATE FUNCTION ... LANGUAGE plproxy.

GENERATED FILE, do not edit: run \`npm run grammar\` (scripts/generate-grammar.ts).
The syntactic productions are generated from the GAST of the Chevrotain parser
(src/parser/body/parser.ts), the lexical ones from the token definitions
(src/parser/body/tokens.ts, whose doc comments become the notes); only the
notation, the conventions and the regular expressions equivalent to the
custom matchers (DollarQuoted, the stray characters) are hand-written
(scripts/grammar-artifacts.ts).
test/grammar/grammar-fresh.test.ts fails when this file is stale.
The same grammar as railroad diagrams: diagrams.html.

Notation: W3C-style EBNF, as in the XML 1.0 specification (section 6).
  name ::= expression    a production
  A B                    A followed by B
  A | B                  A or B
  A? A* A+               A optional, zero or more times, one or more times
  ( ... )                grouping
  [abc] [a-z] [^abc]     character classes; #xN is the character U+N
  'text'                 literal text
  (comments)             between slash-star and star-slash
Parser rules are lowerCamelCase (the rule names of the parser: body,
statement, clusterStatement, ...); tokens are UpperCamelCase (the token names
of tokens.ts). One extension: the right-hand side of a lexical production is
the token's JavaScript regular expression, /source/, as the lexer matches it
at the current position.
`

const CONVENTIONS = `
How the lexer picks tokens (the conventions of PL/Proxy's flex scanner):

- Longest match. Flex takes the longest match and, on equal length, the
  earlier rule. Chevrotain takes the first pattern of the mode's list that
  matches; the order of the lists below and the longer_alt links ("yields to
  a longer Ident") give the same choice for every input:
  * a keyword yields to Ident when Ident matches more, so selectx, run_on
    and cluster.name are identifiers;
  * FunctionCallStart (IDENT SPACE* '(') is tried before the keywords, so
    on( and any( are function calls and RUN ON(x); is a syntax error;
  * SelectBeforeParen consumes only the six letters of SELECT followed by
    '(', so select (0*0) is no call of a function named select.
- Keywords are case-insensitive (classes such as [Cc][Ll]...); nothing else
  is. Keywords exist in statement mode only: in SQL mode every word is a
  SqlWord, a candidate argument reference.
- Whitespace is exactly space, TAB, LF and CR (FF and VT are stray
  characters); identifier characters are [A-Za-z0-9_] and every non-ASCII
  character. A name may be dotted, and the whitespace around the dots
  belongs to the token: a . b is one Ident.
- Two modes. Statement mode (the default) skips whitespace and comments.
  SELECT and a function call (FunctionCallStart) enter SQL mode; its ';'
  returns to statement mode. There is no parenthesis tracking: the first ';'
  outside quotes and comments ends the SQL text.
- Whitespace compression in SQL mode: the SQL text is copied into the
  generated query token by token, and every run of whitespace (SqlWhitespace)
  becomes exactly one space, a block comment one space, a line comment
  nothing. Whitespace inside strings, quoted identifiers, dollar quotes and
  the function-call token itself is kept.
- Stray characters (StrayCharacter) are the characters neither mode has a
  rule for; the lexer hands each one to the parser as a token it never
  accepts: PL/Proxy's "syntax error". Lines are counted on LF.
`

const SYNTAX_NOTES = `
Not expressed by the grammar (checked by the compiler, as PL/Proxy does):
statements may come in any order, but each kind at most once; CONNECT
excludes CLUSTER and RUN; CLUSTER or CONNECT is required; TARGET excludes
SELECT.
`

const WIDTH = 100

function comment(text: string, indent = ''): string {
  if (text.includes('*/')) throw new Error(`comment text contains the comment terminator: ${text}`)
  const lines = text.replace(/^\n+|\n+$/g, '').split('\n')
  if (lines.length === 1) return `${indent}/* ${lines[0]} */`
  return [`${indent}/*`, ...lines.map((l) => `${indent} *${l === '' ? '' : ` ${l}`}`), `${indent} */`].join(
    '\n',
  )
}

function banner(title: string): string {
  const rule = '-'.repeat(WIDTH - 6)
  return comment(`${rule}\n${title}\n${rule}`)
}

/** Greedy word wrap. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(line)
  return lines
}

/** One production: `name ::= rhs`, continuation lines aligned under `::=`. */
function production(name: string, pad: number, rhs: string[]): string {
  const head = `${name.padEnd(pad)} ::= `
  const cont = `${' '.repeat(pad)}   | `
  return rhs.map((alt, i) => (i === 0 ? head : cont) + alt).join('\n')
}

/** A GAST production as a W3C EBNF expression. */
function expr(prods: IProduction[]): string {
  if (prods.length === 0) return '/* empty */'
  return prods.map((p) => item(p)).join(' ')
}

/** The operand of `?`, `*`, `+`: parenthesized unless it is one terminal, non-terminal or alternation. */
function group(prods: IProduction[]): string {
  const only = prods.length === 1 ? prods[0] : undefined
  if (only instanceof Terminal || only instanceof NonTerminal || only instanceof Alternation)
    return item(only)
  return `( ${expr(prods)} )`
}

function item(p: IProduction): string {
  if (p instanceof Terminal) return p.terminalType.name
  if (p instanceof NonTerminal) return p.nonTerminalName
  if (p instanceof Alternation) return `( ${alternatives(p).join(' | ')} )`
  if (p instanceof Option) return `${group(p.definition)}?`
  if (p instanceof Repetition) return `${group(p.definition)}*`
  if (p instanceof RepetitionMandatory) return `${group(p.definition)}+`
  if (p instanceof RepetitionMandatoryWithSeparator) {
    return `${expr(p.definition)} ( ${p.separator.name} ${expr(p.definition)} )*`
  }
  if (p instanceof RepetitionWithSeparator) {
    return `( ${expr(p.definition)} ( ${p.separator.name} ${expr(p.definition)} )* )?`
  }
  if (p instanceof Alternative) return expr(p.definition)
  throw new Error(`unknown GAST production ${p.constructor.name}`)
}

function alternatives(p: AlternationNode): string[] {
  return p.definition.map((alt) => (alt instanceof Alternative ? expr(alt.definition) : item(alt)))
}

function renderSyntax(rules: Rule[]): string[] {
  const pad = Math.max(...rules.map((r) => r.name.length))
  return rules.map((r) => {
    const only = r.definition.length === 1 ? r.definition[0] : undefined
    // A rule that is one alternation: one alternative per line.
    const rhs = only instanceof Alternation ? alternatives(only) : [expr(r.definition)]
    return production(r.name, pad, rhs)
  })
}

function renderLexical(tokens: TokenInfo[], pad: number): string[] {
  return tokens.map((t) => {
    const rhs = t.regex ?? t.members.join(' | ')
    const notes = [tokenTraits(t).join('; '), t.doc].filter((s) => s !== undefined && s !== '').join('. ')
    const lines = [production(t.name, pad, [rhs])]
    if (notes !== '') lines.push(comment(wrap(notes, WIDTH - 9).join('\n'), '    '))
    return lines.join('\n')
  })
}

function renderEbnf(rules: Rule[], tokens: TokenInfo[]): string {
  const pad = Math.max(...tokens.map((t) => t.name.length))
  const categories = tokens.filter((t) => t.mode === undefined)
  const statement = tokens.filter((t) => t.mode === 'statement')
  const sql = tokens.filter((t) => t.mode === 'sql')
  const sections = [
    comment(HEADER),
    banner('Syntax (generated from the parser GAST); body is the start rule'),
    renderSyntax(rules).join('\n\n'),
    comment(SYNTAX_NOTES),
    banner('Lexical grammar'),
    comment(CONVENTIONS),
    banner('Token categories: what the parser consumes where several tokens are alike'),
    renderLexical(categories, pad).join('\n\n'),
    banner('Statement mode (the default mode), in matching order'),
    renderLexical(statement, pad).join('\n\n'),
    banner('SQL mode (after SELECT or a function call, up to the ";"), in matching order'),
    renderLexical(sql, pad).join('\n\n'),
  ]
  return `${sections.join('\n\n')}\n`
}

// ---------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------

/** Placeholders handed to createSyntaxDiagramsCode instead of its unpkg URLs. */
const RESOURCE_BASE = '@@CHEVROTAIN_DIAGRAMS@@/'
const CSS_URL = '@@CHEVROTAIN_DIAGRAMS_CSS@@'

/** The scripts createSyntaxDiagramsCode loads, relative to chevrotain/diagrams/, in its order. */
const DIAGRAM_SCRIPTS = [
  'vendor/railroad-diagrams.js',
  'src/diagrams_builder.js',
  'src/diagrams_behavior.js',
  'src/main.js',
]

function chevrotainDiagramsDir(): string {
  const require = createRequire(import.meta.url)
  // .../node_modules/chevrotain/lib/src/api.js
  return join(dirname(require.resolve('chevrotain')), '..', '..', 'diagrams')
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** `text` with the markdown-ish `code` spans of the doc comments as <code>. */
function docHtml(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>')
}

function replaceOnce(html: string, search: string | RegExp, replacement: string): string {
  const count =
    typeof search === 'string'
      ? html.split(search).length - 1
      : [...html.matchAll(new RegExp(search, 'g'))].length
  if (count !== 1) {
    throw new Error(`createSyntaxDiagramsCode output changed: expected one ${String(search)}, found ${count}`)
  }
  return html.replace(search, () => replacement)
}

/** Contents of an inline <script>/<style>, checked not to end the element early. */
function inlineSafe(text: string, element: 'script' | 'style', origin: string): string {
  if (new RegExp(`</${element}|<!--`, 'i').test(text)) {
    throw new Error(`${origin} cannot be inlined into <${element}>`)
  }
  return text.replace(/\r\n/g, '\n').replace(/\n+$/, '')
}

const PAGE_STYLE = `
body { font-family: sans-serif; margin: 1.5em 2em; }
.intro, .lexical { max-width: 60em; margin: 0 auto 1.5em; line-height: 1.4; }
.lexical table { border-collapse: collapse; width: 100%; font-size: 13px; }
.lexical th, .lexical td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
.lexical th { background: hsl(30, 20%, 88%); }
.lexical td.pattern { font-family: monospace; word-break: break-all; }
`

function lexicalTable(title: string, tokens: TokenInfo[]): string {
  const rows = tokens.map((t) => {
    const pattern = t.regex ?? t.members.join(' | ')
    const notes = [escapeHtml(tokenTraits(t, false).join('; ')), t.doc === undefined ? '' : docHtml(t.doc)]
      .filter((s) => s !== '')
      .join('. ')
    return (
      `<tr><td><code>${escapeHtml(t.name)}</code></td><td>${escapeHtml(t.label ?? '')}</td>` +
      `<td class="pattern">${escapeHtml(pattern)}</td><td>${notes}</td></tr>`
    )
  })
  return [
    `<h3>${escapeHtml(title)}</h3>`,
    '<table>',
    '<tr><th>token</th><th>label</th><th>pattern</th><th>notes</th></tr>',
    ...rows,
    '</table>',
  ].join('\n')
}

/** CONVENTIONS as HTML: its first paragraph, then its `- ` items (with their `* ` sub-items) as lists. */
function conventionsHtml(): string {
  const flat = (text: string) =>
    docHtml(
      text
        .replace(/^\s*[-*] /, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
  const [intro = '', ...items] = CONVENTIONS.trim().split(/\n(?=- )/)
  const lis = items.map((item) => {
    const [main = '', ...subs] = item.split(/\n(?=\s+\* )/)
    const sub = subs.length === 0 ? '' : `<ul>${subs.map((s) => `<li>${flat(s)}</li>`).join('')}</ul>`
    return `<li>${flat(main)}${sub}</li>`
  })
  return `<p>${flat(intro)}</p>\n<ul>\n${lis.join('\n')}\n</ul>`
}

function renderHtml(tokens: TokenInfo[]): string {
  const dir = chevrotainDiagramsDir()
  // The template starts with a blank line and leaves trailing blanks: tidy it before inlining anything.
  let html = createSyntaxDiagramsCode(bodyParser.getSerializedGastProductions(), {
    resourceBase: RESOURCE_BASE,
    css: CSS_URL,
  })
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()

  const generatedNote =
    '<!-- Generated by scripts/generate-grammar.ts (npm run grammar) from src/parser/body/parser.ts; ' +
    'do not edit. Self-contained: the diagram scripts and styles of chevrotain ' +
    `${VERSION} (Apache-2.0; railroad-diagrams by Tab Atkins Jr., CC0) are inlined. -->`
  html = replaceOnce(
    html,
    /^<!-- This is a generated file -->\s*<!DOCTYPE html>\s*<meta charset="utf-8">\n/,
    `<!DOCTYPE html>\n${generatedNote}\n<html lang="en">\n<meta charset="utf-8">\n` +
      '<title>PL/Proxy body language: syntax diagrams</title>\n',
  )

  const css = inlineSafe(readFileSync(join(dir, 'diagrams.css'), 'utf8'), 'style', 'diagrams.css')
  html = replaceOnce(
    html,
    `<link rel='stylesheet' href='${CSS_URL}'>`,
    `<style>\n/* chevrotain ${VERSION} diagrams/diagrams.css */\n${css}\n</style>\n<style>${PAGE_STYLE}</style>`,
  )
  for (const script of DIAGRAM_SCRIPTS) {
    const code = inlineSafe(readFileSync(join(dir, script), 'utf8'), 'script', script)
    html = replaceOnce(
      html,
      `<script src='${RESOURCE_BASE}${script}'></script>`,
      `<script>\n/* chevrotain ${VERSION} diagrams/${script} */\n${code}\n</script>`,
    )
  }

  const intro = [
    '<div class="intro">',
    '<h1>PL/Proxy body language: syntax diagrams</h1>',
    '<p>The grammar of the body of a <code>LANGUAGE plproxy</code> function (the text between the',
    '<code>$$</code> quotes), drawn from the Chevrotain parser of plproxy-ts',
    '(<code>src/parser/body/parser.ts</code>) by <code>npm run grammar</code>. The same grammar in',
    'EBNF, with the full lexical grammar, is <code>plproxy-body.ebnf</code> next to this file.',
    'Rules are lowerCamelCase and <code>body</code> is the start rule; a rounded box is a token',
    '(its label; the tokens are summarised below the diagrams). Click a rule name inside a diagram to',
    'jump to its definition.</p>',
    '</div>',
  ].join('\n')
  const categories = tokens.filter((t) => t.mode === undefined)
  const lexical = [
    '<section class="lexical">',
    '<h2>Tokens</h2>',
    conventionsHtml(),
    lexicalTable('Token categories (what the parser consumes)', categories),
    lexicalTable(
      'Statement mode (the default), in matching order',
      tokens.filter((t) => t.mode === 'statement'),
    ),
    lexicalTable(
      'SQL mode (after SELECT or a function call, up to the ";"), in matching order',
      tokens.filter((t) => t.mode === 'sql'),
    ),
    '</section>',
  ].join('\n')
  html = replaceOnce(
    html,
    /<div id="diagrams" align="center"><\/div>\n/,
    `${intro}\n<div id="diagrams" align="center"></div>\n${lexical}\n`,
  )

  return `${html}\n</html>\n`
}
