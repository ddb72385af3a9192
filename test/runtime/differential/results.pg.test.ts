/**
 * Differential tests of results and errors: the same proxy functions and clusters
 * loaded into the real PL/Proxy 2.10 and into plproxy-ts (see env.ts). Rows are
 * compared as PostgreSQL text with column names and types; errors by message,
 * SQLSTATE, detail and hint; remote notices by level, message, SQLSTATE, detail
 * and hint; and the SQL text every partition received.
 *
 * Covered: dynamic RECORD (`… as (…)`), OUT / INOUT / RETURNS TABLE / SETOF
 * composite / composite / scalar / array / void returns, remote NULL rows, STRICT
 * with NULL arguments, the non-SETOF row-count errors (P0002 / P0003), result
 * column matching errors, remote errors (SQLSTATE kept, `Remote detail:` /
 * `Remote hint:`, `Remote context:`, remote statement position), remote notices
 * (NOTICE vs WARNING), values read back by the local type (custom SELECT without
 * casts), query_timeout, `call()`'s decoded rows against node-postgres' own
 * decoding of the real answer, and the intended differences (stale-connection
 * NOTICE, which failing partition is reported).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { skipWithoutPlproxy } from '../../harness/shared-cluster.js'
import {
  type Case,
  c,
  caseTitle,
  comparable,
  createDiffEnv,
  type DiffEnv,
  differs,
  runCase,
  STALE_CONN,
} from './env.js'

const skip = skipWithoutPlproxy('differential runtime tests (results and errors)')

const LOCAL_INPUT =
  "PL/Proxy reads each remote value with the local type's input function (spec §3.7); plproxy-ts passes the remote text through"

const DYN_COLUMNS: readonly (readonly [string, string])[] = [
  ['id', 'int4'],
  ['db', 'text'],
  ['even', 'bool'],
]

const GROUPS: Record<string, Case[]> = {
  'dynamic RECORD': [
    { fn: 'dyn', args: ['3'], columns: DYN_COLUMNS },
    { fn: 'dyn', args: ['0'], columns: DYN_COLUMNS },
    {
      fn: 'dyn',
      args: ['2'],
      columns: [
        ['id', 'integer'],
        ['db', 'text'],
        ['even', 'boolean'],
      ],
    },
    {
      fn: 'dyn',
      args: ['2'],
      columns: [
        ['id', 'integer'],
        ['db', 'varchar'],
        ['even', 'boolean'],
      ],
      error: /REMOTE ERROR: structure of query does not match function result type/,
      severalFail: true,
    },
    {
      fn: 'dyn',
      args: ['2'],
      columns: [
        ['id', 'int8'],
        ['db', 'text'],
        ['even', 'bool'],
      ],
      error: /REMOTE ERROR: structure of query does not match function result type/,
      severalFail: true,
    },
    {
      fn: 'dyn',
      args: ['2'],
      columns: [
        ['id', 'int4'],
        ['db', 'text'],
      ],
      error: /REMOTE ERROR/,
      severalFail: true,
    },
    {
      fn: 'dyn1',
      args: ['6'],
      columns: [
        ['x', 'int4'],
        ['y', 'text'],
      ],
    },
    {
      fn: 'dyn1',
      args: ['-1'],
      columns: [
        ['x', 'int8'],
        ['y', 'text'],
      ],
      error: /REMOTE ERROR: returned record type does not match expected record type/,
    },
  ],
  'OUT, INOUT, RETURNS TABLE, composite and scalar returns': [
    c('o_out', ['5', 'in']),
    c('o_out', ['-2', null]),
    c('o_out1', ['7']),
    c('o_table', ['2']),
    c('o_table', ['0']),
    c('o_setof', ['3']),
    c('o_setof', ['4']),
    c('o_setof', ['0']),
    c('o_setof', ['-7']),
    c('o_comp', ['12']),
    c('o_comp', ['-3']),
    c('o_numeric', ['1.50']),
    c('o_numeric', ['-0.000000000000000000001']),
    c('o_numeric', ['NaN']),
    c('o_numeric', [null]),
    c('o_arr', ['{1,NULL,3}']),
    c('o_arr', ['{}']),
    c('o_arr', [null]),
    c('o_textarr', ['{"a b","c,d","\\"",NULL,"NULL",ü}']),
    c('o_void', ['x']),
    c('o_float', ['1.2345678901234']),
    c('o_float', ['1e38']),
    c('o_float', ['Infinity']),
    c('o_float', ['-0']),
    c('o_diff', ['1']),
    c('o_diff', ['-32768']),
    c('o_bytea', ['\\x0102']),
    c('o_bytea', ['']),
    c('o_ts', ['2024-02-28 23:30:00+00']),
    c('o_json', ['{"b": [1, 2.50, null], "a": "ü"}']),
    c('o_bool', ['t']),
    c('o_bool', [null]),
    c('o_null', ['1']),
    c('o_nullset', ['1']),
  ],
  STRICT: [
    c('o_strict', ['a', '1']),
    c('o_strict', [null, '1']),
    c('o_strict', ['a', null]),
    c('o_strict_set', [null]),
    c('o_strict_set', ['x']),
    c('o_strict_out', [null]),
    c('o_strict_out', ['3']),
  ],
  'row counts of non-SETOF functions': [
    c('rc_zero', ['1'], /Non-SETOF function requires 1 row from remote query, got 0/),
    c('rc_two', ['2'], /Non-SETOF function requires 1 row from remote query, got 2/),
    c('rc_zero_out', ['3'], /Non-SETOF function requires 1 row from remote query, got 0/),
    c('q_rows', ['0']),
  ],
  'result columns': [
    c('q_few', ['1'], /Got too few fields from remote end/),
    c('q_many', ['1'], /Got too many fields from remote end/),
    c('q_missing', ['1'], /Field b does not exists in result/),
    c('q_swapped', ['2']),
    c('q_case', ['1'], /Field B does not exists in result/),
    c('q_scalar2', ['1'], /single field function but got record/),
    c('q_nocast', ['-4']),
    c('q_badcol', ['1'], /column "nosuchcol" does not exist/),
    { ...c('q_norm', ['1']), note: LOCAL_INPUT },
    { ...c('q_badval', ['1'], /invalid input syntax for type integer/), note: LOCAL_INPUT },
    { ...c('q_badval2', ['1'], /invalid input syntax for type integer/), note: LOCAL_INPUT },
  ],
  'remote errors': [
    c('e_raise', ['ok', '1']),
    c('e_raise', ['plain', '1'], /REMOTE ERROR: boom 1/),
    c('e_raise', ['full', '2'], /REMOTE ERROR: full boom/),
    c('e_raise', ['detail', '3'], /REMOTE ERROR: only detail/),
    c('e_raise', ['hint', '0'], /REMOTE ERROR: only hint/),
    c('e_raise', ['div', '1'], /REMOTE ERROR: division by zero/),
    c('e_raise', ['unique', '2'], /REMOTE ERROR: dup 2/),
    c('e_raise', ['custom', '3'], /REMOTE ERROR: custom state/),
    c('e_raise', ['unicode', '0'], /REMOTE ERROR: ünïcödé/),
    c('e_raise', ['multiline', '1'], /REMOTE ERROR: line1/),
    c('e_all', ['2'], /REMOTE ERROR: failing partition 2/),
    c('e_all', ['0'], /REMOTE ERROR: failing partition 0/),
    c('e_all', ['-1']),
    c('e_mask', ['8'], /REMOTE ERROR: failing/),
  ],
  'remote notices': [
    c('n_notice', ['notice', '1']),
    c('n_notice', ['warning', '2']),
    c('n_notice', ['info', '3']),
    c('n_notice', ['coded', '0']),
    c('n_notice', ['log', '1']),
    c('n_notice', ['many', '2']),
    c('n_notice', ['then_error', '3'], /REMOTE ERROR: after notice/),
    c('n_notice', ['none', '0']),
  ],
}

describe.skipIf(skip)('differential: results and errors through PL/Proxy 2.10 and plproxy-ts', () => {
  let env: DiffEnv
  beforeAll(async () => {
    env = await createDiffEnv('dfr_res')
  })
  afterAll(async () => {
    await env?.end()
  })

  for (const [group, cases] of Object.entries(GROUPS)) {
    describe(group, () => {
      it.each(cases.map((k) => [caseTitle(k), k] as const))('%s', async (_, k) => {
        const r = await runCase(env, k)
        const { real, ours } = comparable(k, r.real, r.ours)
        expect(ours, differs(k, 'hybrid')).toEqual(real)
      })
    })
  }

  describe('remote notices from several partitions', () => {
    it('n_all: one NOTICE per partition (compared as a multiset: arrival order is timing)', async () => {
      const k = c('n_all', ['hi'])
      const { real, ours } = await runCase(env, k)
      const sorted = (n: readonly { message: string }[]) =>
        [...n].sort((a, b) => a.message.localeCompare(b.message))
      expect(real.notices).toHaveLength(4)
      expect(sorted(ours.notices), differs(k, 'hybrid')).toEqual(sorted(real.notices))
      expect({ ...ours, notices: [] }, differs(k, 'hybrid')).toEqual({ ...real, notices: [] })
    })
  })

  describe('decoded rows: call() vs node-postgres default type parsers on the real answer', () => {
    const DECODED: [string, (string | null)[]][] = [
      ['o_setof', ['4']],
      ['o_comp', ['12']],
      ['o_comp', ['-1']],
      ['o_out', ['5', 'in']],
      ['o_table', ['2']],
      ['o_numeric', ['1.50']],
      ['o_arr', ['{1,NULL,3}']],
      ['o_textarr', ['{"a b","c,d",NULL}']],
      ['o_float', ['1.2345678901234']],
      ['o_diff', ['3']],
      ['o_bytea', ['\\x0102']],
      ['o_ts', ['2024-02-28 23:30:00+00']],
      ['o_json', ['{"b": [1, 2.50, null], "a": "ü"}']],
      ['o_bool', ['t']],
      ['o_void', ['x']],
      ['o_null', ['1']],
      ['r_int8', ['-9223372036854775808']],
    ]
    it.each(DECODED)('%s(%j)', async (fnName, args) => {
      const { real, ours } = await env.decoded(fnName, args)
      expect(ours, `plproxy-ts call() decodes differently from node-postgres for ${fnName}`).toEqual(real)
    })
  })

  describe('query_timeout', () => {
    it('slow(1.6) on a cluster with query_timeout 1: an intended difference (docs/compatibility.md, quirk 3)', async () => {
      // PL/Proxy checks query_timeout only after poll() reports an event (spec §6.4, §9 item 3): a remote that is
      // silent for 1.6 s and then answers is not timed out. plproxy-ts bounds the call: it times out after 1 s.
      const r = await env.both('slow', ['1.6'])
      expect(r.real.error).toBeUndefined()
      expect(r.ours.error?.message).toBe('PL/Proxy function public.slow(1): query timeout')
      expect(r.ours.error?.code).toBe('XX000')
    })
  })

  describe('intended differences (asserted as such)', () => {
    it('PL/Proxy sends NOTICE "PL/Proxy: dropping stale conn" on the call after a remote error; plproxy-ts does not', async () => {
      const notices: string[] = []
      const before = env.staleDrops
      await runCase(env, c('e_raise', ['plain', '1'], /REMOTE ERROR/))
      const next = await runCase(env, c('e_raise', ['ok', '1']))
      expect(env.staleDrops, 'the real PL/Proxy dropped the connection left mid-result').toBe(before + 1)
      notices.push(...next.ours.notices.map((n) => n.message))
      expect(notices).not.toContain(STALE_CONN)
      expect(next.ours).toEqual(next.real)
    })

    it('several failing partitions: plproxy-ts reports the first in activation order, PL/Proxy the first it sees', async () => {
      // partitions 1 and 3 fail
      const { real, ours } = await runCase(env, c('e_mask', ['10'], /REMOTE ERROR: failing/))
      const failing = [env.db.c4[1]!, env.db.c4[3]!]
      const realDb = failing.find((d) => real.error?.message.includes(`[${d}]`))
      expect(realDb, `PL/Proxy reported one of the failing partitions: ${real.error?.message}`).toBeDefined()
      expect(ours.error?.message).toBe(
        `public.e_mask(1): [${failing[0]}] REMOTE ERROR: failing ${failing[0]}`,
      )
      expect(ours.error?.code).toBe(real.error?.code)
    })
  })
})
