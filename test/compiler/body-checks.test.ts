/**
 * PL/Proxy's compile-time rejections, with its exact texts, line numbers
 * and the order in which it finds them.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { compileScriptsSync } from '../../src/compiler/index.js'
import { loadPostgresParser } from '../../src/parser/index.js'
import { compileOne } from '../helpers/compile.js'

beforeAll(() => loadPostgresParser())

const err = (signature: string, body: string, setup = '') => compileOne(signature, body, setup, 'f').error

describe('parser-level errors: Compile error at line N', () => {
  it('syntax error at the offending token', () => {
    expect(err('(a int) returns int', "\ncluster 'c'\nrun on a;")).toBe(
      'PL/Proxy function public.f(1): Compile error at line 3: syntax error',
    )
  })

  it.each([
    ['CONNECT', 'connect a;\nconnect a;', '(a text) returns int', 2],
    ['CLUSTER', "cluster 'c'; cluster\n'd'\n;", '(a int) returns int', 3],
    ['RUN', "cluster 'c'; run on a; run on any;", '(a int) returns int', 1],
    ['SPLIT', "cluster 'c'; split a; split all;", '(a int[]) returns setof int', 1],
    ['TARGET', "cluster 'c'; target x; target y;", '(a int) returns int', 1],
  ])('only one %s, at the second one`s semicolon', (what, body, signature, line) => {
    expect(err(signature, body)).toBe(
      `PL/Proxy function public.f(1): Compile error at line ${line}: Only one ${what} statement allowed`,
    )
  })

  it('only one SELECT, at the second SELECT keyword', () => {
    expect(err('(a int) returns int', "cluster 'c'; select 1;\n\nselect\n2;")).toBe(
      'PL/Proxy function public.f(1): Compile error at line 3: Only one SELECT statement allowed',
    )
  })

  it.each([
    ['run on $2;', '$2'],
    ['run on hashtext($2);', '$2'],
    ['run on $0;', '$0'],
    ['select $1 + $3;', '$3'],
    ['split x;', 'x'],
    ['cluster pick($9);', '$9'],
  ])('invalid argument reference in %s', (stmt, ref) => {
    const body = stmt.startsWith('cluster') ? stmt : `cluster 'c';\n${stmt}`
    const line = stmt.startsWith('cluster') ? 1 : 2
    expect(err('(a int[]) returns setof int', body)).toBe(
      `PL/Proxy function public.f(1): Compile error at line ${line}: invalid argument reference: ${ref}`,
    )
  })

  it('CONNECT $n must name an argument', () => {
    expect(err('(a text) returns int', 'connect $5;')).toBe(
      'PL/Proxy function public.f(1): Compile error at line 1: invalid argument reference: $5',
    )
  })

  it('keywords are case-insensitive; the error still names the token as written', () => {
    expect(err('(a int) returns int', "\ncLuStEr 'c';\nrUn oN hAshtext($2);\n")).toBe(
      'PL/Proxy function public.f(1): Compile error at line 3: invalid argument reference: $2',
    )
  })

  it('an error raised while reading a token before a syntax error wins', () => {
    expect(err('(a int) returns int', "cluster 'c'; run on $9 junk;")).toMatch(
      /invalid argument reference: \$9$/,
    )
    expect(err('(a int) returns int', "cluster 'c'; split a,;")).toBe(
      'PL/Proxy function public.f(1): SPLIT parameter is not an array: a',
    )
  })

  it('post-parse checks report the line after the whole body', () => {
    expect(err('(a int) returns int', '\n --c\n run on a;\n select 1;\n')).toBe(
      'PL/Proxy function public.f(1): Compile error at line 5: CLUSTER statement missing',
    )
    expect(err('(a text) returns int', "connect a;\ncluster 'c';")).toBe(
      'PL/Proxy function public.f(1): Compile error at line 2: CONNECT cannot be used with CLUSTER/RUN',
    )
    expect(err('(a text) returns int', 'run on 0; connect a;')).toMatch(
      /CONNECT cannot be used with CLUSTER\/RUN$/,
    )
    expect(err('(a int) returns int', "\ncluster 'c';\ntarget x;\nselect 1;\n\n")).toBe(
      'PL/Proxy function public.f(1): Compile error at line 6: TARGET cannot be used with SELECT',
    )
  })

  it('an empty body has no CLUSTER', () => {
    expect(err('() returns int', '')).toBe(
      'PL/Proxy function public.f(0): Compile error at line 1: CLUSTER statement missing',
    )
  })
})

describe('SPLIT checks (no line number)', () => {
  it('a parameter given twice', () => {
    expect(err('(a int[]) returns setof int', "cluster 'c'; split a, $1;")).toBe(
      'PL/Proxy function public.f(1): SPLIT parameter specified more than once: $1',
    )
  })
  it('a parameter that is not an array', () => {
    expect(err('(a int[], b text, c text) returns setof int', "cluster 'c'; split a, $3;")).toBe(
      'PL/Proxy function public.f(3): SPLIT parameter is not an array: $3',
    )
  })
  it('a domain over an array is not splittable; int2vector is', () => {
    const setup = 'create domain ids as int4[];'
    expect(err('(a ids) returns setof int', "cluster 'c'; split a;", setup)).toMatch(
      /SPLIT parameter is not an array: a$/,
    )
    expect(err('(a int2vector) returns setof int', "cluster 'c'; split a;")).toBeUndefined()
  })
})

describe('function-level checks, in PL/Proxy order', () => {
  it('volatility first, without the function prefix', () => {
    expect(err('(a int) returns int stable', 'run on $9;')).toBe('PL/Proxy functions must be volatile')
    expect(err('(a int) returns int immutable', "cluster 'c';")).toBe('PL/Proxy functions must be volatile')
  })

  it('variadic arguments', () => {
    expect(err('(a int, variadic b int[]) returns int', "cluster 'c';")).toBe(
      'PL/Proxy does not support variadic args',
    )
  })

  it('pseudo and multirange argument types, counting IN arguments so far', () => {
    expect(err('(a int, out x int, b cstring) returns int', "cluster 'c';")).toBe(
      'PL/Proxy function public.f(1): unsupported pseudo type: cstring (2275)',
    )
    expect(err('(a anyelement) returns int', "cluster 'c';")).toBe(
      'PL/Proxy function public.f(0): unsupported pseudo type: anyelement (2283)',
    )
    expect(err('(a int, b int4multirange) returns int', "cluster 'c';")).toBe(
      'PL/Proxy function public.f(1): unsupported type code: int4multirange (4451)',
    )
  })

  it('argument checks come before the body', () => {
    expect(err('(a cstring) returns int', 'garbage')).toMatch(/unsupported pseudo type/)
  })

  it('SELECT in a dynamic RECORD function', () => {
    expect(err('(a int) returns setof record', "cluster 'c'; select 1;")).toBe(
      'PL/Proxy function public.f(1): SELECT statement not allowed for dynamic RECORD functions',
    )
  })

  it('a function whose OUT parameters are all unnamed counts as dynamic RECORD too', () => {
    expect(err('(int, out int, out text) returns setof record', "cluster 'c'; select 1;")).toMatch(
      /dynamic RECORD/,
    )
  })

  it('RUN ON ALL needs SETOF', () => {
    expect(err('(a int) returns int', "cluster 'c'; run on all;")).toBe(
      'PL/Proxy function public.f(1): RUN ON ALL requires set-returning function',
    )
  })

  it('the return type is only checked at call time: accepted with a warning and a deferred error', () => {
    const { fn, error } = compileOne('(a int) returns cstring', "cluster 'c';")
    expect(error).toBeUndefined()
    expect(fn.plan?.deferredError?.message).toBe(
      'PL/Proxy function public.f1(0): unsupported pseudo type: cstring (2275)'.replace(
        'f1',
        fn.name.split('.')[1]!,
      ),
    )
    expect(fn.diagnostics.map((d) => d.severity)).toEqual(['warning'])
  })
})

describe('quoting of the function name in messages', () => {
  it('quotes names that need it', () => {
    const { error } = compileOne(
      '(a int) returns int',
      '',
      'create schema "My Schema";',
      '"My Schema"."testQuoting"',
    )
    expect(error).toBe(
      'PL/Proxy function "My Schema"."testQuoting"(1): Compile error at line 1: CLUSTER statement missing',
    )
  })
})

describe('where diagnostics point in the file', () => {
  it('points at the offending token, through doubled quotes of a single-quoted body', () => {
    const text = "create function g(a int) returns int as 'cluster ''c''; run on $2;' language plproxy;"
    const d = compileScriptsSync([{ file: 'q.sql', text }]).diagnostics[0]!
    expect(text.slice(d.offset, d.offset + d.length)).toBe('$2')
    expect(d.column).toBe(text.indexOf('$2') + 1)
  })
})
