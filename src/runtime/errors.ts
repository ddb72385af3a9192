/**
 * Errors as PL/Proxy raises them (spec §6.6–6.7): one class carrying the
 * SQLSTATE, PL/Proxy's wording, the partition involved and, for remote
 * errors, every field the partition sent. Connect strings in messages are
 * always password-masked.
 */

/** The fields of a PostgreSQL ErrorResponse/NoticeResponse (postgres.js naming). */
export interface PgErrorFields {
  readonly severity?: string
  readonly code?: string
  readonly message: string
  readonly detail?: string
  readonly hint?: string
  readonly position?: string
  readonly internalPosition?: string
  readonly internalQuery?: string
  /** CONTEXT */
  readonly where?: string
  readonly schema?: string
  readonly table?: string
  readonly column?: string
  readonly dataType?: string
  readonly constraint?: string
  readonly file?: string
  readonly line?: string
  readonly routine?: string
}

export interface PartitionRef {
  /** partition indexes served by the connection */
  readonly partitions?: readonly number[]
  /** the connect string, password masked */
  readonly connectString: string
  /** the database name (PQdb) */
  readonly database?: string
}

export class PlProxyError extends Error implements PgErrorFields {
  override readonly name = 'PlProxyError'
  readonly severity: string
  /** SQLSTATE */
  readonly code: string
  readonly detail?: string
  readonly hint?: string
  readonly position?: string
  readonly internalPosition?: string
  readonly internalQuery?: string
  readonly where?: string
  readonly schema?: string
  readonly table?: string
  readonly column?: string
  readonly dataType?: string
  readonly constraint?: string
  /** the proxy function, `public.f` */
  readonly function?: string
  /** the partition whose connection or query failed */
  readonly partition?: PartitionRef
  /** the partition's own error, for remote errors */
  readonly remote?: PgErrorFields

  constructor(
    message: string,
    fields: Omit<Partial<PgErrorFields>, 'message'> & {
      function?: string
      partition?: PartitionRef
      remote?: PgErrorFields
      cause?: unknown
    } = {},
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause })
    this.severity = fields.severity ?? 'ERROR'
    this.code = fields.code ?? 'XX000'
    this.detail = fields.detail
    this.hint = fields.hint
    this.position = fields.position
    this.internalPosition = fields.internalPosition
    this.internalQuery = fields.internalQuery
    this.where = fields.where
    this.schema = fields.schema
    this.table = fields.table
    this.column = fields.column
    this.dataType = fields.dataType
    this.constraint = fields.constraint
    this.function = fields.function
    this.partition = fields.partition
    this.remote = fields.remote
  }

  /** SQLSTATE, under its SQL name */
  get sqlstate(): string {
    return this.code
  }
}

/** What a function's errors need to say who raised them: `public.f` and its IN-argument count. */
export interface FunctionLabel {
  readonly qualifiedName: string
  readonly inArgumentCount: number
}

/** `PL/Proxy function public.f(N): <message>` */
export function functionError(
  fn: FunctionLabel,
  message: string,
  fields: ConstructorParameters<typeof PlProxyError>[1] = {},
): PlProxyError {
  return new PlProxyError(`PL/Proxy function ${fn.qualifiedName}(${fn.inArgumentCount}): ${message}`, {
    function: fn.qualifiedName,
    ...fields,
  })
}

/**
 * A partition's error re-raised locally:
 * `public.f(N): [db] REMOTE ERROR: <message>`, the remote SQLSTATE kept
 * (XX000 when absent), detail/hint/context prefixed with `Remote`.
 */
export function remoteError(
  fn: FunctionLabel,
  database: string,
  remote: PgErrorFields,
  partition: PartitionRef,
): PlProxyError {
  const severity = remote.severity ?? 'ERROR'
  return new PlProxyError(
    `${fn.qualifiedName}(${fn.inArgumentCount}): [${database}] REMOTE ${severity}: ${remote.message}`,
    {
      code: remote.code || 'XX000',
      detail: remote.detail === undefined ? undefined : `Remote detail: ${remote.detail}`,
      hint: remote.hint === undefined ? undefined : `Remote hint: ${remote.hint}`,
      where: remote.where === undefined ? undefined : `Remote context: ${remote.where}`,
      position: remote.position,
      internalPosition: remote.internalPosition,
      internalQuery: remote.internalQuery,
      schema: remote.schema,
      table: remote.table,
      column: remote.column,
      dataType: remote.dataType,
      constraint: remote.constraint,
      function: fn.qualifiedName,
      partition,
      remote,
    },
  )
}

/** A notice from a partition, as PL/Proxy reports it locally. */
export interface ProxyNotice extends PgErrorFields {
  /** NOTICE for remote SQLSTATE class 00, WARNING otherwise */
  readonly severity: 'NOTICE' | 'WARNING'
  readonly function?: string
  readonly partition?: PartitionRef
  readonly remote?: PgErrorFields
}

export function remoteNotice(
  fn: FunctionLabel,
  database: string,
  remote: PgErrorFields,
  partition: PartitionRef,
): ProxyNotice {
  return {
    severity: remote.code?.startsWith('00') ? 'NOTICE' : 'WARNING',
    code: remote.code || 'XX000',
    message: `${fn.qualifiedName}(${fn.inArgumentCount}): [${database}] REMOTE ${remote.severity ?? 'NOTICE'}: ${remote.message}`,
    detail: remote.detail === undefined ? undefined : `Remote detail: ${remote.detail}`,
    hint: remote.hint === undefined ? undefined : `Remote hint: ${remote.hint}`,
    where: remote.where === undefined ? undefined : `Remote context: ${remote.where}`,
    function: fn.qualifiedName,
    partition,
    remote,
  }
}

/** PostgreSQL's query_canceled error, as a call cancelled through its AbortSignal ends. */
export function canceledError(reason?: unknown): PlProxyError {
  return new PlProxyError('canceling statement due to user request', { code: '57014', cause: reason })
}

/** Any error as a PlProxyError: PostgreSQL-style errors (a SQLSTATE `code`) keep their fields. */
export function asPlProxyError(e: unknown): unknown {
  if (e instanceof PlProxyError || !(e instanceof Error)) return e
  const f = e as Error & Partial<PgErrorFields> & { sqlstate?: string }
  const code = f.code ?? f.sqlstate
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return e
  return new PlProxyError(e.message, { ...f, message: undefined, code, cause: e } as never)
}
