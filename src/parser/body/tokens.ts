/**
 * Tokens of the PL/Proxy body language, in the two lexer modes of
 * PL/Proxy's flex scanner (src/scanner.l): statement mode and SQL mode.
 *
 * Flex picks the longest match and, on a tie, the earlier rule; Chevrotain
 * picks the first pattern that matches. The order of the mode lists in
 * lexer.ts and the `longer_alt` links below reproduce flex's choice for
 * every input (see the comments there).
 *
 * Character classes (spec §1.1): whitespace is exactly space, TAB, LF, CR;
 * identifier characters are [A-Za-z0-9_] and every non-ASCII character.
 */
import type { TokenType } from 'chevrotain'
import { createToken, Lexer } from './chevrotain.js'

const WORD = '[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_\\u0080-\\uffff]*'
const SPACE = '[ \\t\\n\\r]'
/** IDENT: a word followed by dotted words; the whitespace around dots is part of the token */
export const IDENT_SOURCE = `${WORD}(?:${SPACE}*\\.${SPACE}*${WORD})*`

// ---- categories shared by both modes (what the grammar consumes) ----

/** `;`, ending a statement in either mode */
export const Semicolon = createToken({ name: 'Semicolon', pattern: Lexer.NA, label: "';'" })
/** IDENT or $n in statement mode */
export const Identifier = createToken({ name: 'Identifier', pattern: Lexer.NA, label: 'identifier' })
/** `SELECT` keyword, both the plain and the `SELECT (` form */
export const Select = createToken({ name: 'Select', pattern: Lexer.NA, label: 'SELECT' })
/** SQL text copied verbatim into a generated query */
export const SqlPart = createToken({ name: 'SqlPart', pattern: Lexer.NA, label: 'SQL text' })
/** SQL identifier, a candidate argument reference */
export const SqlIdent = createToken({ name: 'SqlIdent', pattern: Lexer.NA, label: 'SQL identifier' })

// ---- statement mode ----

export const Whitespace = createToken({
  name: 'Whitespace',
  pattern: /[ \t\n\r]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
})
export const LineComment = createToken({ name: 'LineComment', pattern: /--[^\n]*/, group: Lexer.SKIPPED })
/** Not nested; an unterminated comment silently runs to the end of the body. */
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*(?:[^*]|\*(?!\/))*(?:\*\/)?/,
  group: Lexer.SKIPPED,
  line_breaks: true,
})

export const Ident = createToken({
  name: 'Ident',
  pattern: new RegExp(IDENT_SOURCE),
  categories: [Identifier],
  line_breaks: true,
  label: 'identifier',
})
/** `$n` is an IDENT in statement mode, accepted wherever an IDENT is */
export const ArgNumber = createToken({
  name: 'ArgNumber',
  pattern: /\$[0-9]+/,
  categories: [Identifier],
  label: '$n',
})

/** IDENT SPACE* `(`: a function call; switches to SQL mode. Beats keywords by length (`on(`). */
export const FunctionCallStart = createToken({
  name: 'FunctionCallStart',
  pattern: new RegExp(`${IDENT_SOURCE}${SPACE}*\\(`),
  push_mode: 'sql',
  line_breaks: true,
  label: 'function call',
})
/** `SELECT (`: only the keyword is consumed, so `select (0*0)` is no call of `select` */
export const SelectBeforeParen = createToken({
  name: 'SelectBeforeParen',
  pattern: new RegExp(`[Ss][Ee][Ll][Ee][Cc][Tt](?=${SPACE}*\\()`),
  categories: [Select],
  push_mode: 'sql',
  label: 'SELECT',
})

function keyword(name: string, extra: Partial<Parameters<typeof createToken>[0]> = {}): TokenType {
  const pattern = new RegExp(
    name
      .split('')
      .map((c) => `[${c.toUpperCase()}${c.toLowerCase()}]`)
      .join(''),
  )
  return createToken({
    name: `${name[0]}${name.slice(1).toLowerCase()}`,
    pattern,
    longer_alt: Ident,
    label: name,
    ...extra,
  })
}

export const Cluster = keyword('CLUSTER')
export const Connect = keyword('CONNECT')
export const Run = keyword('RUN')
export const On = keyword('ON')
export const All = keyword('ALL')
export const Any = keyword('ANY')
export const Split = keyword('SPLIT')
export const Target = keyword('TARGET')
export const SelectKeyword = createToken({
  name: 'SelectKeyword',
  pattern: /[Ss][Ee][Ll][Ee][Cc][Tt]/,
  longer_alt: Ident,
  categories: [Select],
  push_mode: 'sql',
  label: 'SELECT',
})

export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /[0-9]+/, label: 'number' })
/** `'...'` with `''` as the only escape; may span lines */
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /'(?:[^']|'')*'/,
  line_breaks: true,
  label: 'string',
})
export const StatementSemicolon = createToken({
  name: 'StatementSemicolon',
  pattern: /;/,
  categories: [Semicolon],
  label: "';'",
})
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" })
/**
 * Any other character, in either mode: handed to the parser, which rejects
 * it (flex's `.` rule). The lexer itself has no pattern for it (a
 * match-anything pattern would switch off Chevrotain's first-character
 * optimisation); lexBody turns each character the modes cannot match into
 * one of these tokens, in place.
 */
export const StrayCharacter = createToken({ name: 'StrayCharacter', pattern: Lexer.NA, label: 'character' })

// ---- SQL mode (after SELECT or a function call, up to `;`) ----

export const SqlLineComment = createToken({
  name: 'SqlLineComment',
  pattern: /--[^\n]*/,
  group: Lexer.SKIPPED,
})
/** A block comment becomes one space; not nested */
export const SqlBlockComment = createToken({
  name: 'SqlBlockComment',
  pattern: /\/\*(?:[^*]|\*(?!\/))*\*\//,
  categories: [SqlPart],
  line_breaks: true,
  label: 'comment',
})
/** An unterminated block comment swallows the rest of the body (then `;` is missing) */
export const SqlUnterminatedComment = createToken({
  name: 'SqlUnterminatedComment',
  pattern: /\/\*[\s\S]*/,
  group: Lexer.SKIPPED,
  line_breaks: true,
})

/** `$tag$ ... $tag$`, verbatim; the first exact (case-sensitive) closing tag ends it */
export const DollarQuoted = createToken({
  name: 'DollarQuoted',
  pattern: {
    exec(text: string, offset: number): RegExpExecArray | null {
      DOLLAR_TAG.lastIndex = offset
      const open = DOLLAR_TAG.exec(text)
      if (!open) return null
      const tag = open[0]
      const close = text.indexOf(tag, offset + tag.length)
      const end = close < 0 ? text.length : close + tag.length
      return [text.slice(offset, end)] as unknown as RegExpExecArray
    },
  },
  start_chars_hint: ['$'],
  categories: [SqlPart],
  line_breaks: true,
  label: 'dollar-quoted string',
})
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y

/** `"..."`, `""` escapes a quote; never an argument reference */
export const QuotedIdentifier = createToken({
  name: 'QuotedIdentifier',
  pattern: /"(?:[^"]|"")*"?/,
  categories: [SqlPart],
  line_breaks: true,
  label: 'quoted identifier',
})
/** `E'...'`: `''` and backslash-anything are escapes. Listed before SqlWord so `E'` beats the IDENT `E`. */
export const EscapeString = createToken({
  name: 'EscapeString',
  pattern: /[Ee]'(?:[^'\\]|''|\\[^\n]|\\)*'?/,
  categories: [SqlPart],
  line_breaks: true,
  label: 'string',
})
/** `'...'` with standard_conforming_strings on: `''` is the only escape */
export const StandardString = createToken({
  name: 'StandardString',
  pattern: /'(?:[^']|'')*'?/,
  categories: [SqlPart],
  line_breaks: true,
  label: 'string',
})
/** Any run of whitespace is compressed to one space */
export const SqlWhitespace = createToken({
  name: 'SqlWhitespace',
  pattern: /[ \t\n\r]+/,
  categories: [SqlPart],
  line_breaks: true,
  label: 'whitespace',
})
export const SqlNumber = createToken({
  name: 'SqlNumber',
  pattern: /[0-9][.0-9]*/,
  categories: [SqlPart],
  label: 'number',
})
export const SqlWord = createToken({
  name: 'SqlWord',
  pattern: new RegExp(IDENT_SOURCE),
  categories: [SqlIdent],
  line_breaks: true,
  label: 'SQL identifier',
})
export const SqlArgNumber = createToken({
  name: 'SqlArgNumber',
  pattern: /\$[0-9]+/,
  categories: [SqlIdent],
  label: '$n',
})
/** One symbol character per token (so `::` is two tokens; they are concatenated anyway) */
export const SqlSymbol = createToken({
  name: 'SqlSymbol',
  pattern: /[-!#%&()*+,/:<=>?@[\]^{|}~.]/,
  categories: [SqlPart],
  label: 'symbol',
})
export const SqlSemicolon = createToken({
  name: 'SqlSemicolon',
  pattern: /;/,
  categories: [Semicolon],
  pop_mode: true,
  label: "';'",
})
/** Statement mode, in matching order. */
export const STATEMENT_MODE_TOKENS: TokenType[] = [
  Whitespace,
  LineComment,
  BlockComment,
  SelectBeforeParen,
  FunctionCallStart,
  Cluster,
  Connect,
  Run,
  On,
  All,
  Any,
  Split,
  Target,
  SelectKeyword,
  ArgNumber,
  Ident,
  NumberLiteral,
  StringLiteral,
  StatementSemicolon,
  Comma,
]

/** SQL mode, in matching order. */
export const SQL_MODE_TOKENS: TokenType[] = [
  SqlLineComment,
  SqlBlockComment,
  SqlUnterminatedComment,
  DollarQuoted,
  SqlArgNumber,
  EscapeString,
  StandardString,
  QuotedIdentifier,
  SqlWhitespace,
  SqlNumber,
  SqlWord,
  SqlSymbol,
  SqlSemicolon,
]

/** Every token type, categories included (for the parser's vocabulary). */
export const ALL_TOKENS: TokenType[] = [
  Semicolon,
  Identifier,
  Select,
  SqlPart,
  SqlIdent,
  StrayCharacter,
  ...STATEMENT_MODE_TOKENS,
  ...SQL_MODE_TOKENS,
]
