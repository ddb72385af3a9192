import { existsSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
/**
 * libpq connection strings as PL/Proxy handles them: parsing (libpq's `conninfo_parse`
 * and `conninfo_uri_parse_options`, PostgreSQL 15), the `user=` / user-mapping rules of
 * PL/Proxy 2.10+ (spec §5.5), password masking for messages, and the translation to a
 * node-postgres client config or to a WireConnection's options, with libpq's environment
 * and built-in defaults.
 */
import type { ClientConfig } from 'pg'
import type { SslMode, WireCredentials, WireOptions } from '../wire/connection.js'
import { passwordFromFile } from './pgpass.js'

/**
 * Keyword → value, as libpq would store them; a repeated keyword keeps its last value.
 * Keywords are case-sensitive (`HOST` is not `host`). Unknown keywords are kept: libpq
 * would reject them when connecting, not here.
 */
export interface ConnectOptions {
  readonly [keyword: string]: string | undefined
}

/** A malformed connection string; the message is libpq's and never shows a password. */
export class ConnectStringError extends Error {
  override readonly name = 'ConnectStringError'

  constructor(
    message: string,
    /** the offending connection string with its password masked */
    readonly connectString: string,
  ) {
    super(message)
  }
}

/** Keywords whose values are secrets: masked in every message. */
const SECRET_KEYWORDS: ReadonlySet<string> = new Set(['password', 'sslpassword'])

export const PASSWORD_MASK = '********'

const URI_PREFIXES = ['postgresql://', 'postgres://'] as const

/** C `isspace` in the C locale, which is what libpq's parser uses. */
function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f'
}

function uriPrefixLength(s: string): number {
  for (const prefix of URI_PREFIXES) if (s.startsWith(prefix)) return prefix.length
  return 0
}

// ---------------------------------------------------------------------------
// parsing

/**
 * Parses a connection string exactly as libpq does: `key = value` pairs separated by
 * whitespace (values optionally in single quotes; `\` escapes the next character inside
 * and outside quotes), or a `postgresql://` / `postgres://` URI.
 */
export function parseConnectString(s: string): ConnectOptions {
  const options: Record<string, string> = Object.create(null)
  const store = (keyword: string, value: string): void => {
    // PostgreSQL ≤ 15 still translates the deprecated requiressl option
    if (keyword === 'requiressl') {
      options.sslmode = value.startsWith('1') ? 'require' : 'prefer'
    } else {
      options[keyword] = value
    }
  }
  if (uriPrefixLength(s) > 0) parseUri(s, store)
  else parseKeywordValue(s, store)
  return Object.freeze(options)
}

function parseKeywordValue(s: string, store: (keyword: string, value: string) => void): void {
  const fail = (message: string): never => {
    throw new ConnectStringError(message, maskPassword(s))
  }
  let i = 0
  let previousSecret = false
  while (i < s.length) {
    if (isSpace(s[i])) {
      i++
      continue
    }
    const nameStart = i
    while (i < s.length && s[i] !== '=' && !isSpace(s[i])) i++
    const name = s.slice(nameStart, i)
    while (isSpace(s[i])) i++
    if (s[i] !== '=') {
      // a stray word right after a password is most likely the rest of an unquoted password
      fail(`missing "=" after "${previousSecret ? PASSWORD_MASK : name}" in connection info string`)
    }
    i++
    while (isSpace(s[i])) i++
    let value = ''
    if (s[i] === "'") {
      i++
      for (;;) {
        if (i >= s.length) fail('unterminated quoted string in connection info string')
        const ch = s[i]!
        if (ch === '\\') {
          i++
          if (i < s.length) value += s[i++]
        } else if (ch === "'") {
          i++
          break
        } else {
          value += ch
          i++
        }
      }
    } else {
      while (i < s.length) {
        const ch = s[i]!
        if (isSpace(ch)) {
          i++
          break
        }
        if (ch === '\\') {
          i++
          if (i < s.length) value += s[i++]
        } else {
          value += ch
          i++
        }
      }
    }
    if (name === '') fail('invalid connection option ""')
    store(name, value)
    previousSecret = SECRET_KEYWORDS.has(name)
  }
}

function parseUri(uri: string, store: (keyword: string, value: string) => void): void {
  const masked = (): string => maskPassword(uri)
  const fail = (message: string): never => {
    throw new ConnectStringError(message, masked())
  }
  const decode = (text: string, secret = false): string => {
    const result = percentDecode(text)
    if (typeof result === 'string') return result
    const shown = secret ? PASSWORD_MASK : text
    return fail(
      result.error === 'invalid'
        ? `invalid percent-encoded token: "${shown}"`
        : `forbidden value %00 in percent-encoded value: "${shown}"`,
    )
  }

  const start = uriPrefixLength(uri)
  let p = start
  while (p < uri.length && uri[p] !== '@' && uri[p] !== '/') p++
  if (uri[p] === '@') {
    // user[:password]@
    let q = start
    while (uri[q] !== ':' && uri[q] !== '@') q++
    const user = uri.slice(start, q)
    if (user !== '') store('user', decode(user))
    if (uri[q] === ':') {
      const passwordStart = q + 1
      while (uri[q] !== '@') q++
      const password = uri.slice(passwordStart, q)
      if (password !== '') store('password', decode(password, true))
    }
    p = q + 1
  } else {
    p = start
  }

  const hosts: string[] = []
  const ports: string[] = []
  let terminator: string | undefined
  for (;;) {
    let host: string
    if (uri[p] === '[') {
      const hostStart = ++p
      while (p < uri.length && uri[p] !== ']') p++
      if (p >= uri.length) {
        fail(`end of string reached when looking for matching "]" in IPv6 host address in URI: "${masked()}"`)
      }
      if (p === hostStart) fail(`IPv6 host address may not be empty in URI: "${masked()}"`)
      host = uri.slice(hostStart, p)
      p++
      const next = uri[p]
      if (next !== undefined && next !== ':' && next !== '/' && next !== '?' && next !== ',') {
        // libpq counts bytes (and prints only the first byte of a multibyte character)
        const position = Buffer.byteLength(uri.slice(0, p)) + 1
        const shown = String.fromCodePoint(uri.codePointAt(p)!)
        fail(
          `unexpected character "${shown}" at position ${position} in URI (expected ":" or "/"): "${masked()}"`,
        )
      }
    } else {
      const hostStart = p
      while (p < uri.length && !':/?,'.includes(uri[p]!)) p++
      host = uri.slice(hostStart, p)
    }
    terminator = uri[p]
    hosts.push(host)
    let port = ''
    if (terminator === ':') {
      const portStart = ++p
      while (p < uri.length && !'/?,'.includes(uri[p]!)) p++
      port = uri.slice(portStart, p)
      terminator = uri[p]
    }
    ports.push(port)
    if (terminator !== ',') break
    p++
  }
  const hostList = hosts.join(',')
  const portList = ports.join(',')
  if (hostList !== '') store('host', decode(hostList))
  if (portList !== '') store('port', decode(portList))

  if (terminator !== undefined && terminator !== '?') {
    // '/' then the database name; an empty one is not stored, so PGDATABASE still applies
    const dbStart = ++p
    while (p < uri.length && uri[p] !== '?') p++
    const dbname = uri.slice(dbStart, p)
    if (dbname !== '') store('dbname', decode(dbname))
    terminator = uri[p]
  }

  if (terminator !== undefined) parseUriParams(uri.slice(p + 1), store, decode, fail)
}

function parseUriParams(
  params: string,
  store: (keyword: string, value: string) => void,
  decode: (text: string, secret?: boolean) => string,
  fail: (message: string) => never,
): void {
  let p = 0
  while (p < params.length) {
    const keywordStart = p
    let eq = -1
    for (;;) {
      const ch = params[p]
      if (ch === '=') {
        if (eq >= 0) {
          fail(`extra key/value separator "=" in URI query parameter: "${params.slice(keywordStart, eq)}"`)
        }
        eq = p
        p++
      } else if (ch === '&' || ch === undefined) {
        if (eq < 0) {
          fail(`missing key/value separator "=" in URI query parameter: "${params.slice(keywordStart, p)}"`)
        }
        break
      } else {
        p++
      }
    }
    const keyword = decode(params.slice(keywordStart, eq))
    const value = decode(params.slice(eq + 1, p), SECRET_KEYWORDS.has(keyword))
    if (params[p] === '&') p++
    // JDBC compatibility, as in libpq
    if (keyword === 'ssl' && value === 'true') store('sslmode', 'require')
    else store(keyword, value)
  }
}

/** libpq's `conninfo_uri_decode`: %XX to bytes (no `+` → space), then UTF-8. */
function percentDecode(text: string): string | { readonly error: 'invalid' | 'nul' } {
  if (!text.includes('%')) return text
  const bytes: number[] = []
  const encoder = new TextEncoder()
  for (let i = 0; i < text.length; ) {
    const ch = text[i]!
    if (ch !== '%') {
      const cp = text.codePointAt(i)!
      const chars = String.fromCodePoint(cp)
      bytes.push(...encoder.encode(chars))
      i += chars.length
      continue
    }
    const hex = text.slice(i + 1, i + 3)
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { error: 'invalid' }
    const byte = Number.parseInt(hex, 16)
    if (byte === 0) return { error: 'nul' }
    bytes.push(byte)
    i += 3
  }
  return new TextDecoder().decode(new Uint8Array(bytes))
}

// ---------------------------------------------------------------------------
// building

/**
 * A value in single quotes with every `'` and `\` preceded by a backslash — PL/Proxy's
 * quoting (2.10+), which libpq reads back unchanged.
 */
export function quoteConnectValue(value: string): string {
  return `'${value.replace(/['\\]/g, '\\$&')}'`
}

/** `key=value` pairs that parse back to the same options; values are quoted only when needed. */
export function formatConnectString(options: ConnectOptions): string {
  const parts: string[] = []
  for (const [keyword, value] of Object.entries(options)) {
    if (value === undefined) continue
    if (keyword === '' || /[=\s]/.test(keyword)) {
      throw new ConnectStringError(`invalid connection option "${keyword}"`, '')
    }
    parts.push(`${keyword}=${value === '' || /[\s'\\]/.test(value) ? quoteConnectValue(value) : value}`)
  }
  return parts.join(' ')
}

/**
 * PL/Proxy's `plproxy_append_cstr_option`: ` name='value'` appended, value quoted by
 * {@link quoteConnectValue}. `appendOption('dbname=a', 'user', "o'k")` →
 * `dbname=a user='o\'k'`.
 */
export function appendOption(connstr: string, name: string, value: string): string {
  return `${connstr} ${name}=${quoteConnectValue(value)}`
}

/**
 * The string a compat cluster or CONNECT partition connects with (spec §5.5): used
 * verbatim when it contains the substring `user=` anywhere (a raw, case-sensitive test:
 * `superuser=x` or a `user=` inside another value count too), otherwise with
 * ` user='<user>'` appended.
 */
export function withUser(connstr: string, user: string): string {
  return connstr.includes('user=') ? connstr : appendOption(connstr, 'user', user)
}

/**
 * The string a SQL/MED partition connects with for a user (spec §5.5): verbatim when the
 * partition string contains `user=` (the user mapping, password included, is then
 * ignored); otherwise `<connstr> <extra>`, where extra is every mapping option in order
 * as ` key='value'` plus ` user='<user>'` when the mapping has no `user` option (exact,
 * lower-case name) — so two spaces separate the partition string from the first option.
 */
export function sqlmedConnectString(
  partitionConnstr: string,
  mappingOptions: readonly { readonly name: string; readonly value: string }[],
  user: string,
): string {
  if (partitionConnstr.includes('user=')) return partitionConnstr
  let extra = ''
  for (const option of mappingOptions) extra = appendOption(extra, option.name, option.value)
  if (!mappingOptions.some((o) => o.name === 'user')) extra = appendOption(extra, 'user', user)
  return `${partitionConnstr} ${extra}`
}

// ---------------------------------------------------------------------------
// masking

/**
 * The same string with every password replaced by `********`: `password` and
 * `sslpassword` values in keyword/value strings (quoted or not, any spacing; keywords are
 * lower-case, so `PASSWORD=x` is not a password for libpq and stays), the password of a
 * URI's `user:password@` part, and `password=` / `sslpassword=` URI query parameters.
 * Never throws: malformed strings are masked on a best-effort reading that errs on the
 * side of hiding (a stray word after a password, an unterminated quoted password).
 */
export function maskPassword(connstr: string): string {
  return uriPrefixLength(connstr) > 0 ? maskUri(connstr) : maskKeywordValue(connstr)
}

function maskKeywordValue(s: string): string {
  const spans: [number, number][] = []
  let i = 0
  // after a password value or a bare `password` word, stray words are treated as secret too
  let secretPending = false
  while (i < s.length) {
    if (isSpace(s[i])) {
      i++
      continue
    }
    const nameStart = i
    while (i < s.length && s[i] !== '=' && !isSpace(s[i])) i++
    const name = s.slice(nameStart, i)
    while (isSpace(s[i])) i++
    if (s[i] !== '=') {
      if (secretPending) spans.push([nameStart, nameStart + name.length])
      else secretPending = SECRET_KEYWORDS.has(name)
      continue
    }
    i++
    while (isSpace(s[i])) i++
    const valueStart = i
    if (s[i] === "'") {
      i++
      while (i < s.length && s[i] !== "'") i += s[i] === '\\' ? 2 : 1
      i = Math.min(i + 1, s.length)
    } else {
      while (i < s.length && !isSpace(s[i])) i += s[i] === '\\' ? 2 : 1
      i = Math.min(i, s.length)
    }
    secretPending = SECRET_KEYWORDS.has(name)
    if (secretPending) spans.push([valueStart, i])
  }
  return replaceSpans(s, spans, (text) => (text.startsWith("'") ? `'${PASSWORD_MASK}'` : PASSWORD_MASK))
}

function maskUri(uri: string): string {
  const spans: [number, number][] = []
  const start = uriPrefixLength(uri)
  // libpq ends the user info at the first '@' before any '/'; masking goes to the last
  // one, so that an unencoded '@' inside a password does not leak the rest of it
  let end = start
  while (end < uri.length && uri[end] !== '/') end++
  const at = uri.lastIndexOf('@', end - 1)
  if (at >= start) {
    const colon = uri.indexOf(':', start)
    if (colon >= 0 && colon < at) spans.push([colon + 1, at])
  }
  // query parameters are looked for from the first '?' on, wherever libpq would take the
  // query to start: overlapping spans are merged below
  const question = uri.indexOf('?', start)
  if (question >= 0) {
    let p = question + 1
    while (p <= uri.length) {
      let amp = uri.indexOf('&', p)
      if (amp < 0) amp = uri.length
      const eq = uri.indexOf('=', p)
      if (eq >= 0 && eq < amp) {
        const decoded = percentDecode(uri.slice(p, eq))
        const keyword = typeof decoded === 'string' ? decoded : uri.slice(p, eq)
        if (SECRET_KEYWORDS.has(keyword)) spans.push([eq + 1, amp])
      }
      p = amp + 1
    }
  }
  return replaceSpans(uri, spans, () => PASSWORD_MASK)
}

function replaceSpans(s: string, spans: readonly [number, number][], mask: (text: string) => string): string {
  const sorted = [...spans].sort((a, b) => a[0] - b[0])
  let out = ''
  let last = 0
  for (const [from, to] of sorted) {
    if (to <= last) continue
    const begin = Math.max(from, last)
    // a span overlapping the previous one extends that mask
    if (begin > from) {
      last = to
      continue
    }
    out += s.slice(last, begin) + mask(s.slice(begin, to))
    last = to
  }
  return out + s.slice(last)
}

// ---------------------------------------------------------------------------
// node-postgres

/** libpq's environment variables, typically the caller's `process.env`. */
export type LibpqEnvironment = Readonly<Record<string, string | undefined>>

/** What libpq falls back to when neither the string nor the environment says. */
export interface LibpqBuiltins {
  /**
   * Unix-socket directory used when no host is given: libpq's compiled-in
   * DEFAULT_PGSOCKET_DIR, `/tmp` upstream, `/var/run/postgresql` in Debian's packages.
   */
  readonly socketDir?: string
  /** the operating-system user name, libpq's default user (and so default database) */
  readonly user?: string
}

/** libpq's DEFAULT_PGSOCKET_DIR as built upstream. */
export const DEFAULT_SOCKET_DIR = '/tmp'

const ENVIRONMENT_VARIABLES: Readonly<Record<string, string>> = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  client_encoding: 'PGCLIENTENCODING',
  sslmode: 'PGSSLMODE',
  service: 'PGSERVICE',
  passfile: 'PGPASSFILE',
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const

/** The settings libpq would connect with, from the string, the environment and the built-in defaults. */
interface LibpqSettings {
  /** hostaddr when given, else host, else the socket directory */
  readonly host: string
  /** host as given (a name or a socket directory), beside hostaddr */
  readonly hostName: string | undefined
  readonly hostaddrGiven: boolean
  readonly port: number
  readonly user: string | undefined
  readonly database: string | undefined
  /** may be '' (given empty) */
  readonly password: string | undefined
  /** ms, 0 = none; undefined when not given */
  readonly connectTimeoutMs: number | undefined
  readonly sslmode: SslMode
  readonly applicationName: string | undefined
  readonly fallbackApplicationName: string | undefined
  readonly options: string | undefined
  /** undefined for `auto` */
  readonly clientEncoding: string | undefined
  readonly keepAlive: boolean
  readonly keepAliveInitialDelayMillis: number | undefined
  /** the password file: passfile, PGPASSFILE, or ~/.pgpass */
  readonly passfile: string
}

function libpqSettings(
  options: ConnectOptions,
  env: LibpqEnvironment,
  builtins: LibpqBuiltins,
): LibpqSettings {
  const masked = formatMasked(options)
  const fail = (message: string): never => {
    throw new ConnectStringError(message, masked)
  }
  const setting = (keyword: string): string | undefined => {
    const own = options[keyword]
    if (own !== undefined) return own
    const variable = ENVIRONMENT_VARIABLES[keyword]
    return variable === undefined ? undefined : env[variable]
  }
  const nonEmpty = (v: string | undefined): string | undefined =>
    v === undefined || v === '' ? undefined : v

  const service = nonEmpty(setting('service'))
  if (service !== undefined) {
    fail(
      `connection service "${service}" is not supported: pg_service.conf is not read; ` +
        "write the service's options into the connection string instead",
    )
  }

  const hostList = setting('host') ?? ''
  const hostaddrList = setting('hostaddr') ?? ''
  const portList = setting('port') ?? ''
  if (hostList.includes(',') || hostaddrList.includes(',') || portList.includes(',')) {
    fail(
      `multiple hosts are not supported: "${hostList || hostaddrList}" port "${portList}"; ` +
        'give each partition a single host',
    )
  }
  const host = nonEmpty(hostaddrList) ?? nonEmpty(hostList) ?? builtins.socketDir ?? DEFAULT_SOCKET_DIR
  const port = portList === '' ? 5432 : parseIntParam(portList, 'port', fail)
  if (port < 1 || port > 65535) fail(`invalid port number: "${portList}"`)
  const user = nonEmpty(setting('user')) ?? builtins.user
  const database = nonEmpty(setting('dbname')) ?? user

  let connectTimeoutMs: number | undefined
  const timeout = setting('connect_timeout')
  if (timeout !== undefined) {
    const seconds = parseIntParam(timeout, 'connect_timeout', fail)
    connectTimeoutMs = seconds <= 0 ? 0 : Math.max(seconds, 2) * 1000
  }

  const sslmode = setting('sslmode') ?? 'prefer'
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) fail(`invalid sslmode value: "${sslmode}"`)

  const clientEncoding = setting('client_encoding')
  // libpq turns TCP keepalives on by default
  const keepalives = options.keepalives
  const keepAlive =
    keepalives === undefined || keepalives === '' || parseIntParam(keepalives, 'keepalives', fail) !== 0
  let keepAliveInitialDelayMillis: number | undefined
  const keepalivesIdle = options.keepalives_idle
  if (keepAlive && keepalivesIdle !== undefined && keepalivesIdle !== '') {
    const seconds = parseIntParam(keepalivesIdle, 'keepalives_idle', fail)
    if (seconds > 0) keepAliveInitialDelayMillis = seconds * 1000
  }
  const home = nonEmpty(env.HOME) ?? homedir()
  return {
    host,
    hostName: nonEmpty(hostList),
    hostaddrGiven: nonEmpty(hostaddrList) !== undefined,
    port,
    user,
    database,
    password: setting('password'),
    connectTimeoutMs,
    sslmode: sslmode as SslMode,
    applicationName: setting('application_name'),
    fallbackApplicationName: options.fallback_application_name,
    options: setting('options'),
    clientEncoding: clientEncoding === 'auto' ? undefined : clientEncoding,
    keepAlive,
    keepAliveInitialDelayMillis,
    passfile: nonEmpty(setting('passfile')) ?? join(home, '.pgpass'),
  }
}

/**
 * A node-postgres `ClientConfig` that connects where libpq would connect with these
 * options. Each setting comes from the string, else from libpq's environment variable in
 * `env` (an empty string set either way still counts as given, as in libpq), else from
 * libpq's built-in default: host = the unix-socket directory, port 5432, user = the OS
 * user, dbname = the user. `host`, `port`, `database`, `user` and `ssl` are always set
 * (when known) so that node-postgres does not consult `process.env` itself.
 *
 * Mapped: host (a `/…` host is a socket directory; hostaddr wins for the address),
 * port, dbname, user, password (PGPASSWORD; otherwise node-postgres' own .pgpass
 * lookup), connect_timeout (seconds, at least 2 as in libpq; libpq's asynchronous
 * connect used by PL/Proxy ignores it, we honour it like psql), sslmode (disable, allow,
 * prefer → no TLS, since node-postgres cannot fall back; require → TLS without
 * verification; verify-ca → certificate chain only; verify-full → chain and host name),
 * application_name, fallback_application_name, options, client_encoding (except `auto`),
 * keepalives and keepalives_idle. Other libpq options (sslcert, sslrootcert,
 * target_session_attrs, keepalives_interval, …) have no node-postgres equivalent and are
 * ignored; certificates come from Node's default CA store.
 */
export function toNodePostgresConfig(
  options: ConnectOptions,
  env: LibpqEnvironment = {},
  builtins: LibpqBuiltins = {},
): ClientConfig {
  const s = libpqSettings(options, env, builtins)
  const config: ClientConfig = { host: s.host, port: s.port, ssl: false }
  if (s.user !== undefined) config.user = s.user
  if (s.database !== undefined) config.database = s.database
  if (s.password !== undefined) config.password = s.password
  if (s.connectTimeoutMs !== undefined) config.connectionTimeoutMillis = s.connectTimeoutMs
  if (s.sslmode === 'require') {
    config.ssl = { rejectUnauthorized: false }
  } else if (s.sslmode === 'verify-ca') {
    config.ssl = { rejectUnauthorized: true, checkServerIdentity: () => undefined }
  } else if (s.sslmode === 'verify-full') {
    // with hostaddr the certificate must still match host
    config.ssl = s.hostaddrGiven && s.hostName !== undefined ? { servername: s.hostName } : true
  }
  if (s.applicationName !== undefined) config.application_name = s.applicationName
  if (s.fallbackApplicationName !== undefined) config.fallback_application_name = s.fallbackApplicationName
  if (s.options !== undefined) config.options = s.options
  if (s.clientEncoding !== undefined) config.client_encoding = s.clientEncoding
  config.keepAlive = s.keepAlive
  if (s.keepAliveInitialDelayMillis !== undefined)
    config.keepAliveInitialDelayMillis = s.keepAliveInitialDelayMillis
  return config
}

/**
 * The {@link WireOptions} of a partition connection: where and how libpq would
 * connect with these options (resolved like {@link toNodePostgresConfig}), with
 * libpq's semantics where node-postgres had none:
 *
 * - sslmode: all six modes as libpq (prefer tries TLS and falls back to plain; allow
 *   plain, then TLS; require without verification; verify-ca the chain; verify-full
 *   the chain and the host name, `host` when `hostaddr` gives the address); Node's
 *   default CA store (sslrootcert, sslcert, sslkey are not read);
 * - the password: the string's or PGPASSWORD, else (or when empty) the password file
 *   (`passfile`, PGPASSFILE, `~/.pgpass`), read when the server asks for a password;
 * - application_name, else fallback_application_name; options; keepalives,
 *   keepalives_idle; connect_timeout (seconds, at least 2);
 * - client_encoding is always UTF8: the runtime's text is UTF-8, and PL/Proxy sets the
 *   partition's client_encoding to the proxy database's encoding whatever the string says.
 */
export function toWireOptions(
  options: ConnectOptions,
  env: LibpqEnvironment = {},
  builtins: LibpqBuiltins = {},
): WireOptions {
  const s = libpqSettings(options, env, builtins)
  const password = s.password
  const lookup = {
    file: s.passfile,
    // the name libpq looks the password up with: host, else hostaddr, else the socket directory
    host: s.hostName ?? s.host,
    port: String(s.port),
    database: s.database ?? '',
    user: s.user ?? '',
    defaultSocketDir: builtins.socketDir ?? DEFAULT_SOCKET_DIR,
  }
  const fromFile = (): WireCredentials | undefined => {
    const found = passwordFromFile(lookup)
    if (found !== undefined) return { password: found }
    return password === undefined ? undefined : { password }
  }
  return {
    host: s.host,
    port: s.port,
    serverName: s.hostaddrGiven ? s.hostName : undefined,
    user: s.user,
    database: s.database,
    credentials: password !== undefined && password !== '' ? { password } : fromFile,
    sslmode: s.sslmode,
    connectTimeoutMs: s.connectTimeoutMs,
    keepAlive: s.keepAlive,
    keepAliveInitialDelayMillis: s.keepAliveInitialDelayMillis,
    parameters: {
      application_name: nonEmptyOr(s.applicationName, s.fallbackApplicationName),
      options: s.options === '' ? undefined : s.options,
      client_encoding: 'UTF8',
    },
  }
}

function nonEmptyOr(a: string | undefined, b: string | undefined): string | undefined {
  if (a !== undefined && a !== '') return a
  return b === '' ? undefined : b
}

/** libpq's `parse_int_param`: strtol with leading and trailing whitespace, int range. */
function parseIntParam(value: string, keyword: string, fail: (message: string) => never): number {
  const m = /^[ \t\n\r\v\f]*([+-]?[0-9]+)[ \t\n\r\v\f]*$/.exec(value)
  const n = m ? Number(m[1]) : Number.NaN
  if (!Number.isSafeInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) {
    return fail(`invalid integer value "${value}" for connection option "${keyword}"`)
  }
  return n
}

function formatMasked(options: ConnectOptions): string {
  const shown: Record<string, string> = Object.create(null)
  for (const [keyword, value] of Object.entries(options)) {
    if (value !== undefined) shown[keyword] = SECRET_KEYWORDS.has(keyword) ? PASSWORD_MASK : value
  }
  try {
    return formatConnectString(shown)
  } catch {
    return ''
  }
}

/**
 * A short label for messages and logs: `host:port/dbname` (`[::1]:5432/db`,
 * `/tmp:5432/db` for a socket directory), resolved like {@link toNodePostgresConfig}
 * but never failing; never shows a password.
 */
export function describeConnectString(
  options: ConnectOptions,
  env: LibpqEnvironment = {},
  builtins: LibpqBuiltins = {},
): string {
  const setting = (keyword: string): string | undefined => {
    const own = options[keyword]
    const variable = ENVIRONMENT_VARIABLES[keyword]
    const value = own !== undefined || variable === undefined ? own : env[variable]
    return value === '' ? undefined : value
  }
  const host = setting('host') ?? setting('hostaddr') ?? builtins.socketDir ?? DEFAULT_SOCKET_DIR
  const port = setting('port') ?? '5432'
  const user = setting('user') ?? builtins.user
  const dbname = setting('dbname') ?? user ?? ''
  const shownHost = host.includes(':') && !host.startsWith('/') && !host.includes(',') ? `[${host}]` : host
  return `${shownHost}:${port}/${dbname}`
}

/**
 * libpq's compiled-in defaults on this machine: the operating-system user
 * and the socket directory (Debian's /var/run/postgresql when it exists).
 */
export function localLibpqBuiltins(): LibpqBuiltins {
  let user: string | undefined
  try {
    user = userInfo().username
  } catch {
    user = undefined
  }
  const socketDir = existsSync('/var/run/postgresql') ? '/var/run/postgresql' : DEFAULT_SOCKET_DIR
  return { user, socketDir }
}
