import { describe, expect, it } from 'vitest'
import { parseBody, type Statement } from '../../../src/parser/index.js'

function statements(body: string): Statement[] {
  const parsed = parseBody(body)
  expect(parsed.syntaxError).toBeUndefined()
  return [...parsed.ast.statements]
}

describe('the six statements', () => {
  it('CLUSTER with a name or a function call', () => {
    const [a, b] = statements("cluster 'it''s'; cluster pick(x) || '_ro';")
    expect(a).toMatchObject({
      kind: 'ClusterStatement',
      complete: true,
      target: { kind: 'String', value: "it's" },
    })
    expect(b).toMatchObject({
      kind: 'ClusterStatement',
      target: { kind: 'FunctionCall', head: 'pick(', name: 'pick' },
    })
    if (b?.kind !== 'ClusterStatement' || b.target?.kind !== 'FunctionCall') throw new Error('shape')
    expect(b.target.sql.map((t) => `${t.kind}:${t.text}`)).toEqual([
      'SqlIdent:x',
      'SqlText:)',
      'SqlText: ',
      'SqlText:|',
      'SqlText:|',
      'SqlText: ',
      "SqlText:'_ro'",
    ])
  })

  it('CONNECT with a string, an argument, $n or a function call', () => {
    const s = statements("connect 'dbname=x'; connect conn; connect $1; connect get_conn(a);")
    expect(s.map((x) => (x.kind === 'ConnectStatement' ? x.target?.kind : ''))).toEqual([
      'String',
      'Identifier',
      'Identifier',
      'FunctionCall',
    ])
  })

  it('RUN ON every form', () => {
    const s = statements('run on 3; run on any; run on all; run on x; run on $2; run on hashtext(x);')
    expect(s.map((x) => (x.kind === 'RunStatement' ? x.target?.kind : ''))).toEqual([
      'RunOnPartition',
      'RunOnAny',
      'RunOnAll',
      'Identifier',
      'Identifier',
      'FunctionCall',
    ])
  })

  it('SPLIT a list or ALL', () => {
    const [a, b] = statements('split a, $2,c; split all;')
    expect(a).toMatchObject({
      kind: 'SplitStatement',
      target: [{ text: 'a' }, { text: '$2' }, { text: 'c' }],
    })
    expect(b).toMatchObject({ kind: 'SplitStatement', target: { kind: 'SplitAll' } })
  })

  it('TARGET a (dotted) name', () => {
    expect(statements('target s . f;')[0]).toMatchObject({ kind: 'TargetStatement', name: { text: 's . f' } })
  })

  it('SELECT keeps the keyword as written and its SQL tokens', () => {
    const [s] = statements('SeLeCt a, $1 from t;')
    expect(s).toMatchObject({ kind: 'SelectStatement', keywordText: 'SeLeCt' })
  })

  it('an empty body is syntactically valid', () => {
    expect(statements('  -- nothing\n')).toEqual([])
  })
})

describe('syntax errors', () => {
  it('points at the first token the grammar cannot take, with the line PL/Proxy reports', () => {
    const p = parseBody("cluster 'a'\n\n 'b';")
    expect(p.syntaxError).toMatchObject({ found: "'b'", line: 3, column: 2, reportLine: 3 })
  })

  it('reports end of input at the last line', () => {
    const p = parseBody("cluster 'a';\nselect 1\n")
    expect(p.syntaxError).toMatchObject({ found: '', reportLine: 3 })
  })

  it('counts the LFs inside the offending token', () => {
    const p = parseBody("run on\n'multi\nline';")
    expect(p.syntaxError).toMatchObject({ line: 2, reportLine: 3 })
  })

  it('keeps the statements read before the error, the interrupted one marked incomplete', () => {
    const p = parseBody("cluster 'a'; run on $9 junk;")
    expect(p.syntaxError?.found).toBe('junk')
    expect(p.ast.statements.map((s) => [s.kind, s.complete])).toEqual([
      ['ClusterStatement', true],
      ['RunStatement', false],
    ])
  })

  it.each([
    ['run on -1;', '-'],
    ['run on(x);', 'on('],
    ['select;', ';'],
    ['cluster "c";', '"'],
    ['target;', ';'],
    ['split a,;', ';'],
    ['foo;', 'foo'],
    ["cluster 'c' run on all;", 'run'],
  ])('%s fails at %s', (body, found) => {
    expect(parseBody(body).syntaxError?.found).toBe(found)
  })
})
