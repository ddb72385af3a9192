/**
 * Authentication and TLS of WireConnection against a PostgreSQL 15 cluster
 * of its own (pg_hba.conf with md5, scram-sha-256, password, hostssl and
 * hostnossl rules, a certificate signed by a throwaway CA): passwords, MD5
 * hashes, SCRAM keys (as a pooler recovers them from a client's proof),
 * and libpq's sslmode semantics.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clientKeyFromProof,
  connectWire,
  md5PasswordHash,
  parseScramVerifier,
  ScramClient,
  scramKeysFromPassword,
  scramVerifier,
  sha256,
  type WireConnection,
  type WireOptions,
  WireServerError,
} from '../../../src/runtime/wire/index.js'
import { type PgCluster, startPgCluster } from '../../harness/pg-cluster.js'
import { skipWithoutPostgres } from '../../harness/shared-cluster.js'
import { rejection, sleep } from '../integration/helpers.js'

const skip = skipWithoutPostgres('wire-protocol authentication and TLS')

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

/** A CA and a server certificate for localhost / 127.0.0.1, readable by the cluster's owner. */
function makeCertificates(): { dir: string; ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'plproxy-wire-tls-'))
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=wire test CA')
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  )
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    for (const f of ['', 'server.crt', 'server.key']) chownSync(join(dir, f), uid, gid)
  }
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
  }
}

const NBSP_PASSWORD = 'pass\u00a0word' // SASLprep maps U+00A0 to a space

describe.skipIf(skip)('WireConnection authentication and TLS', () => {
  let pgc: PgCluster
  let certs: ReturnType<typeof makeCertificates>
  const open: WireConnection[] = []

  const connect = async (options: WireOptions) => {
    const c = await connectWire({ host: '127.0.0.1', port: pgc.port, database: 'postgres', ...options })
    open.push(c)
    return c
  }
  const rolpassword = async (role: string) =>
    (
      await pgc.query<{ p: string }>(
        'postgres',
        'select rolpassword as p from pg_authid where rolname = $1',
        [role],
      )
    )[0]!.p

  beforeAll(async () => {
    certs = makeCertificates()
    pgc = await startPgCluster({
      name: 'plproxy-wire-auth',
      settings: { ssl: true, ssl_cert_file: certs.cert, ssl_key_file: certs.key },
      hba: [
        'hostssl all sslonly 127.0.0.1/32 trust',
        'host    all sslonly 127.0.0.1/32 reject',
        'hostssl all nossl 127.0.0.1/32 reject',
        'host    all nossl 127.0.0.1/32 trust',
        'host    all md5user 127.0.0.1/32 md5',
        'host    all scramuser,nbspuser 127.0.0.1/32 scram-sha-256',
        'host    all clearuser 127.0.0.1/32 password',
      ],
    })
    await pgc.query(
      'postgres',
      `create role sslonly login; create role nossl login;
       set password_encryption = 'md5'; create role md5user login password 'md5 secret';
       set password_encryption = 'scram-sha-256';
       create role scramuser login password 'pencil ✓';
       create role nbspuser login password '${NBSP_PASSWORD}';
       create role clearuser login password 'clear text';`,
    )
  })

  afterAll(async () => {
    for (const c of open) c.destroy()
    await pgc?.stop()
    if (certs) rmSync(certs.dir, { recursive: true, force: true })
  })

  describe('md5', () => {
    it('logs in with the password, or with the stored md5 hash alone', async () => {
      const hash = md5PasswordHash('md5 secret', 'md5user')
      expect(hash).toBe(await rolpassword('md5user'))
      const a = await connect({
        user: 'md5user',
        credentials: { password: 'md5 secret' },
        sslmode: 'disable',
      })
      expect((await a.query('select current_user::text')).rows).toEqual([['md5user']])
      const b = await connect({ user: 'md5user', credentials: { md5Hash: hash }, sslmode: 'disable' })
      expect((await b.query('select current_user::text')).rows).toEqual([['md5user']])
    })

    it('a wrong password is the server FATAL 28P01; no password is libpq`s fe_sendauth error', async () => {
      const e = (await rejection(
        connect({ user: 'md5user', credentials: { password: 'wrong' }, sslmode: 'disable' }),
      )) as unknown as WireServerError
      expect(e).toBeInstanceOf(WireServerError)
      expect({ severity: e.severity, code: e.code, message: e.message }).toEqual({
        severity: 'FATAL',
        code: '28P01',
        message: 'password authentication failed for user "md5user"',
      })
      expect((await rejection(connect({ user: 'md5user', sslmode: 'disable' }))).message).toBe(
        'fe_sendauth: no password supplied',
      )
      expect(
        (await rejection(connect({ user: 'md5user', credentials: { password: '' }, sslmode: 'disable' })))
          .message,
      ).toBe('fe_sendauth: no password supplied')
    })

    it('credentials given as a function are asked for only when the server wants a password', async () => {
      let asked = 0
      const credentials = () => {
        asked++
        return { password: 'md5 secret' }
      }
      await connect({ user: 'nossl', credentials, sslmode: 'disable' })
      expect(asked).toBe(0)
      await connect({ user: 'md5user', credentials, sslmode: 'disable' })
      expect(asked).toBe(1)
    })
  })

  describe('scram-sha-256', () => {
    it('logs in with the password (SASLprep applied like PostgreSQL)', async () => {
      const c = await connect({ user: 'scramuser', credentials: { password: 'pencil ✓' } })
      expect((await c.query('select current_user::text')).rows).toEqual([['scramuser']])
      // PostgreSQL stored the verifier of the SASLprep'ed password: both spellings log in
      await connect({ user: 'nbspuser', credentials: { password: NBSP_PASSWORD } })
      await connect({ user: 'nbspuser', credentials: { password: 'pass word' } })
    })

    it("our verifier is PostgreSQL's, byte for byte, for the same salt", async () => {
      const stored = await rolpassword('scramuser')
      const v = parseScramVerifier(stored)!
      expect(v.iterations).toBe(4096)
      expect(scramVerifier('pencil ✓', v.salt, v.iterations)).toBe(stored)
      const nbsp = parseScramVerifier(await rolpassword('nbspuser'))!
      expect(scramVerifier(NBSP_PASSWORD, nbsp.salt, nbsp.iterations)).toBe(await rolpassword('nbspuser'))
    })

    it('logs in with SCRAM keys recovered from a client proof (auth pass-through), without the password', async () => {
      const v = parseScramVerifier(await rolpassword('scramuser'))!
      // a pooler verifying its own client against the verifier learns ClientKey from the proof
      const client = new ScramClient({ password: 'pencil ✓' })
      const serverFirst = `r=${client.nonce}pooler-nonce,s=${v.salt.toString('base64')},i=${v.iterations}`
      const final = await client.clientFinalMessage(serverFirst)
      const proof = Buffer.from(/,p=([^,]+)$/.exec(final)![1]!, 'base64')
      const authMessage = `${client.clientFirstMessage().slice(3)},${serverFirst},${final.replace(/,p=[^,]+$/, '')}`
      const clientKey = clientKeyFromProof(v.storedKey, authMessage, proof)!
      expect(clientKey).toBeInstanceOf(Buffer)
      expect(sha256(clientKey).equals(v.storedKey)).toBe(true)
      expect(clientKeyFromProof(v.storedKey, authMessage, Buffer.alloc(32))).toBeUndefined()
      const c = await connect({
        user: 'scramuser',
        credentials: { scramKeys: { clientKey, serverKey: v.serverKey } },
      })
      expect((await c.query('select current_user::text')).rows).toEqual([['scramuser']])
      // and the keys derived from the password are the same
      const derived = scramKeysFromPassword('pencil ✓', v.salt, v.iterations)
      expect(derived.clientKey.equals(clientKey)).toBe(true)
      expect(derived.serverKey.equals(v.serverKey)).toBe(true)
    })

    it('wrong keys or password fail with 28P01; a server that cannot prove the ServerKey is refused', async () => {
      const v = parseScramVerifier(await rolpassword('scramuser'))!
      const wrongClient = (await rejection(
        connect({
          user: 'scramuser',
          credentials: { scramKeys: { clientKey: Buffer.alloc(32, 1), serverKey: v.serverKey } },
        }),
      )) as unknown as WireServerError
      expect(wrongClient.code).toBe('28P01')
      const right = scramKeysFromPassword('pencil ✓', v.salt, v.iterations)
      const wrongServer = await rejection(
        connect({
          user: 'scramuser',
          credentials: { scramKeys: { clientKey: right.clientKey, serverKey: Buffer.alloc(32, 2) } },
        }),
      )
      expect(wrongServer.message).toBe('incorrect server signature')
      expect(
        (
          (await rejection(
            connect({ user: 'scramuser', credentials: { password: 'nope' } }),
          )) as unknown as WireServerError
        ).code,
      ).toBe('28P01')
    })

    it('an md5 hash cannot answer SCRAM, SCRAM keys cannot answer md5', async () => {
      expect(
        (await rejection(connect({ user: 'scramuser', credentials: { md5Hash: md5PasswordHash('x', 'y') } })))
          .message,
      ).toBe('the server asked for SCRAM authentication, but only an MD5 hash is at hand')
      expect(
        (
          await rejection(
            connect({
              user: 'md5user',
              credentials: { scramKeys: { clientKey: Buffer.alloc(32), serverKey: Buffer.alloc(32) } },
            }),
          )
        ).message,
      ).toBe('the server asked for an MD5 password, but only SCRAM keys are at hand')
    })
  })

  describe('password (cleartext)', () => {
    it('sends the password; a hash cannot answer', async () => {
      const c = await connect({ user: 'clearuser', credentials: { password: 'clear text' } })
      expect((await c.query('select current_user::text')).rows).toEqual([['clearuser']])
      expect(
        (
          await rejection(
            connect({
              user: 'clearuser',
              credentials: { md5Hash: md5PasswordHash('clear text', 'clearuser') },
            }),
          )
        ).message,
      ).toBe('the server asked for a password in clear text, but only an MD5 hash is at hand')
    })
  })

  describe('sslmode', () => {
    const usesTls = async (c: WireConnection) =>
      (await c.query('select ssl::text from pg_stat_ssl where pid = pg_backend_pid()')).rows[0]![0]

    it('prefer (the default) and require use TLS when the server offers it', async () => {
      const preferred = await connect({ user: 'sslonly' })
      expect(preferred.tlsInUse).toBe(true)
      expect(await usesTls(preferred)).toBe('true')
      const required = await connect({ user: 'sslonly', sslmode: 'require' })
      expect(await usesTls(required)).toBe('true')
    })

    it('disable stays in plain text (and hostssl-only roles are refused)', async () => {
      const plain = await connect({ user: 'nossl', sslmode: 'disable' })
      expect(plain.tlsInUse).toBe(false)
      expect(await usesTls(plain)).toBe('false')
      const e = (await rejection(
        connect({ user: 'sslonly', sslmode: 'disable' }),
      )) as unknown as WireServerError
      expect(e.code).toBe('28000')
      expect(e.message).toMatch(/^pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "sslonly"/)
    })

    it('allow: plain first, TLS when the plain login is refused', async () => {
      const plain = await connect({ user: 'nossl', sslmode: 'allow' })
      expect(await usesTls(plain)).toBe('false')
      const retried = await connect({ user: 'sslonly', sslmode: 'allow' })
      expect(retried.tlsInUse).toBe(true)
      expect(await usesTls(retried)).toBe('true')
    })

    it('prefer: plain again when the TLS login is refused', async () => {
      const c = await connect({ user: 'nossl', sslmode: 'prefer' })
      expect(c.tlsInUse).toBe(false)
      expect(await usesTls(c)).toBe('false')
    })

    it('verify-ca checks the chain; verify-full the host name too', async () => {
      const untrusted = await rejection(connect({ user: 'sslonly', sslmode: 'verify-ca' }))
      expect((untrusted as NodeJS.ErrnoException).code).toMatch(/CERT|SIGNED|VERIFY/)
      const ca = await connect({
        user: 'sslonly',
        sslmode: 'verify-ca',
        tls: { ca: certs.ca },
        serverName: 'other',
      })
      expect(await usesTls(ca)).toBe('true')
      const byIp = await connect({ user: 'sslonly', sslmode: 'verify-full', tls: { ca: certs.ca } })
      expect(await usesTls(byIp)).toBe('true')
      const byName = await connect({
        user: 'sslonly',
        sslmode: 'verify-full',
        tls: { ca: certs.ca },
        serverName: 'localhost',
      })
      expect(await usesTls(byName)).toBe('true')
      const wrongName = await rejection(
        connect({ user: 'sslonly', sslmode: 'verify-full', tls: { ca: certs.ca }, serverName: 'db.example' }),
      )
      expect((wrongName as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    })

    it('cancel works for a TLS connection (the CancelRequest goes in plain text, as libpq sends it)', async () => {
      const c = await connect({ user: 'sslonly', sslmode: 'require' })
      const running = rejection(c.query('select pg_sleep(30)'))
      await sleep(100)
      await c.cancel()
      expect(((await running) as unknown as WireServerError).code).toBe('57014')
      expect((await c.query('select 1')).rows).toEqual([['1']])
    })

    it('SCRAM over TLS', async () => {
      const c = await connect({
        user: 'scramuser',
        credentials: { password: 'pencil ✓' },
        sslmode: 'require',
      })
      expect(await usesTls(c)).toBe('true')
    })
  })
})
