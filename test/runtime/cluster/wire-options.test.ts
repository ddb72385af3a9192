/**
 * Partition connect strings → WireConnection options (libpq semantics:
 * environment, defaults, all six sslmodes, the password file), and the
 * password file itself as libpq reads it (PostgreSQL 15 passwordFromFile).
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  ConnectStringError,
  parseConnectString,
  toWireOptions,
} from '../../../src/runtime/cluster/connect-string.js'
import { passwordFromFile } from '../../../src/runtime/cluster/pgpass.js'
import type { WireCredentials, WireOptions } from '../../../src/runtime/wire/index.js'

const options = (s: string, env: Record<string, string> = {}, builtins = {}) =>
  toWireOptions(parseConnectString(s), env, builtins)

const credentialsOf = (o: WireOptions): WireCredentials | undefined =>
  typeof o.credentials === 'function' ? o.credentials() : o.credentials

function passfile(text: string, mode = 0o600): string {
  const file = join(mkdtempSync(join(tmpdir(), 'plproxy-pgpass-')), 'pgpass')
  writeFileSync(file, text)
  chmodSync(file, mode)
  return file
}

describe('toWireOptions', () => {
  it('maps host, port, dbname, user, password and the startup parameters', () => {
    const o = options(
      "host=db.example port=5433 dbname=sales user=alice password='pw' application_name=app options='-c x=1'",
    )
    expect(o).toMatchObject({
      host: 'db.example',
      port: 5433,
      database: 'sales',
      user: 'alice',
      credentials: { password: 'pw' },
      sslmode: 'prefer',
      keepAlive: true,
      parameters: { application_name: 'app', options: '-c x=1', client_encoding: 'UTF8' },
    })
    expect(o.serverName).toBeUndefined()
    expect(o.connectTimeoutMs).toBeUndefined()
  })

  it('falls back to the environment, then to libpq defaults', () => {
    const env = {
      PGHOST: 'envhost',
      PGPORT: '6000',
      PGDATABASE: 'envdb',
      PGUSER: 'envuser',
      PGPASSWORD: 'envpw',
    }
    expect(options('', env)).toMatchObject({
      host: 'envhost',
      port: 6000,
      database: 'envdb',
      user: 'envuser',
      credentials: { password: 'envpw' },
    })
    expect(options('', {}, { user: 'os', socketDir: '/var/run/postgresql' })).toMatchObject({
      host: '/var/run/postgresql',
      port: 5432,
      user: 'os',
      database: 'os',
    })
    expect(options('').host).toBe('/tmp')
  })

  it('keeps every sslmode (prefer really prefers TLS now) and PGSSLMODE', () => {
    for (const mode of ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']) {
      expect(options(`sslmode=${mode}`).sslmode).toBe(mode)
    }
    expect(options('').sslmode).toBe('prefer')
    expect(options('', { PGSSLMODE: 'require' }).sslmode).toBe('require')
    expect(options('requiressl=1').sslmode).toBe('require')
    expect(() => options('sslmode=on')).toThrow(
      new ConnectStringError('invalid sslmode value: "on"', 'sslmode=on'),
    )
  })

  it('connects to hostaddr and checks the certificate against host', () => {
    expect(options('host=db.example hostaddr=10.0.0.1 sslmode=verify-full')).toMatchObject({
      host: '10.0.0.1',
      serverName: 'db.example',
      sslmode: 'verify-full',
    })
  })

  it('connect_timeout in ms (at least 2 s, ≤ 0 none), keepalives', () => {
    expect(options('connect_timeout=1').connectTimeoutMs).toBe(2000)
    expect(options('connect_timeout=0').connectTimeoutMs).toBe(0)
    expect(options('', { PGCONNECT_TIMEOUT: '7' }).connectTimeoutMs).toBe(7000)
    expect(options('keepalives=0 keepalives_idle=30')).toMatchObject({ keepAlive: false })
    expect(options('keepalives_idle=30')).toMatchObject({
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
    })
  })

  it('application_name, else fallback_application_name; client_encoding is always UTF8 (as PL/Proxy sets it)', () => {
    expect(options('fallback_application_name=fb').parameters?.application_name).toBe('fb')
    expect(options('application_name=app fallback_application_name=fb').parameters?.application_name).toBe(
      'app',
    )
    expect(options("application_name='' fallback_application_name=fb").parameters?.application_name).toBe(
      'fb',
    )
    expect(options('', { PGAPPNAME: 'envapp' }).parameters?.application_name).toBe('envapp')
    expect(options('client_encoding=LATIN1').parameters?.client_encoding).toBe('UTF8')
  })

  it('rejects what libpq rejects, with the same errors as toNodePostgresConfig', () => {
    expect(() => options('port=abc')).toThrow('invalid integer value "abc" for connection option "port"')
    expect(() => options('postgresql://h1,h2/db')).toThrow(/multiple hosts are not supported/)
    expect(() => options('service=x')).toThrow(/connection service "x" is not supported/)
  })

  it('no password: the password file is read when the server asks (passfile, PGPASSFILE)', () => {
    const file = passfile('db.example:5432:sales:alice:from-file\n')
    const o = options(`host=db.example dbname=sales user=alice passfile=${file}`)
    expect(typeof o.credentials).toBe('function')
    expect(credentialsOf(o)).toEqual({ password: 'from-file' })
    expect(credentialsOf(options('host=db.example dbname=sales user=alice', { PGPASSFILE: file }))).toEqual({
      password: 'from-file',
    })
    // an empty password counts as none, as in libpq
    expect(
      credentialsOf(options(`host=db.example dbname=sales user=alice password='' passfile=${file}`)),
    ).toEqual({
      password: 'from-file',
    })
    expect(credentialsOf(options(`host=db.example dbname=other user=alice passfile=${file}`))).toBeUndefined()
    // a given password wins over the file
    expect(
      credentialsOf(options(`host=db.example dbname=sales user=alice password=given passfile=${file}`)),
    ).toEqual({
      password: 'given',
    })
  })

  it('the default password file is ~/.pgpass, with HOME from the environment', () => {
    const home = mkdtempSync(join(tmpdir(), 'plproxy-home-'))
    writeFileSync(join(home, '.pgpass'), '*:*:*:*:home-file\n', { mode: 0o600 })
    expect(credentialsOf(options('host=h dbname=d user=u', { HOME: home }))).toEqual({
      password: 'home-file',
    })
  })

  it('looks a socket directory up as "localhost" when it is the default one, and hostaddr by host', () => {
    const file = passfile('localhost:5432:d:u:local\n/sock:5432:d:u:sock\ndb.example:5432:d:u:named\n')
    const lookup = (s: string) =>
      credentialsOf(options(`${s} dbname=d user=u passfile=${file}`, {}, { socketDir: '/tmp' }))
    expect(lookup('host=/tmp')).toEqual({ password: 'local' })
    expect(lookup('')).toEqual({ password: 'local' })
    expect(lookup('host=/sock')).toEqual({ password: 'sock' })
    expect(lookup('host=db.example hostaddr=10.0.0.1')).toEqual({ password: 'named' })
  })
})

describe('the password file', () => {
  const base = { host: 'h', port: '5432', database: 'd', user: 'u', defaultSocketDir: '/tmp' }

  it('first matching line wins; * matches anything; comments and blank lines are skipped', () => {
    const file = passfile('# comment\n\nh:5432:other:u:no\n*:*:d:u:first\nh:5432:d:u:second\n')
    expect(passwordFromFile({ ...base, file })).toBe('first')
    expect(passwordFromFile({ ...base, file, user: 'x' })).toBeUndefined()
  })

  it('backslash escapes : and \\ in fields and in the password', () => {
    const file = passfile('h\\:x:5432:d:u:a\\:b\\\\c:ignored\r\n')
    expect(passwordFromFile({ ...base, file, host: 'h:x' })).toBe('a:b\\c')
    expect(passwordFromFile({ ...base, file })).toBeUndefined()
  })

  it('a field must match whole (no prefix matches)', () => {
    const file = passfile('hh:5432:d:u:x\nh:54321:d:u:y\n')
    expect(passwordFromFile({ ...base, file })).toBeUndefined()
  })

  it('is ignored, with a warning, when group or others may read it; missing files give nothing', async () => {
    const file = passfile('*:*:*:*:open\n', 0o644)
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    try {
      expect(passwordFromFile({ ...base, file })).toBeUndefined()
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings).toEqual([
      `password file "${file}" has group or world access; permissions should be u=rw (0600) or less`,
    ])
    chmodSync(file, 0o600)
    expect(passwordFromFile({ ...base, file })).toBe('open')
    expect(passwordFromFile({ ...base, file: join(tmpdir(), 'no-such-pgpass-file') })).toBeUndefined()
    expect(passwordFromFile({ ...base, file: tmpdir() })).toBeUndefined()
  })

  it('needs a database and a user', () => {
    const file = passfile('*:*:*:*:any\n')
    expect(passwordFromFile({ ...base, file, database: '' })).toBeUndefined()
    expect(passwordFromFile({ ...base, file, user: '' })).toBeUndefined()
  })
})
