/**
 * Remote errors and notices as PL/Proxy re-raises them (spec §6.5–6.6): the remote
 * SQLSTATE kept, `Remote detail:` / `Remote hint:` / `Remote context:`, notices
 * delivered in order before the rows, NOTICE for class 00 and WARNING otherwise.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PlProxyError, type ProxyNotice } from '../../../src/runtime/errors.js'
import { createProxy, type PlProxy } from '../../../src/runtime/proxy.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres } from '../../harness/shared-cluster.js'
import { createPartitions, rejection, tempFile } from './helpers.js'

const skip = skipWithoutPostgres('remote errors and notices')

const remote = (i: number) => `
  create table t (id int primary key);
  insert into t values (1);
  create function boom() returns int language plpgsql as $$
  begin
    raise exception 'boom %', ${i} using detail = 'the detail', hint = 'the hint', errcode = 'P0001';
  end $$;
  create function dup() returns int language sql as 'insert into t values (1) returning id';
  create function div(x int) returns int language sql as 'select 1 / x';
  create function chatty(x int) returns setof int language plpgsql as $$
  begin
    raise notice 'n1 from ${i}';
    raise warning 'w1 from ${i}' using detail = 'wd', hint = 'wh';
    raise info 'i1 from ${i}';
    raise notice 'odd class from ${i}' using errcode = '22012';
    return next x;
    return next x + 1;
  end $$;
  create function chatty_fail() returns int language plpgsql as $$
  begin
    raise notice 'before the error';
    raise exception 'after the notice';
  end $$;
  create function only_one_fails() returns setof int language plpgsql as $$
  begin
    if ${i} = 1 then raise exception 'partition ${i} failed' using errcode = '22023'; end if;
    return next ${i};
  end $$;
  create function rows(n int) returns setof int language sql as 'select generate_series(1, n)';
  create function suicide() returns int language sql as 'select 1 from pg_terminate_backend(pg_backend_pid())';
`

const PROXY = `
  create function boom() returns int as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function dup() returns int as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function div(x int) returns int as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function nothere(x int) returns int as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function chatty(x int) returns setof int as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function chatty_all(x int) returns setof int as $$ cluster 'c'; run on all; target chatty; $$ language plproxy;
  create function chatty_fail() returns int as $$ cluster 'c'; run on 0; $$ language plproxy;
  create function only_one_fails() returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;
  create function one_row(n int) returns int as $$ cluster 'c'; run on 0; target rows; $$ language plproxy;
  create function suicide() returns int as $$ cluster 'c'; run on 1; $$ language plproxy;
`

describe.skipIf(skip)('remote errors and notices', () => {
  let pgc: PgCluster
  let dbs: string[]
  let proxy: PlProxy
  const events: string[] = []
  const notices: ProxyNotice[] = []

  beforeAll(async () => {
    pgc = sharedCluster()
    dbs = await createPartitions(pgc, 'rerr', 2, (i) => remote(i))
    proxy = await createProxy({
      functions: PROXY,
      clusters: { c: { partitions: dbs.map((d) => pgc.connstr(d)) } },
      user: 'postgres',
      onNotice: (n) => {
        notices.push(n)
        events.push(`${n.severity}: ${n.message}`)
      },
    })
  })

  afterAll(async () => {
    await proxy?.end()
  })

  const reset = () => {
    events.length = 0
    notices.length = 0
  }

  it('a remote exception keeps its SQLSTATE and forwards detail, hint and context', async () => {
    const e = await rejection(proxy.call('boom'))
    expect(e).toBeInstanceOf(PlProxyError)
    expect(e.message).toBe(`public.boom(0): [${dbs[0]}] REMOTE ERROR: boom 0`)
    expect(e.code).toBe('P0001')
    expect(e.severity).toBe('ERROR')
    expect(e.detail).toBe('Remote detail: the detail')
    expect(e.hint).toBe('Remote hint: the hint')
    expect(e.where).toBe('Remote context: PL/pgSQL function boom() line 3 at RAISE')
    const err = e as unknown as PlProxyError
    expect(err.remote).toMatchObject({ message: 'boom 0', code: 'P0001', detail: 'the detail' })
    expect(err.partition).toMatchObject({ partitions: [0], database: dbs[0] })
    expect(err.function).toBe('public.boom')
  })

  it('constraint violations keep SQLSTATE and the constraint fields', async () => {
    const e = await rejection(proxy.call('dup'))
    expect(e.code).toBe('23505')
    expect(e.message).toBe(
      `public.dup(0): [${dbs[0]}] REMOTE ERROR: duplicate key value violates unique constraint "t_pkey"`,
    )
    expect(e.detail).toBe('Remote detail: Key (id)=(1) already exists.')
    expect(e.constraint).toBe('t_pkey')
    expect(e.table).toBe('t')
    expect(e.schema).toBe('public')
    expect(e.where).toBe('Remote context: SQL function "dup" statement 1')
  })

  it('division by zero on the partition is 22012, and the connection stays usable', async () => {
    const e = await rejection(proxy.call('div', [0]))
    expect(e.code).toBe('22012')
    expect(e.message).toBe(`public.div(1): [${dbs[0]}] REMOTE ERROR: division by zero`)
    expect(await proxy.call('div', [1])).toEqual([{ div: 1 }])
  })

  it('a missing remote function: 42883 with the remote hint and statement position', async () => {
    const e = await rejection(proxy.call('nothere', [1]))
    expect(e.code).toBe('42883')
    expect(e.message).toBe(
      `public.nothere(1): [${dbs[0]}] REMOTE ERROR: function public.nothere(integer) does not exist`,
    )
    expect(e.hint).toBe(
      'Remote hint: No function matches the given name and argument types. You might need to add explicit type casts.',
    )
    // the position refers to the remote SQL `select r::int4 from public.nothere($1::int4) r`
    expect(e.position).toBe('21')
  })

  it('notices arrive in order, classified NOTICE/WARNING, before the rows', async () => {
    reset()
    const rows = await proxy.call('chatty', [5])
    events.push('rows')
    expect(rows).toEqual([{ chatty: 5 }, { chatty: 6 }])
    const db = dbs[0]
    expect(events).toEqual([
      `NOTICE: public.chatty(1): [${db}] REMOTE NOTICE: n1 from 0`,
      `WARNING: public.chatty(1): [${db}] REMOTE WARNING: w1 from 0`,
      // INFO is class 00: a local NOTICE whose text says REMOTE INFO
      `NOTICE: public.chatty(1): [${db}] REMOTE INFO: i1 from 0`,
      // the level follows the SQLSTATE class, not the remote severity
      `WARNING: public.chatty(1): [${db}] REMOTE NOTICE: odd class from 0`,
      'rows',
    ])
    expect(notices.map((n) => n.code)).toEqual(['00000', '01000', '00000', '22012'])
    expect(notices[1]).toMatchObject({
      detail: 'Remote detail: wd',
      hint: 'Remote hint: wh',
      where: 'Remote context: PL/pgSQL function chatty(integer) line 4 at RAISE',
      function: 'public.chatty',
      partition: { partitions: [0], database: db },
    })
  })

  it('notices of several partitions each name their partition', async () => {
    reset()
    const rows = await proxy.call('chatty_all', [1])
    expect(rows).toEqual([{ chatty_all: 1 }, { chatty_all: 2 }, { chatty_all: 1 }, { chatty_all: 2 }])
    expect(notices).toHaveLength(8)
    for (const [i, db] of dbs.entries()) {
      const mine = notices.filter((n) => n.partition?.database === db)
      expect(mine.map((n) => n.message)).toEqual([
        `public.chatty_all(1): [${db}] REMOTE NOTICE: n1 from ${i}`,
        `public.chatty_all(1): [${db}] REMOTE WARNING: w1 from ${i}`,
        `public.chatty_all(1): [${db}] REMOTE INFO: i1 from ${i}`,
        `public.chatty_all(1): [${db}] REMOTE NOTICE: odd class from ${i}`,
      ])
      expect(mine.every((n) => n.partition?.partitions?.[0] === i)).toBe(true)
    }
  })

  it('notices sent before a remote error are delivered before the error', async () => {
    reset()
    const e = await rejection(proxy.call('chatty_fail'))
    events.push(`rejected: ${e.message}`)
    expect(events).toEqual([
      `NOTICE: public.chatty_fail(0): [${dbs[0]}] REMOTE NOTICE: before the error`,
      `rejected: public.chatty_fail(0): [${dbs[0]}] REMOTE ERROR: after the notice`,
    ])
  })

  it('RUN ON ALL: the failing partition is named, other partitions do not hide it', async () => {
    const e = await rejection(proxy.call('only_one_fails'))
    expect(e.message).toBe(`public.only_one_fails(0): [${dbs[1]}] REMOTE ERROR: partition 1 failed`)
    expect(e.code).toBe('22023')
    expect((e as unknown as PlProxyError).partition?.partitions).toEqual([1])
  })

  it('non-SETOF row counts: P0002 for no row, P0003 for several', async () => {
    expect(await proxy.call('one_row', [1])).toEqual([{ one_row: 1 }])
    const none = await rejection(proxy.call('one_row', [0]))
    expect(none.message).toBe(
      'PL/Proxy function public.one_row(1): Non-SETOF function requires 1 row from remote query, got 0',
    )
    expect(none.code).toBe('P0002')
    const many = await rejection(proxy.call('one_row', [3]))
    expect(many.message).toBe(
      'PL/Proxy function public.one_row(1): Non-SETOF function requires 1 row from remote query, got 3',
    )
    expect(many.code).toBe('P0003')
  })

  it('a FATAL error while the query runs is a remote error, not a connection failure', async () => {
    const e = await rejection(proxy.call('suicide'))
    expect(
      { message: e.message, code: e.code },
      'BUG: a remote FATAL during the query is reported as "PQconnectPoll: connection to server … failed"',
    ).toEqual({
      message: `public.suicide(0): [${dbs[1]}] REMOTE FATAL: terminating connection due to administrator command`,
      code: '57P01',
    })
  })

  it('after a remote FATAL the dead connection is not reused', async () => {
    await proxy.call('suicide').catch(() => undefined)
    // the next call on that partition must open a fresh connection
    expect(await proxy.call('only_one_fails').catch((e: Error) => e.message)).toBe(
      `public.only_one_fails(0): [${dbs[1]}] REMOTE ERROR: partition 1 failed`,
    )
  })

  it('an onNotice callback that throws neither crashes the process nor hangs the call', async () => {
    // run in a child process: an uncaught exception there must not take the test runner down
    const proxyModule = fileURLToPath(new URL('../../../src/runtime/proxy.ts', import.meta.url))
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url))
    const script = tempFile(
      'throwing-notice.mts',
      `import { createProxy } from ${JSON.stringify(proxyModule)}
process.on('uncaughtException', (e) => { console.log('UNCAUGHT ' + e.message); process.exit(3) })
const proxy = await createProxy({
  functions: "create function chatty(x int) returns setof int as $$ cluster 'c'; run on 0; $$ language plproxy;",
  clusters: { c: { partitions: [${JSON.stringify(pgc.connstr(dbs[0]!))}] } },
  user: 'postgres',
  onNotice: () => { throw new Error('callback failed') },
})
const timer = setTimeout(() => { console.log('PENDING'); process.exit(4) }, 5000)
try {
  const rows = await proxy.call('chatty', [1])
  console.log('RESOLVED ' + JSON.stringify(rows))
} catch (e) {
  console.log('REJECTED ' + e.message)
}
clearTimeout(timer)
await proxy.end()
`,
    )
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(tsx, [script], { timeout: 30_000 }, (err, stdout) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout })
      })
    })
    expect(
      result,
      "BUG: an exception thrown by onNotice escapes as an uncaught exception (from the pg client's notice event) and the call never settles",
    ).toMatchObject({ code: 0, stdout: expect.stringMatching(/^(RESOLVED|REJECTED) /) })
  })
})
