/**
 * The differential environment: partition databases, a proxy database running
 * the real PL/Proxy 2.10, and plproxy-ts loaded with the very same SQL files,
 * so that each call can go through both and be compared.
 *
 * Partition databases (all in the shared throwaway cluster, cloned from one
 * template) carry one remote function per proxy function. Every remote
 * function first calls `dfr_log()`, which stores `current_query()` — the exact
 * SQL text the partition received — in its `dfr_calls` table, and answers with
 * `current_database()` and its arguments (`quote_nullable`), so the answer
 * shows where it ran and what it got.
 *
 * Clusters (connect strings `host=127.0.0.1 port=<port> dbname=…`):
 *   c1, c4, c8   compat style: `plproxy.get_cluster_version/partitions/config`
 *                reading the table `plproxy.dfr_clusters` (c8 has config
 *                `connection_lifetime 1800`)
 *   c4m          SQL/MED server over the same four databases as c4
 *   m3           SQL/MED server, `modular_mapping '1'`, three databases
 *   one_a        SQL/MED server with one partition (the database of c4 #2)
 *   c2dup        compat, two partitions with the same connect string (c4 #0)
 *   slowc        SQL/MED server with `query_timeout '1'` (the database of c4 #1)
 *
 * plproxy-ts runs in three modes (see {@link Mode}); all get the SQL/MED DDL file
 * and the same functions file the real PL/Proxy was given.
 */
import pg from 'pg'
import type { ClusterObject } from '../../../src/runtime/cluster/objects.js'
import { hashtext } from '../../../src/runtime/hash/index.js'
import { createProxy, type PlProxy } from '../../../src/runtime/proxy.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, uniqueDbName } from '../../harness/shared-cluster.js'

/** Text values: node-postgres gives every column as PostgreSQL sent it. */
export const TEXT_TYPES = { getTypeParser: () => (v: string) => v }

export interface Notice {
  readonly severity: string
  readonly message: string
  readonly code?: string
  readonly detail?: string
  readonly hint?: string
}

export interface ErrorOutcome {
  readonly message: string
  readonly code?: string
  readonly detail?: string
  readonly hint?: string
  /** statement position (PL/Proxy forwards the remote one) */
  readonly position?: string
  /** CONTEXT (`Remote context: …`) */
  readonly where?: string
}

/** What one call did, in comparable form. */
export interface Outcome {
  readonly columns?: readonly { readonly name: string; readonly type: string }[]
  readonly rows?: readonly (readonly (string | null)[])[]
  readonly error?: ErrorOutcome
  readonly notices: readonly Notice[]
  /** database → the SQL texts it received (in arrival order), databases that received nothing left out */
  readonly remote: Readonly<Record<string, readonly string[]>>
}

export interface CallOptions {
  /** column definition list for RETURNS SETOF record functions */
  readonly columns?: readonly (readonly [string, string])[]
}

/**
 * How plproxy-ts gets the compat clusters c1/c4/c8: `live` reads plproxy.get_cluster_* in the
 * proxy database; `hybrid` has them as objects but still evaluates SQL expressions in the proxy
 * database; `objects` has no proxy database at all (helper functions in JavaScript).
 */
export type Mode = 'live' | 'hybrid' | 'objects'

/** PL/Proxy's notice on the call after a remote error: intended difference, kept out of comparisons. */
export const STALE_CONN = 'PL/Proxy: dropping stale conn'

// ---------------------------------------------------------------------------
// SQL sources

interface Param {
  readonly mode: 'in' | 'out' | 'inout'
  readonly name: string
  readonly type: string
}

function params(list: string): Param[] {
  if (!list.trim()) return []
  return list.split(',').map((p) => {
    const words = p.trim().split(/\s+/)
    let mode: Param['mode'] = 'in'
    if (/^(in|out|inout)$/i.test(words[0]!)) mode = words.shift()!.toLowerCase() as Param['mode']
    return { mode, name: words[0]!, type: words.slice(1).join(' ') }
  })
}

/** A proxy function and its remote twin. */
interface Def {
  readonly proxy: string
  readonly remote?: string
}

/**
 * `sig` like `r_text(a text) returns text`; the remote twin (same signature)
 * logs the query and answers `db|arg|arg…` (one row, or `return next` for SETOF).
 */
function fn(sig: string, body: string, opts: { remote?: string | null; strict?: boolean } = {}): Def {
  const m = /^("[^"]+"|\w+)\((.*)\)\s*(?:returns\s+(setof\s+)?(.+))?$/s.exec(sig)
  if (!m) throw new Error(`bad signature ${sig}`)
  const [, name, list, setof] = m
  const proxy = `create function ${sig.trim()} as $$\n  ${body}\n$$ language plproxy${opts.strict ? ' strict' : ''};`
  if (opts.remote === null) return { proxy }
  if (opts.remote !== undefined) return { proxy, remote: opts.remote }
  const ins = params(list!).filter((p) => p.mode !== 'out')
  const value = `concat_ws('|', current_database()${ins.map((p) => `, quote_nullable(${p.name})`).join('')})`
  const remote = `create function ${name}(${list}) returns ${setof ? 'setof ' : ''}text language plpgsql as $f$
begin
  perform dfr_log();
  ${setof ? `return next ${value};` : `return ${value};`}
end $f$;`
  return { proxy, remote }
}

/** A remote plpgsql function body with the logging call in front. */
function plpgsql(sig: string, body: string): string {
  return `create function ${sig} language plpgsql as $f$
${body.includes('declare') ? '' : 'begin\n  perform dfr_log();\n'}${body}
end $f$;`
}

function routingSet(cluster: string, s: string): Def[] {
  return [
    fn(`r_text${s}(a text) returns text`, `cluster '${cluster}'; run on hashtext(a);`),
    fn(`r_int${s}(i int4) returns text`, `cluster '${cluster}'; run on i;`),
    fn(`r_dollar${s}(a text, i int4) returns text`, `cluster '${cluster}'; run on $2;`),
    fn(`r_int2${s}(i int2) returns text`, `cluster '${cluster}'; run on i;`),
    fn(`r_int8${s}(i int8) returns text`, `cluster '${cluster}'; run on i;`),
    fn(`r_hint8${s}(i int8) returns text`, `cluster '${cluster}'; run on hashint8(i);`),
    fn(`r_all${s}(a text) returns setof text`, `cluster '${cluster}'; run on all;`),
    fn(`r_any${s}(a text) returns text`, `cluster '${cluster}'; run on any;`),
    fn(`r_default${s}(a text) returns text`, `cluster '${cluster}';`),
    fn(`r_nr${s}(a text) returns text`, `cluster '${cluster}'; run on 3;`),
    fn(`r_oob${s}(a text) returns text`, `cluster '${cluster}'; run on 4;`),
  ]
}

function definitions(connstr: (db: string) => string, db: Databases): Def[] {
  return [
    ...routingSet('c4', ''),
    ...routingSet('c4m', '_m'),
    // 8 and 1 partitions (compat), 3 partitions with modular mapping (SQL/MED)
    fn(`r8_text(a text) returns text`, `cluster 'c8'; run on hashtext(a);`),
    fn(`r8_int(i int4) returns text`, `cluster 'c8'; run on i;`),
    fn(`r8_int2(i int2) returns text`, `cluster 'c8'; run on i;`),
    fn(`r8_int8(i int8) returns text`, `cluster 'c8'; run on i;`),
    fn(`r8_hint2(i int2) returns text`, `cluster 'c8'; run on hashint2(i);`),
    fn(`r8_all(a text) returns setof text`, `cluster 'c8'; run on all;`),
    fn(`r1_text(a text) returns text`, `cluster 'c1'; run on hashtext(a);`),
    fn(`r1_all(a text) returns setof text`, `cluster 'c1'; run on all;`),
    fn(`r1_nr(a text) returns text`, `cluster 'c1'; run on 1;`),
    fn(`m_int(i int4) returns text`, `cluster 'm3'; run on i;`),
    fn(`m_int2(i int2) returns text`, `cluster 'm3'; run on i;`),
    fn(`m_int8(i int8) returns text`, `cluster 'm3'; run on i;`),
    fn(`m_text(a text) returns text`, `cluster 'm3'; run on hashtext(a);`),
    fn(`m_all(a text) returns setof text`, `cluster 'm3'; run on all;`),
    fn(`m_any(a text) returns text`, `cluster 'm3'; run on any;`),
    fn(`m_oob(a text) returns text`, `cluster 'm3'; run on 3;`),
    // user SQL functions in the proxy database as hash
    fn(`u_hash(a text) returns text`, `cluster 'c4'; run on dfr_hash(a);`),
    fn(`u_hash8(a text) returns text`, `cluster 'c8'; run on dfr_hash8(a);`),
    fn(`u_hash2(a text) returns text`, `cluster 'c8'; run on dfr_hash2(a);`),
    fn(`u_m3hash8(a text) returns text`, `cluster 'm3'; run on dfr_hash8(a);`),
    fn(`u_hashes(n int4) returns setof text`, `cluster 'c4'; run on dfr_hashes(n);`),
    fn(`u_hashes1(n int4) returns text`, `cluster 'c4'; run on dfr_hashes(n);`),
    fn(`u_badhash(a text) returns text`, `cluster 'c4'; run on dfr_badhash(a);`),
    fn(`u_nullhash(a text) returns text`, `cluster 'c4'; run on dfr_nullhash(a);`),
    // expressions plproxy-ts evaluates natively (PL/Proxy runs them in the proxy database)
    fn(`x_lower(a text) returns text`, `cluster 'c8'; run on hashtext(lower(a));`),
    fn(`x_upper(a text) returns text`, `cluster 'c8'; run on hashtext(upper(a));`),
    fn(`x_ascii(a text) returns text`, `cluster 'c8'; run on ascii(a);`),
    fn(`x_length(a text) returns text`, `cluster 'm3'; run on length(a);`),
    fn(`x_btrim(a text) returns text`, `cluster 'c8'; run on hashtext(btrim(a));`),
    fn(`x_ltrim(a text) returns text`, `cluster 'c8'; run on hashtext(ltrim(a));`),
    fn(`x_rtrim(a text) returns text`, `cluster 'c8'; run on hashtext(rtrim(a));`),
    fn(`x_concat(a text, b text) returns text`, `cluster 'c8'; run on hashtext(a || '/' || b);`),
    fn(`x_abs(i int4) returns text`, `cluster 'm3'; run on abs(i);`),
    fn(`x_abs2(i int2) returns text`, `cluster 'c8'; run on abs(i);`),
    fn(`x_abs8(i int8) returns text`, `cluster 'm3'; run on abs(i);`),
    fn(`x_ops(i int4, j int4) returns text`, `cluster 'm3'; run on abs(i * j - i / j + j % 7);`),
    fn(`x_ops2(i int2, j int2) returns text`, `cluster 'c8'; run on abs(i + j);`),
    fn(`x_ops8(i int8, j int4) returns text`, `cluster 'm3'; run on abs(i - j * 3);`),
    fn(`x_bits(i int4, j int4) returns text`, `cluster 'c8'; run on hashint4(i & j | i # 5);`),
    fn(`x_cast8(i int4) returns text`, `cluster 'm3'; run on hashint8(i::int8 * 3);`),
    fn(`x_totext(i int8) returns text`, `cluster 'c8'; run on hashtext(i::text);`),
    fn(`x_fromtext(a text) returns text`, `cluster 'c8'; run on hashint4(a::int4);`),
    fn(`x_int2(i int4) returns text`, `cluster 'c8'; run on hashint2(int2(i));`),
    fn(`x_neg(i int4) returns text`, `cluster 'm3'; run on abs(-i);`),
    // SPLIT
    fn(`s_one(a text[]) returns setof text`, `cluster 'c4'; split a; run on hashtext(a);`),
    fn(`s_two(a text[], b int4[], c text) returns setof text`, `cluster 'c4'; split a, b; run on b;`),
    fn(`s_all(a int4[], b text[], c int4) returns setof text`, `cluster 'c4'; split all; run on a;`),
    fn(`s_noarr(i int4, a text) returns setof text`, `cluster 'c4'; split all; run on i;`),
    fn(`s_whole(a text[], b text[]) returns setof text`, `cluster 'c4'; split a; run on hashtext(a);`),
    fn(`s_runall(a int4[], t text) returns setof text`, `cluster 'c4'; split a; run on all;`),
    fn(`s_nr(a int4[]) returns setof text`, `cluster 'c4'; split a; run on 2;`),
    fn(`s_scalar(a text[]) returns text`, `cluster 'c4'; split a; run on hashtext(a);`),
    fn(`s_user(a text[]) returns setof text`, `cluster 'c8'; split a; run on dfr_hash(a);`),
    fn(`s_userset(a int4[]) returns setof text`, `cluster 'c4'; split a; run on dfr_hashes(a);`),
    fn(`s_any(a int4[]) returns setof text`, `cluster 'c4'; split a; run on any;`),
    fn(`s_m3(a int8[], b text) returns setof text`, `cluster 'm3'; split a; run on a;`),
    fn(`s_c8(a int2[], b text[]) returns setof text`, `cluster 'c8'; split a, b; run on a;`),
    // TARGET and custom SELECT
    fn(`t_target(a text, i int4) returns text`, `cluster 'c4'; run on i; target dfr_impl;`, {
      remote: fn(`dfr_impl(a text, i int4) returns text`, '').remote,
    }),
    fn(
      `t_target_out(i int4, out db text, out v text)`,
      `cluster 'c4'; run on i; target public.dfr_impl_out;`,
      {
        remote: plpgsql(
          'dfr_impl_out(i int4, out db text, out v text)',
          `  db := current_database();\n  v := 'i=' || i;`,
        ),
      },
    ),
    fn(`q_reorder(a text, b int4, c text) returns text`, `cluster 'c4'; run on b; select dfr_q(c, a, b);`, {
      remote: fn(`dfr_q(x text, y text, z int4) returns text`, '').remote,
    }),
    fn(
      `q_cols(a int4, b text, out x text, out y int4)`,
      `cluster 'c4'; run on a; select b || '@' || current_database() as x, a as y from dfr_log();`,
      { remote: null },
    ),
    fn(
      `q_few(i int4, out a text, out b text)`,
      `cluster 'c4'; run on i; select 'x'::text as a from dfr_log();`,
      {
        remote: null,
      },
    ),
    fn(
      `q_many(i int4, out a text, out b text)`,
      `cluster 'c4'; run on i; select 'x'::text as a, 'y'::text as b, 'z'::text as c from dfr_log();`,
      { remote: null },
    ),
    fn(
      `q_missing(i int4, out a text, out b text)`,
      `cluster 'c4'; run on i; select 'x'::text as a, 'y'::text as c from dfr_log();`,
      { remote: null },
    ),
    fn(
      `q_swapped(i int4, out a text, out b text)`,
      `cluster 'c4'; run on i; select 'B'::text as b, 'A'::text as a from dfr_log();`,
      { remote: null },
    ),
    fn(
      `q_case(i int4, out a text, out "B" text)`,
      `cluster 'c4'; run on i; select 'x'::text as a, 'y'::text as b from dfr_log();`,
      { remote: null },
    ),
    fn(
      `q_scalar2(i int4) returns text`,
      `cluster 'c4'; run on i; select 'a'::text, 'b'::text from dfr_log();`,
      {
        remote: null,
      },
    ),
    fn(`q_badval(i int4) returns int4`, `cluster 'c4'; run on i; select 'abc'::text from dfr_log();`, {
      remote: null,
    }),
    fn(
      `q_badval2(i int4, out n int4, out t text)`,
      `cluster 'c4'; run on i; select '1.5'::text as n, 'x'::text as t from dfr_log();`,
      { remote: null },
    ),
    fn(
      `q_norm(i int4, out n int4, out b bool, out f float4, out d date)`,
      `cluster 'c4'; run on i; select ' 42 '::text as n, 'TRUE'::text as b, '1.2345678901234'::text as f, '2024-1-2'::text as d from dfr_log();`,
      { remote: null },
    ),
    fn(
      `q_nocast(i int4, out n int4, out t text)`,
      `cluster 'c4'; run on i; select i * 2 as n, 'v' || i as t from dfr_log();`,
      { remote: null },
    ),
    fn(
      `q_rows(n int4) returns setof text`,
      `cluster 'c4'; run on all; select 'r' || g from generate_series(1, n) g, dfr_log();`,
      {
        remote: null,
      },
    ),
    fn(`q_badcol(i int4) returns text`, `cluster 'c4'; run on i; select nosuchcol from dfr_log();`, {
      remote: null,
    }),
    fn(`"MixedCase"(i int4) returns text`, `cluster 'c4'; run on i;`),
    // one database listed twice: one connection
    fn(`d_all(a text) returns setof text`, `cluster 'c2dup'; run on all;`),
    fn(`d_int(i int4) returns text`, `cluster 'c2dup'; run on i;`),
    fn(`d_split(a int4[]) returns setof text`, `cluster 'c2dup'; split a; run on a;`),
    // query_timeout 1 (SQL/MED), the remote sleeps
    fn(`slow(s float8) returns text`, `cluster 'slowc'; run on 0;`, {
      remote: plpgsql('slow(s float8) returns text', `  perform pg_sleep(s);\n  return current_database();`),
    }),
    // the local hash function fails
    fn(`u_fail(a text) returns text`, `cluster 'c4'; run on dfr_fail(a);`),
    // CONNECT
    fn(`cn_str(a text) returns text`, `connect '${connstr(db.c4[2]!)}';`),
    fn(`cn_arg(cs text, a text) returns text`, `connect cs;`),
    fn(`cn_dollar(a text, cs text) returns text`, `connect $2;`),
    fn(`cn_fn(k int4, a text) returns text`, `connect dfr_connstr(k);`),
    fn(`cn_int(k int4) returns text`, `connect dfr_clusterint(k);`),
    // CLUSTER fn()
    fn(`cl_fn(k int4, a text) returns text`, `cluster dfr_cluster(k); run on 0;`),
    fn(`cl_two(k int4) returns text`, `cluster dfr_cluster2(k); run on 0;`),
    fn(`cl_int(k int4) returns text`, `cluster dfr_clusterint(k); run on 0;`),
    // dynamic RECORD
    fn(`dyn(n int4) returns setof record`, `cluster 'c4'; run on all;`, {
      remote: plpgsql(
        'dyn(n int4) returns setof record',
        `  return query select g, current_database()::text, g % 2 = 0 from generate_series(1, n) g;`,
      ),
    }),
    fn(`dyn1(n int4) returns record`, `cluster 'c4'; run on n;`, {
      remote: plpgsql(
        'dyn1(n int4) returns record',
        `  declare r record;\nbegin\n  perform dfr_log();\n  select n * 10, current_database()::text into r;\n  return r;`,
      ),
    }),
    // return shapes
    fn(`o_out(i int4, out db text, out x int4, inout s text)`, `cluster 'c4'; run on i;`, {
      remote: plpgsql(
        'o_out(i int4, out db text, out x int4, inout s text)',
        `  db := current_database();\n  x := i * 2;\n  s := coalesce(s, 'NULL') || '!';`,
      ),
    }),
    fn(`o_out1(i int4, out v text)`, `cluster 'c4'; run on i;`, {
      remote: plpgsql('o_out1(i int4, out v text)', `  v := current_database() || '/' || i;`),
    }),
    fn(`o_table(n int4) returns table(db text, k int4, v text)`, `cluster 'c4'; run on all;`, {
      remote: plpgsql(
        'o_table(n int4) returns table(db text, k int4, v text)',
        `  return query select current_database()::text, g, repeat('é', g) from generate_series(1, n) g;`,
      ),
    }),
    fn(`o_setof(n int4) returns setof rtype`, `cluster 'c4'; run on n;`, {
      remote: plpgsql(
        'o_setof(n int4) returns setof rtype',
        `  return query select g, case when g % 3 = 0 then null else current_database() || ' "q" ' || g end,
    array[g, null, -g], g % 2 = 0 from generate_series(1, abs(n % 5)) g;`,
      ),
    }),
    fn(`o_comp(n int4) returns rtype`, `cluster 'c4'; run on n;`, {
      remote: plpgsql(
        'o_comp(n int4) returns rtype',
        `  if n < 0 then return null; end if;\n  return row(n, current_database(), array[n, n + 1], n > 10)::rtype;`,
      ),
    }),
    fn(`o_numeric(x numeric) returns numeric`, `cluster 'c4'; run on 0;`, {
      remote: plpgsql('o_numeric(x numeric) returns numeric', `  return x * 2;`),
    }),
    fn(`o_arr(a int4[]) returns int4[]`, `cluster 'c4'; run on 1;`, {
      remote: plpgsql('o_arr(a int4[]) returns int4[]', `  return a || 99;`),
    }),
    fn(`o_textarr(a text[]) returns text[]`, `cluster 'c4'; run on 1;`, {
      remote: plpgsql('o_textarr(a text[]) returns text[]', `  return array_append(a, current_database());`),
    }),
    fn(`o_void(a text) returns void`, `cluster 'c4'; run on 2;`, {
      remote: plpgsql('o_void(a text) returns void', `  return;`),
    }),
    fn(`o_float(x float8) returns float4`, `cluster 'c4'; run on 0;`, {
      remote: plpgsql('o_float(x float8) returns float8', `  return x * 1.1;`),
    }),
    fn(`o_diff(i int4, out a int4, out b float4)`, `cluster 'c4'; run on 0;`, {
      remote: plpgsql('o_diff(i int4, out a int2, out b float8)', `  a := i;\n  b := i / 7.0;`),
    }),
    fn(`o_bytea(b bytea) returns bytea`, `cluster 'c4'; run on 0;`, {
      remote: plpgsql('o_bytea(b bytea) returns bytea', `  return b || '\\x00ff'::bytea;`),
    }),
    fn(`o_ts(t timestamptz) returns timestamptz`, `cluster 'c4'; run on 0;`, {
      remote: plpgsql('o_ts(t timestamptz) returns timestamptz', `  return t + interval '1 day 1 hour';`),
    }),
    fn(`o_json(j jsonb) returns jsonb`, `cluster 'c4'; run on 0;`, {
      remote: plpgsql(
        'o_json(j jsonb) returns jsonb',
        `  return j || jsonb_build_object('db', current_database());`,
      ),
    }),
    fn(`o_bool(b bool) returns bool`, `cluster 'c4'; run on 0;`, {
      remote: plpgsql('o_bool(b bool) returns bool', `  return not b;`),
    }),
    fn(`o_strict(a text, b int4) returns text`, `cluster 'c4'; run on b;`, { strict: true }),
    fn(`o_strict_set(a text) returns setof text`, `cluster 'c4'; run on all;`, { strict: true }),
    fn(`o_strict_out(i int4, out db text, out x int4)`, `cluster 'c4'; run on i;`, {
      strict: true,
      remote: plpgsql(
        'o_strict_out(i int4, out db text, out x int4)',
        `  db := current_database();\n  x := i;`,
      ),
    }),
    fn(`o_null(i int4) returns text`, `cluster 'c4'; run on i;`, {
      remote: plpgsql('o_null(i int4) returns text', `  return null;`),
    }),
    fn(`o_nullset(i int4) returns setof text`, `cluster 'c4'; run on all;`, {
      remote: plpgsql(
        'o_nullset(i int4) returns setof text',
        `  return next null;\n  return next current_database();`,
      ),
    }),
    // row counts of non-SETOF functions
    fn(`rc_zero(i int4) returns text`, `cluster 'c4'; run on i;`, {
      remote: plpgsql('rc_zero(i int4) returns setof text', `  return;`),
    }),
    fn(`rc_two(i int4) returns int4`, `cluster 'c4'; run on i;`, {
      remote: plpgsql('rc_two(i int4) returns setof int4', `  return next i;\n  return next i + 1;`),
    }),
    fn(`rc_zero_out(i int4, out a text, out b int4)`, `cluster 'c4'; run on i;`, {
      remote: plpgsql('rc_zero_out(i int4, out a text, out b int4) returns setof record', `  return;`),
    }),
    // remote errors
    fn(`e_raise(kind text, i int4) returns text`, `cluster 'c4'; run on i;`, {
      remote: plpgsql(
        'e_raise(kind text, i int4) returns text',
        `  case kind
    when 'plain' then raise exception 'boom % on %', i, current_database();
    when 'full' then raise exception using message = 'full boom', detail = 'the detail ' || i,
      hint = 'the hint', errcode = '22012';
    when 'detail' then raise exception 'only detail' using detail = 'd: ' || current_database();
    when 'hint' then raise exception 'only hint' using hint = 'h';
    when 'div' then perform 1 / (i - i);
    when 'unique' then raise unique_violation using message = 'dup ' || i;
    when 'custom' then raise exception 'custom state' using errcode = 'XY123';
    when 'unicode' then raise exception 'ünïcödé — % ✓', kind;
    when 'multiline' then raise exception E'line1\\nline2';
    else null;
  end case;
  return current_database() || '|' || kind;`,
      ),
    }),
    fn(`e_all(i int4) returns setof text`, `cluster 'c4'; run on all;`, {
      remote: plpgsql(
        'e_all(i int4) returns setof text',
        `  if right(current_database(), 2) = '_' || i then
    raise exception 'failing partition %', i using detail = current_database();
  end if;
  return next current_database();`,
      ),
    }),
    fn(`e_mask(mask int4) returns setof text`, `cluster 'c4'; run on all;`, {
      remote: plpgsql(
        'e_mask(mask int4) returns setof text',
        `  if (mask >> right(current_database(), 1)::int4) & 1 = 1 then
    raise exception 'failing %', current_database();
  end if;
  return next current_database();`,
      ),
    }),
    // remote notices
    fn(`n_notice(kind text, i int4) returns text`, `cluster 'c4'; run on i;`, {
      remote: plpgsql(
        'n_notice(kind text, i int4) returns text',
        `  case kind
    when 'notice' then raise notice 'hello %', i using detail = 'nd', hint = 'nh';
    when 'warning' then raise warning 'careful %', i;
    when 'info' then raise info 'info %', i;
    when 'coded' then raise notice 'coded notice' using errcode = '01000';
    when 'log' then raise log 'log line';
    when 'many' then raise notice 'one'; raise warning 'two'; raise notice 'three';
    when 'then_error' then raise notice 'before error'; raise exception 'after notice';
    else null;
  end case;
  return current_database();`,
      ),
    }),
    fn(`n_all(a text) returns setof text`, `cluster 'c4'; run on all;`, {
      remote: plpgsql(
        'n_all(a text) returns setof text',
        `  raise notice 'from % %', current_database(), a;\n  return next current_database();`,
      ),
    }),
  ]
}

// ---------------------------------------------------------------------------

export interface Databases {
  readonly c1: readonly string[]
  readonly c4: readonly string[]
  readonly c8: readonly string[]
  readonly m3: readonly string[]
}

function proxyHelpers(connstr: (db: string) => string, db: Databases): string {
  const cases = db.c4.map((d, i) => `when ${i} then '${connstr(d)}'`).join(' ')
  return `
create type rtype as (id int4, txt text, arr int4[], flag bool);

-- local functions PL/Proxy runs in the proxy database (RUN ON / CLUSTER / CONNECT)
create function dfr_hash(a text) returns int4 language sql immutable as $$ select length($1) * 7 - 10 $$;
create function dfr_hash8(a text) returns int8 language sql immutable
  as $$ select (hashtext($1)::int8 << 31) + length($1) $$;
create function dfr_hash2(a text) returns int2 language sql immutable as $$ select (length($1) - 5)::int2 $$;
create function dfr_hashes(n int4) returns setof int4 language sql
  as $$ select g * 3 from generate_series(1, $1) g $$;
create function dfr_badhash(a text) returns numeric language sql as $$ select length($1)::numeric $$;
create function dfr_fail(a text) returns int4 language plpgsql as $$
begin raise exception 'local failure: %', a using hint = 'local hint'; end $$;
create function dfr_nullhash(a text) returns int4 language sql as $$ select null::int4 $$;
create function dfr_cluster(k int4) returns text language sql as $$
  select case $1 when 0 then 'c1' when 1 then 'one_a' when 2 then null when 3 then 'nosuch' else 'c4' end $$;
create function dfr_cluster2(k int4) returns setof text language sql as $$ select 'c1' union all select 'c4' $$;
create function dfr_clusterint(k int4) returns int4 language sql as $$ select $1 $$;
create function dfr_connstr(k int4) returns text language sql as $$ select case $1 ${cases} end $$;
`
}

function compatSql(connstr: (db: string) => string, db: Databases): string {
  const arr = (dbs: readonly string[]) => `array[${dbs.map((d) => `'${connstr(d)}'`).join(', ')}]`
  return `
create schema plproxy;
create table plproxy.dfr_clusters (name text primary key, version int4 not null, partitions text[] not null,
  config text[] not null default '{}');
insert into plproxy.dfr_clusters values
  ('c1', 1, ${arr(db.c1)}, '{}'),
  ('c4', 1, ${arr(db.c4)}, '{}'),
  ('c8', 1, ${arr(db.c8)}, '{connection_lifetime,1800}'),
  ('c2dup', 1, ${arr([db.c4[0]!, db.c4[0]!])}, '{}');
create function plproxy.get_cluster_version(cluster_name text) returns int4 language plpgsql as $$
declare v int4;
begin
  select version into v from plproxy.dfr_clusters where name = cluster_name;
  if not found then raise exception 'no such cluster: %', cluster_name; end if;
  return v;
end $$;
create function plproxy.get_cluster_partitions(cluster_name text) returns setof text language sql as $$
  select p from plproxy.dfr_clusters, unnest(partitions) with ordinality u(p, n) where name = $1 order by n $$;
create function plproxy.get_cluster_config(in cluster_name text, out key text, out val text)
  returns setof record language sql as $$
  select config[2 * g - 1], config[2 * g] from plproxy.dfr_clusters, generate_series(1, array_length(config, 1) / 2) g
   where name = $1 $$;
`
}

function sqlmedSql(connstr: (db: string) => string, db: Databases): string {
  const opts = (dbs: readonly string[]) => dbs.map((d, i) => `p${i} '${connstr(d)}'`).join(', ')
  return `-- SQL/MED clusters of the differential tests
create extension if not exists plproxy;
create server c4m foreign data wrapper plproxy options (${opts(db.c4)});
create server m3 foreign data wrapper plproxy options (modular_mapping '1', ${opts(db.m3)});
create server one_a foreign data wrapper plproxy options (p0 '${connstr(db.c4[2]!)}');
create server slowc foreign data wrapper plproxy options (query_timeout '1', p0 '${connstr(db.c4[1]!)}');
create user mapping for public server c4m;
create user mapping for public server m3;
create user mapping for public server one_a;
create user mapping for public server slowc;
`
}

const PARTITION_BASE = `
create table dfr_calls (id bigserial primary key, q text not null);
create function dfr_log() returns void language sql as $$ insert into dfr_calls (q) values (current_query()) $$;
create type rtype as (id int4, txt text, arr int4[], flag bool);
`

// ---------------------------------------------------------------------------

export interface DiffEnv {
  readonly cluster: PgCluster
  readonly proxyDb: string
  readonly db: Databases
  /** every partition database */
  readonly partitionDbs: readonly string[]
  readonly connstr: (db: string) => string
  /** the proxy functions file (also holds the helper SQL functions and the composite type) */
  readonly functionsSql: string
  /** the SQL/MED clusters file */
  readonly clustersSql: string
  /** the compat clusters as objects (for plproxy-ts without proxy database) */
  readonly clusterObjects: Readonly<Record<string, ClusterObject>>
  readonly proxies: Readonly<Record<Mode, PlProxy>>
  /** runs through the real PL/Proxy */
  real(fn: string, args: readonly (string | null)[], opts?: CallOptions): Promise<Outcome>
  /** runs through plproxy-ts */
  ours(mode: Mode, fn: string, args: readonly (string | null)[], opts?: CallOptions): Promise<Outcome>
  /** runs through both, real first */
  both(
    fn: string,
    args: readonly (string | null)[],
    opts?: CallOptions & { mode?: Mode },
  ): Promise<{ real: Outcome; ours: Outcome }>
  /**
   * Decoded rows: node-postgres' default type parsers on the real PL/Proxy's answer, and
   * plproxy-ts' `call()` (arguments given as text); the remote logs are drained.
   */
  decoded(
    fn: string,
    args: readonly (string | null)[],
    mode?: Mode,
  ): Promise<{ real: Record<string, unknown>[]; ours: Record<string, unknown>[] }>
  /** NOTICEs `PL/Proxy: dropping stale conn` the real PL/Proxy sent so far */
  readonly staleDrops: number
  end(): Promise<void>
}

/** JavaScript twins of the helper SQL functions, for plproxy-ts without proxy database. */
function expressionFunctions(connstr: (db: string) => string, db: Databases) {
  const len = (a: unknown) => (a === null ? null : [...String(a)].length)
  return {
    dfr_hash: (a: unknown) => {
      const n = len(a)
      return n === null ? null : n * 7 - 10
    },
    dfr_hash8: (a: unknown) =>
      a === null ? null : (BigInt(hashtext(String(a))) << 31n) + BigInt([...String(a)].length),
    dfr_hash2: (a: unknown) => {
      const n = len(a)
      return n === null ? null : n - 5
    },
    dfr_hashes: (n: unknown) => {
      const out: number[] = []
      for (let g = 1; g <= Number(n ?? 0); g++) out.push(g * 3)
      return out
    },
    // a numeric answer: any non-integer type fails the same way
    dfr_badhash: (a: unknown) => (len(a) ?? 0) + 0.5,
    dfr_nullhash: () => null,
    dfr_fail: (a: unknown) => {
      throw new Error(`local failure: ${a}`)
    },
    dfr_cluster: (k: unknown) => ({ 0: 'c1', 1: 'one_a', 2: null, 3: 'nosuch' })[Number(k)] ?? 'c4',
    dfr_cluster2: () => ['c1', 'c4'],
    dfr_clusterint: (k: unknown) => Number(k),
    dfr_connstr: (k: unknown) => {
      const d = db.c4[Number(k)]
      return d === undefined ? null : connstr(d)
    },
  }
}

export async function createDiffEnv(prefix: string): Promise<DiffEnv> {
  const cluster = sharedCluster()
  const base = uniqueDbName(prefix)
  const connstr = (d: string) => cluster.connstr(d)
  const db: Databases = {
    c1: [`${base}_c1_0`],
    c4: [0, 1, 2, 3].map((i) => `${base}_c4_${i}`),
    c8: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${base}_c8_${i}`),
    m3: [0, 1, 2].map((i) => `${base}_m3_${i}`),
  }
  const partitionDbs = [...db.c1, ...db.c4, ...db.c8, ...db.m3]
  const defs = definitions(connstr, db)
  const remoteSql = PARTITION_BASE + defs.flatMap((d) => (d.remote ? [d.remote] : [])).join('\n')
  const functionsSql = `-- proxy functions of the differential tests\n${proxyHelpers(connstr, db)}\n${defs
    .map((d) => d.proxy)
    .join('\n')}\n`
  const clustersSql = sqlmedSql(connstr, db)

  // partition databases: one template, cloned
  const template = `${base}_tpl`
  await cluster.createDatabase(template)
  await cluster.query(template, remoteSql)
  for (const d of partitionDbs) await cluster.createDatabase(d, { template })
  // the proxy database with the real PL/Proxy
  const proxyDb = `${base}_proxy`
  await cluster.createDatabase(proxyDb)
  await cluster.query(proxyDb, 'create extension plproxy')
  await cluster.query(proxyDb, compatSql(connstr, db))
  await cluster.query(proxyDb, clustersSql)
  await cluster.query(proxyDb, functionsSql)

  const logClients = new Map<string, pg.Client>()
  for (const d of partitionDbs) {
    const c = new pg.Client(cluster.clientConfig(d))
    c.on('error', () => {})
    await c.connect()
    logClients.set(d, c)
  }
  const drain = async (): Promise<Record<string, string[]>> => {
    const out: Record<string, string[]> = {}
    await Promise.all(
      [...logClients].map(async ([d, c]) => {
        const r = await c.query<{ id: string; q: string }>('delete from dfr_calls returning id, q')
        if (r.rows.length) out[d] = r.rows.sort((x, y) => Number(x.id) - Number(y.id)).map((x) => x.q)
      }),
    )
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
  }

  const realClient = new pg.Client(cluster.clientConfig(proxyDb))
  realClient.on('error', () => {})
  await realClient.connect()
  let realNotices: Notice[] = []
  let staleDrops = 0
  realClient.on('notice', (n) => {
    if (n.message === STALE_CONN) {
      staleDrops++
      return
    }
    realNotices.push(
      clean({
        severity: n.severity ?? '',
        message: n.message ?? '',
        code: n.code,
        detail: n.detail,
        hint: n.hint,
      }),
    )
  })
  const typnames = new Map<number, string>(
    (
      await realClient.query<{ oid: number; typname: string }>(
        'select oid::int4 as oid, typname::text from pg_type',
      )
    ).rows.map((r) => [r.oid, r.typname]),
  )

  let ourNotices: Notice[] = []
  const onNotice = (n: {
    severity: string
    message: string
    code?: string
    detail?: string
    hint?: string
  }) => {
    ourNotices.push(
      clean({ severity: n.severity, message: n.message, code: n.code, detail: n.detail, hint: n.hint }),
    )
  }
  const functions = [{ file: 'functions.sql', text: functionsSql }]
  const clusterFile = { file: 'clusters.sql', text: clustersSql }
  const clusterObjects: Record<string, ClusterObject> = {
    c1: { partitions: db.c1.map(connstr) },
    c4: { partitions: db.c4.map(connstr) },
    c8: { partitions: db.c8.map(connstr), config: { connection_lifetime: '1800' } },
    c2dup: { partitions: [connstr(db.c4[0]!), connstr(db.c4[0]!)] },
  }
  const live = await createProxy({
    functions,
    clusters: [clusterFile],
    proxyDatabase: cluster.connstr(proxyDb, 'user=postgres'),
    user: 'postgres',
    clusterRefreshMs: 0,
    onNotice,
  })
  const hybrid = await createProxy({
    functions,
    clusters: [clusterFile, clusterObjects],
    proxyDatabase: cluster.connstr(proxyDb, 'user=postgres'),
    user: 'postgres',
    clusterRefreshMs: 0,
    onNotice,
  })
  const objects = await createProxy({
    functions,
    clusters: [clusterFile, clusterObjects],
    user: 'postgres',
    expressionFunctions: expressionFunctions(connstr, db),
    onNotice,
  })
  const proxies: Record<Mode, PlProxy> = { live, hybrid, objects }

  const real = async (
    fnName: string,
    args: readonly (string | null)[],
    opts: CallOptions = {},
  ): Promise<Outcome> => {
    realNotices = []
    const as = opts.columns ? ` as (${opts.columns.map(([n, t]) => `${n} ${t}`).join(', ')})` : ''
    const sql = `select * from ${fnName}(${args.map((_, i) => `$${i + 1}`).join(', ')})${as}`
    let result: Pick<Outcome, 'columns' | 'rows' | 'error'>
    try {
      const r = await realClient.query({ text: sql, values: [...args], rowMode: 'array', types: TEXT_TYPES })
      result = {
        columns: r.fields.map((f) => ({
          name: f.name,
          type: typnames.get(f.dataTypeID) ?? String(f.dataTypeID),
        })),
        rows: r.rows as (string | null)[][],
      }
    } catch (e) {
      if (!(e instanceof pg.DatabaseError)) throw e
      result = {
        error: clean({
          message: e.message,
          code: e.code,
          detail: e.detail,
          hint: e.hint,
          position: e.position,
          where: e.where,
        }),
      }
    }
    // partitions a failed call left running finish quickly; let their log rows land
    if (result.error) await new Promise((r) => setTimeout(r, 30))
    return { ...result, notices: realNotices, remote: await drain() }
  }

  const ours = async (
    mode: Mode,
    fnName: string,
    args: readonly (string | null)[],
    opts: CallOptions = {},
  ): Promise<Outcome> => {
    ourNotices = []
    let result: Pick<Outcome, 'columns' | 'rows' | 'error'>
    try {
      const r = await proxies[mode].callText(fnName, args, opts.columns ? { columns: opts.columns } : {})
      result = {
        columns: r.columns.map((c) => ({ name: c.name, type: c.type.typname })),
        rows: r.rows.map((row) => [...row]),
      }
    } catch (e) {
      const err = e as ErrorOutcome & { name?: string }
      if (err?.name !== 'PlProxyError') throw e
      result = {
        error: clean({
          message: err.message ?? '',
          code: err.code,
          detail: err.detail,
          hint: err.hint,
          position: err.position,
          where: err.where,
        }),
      }
    }
    if (result.error) await new Promise((r) => setTimeout(r, 30))
    return { ...result, notices: ourNotices, remote: await drain() }
  }

  const env: DiffEnv = {
    cluster,
    proxyDb,
    db,
    partitionDbs,
    connstr,
    functionsSql,
    clustersSql,
    clusterObjects,
    proxies,
    real,
    ours,
    async both(fnName, args, opts = {}) {
      const r = await real(fnName, args, opts)
      const o = await ours(opts.mode ?? 'hybrid', fnName, args, opts)
      return { real: r, ours: o }
    },
    async decoded(fnName, args, mode = 'hybrid') {
      const sql = `select * from ${fnName}(${args.map((_, i) => `$${i + 1}`).join(', ')})`
      const r = (await realClient.query(sql, [...args])).rows as Record<string, unknown>[]
      const o = await proxies[mode].call(fnName, args)
      await drain()
      return { real: r, ours: o }
    },
    get staleDrops() {
      return staleDrops
    },
    async end() {
      await Promise.allSettled([live.end(), hybrid.end(), objects.end()])
      await Promise.allSettled([realClient.end(), ...[...logClients.values()].map((c) => c.end())])
    },
  }
  return env
}

/** Drops undefined fields, so that `toEqual` compares what is there. */
export function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T
}

/** One line describing a call, for assertion messages. */
export function describeCall(
  fnName: string,
  args: readonly (string | null)[],
  opts: CallOptions = {},
): string {
  const shown = args.map((a) => (a === null ? 'NULL' : `'${a.replace(/'/g, "''")}'`)).join(', ')
  const as = opts.columns ? ` as (${opts.columns.map(([n, t]) => `${n} ${t}`).join(', ')})` : ''
  return `select * from ${fnName}(${shown})${as}`
}

/** A call to compare, and what the real PL/Proxy is expected to do with it (guards the setup). */
export interface Case {
  readonly fn: string
  readonly args: readonly (string | null)[]
  readonly columns?: readonly (readonly [string, string])[]
  /** the real PL/Proxy's error message must match this; otherwise it must return rows */
  readonly error?: RegExp
  /**
   * Several partitions fail: which one is reported is an intended difference (plproxy-ts: the
   * first in activation order; PL/Proxy: the first it sees), so `[db]` is not compared.
   */
  readonly severalFail?: boolean
  /**
   * Compare the CONTEXT line `SQL statement "<local query>"` PostgreSQL adds to errors of
   * local (RUN ON / CLUSTER / CONNECT) queries; by default it is left out, and a few cases
   * keep it to show that difference once.
   */
  readonly keepLocalContext?: boolean
  /** what is known about a difference, shown when the comparison fails */
  readonly note?: string
}

export function c(fnName: string, args: readonly (string | null)[], error?: RegExp): Case {
  return error ? { fn: fnName, args, error } : { fn: fnName, args }
}

/** The test title of a case. */
export function caseTitle(k: Case): string {
  const t = describeCall(k.fn, k.args, k)
  const title = t.length > 120 ? `${t.slice(0, 117)}...` : t
  return k.keepLocalContext ? `${title} [CONTEXT of the local query compared]` : title
}

/** Runs a case through both and returns the outcomes, after checking the real one is as planned. */
export async function runCase(
  env: DiffEnv,
  k: Case,
  mode: Mode = 'hybrid',
): Promise<{ real: Outcome; ours: Outcome }> {
  const args = k.args.map((a) => (a === null ? null : expand(env, a)))
  const r = await env.both(k.fn, args, { mode, ...(k.columns ? { columns: k.columns } : {}) })
  if (k.error) {
    if (!r.real.error || !k.error.test(r.real.error.message))
      throw new Error(`setup: PL/Proxy was expected to fail with ${k.error}, got ${JSON.stringify(r.real)}`)
  } else if (r.real.error) {
    throw new Error(`setup: PL/Proxy was expected to answer rows, got ${JSON.stringify(r.real.error)}`)
  }
  return r
}

/**
 * Placeholders in case arguments: `{{c4:2}}` is the connect string of c4's partition 2,
 * `{{port}}` the cluster's port.
 */
export function expand(env: DiffEnv, text: string): string {
  return text
    .replace(/\{\{(c1|c4|c8|m3):(\d+)\}\}/g, (_, name: keyof Databases, i: string) => {
      const d = env.db[name][Number(i)]
      if (d === undefined) throw new Error(`no partition ${name}:${i}`)
      return env.connstr(d)
    })
    .replace(/\{\{port\}\}/g, String(env.cluster.port))
}

/**
 * The outcomes as compared. After an error, which other partitions ran is timing (PL/Proxy
 * raises at once and leaves queries unsent or running; plproxy-ts waits for all), so the
 * remote SQL is only compared when at most one partition was involved.
 */
export function comparable(k: Case, real: Outcome, ours: Outcome): { real: Outcome; ours: Outcome } {
  if (!real.error && !ours.error) return { real, ours }
  const fanout = Object.keys(real.remote).length > 1 || Object.keys(ours.remote).length > 1
  const norm = (o: Outcome): Outcome => {
    let out = o
    if (!k.keepLocalContext && o.error?.where !== undefined) {
      const where = o.error.where
        .split('\n')
        .filter((line) => !line.startsWith('SQL statement "'))
        .join('\n')
      const { where: _, ...rest } = o.error
      out = { ...out, error: where ? { ...rest, where } : rest }
    }
    if (fanout && o.error) out = { ...out, remote: { '(not compared after an error)': [] } }
    if (k.severalFail && o.error)
      out = {
        ...out,
        error: { ...o.error, message: o.error.message.replace(/\[[^\]]*\] REMOTE/, '[<db>] REMOTE') },
      }
    return out
  }
  return { real: norm(real), ours: norm(ours) }
}

/** The message of a failed comparison. */
export function differs(k: Case, mode: Mode): string {
  const call = describeCall(k.fn, k.args, k)
  return `plproxy-ts (${mode}) differs from PL/Proxy 2.10 for ${call}${k.note ? ` — ${k.note}` : ''}`
}
