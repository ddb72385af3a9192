/**
 * JS value → the text parameter a partition receives for a proxy function argument.
 *
 * PL/Proxy sends the text the local type's output function prints (§6.3), so for the natively
 * understood types (integers, oid, bool, floats, numeric, text types, and arrays of them) the value is
 * read with PostgreSQL's input rules and printed canonically: bad values fail here with PostgreSQL's
 * own error, before any partition is contacted. Other types get node-postgres' conventions
 * (`pg/lib/utils.js` prepareValue), adapted to text format:
 *
 * - null and undefined → NULL (also as array elements).
 * - strings → as given (validated and canonicalised for native types; array strings are checked as
 *   array literals).
 * - numbers → integer types need an integer within range (`value "…" is out of range for type
 *   integer`); a fraction, NaN or ±Infinity is `invalid input syntax for type integer: "1.5"`.
 *   Floats and numeric take NaN and ±Infinity. Elsewhere `String(n)`.
 * - bigint → its decimal text, checked like a string.
 * - boolean → `t`/`f` for bool (what boolout prints); elsewhere node-postgres' `true`/`false`.
 * - Date → the wall-clock fields of the process's time zone by default, as node-postgres does
 *   (`dateZone: 'utc'` for UTC, node-postgres' `parseInputDatesAsUTC`), printed as PostgreSQL's ISO
 *   DateStyle output prints them: timestamptz with the offset (`2024-01-02 03:04:05.678+01`, seconds
 *   too for historical offsets), timestamp without it (the local wall clock), date `YYYY-MM-DD`,
 *   time `03:04:05.678`, timetz with the offset, years before 1 as `BC`. node-postgres sends
 *   `2024-01-02T03:04:05.678+01:00` for all of them, which PostgreSQL reads as the same values; other
 *   types still get that form. An invalid Date is an error (node-postgres only warns).
 * - Buffer / typed arrays / DataView → bytea hex (`\x0a0b`), the text bytea_output = hex prints;
 *   text types take the bytes as UTF-8; other types: error (node-postgres would send them as binary).
 * - arrays → for array types, an array literal with the element type's delimiter, nested JS arrays
 *   as further dimensions (ragged nesting fails as PostgreSQL fails on the literal); for json/jsonb,
 *   JSON (node-postgres would send an array literal there); for a composite type, a row literal from
 *   the attribute values in order; otherwise node-postgres' array literal.
 * - objects → `toPostgres()` when present (as node-postgres), JSON text for json/jsonb and other
 *   types; a composite type needs `compositeAttributes` to place named attributes (a plan type does not
 *   carry the attribute order), unknown names are an error, missing ones NULL.
 * - anything else → String(); symbols and functions are an error.
 *
 * Domains are encoded as their base type. Their constraints are not checked here: the remote query
 * casts the parameter to the domain (`$1::public.posint`), so the partition checks them (in PL/Proxy
 * the proxy function's caller has checked them already). Text holding U+0000 is rejected as
 * PostgreSQL rejects it.
 */
import { baseTypeOf, type PlanType } from '../../compiler/catalog/types.js'
import { parseArrayLiteral, printArrayLiteral, quoteArrayElement } from './array-literal.js'
import {
  arrayDelimiterOf,
  arrayElementOf,
  canonicalText,
  type NativeTypeName,
  nativeTypeOf,
  nulCharacterError,
  readNative,
  writeNative,
} from './input.js'
import { invalidSyntax, PgValueError, SQLSTATE } from './value-error.js'

export interface EncodeOptions {
  /** time zone of the wall-clock fields a Date is printed with: the process's (default) or UTC */
  readonly dateZone?: 'local' | 'utc'
  /** attribute names of a composite type, in order, to encode plain objects as row literals */
  readonly compositeAttributes?: (type: PlanType) => readonly string[] | undefined
}

const INTEGER_TYPES: ReadonlySet<NativeTypeName> = new Set(['int2', 'int4', 'int8'])

/** A typed object as node-postgres' `toPostgres` convention has it */
interface ToPostgres {
  toPostgres(prepare: (value: unknown) => unknown): unknown
}

const hasToPostgres = (v: object): v is ToPostgres =>
  typeof (v as Partial<ToPostgres>).toPostgres === 'function'

const isBinary = (v: unknown): v is ArrayBufferView => ArrayBuffer.isView(v)

function bytesOf(v: ArrayBufferView): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)
}

function isPlainJsonType(t: PlanType): boolean {
  return t.schema === 'pg_catalog' && (t.typname === 'json' || t.typname === 'jsonb')
}

/** text types read bytes as UTF-8 text */
function isTextLike(t: PlanType): boolean {
  const native = nativeTypeOf(t)
  return (
    native === 'text' ||
    native === 'varchar' ||
    native === 'bpchar' ||
    native === 'name' ||
    t.category === 'S'
  )
}

/**
 * The text parameter PL/Proxy would send for `value` as an argument of `type`, or null for SQL NULL.
 */
export function encodeValue(type: PlanType, value: unknown, options: EncodeOptions = {}): string | null {
  return new Encoder(options).encode(type, value)
}

class Encoder {
  private readonly seen: object[] = []

  constructor(private readonly options: EncodeOptions) {}

  encode(type: PlanType, value: unknown): string | null {
    if (value === null || value === undefined) return null
    const base = baseTypeOf(type)
    if (typeof value === 'object' && !Array.isArray(value) && !isBinary(value) && !(value instanceof Date)) {
      if (hasToPostgres(value)) return this.viaToPostgres(base, value)
    }
    const text = this.encodeNonNull(base, value)
    if (text.includes('\u0000')) throw nulCharacterError()
    return text
  }

  private viaToPostgres(type: PlanType, value: ToPostgres): string | null {
    if (this.seen.includes(value)) {
      throw new PgValueError(
        `circular reference detected while preparing "${String(value)}" for query`,
        SQLSTATE.invalidParameterValue,
      )
    }
    this.seen.push(value)
    try {
      return this.encode(
        type,
        value.toPostgres((v) => this.encodeUntyped(v)),
      )
    } finally {
      this.seen.pop()
    }
  }

  private encodeNonNull(type: PlanType, value: unknown): string {
    const element = arrayElementOf(type)
    if (element) return this.encodeArrayType(type, element, value)
    if (isPlainJsonType(type)) return this.encodeJson(value)
    if (type.kind === 'composite') return this.encodeComposite(type, value)
    const native = nativeTypeOf(type)
    if (native) return this.encodeNative(type, native, value)
    return this.encodeOther(type, value)
  }

  private encodeNative(type: PlanType, native: NativeTypeName, value: unknown): string {
    if (typeof value === 'string') return writeNative(native, readNative(native, value))
    if (typeof value === 'number') {
      if (INTEGER_TYPES.has(native)) {
        if (!Number.isInteger(value)) throw invalidSyntax(type.sqlName, String(value))
        const text = BigInt(value).toString()
        return writeNative(native, readNative(native, text))
      }
      if (native === 'float4' || native === 'float8' || native === 'numeric') {
        return writeNative(native, readNative(native, Object.is(value, -0) ? '-0' : String(value)))
      }
      return writeNative(native, readNative(native, String(value)))
    }
    if (typeof value === 'boolean') {
      if (native === 'bool') return value ? 't' : 'f'
      return writeNative(native, readNative(native, String(value)))
    }
    if (typeof value === 'bigint') return writeNative(native, readNative(native, value.toString()))
    if (isBinary(value)) {
      if (isTextLike(type)) return writeNative(native, readNative(native, bytesOf(value).toString('utf8')))
      throw binaryNotAccepted(type)
    }
    return writeNative(native, readNative(native, this.encodeOther(type, value)))
  }

  private encodeArrayType(type: PlanType, element: PlanType, value: unknown): string {
    const delimiter = arrayDelimiterOf(type)
    if (Array.isArray(value)) return this.arrayLiteral(element, value, delimiter)
    const text = typeof value === 'string' ? value : this.encodeOther(type, value)
    // PL/Proxy would run array_in locally: the structure (and native elements) must hold
    if (nativeTypeOf(element)) return canonicalText(type, text)
    parseArrayLiteral(text, delimiter)
    return text
  }

  /** a JS (nested) array as an array literal of `element` values */
  private arrayLiteral(element: PlanType, value: readonly unknown[], delimiter: string): string {
    const dims: number[] = []
    let regular = true
    // the shape the first elements suggest; every sub-array must then match it
    for (let level: unknown = value; Array.isArray(level); level = level[0]) {
      dims.push(level.length)
      if (level.length === 0) break
    }
    const flat: (string | null)[] = []
    const walk = (v: readonly unknown[], depth: number): string => {
      if (v.length !== dims[depth] || (v.length === 0 && depth > 0)) regular = false
      const parts = v.map((item) => {
        if (Array.isArray(item)) {
          if (depth + 1 >= dims.length) regular = false
          return walk(item, depth + 1)
        }
        if (depth + 1 < dims.length) regular = false
        const text = this.encode(element, item)
        flat.push(text)
        return quoteArrayElement(text, delimiter)
      })
      return `{${parts.join(delimiter)}}`
    }
    const literal = walk(value, 0)
    if (!regular || dims.length > 6) {
      // PostgreSQL could not read it: fail with the error it would give
      parseArrayLiteral(literal, delimiter)
      return literal
    }
    return printArrayLiteral({ elements: flat, dims: flat.length === 0 ? [] : dims }, delimiter)
  }

  private encodeJson(value: unknown): string {
    if (typeof value === 'string') return value
    if (typeof value === 'bigint') return value.toString()
    const json = JSON.stringify(value)
    if (json === undefined) throw cannotEncode(value, 'json')
    return json
  }

  private encodeComposite(type: PlanType, value: unknown): string {
    if (typeof value === 'string') return value
    let fields: readonly unknown[]
    if (Array.isArray(value)) {
      fields = value
    } else if (typeof value === 'object' && value !== null && !isBinary(value) && !(value instanceof Date)) {
      const attributes = this.options.compositeAttributes?.(type)
      if (!attributes) {
        throw new PgValueError(
          `cannot pass an object as type ${type.sqlName}: its attribute order is not known here`,
          SQLSTATE.datatypeMismatch,
          { hint: 'Pass the attribute values as an array in attribute order, or a row literal string.' },
        )
      }
      const record = value as Record<string, unknown>
      const unknown = Object.keys(record).find((k) => !attributes.includes(k))
      if (unknown !== undefined) {
        throw new PgValueError(
          `type ${type.sqlName} has no attribute "${unknown}"`,
          SQLSTATE.datatypeMismatch,
        )
      }
      fields = attributes.map((a) => record[a])
    } else {
      return this.encodeOther(type, value)
    }
    // attribute types are not known here: each value goes as node-postgres would send it
    return `(${fields.map((f) => quoteRecordField(this.encodeUntyped(f))).join(',')})`
  }

  /** a value of a type without native handling */
  private encodeOther(type: PlanType, value: unknown): string {
    if (value instanceof Date) return formatDate(type, value, this.options.dateZone ?? 'local')
    if (isBinary(value)) {
      if (isBytea(type)) return `\\x${bytesOf(value).toString('hex')}`
      if (isTextLike(type)) return bytesOf(value).toString('utf8')
      throw binaryNotAccepted(type)
    }
    return this.untypedText(value)
  }

  /** node-postgres' prepareValue in text form, for values whose type is unknown */
  private encodeUntyped(value: unknown): string | null {
    if (value === null || value === undefined) return null
    if (typeof value === 'object' && !Array.isArray(value) && !isBinary(value) && !(value instanceof Date)) {
      if (hasToPostgres(value)) return this.viaToPostgres(UNKNOWN_TYPE, value)
    }
    if (value instanceof Date) return formatDate(UNKNOWN_TYPE, value, this.options.dateZone ?? 'local')
    if (isBinary(value)) return `\\x${bytesOf(value).toString('hex')}`
    const text = this.untypedText(value)
    if (text.includes('\u0000')) throw nulCharacterError()
    return text
  }

  private untypedText(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return value
      case 'number':
      case 'bigint':
      case 'boolean':
        return String(value)
      case 'symbol':
      case 'function':
        throw cannotEncode(value, 'any type')
      default:
        break
    }
    if (Array.isArray(value)) return this.nodePostgresArray(value)
    if (value instanceof Date || isBinary(value)) return this.encodeUntyped(value) ?? ''
    if (typeof value === 'object' && value !== null) {
      const json = JSON.stringify(value)
      if (json !== undefined) return json
    }
    return String(value)
  }

  /** node-postgres' arrayString: every element quoted, binary as an unquoted `\\x…` */
  private nodePostgresArray(value: readonly unknown[]): string {
    const items = value.map((item): string => {
      if (item === null || item === undefined) return 'NULL'
      if (Array.isArray(item)) return this.nodePostgresArray(item)
      if (isBinary(item)) return `\\\\x${bytesOf(item).toString('hex')}`
      const text = this.encodeUntyped(item) ?? ''
      return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
    })
    return `{${items.join(',')}}`
  }
}

/** stands for a type nothing is known of (attributes of composites, toPostgres results inside them) */
const UNKNOWN_TYPE: PlanType = Object.freeze({
  name: 'unknown',
  schema: 'pg_catalog',
  typname: 'unknown',
  kind: 'pseudo',
  sqlName: 'unknown',
})

function isBytea(t: PlanType): boolean {
  return t.schema === 'pg_catalog' && t.typname === 'bytea'
}

function binaryNotAccepted(type: PlanType): PgValueError {
  return new PgValueError(`cannot pass binary data as type ${type.sqlName}`, SQLSTATE.datatypeMismatch, {
    hint: 'Binary data (Buffer, Uint8Array) is accepted for bytea and text types only.',
  })
}

function cannotEncode(value: unknown, what: string): PgValueError {
  return new PgValueError(`cannot pass a ${typeof value} as ${what}`, SQLSTATE.datatypeMismatch)
}

/** record_out's quoting of one field; NULL is nothing at all */
export function quoteRecordField(field: string | null): string {
  if (field === null) return ''
  if (field !== '' && !/["\\(),\t\n\v\f\r ]/.test(field)) return field
  return `"${field.replace(/["\\]/g, '$&$&')}"`
}

// ---------------------------------------------------------------------------------------------------
// dates

interface WallClock {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hours: number
  readonly minutes: number
  readonly seconds: number
  readonly ms: number
  /** seconds east of UTC */
  readonly offset: number
}

function wallClock(d: Date, zone: 'local' | 'utc'): WallClock {
  if (zone === 'utc') {
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hours: d.getUTCHours(),
      minutes: d.getUTCMinutes(),
      seconds: d.getUTCSeconds(),
      ms: d.getUTCMilliseconds(),
      offset: 0,
    }
  }
  const asUtc = new Date(0)
  asUtc.setUTCFullYear(d.getFullYear(), d.getMonth(), d.getDate())
  asUtc.setUTCHours(d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds())
  return {
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hours: d.getHours(),
    minutes: d.getMinutes(),
    seconds: d.getSeconds(),
    ms: d.getMilliseconds(),
    offset: Math.round((asUtc.getTime() - d.getTime()) / 1000),
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** PostgreSQL's year: 4 digits at least, year 0 and before as `BC` */
function pgDate(w: WallClock): { date: string; bc: boolean } {
  const bc = w.year <= 0
  return { date: `${pad(bc ? 1 - w.year : w.year, 4)}-${pad(w.month)}-${pad(w.day)}`, bc }
}

/** HH:MM:SS with the fraction's trailing zeros removed, as PostgreSQL prints times */
function pgTime(w: WallClock): string {
  const fraction = w.ms === 0 ? '' : `.${pad(w.ms, 3).replace(/0+$/, '')}`
  return `${pad(w.hours)}:${pad(w.minutes)}:${pad(w.seconds)}${fraction}`
}

/** PostgreSQL's offset: +HH, +HH:MM or +HH:MM:SS */
function pgOffset(offset: number): string {
  const abs = Math.abs(offset)
  const h = Math.floor(abs / 3600)
  const m = Math.floor((abs % 3600) / 60)
  const s = abs % 60
  return `${offset < 0 ? '-' : '+'}${pad(h)}${m || s ? `:${pad(m)}` : ''}${s ? `:${pad(s)}` : ''}`
}

function formatDate(type: PlanType, d: Date, zone: 'local' | 'utc'): string {
  if (Number.isNaN(d.getTime())) {
    throw new PgValueError(
      `invalid input syntax for type ${type.sqlName}: "Invalid Date"`,
      SQLSTATE.invalidDatetimeFormat,
    )
  }
  const w = wallClock(d, zone)
  const { date, bc } = pgDate(w)
  const era = bc ? ' BC' : ''
  const isCatalog = type.schema === 'pg_catalog'
  switch (isCatalog ? type.typname : '') {
    case 'timestamptz':
      return `${date} ${pgTime(w)}${pgOffset(w.offset)}${era}`
    case 'timestamp':
      return `${date} ${pgTime(w)}${era}`
    case 'date':
      return `${date}${era}`
    case 'time':
      return pgTime(w)
    case 'timetz':
      return `${pgTime(w)}${pgOffset(w.offset)}`
    default: {
      // node-postgres' dateToString / dateToStringUTC
      const offset = w.offset
      const abs = Math.abs(offset)
      const zoneText = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`
      return `${date}T${pad(w.hours)}:${pad(w.minutes)}:${pad(w.seconds)}.${pad(w.ms, 3)}${zoneText}${era}`
    }
  }
}
