/**
 * A client session's run-time parameters, as far as plproxy-ts keeps them
 * itself: the ones PostgreSQL reports with ParameterStatus, and the few a
 * session without a proxy database can SET and SHOW.
 */

import { normalizeSetting } from './setting-values.js'

/** Parameters PostgreSQL 15 reports to the client (GUC_REPORT), in the order it sends them at startup. */
export const REPORTED_PARAMETERS = [
  'application_name',
  'client_encoding',
  'DateStyle',
  'default_transaction_read_only',
  'in_hot_standby',
  'integer_datetimes',
  'IntervalStyle',
  'is_superuser',
  'server_encoding',
  'server_version',
  'session_authorization',
  'standard_conforming_strings',
  'TimeZone',
] as const

/** Client encodings a proxy session serves: partitions speak UTF8, and SQL_ASCII passes bytes as they are. */
export const SUPPORTED_CLIENT_ENCODINGS: ReadonlyMap<string, string> = new Map([
  ['utf8', 'UTF8'],
  ['unicode', 'UTF8'],
  ['utf-8', 'UTF8'],
  ['sql_ascii', 'SQL_ASCII'],
])

export class SettingError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
  }
}

interface Setting {
  /** the name as PostgreSQL spells it */
  readonly name: string
  value: string
  readonly initial: string
  readonly reported: boolean
  /** user-settable (SET accepts it) */
  readonly settable: boolean
}

export class SessionSettings {
  private readonly settings = new Map<string, Setting>()

  constructor(defaults: Readonly<Record<string, string>>, startup: Readonly<Record<string, string>> = {}) {
    const reported = new Set<string>(REPORTED_PARAMETERS)
    const readOnly = new Set([
      'server_version',
      'server_encoding',
      'integer_datetimes',
      'in_hot_standby',
      'is_superuser',
      'session_authorization',
      'server_version_num',
      'max_identifier_length',
    ])
    for (const [name, value] of Object.entries(defaults)) {
      const own = startup[name] ?? startup[name.toLowerCase()]
      let v = value
      if (own !== undefined) {
        try {
          v = normalizeSetting(name, own, value, value)
        } catch {
          // a value PostgreSQL would refuse at startup: the default stays
        }
      }
      this.settings.set(name.toLowerCase(), {
        name,
        value: v,
        initial: v,
        reported: reported.has(name),
        settable: !readOnly.has(name),
      })
    }
  }

  get(name: string): string | undefined {
    return this.settings.get(name.toLowerCase())?.value
  }

  /** The parameters to report at startup, in PostgreSQL's order. */
  reported(): [string, string][] {
    return REPORTED_PARAMETERS.flatMap((n) => {
      const s = this.settings.get(n.toLowerCase())
      return s ? [[s.name, s.value] as [string, string]] : []
    })
  }

  /** SET name = value: returns the setting to report, if it is reported. */
  set(name: string, value: string | undefined): [string, string] | undefined {
    const s = this.settings.get(name.toLowerCase())
    if (!s) throw new SettingError(`unrecognized configuration parameter "${name}"`, '42704')
    if (!s.settable) throw new SettingError(`parameter "${s.name}" cannot be changed`, '55P02')
    let v = value ?? s.initial
    if (s.name === 'client_encoding') {
      const canonical = SUPPORTED_CLIENT_ENCODINGS.get(v.toLowerCase())
      if (!canonical) {
        throw new SettingError(
          `client_encoding "${v}" is not supported by plproxy serve: use UTF8 (or SQL_ASCII)`,
          '0A000',
        )
      }
      v = canonical
    } else if (value !== undefined) v = normalizeSetting(name, v, s.value, s.initial)
    s.value = v
    return s.reported ? [s.name, v] : undefined
  }

  /** RESET ALL: the reported settings that changed back. */
  resetAll(): [string, string][] {
    const out: [string, string][] = []
    for (const s of this.settings.values()) {
      if (s.value !== s.initial) {
        s.value = s.initial
        if (s.reported) out.push([s.name, s.value])
      }
    }
    return out
  }

  /** SHOW name: its spelling and value. */
  show(name: string): [string, string] {
    const s = this.settings.get(name.toLowerCase())
    if (!s) throw new SettingError(`unrecognized configuration parameter "${name}"`, '42704')
    return [s.name, s.value]
  }

  all(): [string, string][] {
    return [...this.settings.values()]
      .map((s) => [s.name, s.value] as [string, string])
      .sort(([a], [b]) => a.localeCompare(b))
  }
}
