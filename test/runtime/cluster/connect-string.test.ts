/**
 * libpq connection strings (PostgreSQL 15 behaviour, checked against psql's libpq) and
 * PL/Proxy's connect-string rules (spec §5.5).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  appendOption,
  type ConnectOptions,
  ConnectStringError,
  describeConnectString,
  formatConnectString,
  maskPassword,
  parseConnectString,
  quoteConnectValue,
  sqlmedConnectString,
  toNodePostgresConfig,
  withUser,
} from '../../../src/runtime/cluster/connect-string.js'

const plain = (o: ConnectOptions): Record<string, string | undefined> => ({ ...o })

function parseError(s: string): ConnectStringError {
  try {
    parseConnectString(s)
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectStringError)
    return e as ConnectStringError
  }
  throw new Error(`expected ${JSON.stringify(s)} not to parse`)
}

describe('parseConnectString: keyword/value form', () => {
  it('reads key=value pairs separated by any whitespace', () => {
    expect(plain(parseConnectString('host=localhost port=5432 dbname=mydb'))).toEqual({
      host: 'localhost',
      port: '5432',
      dbname: 'mydb',
    })
    expect(plain(parseConnectString('\t host=a\n\r\v\fport=1  '))).toEqual({ host: 'a', port: '1' })
  })

  it('allows whitespace around =, even before the value', () => {
    expect(plain(parseConnectString('host = localhost   port =5432 dbname=   x'))).toEqual({
      host: 'localhost',
      port: '5432',
      dbname: 'x',
    })
  })

  it('takes the next word as the value when = is followed by blanks (libpq quirk)', () => {
    // `password= host=x` gives password "host=x", not an empty password
    expect(plain(parseConnectString('password= host=x'))).toEqual({ password: 'host=x' })
    expect(plain(parseConnectString('user= postgres'))).toEqual({ user: 'postgres' })
  })

  it('keeps = signs inside values', () => {
    expect(plain(parseConnectString('options=-c\\ search_path=x a=b=c'))).toEqual({
      options: '-c search_path=x',
      a: 'b=c',
    })
  })

  it("reads single-quoted values with \\' and \\\\ escapes", () => {
    expect(plain(parseConnectString("password='it\\'s a \\\\ secret' dbname=''"))).toEqual({
      password: "it's a \\ secret",
      dbname: '',
    })
    expect(parseConnectString("application_name='a  b'").application_name).toBe('a  b')
    // a backslash escapes any character, in and out of quotes
    expect(parseConnectString("a='\\x\\y'").a).toBe('xy')
    expect(parseConnectString('dbname=pos\\tgres').dbname).toBe('postgres')
  })

  it('ends a quoted value at the quote, even when a word follows without a blank', () => {
    expect(plain(parseConnectString("host='a'port=5"))).toEqual({ host: 'a', port: '5' })
  })

  it('reads a value with a quote in the middle literally', () => {
    expect(parseConnectString("user=o'brien").user).toBe("o'brien")
  })

  it('ignores a trailing backslash', () => {
    expect(parseConnectString('host=a\\').host).toBe('a')
  })

  it('keeps the last of repeated keywords', () => {
    expect(parseConnectString('host=a port=1 host=b').host).toBe('b')
  })

  it('keeps unknown keywords and is case-sensitive', () => {
    expect(plain(parseConnectString('HOST=x foo=bar'))).toEqual({ HOST: 'x', foo: 'bar' })
  })

  it('translates the deprecated requiressl as PostgreSQL 15 does', () => {
    expect(plain(parseConnectString('requiressl=1'))).toEqual({ sslmode: 'require' })
    expect(plain(parseConnectString('requiressl=0'))).toEqual({ sslmode: 'prefer' })
  })

  it('parses the empty and all-blank strings to no options', () => {
    expect(plain(parseConnectString(''))).toEqual({})
    expect(plain(parseConnectString('  \t\n'))).toEqual({})
  })

  it('is safe against keywords like __proto__', () => {
    const o = parseConnectString('__proto__=x constructor=y')
    expect(Object.getOwnPropertyDescriptor(o, '__proto__')?.value).toBe('x')
    expect(Object.keys(o)).toEqual(['__proto__', 'constructor'])
  })

  it('reports a missing = with libpq wording', () => {
    expect(parseError('host').message).toBe('missing "=" after "host" in connection info string')
    expect(parseError('a=b c').message).toBe('missing "=" after "c" in connection info string')
    expect(parseError('host = x   port').message).toBe('missing "=" after "port" in connection info string')
    expect(parseError("host=x dbname=y 'z'").message).toBe(
      `missing "=" after "'z'" in connection info string`,
    )
  })

  it('reports an unterminated quoted string', () => {
    expect(parseError("host='abc").message).toBe('unterminated quoted string in connection info string')
    expect(parseError("host='abc\\'").message).toBe('unterminated quoted string in connection info string')
  })

  it('reports an empty keyword as libpq does', () => {
    expect(parseError('=x').message).toBe('invalid connection option ""')
  })

  it('does not show the rest of an unquoted password in the error', () => {
    const e = parseError('host=h password=top secret')
    expect(e.message).toBe('missing "=" after "********" in connection info string')
    expect(e.connectString).toBe('host=h password=******** ********')
    expect(`${e.message} ${e.connectString}`).not.toMatch(/top|secret/)
  })

  it('is a ConnectStringError with the masked string', () => {
    const e = parseError("password='x host")
    expect(e.name).toBe('ConnectStringError')
    expect(e).toBeInstanceOf(Error)
    expect(e.connectString).toBe("password='********'")
  })
})

describe('parseConnectString: URIs', () => {
  it('reads user, password, host, port and dbname', () => {
    expect(plain(parseConnectString('postgresql://alice:s3cret@db.example.com:5433/sales'))).toEqual({
      user: 'alice',
      password: 's3cret',
      host: 'db.example.com',
      port: '5433',
      dbname: 'sales',
    })
  })

  it('accepts the postgres:// prefix too, case-sensitively', () => {
    expect(plain(parseConnectString('postgres://h/d'))).toEqual({ host: 'h', dbname: 'd' })
    expect(() => parseConnectString('POSTGRESQL://h/d')).toThrow('missing "=" after "POSTGRESQL://h/d"')
    expect(() => parseConnectString(' postgresql://h')).toThrow(ConnectStringError)
  })

  it('leaves out empty parts so that the environment still applies', () => {
    expect(plain(parseConnectString('postgresql://'))).toEqual({})
    expect(plain(parseConnectString('postgresql://h/'))).toEqual({ host: 'h' })
    expect(plain(parseConnectString('postgresql://:5433'))).toEqual({ port: '5433' })
    expect(plain(parseConnectString('postgresql://@h'))).toEqual({ host: 'h' })
    expect(plain(parseConnectString('postgresql://u:@h'))).toEqual({ user: 'u', host: 'h' })
    expect(plain(parseConnectString('postgresql:///mydb'))).toEqual({ dbname: 'mydb' })
  })

  it('percent-decodes every part (UTF-8, no + for space)', () => {
    expect(
      plain(parseConnectString('postgresql://us%40er:p%3Aw%2Fd@%2Fvar%2Frun%2Fpostgresql/d%C3%A9+b')),
    ).toEqual({
      user: 'us@er',
      password: 'p:w/d',
      host: '/var/run/postgresql',
      dbname: 'dé+b',
    })
  })

  it('reads IPv6 addresses in brackets', () => {
    expect(plain(parseConnectString('postgresql://[::1]:5433/db'))).toEqual({
      host: '::1',
      port: '5433',
      dbname: 'db',
    })
    expect(plain(parseConnectString('postgresql://[2001:db8::1234]'))).toEqual({ host: '2001:db8::1234' })
    expect(plain(parseConnectString('postgresql://[::1]?port=1'))).toEqual({ host: '::1', port: '1' })
  })

  it('keeps several hosts and ports as comma lists', () => {
    expect(plain(parseConnectString('postgresql://h1:5432,h2,[::1]:5434/db'))).toEqual({
      host: 'h1,h2,::1',
      port: '5432,,5434',
      dbname: 'db',
    })
  })

  it('reads query parameters, which override the parts before them', () => {
    expect(
      plain(parseConnectString('postgresql://h/db?host=%2Ftmp&application_name=my%20app&connect_timeout=10')),
    ).toEqual({ host: '/tmp', dbname: 'db', application_name: 'my app', connect_timeout: '10' })
    expect(plain(parseConnectString('postgresql://h?'))).toEqual({ host: 'h' })
    expect(plain(parseConnectString('postgresql://h?a=1&&b=2'.replace('&&', '&')))).toEqual({
      host: 'h',
      a: '1',
      b: '2',
    })
  })

  it('maps ssl=true to sslmode=require (JDBC compatibility)', () => {
    expect(parseConnectString('postgresql://h?ssl=true').sslmode).toBe('require')
    expect(plain(parseConnectString('postgresql://h?ssl=1'))).toEqual({ host: 'h', ssl: '1' })
  })

  it('takes everything before the first @ (up to a /) as user information', () => {
    expect(plain(parseConnectString('postgresql://u:p?x@h'))).toEqual({
      user: 'u',
      password: 'p?x',
      host: 'h',
    })
    expect(plain(parseConnectString('postgresql://u:pa/ss@h'))).toEqual({
      host: 'u',
      port: 'pa',
      dbname: 'ss@h',
    })
  })

  it('reports malformed URIs with libpq wording', () => {
    expect(parseError('postgresql://[::1').message).toBe(
      'end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://[::1"',
    )
    expect(parseError('postgresql://[]/x').message).toBe(
      'IPv6 host address may not be empty in URI: "postgresql://[]/x"',
    )
    expect(parseError('postgresql://[::1]x').message).toBe(
      'unexpected character "x" at position 19 in URI (expected ":" or "/"): "postgresql://[::1]x"',
    )
    // positions count bytes, as in libpq
    expect(parseError('postgres://[é[::1]r').message).toBe(
      'unexpected character "r" at position 20 in URI (expected ":" or "/"): "postgres://[é[::1]r"',
    )
    expect(parseError('postgresql://h?a').message).toBe(
      'missing key/value separator "=" in URI query parameter: "a"',
    )
    expect(parseError('postgresql://h?a=b=c').message).toBe(
      'extra key/value separator "=" in URI query parameter: "a"',
    )
    expect(parseError('postgresql://h/%zz').message).toBe('invalid percent-encoded token: "%zz"')
    expect(parseError('postgresql://h/%4').message).toBe('invalid percent-encoded token: "%4"')
    expect(parseError('postgresql://h/%00').message).toBe(
      'forbidden value %00 in percent-encoded value: "%00"',
    )
  })

  it('masks the password in URI errors', () => {
    const e = parseError('postgresql://u:se%zzcret@[::1')
    expect(e.message).toBe('invalid percent-encoded token: "********"')
    const e2 = parseError('postgresql://u:secret@[::1')
    expect(e2.message).toContain('"postgresql://u:********@[::1"')
    const e3 = parseError('postgresql://h?password=x%zzy')
    expect(e3.message).not.toContain('x%zzy')
  })
})

describe('formatConnectString', () => {
  it('quotes only values that need it', () => {
    expect(formatConnectString({ host: 'h', dbname: '', password: "a b'c\\d", port: '1' })).toBe(
      "host=h dbname='' password='a b\\'c\\\\d' port=1",
    )
  })

  it('rejects keywords that cannot be written', () => {
    expect(() => formatConnectString({ 'a b': 'x' })).toThrow(ConnectStringError)
    expect(() => formatConnectString({ 'a=b': 'x' })).toThrow('invalid connection option "a=b"')
    expect(() => formatConnectString({ '': 'x' })).toThrow(ConnectStringError)
  })

  const keyword = fc.stringMatching(/^[a-z_]{1,12}$/)
  const value = fc.string({
    unit: fc.oneof(
      fc.constantFrom(' ', "'", '\\', '=', '\t', '\n', 'é', '@', ':', '/', '?', '&'),
      fc.string({ minLength: 1, maxLength: 1 }),
    ),
  })

  it('round-trips: parse(format(options)) equals options', () => {
    fc.assert(
      fc.property(fc.dictionary(keyword, value), (dict) => {
        const expected: Record<string, string> = { ...dict }
        if ('requiressl' in expected) return
        expect(plain(parseConnectString(formatConnectString(expected)))).toEqual(expected)
      }),
    )
  })

  it('normalises: format(parse(s)) parses to the same options as s', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '=', ' ', "'", '\\', '\t') }), (s) => {
        let parsed: ConnectOptions
        try {
          parsed = parseConnectString(s)
        } catch {
          return
        }
        expect(plain(parseConnectString(formatConnectString(parsed)))).toEqual(plain(parsed))
      }),
    )
  })
})

describe('parseConnectString never fails with anything but ConnectStringError', () => {
  const tricky = fc.constantFrom(
    'a',
    'h',
    '=',
    ' ',
    "'",
    '\\',
    '%',
    '%0',
    '%00',
    '%41',
    '%zz',
    '@',
    ':',
    '/',
    '?',
    '&',
    ',',
    '[',
    ']',
    'postgresql://',
    'postgres://',
    'password',
    'é',
    '\uD800',
  )

  it.each([
    ['keyword/value', fc.string({ unit: tricky })],
    ['URI', fc.string({ unit: tricky }).map((s) => `postgresql://${s}`)],
    ['anything', fc.string({ unit: 'binary' })],
  ] as const)('%s', (_, arb) => {
    fc.assert(
      fc.property(arb, (s) => {
        try {
          parseConnectString(s)
        } catch (e) {
          expect(e).toBeInstanceOf(ConnectStringError)
        }
        expect(typeof maskPassword(s)).toBe('string')
      }),
      { numRuns: 500 },
    )
  })
})

describe('PL/Proxy user rules (spec §5.5)', () => {
  it("quotes values with backslashes before ' and \\", () => {
    expect(quoteConnectValue("a'b")).toBe("'a\\'b'")
    expect(quoteConnectValue('a\\b')).toBe("'a\\\\b'")
    expect(quoteConnectValue('')).toBe("''")
    expect(appendOption('dbname=x', 'user', "o'k")).toBe("dbname=x user='o\\'k'")
  })

  it("appends user='…' when the string has no user=", () => {
    expect(withUser('dbname=part0 host=localhost', 'bob')).toBe("dbname=part0 host=localhost user='bob'")
    expect(withUser('dbname=x', "a'b\\c")).toBe("dbname=x user='a\\'b\\\\c'")
    expect(withUser('', 'bob')).toBe(" user='bob'")
  })

  it('returns the string verbatim when it contains user= anywhere (raw substring test)', () => {
    for (const s of ['dbname=x user=alice', 'dbname=x superuser=1', "application_name='user=me'", 'user=']) {
      expect(withUser(s, 'bob')).toBe(s)
    }
  })

  it('is case-sensitive and does not allow blanks: USER= and user = do not count', () => {
    expect(withUser('dbname=x USER=alice', 'bob')).toBe("dbname=x USER=alice user='bob'")
    expect(withUser('dbname=x user = alice', 'bob')).toBe("dbname=x user = alice user='bob'")
  })

  it('the appended user wins over an earlier spaced user = (libpq keeps the last)', () => {
    expect(parseConnectString(withUser('dbname=x user = alice', 'bob')).user).toBe('bob')
  })

  it('builds SQL/MED strings with two spaces before the mapping options', () => {
    expect(
      sqlmedConnectString(
        'dbname=test_part3 host=localhost',
        [{ name: 'password', value: 'secret1' }],
        'test_user_bob',
      ),
    ).toBe("dbname=test_part3 host=localhost  password='secret1' user='test_user_bob'")
    expect(
      sqlmedConnectString(
        'dbname=test_part3 host=localhost',
        [
          { name: 'user', value: 'test_user_bob' },
          { name: 'password', value: 'secret1' },
        ],
        'someone_else',
      ),
    ).toBe("dbname=test_part3 host=localhost  user='test_user_bob' password='secret1'")
  })

  it('appends user= for an empty mapping, and when the option is not exactly "user"', () => {
    expect(sqlmedConnectString('dbname=p', [], 'bob')).toBe("dbname=p  user='bob'")
    expect(sqlmedConnectString('dbname=p', [{ name: 'USER', value: 'x' }], 'bob')).toBe(
      "dbname=p  USER='x' user='bob'",
    )
  })

  it('ignores the mapping (password included) when the partition string has user=', () => {
    expect(sqlmedConnectString('dbname=p user=fixed', [{ name: 'password', value: 's' }], 'bob')).toBe(
      'dbname=p user=fixed',
    )
  })

  it('escapes mapping values', () => {
    expect(sqlmedConnectString('dbname=p', [{ name: 'password', value: "it's\\" }], 'b')).toBe(
      "dbname=p  password='it\\'s\\\\' user='b'",
    )
    const parsed = parseConnectString(
      sqlmedConnectString('dbname=p', [{ name: 'password', value: "it's\\" }], 'b'),
    )
    expect(parsed.password).toBe("it's\\")
  })

  it('produces strings libpq reads back to the same user for any name', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (user, password) => {
        const s = sqlmedConnectString('dbname=p', [{ name: 'password', value: password }], user)
        const parsed = parseConnectString(s)
        expect(parsed.user).toBe(user)
        expect(parsed.password).toBe(password)
        expect(parseConnectString(withUser('dbname=p', user)).user).toBe(user)
      }),
    )
  })
})

describe('maskPassword', () => {
  it.each([
    ['host=h password=secret dbname=d', 'host=h password=******** dbname=d'],
    ["host=h password='sec ret' dbname=d", "host=h password='********' dbname=d"],
    ["password='it\\'s' x=1", "password='********' x=1"],
    ["password = 'x'", "password = '********'"],
    ['password =secret', 'password =********'],
    ['password=a\\ b c=d', 'password=******** c=d'],
    ["password=''", "password='********'"],
    ['password=', 'password=********'],
    ['sslpassword=k password=p', 'sslpassword=******** password=********'],
    ['password=a password=b', 'password=******** password=********'],
    ['PASSWORD=visible Password=visible', 'PASSWORD=visible Password=visible'],
    ['mypassword=visible', 'mypassword=visible'],
    ["host='password=x'", "host='password=x'"],
    ['host=h dbname=d', 'host=h dbname=d'],
    ['', ''],
  ])('keyword/value: %j', (input, expected) => {
    expect(maskPassword(input)).toBe(expected)
  })

  it.each([
    ['postgresql://u:secret@h:5432/db', 'postgresql://u:********@h:5432/db'],
    ['postgres://u:s%40cret@h', 'postgres://u:********@h'],
    ['postgresql://u:@h', 'postgresql://u:********@h'],
    ['postgresql://u@h/db', 'postgresql://u@h/db'],
    [
      'postgresql://h/db?password=secret&sslmode=require',
      'postgresql://h/db?password=********&sslmode=require',
    ],
    ['postgresql://h?pass%77ord=secret', 'postgresql://h?pass%77ord=********'],
    ['postgresql://h?sslpassword=x&password=y', 'postgresql://h?sslpassword=********&password=********'],
    ['postgresql://u:p@ss@h/db', 'postgresql://u:********@h/db'],
    ['postgresql://u:p?x@h', 'postgresql://u:********@h'],
    ['postgresql://h/d?application_name=password', 'postgresql://h/d?application_name=password'],
  ])('URI: %j', (input, expected) => {
    expect(maskPassword(input)).toBe(expected)
  })

  it('masks malformed strings without failing', () => {
    expect(maskPassword("host=h password='unterminated")).toBe("host=h password='********'")
    expect(maskPassword('host=h password secret')).toBe('host=h password ********')
    expect(maskPassword("password 'a b'")).toBe("password '********' ********")
    expect(maskPassword('password=a b c')).toBe('password=******** ******** ********')
    expect(maskPassword('postgresql://u:secret@[::1')).toBe('postgresql://u:********@[::1')
  })

  it('masks to a string whose password parses as the mask, other options unchanged', () => {
    const other = fc.string({ unit: fc.constantFrom('a', 'b', ' ', "'", '\\', '=', '/') })
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), other), fc.string(), (dict, password) => {
        const options = { ...dict, password }
        const masked = parseConnectString(maskPassword(formatConnectString(options)))
        expect(plain(masked)).toEqual({ ...options, password: '********' })
      }),
    )
  })

  /** Passwords start with a marker no other generated value contains, so any occurrence is a leak. */
  const secretArb = fc
    .tuple(fc.constantFrom('Ω', '§', '¤'), fc.string({ minLength: 3 }))
    .map(([marker, rest]) => marker + rest)
  const otherValue = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', '.', '-', ' ', "'", '\\', '=') })
  const leaks = (out: string, secret: string): boolean =>
    [secret, secret.replace(/['\\]/g, '\\$&'), encodeURIComponent(secret)].some((form) => out.includes(form))

  it('never shows a generated password: keyword/value strings', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), otherValue),
        secretArb,
        fc.constantFrom('password', 'sslpassword'),
        fc.constantFrom(' ', '  ', '\t', ' = ', '= ', ' ='),
        fc.boolean(),
        (dict, secret, keyword, eq, quoteAlways) => {
          const value = quoteAlways || /[\s'\\]/.test(secret) ? quoteConnectValue(secret) : secret
          const sep = eq.includes('=') ? eq : '='
          const parts = Object.entries(dict).map(([k, v]) => `${k}=${quoteConnectValue(v)}`)
          parts.splice(parts.length >> 1, 0, `${keyword}${sep}${value}`)
          expect(leaks(maskPassword(parts.join(' ')), secret)).toBe(false)
        },
      ),
    )
  })

  it('never shows a generated password: URIs', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]{0,6}$/),
        secretArb,
        fc.stringMatching(/^[a-z.]{0,8}$/),
        fc.constantFrom('userinfo', 'query', 'both'),
        (user, secret, host, where) => {
          const enc = encodeURIComponent(secret)
          const userinfo = where === 'query' ? '' : `${user}:${enc}@`
          const query = where === 'userinfo' ? '' : `?sslmode=disable&password=${enc}&application_name=x`
          expect(leaks(maskPassword(`postgresql://${userinfo}${host}:5432/db${query}`), secret)).toBe(false)
        },
      ),
    )
  })
})

describe('toNodePostgresConfig', () => {
  const config = (s: string, env = {}, builtins = {}) =>
    toNodePostgresConfig(parseConnectString(s), env, builtins)

  it('maps host, port, dbname, user and password', () => {
    expect(config("host=db.example port=5433 dbname=sales user=alice password='pw'")).toEqual({
      host: 'db.example',
      port: 5433,
      database: 'sales',
      user: 'alice',
      password: 'pw',
      ssl: false,
      keepAlive: true,
    })
  })

  it('passes a socket directory as host', () => {
    expect(config('host=/var/run/postgresql dbname=d user=u').host).toBe('/var/run/postgresql')
  })

  it('falls back to the environment, then to libpq defaults', () => {
    const env = {
      PGHOST: 'envhost',
      PGPORT: '6000',
      PGDATABASE: 'envdb',
      PGUSER: 'envuser',
      PGPASSWORD: 'envpw',
    }
    expect(config('', env)).toMatchObject({
      host: 'envhost',
      port: 6000,
      database: 'envdb',
      user: 'envuser',
      password: 'envpw',
    })
    expect(config('host=h dbname=d', env)).toMatchObject({
      host: 'h',
      port: 6000,
      database: 'd',
      user: 'envuser',
    })
    expect(config('', {}, { user: 'osuser' })).toEqual({
      host: '/tmp',
      port: 5432,
      user: 'osuser',
      database: 'osuser',
      ssl: false,
      keepAlive: true,
    })
    expect(config('', {}, { socketDir: '/var/run/postgresql' }).host).toBe('/var/run/postgresql')
    expect(config('user=u').database).toBe('u')
    expect(config('user=u', { PGDATABASE: 'envdb' }).database).toBe('envdb')
  })

  it('treats an explicitly empty setting as given: no environment, libpq default', () => {
    const env = { PGHOST: 'envhost', PGPORT: '6000', PGDATABASE: 'envdb', PGUSER: 'envuser' }
    expect(config("host='' port='' dbname='' user=u", env)).toMatchObject({
      host: '/tmp',
      port: 5432,
      database: 'u',
      user: 'u',
    })
    expect(config("user=''", env, { user: 'os' }).user).toBe('os')
    expect(config('', { PGHOST: '' }).host).toBe('/tmp')
  })

  it('ignores environment variables that are not libpq settings', () => {
    expect(config('', { USER: 'shell', HOST: 'x' }).user).toBeUndefined()
  })

  it('connects to hostaddr, keeping host for certificate checks', () => {
    expect(config('host=db.example hostaddr=10.0.0.1').host).toBe('10.0.0.1')
    expect(config('host=db.example hostaddr=10.0.0.1 sslmode=verify-full').ssl).toEqual({
      servername: 'db.example',
    })
  })

  it('maps sslmode', () => {
    for (const mode of ['disable', 'allow', 'prefer']) expect(config(`sslmode=${mode}`).ssl).toBe(false)
    expect(config('sslmode=require').ssl).toEqual({ rejectUnauthorized: false })
    const verifyCa = config('sslmode=verify-ca').ssl
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true })
    expect(typeof verifyCa === 'object' && verifyCa.checkServerIdentity?.('h', {} as never)).toBeUndefined()
    expect(config('sslmode=verify-full').ssl).toBe(true)
    expect(config('', { PGSSLMODE: 'require' }).ssl).toEqual({ rejectUnauthorized: false })
    expect(config('requiressl=1').ssl).toEqual({ rejectUnauthorized: false })
    expect(config('postgresql://h?ssl=true').ssl).toEqual({ rejectUnauthorized: false })
    expect(() => config('sslmode=on')).toThrow('invalid sslmode value: "on"')
  })

  it('maps connect_timeout to milliseconds, at least 2 s, ≤ 0 meaning none', () => {
    expect(config('connect_timeout=10').connectionTimeoutMillis).toBe(10_000)
    expect(config('connect_timeout=1').connectionTimeoutMillis).toBe(2_000)
    expect(config("connect_timeout=' 3 '").connectionTimeoutMillis).toBe(3_000)
    expect(config('connect_timeout=0').connectionTimeoutMillis).toBe(0)
    expect(config('connect_timeout=-5').connectionTimeoutMillis).toBe(0)
    expect(config('').connectionTimeoutMillis).toBeUndefined()
    expect(config('', { PGCONNECT_TIMEOUT: '7' }).connectionTimeoutMillis).toBe(7_000)
    expect(() => config('connect_timeout=x')).toThrow(
      'invalid integer value "x" for connection option "connect_timeout"',
    )
  })

  it('checks the port like libpq', () => {
    expect(config("port=' 5433 '").port).toBe(5433)
    expect(() => config('port=abc')).toThrow('invalid integer value "abc" for connection option "port"')
    expect(() => config('port=99999')).toThrow('invalid port number: "99999"')
    expect(() => config('port=0')).toThrow('invalid port number: "0"')
  })

  it('maps application names, options, client_encoding and keepalives', () => {
    expect(
      config(
        "application_name=app fallback_application_name=fb options='-c search_path=s' client_encoding=LATIN1 keepalives_idle=30",
      ),
    ).toMatchObject({
      application_name: 'app',
      fallback_application_name: 'fb',
      options: '-c search_path=s',
      client_encoding: 'LATIN1',
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
    })
    expect(config('', { PGAPPNAME: 'envapp', PGOPTIONS: '-c x=1', PGCLIENTENCODING: 'UTF8' })).toMatchObject({
      application_name: 'envapp',
      options: '-c x=1',
      client_encoding: 'UTF8',
    })
    expect(config('client_encoding=auto').client_encoding).toBeUndefined()
    expect(config('keepalives=0 keepalives_idle=30')).toMatchObject({ keepAlive: false })
    expect(config('keepalives=0').keepAliveInitialDelayMillis).toBeUndefined()
  })

  it('rejects several hosts and services, naming the problem', () => {
    expect(() => config('postgresql://h1,h2/db')).toThrow(/multiple hosts are not supported: "h1,h2"/)
    expect(() => config('host=h port=1,2')).toThrow(ConnectStringError)
    expect(() => config('service=mydb')).toThrow(/connection service "mydb" is not supported/)
    expect(() => config('', { PGSERVICE: 'mydb' })).toThrow(ConnectStringError)
  })

  it('never puts the password into its error messages', () => {
    try {
      config("password='hunter2' port=nope")
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ConnectStringError)
      const err = e as ConnectStringError
      expect(err.connectString).toBe('password=******** port=nope')
      expect(`${err.message}${err.connectString}`).not.toContain('hunter2')
    }
  })
})

describe('describeConnectString', () => {
  const describeOf = (s: string, env = {}, builtins = {}) =>
    describeConnectString(parseConnectString(s), env, builtins)

  it('gives host:port/dbname', () => {
    expect(describeOf('host=db port=5433 dbname=sales password=x')).toBe('db:5433/sales')
    expect(describeOf('postgresql://u:pw@[::1]/d')).toBe('[::1]:5432/d')
    expect(describeOf('host=/tmp dbname=d')).toBe('/tmp:5432/d')
    expect(describeOf('hostaddr=10.0.0.1 user=u')).toBe('10.0.0.1:5432/u')
  })

  it('uses the environment and defaults', () => {
    expect(describeOf('', { PGHOST: 'eh', PGPORT: '1', PGDATABASE: 'ed' })).toBe('eh:1/ed')
    expect(describeOf('', {}, { user: 'me', socketDir: '/run' })).toBe('/run:5432/me')
    expect(describeOf('')).toBe('/tmp:5432/')
  })

  it('never fails and never shows the password', () => {
    expect(describeOf('port=bad password=secret')).toBe('/tmp:bad/')
  })
})
