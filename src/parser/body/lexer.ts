/**
 * The two-mode lexer of the PL/Proxy body language (spec §1).
 *
 * Lines are counted on LF only, as flex does; every other character is part
 * of a token (stray characters become tokens the parser rejects), so the
 * lexer itself never fails.
 */
import { type ILexingResult, Lexer } from 'chevrotain'
import { SQL_MODE_TOKENS, STATEMENT_MODE_TOKENS } from './tokens.js'

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
    ensureOptimizations: false,
    skipValidations: true,
  },
)

export function lexBody(body: string): ILexingResult {
  return bodyLexer.tokenize(body)
}
