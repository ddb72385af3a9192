/**
 * `plproxy serve` with Node drivers: node-postgres (pg 8) and postgres.js
 * (3.4). Where the real PL/Proxy can answer, each driver runs the same query
 * against the proxy database directly (the extension answers) and through
 * plproxy serve, and must see the same rows and the same field descriptions.
 */
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPlproxy } from '../harness/shared-cluster.js'
import { connectClient, createDigoal, type DigoalEnv, serveDigoal } from './serve-env.js'

const skip = skipWithoutPlproxy('plproxy serve: drivers')

/** A result's comparable parts: rows and each field's name, type, size, modifier and format. */
function shape(r: pg.QueryResult) {
  return {
    command: r.command,
    rowCount: r.rowCount,
    rows: r.rows,
    fields: r.fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: f.format,
    })),
  }
}

describe.skipIf(skip)('plproxy serve: drivers', () => {
  let env: DigoalEnv
  let server: RunningServer
  let ours: pg.Client
  let real: pg.Client

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_drv', { real: true, users: 400 })
    await env.cluster.query(env.proxyDb, 'create table public.kv (k int primary key, v text)')
    server = await serveDigoal(env)
    ours = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: env.proxyDb })
    real = new pg.Client(env.cluster.clientConfig(env.proxyDb))
    await Promise.all([ours.connect(), real.connect()])
  })
  afterAll(async () => {
    await Promise.all([ours?.end(), real?.end()])
    await server?.close({ graceful: false })
  })

  async function both(query: pg.QueryConfig & { rowMode?: 'array' }) {
    const [a, b] = await Promise.all([real.query(query), ours.query(query)])
    return { real: shape(a), ours: shape(b) }
  }

  describe('node-postgres', () => {
    it.each([
      ['SELECT * FROM f($1)', 'select * from f_user_login($1)', [42]],
      ['SELECT f($1)', 'select f_user_login($1)', [43]],
      ['columns FROM f($1)', 'select o_engname, o_userid from f_user_login($1)', [44]],
      ['$1::int', 'select * from f_user_login($1::int)', ['45']],
      ['a text parameter for an int argument', 'select * from f_user_logout($1)', ['46']],
      ['SELECT f_user_logout($1)', 'select f_user_logout($1)', [47]],
      ['a set-returning RUN ON ALL function', 'select * from f_users($1, $2)', [10, 30]],
      ['two parameters, one constant', 'select f_users($1, 12)', [0]],
    ])('parameterized: %s', async (_what, text, values) => {
      const { real: r, ours: o } = await both({ text, values })
      expect(o).toEqual(r)
      expect(o.rowCount).toBeGreaterThan(0)
    })

    it('NULL arguments: a STRICT function gives a row of NULLs', async () => {
      const { real: r, ours: o } = await both({ text: 'select * from f_user_login($1)', values: [null] })
      expect(o).toEqual(r)
      expect(o.rows).toEqual([
        {
          o_userid: null,
          o_engname: null,
          o_cnname: null,
          o_occupation: null,
          o_birthday: null,
          o_signname: null,
          o_email: null,
          o_qq: null,
        },
      ])
    })

    it('NULL arguments: SELECT f($1) of a STRICT record function is NULL', async () => {
      const { real: r, ours: o } = await both({ text: 'select f_user_login($1)', values: [null] })
      expect(r.rows).toEqual([{ f_user_login: null }])
      expect(o).toEqual(r)
    })

    it('NULL arguments: a STRICT scalar function is NULL', async () => {
      const { real: r, ours: o } = await both({ text: 'select f_user_logout($1)', values: [null] })
      expect(o).toEqual(r)
      expect(o.rows).toEqual([{ f_user_logout: null }])
    })

    it('named prepared statements, reused', async () => {
      for (let i = 0; i < 12; i++) {
        const { real: r, ours: o } = await both({
          name: 'login_by_id',
          text: 'select o_userid, o_email from f_user_login($1)',
          values: [i * 7],
        })
        expect(o).toEqual(r)
        expect(o.rows[0]).toEqual({ o_userid: i * 7, o_email: `u${i * 7}@example.com` })
      }
      const o = await ours.query({ name: 'logout_by_id', text: 'select f_user_logout($1)', values: [5] })
      expect(o.rows).toEqual([{ f_user_logout: 0 }])
      const again = await ours.query({ name: 'logout_by_id', text: 'select f_user_logout($1)', values: [6] })
      expect(again.rows).toEqual([{ f_user_logout: 0 }])
    })

    it("rowMode 'array'", async () => {
      const { real: r, ours: o } = await both({
        text: 'select * from f_user_login($1)',
        values: [70],
        rowMode: 'array',
      })
      expect(o).toEqual(r)
      expect(o.rows[0]).toHaveLength(8)
      expect((o.rows[0] as unknown[])[0]).toBe(70)
      expect(o.fields.map((f) => f.dataTypeID)).toEqual([23, 25, 25, 25, 1082, 25, 25, 1700])
    })

    it('error objects carry the SQLSTATE and PostgreSQL’s fields', async () => {
      const errorOf = (c: pg.Client, text: string, values?: unknown[]) =>
        c.query(text, values).then(
          () => {
            throw new Error(`${text} succeeded`)
          },
          (e: pg.DatabaseError): Record<string, unknown> => ({
            code: e.code,
            message: e.message,
            severity: e.severity,
            hint: e.hint,
            position: e.position,
          }),
        )
      const cases: [string, unknown[] | undefined][] = [
        ['select f_fail($1)', [7]],
        ['select * from f_fail(8)', undefined],
        ['select * from no_such_function($1)', [1]],
        ['select * from f_user_login($1, $2)', [1, 2]],
        ['selec 1', undefined],
        ['select o_nope from f_user_login($1)', [1]],
      ]
      const r: Record<string, unknown>[] = []
      const o: Record<string, unknown>[] = []
      for (const [text, values] of cases) {
        r.push(await errorOf(real, text, values))
        o.push(await errorOf(ours, text, values))
      }
      const withoutPosition = (e: Record<string, unknown>[]) => e.map(({ position: _, ...rest }) => rest)
      // SQLSTATE, message, severity and hint
      expect(withoutPosition(o)).toEqual(withoutPosition(r))
      // the error position (psql's LINE 1: … ^) too
      expect(o.map((e, i) => [cases[i]![0], e.position])).toEqual(r.map((e, i) => [cases[i]![0], e.position]))
      // the connection is usable after the errors
      expect((await ours.query('select o_userid from f_user_login($1)', [9])).rows).toEqual([{ o_userid: 9 }])
    })

    it('an argument that does not parse: 22P02, and the connection goes on', async () => {
      const [r, o] = await Promise.all(
        [real, ours].map((c) =>
          c.query('select * from f_user_login($1)', ['x1']).catch((e: pg.DatabaseError) => ({
            code: e.code,
            message: e.message,
          })),
        ),
      )
      expect(o).toEqual(r)
      expect((await ours.query('select 1 as one')).rows).toEqual([{ one: 1 }])
    })

    it('an error inside a transaction (extended protocol): 25P02 until ROLLBACK, as with PL/Proxy', async () => {
      const run = async (c: pg.Client) => {
        const out: unknown[] = []
        const step = async (text: string, values?: unknown[]) => {
          try {
            const r = await c.query(text, values)
            out.push([text, r.command, r.rows])
          } catch (e) {
            out.push([text, (e as pg.DatabaseError).code])
          }
        }
        await step('begin')
        await step('select f_user_logout($1)', [31])
        await step('select f_fail($1)', [31])
        await step('select f_user_logout($1)', [32])
        await step('select $1::int as x', [1])
        await step('select * from f_user_login($1)', [33])
        await step('rollback')
        await step('select o_userid from f_user_login($1)', [34])
        await step('begin')
        await step('select 1/$1 as x', [0])
        await step('select f_user_logout($1)', [35])
        await step('commit')
        await step('select f_user_logout($1)', [36])
        return out
      }
      const r = await run(real)
      const o = await run(ours)
      expect(o).toEqual(r)
    })

    it('notices from a partition reach the client', async () => {
      const collect = async (c: pg.Client) => {
        const notices: unknown[] = []
        const on = (n: { severity?: string; code?: string; message?: string; detail?: string }) =>
          notices.push({ severity: n.severity, code: n.code, message: n.message, detail: n.detail })
        c.on('notice', on)
        try {
          const r = await c.query('select f_notice($1)', [6])
          return { rows: r.rows, notices }
        } finally {
          c.off('notice', on)
        }
      }
      const r = await collect(real)
      const o = await collect(ours)
      expect(o).toEqual(r)
      expect(o.notices).toHaveLength(2)
    })

    it('SHOW plproxy.stats and SHOW search_path in the extended protocol', async () => {
      const stats = await ours.query({ text: 'show plproxy.stats', values: [] })
      expect(stats.fields.map((f) => f.name)).toEqual([
        'scope',
        'name',
        'calls',
        'errors',
        'total_ms',
        'mean_ms',
        'max_ms',
      ])
      expect(stats.rows.find((r) => r.name === 'proxy.f_user_login')?.scope).toBe('function')
      const path = await ours.query({ text: 'show search_path', values: [] })
      expect(path.rows).toEqual([{ search_path: 'proxy, public' }])
    })

    it('many concurrent clients', async () => {
      const clients = Array.from(
        { length: 30 },
        () =>
          new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: env.proxyDb }),
      )
      await Promise.all(clients.map((c) => c.connect()))
      try {
        const results = await Promise.all(
          clients.map(async (c, i) => {
            const seen: number[] = []
            for (let j = 0; j < 20; j++) {
              const id = (i * 20 + j) % env.users
              const r = await c.query('select o_userid, o_engname from f_user_login($1)', [id])
              if (r.rows[0]?.o_engname !== `eng${id}`)
                throw new Error(`user ${id}: ${JSON.stringify(r.rows)}`)
              seen.push(r.rows[0].o_userid)
            }
            return seen
          }),
        )
        expect(results.flat().sort((a, b) => a - b)).toEqual(
          Array.from({ length: 600 }, (_, k) => k % 400).sort((a, b) => a - b),
        )
      } finally {
        await Promise.all(clients.map((c) => c.end()))
      }
    })

    it('calls and forwarded statements interleaved on one connection, in a transaction', async () => {
      const c = await connectClient(server, env)
      try {
        // one after another on the same connection: each answer must belong to its query
        await c.query('begin')
        const a = await c.query('select o_userid from f_user_login($1)', [101])
        const b = await c.query('insert into public.kv values ($1, $2) returning k', [1, 'one'])
        const d = await c.query('select f_user_logout(102)')
        const e = await c.query('select v from public.kv where k = $1', [1])
        await c.query('commit')
        const f = await c.query('select current_database() as db')
        const g = await c.query({ text: 'select * from f_user_login($1)', values: [103], rowMode: 'array' })
        expect(a.rows).toEqual([{ o_userid: 101 }])
        expect(b.rows).toEqual([{ k: 1 }])
        expect(d.rows).toEqual([{ f_user_logout: 0 }])
        expect(e.rows).toEqual([{ v: 'one' }])
        expect(f.rows).toEqual([{ db: env.proxyDb }])
        expect((g.rows[0] as unknown[])[1]).toBe('eng103')
        expect(await env.cluster.query(env.proxyDb, 'select v from public.kv where k = 1')).toEqual([
          { v: 'one' },
        ])
      } finally {
        await c.end()
      }
    })

    /** node-postgres clients with binary: true (every result column in binary) to PL/Proxy and to the server. */
    async function binaryClients<T>(work: (real: pg.Client, ours: pg.Client) => Promise<T>): Promise<T> {
      const config = (port: number) => ({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        database: env.proxyDb,
        binary: true,
      })
      const [b1, b2] = [new pg.Client(config(env.cluster.port)), new pg.Client(config(server.port))]
      await Promise.all([b1.connect(), b2.connect()])
      try {
        return await work(b1, b2)
      } finally {
        await Promise.all([b1.end(), b2.end()])
      }
    }

    it('binary results (binary: true) of int4, text and numeric: the same values as from PL/Proxy', async () => {
      await binaryClients(async (b1, b2) => {
        for (const [text, values] of [
          ['select o_userid, o_engname, o_qq, o_email from f_user_login($1)', [77]],
          ['select f_user_logout($1)', [78]],
          ['select * from f_users($1, $2)', [1, 9]],
          ['select o_userid from f_user_login($1)', [null]],
        ] as const) {
          const [r, o] = await Promise.all([b1.query(text, [...values]), b2.query(text, [...values])])
          expect(shape(o), text).toEqual(shape(r))
        }
      })
    })

    // node-postgres binary: true (and pgjdbc's binary transfer once a statement is prepared server-side)
    it('binary results of a date column (f_user_login’s o_birthday)', async () => {
      await binaryClients(async (b1, b2) => {
        const [r, o] = await Promise.all([
          b1.query('select * from f_user_login($1)', [80]),
          b2.query('select * from f_user_login($1)', [80]),
        ])
        expect(shape(o)).toEqual(shape(r))
      })
    })

    it('LISTEN/NOTIFY through the proxy database reach the listening client', async () => {
      const listener = await connectClient(server, env)
      try {
        await listener.query('listen plproxy_test_channel')
        const got = new Promise<pg.Notification>((resolve) => listener.on('notification', resolve))
        await ours.query(`notify plproxy_test_channel, 'hello'`)
        const n = await Promise.race([
          got,
          new Promise((r) => setTimeout(() => r('no notification in 5 s'), 5000)),
        ])
        expect(n).toMatchObject({ channel: 'plproxy_test_channel', payload: 'hello' })
        // and the listener's calls still work
        expect((await listener.query('select f_user_logout(1) as r')).rows).toEqual([{ r: 0 }])
      } finally {
        await listener.end()
      }
    })

    it('CREATE FUNCTION … LANGUAGE plproxy from a client: callable by every client; DROP FUNCTION removes it', async () => {
      const c = await connectClient(server, env)
      try {
        const created = await c.query(`create function proxy.f_login_email(i_userid int) returns text as $$
  cluster 'digoal';
  run on i_userid;
  select email from digoal.user_info where userid = i_userid;
$$ language plproxy`)
        expect(created.command).toBe('CREATE')
        expect((await ours.query('select f_login_email($1) as e', [33])).rows).toEqual([
          { e: 'u33@example.com' },
        ])
        await c.query('drop function proxy.f_login_email(int)')
        const e = await ours.query('select f_login_email(33)').catch((err: pg.DatabaseError) => err)
        expect(e).toMatchObject({ code: '42883' })
      } finally {
        await c.end()
      }
    })
  })

  describe('postgres.js', () => {
    let sql: postgres.Sql
    let direct: postgres.Sql

    beforeAll(() => {
      const options = {
        host: '127.0.0.1',
        username: 'postgres',
        database: env.proxyDb,
        max: 4,
        onnotice: () => {},
      }
      sql = postgres({ ...options, port: server.port })
      direct = postgres({ ...options, port: env.cluster.port })
    })
    afterAll(async () => {
      await Promise.all([sql?.end({ timeout: 5 }), direct?.end({ timeout: 5 })])
    })

    it('tagged-template calls with parameters (extended protocol, Describe before Bind)', async () => {
      for (const id of [1, 2, 3, 250]) {
        const [r, o] = await Promise.all([
          direct`select * from f_user_login(${id})`,
          sql`select * from f_user_login(${id})`,
        ])
        expect([...o]).toEqual([...r])
        expect(o.columns.map((c) => [c.name, c.type])).toEqual(r.columns.map((c) => [c.name, c.type]))
        expect(o[0]!.o_engname).toBe(`eng${id}`)
      }
      expect(await sql`select f_user_logout(${5}) as r`).toMatchObject([{ r: 0 }])
      expect([...(await sql`select o_email from f_user_login(${'6'}::int)`)]).toEqual([
        { o_email: 'u6@example.com' },
      ])
      expect([...(await sql`select * from f_users(${1}, ${8})`)]).toEqual([
        ...(await direct`select * from f_users(${1}, ${8})`),
      ])
    })

    it('NULL parameters', async () => {
      const [r, o] = await Promise.all([
        direct`select * from f_user_login(${null})`,
        sql`select * from f_user_login(${null})`,
      ])
      expect([...o]).toEqual([...r])
    })

    it('prepare: false (unnamed statements)', async () => {
      const unprepared = postgres({
        host: '127.0.0.1',
        port: server.port,
        username: 'postgres',
        database: env.proxyDb,
        max: 1,
        prepare: false,
      })
      try {
        for (const id of [11, 12]) {
          expect([...(await unprepared`select o_userid from f_user_login(${id})`)]).toEqual([
            { o_userid: id },
          ])
        }
      } finally {
        await unprepared.end({ timeout: 5 })
      }
    })

    it('sql.unsafe, with and without parameters, and .simple()', async () => {
      expect([...(await sql.unsafe('select o_userid from f_user_login($1)', [21]))]).toEqual([
        { o_userid: 21 },
      ])
      expect([...(await sql.unsafe('select f_user_logout(22) as r'))]).toEqual([{ r: 0 }])
      const multi = await sql.unsafe('select f_user_logout(23) as a; select 2 as b').simple()
      expect(multi.map((r) => [...r])).toEqual([[{ a: 0 }], [{ b: 2 }]])
    })

    it('pipelined on one connection: calls and forwarded queries answer in order', async () => {
      const one = postgres({
        host: '127.0.0.1',
        port: server.port,
        username: 'postgres',
        database: env.proxyDb,
        max: 1,
      })
      try {
        const queries = Array.from({ length: 40 }, (_, i) =>
          i % 3 === 0
            ? one`select ${i}::int as i, current_database() as db`.then((r) => [r[0]!.i, r[0]!.db])
            : i % 3 === 1
              ? one`select o_userid as i, o_engname as db from f_user_login(${i})`.then((r) => [
                  r[0]!.i,
                  r[0]!.db,
                ])
              : one`select f_user_logout(${i}) as r`.then((r) => [i, r[0]!.r]),
        )
        const out = await Promise.all(queries)
        out.forEach((v, i) => {
          expect(v).toEqual(i % 3 === 0 ? [i, env.proxyDb] : i % 3 === 1 ? [i, `eng${i}`] : [i, 0])
        })
      } finally {
        await one.end({ timeout: 5 })
      }
    })

    it('a cursor (Execute with a row limit, PortalSuspended) over a proxy call', async () => {
      const seen: number[] = []
      let batches = 0
      for await (const rows of sql`select * from f_users(${0}, ${99})`.cursor(7)) {
        batches++
        expect(rows.length).toBeLessThanOrEqual(7)
        for (const r of rows) seen.push(r.f_users as number)
      }
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i))
      expect(batches).toBe(15)
    })

    it('.describe(): parameter and column types of a call', async () => {
      const [o, r] = await Promise.all([
        sql`select * from f_user_login(${1})`.describe(),
        direct`select * from f_user_login(${1})`.describe(),
      ])
      expect({ types: o.types, columns: o.columns?.map((c) => [c.name, c.type]) }).toEqual({
        types: r.types,
        columns: r.columns?.map((c) => [c.name, c.type]),
      })
    })

    it('pipelined with failures in between: each query gets its own answer', async () => {
      const one = postgres({
        host: '127.0.0.1',
        port: server.port,
        username: 'postgres',
        database: env.proxyDb,
        max: 1,
      })
      try {
        const queries = Array.from({ length: 24 }, (_, i) => {
          const q =
            i % 4 === 0
              ? one`select f_fail(${i})`
              : i % 4 === 1
                ? one`select 1/${i - i}::int as x`
                : i % 4 === 2
                  ? one`select o_userid as r from f_user_login(${i})`
                  : one`select ${i}::int as r`
          return q.then(
            (rows) => rows[0]!.r as unknown,
            (e: postgres.PostgresError) => e.code,
          )
        })
        const out = await Promise.all(queries)
        expect(out).toEqual(
          Array.from({ length: 24 }, (_, i) => (i % 4 === 0 ? 'P0001' : i % 4 === 1 ? '22012' : i)),
        )
      } finally {
        await one.end({ timeout: 5 })
      }
    })

    it('errors are PostgresError with the SQLSTATE', async () => {
      const errorOf = (q: Promise<unknown>) =>
        q.then(
          () => undefined,
          (e: postgres.PostgresError) => ({ code: e.code, message: e.message, hint: e.hint }),
        )
      for (const [o, r] of [
        [errorOf(sql`select f_fail(${3})`), errorOf(direct`select f_fail(${3})`)],
        [errorOf(sql`select * from nope_fn(${1})`), errorOf(direct`select * from nope_fn(${1})`)],
        [
          errorOf(sql.unsafe('select * from f_user_login(1, 2, 3)')),
          errorOf(direct.unsafe('select * from f_user_login(1, 2, 3)')),
        ],
      ] as const) {
        const [ro, rr] = await Promise.all([o, r])
        expect(rr).toBeDefined()
        expect(ro).toEqual(rr)
      }
      expect([...(await sql`select o_userid from f_user_login(${4})`)]).toEqual([{ o_userid: 4 }])
    })
  })
})
