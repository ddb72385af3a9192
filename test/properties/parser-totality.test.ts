/**
 * The lexer, parser, script reader and compiler are total: whatever the
 * text, they return an AST, a plan or diagnostics, and never throw.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { compileScriptsSync } from '../../src/compiler/index.js'
import { lexBody, loadPostgresParser, parseBody, readScriptSync } from '../../src/parser/index.js'
import { body, mutatedBody, sqlText } from './arbitraries.js'

beforeAll(() => loadPostgresParser())

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...';\'"$-/*()\n \\EeA1,:.`'.split('')), maxLength: 80 }),
)

const PLPROXY_MESSAGE =
  /^(PL\/Proxy function public\.f\(\d+\): (Compile error at line \d+: (syntax error|Only one \w+ statement allowed|invalid argument reference: .+|CONNECT cannot be used with CLUSTER\/RUN|CLUSTER statement missing|TARGET cannot be used with SELECT)|SPLIT parameter (specified more than once|is not an array): .+|SELECT statement not allowed for dynamic RECORD functions|RUN ON ALL requires set-returning function|expected text|Hash result must be int2, int4 or int8))$/s

function compile(b: string, signature = '(a int4, b text[], c text) returns setof int') {
  const tag = `$q${'x'.repeat(b.length % 3)}$`
  if (b.includes(tag)) return undefined
  return compileScriptsSync([
    { file: 'p.sql', text: `create function f${signature} as ${tag}${b}${tag} language plproxy;` },
  ])
}

describe('totality', () => {
  it('parseBody never throws and reports an error inside the body', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, body, mutatedBody), (text) => {
        const parsed = parseBody(text)
        if (parsed.syntaxError) {
          expect(parsed.syntaxError.offset).toBeGreaterThanOrEqual(0)
          expect(parsed.syntaxError.offset).toBeLessThanOrEqual(text.length)
          expect(parsed.syntaxError.reportLine).toBeLessThanOrEqual(parsed.lastLine)
        }
        // the lexer never drops a character
        expect(lexBody(text).errors).toEqual([])
      }),
      { numRuns: 2000 },
    )
  })

  it('compiling a function with any body gives a plan or exactly one PL/Proxy error', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, body, mutatedBody), (text) => {
        const r = compile(text)
        if (!r) return
        const fn = r.functions[0]
        if (!fn) {
          // the body broke the CREATE FUNCTION statement itself: PostgreSQL's syntax error
          expect(r.diagnostics.length).toBeGreaterThan(0)
          return
        }
        const errors = fn.diagnostics.filter((d) => d.severity === 'error')
        if (fn.plan) expect(errors).toEqual([])
        else {
          expect(errors).toHaveLength(1)
          expect(errors[0]!.message).toMatch(PLPROXY_MESSAGE)
        }
        for (const d of fn.diagnostics) expect(d.message).toMatch(PLPROXY_MESSAGE)
      }),
      { numRuns: 1500 },
    )
  })

  it('the script reader never throws on arbitrary files', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          body.map((b) => `create function f() returns int as $$${b}$$ language plproxy;`),
        ),
        (text) => {
          readScriptSync({ file: 'x.sql', text })
        },
      ),
      { numRuns: 1000 },
    )
  })
})

describe('round trip', () => {
  it('a generated remote query re-lexes to itself and compiles again to the same parameters', () => {
    fc.assert(
      fc.property(sqlText, (sql) => {
        const r = compile(
          `cluster 'c'; select ${sql};`,
          '(a int4, b text, username text, id int8) returns setof int',
        )
        const plan = r?.functions[0]?.plan
        if (plan?.remoteQuery.kind !== 'RemoteQuery') return
        const remote = plan.remoteQuery.sql
        // `select . x` re-lexes as the dotted identifier `select . x` (flex's longest match), not a SELECT
        if (/^select[ \t\r\n]*\./i.test(remote)) return
        const tokens = lexBody(`${remote};`).tokens
        // every character of the generated SQL is a valid SQL-mode token, and printing the tokens gives it back
        expect(tokens.filter((t) => t.tokenType.name.endsWith('StrayCharacter'))).toEqual([])
        expect(
          tokens
            .slice(0, -1)
            .map((t) => t.image)
            .join(''),
        ).toBe(remote)
        // compiled again for unnamed arguments of the referenced types, its $k keep their numbers
        const types = plan.remoteQuery.parameters.map(
          (i) => plan.function.arguments.filter((a) => a.inIndex !== undefined)[i]!.type.name,
        )
        const again = compile(`cluster 'c'; ${remote};`, `(${types.join(', ')}) returns setof int`)
          ?.functions[0]?.plan
        expect(again?.remoteQuery).toMatchObject({ kind: 'RemoteQuery', parameters: types.map((_, i) => i) })
      }),
      { numRuns: 1000 },
    )
  })

  it('default remote queries re-lex to themselves', () => {
    const r = compile(
      "cluster 'c';",
      '(a int4, "B c" text, d numeric(3,1)[], out x int, out "Y" text) returns setof record',
    )
    const q = r?.functions[0]?.plan?.remoteQuery
    if (q?.kind !== 'RemoteQuery') throw new Error('no query')
    const printed = lexBody(`${q.sql};`)
      .tokens.slice(0, -1)
      .map((t) => t.image)
      .join('')
    expect(printed).toBe(q.sql)
  })
})
