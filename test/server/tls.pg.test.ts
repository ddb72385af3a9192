/**
 * TLS between clients and `plproxy serve`, with a throwaway self-signed
 * certificate made by openssl: psql with sslmode=require (psql's \conninfo
 * reports the SSL connection) and verify-full, sslmode=disable still plain,
 * node-postgres and postgres.js over TLS, and a server without a certificate
 * refusing sslmode=require as PostgreSQL does.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { skipUnless } from '../harness/prerequisites.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'
import { createDigoal, type DigoalEnv, psqlConnstr, serveDigoal, tempDir, writeTemp } from './serve-env.js'

function opensslMissing(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'openssl is not installed'
  }
}

const skip = skipWithoutPostgres('plproxy serve: TLS') || skipUnless(opensslMissing(), 'plproxy serve: TLS')

describe.skipIf(skip)('plproxy serve: TLS', () => {
  let env: DigoalEnv
  let server: RunningServer
  let plain: RunningServer
  let certFile = ''

  beforeAll(async () => {
    const dir = tempDir('plproxy-tls-')
    certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    env = await createDigoal(sharedCluster(), 'srv_tls', { users: 2000 })
    server = await serveDigoal(env, { tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) } })
    plain = await serveDigoal(env)
  })
  afterAll(async () => {
    await server?.close({ graceful: false })
    await plain?.close({ graceful: false })
  })

  const conn = (port: number, extra: string, db = env.proxyDb) =>
    `host=127.0.0.1 port=${port} user=postgres dbname=${db} ${extra}`

  it('psql sslmode=require: \\conninfo reports SSL; a call and a forwarded statement work', async () => {
    const r = await psqlConnstr(conn(server.port, 'sslmode=require'), [
      '-At',
      '-c',
      '\\conninfo',
      '-c',
      'select o_userid, o_engname from f_user_login(8)',
      '-c',
      'select current_database()',
    ])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^SSL connection \(protocol: TLSv1\.[23], cipher: /m)
    expect(r.stdout).toContain(`8|eng8\n${env.proxyDb}\n`)
  })

  it('psql sslmode=verify-full against the certificate', async () => {
    const r = await psqlConnstr(conn(server.port, `sslmode=verify-full sslrootcert=${certFile}`), [
      '-At',
      '-c',
      'select o_userid from f_user_login(9)',
    ])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('9\n')
  })

  it('a large result over TLS (RUN ON ALL, 2000 rows)', async () => {
    const r = await psqlConnstr(conn(server.port, 'sslmode=require'), [
      '-At',
      '-c',
      'select f_users(0, 1999)',
    ])
    expect(r.stderr).toBe('')
    const ids = r.stdout.trim().split('\n').map(Number)
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i))
  })

  it('psql sslmode=disable still works, without SSL', async () => {
    const r = await psqlConnstr(conn(server.port, 'sslmode=disable'), [
      '-At',
      '-c',
      '\\conninfo',
      '-c',
      'select f_user_logout(10)',
    ])
    expect(r.stderr).toBe('')
    expect(r.stdout).not.toMatch(/SSL connection/)
    expect(r.stdout).toMatch(/\n0\n$/)
  })

  it('a pass-through database over TLS', async () => {
    const r = await psqlConnstr(conn(server.port, 'sslmode=require', env.nodes[0]), [
      '-At',
      '-c',
      '\\conninfo',
      '-c',
      'select current_database()',
    ])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/SSL connection/)
    expect(r.stdout).toMatch(new RegExp(`\\n${env.nodes[0]}\\n$`))
  })

  it('a server without a certificate refuses sslmode=require, as PostgreSQL does; prefer falls back', async () => {
    const r = await psqlConnstr(conn(plain.port, 'sslmode=require'), ['-c', 'select 1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('server does not support SSL, but SSL was required')
    const ok = await psqlConnstr(conn(plain.port, 'sslmode=prefer'), [
      '-Atc',
      'select o_userid from f_user_login(2)',
    ])
    expect(ok.stdout).toBe('2\n')
  })

  it('TLS with SCRAM authentication (users file)', async () => {
    const users = writeTemp('userlist.txt', '"postgres" "tls and scram"\n')
    const secure = await serveDigoal(env, {
      tls: { cert: readFileSync(certFile), key: readFileSync(join(certFile, '../key.pem')) },
      auth: 'scram-sha-256',
      users,
    })
    try {
      const r = await psqlConnstr(
        conn(secure.port, 'sslmode=require'),
        ['-At', '-c', '\\conninfo', '-c', 'select o_userid from f_user_login(13)'],
        {
          env: { PGPASSWORD: 'tls and scram', PGCONNECT_TIMEOUT: '3' },
        },
      )
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatch(/SSL connection[^\n]*\n13\n$/)
    } finally {
      await secure.close({ graceful: false })
    }
  })

  it('node-postgres with ssl', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: server.port,
      user: 'postgres',
      database: env.proxyDb,
      ssl: { ca: readFileSync(certFile, 'utf8') },
    })
    await c.connect()
    try {
      expect((await c.query('select o_engname from f_user_login($1)', [11])).rows).toEqual([
        { o_engname: 'eng11' },
      ])
      expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }])
    } finally {
      await c.end()
    }
  })

  it("postgres.js with ssl: 'require'", async () => {
    const sql = postgres({
      host: '127.0.0.1',
      port: server.port,
      username: 'postgres',
      database: env.proxyDb,
      ssl: 'require',
      max: 1,
    })
    try {
      expect([...(await sql`select o_userid from f_user_login(${12})`)]).toEqual([{ o_userid: 12 }])
    } finally {
      await sql.end({ timeout: 5 })
    }
  })
})
