/**
 * `plproxy serve` with psql, compared against the real PL/Proxy 2.10.
 *
 * The proxy database has the real extension, the SQL/MED cluster and the same
 * proxy functions, so every statement can run twice: psql connected to the
 * proxy database directly (the real PL/Proxy answers) and psql connected to
 * plproxy serve in front of that same database (plproxy-ts answers the calls,
 * everything else is forwarded there). stdout and stderr must be the same,
 * byte for byte (PL/Proxy's "dropping stale conn" notice aside, a documented
 * difference).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPlproxy } from '../harness/shared-cluster.js'
import { countOnNodes, createDigoal, type DigoalEnv, psql, type RunResult, serveDigoal } from './serve-env.js'

const skip = skipWithoutPlproxy('plproxy serve: psql conformance')

/** Output with the documented difference (compatibility.md #10) removed. */
function comparable(r: RunResult): { code: number | null; stdout: string; stderr: string } {
  return {
    code: r.code,
    stdout: r.stdout,
    stderr: r.stderr.replace(
      /^(psql:<stdin>:\d+: )?NOTICE: {2}(PL\/Proxy: dropping stale conn|00000)\n/gm,
      '',
    ),
  }
}

describe.skipIf(skip)('plproxy serve: psql, differential against the real PL/Proxy', () => {
  let env: DigoalEnv
  let server: RunningServer
  const log: string[] = []

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_psql', { real: true, users: 200 })
    await env.cluster.query(env.proxyDb, 'create table public.t_desc (a int primary key, b text)')
    server = await serveDigoal(env, { log: (l) => log.push(l) })
  })
  afterAll(async () => {
    await server?.close({ graceful: false })
  })

  /** The same psql script against the real PL/Proxy and against plproxy serve. */
  async function both(script: string, args: readonly string[] = ['--csv']) {
    const input = `\\set VERBOSITY default\n${script}`
    const [real, ours] = await Promise.all([
      psql(env.cluster.port, env.proxyDb, args, { input }),
      psql(server.port, env.proxyDb, args, { input }),
    ])
    return { real: comparable(real), ours: comparable(ours) }
  }

  // PL/Proxy re-prints results with the proxy session's own output functions
  it.each([
    [
      'SET datestyle (reported by ParameterStatus)',
      "set datestyle = 'German';\nselect * from f_user_login(47);\nselect f_user_login(47);",
    ],
    [
      'SET datestyle, then a column subset and ORDER BY',
      "set datestyle = 'Postgres, DMY';\nselect o_birthday, o_userid from f_user_login(48);\nselect * from f_users(1, 9) order by 1 desc;",
    ],
  ])('%s: results in the session’s DateStyle, as PL/Proxy prints them', async (_what, script) => {
    const { real, ours } = await both(script)
    expect(real.stderr).toBe('')
    expect(real.stdout).not.toContain('-01-') // not ISO
    expect(ours).toEqual(real)
  })

  it('-c DateStyle in the startup options, before anything went to the proxy database: the same', async () => {
    const input = 'select o_birthday from f_user_login(42);\nshow datestyle;\nselect f_user_login(42);\n'
    const o = { input, env: { PGOPTIONS: '-c DateStyle=SQL,DMY' } }
    const [real, ours] = await Promise.all([
      psql(env.cluster.port, env.proxyDb, ['--csv'], o),
      psql(server.port, env.proxyDb, ['--csv'], o),
    ])
    expect(real.stdout).toContain('12/02/1970')
    expect(comparable(ours)).toEqual(comparable(real))
  })

  it('PGDATESTYLE at startup: the same', async () => {
    const input = 'select * from f_user_login(49);\nselect f_user_login(49);\n'
    const o = { input, env: { PGDATESTYLE: 'SQL, DMY' } }
    const [real, ours] = await Promise.all([
      psql(env.cluster.port, env.proxyDb, ['--csv'], o),
      psql(server.port, env.proxyDb, ['--csv'], o),
    ])
    expect(real.stdout).toMatch(/\d\d\/\d\d\/\d{4}/)
    expect(comparable(ours)).toEqual(comparable(real))
  })

  const calls: [string, string][] = [
    ['f_user_login, SELECT * FROM', 'select * from f_user_login(42);'],
    ['f_user_login, SELECT f()', 'select f_user_login(43);'],
    ['f_user_login, a column subset', 'select o_userid, o_qq from f_user_login(44);'],
    ['f_user_login, columns reordered and repeated', 'select o_qq, o_userid, o_qq from f_user_login(45);'],
    ['f_user_login, schema-qualified', 'select * from proxy.f_user_login(46);'],
    ['f_user_login, a column alias list', 'select * from f_user_login(47) as t(a, b);'],
    ['f_user_login, a cast argument', "select * from f_user_login('48'::int);"],
    ['f_user_login, an untyped literal argument', "select * from f_user_login('49');"],
    ['f_user_login, NULL (strict: a row of NULLs)', 'select * from f_user_login(null);'],
    ['f_user_login, SELECT f(NULL) (strict)', 'select f_user_login(null);'],
    ['f_user_login, a user that does not exist', 'select * from f_user_login(100000);'],
    [
      'f_user_login, SELECT f() of a user that does not exist (a record of NULLs)',
      'select f_user_login(100000);',
    ],
    ['f_user_login, a negative id', 'select * from f_user_login(-3);'],
    ['f_user_logout, SELECT f()', 'select f_user_logout(1);'],
    ['f_user_logout, SELECT * FROM', 'select * from f_user_logout(2);'],
    ['f_user_logout, its column', 'select o_result from f_user_logout(3);'],
    ['a RUN ON ALL set-returning function', 'select * from f_users(1, 20);'],
    ['a RUN ON ALL set-returning function, SELECT f()', 'select f_users(0, 9);'],
    ['remote NOTICE and WARNING reach the client', 'select f_notice(5);'],
    ['a text argument routed by hashtext', "select f_echo('hello');"],
    ['text with quotes, backslashes and non-ASCII', "select f_echo(E'it''s a \\\\ \"test\" ☃ 德哥');"],
    ['a dollar-quoted argument', 'select * from f_echo($q$dollar $ quoted$q$);'],
    ['a NULL text argument (not strict)', 'select f_echo(null);'],
    ['an empty string', "select f_echo('');"],
    [
      'two calls and a forwarded query in one Query message',
      'select f_user_logout(4); select 1 as one; select * from f_user_login(5);',
    ],
  ]

  it.each(calls)('%s: same output as PL/Proxy', async (_what, sql) => {
    const { real, ours } = await both(sql)
    expect(real.code).toBe(0)
    expect(ours).toEqual(real)
  })

  it.each([
    'select * from f_user_login(11); select f_user_logout(11)',
    'select f_user_logout(12); select f_fail(12); select 1',
    'select 1/0; select f_user_logout(13)',
    'begin; select f_fail(14); select 1; commit',
    'begin; select f_user_logout(15); commit; select f_user_login(15)',
    'select f_user_login(16); set application_name = x; show application_name',
  ])('psql -c %s (one Query message)', async (sql) => {
    const [real, ours] = await Promise.all([
      psql(env.cluster.port, env.proxyDb, ['--csv', '-c', sql]),
      psql(server.port, env.proxyDb, ['--csv', '-c', sql]),
    ])
    expect(comparable(ours)).toEqual(comparable(real))
  })

  const errors: [string, string][] = [
    ['a remote error', 'select f_fail(3);'],
    ['a remote error, SELECT * FROM', 'select * from f_fail(6);'],
    ['a function that does not exist', 'select * from nosuch(1);'],
    ['a function that does not exist, SELECT f()', 'select nosuch_either(1, 2);'],
    ['a syntax error', 'selec 1;'],
    ['a syntax error inside a call', 'select * from f_user_login(1;'],
    ['no such column of a proxy function', 'select o_nosuch from f_user_login(1);'],
    ['too many arguments', 'select * from f_user_login(1, 2);'],
    [
      'an argument of the wrong type (bigint has no implicit cast to int)',
      'select * from f_user_login(1::bigint);',
    ],
    ['an argument that does not parse', "select f_user_login('abc');"],
    ['an integer out of range', 'select f_user_login(3000000000);'],
  ]

  it.each(errors)('%s: the same error text as PostgreSQL/PL/Proxy', async (_what, sql) => {
    const { real, ours } = await both(sql)
    expect(real.stderr).toMatch(/ERROR:/)
    expect(ours).toEqual(real)
  })

  it('the same SQLSTATEs (VERBOSITY sqlstate)', async () => {
    const script = errors.map(([, sql]) => sql).join('\n')
    const input = `\\set VERBOSITY sqlstate\n${script}`
    const [real, ours] = await Promise.all([
      psql(env.cluster.port, env.proxyDb, [], { input }),
      psql(server.port, env.proxyDb, [], { input }),
    ])
    expect(comparable(ours).stderr).toEqual(comparable(real).stderr)
  })

  it('BEGIN; call; COMMIT', async () => {
    const { real, ours } = await both(
      'begin;\nselect * from f_user_login(21);\nselect f_user_logout(21);\ncommit;',
    )
    expect(ours).toEqual(real)
    expect(ours.stdout).toContain('COMMIT')
    expect(ours.stderr).toBe('')
  })

  it('an error inside a transaction: later statements get 25P02 until ROLLBACK', async () => {
    const script = `\\set VERBOSITY sqlstate
begin;
select f_user_logout(22);
select f_fail(22);
select * from f_user_login(22);
select f_user_logout(22);
select 1;
show search_path;
commit;
select f_user_logout(22);
begin;
select 1/0;
select * from f_user_login(23);
rollback;
select o_userid from f_user_login(23);
`
    const [real, ours] = await Promise.all([
      psql(env.cluster.port, env.proxyDb, ['--csv'], { input: script }),
      psql(server.port, env.proxyDb, ['--csv'], { input: script }),
    ])
    expect(comparable(ours)).toEqual(comparable(real))
    expect(ours.stderr.match(/25P02/g)?.length).toBe(5)
    // a failed transaction ends in ROLLBACK, and the session works again
    expect(ours.stdout).toMatch(/ROLLBACK\n(.|\n)*o_userid\n23\n$/)
  })

  it('ROLLBACK does not undo what a partition committed (PL/Proxy runs autocommit remotely)', async () => {
    const before = await countOnNodes(env, 'digoal.user_logout_rec')
    const r = await psql(server.port, env.proxyDb, [
      '-c',
      'begin',
      '-c',
      'select f_user_logout(30)',
      '-c',
      'rollback',
    ])
    expect(r.code).toBe(0)
    expect(await countOnNodes(env, 'digoal.user_logout_rec')).toBe(before + 1)
  })

  it.each([
    ['\\dn', '\\dn'],
    ['\\df proxy.*', '\\df proxy.*'],
    ['\\d of a table', '\\d public.t_desc'],
    ['\\l+ filtered', `\\l srv_psql_*`],
    ['\\conninfo-free catalog query', 'select count(*) > 0 as ok from pg_catalog.pg_class;'],
  ])('psql %s is forwarded: same output as the proxy database', async (_what, script) => {
    const { real, ours } = await both(script, [])
    expect(real.code).toBe(0)
    expect(ours).toEqual(real)
  })

  it('SET search_path: a proxy function off the path is not found, as in PostgreSQL', async () => {
    const { real, ours } = await both(
      'set search_path = public;\nselect * from f_user_login(1);\nselect o_userid from proxy.f_user_login(2);\nreset search_path;\nselect o_userid from f_user_login(3);',
    )
    expect(real.stderr).toContain('function f_user_login(integer) does not exist')
    expect(ours).toEqual(real)
  })

  it('COPY FROM STDIN and COPY TO STDOUT are forwarded', async () => {
    const script = `create temp table tcopy (a int, b text);
\\copy tcopy from stdin
1	one
2	two
\\.
copy tcopy to stdout;
select count(*) from tcopy;
select o_userid from f_user_login(4);
`
    const { real, ours } = await both(script, ['-At'])
    expect(real.stderr).toBe('')
    expect(ours).toEqual(real)
    expect(ours.stdout).toContain('1\tone\n2\ttwo\n2\n4\n')
  })

  it('SHOW plproxy.stats counts calls per function and per partition', async () => {
    const calls = 'select f_user_logout(100); select f_user_logout(101); select f_user_logout(102);'
    const before = await psql(server.port, env.proxyDb, ['--csv', '-c', 'show plproxy.stats'])
    expect(before.code).toBe(0)
    expect(before.stdout.split('\n')[0]).toBe('scope,name,calls,errors,total_ms,mean_ms,max_ms')
    const r = await psql(server.port, env.proxyDb, ['-c', calls])
    expect(r.code).toBe(0)
    const after = await psql(server.port, env.proxyDb, ['--csv', '-c', 'show plproxy.stats'])
    const rows = (out: string) =>
      new Map<string, { calls: number; errors: number }>(
        out
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => {
            const [scope, name, calls, errors] = line.split(',')
            return [`${scope} ${name}`, { calls: Number(calls), errors: Number(errors) }]
          }),
      )
    const b = rows(before.stdout)
    const a = rows(after.stdout)
    const logout = 'function proxy.f_user_logout'
    expect((a.get(logout)?.calls ?? 0) - (b.get(logout)?.calls ?? 0)).toBe(3)
    // 100, 101, 102 go to partitions 0, 1, 2
    for (const k of [0, 1, 2]) {
      const key = `partition digoal[${k}] ${env.nodes[k]}`
      expect((a.get(key)?.calls ?? 0) - (b.get(key)?.calls ?? 0), key).toBe(1)
    }
    expect(a.get('server connections')?.calls).toBeGreaterThanOrEqual(3)
    // an error counts as one
    const failBefore = a.get('function proxy.f_fail')?.errors ?? 0
    await psql(server.port, env.proxyDb, ['-c', 'select f_fail(1)'])
    const last = rows((await psql(server.port, env.proxyDb, ['--csv', '-c', 'show plproxy.stats'])).stdout)
    expect(last.get('function proxy.f_fail')?.errors).toBe(failBefore + 1)
  })

  describe('databases other than the proxy database pass through', () => {
    it('psql -d <a partition database> runs there', async () => {
      const r = await psql(server.port, env.nodes[2]!, [
        '-At',
        '-c',
        'select current_database()',
        '-c',
        'select count(*) from digoal.user_info',
      ])
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe(`${env.nodes[2]}\n50\n`)
    })

    it('\\c between databases', async () => {
      const script = `select current_database();
\\c ${env.nodes[1]}
select current_database();
select o_userid from digoal.f_user_login(5);
\\c ${env.proxyDb}
select current_database();
select o_userid, o_engname from f_user_login(5);
\\c ${env.nodes[3]}
select current_database();
`
      const r = await psql(server.port, env.proxyDb, ['-At'], { input: script })
      expect(r.stderr).toBe('')
      expect(r.stdout.split('\n').filter((l) => !l.startsWith('You are now connected'))).toEqual([
        env.proxyDb,
        env.nodes[1],
        '5',
        env.proxyDb,
        '5|eng5',
        env.nodes[3],
        '',
      ])
    })

    it('a database that does not exist: PostgreSQL’s FATAL', async () => {
      const r = await psql(server.port, 'srv_psql_no_such_db', ['-c', 'select 1'])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('FATAL:  database "srv_psql_no_such_db" does not exist')
    })
  })
})
