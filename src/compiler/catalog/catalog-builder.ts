/**
 * Applies script operations to a catalog in order, with PostgreSQL's rules
 * (and messages) for the objects PL/Proxy depends on.
 */
import type {
  AlterCompositeType,
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
  type DatabaseCatalog,
  type FunctionEntry,
  inputSignature,
  type ResolvedArgument,
  typeRefText,
} from './catalog.js'
import { validatePlproxyOptions } from './fdw-validator.js'
import { quoteIdent } from './quote-ident.js'
import { TypeRegistry, typeKey } from './type-registry.js'

export interface CatalogBuildResult {
  readonly databases: ReadonlyMap<string, DatabaseCatalog>
  readonly diagnostics: readonly Diagnostic[]
}

export interface CatalogBuildOptions {
  /** the role scripts run as, for `"$user"` in search_path and CURRENT_USER mappings */
  readonly user?: string
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
    wrappers: new Map(),
    servers: new Map(),
    userMappings: [],
    usageGrants: new Map(),
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

  /** A new psql session: the first database, default search_path, the configured user. */
  startSession(): this {
    this.db = this.database('')
    this.searchPath = [...DEFAULT_SEARCH_PATH]
    this.user = this.options.user
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
    return { databases: this.databases, diagnostics: this.diagnostics }
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

  /** Finds a type the way PostgreSQL's parser does (pg_catalog first, then search_path); returns its key. */
  resolveType(ref: TypeReference): string {
    const types = this.db.types
    let key: string | undefined
    if (ref.percentType) {
      key = this.resolvePercentType(ref)
    } else if (ref.schema !== undefined) {
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
      throw new StatementError(`type "${typeRefText(ref)}" does not exist`, '42704', ref.position, {
        hint: 'plproxy-ts knows the built-in types and the ones created (CREATE TYPE/TABLE/DOMAIN) in the files it reads',
      })
    }
    if (ref.arrayDimensions > 0) {
      const entry = types.get(key)!
      if (entry.category === 'A' && entry.element) return key
      if (!entry.array)
        throw new StatementError(
          `could not find array type for data type ${typeRefText(ref)}`,
          '42704',
          ref.position,
        )
      return entry.array
    }
    return key
  }

  private resolvePercentType(ref: TypeReference): string | undefined {
    const parts = ref.name.split('.')
    const column = parts.pop()!
    const relation = parts.pop()
    const schema = parts.pop()
    if (!relation) return undefined
    const candidates = schema !== undefined ? [schema] : this.effectivePath()
    for (const s of candidates) {
      const entry = this.db.types.get(typeKey(s, relation))
      const attr = entry?.attributes?.find((a) => !a.dropped && a.name === column)
      if (attr) return attr.type
    }
    return undefined
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
        if (op.name === 'plproxy' && !this.db.wrappers.has('plproxy')) {
          this.db.wrappers.set('plproxy', { name: 'plproxy', options: [], position: op.position })
        }
        return
      case 'FunctionDefinition':
        this.createFunction(op)
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
        return
      case 'CreateForeignDataWrapper': {
        if (this.db.wrappers.has(op.name)) {
          throw new StatementError(`foreign-data wrapper "${op.name}" already exists`, '42710', op.position)
        }
        const options = this.uniqueOptions(op.options)
        this.validate('wrapper', op.name, options, op.position)
        this.db.wrappers.set(op.name, { name: op.name, options, position: op.position })
        return
      }
      case 'AlterForeignDataWrapper': {
        const wrapper = this.db.wrappers.get(op.name) ?? { name: op.name, options: [] }
        const options = this.changeOptions(wrapper.options, op.changes)
        this.validate('wrapper', op.name, options, op.position)
        wrapper.options = options
        this.db.wrappers.set(op.name, wrapper)
        return
      }
      case 'CreateServer': {
        if (this.db.servers.has(op.name)) {
          if (op.ifNotExists) return
          throw new StatementError(`server "${op.name}" already exists`, '42710', op.position)
        }
        const options = this.uniqueOptions(op.options)
        this.validate(op.wrapper === 'plproxy' ? 'server' : undefined, op.wrapper, options, op.position)
        this.db.servers.set(op.name, { name: op.name, wrapper: op.wrapper, options, position: op.position })
        return
      }
      case 'AlterServer': {
        const server = this.server(op.name, op.position)
        const options = this.changeOptions(server.options, op.changes)
        this.validate(
          server.wrapper === 'plproxy' ? 'server' : undefined,
          server.wrapper,
          options,
          op.position,
        )
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
        this.validate(
          server.wrapper === 'plproxy' ? 'user mapping' : undefined,
          server.wrapper,
          options,
          op.position,
        )
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

  private validate(
    context: 'wrapper' | 'server' | 'user mapping' | undefined,
    wrapper: string,
    options: readonly OptionValue[],
    position: SourcePosition,
  ): void {
    if (context === undefined) return
    if (context === 'wrapper' && wrapper !== 'plproxy') return
    const err = validatePlproxyOptions(context, options)
    if (!err) return
    const at = err.optionIndex !== undefined ? (options[err.optionIndex]?.position ?? position) : position
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
    this.validate(
      server.wrapper === 'plproxy' ? 'user mapping' : undefined,
      server.wrapper,
      options,
      op.position,
    )
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

  private resolveArguments(def: FunctionDefinition): ResolvedArgument[] {
    const args: ResolvedArgument[] = []
    const inputNames = new Set<string>()
    const outputNames = new Set<string>()
    let sawDefault = false
    let sawVariadic = false
    for (const a of def.arguments) {
      const type = this.resolveType(a.type)
      const isInput = a.mode === 'in' || a.mode === 'inout' || a.mode === 'variadic'
      const isOutput = a.mode === 'out' || a.mode === 'inout' || a.mode === 'table'
      if (sawVariadic && isInput) {
        throw new StatementError('VARIADIC parameter must be the last input parameter', '42P13', a.position)
      }
      if (a.mode === 'variadic') {
        sawVariadic = true
        const entry = this.db.types.get(type)
        if (
          !(entry?.category === 'A' && entry.element) &&
          !['pg_catalog.any', 'pg_catalog.anyarray', 'pg_catalog.anycompatiblearray'].includes(type)
        ) {
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

  private sqlTypeName(key: string): string {
    return this.db.types.planType(key).sqlName
  }

  private createFunction(def: FunctionDefinition): void {
    const schema = this.creationSchemaFor(def.schema, def.position)
    const args = this.resolveArguments(def)
    const outputs = args.filter((a) => a.mode === 'out' || a.mode === 'inout' || a.mode === 'table')
    const required =
      outputs.length === 1 ? outputs[0]!.type : outputs.length > 1 ? 'pg_catalog.record' : undefined
    let returnType: string
    let returnsSet = false
    if (def.returns) {
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
    } else if (def.isProcedure) {
      returnType = outputs.length ? 'pg_catalog.record' : 'pg_catalog.void'
    } else if (required !== undefined) {
      returnType = required
    } else {
      throw new StatementError('function result type must be specified', '42P13', def.position)
    }
    const entry: FunctionEntry = {
      definition: def,
      database: this.db.name,
      schema,
      arguments: args,
      returnType,
      returnsSet,
      searchPath: this.effectivePath(),
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
      this.db.functions[this.db.functions.indexOf(old)] = entry
    } else {
      this.db.functions.push(entry)
    }
    byKey.set(key, entry)
  }

  private checkReplace(old: FunctionEntry, next: FunctionEntry): void {
    const pos = next.definition.position
    const signature = `${quoteIdent(next.schema)}.${quoteIdent(next.definition.name)}(${next.arguments
      .filter((a) => a.mode !== 'out' && a.mode !== 'table')
      .map((a) => this.sqlTypeName(a.type))
      .join(', ')})`
    if (old.returnType !== next.returnType || old.returnsSet !== next.returnsSet) {
      throw new StatementError('cannot change return type of existing function', '42P13', pos, {
        hint: `Use DROP FUNCTION ${signature} first.`,
      })
    }
    const outs = (f: FunctionEntry) =>
      f.arguments
        .filter((a) => a.mode !== 'in' && a.mode !== 'variadic')
        .map((a) => `${a.name ?? ''}:${a.type}`)
        .join(',')
    if (old.returnType === 'pg_catalog.record' && outs(old) !== outs(next)) {
      throw new StatementError('cannot change return type of existing function', '42P13', pos, {
        detail: 'Row type defined by OUT parameters is different.',
        hint: `Use DROP FUNCTION ${signature} first.`,
      })
    }
    const oldIn = old.arguments.filter((a) => a.mode !== 'out' && a.mode !== 'table')
    const newIn = next.arguments.filter((a) => a.mode !== 'out' && a.mode !== 'table')
    for (const [i, a] of oldIn.entries()) {
      const b = newIn[i]
      if (a.name !== undefined && a.name !== b?.name) {
        throw new StatementError(`cannot change name of input parameter "${a.name}"`, '42P13', pos, {
          hint: `Use DROP FUNCTION ${signature} first.`,
        })
      }
    }
  }

  private dropFunction(op: Extract<ScriptOperation, { kind: 'DropFunction' }>): void {
    const schemas = op.schema !== undefined ? [op.schema] : this.effectivePath()
    const candidates = this.db.functions.filter(
      (f) => schemas.includes(f.schema) && f.definition.name === op.name,
    )
    let matches = candidates
    if (op.argumentTypes) {
      const wanted = op.argumentTypes.map((t) => this.resolveType(t)).join(',')
      matches = candidates.filter(
        (f) =>
          f.arguments
            .filter((a) => a.mode === 'in' || a.mode === 'inout' || a.mode === 'variadic')
            .map((a) => a.type)
            .join(',') === wanted,
      )
    }
    // only the first schema in the path that has the function counts
    const firstSchema = schemas.find((s) => matches.some((f) => f.schema === s))
    matches = matches.filter((f) => f.schema === firstSchema)
    if (matches.length === 0) {
      if (op.missingOk) return
      const args = op.argumentTypes
        ? `(${op.argumentTypes.map((t) => this.sqlTypeName(this.resolveType(t))).join(', ')})`
        : ''
      throw new StatementError(`function ${op.name}${args} does not exist`, '42883', op.position)
    }
    if (matches.length > 1)
      throw new StatementError(`function name "${op.name}" is not unique`, '42725', op.position)
    const index = this.db.functions.indexOf(matches[0]!)
    this.db.functions.splice(index, 1)
    this.functionIndex.delete(this.db)
  }
}

export function buildCatalog(
  ops: readonly ScriptOperation[],
  options: CatalogBuildOptions = {},
): CatalogBuildResult {
  return new CatalogBuilder(options).apply(ops).result()
}
