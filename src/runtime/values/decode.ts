/**
 * A partition's result text → the JS value the library returns, identical to what node-postgres
 * returns to a user who queries PostgreSQL for a value of that type.
 *
 * PL/Proxy reads each result with the local type's input function (§3.7), so for the natively
 * understood types the text is first read and printed canonically (a malformed value fails with
 * PostgreSQL's error, `yes` for a bool becomes `t`, …). The canonical text then goes through
 * node-postgres' default text parser for the OID node-postgres would see: a domain's base type
 * (PostgreSQL's RowDescription reports domains as their base type), the type itself otherwise. So int8
 * stays a string, date/timestamp/timestamptz become Dates, json is parsed, bytea becomes a Buffer,
 * arrays of known types become JS arrays. Types without a known OID (user-defined enums, composites,
 * ranges, arrays of them, base types) stay strings, as they do with node-postgres.
 */
import pg from 'pg'
import { baseTypeOf, type PlanType } from '../../compiler/catalog/types.js'
import { canonicalText } from './input.js'

/** a text-format parser as node-postgres uses them */
export type TextParser = (text: string) => unknown

/** node-postgres' `types` option (pg's `CustomTypesConfig`): `pg.types` itself fits */
export interface TypeParsers {
  getTypeParser(oid: number, format?: 'text' | 'binary'): TextParser
}

export interface DecodeOptions {
  /** parsers to use instead of node-postgres' defaults, like node-postgres' `types` client option */
  readonly types?: TypeParsers
}

const defaultTypes: TypeParsers = {
  getTypeParser: (oid, format) => pg.types.getTypeParser(oid, format ?? 'text') as TextParser,
}

/** The type OID node-postgres sees for a value of the type: a domain's base type's; undefined when unknown. */
export function resultTypeOid(type: PlanType): number | undefined {
  return baseTypeOf(type).oid
}

/**
 * The JS value of a partition's result text for `type`; null for SQL NULL.
 */
export function decodeValue(type: PlanType, text: string | null, options: DecodeOptions = {}): unknown {
  if (text === null) return null
  const canonical = canonicalText(type, text)
  const oid = resultTypeOid(type)
  if (oid === undefined) return canonical
  return (options.types ?? defaultTypes).getTypeParser(oid, 'text')(canonical)
}

/** The parser `decodeValue` applies for a type, for callers decoding many values of one type. */
export function resultParser(type: PlanType, options: DecodeOptions = {}): (text: string | null) => unknown {
  const oid = resultTypeOid(type)
  const parse = oid === undefined ? undefined : (options.types ?? defaultTypes).getTypeParser(oid, 'text')
  return (text) => {
    if (text === null) return null
    const canonical = canonicalText(type, text)
    return parse ? parse(canonical) : canonical
  }
}
