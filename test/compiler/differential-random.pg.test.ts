/**
 * Randomized differential test of the compiler: fast-check generates proxy
 * functions (signatures, and bodies in PL/Proxy's body language: clean ones,
 * and noisy ones with stray characters, bad references, missing semicolons
 * and mutations; quoted as `$tag$…$tag$`, `'…'` or `E'…'`), each is created
 * on the real PL/Proxy (`CREATE OR REPLACE FUNCTION`, a fresh name per case)
 * and compiled by plproxy-ts; both must accept it, or reject it with the same
 * message. About 45 % of the cases are accepted by the real PL/Proxy.
 *
 * Environment:
 *   PLPROXY_TS_DIFF_SEED=<int>  seed (default fixed, so CI runs are repeatable)
 *   PLPROXY_TS_DIFF_RUNS=<int>  number of cases (default 3000, about 6 s)
 *   PLPROXY_TS_DIFF_COLLECT=1   do not stop and shrink at the first mismatch: run all cases and
 *                               report every kind of mismatch with its shortest example
 *   PLPROXY_TS_DIFF_IGNORE=<re> skip the cases whose CREATE FUNCTION matches this regular expression
 *                               (to hunt for new kinds of mismatch while known ones are being fixed)
 *
 * Not generated, on purpose: backslashes inside `"…"` in SQL text (an escape in
 * PL/Proxy 2.10, not in 2.12, which plproxy-ts follows).
 */
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileScriptsSync } from '../../src/compiler/index.js'
import { loadPostgresParser } from '../../src/parser/index.js'
import { sharedCluster, skipWithoutPlproxy, uniqueDbName } from '../harness/shared-cluster.js'

const skip = skipWithoutPlproxy('differential compile test (random)')

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number.parseInt(raw, 10)
  if (!Number.isFinite(n)) throw new Error(`${name} must be an integer, got ${raw}`)
  return n
}
const SEED = envInt('PLPROXY_TS_DIFF_SEED', 20_260_715)
const RUNS = envInt('PLPROXY_TS_DIFF_RUNS', 3000)
const COLLECT = /^(1|true|yes)$/i.test(process.env.PLPROXY_TS_DIFF_COLLECT ?? '')
const IGNORE = process.env.PLPROXY_TS_DIFF_IGNORE ? new RegExp(process.env.PLPROXY_TS_DIFF_IGNORE) : undefined

/** Objects the generated signatures may use, created on the server and compiled before every case. */
const PREAMBLE = `create schema "My Schema";
create domain public.intarr_dom as int4[];
create type public.pair as (a int4, b text);
`

// ---------------------------------------------------------------------------
// generators

const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values)
/** a constantFrom over a `|`-separated list (keeps long lists on one line) */
const among = (list: string): fc.Arbitrary<string> => fc.constantFrom(...list.split('|'))
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary })
const seq = (...parts: fc.Arbitrary<string>[]): fc.Arbitrary<string> =>
  fc.tuple(...parts).map((xs) => xs.join(''))
const lit = <T>(value: T): fc.Arbitrary<T> => fc.constant(value)
/** `arbitrary` in `percent` % of the cases, else null */
const maybe = <T>(percent: number, arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof(w(percent, arbitrary), w(100 - percent, lit(null)))
/** fc.oneof over the entries whose weight is not 0 (the first entry when none is left: never used then) */
const oneof = <T>(...entries: { weight: number; arbitrary: fc.Arbitrary<T> }[]): fc.Arbitrary<T> => {
  const live = entries.filter((e) => e.weight > 0)
  return live.length > 0 ? fc.oneof(...live) : entries[0]!.arbitrary
}

/** a word in random case: `run`, `RUN`, `rUn` */
const anyCase = (word: string): fc.Arbitrary<string> =>
  fc.oneof(
    w(4, lit(word)),
    w(2, lit(word.toUpperCase())),
    w(1, lit(word.toLowerCase())),
    w(
      1,
      fc
        .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
        .map((up) => [...word].map((c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join('')),
    ),
  )
const kw = (word: string): fc.Arbitrary<string> => anyCase(word.toLowerCase())

/** whitespace or comments between statement-mode tokens (never empty) */
const ws: fc.Arbitrary<string> = fc.oneof(
  w(12, lit(' ')),
  w(4, lit('\n')),
  w(3, among('\t|  |\r\n|\r|\n    | -- note\n|--\n|/* c */|/**/|/* a /* b */|/* ;\n */| \n\n |\n-- ; $1\n')),
)
/** optional separator */
const ows: fc.Arbitrary<string> = fc.oneof(w(3, lit('')), w(2, ws))

// -- signatures

interface Argument {
  readonly mode: string
  /** as written in the DDL (maybe quoted); null: unnamed */
  readonly name: string | null
  readonly type: string
  readonly default: boolean
}

/** argument names as written in the DDL; some differ only in case, some are SQL or PL/Proxy words */
const ARG_NAMES =
  'a|b|id|username|x|data|ids|names|"A"|"Id"|"select"|"on"|"all"|"any"|run|cluster|hashtext|ключ|"some arg"|a1|_x'
const COMMON_TYPES = 'int4|text|int8|int4[]|text[]|bool'
const OTHER_TYPES =
  'integer|varchar(10)|"char"|numeric(20,10)|timestamp|int4range|public.pair|int2vector|int8[]'
const BAD_TYPES =
  'public.intarr_dom|cstring|anyelement|record|int4multirange|no_such_type|anyarray|void|nosuch.t|pg_class|"INT4"'

/** Clean signatures use ordinary types and modes; noisy ones also what PostgreSQL or PL/Proxy reject. */
const typeName = (noisy: boolean): fc.Arbitrary<string> =>
  oneof(w(30, among(COMMON_TYPES)), w(4, among(OTHER_TYPES)), w(noisy ? 3 : 0, among(BAD_TYPES)))

const argument = (noisy: boolean): fc.Arbitrary<Argument> =>
  fc.record({
    mode: oneof(
      w(30, lit('')),
      w(3, lit('in ')),
      w(4, lit('out ')),
      w(2, lit('inout ')),
      w(noisy ? 2 : 0, lit('variadic ')),
    ),
    name: fc.oneof(w(8, among(ARG_NAMES)), w(1, lit(null))),
    type: typeName(noisy),
    default: oneof(w(30, lit(false)), w(noisy ? 2 : 0, lit(true))),
  })

/** PostgreSQL's identity of a DDL name: unquoted names fold ASCII letters to lower case (UTF-8 database) */
const storedName = (name: string): string =>
  name.startsWith('"')
    ? name.slice(1, -1).replace(/""/g, '"')
    : name.replace(/[A-Z]/g, (c) => c.toLowerCase())

const isIn = (a: Argument): boolean => a.mode !== 'out '
const isOut = (a: Argument): boolean => a.mode === 'out ' || a.mode === 'inout '

const RETURNS_WITHOUT_OUT =
  'int4|text|int8|bool|int4[]|void|setof int4|setof text|setof int8|setof record|record|table (x int4, y text)|table (x int4)|public.pair|setof public.pair'
const RETURNS_ANY = `${RETURNS_WITHOUT_OUT}|cstring|anyelement|trigger|no_such_type|setof void|"My Schema".nosuch`

interface Signature {
  readonly nameStyle: number
  readonly args: readonly Argument[]
  /** null: no RETURNS clause */
  readonly returns: string | null
  readonly options: readonly string[]
  readonly languageFirst: boolean
}

const signatureArb = (noisy: boolean): fc.Arbitrary<Signature> =>
  fc
    .record({
      nameStyle: fc.oneof(w(10, lit(0)), w(1, fc.integer({ min: 1, max: 5 }))),
      args: fc.array(argument(noisy), { maxLength: 4 }),
      keepDuplicateNames: oneof(w(20, lit(false)), w(noisy ? 2 : 0, lit(true))),
      returns: oneof(w(12, lit('derive')), w(noisy ? 6 : 0, among(RETURNS_ANY)), w(noisy ? 2 : 0, lit(null))),
      returnPick: fc.nat(1000),
      options: fc
        .tuple(
          oneof(
            w(40, lit('')),
            w(4, among('volatile|VOLATILE')),
            w(noisy ? 4 : 0, among('stable|immutable')),
          ),
          oneof(
            w(30, lit('')),
            w(
              noisy ? 6 : 0,
              among(
                'strict|security definer|cost 10|cost 0|rows 5|rows 0|parallel safe|leakproof|volatile volatile|set search_path = public',
              ),
            ),
          ),
        )
        .map((xs) => xs.filter((x) => x !== '')),
      languageFirst: fc.boolean(),
    })
    .map(({ args, keepDuplicateNames, returns, returnPick, ...rest }) => {
      const seen = new Set<string>()
      const unique = args.map((a) => {
        if (a.name === null || keepDuplicateNames) return a
        const key = storedName(a.name)
        if (seen.has(key)) return { ...a, name: null }
        seen.add(key)
        return a
      })
      return {
        ...rest,
        args: unique,
        returns: returns === 'derive' ? derivedReturns(unique, returnPick) : returns,
      }
    })

const signature: fc.Arbitrary<Signature> = fc.oneof(w(4, signatureArb(false)), w(1, signatureArb(true)))

/** a RETURNS clause PostgreSQL accepts with these OUT parameters */
function derivedReturns(args: readonly Argument[], n: number): string | null {
  const outs = args.filter(isOut)
  const choose = (list: readonly (string | null)[]) => list[n % list.length] ?? null
  if (outs.length === 0) return choose(RETURNS_WITHOUT_OUT.split('|'))
  if (outs.length === 1) {
    const t = outs[0]!.type
    return choose([null, t, `setof ${t}`])
  }
  return choose([null, 'record', 'setof record'])
}

// -- bodies, generated for a signature so that most of them make sense

interface BodyContext {
  /** IN argument names a body can reference bare (as PL/Proxy stores them) */
  readonly names: readonly string[]
  /** those of array type */
  readonly arrays: readonly string[]
  readonly inCount: number
}

const WORD = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*$/

function bodyContext(s: Signature): BodyContext {
  const ins = s.args.filter(isIn)
  const named = ins.filter((a) => a.name !== null && WORD.test(storedName(a.name)))
  return {
    names: named.map((a) => storedName(a.name!)),
    arrays: named.filter((a) => a.type.endsWith('[]')).map((a) => storedName(a.name!)),
    inCount: ins.length,
  }
}

/**
 * Bodies for a signature. A clean body is made of well-formed statements (it
 * may still break a rule: two RUNs, TARGET with SELECT, RUN ON ALL without
 * SETOF…); a noisy one also has stray characters, bad references, missing
 * semicolons, truncations and other mutations.
 */
function bodyArb(ctx: BodyContext, noisy: boolean): fc.Arbitrary<string> {
  const bad = (weight: number): number => (noisy ? weight : 0)
  const otherIdent = oneof(
    w(4, among('t|y|z|nosuch|user_key|some|from|where|select|hashtext|é|ключ|_x')),
    w(2, among('t.id|a . b|public.t|a.b.c|x._|t .\nid')),
    w(bad(1), among('on|all|any|run|cluster|connect|split|target')),
  )
  const argIdent: fc.Arbitrary<string> =
    ctx.names.length > 0 ? fc.constantFrom(...ctx.names).chain(anyCase) : otherIdent
  const ident = fc.oneof(w(6, argIdent), w(3, otherIdent))
  const n = ctx.inCount
  const validRef = n > 0 ? fc.integer({ min: 1, max: n }).map((k) => `$${k}`) : among('$1')
  const dollarRef = oneof(
    w(n > 0 ? 12 : bad(1), validRef),
    w(
      bad(1),
      among('$0|$4|$5|$01|$9|$10|$00|$99999999999|$4294967296|$4294967297|$12884901889|$00000000001'),
    ),
  )
  const refWeight = (weight: number): number => (n > 0 ? weight : bad(1))

  /** statement-mode strings, and things that look like strings but are not */
  const stmtString = oneof(
    w(30, among("'name'|'userdb'|'it''s'|''|'a\nb'|'x;y'|'$1'|'dbname=p0 host=127.0.0.1'|'é'")),
    w(bad(1), among("E'x'|\"c\"|$$c$$|'unterminated|'a' 'b'|'a''")),
  )

  const sqlToken: fc.Arbitrary<string> = oneof(
    w(20, ident),
    w(refWeight(10), dollarRef),
    w(6, among('1|42|1.5|1..2|1e5|0|.5|1.|00')),
    w(6, among("'abc'|'it''s'|''|';'|'$1'|'a\nb'|'--'|'/*'|'\\'|'\"'|'$$'")),
    w(3, among("E'a\\'b'|e'x'|E'\\\\'|E'it''s'|E'\\n'|E''|E'\\';'|e'\\\\'''")),
    w(
      4,
      among('$$x$$|$a$ ; $b$ $$ $a$|$tag$ $1 \' " ; $tag$|$_$x$_$|$$ $1 $$|$x$ $X$ $x$|$é$;$é$|$a$$a$|$$$$'),
    ),
    w(4, among('"col"|"a""b"|"Sel;ect"|"$1"|"x y"|"A"|""""|"--"')),
    w(4, among('-- c\n|/* c */|/* ; */|/* /* */|--;\n|/*\n*/|/**/')),
    w(10, among('-|!|#|%|&|(|)|*|+|,|/|:|<|=|>|?|@|[|]|^|{|}|~|.|::|(|)|,|=|*|::int4|>=')),
    w(1, pick('|', '||')),
    w(bad(2), among('`|\\|$|$a|\f|\v|"|\'|;|$x$abc|"abc|/*|a$b|$1$|1$|a$|x$1|$1a|\u00a0|\ufeff')),
  )
  const sqlSep = fc.oneof(w(8, lit(' ')), w(4, lit('')), w(2, ws))
  const sqlText = (min: number, max: number): fc.Arbitrary<string> =>
    fc.array(seq(sqlSep, sqlToken), { minLength: min, maxLength: max }).map((xs) => xs.join(''))

  /** `fn(args) tail` */
  const fnCall = seq(
    oneof(
      w(12, among('hashtext|HashText|public.hashtext|pick|lower|text|f|ключ')),
      w(bad(1), among('public . hashtext|select|on|any|all|run|cluster|$1|a.b.c|"q"')),
    ),
    fc.oneof(w(8, lit('')), w(1, among(' |\n|  |\t| /**/ '))),
    lit('('),
    sqlText(0, 4),
    oneof(w(20, lit(')')), w(bad(1), lit(''))),
    fc.oneof(w(6, lit('')), w(1, sqlText(1, 3))),
  )
  const term = oneof(w(30, seq(ows, lit(';'))), w(bad(1), lit('')), w(bad(1), among(',|;;| ;|:| ; ;')))

  /** after a keyword: usually whitespace, sometimes nothing (`cluster'x'`, `run on$1`, `targetx`) */
  const kwSep = fc.oneof(w(12, ws), w(1, lit('')))
  const cluster = seq(
    kw('cluster'),
    kwSep,
    oneof(w(20, stmtString), w(8, fnCall), w(bad(1), ident), w(bad(1), dollarRef)),
    term,
  )
  const connect = seq(
    kw('connect'),
    kwSep,
    oneof(w(6, stmtString), w(4, ident), w(refWeight(2), dollarRef), w(3, fnCall)),
    term,
  )
  const run = seq(
    kw('run'),
    ws,
    kw('on'),
    kwSep,
    oneof(
      w(4, kw('all')),
      w(3, kw('any')),
      w(3, among('0|1|3|007|4294967296|99999999999999999999')),
      w(6, ident),
      w(refWeight(4), dollarRef),
      w(8, fnCall),
      w(bad(1), among("-1|'x'|1.5|ON(a)|any(a)")),
    ),
    term,
  )
  const splitTarget = oneof(
    w(
      ctx.arrays.length > 0 ? 12 : 0,
      fc.constantFrom(...(ctx.arrays.length ? ctx.arrays : ['?'])).chain(anyCase),
    ),
    w(bad(1), ident),
    w(bad(1), dollarRef),
  )
  const split = seq(
    kw('split'),
    kwSep,
    oneof(
      w(2, kw('all')),
      w(
        ctx.arrays.length > 0 || noisy ? 6 : 0,
        fc.array(seq(ows, splitTarget, ows), { minLength: 1, maxLength: 3 }).map((xs) => xs.join(',')),
      ),
    ),
    term,
  )
  const target = seq(
    kw('target'),
    kwSep,
    oneof(w(8, ident), w(bad(1), dollarRef), w(bad(1), among('x . y|other.f|"Q"|ALL|1|f('))),
    term,
  )
  const select = seq(
    kw('select'),
    oneof(
      w(12, seq(ws, sqlText(1, 8))),
      w(2, seq(ows, lit('('), sqlText(0, 4))),
      w(1, sqlText(1, 4)),
      w(bad(1), lit('')),
    ),
    term,
  )
  const anyStmt = fc.oneof(w(3, cluster), w(2, connect), w(3, run), w(2, split), w(1, target), w(3, select))

  /** a CLUSTER or CONNECT and some of the others, in any order */
  const structured = fc
    .tuple(
      ...[
        oneof(w(16, cluster), w(4, connect), w(bad(1), lit(null))),
        maybe(50, run),
        maybe(ctx.arrays.length > 0 ? 40 : 10, split),
        maybe(50, fc.oneof(target, select)),
        maybe(noisy ? 25 : 4, anyStmt),
      ].map((p) => fc.tuple(p, fc.nat(1000))),
    )
    .map((xs) =>
      xs
        .filter((x): x is [string, number] => x[0] !== null)
        .sort((p, q) => p[1] - q[1])
        .map((x) => x[0]),
    )
  const statements = oneof(w(8, structured), w(bad(3), fc.array(anyStmt, { maxLength: 6 })))

  const joined = fc
    .tuple(
      ows,
      statements,
      fc.array(oneof(w(12, ws), w(bad(1), lit(''))), { minLength: 6, maxLength: 6 }),
      ows,
    )
    .map(([pre, stmts, seps, post]) => pre + stmts.map((s, i) => (i ? seps[i % 6] : '') + s).join('') + post)
  if (!noisy) return joined

  const mutation: fc.Arbitrary<Mutation> = fc.record({
    kind: pick('delete', 'insert', 'replace', 'truncate', 'duplicate'),
    at: fc.nat(10_000),
    len: fc.integer({ min: 1, max: 6 }),
    text: fc.oneof(
      w(3, among(';|\'|"|$|(|)|,| |\n|-|/|*|a|1|E|\\|\f|`|é|\u00a0|\ufeff|\r|\v')),
      w(2, sqlToken),
      w(1, among('run on|cluster|select|all|$1|--|/*|*/|$$|$q$|\'\'|""')),
    ),
  })

  return fc
    .tuple(
      joined,
      fc.oneof(w(2, lit([] as Mutation[])), w(1, fc.array(mutation, { minLength: 1, maxLength: 3 }))),
    )
    .map(([b, ms]) => sanitizeBody(mutate(b, ms)))
}

interface Mutation {
  readonly kind: 'delete' | 'insert' | 'replace' | 'truncate' | 'duplicate'
  readonly at: number
  readonly len: number
  readonly text: string
}

function mutate(body: string, mutations: readonly Mutation[]): string {
  let s = body
  for (const m of mutations) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1)
    switch (m.kind) {
      case 'delete':
        s = s.slice(0, at) + s.slice(at + m.len)
        break
      case 'insert':
        s = s.slice(0, at) + m.text + s.slice(at)
        break
      case 'replace':
        s = s.slice(0, at) + m.text + s.slice(at + m.len)
        break
      case 'truncate':
        s = s.slice(0, at)
        break
      case 'duplicate':
        s = s.slice(0, at + m.len) + s.slice(at, at + m.len) + s.slice(at + m.len)
        break
    }
  }
  return s
}

/** Keeps bodies inside what PL/Proxy 2.10 and plproxy-ts (2.12) mean the same way. */
const sanitizeBody = (body: string): string =>
  body.includes('"') && body.includes('\\') ? body.replace(/\\/g, ' ') : body

/** how the body is written in CREATE FUNCTION: `$q0$…$q0$`, `'…'` or `E'…'` */
type BodyQuoting = 'dollar' | 'single' | 'escape'

interface Case {
  readonly signature: Signature
  readonly body: string
  readonly quoting: BodyQuoting
}
const caseArb: fc.Arbitrary<Case> = signature.chain((s) => {
  const ctx = bodyContext(s)
  return fc.record({
    signature: lit(s),
    body: fc.oneof(w(3, bodyArb(ctx, false)), w(2, bodyArb(ctx, true))),
    quoting: fc.oneof(
      w(8, lit<BodyQuoting>('dollar')),
      w(1, lit<BodyQuoting>('single')),
      w(1, lit<BodyQuoting>('escape')),
    ),
  })
})

function functionName(style: number, n: number): string {
  switch (style) {
    case 1:
      return `"F_${n}"`
    case 2:
      return `"My Schema".f_${n}`
    case 3:
      return `Fn_${n}`
    case 4:
      return `"fn ${n}"`
    case 5:
      return `ключ_${n}`
    default:
      return `f_${n}`
  }
}

/** A dollar-quote tag for the body that cannot end or begin inside it. */
function quoteTag(text: string): string {
  for (let i = 0; ; i++) {
    const tag = `q${i}`
    if (!text.includes(`${tag}$`) && !text.includes(`$${tag}`)) return `$${tag}$`
  }
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\t': '\\t', '\r': '\\r' }

function quoteBody(body: string, quoting: BodyQuoting): string {
  switch (quoting) {
    case 'single':
      return `'${body.replace(/'/g, "''")}'`
    case 'escape':
      return `E'${body.replace(/[\\'\n\t\r]/g, (c) => ESCAPES[c] ?? c)}'`
    case 'dollar': {
      const tag = quoteTag(body)
      return `${tag}${body}${tag}`
    }
  }
}

function createStatement(c: Case, n: number): string {
  const s = c.signature
  const args = s.args
    .map((a) => `${a.mode}${a.name === null ? '' : `${a.name} `}${a.type}${a.default ? ' default null' : ''}`)
    .join(', ')
  const language = 'language plproxy'
  const as = `as ${quoteBody(c.body, c.quoting)}`
  const tail = [...s.options, ...(s.languageFirst ? [language, as] : [as, language])]
  const returns = s.returns === null ? '' : ` returns ${s.returns}`
  return `create or replace function ${functionName(s.nameStyle, n)}(${args})${returns} ${tail.join(' ')}`
}

// ---------------------------------------------------------------------------
// the two sides

interface Outcome {
  /** null: accepted */
  readonly error: string | null
  /** more errors plproxy-ts reported for the same statement */
  readonly extra?: readonly string[]
}

function compileOurs(sql: string): Outcome {
  const result = compileScriptsSync([
    { file: 'preamble.sql', text: PREAMBLE },
    { file: 'case.sql', text: sql },
  ])
  const errors = result.diagnostics.filter((d) => d.severity === 'error' && d.file === 'case.sql')
  return {
    error: errors[0]?.message ?? null,
    ...(errors.length > 1 ? { extra: errors.slice(1).map((d) => d.message) } : {}),
  }
}

const show = (o: Outcome): string =>
  (o.error === null ? 'accepted' : `ERROR: ${o.error}`) + (o.extra ? `  (+ ${o.extra.join(' | ')})` : '')

const same = (real: Outcome, ours: Outcome): boolean => real.error === ours.error && !ours.extra

/** a mismatch class: messages without function names, counters and line numbers */
const normalize = (o: Outcome): string =>
  show(o)
    .replace(/PL\/Proxy function [^:]*\(\d+\)/g, 'PL/Proxy function F(N)')
    .replace(/(f|F|fn|Fn|ключ)[_ ]\d+/g, 'F')
    .replace(/line \d+/g, 'line L')
    .replace(/(reference|once|array|type): .*$/, '$1: …')
    .replace(/^(.{100}).+$/s, '$1…')

describe.skipIf(skip)('random proxy functions: plproxy-ts agrees with the real PL/Proxy 2.10', () => {
  const db = uniqueDbName('diffrandom')
  let client: pg.Client
  let counter = 0

  beforeAll(async () => {
    await loadPostgresParser()
    const cluster = sharedCluster()
    await cluster.createDatabase(db)
    client = new pg.Client(cluster.clientConfig(db))
    client.on('error', () => {})
    await client.connect()
    await client.query('create extension plproxy')
    await client.query(PREAMBLE)
  })

  afterAll(async () => {
    await client?.end()
  })

  const realOutcome = async (sql: string): Promise<Outcome> => {
    try {
      await client.query(sql)
      return { error: null }
    } catch (err) {
      if (!(err instanceof pg.DatabaseError)) throw err
      return { error: err.message }
    }
  }

  it(`accepts and rejects ${RUNS} generated functions alike (seed ${SEED})`, {
    timeout: 600_000,
  }, async () => {
    const mismatches = new Map<string, { sql: string; real: Outcome; ours: Outcome; count: number }>()
    let accepted = 0
    let ignored = 0
    const outcomes = new Map<string, number>()
    let cases = 0
    const property = fc.asyncProperty(caseArb, async (c) => {
      counter += 1
      cases += 1
      const sql = createStatement(c, counter)
      if (IGNORE?.test(sql)) {
        ignored += 1
        return
      }
      const real = await realOutcome(sql)
      const ours = compileOurs(sql)
      if (real.error === null) accepted += 1
      const kind = normalize(real)
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1)
      if (same(real, ours)) return
      if (COLLECT) {
        const key = `real ${normalize(real)}\n      ours ${normalize(ours)}`
        const seen = mismatches.get(key)
        if (!seen || sql.length < seen.sql.length)
          mismatches.set(key, { sql, real, ours, count: (seen?.count ?? 0) + 1 })
        else seen.count += 1
        return
      }
      throw new Error(
        `plproxy-ts disagrees with the real PL/Proxy on\n${sql}\n` +
          `  body (JSON): ${JSON.stringify(c.body)}\n` +
          `  real PL/Proxy: ${show(real)}\n  plproxy-ts:    ${show(ours)}\n` +
          '(PLPROXY_TS_DIFF_COLLECT=1 lists every kind of mismatch instead of stopping at the first)',
      )
    })
    const started = Date.now()
    await fc.assert(property, { numRuns: RUNS, seed: SEED })
    const histogram = [...outcomes.entries()]
      .sort((p, q) => q[1] - p[1])
      .map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`)
    console.log(
      `differential-random: ${cases} cases (seed ${SEED}) in ${Date.now() - started} ms, ${ignored} ignored, ` +
        `${accepted} accepted by the real PL/Proxy` +
        (COLLECT ? `; real outcomes:\n${histogram.join('\n')}` : ''),
    )
    const report = [...mismatches.entries()]
      .sort((p, q) => q[1].count - p[1].count)
      .map(
        ([key, m]) =>
          `  ${m.count}×  ${key}\n    e.g. ${m.sql}\n      real PL/Proxy: ${show(m.real)}\n      plproxy-ts:    ${show(m.ours)}`,
      )
    expect(
      mismatches.size,
      `${mismatches.size} kinds of mismatch in ${cases} cases:\n${report.join('\n')}`,
    ).toBe(0)
  })
})
