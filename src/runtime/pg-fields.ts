/** node-postgres errors and notices → PostgreSQL's error fields. */
import type { PgErrorFields } from './errors.js'

interface PgMessageLike {
  message?: string
  severity?: string
  code?: string
  detail?: string
  hint?: string
  position?: string
  internalPosition?: string
  internalQuery?: string
  where?: string
  schema?: string
  table?: string
  column?: string
  dataType?: string
  constraint?: string
  file?: string
  line?: string
  routine?: string
}

/** True for errors and notices that came from a PostgreSQL server (they carry a SQLSTATE and a severity). */
export function isServerMessage(e: unknown): e is PgMessageLike {
  return (
    typeof e === 'object' && e !== null && typeof (e as PgMessageLike).code === 'string' && 'severity' in e
  )
}

export function pgFields(m: PgMessageLike): PgErrorFields {
  return {
    severity: m.severity,
    code: m.code,
    message: m.message ?? '',
    detail: m.detail,
    hint: m.hint,
    position: m.position,
    internalPosition: m.internalPosition,
    internalQuery: m.internalQuery,
    where: m.where,
    schema: m.schema,
    table: m.table,
    column: m.column,
    dataType: m.dataType,
    constraint: m.constraint,
    file: m.file,
    line: m.line,
    routine: m.routine,
  }
}
