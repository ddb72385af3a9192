/**
 * PostgreSQL's checks and normal forms for the settings a session without a
 * proxy database keeps itself (guc.c, variable.c): what `SET` accepts and
 * what `SHOW` and ParameterStatus then say.
 *
 * - DateStyle: a list of an output style and a field order, merged with the
 *   current value (`German` alone means `German, DMY`);
 * - TimeZone: a zone of the tz database (any case), or an offset in hours;
 * - IntervalStyle: one of its four names;
 * - Booleans (`standard_conforming_strings`, …): on/off and their spellings.
 *
 * Errors are PostgreSQL's: 22023 `invalid value for parameter …`.
 */

export class InvalidSettingValue extends Error {
  readonly code = '22023'
  constructor(
    message: string,
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message)
  }
}

const invalid = (name: string, value: string, detail?: string, hint?: string) =>
  new InvalidSettingValue(`invalid value for parameter "${name}": "${value}"`, detail, hint)

/** `given`: the parameter's name as the statement spells it (enum and boolean errors quote it) */
type Normalizer = (value: string, current: string, initial: string, given: string) => string

// ---- DateStyle ------------------------------------------------------------------

const STYLES: Readonly<Record<string, string>> = {
  iso: 'ISO',
  sql: 'SQL',
  postgres: 'Postgres',
  german: 'German',
}
const ORDERS: Readonly<Record<string, string>> = {
  ymd: 'YMD',
  dmy: 'DMY',
  euro: 'DMY',
  european: 'DMY',
  mdy: 'MDY',
  us: 'MDY',
  noneuro: 'MDY',
  noneuropean: 'MDY',
}

interface DateStyle {
  style: string
  order: string
}

function parseDateStyle(value: string, current: DateStyle, initial: string, depth = 0): DateStyle {
  const out = { ...current }
  let haveStyle = false
  let haveOrder = false
  let conflict = false
  // SplitIdentifierString: comma-separated words
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase()
    if (!token || /\s/.test(token)) throw invalid('DateStyle', value, 'List syntax is invalid.')
    const style = STYLES[token]
    const order = ORDERS[token]
    if (style) {
      if (haveStyle && out.style !== style) conflict = true
      out.style = style
      haveStyle = true
      // German also means DMY, unless an order is given
      if (style === 'German' && !haveOrder) out.order = 'DMY'
    } else if (order) {
      if (haveOrder && out.order !== order) conflict = true
      out.order = order
      haveOrder = true
    } else if (token === 'default' && depth === 0) {
      const d = parseDateStyle(initial, current, initial, 1)
      if (!haveStyle) out.style = d.style
      if (!haveOrder) out.order = d.order
    } else {
      throw invalid('DateStyle', value, `Unrecognized key word: "${raw.trim()}".`)
    }
  }
  if (conflict) throw invalid('DateStyle', value, 'Conflicting "datestyle" specifications.')
  return out
}

/** DateStyle as SHOW prints it (`Postgres, DMY`): its output style and field order. */
export function splitDateStyle(text: string): DateStyle {
  const [style = 'ISO', order = 'MDY'] = text.split(/\s*,\s*/)
  return { style, order }
}

const dateStyle: Normalizer = (value, current, initial) => {
  const d = parseDateStyle(value, splitDateStyle(current), initial)
  return `${d.style}, ${d.order}`
}

// ---- TimeZone -------------------------------------------------------------------

const pad2 = (n: number) => String(n).padStart(2, '0')

/** An offset in hours, as PostgreSQL shows it: `<+03>-03`, `<-05:30>+05:30` (POSIX signs are inverted). */
function offsetZone(hours: number): string {
  const minutes = Math.round(Math.abs(hours) * 60)
  const hh = pad2(Math.floor(minutes / 60))
  const mm = minutes % 60 ? `:${pad2(minutes % 60)}` : ''
  const [east, west] = hours < 0 ? ['-', '+'] : ['+', '-']
  return `<${east}${hh}${mm}>${west}${hh}${mm}`
}

const timeZone: Normalizer = (value) => {
  const v = value.trim()
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v)) {
    const hours = Number(v)
    if (Math.abs(hours) > 168) throw invalid('TimeZone', value)
    return offsetZone(hours)
  }
  let canonical: string
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: v }).resolvedOptions().timeZone
  } catch {
    throw invalid('TimeZone', value)
  }
  // the tz database's spelling of the name given (Intl may resolve an alias to another name)
  return canonical.toLowerCase() === v.toLowerCase() ? canonical : v
}

// ---- enums and booleans -----------------------------------------------------------

function enumSetting(values: readonly string[]): Normalizer {
  return (value, _current, _initial, given) => {
    const v = value.trim().toLowerCase()
    if (values.includes(v)) return v
    throw invalid(given, value, undefined, `Available values: ${values.join(', ')}.`)
  }
}

/** parse_bool: prefixes of true/yes/false/no, `on`, `of[f]`, 1 and 0 */
function parseBool(text: string): boolean | undefined {
  const v = text.trim().toLowerCase()
  if (!v) return undefined
  const prefixOf = (word: string, min = 1) => v.length >= min && word.startsWith(v)
  if (v === '1' || prefixOf('true') || prefixOf('yes') || prefixOf('on', 2)) return true
  if (v === '0' || prefixOf('false') || prefixOf('no') || prefixOf('off', 2)) return false
  return undefined
}

function booleanSetting(): Normalizer {
  return (value, _current, _initial, given) => {
    const b = parseBool(value)
    if (b !== undefined) return b ? 'on' : 'off'
    throw new InvalidSettingValue(`parameter "${given}" requires a Boolean value`)
  }
}

const NORMALIZERS: ReadonlyMap<string, Normalizer> = new Map([
  ['datestyle', dateStyle],
  ['timezone', timeZone],
  ['bytea_output', enumSetting(['escape', 'hex'])],
  ['intervalstyle', enumSetting(['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601'])],
  ['standard_conforming_strings', booleanSetting()],
  ['default_transaction_read_only', booleanSetting()],
])

/** The value PostgreSQL would keep for `SET name = value` (name as the statement spells it), or its error. */
export function normalizeSetting(name: string, value: string, current: string, initial: string): string {
  const normalize = NORMALIZERS.get(name.toLowerCase())
  return normalize ? normalize(value, current, initial, name) : value
}
