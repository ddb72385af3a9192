/**
 * The error a value conversion raises: PostgreSQL's own message, SQLSTATE and DETAIL, so that a bad
 * argument fails in plproxy-ts exactly as it fails in a PL/Proxy function (where the local input
 * function rejects it before any partition is contacted).
 */

export class PgValueError extends Error {
  override readonly name = 'PgValueError'
  readonly severity = 'ERROR'
  /** SQLSTATE */
  readonly sqlstate: string
  /** SQLSTATE, under postgres.js' and node-postgres' name for it */
  readonly code: string
  readonly detail?: string
  readonly hint?: string

  constructor(
    message: string,
    sqlstate: string,
    fields: { detail?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause })
    this.sqlstate = sqlstate
    this.code = sqlstate
    if (fields.detail !== undefined) this.detail = fields.detail
    if (fields.hint !== undefined) this.hint = fields.hint
  }
}

/** SQLSTATEs used here */
export const SQLSTATE = {
  invalidTextRepresentation: '22P02',
  numericValueOutOfRange: '22003',
  characterNotInRepertoire: '22021',
  invalidDatetimeFormat: '22007',
  arraySubscriptError: '2202E',
  programLimitExceeded: '54000',
  datatypeMismatch: '42804',
  invalidParameterValue: '22023',
} as const

/** `invalid input syntax for type <sqlName>: "<text>"` (22P02) */
export function invalidSyntax(sqlName: string, text: string): PgValueError {
  return new PgValueError(
    `invalid input syntax for type ${sqlName}: "${text}"`,
    SQLSTATE.invalidTextRepresentation,
  )
}

/** `value "<text>" is out of range for type <sqlName>` (22003), the integer types' wording */
export function valueOutOfRange(sqlName: string, text: string): PgValueError {
  return new PgValueError(
    `value "${text}" is out of range for type ${sqlName}`,
    SQLSTATE.numericValueOutOfRange,
  )
}
