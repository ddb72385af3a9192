/**
 * `plproxy call` / `plproxy explain` as a user runs them, compared with the real PL/Proxy:
 * the same SQL files are loaded into a proxy database with `create extension plproxy`,
 * and `psql --csv -c "select * from f(args)"` must print byte for byte what
 * `plproxy call --format csv` prints (errors: `ERROR:  …` on stderr, exit status 1).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPlproxy, uniqueDbName } from '../../harness/shared-cluster.js'
import { cli, createPartitions, tempFile } from './helpers.js'

const skip = skipWithoutPlproxy('plproxy call vs the real PL/Proxy')

const REMOTE = (i: number) => `
  create function items(n int) returns table (id int, name text, price numeric, ok bool, tags text[],
      note text, f float8, d date, j json, b bytea, iv interval) language sql as $$
    select g * 10 + ${i}, 'item ' || g || ' of ${i}', (g * 1.5)::numeric(10, 2), g % 2 = 0,
           array['a', 'b c', null, 'd"e'], case g when 1 then null when 2 then 'x,y' else e'line1\\nline2 "q"' end,
           0.1::float8 + 0.2::float8 + g, date '2024-02-29' + g, json_build_object('k', g, 's', 'v"'),
           decode('00ff' || lpad(to_hex(g), 2, '0'), 'hex'), make_interval(days => g, secs => 1.5)
      from generate_series(1, n) g
  $$;
  create function echo(t text) returns text language sql as 'select t';
  create function echo_int(x int) returns int language sql as 'select x';
  create function strict_echo(t text) returns text language sql strict as 'select t';
  create function pair(x int, out a int, out b text) language sql as $$ select x, 'b' || x || '@${i}' $$;
  create function dyn(n int) returns setof record language sql as
    $$ select g, 'r' || g, g % 2 = 0 from generate_series(1, n) g $$;
  create function v() returns void language sql as '';
  create function boom(x int) returns int language plpgsql as $$
  begin raise exception 'boom %', x using detail = 'd', hint = 'h', errcode = '22023'; end $$;
  create function no_row() returns setof int language sql as 'select 1 where false';
`

describe.skipIf(skip)('plproxy call vs real PL/Proxy (psql)', () => {
  let pgc: PgCluster
  let parts: string[]
  let proxyDb: string
  let functions: string
  let clusters: string

  beforeAll(async () => {
    pgc = sharedCluster()
    parts = await createPartitions(pgc, 'clip', 2, (i) => REMOTE(i))
    clusters = tempFile(
      'cluster.sql',
      `create extension if not exists plproxy;
create server clic foreign data wrapper plproxy options (
  p0 '${pgc.connstr(parts[0]!)}',
  p1 '${pgc.connstr(parts[1]!)}');
create server clibad foreign data wrapper plproxy options (p0 '${pgc.connstr('nonexistent_db', 'password=secret')}');
create user mapping for public server clic;
create user mapping for public server clibad;
`,
    )
    functions = tempFile(
      'functions.sql',
      `create function items(n int) returns table (id int, name text, price numeric, ok bool, tags text[],
    note text, f float8, d date, j json, b bytea, iv interval) as $$
  cluster 'clic'; run on all;
$$ language plproxy;
create function echo(t text) returns text as $$ cluster 'clic'; run on 0; $$ language plproxy;
create function echo_int(x int) returns int as $$ cluster 'clic'; run on x; $$ language plproxy;
create function strict_echo(t text) returns text as $$ cluster 'clic'; run on 1; $$ language plproxy strict;
create function pair(x int, out a int, out b text) as $$ cluster 'clic'; run on x; $$ language plproxy;
create function dyn(n int) returns setof record as $$ cluster 'clic'; run on all; $$ language plproxy;
create function v() returns void as $$ cluster 'clic'; run on 1; $$ language plproxy;
create function boom(x int) returns int as $$ cluster 'clic'; run on 0; $$ language plproxy;
create function no_row() returns int as $$ cluster 'clic'; run on 0; $$ language plproxy;
create function bad() returns int as $$ cluster 'clibad'; run on 0; target no_row; $$ language plproxy;
`,
    )
    proxyDb = uniqueDbName('clip_proxy')
    await pgc.createDatabase(proxyDb)
    for (const file of [clusters, functions]) {
      const r = await pgc.psql(proxyDb, '', ['-v', 'ON_ERROR_STOP=1', '-q', '-f', file])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
    }
  })

  const psql = (sql: string, ...opts: string[]) =>
    pgc.psql(proxyDb, '', ['-v', 'VERBOSITY=terse', '-P', 'pager=off', ...opts, '-c', sql])
  const call = (format: string, ...rest: string[]) =>
    cli(
      'call',
      '--functions',
      functions,
      '--clusters',
      clusters,
      '--user',
      'postgres',
      '--format',
      format,
      ...rest,
    )

  const cases: [string, string[], string][] = [
    ['composite rows of many types from RUN ON ALL', ['items', '3'], 'select * from items(3)'],
    ['no rows', ['items', '0'], 'select * from items(0)'],
    ['text needing CSV quotes', ['echo', 'a,"b"\nc'], `select * from echo(e'a,"b"\\nc')`],
    ['the NULL literal', ['echo', 'NULL'], 'select * from echo(NULL)'],
    ['the string "null" is not NULL', ['echo', 'null'], "select * from echo('null')"],
    ['an empty string', ['echo', ''], "select * from echo('')"],
    ['a negative number after --', ['--', 'echo_int', '-1'], 'select * from echo_int(-1)'],
    ['a strict function with a NULL argument', ['strict_echo', 'NULL'], 'select * from strict_echo(NULL)'],
    ['OUT parameters', ['pair', '3'], 'select * from pair(3)'],
    ['void', ['v'], 'select * from v()'],
  ]

  for (const [what, args, sql] of cases) {
    it(`--format csv equals psql --csv: ${what}`, async () => {
      const ours = await call('csv', ...args)
      const theirs = await psql(sql, '--csv')
      expect(theirs.stderr).toBe('')
      expect(ours).toEqual({ code: 0, stdout: theirs.stdout, stderr: '' })
    })
  }

  it('--format table equals psql aligned output', async () => {
    for (const [args, sql] of [
      [['items', '2'], 'select * from items(2)'],
      [['pair', '2'], 'select * from pair(2)'],
      [['echo', 'NULL'], 'select * from echo(NULL)'],
    ] as const) {
      const ours = await call('table', ...args)
      const theirs = await psql(sql)
      expect(ours).toEqual({ code: 0, stdout: theirs.stdout, stderr: '' })
    }
  })

  it('--columns for RETURNS SETOF record equals a column definition list', async () => {
    const ours = await call('csv', '--columns', 'id int, "Name" text, even bool', 'dyn', '2')
    const theirs = await psql('select * from dyn(2) as (id int, "Name" text, even bool)', '--csv')
    expect(theirs.stderr).toBe('')
    expect(ours).toEqual({ code: 0, stdout: theirs.stdout, stderr: '' })
  })

  it('--args-json passes JSON values (null is NULL)', async () => {
    const ours = await call('csv', '--args-json', '[3]', 'pair')
    expect(ours).toEqual({
      code: 0,
      stdout: (await psql('select * from pair(3)', '--csv')).stdout,
      stderr: '',
    })
    const nul = await call('csv', '--args-json', '[null]', 'echo')
    expect(nul).toEqual({
      code: 0,
      stdout: (await psql('select * from echo(NULL)', '--csv')).stdout,
      stderr: '',
    })
    const str = await call('csv', '--args-json', '["NULL"]', 'echo')
    expect(str).toEqual({
      code: 0,
      stdout: (await psql("select * from echo('NULL')", '--csv')).stdout,
      stderr: '',
    })
  })

  it('--format json prints the rows as one JSON array of text values', async () => {
    const r = await call('json', 'pair', '5')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual([{ a: '5', b: `b5@${1}` }])
    const n = await call('json', 'echo', 'NULL')
    expect(JSON.parse(n.stdout)).toEqual([{ echo: null }])
  })

  it('a remote error: psql\'s terse "ERROR:  …" on stderr and exit status 1', async () => {
    const ours = await call('csv', 'boom', '7')
    const theirs = await psql('select * from boom(7)', '--csv')
    expect(theirs.stderr).toBe(`ERROR:  public.boom(1): [${parts[0]}] REMOTE ERROR: boom 7\n`)
    expect(ours).toEqual({ code: 1, stdout: '', stderr: theirs.stderr })
  })

  it('a non-SETOF function without a row: the same P0002 message', async () => {
    const ours = await call('csv', 'no_row')
    const theirs = await psql('select * from no_row()', '--csv')
    expect(ours).toEqual({ code: 1, stdout: '', stderr: theirs.stderr })
  })

  it('a partition database that does not exist: the same message, password never shown', async () => {
    const ours = await call('csv', 'bad')
    const theirs = await psql('select * from bad()', '--csv')
    expect(theirs.stderr).toContain('PQconnectPoll')
    expect(ours.code).toBe(1)
    expect(ours.stderr).not.toContain('secret')
    expect(
      ours.stderr,
      'libpq messages end with a newline, which PL/Proxy keeps in its error text (psql prints an empty line after it)',
    ).toBe(theirs.stderr)
  })

  it('an unknown function: exit status 1 and a PostgreSQL-like message', async () => {
    const ours = await call('csv', 'nope', '1')
    expect(ours.code).toBe(1)
    expect(ours.stdout).toBe('')
    expect(ours.stderr).toBe('ERROR:  function nope(unknown) does not exist\n')
  })
})

describe.skipIf(skip)('plproxy explain', () => {
  let pgc: PgCluster
  let clusters: string
  let functions: string

  beforeAll(() => {
    pgc = sharedCluster()
    clusters = tempFile(
      'clusters.json',
      JSON.stringify({
        c: {
          partitions: [pgc.connstr('a'), pgc.connstr('b', "password='pw'")],
          config: { query_timeout: 3 },
        },
      }),
    )
    functions = tempFile(
      'f.sql',
      `create function get(id int8, name text) returns setof text as $$
  cluster 'c'; run on hashint8(id);
$$ language plproxy;
create function s(ids int[]) returns setof int as $$ cluster 'c'; split ids; run on ids; $$ language plproxy;
create function dyn() returns setof record as $$ cluster 'c'; run on all; $$ language plproxy;
`,
    )
  })

  const explain = (...rest: string[]) =>
    cli('explain', '--functions', functions, '--clusters', clusters, '--user', 'alice', ...rest)

  it('prints the cluster, the hash, the partition, the SQL and the parameters', async () => {
    const r = await explain('get', '42', "it's")
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    // hashint8(42) = 1509752520 (PostgreSQL 15): 1509752520 & 1 = 0
    expect(r.stdout).toBe(
      [
        'function:  public.get',
        'cluster:   c (object, version 1, 2 partitions)',
        'user:      alice',
        'run:       RunOnHash (hash 1509752520)',
        `partition 0: ${pgc.connstr('a')} user='alice'`,
        '  select r::text from public.get($1::int8,$2::text) r',
        "  $1 = '42'",
        "  $2 = 'it''s'",
        '',
      ].join('\n'),
    )
  })

  it('SPLIT: one line per tagged connection with its array; passwords masked', async () => {
    const r = await explain('s', '{0,1,2,3}')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`partition 0: ${pgc.connstr('a')} user='alice'\n`)
    expect(r.stdout).toContain(`partition 1: ${pgc.connstr('b', "password='********'")} user='alice'\n`)
    expect(r.stdout).toContain("  $1 = '{0,2}'\n")
    expect(r.stdout).toContain("  $1 = '{1,3}'\n")
    expect(r.stdout).not.toContain('pw')
  })

  it('--format json: the explanation and the plan', async () => {
    const r = await explain('--format', 'json', 'get', '42', 'x')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({
      function: 'public.get',
      cluster: { name: 'c', source: 'object', partitions: 2, config: { queryTimeout: 3 } },
      user: 'alice',
      run: 'RunOnHash',
      hashes: ['1509752520'],
      plan: { kind: 'RoutingPlan' },
    })
    expect(doc.connections).toHaveLength(1)
  })

  it('--columns is used by explain for dynamic records too', async () => {
    const r = await explain('--columns', 'a int, b text', 'dyn')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('  select a::int4, b::text from public.dyn() as (a int4, b text)\n')
  })

  it('usage errors exit with status 2', async () => {
    expect(await cli('call', 'get', '1')).toMatchObject({
      code: 2,
      stderr: 'plproxy: --functions <file.sql> is required\n',
    })
    const both = await cli('call', '--functions', functions, '--args-json', '[1]', 'get', '1')
    expect(both).toMatchObject({
      code: 2,
      stderr: 'plproxy: give the arguments either positionally or with --args-json, not both\n',
    })
    const notArray = await cli('call', '--functions', functions, '--args-json', '{"a":1}', 'get')
    expect(notArray).toMatchObject({ code: 2, stderr: 'plproxy: --args-json must be a JSON array\n' })
    const badFormat = await cli('call', '--functions', functions, '--format', 'xml', 'get')
    expect(badFormat.code).toBe(2)
  })
})
