import { describe, expect, it } from 'vitest'
import { lexBody } from '../../../src/parser/index.js'

const kinds = (body: string) => lexBody(body).tokens.map((t) => `${t.tokenType.name}:${t.image}`)

describe('statement mode', () => {
  it('reads keywords case-insensitively', () => {
    expect(kinds('cLuStEr CONNECT run On aLL any Split TARGET')).toEqual([
      'Cluster:cLuStEr',
      'Connect:CONNECT',
      'Run:run',
      'On:On',
      'All:aLL',
      'Any:any',
      'Split:Split',
      'Target:TARGET',
    ])
  })

  it('prefers a longer identifier over a keyword (longest match)', () => {
    expect(kinds('selectx run_on cluster.name clusters')).toEqual([
      'Ident:selectx',
      'Ident:run_on',
      'Ident:cluster.name',
      'Ident:clusters',
    ])
  })

  it('keeps a dotted name with whitespace around dots as one identifier', () => {
    expect(kinds('target a . b\n.c;')).toEqual(['Target:target', 'Ident:a . b\n.c', 'StatementSemicolon:;'])
  })

  it('treats every non-ASCII character as an identifier character', () => {
    expect(kinds('target ülke_名前;')).toEqual(['Target:target', 'Ident:ülke_名前', 'StatementSemicolon:;'])
  })

  it('reads IDENT ( as a function call that beats keywords, switching to SQL mode', () => {
    expect(kinds('run on(x);')).toEqual([
      'Run:run',
      'FunctionCallStart:on(',
      'SqlWord:x',
      'SqlSymbol:)',
      'SqlSemicolon:;',
    ])
    expect(kinds('cluster pick \n (x);')[1]).toBe('FunctionCallStart:pick \n (')
  })

  it('does not read `select (` as a call of select', () => {
    expect(kinds('select (0*0);')).toEqual([
      'SelectBeforeParen:select',
      'SqlWhitespace: ',
      'SqlSymbol:(',
      'SqlNumber:0',
      'SqlSymbol:*',
      'SqlNumber:0',
      'SqlSymbol:)',
      'SqlSemicolon:;',
    ])
  })

  it('reads $n as an identifier and digits as a number', () => {
    expect(kinds('run on $12; run on 007;')).toEqual([
      'Run:run',
      'On:on',
      'ArgNumber:$12',
      'StatementSemicolon:;',
      'Run:run',
      'On:on',
      'NumberLiteral:007',
      'StatementSemicolon:;',
    ])
  })

  it("reads strings with '' escapes across lines", () => {
    expect(kinds("cluster 'a''b\nc';")).toEqual([
      'Cluster:cluster',
      "StringLiteral:'a''b\nc'",
      'StatementSemicolon:;',
    ])
  })

  it('skips comments; block comments do not nest and may run to the end', () => {
    expect(kinds("-- x ; y\ncluster /* a /* b */ 'c';")).toEqual([
      'Cluster:cluster',
      "StringLiteral:'c'",
      'StatementSemicolon:;',
    ])
    expect(kinds("cluster 'c'; /* never closed ; run on all;")).toEqual([
      'Cluster:cluster',
      "StringLiteral:'c'",
      'StatementSemicolon:;',
    ])
  })

  it('hands every other character to the parser as a stray token', () => {
    expect(kinds('"\f-(')).toEqual([
      'StrayCharacter:"',
      'StrayCharacter:\f',
      'StrayCharacter:-',
      'StrayCharacter:(',
    ])
    expect(kinds("cluster 'open")).toEqual(['Cluster:cluster', "StrayCharacter:'", 'Ident:open'])
  })
})

describe('SQL mode', () => {
  const sql = (text: string) => kinds(`select ${text}`).slice(2)

  it('compresses whitespace to one token and turns block comments into one', () => {
    expect(sql('a \t\n b /* c */ d;')).toEqual([
      'SqlWord:a',
      'SqlWhitespace: \t\n ',
      'SqlWord:b',
      'SqlWhitespace: ',
      'SqlBlockComment:/* c */',
      'SqlWhitespace: ',
      'SqlWord:d',
      'SqlSemicolon:;',
    ])
  })

  it('drops line comments', () => {
    expect(sql('a -- b ;\n;')).toEqual(['SqlWord:a', 'SqlWhitespace: ', 'SqlWhitespace:\n', 'SqlSemicolon:;'])
  })

  it('copies dollar quotes verbatim up to the exact closing tag', () => {
    expect(sql('$tmp$ ; $x$ $TMP$ $tmp$;')).toEqual([
      'DollarQuoted:$tmp$ ; $x$ $TMP$ $tmp$',
      'SqlSemicolon:;',
    ])
    expect(sql('$$a$$;')).toEqual(['DollarQuoted:$$a$$', 'SqlSemicolon:;'])
  })

  it('reads quoted identifiers with "" and never as identifiers', () => {
    expect(sql('"a"";b";')).toEqual(['QuotedIdentifier:"a"";b"', 'SqlSemicolon:;'])
  })

  it("reads E'' strings with backslash escapes and standard strings with ''", () => {
    expect(sql("E'a\\';b' 'c'';d';")).toEqual([
      "EscapeString:E'a\\';b'",
      'SqlWhitespace: ',
      "StandardString:'c'';d'",
      'SqlSemicolon:;',
    ])
  })

  it('reads numbers with dots but no exponent, one symbol per token', () => {
    expect(sql('1..2 1e5 ::;')).toEqual([
      'SqlNumber:1..2',
      'SqlWhitespace: ',
      'SqlNumber:1',
      'SqlWord:e5',
      'SqlWhitespace: ',
      'SqlSymbol::',
      'SqlSymbol::',
      'SqlSemicolon:;',
    ])
  })

  it('treats $n as an identifier, a lone $ and backslash as stray', () => {
    expect(sql('$1 $ \\ `;')).toEqual([
      'SqlArgNumber:$1',
      'SqlWhitespace: ',
      'StrayCharacter:$',
      'SqlWhitespace: ',
      'StrayCharacter:\\',
      'SqlWhitespace: ',
      'StrayCharacter:`',
      'SqlSemicolon:;',
    ])
  })

  it("reads B'', X'', N'' as an identifier followed by a string", () => {
    expect(sql("B'01';")).toEqual(['SqlWord:B', "StandardString:'01'", 'SqlSemicolon:;'])
  })

  it('returns to statement mode after ;', () => {
    expect(kinds('select 1; run on all;').slice(-4)).toEqual([
      'Run:run',
      'On:on',
      'All:all',
      'StatementSemicolon:;',
    ])
  })

  it('counts lines on LF only', () => {
    const tokens = lexBody("cluster\r\n\r'c'\n;").tokens
    expect(tokens.map((t) => t.startLine)).toEqual([1, 2, 3])
  })
})
