/**
 * The two-mode lexer of the PL/Proxy body language (spec §1).
 *
 * Lines are counted on LF only, as flex does; every other character is part
 * of a token (stray characters become tokens the parser rejects), so the
 * lexer itself never fails.
 */
import type { ILexingResult, IToken } from 'chevrotain'
import { createTokenInstance, Lexer } from './chevrotain.js'
import { SQL_MODE_TOKENS, STATEMENT_MODE_TOKENS, StrayCharacter } from './tokens.js'

export const bodyLexer = new Lexer(
  {
    modes: {
      statement: STATEMENT_MODE_TOKENS,
      sql: SQL_MODE_TOKENS,
    },
    defaultMode: 'statement',
  },
  {
    positionTracking: 'full',
    lineTerminatorsPattern: /\n/g,
    lineTerminatorCharacters: ['\n'],
    ensureOptimizations: true,
    skipValidations: true,
  },
)

/**
 * Tokens of a body. Characters neither mode has a rule for become
 * StrayCharacter tokens in place (one per character), so the lexer never
 * fails and the parser rejects them where flex's parser would.
 */
export function lexBody(body: string): ILexingResult {
  const result = bodyLexer.tokenize(body)
  if (result.errors.length === 0) return result
  const strays: IToken[] = []
  for (const e of result.errors) {
    for (let k = 0; k < e.length; k++) {
      const offset = e.offset + k
      const line = e.line ?? 1
      const column = (e.column ?? 1) + k
      strays.push(
        createTokenInstance(StrayCharacter, body[offset]!, offset, offset, line, line, column, column),
      )
    }
  }
  const tokens = [...result.tokens, ...strays].sort((a, b) => a.startOffset - b.startOffset)
  return { ...result, tokens, errors: [] }
}
