/**
 * Authentication of `plproxy serve` clients with psql (PGPASSWORD):
 *
 * - a users file (PgBouncer's userlist.txt) with a plaintext, an md5 and a
 *   SCRAM user, under each method (password, md5, scram-sha-256), with
 *   PostgreSQL's rules for which stored form serves which method;
 * - `scram-sha-256` with the passwords of the proxy database's pg_authid, on
 *   a separate cluster whose pg_hba demands SCRAM: a forwarded statement
 *   (and a pass-through database) then runs there as the client's role, the
 *   server authenticating onward with the client's SCRAM keys.
 *
 * The stored md5 and SCRAM secrets are made by PostgreSQL itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../../src/demo/pg-cluster.js'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../harness/shared-cluster.js'
import {
  createDigoal,
  type DigoalEnv,
  psql as psqlTo,
  type RunOptions,
  serveDigoal,
  writeTemp,
} from './serve-env.js'

/** psql with a short connect timeout: a server stuck in authentication fails fast. */
const psql = (
  port: number,
  database: string,
  args: readonly string[],
  o: RunOptions & { user?: string } = {},
) => psqlTo(port, database, args, { ...o, env: { PGCONNECT_TIMEOUT: '3', ...o.env } })

const skip = skipWithoutPostgres('plproxy serve: authentication')

describe.skipIf(skip)('plproxy serve: authentication', () => {
  describe('users file', () => {
    let env: DigoalEnv
    const base = uniqueDbName('srvauth')
    const users = {
      plain: { name: `${base}_plain`, password: 'plain pw ☃' },
      md5: { name: `${base}_md5`, password: 'md5-pw' },
      scram: { name: `${base}_scram`, password: 'scram-pw' },
    }
    let usersFile = ''
    const servers = new Map<string, RunningServer>()

    beforeAll(async () => {
      env = await createDigoal(sharedCluster(), 'srv_auth', { users: 20 })
      const c = env.cluster
      // roles for the forwarded statements (the shared cluster trusts them); the secrets come from PostgreSQL
      for (const u of Object.values(users)) await c.query('postgres', `create role ${u.name} login`)
      const [md5] = await c.query<{ h: string }>('postgres', `select 'md5' || md5($1 || $2) as h`, [
        users.md5.password,
        users.md5.name,
      ])
      const [scram] = await c.query<{ h: string }>(
        'postgres',
        `set password_encryption = 'scram-sha-256';
         alter role ${users.scram.name} password '${users.scram.password}';
         select rolpassword as h from pg_authid where rolname = '${users.scram.name}'`,
      )
      expect(scram!.h).toMatch(/^SCRAM-SHA-256\$4096:/)
      usersFile = writeTemp(
        'userlist.txt',
        `; plproxy serve test users
"${users.plain.name}" "${users.plain.password}"
"${users.md5.name}" "${md5!.h}"
"${users.scram.name}" "${scram!.h}"
`,
      )
      for (const auth of ['password', 'md5', 'scram-sha-256'] as const) {
        servers.set(auth, await serveDigoal(env, { auth, users: usersFile }))
      }
    })
    afterAll(async () => {
      for (const s of servers.values()) await s.close({ graceful: false })
    })

    // PostgreSQL's rules: md5 becomes SCRAM for a SCRAM secret; SCRAM cannot use an md5 hash
    const matrix: [string, keyof typeof users, boolean][] = [
      ['password', 'plain', true],
      ['password', 'md5', true],
      ['password', 'scram', true],
      ['md5', 'plain', true],
      ['md5', 'md5', true],
      ['md5', 'scram', true],
      ['scram-sha-256', 'plain', true],
      ['scram-sha-256', 'md5', false],
      ['scram-sha-256', 'scram', true],
    ]

    it.each(matrix)('--auth %s, a %s user: right password → %s', async (auth, kind, works) => {
      const u = users[kind]
      const r = await psql(
        servers.get(auth)!.port,
        env.proxyDb,
        ['-At', '-c', 'select current_user', '-c', 'select o_userid from f_user_login(3)'],
        { user: u.name, env: { PGPASSWORD: u.password } },
      )
      if (works) {
        expect(r.stderr).toBe('')
        expect(r.stdout).toBe(`${u.name}\n3\n`)
      } else {
        expect(r.code).toBe(2)
        expect(r.stderr).toContain(`FATAL:  password authentication failed for user "${u.name}"`)
      }
    })

    it.each(['password', 'md5', 'scram-sha-256'])('--auth %s: a wrong password → 28P01', async (auth) => {
      for (const u of Object.values(users)) {
        const r = await psql(servers.get(auth)!.port, env.proxyDb, ['-c', 'select 1'], {
          user: u.name,
          env: { PGPASSWORD: `${u.password}-wrong` },
        })
        expect(r.code, `${auth} ${u.name}`).toBe(2)
        expect(r.stderr).toContain(`FATAL:  password authentication failed for user "${u.name}"`)
      }
    })

    it.each(['password', 'md5', 'scram-sha-256'])(
      '--auth %s: a user not in the file gets the same message',
      async (auth) => {
        const r = await psql(servers.get(auth)!.port, env.proxyDb, ['-c', 'select 1'], {
          user: 'nobody_here',
          env: { PGPASSWORD: 'whatever' },
        })
        expect(r.code).toBe(2)
        expect(r.stderr).toContain('FATAL:  password authentication failed for user "nobody_here"')
      },
    )

    it('the SQLSTATE is 28P01 (VERBOSITY verbose shows it)', async () => {
      const r = await psql(servers.get('md5')!.port, env.proxyDb, ['-c', 'select 1'], {
        user: users.md5.name,
        env: { PGPASSWORD: 'nope' },
      })
      // psql prints the connection failure's text; the code goes with the ErrorResponse
      expect(r.stderr).toMatch(/password authentication failed/)
      const pg = await import('pg')
      const client = new pg.default.Client({
        host: '127.0.0.1',
        port: servers.get('scram-sha-256')!.port,
        user: users.scram.name,
        password: 'nope',
        database: env.proxyDb,
      })
      const e = await client.connect().then(
        () => undefined,
        (err: { code?: string; severity?: string }) => err,
      )
      await client.end().catch(() => {})
      expect(e).toMatchObject({ code: '28P01', severity: 'FATAL' })
    })

    it('no password given: psql reports that one is needed', async () => {
      const r = await psql(servers.get('scram-sha-256')!.port, env.proxyDb, ['-w', '-c', 'select 1'], {
        user: users.scram.name,
      })
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/no password supplied|fe_sendauth/)
    })
  })

  describe('scram-sha-256 with pg_authid, onward SCRAM to a proxy database that demands it', () => {
    let cluster: PgCluster | undefined
    let env: DigoalEnv
    let server: RunningServer

    beforeAll(async () => {
      cluster = await startPgCluster({
        name: 'plproxy-ts-scram',
        settings: { password_encryption: 'scram-sha-256' },
        hba: ['host all postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256'],
      })
      env = await createDigoal(cluster, 'srv_scram', { users: 20 })
      await cluster.query(
        'postgres',
        `create role alice login password 'alice secret';
         set password_encryption = 'md5';
         create role oldmd5 login password 'old secret'`,
      )
      server = await serveDigoal(env, { auth: 'scram-sha-256' })
    }, 120_000)
    afterAll(async () => {
      await server?.close({ graceful: false })
      await cluster?.stop()
    })

    it('the proxy database really demands SCRAM of alice', async () => {
      const direct = await psql(cluster!.port, env.proxyDb, ['-w', '-c', 'select 1'], { user: 'alice' })
      expect(direct.code).toBe(2)
      const ok = await psql(cluster!.port, env.proxyDb, ['-Atc', 'select current_user'], {
        user: 'alice',
        env: { PGPASSWORD: 'alice secret' },
      })
      expect(ok.stdout).toBe('alice\n')
    })

    it('the right password: a call and a forwarded statement, which runs as alice on the proxy database', async () => {
      const r = await psql(
        server.port,
        env.proxyDb,
        [
          '-At',
          '-c',
          'select o_userid, o_engname from f_user_login(4)',
          '-c',
          'select current_user, session_user, current_database()',
        ],
        { user: 'alice', env: { PGPASSWORD: 'alice secret' } },
      )
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe(`4|eng4\nalice|alice|${env.proxyDb}\n`)
    })

    it('a pass-through database also gets alice, authenticated onward', async () => {
      const r = await psql(server.port, env.nodes[1]!, ['-Atc', 'select current_user, current_database()'], {
        user: 'alice',
        env: { PGPASSWORD: 'alice secret' },
      })
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe(`alice|${env.nodes[1]}\n`)
    })

    it('a wrong password: 28P01', async () => {
      const r = await psql(server.port, env.proxyDb, ['-c', 'select 1'], {
        user: 'alice',
        env: { PGPASSWORD: 'alice secret?' },
      })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('FATAL:  password authentication failed for user "alice"')
    })

    it('a role whose pg_authid password is an md5 hash cannot use SCRAM (as in PostgreSQL)', async () => {
      const r = await psql(server.port, env.proxyDb, ['-c', 'select 1'], {
        user: 'oldmd5',
        env: { PGPASSWORD: 'old secret' },
      })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('FATAL:  password authentication failed for user "oldmd5"')
    })

    it('an unknown role: the same message', async () => {
      const r = await psql(server.port, env.proxyDb, ['-c', 'select 1'], {
        user: 'mallory',
        env: { PGPASSWORD: 'x' },
      })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('FATAL:  password authentication failed for user "mallory"')
    })
  })
})
