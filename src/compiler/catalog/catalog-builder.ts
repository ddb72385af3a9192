/**
 * Applies script operations to a catalog in order, with PostgreSQL's rules
 * (and messages) for the objects PL/Proxy depends on.
 */
import type {
  AlterCompositeType,
  AlterFunction,
  CreateUserMapping,
  Diagnostic,
  FunctionDefinition,
  OptionChange,
  OptionValue,
  RoleReference,
  ScriptOperation,
  SourcePosition,
  TypeReference,
} from '../../parser/index.js'
import {
  type CompiledFunctionResult,
  type DatabaseCatalog,
  type FunctionEntry,
  inputSignature,
  type ResolvedArgument,
  type WrapperEntry,
} from './catalog.js'
import { validatePlproxyOptions } from './fdw-validator.js'
import { quoteIdent } from './quote-ident.js'
import { TypeRegistry, typeKey } from './type-registry.js'

export interface CatalogBuildResult {
  readonly databases: ReadonlyMap<string, DatabaseCatalog>
  readonly diagnostics: readonly Diagnostic[]
  /** what the validator said of the functions it rejected (they were not created) */
  readonly rejected: readonly CompiledFunctionResult[]
}

export interface CatalogBuildOptions {
  /** the role scripts run as, for `"$user"` in search_path and CURRENT_USER mappings */
  readonly user?: string
  /**
   * PL/Proxy's validator, run at each CREATE FUNCTION: a function it
   * rejects (an error diagnostic) is not created
   */
  readonly validate?: (entry: FunctionEntry, db: DatabaseCatalog) => CompiledFunctionResult
}

class StatementError extends Error {
  constructor(
    message: string,
    readonly sqlstate: string,
    readonly position: SourcePosition,
    readonly extra: { hint?: string; detail?: string } = {},
  ) {
    super(message)
  }
}

const DEFAULT_SEARCH_PATH = ['$user', 'public']

function newDatabase(name: string): DatabaseCatalog {
  return {
    name,
    types: new TypeRegistry(),
    schemas: new Set(['public', 'pg_catalog']),
    functions: [],
    servers: new Map(),
    userMappings: [],
    usageGrants: new Map(),
    // LANGUAGE plproxy functions need the extension, which brings the plproxy wrapper
    wrappers: new Map([['plproxy', { name: 'plproxy', validator: 'plproxy_fdw_validator', options: [] }]]),
    typesGeneration: 0,
  }
}

/** identity of a function within its database: schema, name and IN-argument types */
const functionKey = (schema: string, name: string, signature: string) =>
  `${schema}\u0000${name}\u0000${signature}`

export class CatalogBuilder {
  private readonly databases = new Map<string, DatabaseCatalog>()
  private readonly functionIndex = new WeakMap<DatabaseCatalog, Map<string, FunctionEntry>>()
  private pathCache: string[] | undefined
  private readonly diagnostics: Diagnostic[] = []
  private readonly rejected: CompiledFunctionResult[] = []
  private db: DatabaseCatalog
  private searchPath: string[] = [...DEFAULT_SEARCH_PATH]
  private user: string | undefined

  constructor(private readonly options: CatalogBuildOptions = {}) {
    this.user = options.user
    this.db = this.database('')
  }

  private database(name: string): DatabaseCatalog {
    let db = this.databases.get(name)
    if (!db) {
      db = newDatabase(name)
      this.databases.set(name, db)
    }
    return db
  }

  /**
   * A new psql session: the first database, default search_path (or the
   * one given), the configured user (or the one given).
   */
  startSession(session: { searchPath?: readonly string[]; user?: string } = {}): this {
    this.db = this.database('')
    this.searchPath = session.searchPath ? [...session.searchPath] : [...DEFAULT_SEARCH_PATH]
    this.user = session.user ?? this.options.user
    this.pathCache = undefined
    return this
  }

  apply(ops: readonly ScriptOperation[]): this {
    for (const op of ops) {
      try {
        this.applyOne(op)
      } catch (e) {
        if (!(e instanceof StatementError)) throw e
        this.diagnostics.push({
          severity: 'error',
          message: e.message,
          sqlstate: e.sqlstate,
          file: e.position.file,
          line: e.position.line,
          column: e.position.column,
          offset: e.position.offset,
          length: 0,
          ...(op.kind === 'FunctionDefinition' ? { function: this.displayName(op) } : {}),
          hint: e.extra.hint,
          detail: e.extra.detail,
        })
      }
    }
    return this
  }

  result(): CatalogBuildResult {
    return { databases: this.databases, diagnostics: this.diagnostics, rejected: this.rejected }
  }

  private displayName(def: FunctionDefinition): string {
    const schema = def.schema ?? this.creationSchema(def.position, false) ?? 'public'
    return `${quoteIdent(schema)}.${quoteIdent(def.name)}`
  }

  // ---- search_path ----

  private effectivePath(): string[] {
    this.pathCache ??= this.searchPath
      .map((s) => (s === '$user' ? this.user : s))
      .filter((s): s is string => s !== undefined && this.db.schemas.has(s))
    return this.pathCache
  }

  private functionsByKey(): Map<string, FunctionEntry> {
    let index = this.functionIndex.get(this.db)
    if (!index) {
      index = new Map(
        this.db.functions.map((f) => [
          functionKey(f.schema, f.definition.name, inputSignature(f.arguments)),
          f,
        ]),
      )
      this.functionIndex.set(this.db, index)
    }
    return index
  }

  private creationSchema(position: SourcePosition, strict = true): string | undefined {
    const schema = this.effectivePath()[0]
    if (!schema && strict)
      throw new StatementError('no schema has been selected to create in', '3F000', position)
    return schema
  }

  private creationSchemaFor(schema: string | undefined, position: SourcePosition): string {
    if (schema !== undefined) {
      if (!this.db.schemas.has(schema)) {
        this.db.schemas.add(schema)
        this.pathCache = undefined
      }
      return schema
    }
    return this.creationSchema(position)!
  }

  // ---- types ----

  private schemaExists(schema: string): boolean {
    return this.db.schemas.has(schema) || BUILTIN_SCHEMAS.has(schema)
  }

  /**
   * Finds a type the way PostgreSQL's parser does (pg_catalog first, then
   * search_path) and returns its key. `style` picks PostgreSQL's wording of
   * "does not exist": function arguments print the name unquoted.
   */
  resolveType(ref: TypeReference, style: 'argument' | 'quoted' = 'quoted'): string {
    const types = this.db.types
    const written = `${ref.names.join('.')}${ref.percentType ? '%TYPE' : ''}${ref.arrayDimensions ? '[]' : ''}`
    if (!ref.percentType && ref.names.length > 3) {
      throw new StatementError(
        `improper qualified name (too many dotted names): ${ref.names.join('.')}`,
        '42601',
        ref.position,
      )
    }
    if (!ref.percentType && ref.names.length === 3) {
      throw new StatementError(
        `cross-database references are not implemented: ${ref.names.join('.')}`,
        '0A000',
        ref.position,
      )
    }
    let key: string | undefined
    if (ref.percentType) {
      key = this.resolvePercentType(ref)
    } else if (ref.schema !== undefined) {
      if (!this.schemaExists(ref.schema))
        throw new StatementError(`schema "${ref.schema}" does not exist`, '3F000', ref.position)
      if (types.has(ref.schema, ref.name)) key = typeKey(ref.schema, ref.name)
    } else {
      for (const schema of ['pg_catalog', ...this.effectivePath()]) {
        if (types.has(schema, ref.name)) {
          key = typeKey(schema, ref.name)
          break
        }
      }
    }
    if (!key) {
      throw new StatementError(
        style === 'argument' ? `type ${written} does not exist` : `type "${written}" does not exist`,
        '42704',
        ref.position,
        {
          hint: 'plproxy-ts knows the built-in types and the ones the given files create (CREATE TYPE/TABLE/DOMAIN)',
        },
      )
    }
    if (ref.typmods.length && !types.get(key)?.takesTypmods) {
      throw new StatementError(
        `type modifier is not allowed for type "${ref.names.join('.')}"`,
        '42601',
        ref.position,
      )
    }
    if (ref.arrayDimensions > 0) {
      const entry = types.get(key)!
      if (entry.category === 'A' && entry.element) return key
      if (!entry.array) {
        throw new StatementError(`could not find array type for data type ${written}`, '42704', ref.position)
      }
      return entry.array
    }
    return key
  }

  private resolvePercentType(ref: TypeReference): string {
    const parts = [...ref.names]
    const column = parts.pop()!
    const relation = parts.pop()
    const schema = parts.pop()
    if (!relation)
      throw new StatementError(
        `improper %TYPE reference (too few dotted names): ${column}`,
        '42601',
        ref.position,
      )
    if (schema !== undefined && !this.schemaExists(schema)) {
      throw new StatementError(`schema "${schema}" does not exist`, '3F000', ref.position)
    }
    const candidates = schema !== undefined ? [schema] : this.effectivePath()
    const entry = candidates
      .map((s) => this.db.types.get(typeKey(s, relation)))
      .find((e) => e?.relationKind === 'table')
    if (!entry) throw new StatementError(`relation "${relation}" does not exist`, '42P01', ref.position)
    const attr = entry.attributes?.find((a) => !a.dropped && a.name === column)
    if (!attr)
      throw new StatementError(
        `column "${column}" of relation "${relation}" does not exist`,
        '42703',
        ref.position,
      )
    return attr.type
  }

  private requireNewType(schema: string, name: string, position: SourcePosition, relation: boolean): void {
    if (this.db.types.has(schema, name)) {
      throw relation
        ? new StatementError(`relation "${name}" already exists`, '42P07', position)
        : new StatementError(`type "${name}" already exists`, '42710', position)
    }
  }

  // ---- the operations ----

  private applyOne(op: ScriptOperation): void {
    // search_path, schemas and the database may change: recompute the path lazily
    this.pathCache = undefined
    switch (op.kind) {
      case 'ConnectDatabase':
        if (op.database !== undefined) this.db = this.database(op.database)
        if (op.user !== undefined) this.user = op.user
        else if (op.database !== undefined) this.user = this.options.user
        this.searchPath = [...DEFAULT_SEARCH_PATH]
        return
      case 'SetSearchPath':
        this.searchPath = op.schemas ? [...op.schemas] : [...DEFAULT_SEARCH_PATH]
        return
      case 'CreateSchema':
        this.db.schemas.add(op.name)
        return
      case 'CreateExtension':
        return
      case 'FunctionDefinition':
        this.createFunction(op)
        return
      case 'AlterFunction':
        this.alterFunction(op)
        return
      case 'DropFunction':
        this.dropFunction(op)
        return
      case 'CreateCompositeType': {
        const schema = this.creationSchemaFor(op.schema, op.position)
        this.requireNewType(schema, op.name, op.position, op.origin === 'table')
        const attributes = op.attributes.map((a) => ({
          name: a.name,
          type: this.resolveType(a.type),
          dropped: false,
        }))
        this.db.types.add({
          schema,
          typname: op.name,
          kind: 'composite',
          attributes,
          relationKind: op.origin,
        })
        return
      }
      case 'AlterCompositeType':
        this.alterComposite(op)
        this.db.typesGeneration++
        return
      case 'CreateEnumType': {
        const schema = this.creationSchemaFor(op.schema, op.position)
        this.requireNewType(schema, op.name, op.position, false)
        this.db.types.add({ schema, typname: op.name, kind: 'enum' })
        return
      }
      case 'CreateRangeType': {
        const schema = this.creationSchemaFor(op.schema, op.position)
        this.requireNewType(schema, op.name, op.position, false)
        const subtype = this.resolveType(op.subtype)
        this.db.types.add({ schema, typname: op.name, kind: 'range', base: subtype })
        const multirange =
          op.multirangeName ??
          (op.name.includes('range') ? op.name.replace('range', 'multirange') : `${op.name}_multirange`)
        this.db.types.add({ schema, typname: multirange, kind: 'multirange', base: typeKey(schema, op.name) })
        return
      }
      case 'CreateDomain': {
        const schema = this.creationSchemaFor(op.schema, op.position)
        this.requireNewType(schema, op.name, op.position, false)
        this.db.types.add({ schema, typname: op.name, kind: 'domain', base: this.resolveType(op.baseType) })
        return
      }
      case 'CreateBaseType': {
        const schema = this.creationSchemaFor(op.schema, op.position)
        if (!this.db.types.has(schema, op.name)) this.db.types.add({ schema, typname: op.name, kind: 'base' })
        return
      }
      case 'DropObjects':
        this.dropObjects(op)
        this.db.typesGeneration++
        return
      case 'CreateForeignDataWrapper': {
        if (this.db.wrappers.has(op.name)) {
          throw new StatementError(`foreign-data wrapper "${op.name}" already exists`, '42710', op.position)
        }
        const options = this.uniqueOptions(op.options)
        const wrapper = { name: op.name, validator: op.validator, options, position: op.position }
        this.validate('wrapper', wrapper, options, op.position, [])
        this.db.wrappers.set(op.name, wrapper)
        return
      }
      case 'AlterForeignDataWrapper': {
        const wrapper = this.db.wrappers.get(op.name)
        if (!wrapper)
          throw new StatementError(`foreign-data wrapper "${op.name}" does not exist`, '42704', op.position)
        if (op.validator !== undefined) wrapper.validator = op.validator ?? undefined
        const options = this.changeOptions(wrapper.options, op.changes)
        this.validate('wrapper', wrapper, options, op.position, op.changes)
        wrapper.options = options
        return
      }
      case 'CreateServer': {
        if (this.db.servers.has(op.name)) {
          if (op.ifNotExists) return
          throw new StatementError(`server "${op.name}" already exists`, '42710', op.position)
        }
        const wrapper = this.db.wrappers.get(op.wrapper)
        if (!wrapper)
          throw new StatementError(
            `foreign-data wrapper "${op.wrapper}" does not exist`,
            '42704',
            op.position,
          )
        const options = this.uniqueOptions(op.options)
        this.validate('server', wrapper, options, op.position, op.options)
        this.db.servers.set(op.name, {
          name: op.name,
          wrapper: op.wrapper,
          owner: this.user,
          options,
          position: op.position,
        })
        return
      }
      case 'AlterServer': {
        const server = this.server(op.name, op.position)
        if (op.owner) server.owner = this.roleName(op.owner)
        if (!op.changes.length) return
        const options = this.changeOptions(server.options, op.changes)
        this.validate('server', this.db.wrappers.get(server.wrapper), options, op.position, op.changes)
        server.options = options
        return
      }
      case 'CreateUserMapping':
        this.createUserMapping(op)
        return
      case 'AlterUserMapping': {
        const server = this.server(op.server, op.position)
        const user = this.roleName(op.user)
        const mapping = this.db.userMappings.find((m) => m.server === op.server && m.user === user)
        if (!mapping) {
          throw new StatementError(
            `user mapping for "${user ?? 'public'}" does not exist for server "${op.server}"`,
            '42704',
            op.position,
          )
        }
        const options = this.changeOptions(mapping.options, op.changes)
        this.validate('user mapping', this.db.wrappers.get(server.wrapper), options, op.position, op.changes)
        mapping.options = options
        return
      }
      case 'DropUserMapping': {
        const user = this.roleName(op.user)
        const index = this.db.userMappings.findIndex((m) => m.server === op.server && m.user === user)
        if (index < 0) {
          if (op.missingOk) return
          if (!this.db.servers.has(op.server))
            throw new StatementError(`server "${op.server}" does not exist`, '42704', op.position)
          throw new StatementError(
            `user mapping for "${user ?? 'public'}" does not exist for server "${op.server}"`,
            '42704',
            op.position,
          )
        }
        this.db.userMappings.splice(index, 1)
        return
      }
      case 'GrantServerUsage':
        for (const name of op.servers) {
          this.server(name, op.position)
          const grants = this.db.usageGrants.get(name) ?? new Set<string>()
          for (const role of op.roles) {
            const r = this.roleName(role) ?? 'public'
            if (op.grant) grants.add(r)
            else grants.delete(r)
          }
          this.db.usageGrants.set(name, grants)
        }
        return
      default: {
        const never: never = op
        throw new Error(`unhandled operation ${(never as { kind: string }).kind}`)
      }
    }
  }

  private roleName(role: RoleReference): string | undefined {
    switch (role.kind) {
      case 'public':
        return undefined
      case 'role':
        return role.name
      default:
        return this.user ?? 'postgres'
    }
  }

  private server(name: string, position: SourcePosition) {
    const server = this.db.servers.get(name)
    if (!server) throw new StatementError(`server "${name}" does not exist`, '42704', position)
    return server
  }

  private uniqueOptions(options: readonly OptionValue[]): OptionValue[] {
    const seen = new Set<string>()
    for (const o of options) {
      if (seen.has(o.name))
        throw new StatementError(`option "${o.name}" provided more than once`, '42710', o.position)
      seen.add(o.name)
    }
    return [...options]
  }

  /** ALTER … OPTIONS (ADD|SET|DROP …) as PostgreSQL applies it */
  private changeOptions(current: readonly OptionValue[], changes: readonly OptionChange[]): OptionValue[] {
    const result = [...current]
    for (const c of changes) {
      const index = result.findIndex((o) => o.name === c.name)
      if (c.action === 'add') {
        if (index >= 0)
          throw new StatementError(`option "${c.name}" provided more than once`, '42710', c.position)
        result.push({
          name: c.name,
          value: c.value,
          position: c.position,
        })
      } else if (index < 0) {
        throw new StatementError(`option "${c.name}" not found`, '42704', c.position)
      } else if (c.action === 'set') {
        result[index] = {
          name: c.name,
          value: c.value,
          position: c.position,
        }
      } else {
        result.splice(index, 1)
      }
    }
    return result
  }

  /**
   * Runs the wrapper's validator, if it is PL/Proxy's, over the full
   * resulting option list. The error points at the offending option when
   * this statement wrote it, else at the statement.
   */
  private validate(
    context: 'wrapper' | 'server' | 'user mapping',
    wrapper: WrapperEntry | undefined,
    options: readonly OptionValue[],
    position: SourcePosition,
    written: readonly OptionValue[],
  ): void {
    if (wrapper?.validator !== 'plproxy_fdw_validator') return
    const err = validatePlproxyOptions(context, options)
    if (!err) return
    const option = err.optionIndex !== undefined ? options[err.optionIndex] : undefined
    const at = option && written.includes(option) ? option.position : position
    throw new StatementError(err.message, err.sqlstate, at, err.hint ? { hint: err.hint } : {})
  }

  private createUserMapping(op: CreateUserMapping): void {
    const server = this.server(op.server, op.position)
    const user = this.roleName(op.user)
    if (this.db.userMappings.some((m) => m.server === op.server && m.user === user)) {
      if (op.ifNotExists) return
      throw new StatementError(
        `user mapping for "${user ?? 'public'}" already exists for server "${op.server}"`,
        '42710',
        op.position,
      )
    }
    const options = this.uniqueOptions(op.options)
    this.validate('user mapping', this.db.wrappers.get(server.wrapper), options, op.position, op.options)
    this.db.userMappings.push({
      server: op.server,
      user,
      options,
      position: op.position,
    })
  }

  private alterComposite(op: AlterCompositeType): void {
    const schemas = op.schema !== undefined ? [op.schema] : this.effectivePath()
    const entry = schemas
      .map((s) => this.db.types.get(typeKey(s, op.name)))
      .find((e) => e?.kind === 'composite')
    if (!entry?.attributes) {
      if (op.missingOk) return
      throw new StatementError(`relation "${op.name}" does not exist`, '42P01', op.position)
    }
    const attrs = entry.attributes
    for (const action of op.actions) {
      const live = (name: string) => attrs.find((a) => !a.dropped && a.name === name)
      switch (action.action) {
        case 'add':
          if (live(action.attribute.name)) {
            if (action.missingOk) continue
            throw new StatementError(
              `column "${action.attribute.name}" of relation "${op.name}" already exists`,
              '42701',
              op.position,
            )
          }
          attrs.push({
            name: action.attribute.name,
            type: this.resolveType(action.attribute.type),
            dropped: false,
          })
          break
        case 'drop': {
          const attr = live(action.name)
          if (!attr) {
            if (action.missingOk) continue
            throw new StatementError(
              `column "${action.name}" of relation "${op.name}" does not exist`,
              '42703',
              op.position,
            )
          }
          attr.dropped = true
          break
        }
        case 'rename': {
          const attr = live(action.name)
          if (!attr) throw new StatementError(`column "${action.name}" does not exist`, '42703', op.position)
          attr.name = action.newName
          break
        }
        case 'alter-type': {
          const attr = live(action.name)
          if (!attr) {
            throw new StatementError(
              `column "${action.name}" of relation "${op.name}" does not exist`,
              '42703',
              op.position,
            )
          }
          attr.type = this.resolveType(action.type)
          break
        }
      }
    }
  }

  private dropObjects(op: Extract<ScriptOperation, { kind: 'DropObjects' }>): void {
    for (const { schema, name } of op.names) {
      if (op.objectType === 'server') {
        if (!this.db.servers.delete(name)) {
          if (op.missingOk) continue
          throw new StatementError(`server "${name}" does not exist`, '42704', op.position)
        }
        this.db.usageGrants.delete(name)
        for (let i = this.db.userMappings.length - 1; i >= 0; i--) {
          if (this.db.userMappings[i]!.server === name) this.db.userMappings.splice(i, 1)
        }
        continue
      }
      if (op.objectType === 'schema') {
        this.db.schemas.delete(name)
        continue
      }
      const schemas = schema !== undefined ? [schema] : this.effectivePath()
      const key = schemas
        .map((s) => typeKey(s, name))
        .find((k) => this.db.types.get(k) && !k.startsWith('pg_catalog.'))
      if (!key) {
        if (op.missingOk) continue
        const what = op.objectType === 'table' ? 'table' : 'type'
        throw new StatementError(`${what} "${name}" does not exist`, '42704', op.position)
      }
      this.db.types.remove(key)
    }
  }

  // ---- functions ----

  private sqlTypeName(key: string): string {
    return this.db.types.planType(key).sqlName
  }

  /** PostgreSQL's compute_function_attributes: options given twice, COST/ROWS values, procedure attributes. */
  private checkAttributes(def: FunctionDefinition): void {
    const seen = new Set<string>()
    for (const o of def.options) {
      // SET may repeat; every other option at most once
      if (o.name !== 'set' && seen.has(o.name)) {
        throw new StatementError('conflicting or redundant options', '42601', o.position)
      }
      seen.add(o.name)
      if (def.isProcedure && PROCEDURE_FORBIDDEN_OPTIONS.has(o.name)) {
        throw new StatementError('invalid attribute in procedure definition', '42P13', o.position)
      }
    }
    const at = (name: string) => def.options.find((o) => o.name === name)?.position ?? def.position
    if (def.cost !== undefined && def.cost <= 0)
      throw new StatementError('COST must be positive', '22023', at('cost'))
    if (def.rows !== undefined && def.rows <= 0)
      throw new StatementError('ROWS must be positive', '22023', at('rows'))
  }

  /** PostgreSQL's interpret_function_parameter_list. */
  private resolveArguments(def: FunctionDefinition): ResolvedArgument[] {
    const args: ResolvedArgument[] = []
    const inputNames = new Set<string>()
    const outputNames = new Set<string>()
    let sawDefault = false
    let sawVariadic = false
    for (const a of def.arguments) {
      const type = this.resolveType(a.type, 'argument')
      if (a.type.setof) throw new StatementError('functions cannot accept set arguments', '42P13', a.position)
      const isInput = a.mode === 'in' || a.mode === 'inout' || a.mode === 'variadic'
      const isOutput = a.mode === 'out' || a.mode === 'inout' || a.mode === 'table'
      if (sawVariadic && isInput) {
        throw new StatementError('VARIADIC parameter must be the last input parameter', '42P13', a.position)
      }
      if (a.mode === 'variadic') {
        sawVariadic = true
        const entry = this.db.types.get(type)
        const anyArray = ['pg_catalog.any', 'pg_catalog.anyarray', 'pg_catalog.anycompatiblearray'].includes(
          type,
        )
        if (!(entry?.category === 'A' && entry.element) && !anyArray) {
          throw new StatementError('VARIADIC parameter must be an array', '42P13', a.position)
        }
      }
      if (a.name !== undefined && a.name !== '') {
        // a pure IN and a pure OUT parameter may share a name; two inputs or two outputs may not
        if ((isInput && inputNames.has(a.name)) || (isOutput && outputNames.has(a.name))) {
          throw new StatementError(`parameter name "${a.name}" used more than once`, '42P13', a.position)
        }
        if (isInput) inputNames.add(a.name)
        if (isOutput) outputNames.add(a.name)
      }
      if (a.defaultSql !== undefined) {
        if (!isInput)
          throw new StatementError('only input parameters can have default values', '42P13', a.position)
        this.checkDefault(a, type)
        sawDefault = true
      } else if (sawDefault && isInput) {
        throw new StatementError(
          'input parameters after one with a default value must also have defaults',
          '42P13',
          a.position,
        )
      }
      args.push({
        name: a.name !== '' ? a.name : undefined,
        mode: a.mode,
        type,
        defaultSql: a.defaultSql,
        position: a.position,
      })
    }
    return args
  }

  /** What PostgreSQL checks of a DEFAULT expression that can be checked without a database. */
  private checkDefault(a: FunctionDefinition['arguments'][number], type: string): void {
    const shape = a.defaultShape
    if (!shape) return
    if (shape.columnRef !== undefined) {
      throw new StatementError(`column "${shape.columnRef}" does not exist`, '42703', a.position)
    }
    if (shape.subquery)
      throw new StatementError('cannot use subquery in DEFAULT expression', '0A000', a.position)
    if (shape.calls.some((c) => AGGREGATES.has(c.replace(/^pg_catalog\./, '')))) {
      throw new StatementError(
        'aggregate functions are not allowed in DEFAULT expressions',
        '42803',
        a.position,
      )
    }
    const lit = shape.literal
    if (lit?.isString && !lit.isNull) {
      const problem = checkLiteral(type, lit.text)
      if (problem) throw new StatementError(problem, '22P02', a.position)
    }
  }

  /** A function exists in the catalog only once PostgreSQL and PL/Proxy's validator accepted it. */
  private createFunction(def: FunctionDefinition): void {
    if (def.schema !== undefined && !this.schemaExists(def.schema)) {
      throw new StatementError(`schema "${def.schema}" does not exist`, '3F000', def.position)
    }
    const schema = this.creationSchemaFor(def.schema, def.position)
    this.checkAttributes(def)
    const args = this.resolveArguments(def)
    const outputs = args.filter((a) => a.mode === 'out' || a.mode === 'inout' || a.mode === 'table')
    const required =
      outputs.length === 1 ? outputs[0]!.type : outputs.length > 1 ? 'pg_catalog.record' : undefined
    let returnType: string
    let returnsSet = false
    if (def.isProcedure) {
      returnType = outputs.length ? 'pg_catalog.record' : 'pg_catalog.void'
    } else if (def.returns) {
      returnType = this.resolveType(def.returns)
      returnsSet = def.returns.setof
      if (def.returnsTable && required) returnType = required
      else if (required !== undefined && returnType !== required) {
        throw new StatementError(
          `function result type must be ${this.sqlTypeName(required)} because of OUT parameters`,
          '42P13',
          def.returns.position,
        )
      }
    } else if (required !== undefined) {
      returnType = required
    } else {
      throw new StatementError('function result type must be specified', '42P13', def.position)
    }
    // interpret_AS_clause
    if (def.sqlBody)
      throw new StatementError('inline SQL function body only valid for language SQL', '42P13', def.position)
    if (def.asItems === 0) throw new StatementError('no function body specified', '42P13', def.position)
    if (def.asItems > 1) {
      throw new StatementError(
        `only one AS item needed for language "${def.language}"`,
        '42P13',
        def.position,
      )
    }
    if (def.rows !== undefined && !returnsSet) {
      const at = def.options.find((o) => o.name === 'rows')?.position ?? def.position
      throw new StatementError('ROWS is not applicable when function does not return a set', '22023', at)
    }
    // ProcedureCreate
    this.checkPolymorphism(def, args, returnType)
    const entry: FunctionEntry = {
      definition: def,
      database: this.db.name,
      schema,
      name: def.name,
      arguments: args,
      returnType,
      returnsSet,
      searchPath: this.effectivePath(),
      owner: this.user,
      securityDefiner: def.securityDefiner,
      volatility: def.volatility,
      strict: def.strict,
      typesGeneration: this.db.typesGeneration,
    }
    const key = functionKey(schema, def.name, inputSignature(args))
    const byKey = this.functionsByKey()
    const old = byKey.get(key)
    if (old) {
      if (!def.orReplace) {
        throw new StatementError(
          `function "${def.name}" already exists with same argument types`,
          '42723',
          def.position,
        )
      }
      this.checkReplace(old, entry)
    }
    // PL/Proxy's validator: a rejected function is not created (an OR REPLACE keeps the old one)
    const compiled = this.options.validate?.(entry, this.db)
    if (compiled?.diagnostics.some((d) => d.severity === 'error')) {
      this.diagnostics.push(...compiled.diagnostics)
      this.rejected.push(compiled)
      return
    }
    if (compiled) {
      entry.compiled = compiled
      this.diagnostics.push(...compiled.diagnostics)
    }
    if (old) this.db.functions[this.db.functions.indexOf(old)] = entry
    else this.db.functions.push(entry)
    byKey.set(key, entry)
  }

  /** Polymorphic results need a polymorphic input; `internal` needs an `internal` input (ProcedureCreate). */
  private checkPolymorphism(
    def: FunctionDefinition,
    args: readonly ResolvedArgument[],
    returnType: string,
  ): void {
    const inputs = args.filter((a) => a.mode === 'in' || a.mode === 'inout' || a.mode === 'variadic')
    const results = [
      returnType,
      ...args.filter((a) => a.mode === 'out' || a.mode === 'table').map((a) => a.type),
    ]
    const polymorphic = (t: string) => POLYMORPHIC.has(t)
    const bad = results.find(polymorphic)
    if (bad && !inputs.some((a) => polymorphic(a.type))) {
      throw new StatementError('cannot determine result data type', '42P13', def.position, {
        detail: `A result of type ${bad.slice('pg_catalog.'.length)} requires at least one input of type anyelement, anyarray, anynonarray, anyenum, anyrange, or anymultirange.`,
      })
    }
    if (results.includes('pg_catalog.internal') && !inputs.some((a) => a.type === 'pg_catalog.internal')) {
      throw new StatementError('unsafe use of pseudo-type "internal"', '42P13', def.position, {
        detail: 'A function returning "internal" must have at least one "internal" argument.',
      })
    }
  }

  private checkReplace(old: FunctionEntry, next: FunctionEntry): void {
    const pos = next.definition.position
    const signature = `${quoteIdent(next.schema)}.${quoteIdent(next.name)}(${next.arguments
      .filter((a) => a.mode !== 'out' && a.mode !== 'table')
      .map((a) => this.sqlTypeName(a.type))
      .join(', ')})`
    const hint = { hint: `Use DROP FUNCTION ${signature} first.` }
    if (old.returnType !== next.returnType || old.returnsSet !== next.returnsSet) {
      throw new StatementError('cannot change return type of existing function', '42P13', pos, hint)
    }
    const outs = (f: FunctionEntry) =>
      f.arguments
        .filter((a) => a.mode !== 'in' && a.mode !== 'variadic')
        .map((a) => `${a.name ?? ''}:${a.type}`)
        .join(',')
    if (old.returnType === 'pg_catalog.record' && outs(old) !== outs(next)) {
      throw new StatementError('cannot change return type of existing function', '42P13', pos, {
        detail: 'Row type defined by OUT parameters is different.',
        ...hint,
      })
    }
    const oldIn = old.arguments.filter((a) => a.mode !== 'out' && a.mode !== 'table')
    const newIn = next.arguments.filter((a) => a.mode !== 'out' && a.mode !== 'table')
    for (const [i, a] of oldIn.entries()) {
      const b = newIn[i]
      if (a.name !== undefined && a.name !== b?.name) {
        throw new StatementError(`cannot change name of input parameter "${a.name}"`, '42P13', pos, hint)
      }
    }
    const defaults = (list: readonly ResolvedArgument[]) =>
      list.filter((a) => a.defaultSql !== undefined).length
    if (defaults(newIn) < defaults(oldIn)) {
      throw new StatementError('cannot remove parameter defaults from existing function', '42P13', pos, hint)
    }
  }

  /** The functions an ALTER/DROP FUNCTION names: by name (and IN-argument types when given). */
  private findFunctions(op: {
    schema?: string
    name: string
    argumentTypes?: readonly TypeReference[]
  }): FunctionEntry[] {
    const schemas = op.schema !== undefined ? [op.schema] : this.effectivePath()
    let matches = this.db.functions.filter((f) => schemas.includes(f.schema) && f.name === op.name)
    if (op.argumentTypes) {
      const wanted = op.argumentTypes.map((t) => this.resolveType(t)).join(',')
      matches = matches.filter((f) => inputSignature(f.arguments) === wanted)
    }
    // only the first schema in the path that has the function counts
    const firstSchema = schemas.find((s) => matches.some((f) => f.schema === s))
    return matches.filter((f) => f.schema === firstSchema)
  }

  private missingFunction(op: {
    name: string
    argumentTypes?: readonly TypeReference[]
    position: SourcePosition
  }): StatementError {
    const args = op.argumentTypes
      ? `(${op.argumentTypes.map((t) => this.sqlTypeName(this.resolveType(t))).join(', ')})`
      : ''
    return new StatementError(`function ${op.name}${args} does not exist`, '42883', op.position)
  }

  private dropFunction(op: Extract<ScriptOperation, { kind: 'DropFunction' }>): void {
    const matches = this.findFunctions(op)
    if (matches.length === 0) {
      if (op.missingOk) return
      throw this.missingFunction(op)
    }
    if (matches.length > 1)
      throw new StatementError(`function name "${op.name}" is not unique`, '42725', op.position)
    this.db.functions.splice(this.db.functions.indexOf(matches[0]!), 1)
    this.functionIndex.delete(this.db)
  }

  private alterFunction(op: AlterFunction): void {
    const matches = this.findFunctions(op)
    if (matches.length === 0) throw this.missingFunction(op)
    if (matches.length > 1)
      throw new StatementError(`function name "${op.name}" is not unique`, '42725', op.position)
    const entry = matches[0]!
    const byKey = this.functionsByKey()
    const schema = op.newSchema ?? entry.schema
    const name = op.rename ?? entry.name
    if (op.newSchema !== undefined && !this.schemaExists(op.newSchema)) {
      throw new StatementError(`schema "${op.newSchema}" does not exist`, '3F000', op.position)
    }
    const key = functionKey(schema, name, inputSignature(entry.arguments))
    if ((op.rename !== undefined || op.newSchema !== undefined) && byKey.has(key)) {
      throw new StatementError(
        `function ${name}(${entry.arguments
          .filter((a) => a.mode !== 'out' && a.mode !== 'table')
          .map((a) => this.sqlTypeName(a.type))
          .join(', ')}) already exists in schema "${schema}"`,
        '42723',
        op.position,
      )
    }
    const changed: FunctionEntry = {
      ...entry,
      schema,
      name,
      owner: op.owner ? this.roleName(op.owner) : entry.owner,
      securityDefiner: op.securityDefiner ?? entry.securityDefiner,
      volatility: op.volatility ?? entry.volatility,
      strict: op.strict ?? entry.strict,
      compiled: undefined,
    }
    this.db.functions[this.db.functions.indexOf(entry)] = changed
    this.functionIndex.delete(this.db)
  }
}

/** Schemas every database has. */
const BUILTIN_SCHEMAS = new Set(['pg_catalog', 'public', 'information_schema', 'pg_toast'])

/** Options CREATE PROCEDURE rejects. */
const PROCEDURE_FORBIDDEN_OPTIONS = new Set([
  'volatility',
  'strict',
  'leakproof',
  'cost',
  'rows',
  'support',
  'parallel',
  'window',
])

const POLYMORPHIC = new Set(
  [
    'anyelement',
    'anyarray',
    'anynonarray',
    'anyenum',
    'anyrange',
    'anymultirange',
    'anycompatible',
    'anycompatiblearray',
    'anycompatiblenonarray',
    'anycompatiblerange',
    'anycompatiblemultirange',
  ].map((t) => `pg_catalog.${t}`),
)

/** Built-in aggregates (for the DEFAULT-expression check). */
const AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'array_agg',
  'string_agg',
  'bool_and',
  'bool_or',
  'every',
  'bit_and',
  'bit_or',
  'bit_xor',
  'json_agg',
  'jsonb_agg',
  'json_object_agg',
  'jsonb_object_agg',
  'xmlagg',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'corr',
  'covar_pop',
  'covar_samp',
  'mode',
  'percentile_cont',
  'percentile_disc',
  'rank',
  'dense_rank',
  'percent_rank',
  'cume_dist',
  'range_agg',
  'range_intersect_agg',
])

/** PostgreSQL's input check of a string literal default for the integer and boolean types. */
function checkLiteral(type: string, text: string): string | undefined {
  const ints: Record<string, [string, bigint, bigint]> = {
    'pg_catalog.int2': ['smallint', -32768n, 32767n],
    'pg_catalog.int4': ['integer', -2147483648n, 2147483647n],
    'pg_catalog.int8': ['bigint', -(2n ** 63n), 2n ** 63n - 1n],
  }
  const int = ints[type]
  if (int) {
    const m = /^[ \t\n\r\v\f]*([+-]?[0-9]+)[ \t\n\r\v\f]*$/.exec(text)
    if (!m) return `invalid input syntax for type ${int[0]}: "${text}"`
    const v = BigInt(m[1]!)
    if (v < int[1] || v > int[2]) return `value "${text}" is out of range for type ${int[0]}`
    return undefined
  }
  if (type === 'pg_catalog.bool') {
    const t = text.trim().toLowerCase()
    const ok = [
      't',
      'tr',
      'tru',
      'true',
      'y',
      'ye',
      'yes',
      'on',
      '1',
      'f',
      'fa',
      'fal',
      'fals',
      'false',
      'n',
      'no',
      'of',
      'off',
      '0',
    ]
    // 'o' alone is ambiguous (on/off)
    if (!ok.includes(t)) return `invalid input syntax for type boolean: "${text}"`
  }
  return undefined
}

export function buildCatalog(
  ops: readonly ScriptOperation[],
  options: CatalogBuildOptions = {},
): CatalogBuildResult {
  return new CatalogBuilder(options).apply(ops).result()
}
