/** Statement splitting as psql does it. */
import { describe, expect, it } from 'vitest'
import { type ScriptChunk, splitScript } from '../../../src/parser/index.js'

const texts = (sql: string, vars?: Map<string, string>) =>
  splitScript(sql, vars).map((c: ScriptChunk) =>
    c.kind === 'sql' ? c.text : `\\${c.command} ${c.args.join(' ')}`,
  )

describe('splitScript', () => {
  it('splits at semicolons outside quotes, comments, dollar quotes and parentheses', () => {
    expect(
      texts(`select ';' ; select "a;b"; select $$;$$; select $x$ $$ ; $x$;
        -- a comment; with semicolons
        /* nested /* comment; */ still; */ select (1;2); select E'\\';'`),
    ).toEqual([
      "select ';' ",
      'select "a;b"',
      'select $$;$$',
      'select $x$ $$ ; $x$',
      'select (1;2)',
      "select E'\\';'",
    ])
  })

  it('does not take $ inside identifiers or $n parameters for dollar quotes', () => {
    expect(texts('select a$b$c; select $1; select 2;')).toEqual(['select a$b$c', 'select $1', 'select 2'])
  })

  it('keeps psql meta-commands as separate items', () => {
    expect(texts('\\c proxy postgres\nselect 1;\n\\set ECHO none\n\\i other.sql\n')).toEqual([
      '\\c proxy postgres',
      'select 1',
      '\\set ECHO none',
      '\\i other.sql',
    ])
  })

  it('skips the data after COPY … FROM stdin up to \\.', () => {
    expect(texts('copy t from stdin;\n1\tx;y\n\\.\nselect 2;')).toEqual(['copy t from stdin', 'select 2'])
  })

  it('substitutes psql variables outside quotes and maps offsets back', () => {
    const sql = "\\set conn 'host=x'\nselect :'conn', :conn, ':conn', a::text;"
    const chunks = splitScript(sql)
    const stmt = chunks[1]
    expect(stmt?.kind === 'sql' && stmt.text).toBe("select 'host=x', host=x, ':conn', a::text")
  })

  it('leaves undefined variables alone', () => {
    expect(texts('select :nosuch;')).toEqual(['select :nosuch'])
  })

  it('a statement without a final semicolon still counts', () => {
    expect(texts('select 1; select 2')).toEqual(['select 1', 'select 2'])
  })
})
