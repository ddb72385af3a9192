/**
 * CREATE / DROP FUNCTION … LANGUAGE plproxy sent by clients of plproxy serve:
 * compiled (PL/Proxy's errors at CREATE), in effect for every client at
 * once, and kept across a restart — in the proxy database, or appended to
 * the --functions file. Types created by clients are followed by the
 * compiler; without a proxy database they are created locally.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'
import { tempFile } from '../runtime/integration/helpers.js'
import { connectClient, createDigoal, type DigoalEnv, PROXY_SQL, serveDigoal } from './serve-env.js'

const skip = skipWithoutPostgres('DDL through plproxy serve')

const CREATE_ECHO = `create function proxy.f_echo(i_userid int) returns text as $$
  cluster 'digoal';
  run on i_userid;
  select current_database()::text;
$$ language plproxy`

describe.skipIf(skip)('DDL from clients', () => {
  let env: DigoalEnv
  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_ddl', { users: 100 })
  })

  describe('kept in the proxy database', () => {
    let server: RunningServer
    afterAll(() => server?.close())

    it('creates a function every client can call, and keeps it across a restart', async () => {
      server = await serveDigoal(env, { ddlStore: 'proxy-db' })
      const a = await connectClient(server, env)
      const b = await connectClient(server, env)
      try {
        const created = await a.query(CREATE_ECHO)
        expect(created.command).toBe('CREATE')
        const res = await b.query('select f_echo(5)')
        expect(res.rows).toEqual([{ f_echo: env.nodes[1] }])
      } finally {
        await a.end()
        await b.end()
      }
      await server.close()
      server = await serveDigoal(env, { ddlStore: 'proxy-db' })
      const c = await connectClient(server, env)
      try {
        expect((await c.query('select * from f_echo(6)')).rows).toEqual([{ f_echo: env.nodes[2] }])
        const stored = await env.cluster.query<{ n: string }>(
          env.proxyDb,
          'select count(*) as n from plproxy_ts.ddl_log',
        )
        expect(Number(stored[0]!.n)).toBeGreaterThanOrEqual(1)
        // and DROP FUNCTION undoes it, for every client, and for good
        await c.query('drop function f_echo(int)')
        await expect(c.query('select f_echo(6)')).rejects.toMatchObject({ code: '42883' })
      } finally {
        await c.end()
      }
      await server.close()
      server = await serveDigoal(env, { ddlStore: 'proxy-db' })
      const d = await connectClient(server, env)
      try {
        await expect(d.query('select f_echo(6)')).rejects.toMatchObject({ code: '42883' })
      } finally {
        await d.end()
      }
    })

    it('rejects a function PL/Proxy would reject, with its message, and creates nothing', async () => {
      const c = await connectClient(server, env)
      try {
        await expect(
          c.query(
            `create function proxy.f_bad(i int) returns int as $$ cluster 'digoal'; run on all; $$ language plproxy`,
          ),
        ).rejects.toMatchObject({
          message: 'PL/Proxy function proxy.f_bad(1): RUN ON ALL requires set-returning function',
        })
        await expect(c.query('select f_bad(1)')).rejects.toMatchObject({ code: '42883' })
        // a syntax error in the body: PL/Proxy's compile error
        await expect(
          c.query(
            `create function proxy.f_bad2(i int) returns int as $$ cluster 'digoal' run on i; $$ language plproxy`,
          ),
        ).rejects.toThrow(/PL\/Proxy function proxy\.f_bad2\(1\): Compile error at line 1/)
        // CREATE OR REPLACE changes the body for everyone
        await c.query(CREATE_ECHO.replace('create function', 'create or replace function'))
        await c.query(
          CREATE_ECHO.replace('create function', 'create or replace function').replace(
            'select current_database()::text',
            "select 'replaced'::text",
          ),
        )
        expect((await c.query('select f_echo(1)')).rows).toEqual([{ f_echo: 'replaced' }])
      } finally {
        await c.end()
      }
    })

    it('follows a type the proxy database creates, so a function can return it', async () => {
      const c = await connectClient(server, env)
      try {
        await c.query('create type proxy.pair as (a int, b text)')
        for (const db of env.nodes) {
          await env.cluster.query(
            db,
            `create type digoal.pair as (a int, b text);
            create function digoal.f_pair(i int) returns digoal.pair language sql as $$ select i, 'n' || i $$`,
          )
        }
        await c.query(`create function proxy.f_pair(i int) returns proxy.pair as $$
          cluster 'digoal'; run on i; target digoal.f_pair; $$ language plproxy`)
        expect((await c.query('select * from f_pair(9)')).rows).toEqual([{ a: 9, b: 'n9' }])
        expect((await c.query('select f_pair(9)')).rows).toEqual([{ f_pair: '(9,n9)' }])
      } finally {
        await c.end()
      }
    })
  })

  it('appends to the --functions file when there is no proxy database, and reads it back', async () => {
    const file = tempFile('proxy.sql', PROXY_SQL)
    const start = () =>
      serveDigoal(env, {
        functions: [{ path: file }],
        proxyDatabase: undefined,
        ddlStore: 'auto',
        searchPath: ['proxy', 'public'],
      })
    let server = await start()
    const c = await connectClient(server, env)
    try {
      await c.query(CREATE_ECHO)
      expect((await c.query('select f_echo(3)')).rows).toEqual([{ f_echo: env.nodes[3] }])
      // without a proxy database, other statements are refused with a clear error
      await expect(c.query('select now()')).rejects.toMatchObject({ code: '0A000' })
      // SET, SHOW and transactions are answered here
      await c.query('set application_name = x')
      expect((await c.query('show application_name')).rows).toEqual([{ application_name: 'x' }])
      await c.query('begin')
      await c.query('commit')
    } finally {
      await c.end()
    }
    await server.close()
    const text = readFileSync(file, 'utf8')
    expect(text).toContain('added by plproxy serve')
    expect(text).toContain('create function proxy.f_echo')
    server = await start()
    const d = await connectClient(server, env)
    try {
      expect((await d.query('select f_echo(2)')).rows).toEqual([{ f_echo: env.nodes[2] }])
    } finally {
      await d.end()
      await server.close()
    }
    writeFileSync(file, '')
  })
})
