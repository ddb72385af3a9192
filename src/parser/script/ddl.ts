/**
 * Turns PostgreSQL parse trees (libpg-query, the real PostgreSQL parser)
 * of the statements PL/Proxy cares about into ScriptOperations.
 */
import type { SourcePosition } from '../source-file.js'
import type {
  AlterCompositeType,
  ArgumentMode,
  AttributeDefinition,
  BodyLocation,
  DefaultShape,
  FunctionArgument,
  OptionChange,
  OptionValue,
  RoleReference,
  ScriptOperation,
  TypeReference,
  Volatility,
} from './model.js'

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse trees are untyped JSON
type Node = any

/** Locates positions of one statement in its file: libpg-query reports byte offsets into the statement. */
export interface StatementLocator {
  /** the statement's text as parsed */
  readonly text: string
  /** file position of a character index of `text` */
  position(index: number): SourcePosition
  /** character index of a byte offset reported by the parser */
  index(byteOffset: number | undefined): number
}

const str = (n: Node): string => n?.String?.sval ?? ''
const names = (list: Node[] | undefined): string[] => (list ?? []).map(str)

function qualified(list: Node[] | undefined): { schema?: string; name: string } {
  const parts = names(list)
  const name = parts[parts.length - 1] ?? ''
  const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined
  return schema === undefined ? { name } : { schema, name }
}

function rangeVar(rv: Node): { schema?: string; name: string } {
  return rv?.schemaname ? { schema: rv.schemaname, name: rv.relname } : { name: rv?.relname ?? '' }
}

function constText(c: Node): string {
  if (!c) return ''
  const a = c.A_Const ?? c
  if (a.ival) return String(a.ival.ival ?? 0)
  if (a.fval) return String(a.fval.fval)
  if (a.sval) return String(a.sval.sval ?? '')
  if (a.boolval) return String(a.boolval.boolval ?? false)
  if (a.bsval) return String(a.bsval.bsval)
  if (c.ColumnRef) return names(c.ColumnRef.fields).join('.')
  return ''
}

export function typeReference(t: Node, loc: StatementLocator): TypeReference {
  const parts = names(t.names)
  const percentType = !!t.pct_type
  const name = percentType ? parts.join('.') : (parts[parts.length - 1] ?? '')
  const schema = !percentType && parts.length >= 2 ? parts[parts.length - 2] : undefined
  return {
    schema,
    name,
    names: parts,
    typmods: (t.typmods ?? []).map(constText),
    arrayDimensions: (t.arrayBounds ?? []).length,
    percentType,
    setof: !!t.setof,
    position: loc.position(loc.index(t.location)),
  }
}

const MODES: Record<string, ArgumentMode> = {
  FUNC_PARAM_IN: 'in',
  FUNC_PARAM_DEFAULT: 'in',
  FUNC_PARAM_OUT: 'out',
  FUNC_PARAM_INOUT: 'inout',
  FUNC_PARAM_VARIADIC: 'variadic',
  FUNC_PARAM_TABLE: 'table',
}

/** Index just past the SQL expression starting at `from` (stops at a top-level `,` or `)`). */
function expressionEnd(text: string, from: number): number {
  let depth = 0
  let i = from
  while (i < text.length) {
    const ch = text[i]!
    if (ch === "'" || ch === '"') {
      const q = ch
      i++
      while (i < text.length && !(text[i] === q && text[i + 1] !== q)) i += text[i] === q ? 2 : 1
      i++
      continue
    }
    if (ch === '$') {
      const m = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y
      m.lastIndex = i
      const tag = m.exec(text)
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length)
        i = close < 0 ? text.length : close + tag[0].length
        continue
      }
    }
    if (ch === '(' || ch === '[') depth++
    else if (ch === ')' || ch === ']') {
      if (depth === 0) return i
      depth--
    } else if (ch === ',' && depth === 0) return i
    i++
  }
  return i
}

/** The default expression's text of a parameter spanning text[from, to). */
function defaultText(text: string, from: number, to: number): string | undefined {
  const region = text.slice(from, to)
  const m = /(?:^|[\s)\]])(default\b|=)/i.exec(region)
  if (!m) return undefined
  const start = from + m.index + m[0].length
  return text.slice(start, expressionEnd(text, start)).trim()
}

/** What a DEFAULT expression contains (column references, subqueries, calls, a bare literal). */
function defaultShape(expr: Node): DefaultShape {
  let columnRef: string | undefined
  let subquery = false
  const calls: string[] = []
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return
    if (Array.isArray(n)) {
      for (const x of n) walk(x)
      return
    }
    const o = n as Record<string, unknown>
    if (o.ColumnRef && columnRef === undefined) columnRef = names((o.ColumnRef as Node).fields).join('.')
    if (o.SubLink) subquery = true
    if (o.FuncCall) calls.push(names((o.FuncCall as Node).funcname).join('.'))
    for (const v of Object.values(o)) walk(v)
  }
  walk(expr)
  let node = expr
  while (node?.TypeCast) node = node.TypeCast.arg
  const c = node?.A_Const
  const literal = c
    ? { text: c.isnull ? '' : constText(node), isString: c.sval !== undefined, isNull: !!c.isnull }
    : undefined
  return { columnRef, subquery, calls, literal }
}

function functionArguments(params: Node[] | undefined, loc: StatementLocator): FunctionArgument[] {
  const list = (params ?? []).map((p: Node) => p.FunctionParameter)
  return list.map((p: Node, i: number): FunctionArgument => {
    const start = loc.index(p.location)
    const next = list[i + 1]
    const end = next ? loc.index(next.location) : loc.text.length
    const defaultSql = p.defexpr ? defaultText(loc.text, start, end) : undefined
    return {
      name: p.name as string | undefined,
      type: typeReference(p.argType, loc),
      mode: MODES[p.mode as string] ?? 'in',
      defaultSql,
      defaultShape: p.defexpr ? defaultShape(p.defexpr) : undefined,
      position: loc.position(start),
    }
  })
}

/** Finds the body literal after the `AS` keyword and how its characters map to the file. */
function bodyLocation(text: string, asIndex: number, loc: StatementLocator): BodyLocation {
  let i = asIndex + 2
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++
    if (text.startsWith('--', i)) {
      const nl = text.indexOf('\n', i)
      i = nl < 0 ? text.length : nl
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2)
      i = end < 0 ? text.length : end + 2
    } else break
  }
  const fileOffset = (index: number): number => loc.position(index).offset
  const tag = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y
  tag.lastIndex = i
  const dollar = tag.exec(text)
  if (dollar) return { offset: fileOffset(i + dollar[0].length), skips: [] }
  const backslashEscapes = text[i] === 'E' || text[i] === 'e'
  if (backslashEscapes) i++
  if (text[i] !== "'") return { offset: fileOffset(i), skips: [] }
  const skips: number[] = []
  let bodyIndex = 0
  let j = i + 1
  while (j < text.length) {
    const ch = text[j]
    if (ch === "'" && text[j + 1] === "'") {
      bodyIndex++
      skips.push(bodyIndex)
      j += 2
    } else if (ch === "'") break
    else if (backslashEscapes && ch === '\\') {
      bodyIndex++
      skips.push(bodyIndex)
      j += 2
    } else {
      bodyIndex++
      j++
    }
  }
  return { offset: fileOffset(i + 1), skips }
}

function numberOption(d: Node): number | undefined {
  if (!d?.arg) return undefined
  if (d.arg.Integer) return Number(d.arg.Integer.ival ?? 0)
  if (d.arg.Float) return Number(d.arg.Float.fval)
  return undefined
}

function validatorOf(funcOptions: Node[] | undefined): string | null | undefined {
  const v = (funcOptions ?? []).map((o: Node) => o.DefElem).find((d: Node) => d.defname === 'validator')
  if (!v) return undefined
  return v.arg ? names(v.arg.List?.items).join('.') : null
}

function objectWithArgs(
  owa: Node,
  loc: StatementLocator,
): { schema?: string; name: string; argumentTypes?: TypeReference[] } {
  const { schema, name } = qualified(owa.objname)
  const argumentTypes = owa.args_unspecified
    ? undefined
    : (owa.objfuncargs ?? [])
        .map((p: Node) => p.FunctionParameter)
        .filter((p: Node) => p.mode !== 'FUNC_PARAM_OUT' && p.mode !== 'FUNC_PARAM_TABLE')
        .map((p: Node) => typeReference(p.argType, loc))
  return { schema, name, argumentTypes }
}

function defElemValue(d: Node): string | undefined {
  const arg = d.arg
  if (!arg) return undefined
  if (arg.String) return arg.String.sval ?? ''
  if (arg.Integer) return String(arg.Integer.ival ?? 0)
  if (arg.Float) return String(arg.Float.fval)
  if (arg.Boolean) return String(arg.Boolean.boolval ?? false)
  if (arg.TypeName) return names(arg.TypeName.names).join('.')
  if (arg.List) return (arg.List.items ?? []).map(str).join(',')
  return undefined
}

function options(list: Node[] | undefined, loc: StatementLocator): OptionValue[] {
  return (list ?? []).map((o: Node) => {
    const d = o.DefElem
    const value = defElemValue(d)
    return {
      name: d.defname,
      value,
      position: loc.position(loc.index(d.location)),
    }
  })
}

function optionChanges(list: Node[] | undefined, loc: StatementLocator): OptionChange[] {
  return (list ?? []).map((o: Node) => {
    const d = o.DefElem
    const value = defElemValue(d)
    const action = d.defaction === 'DEFELEM_SET' ? 'set' : d.defaction === 'DEFELEM_DROP' ? 'drop' : 'add'
    return {
      action,
      name: d.defname,
      value,
      position: loc.position(loc.index(d.location)),
    }
  })
}

function role(r: Node): RoleReference {
  switch (r?.roletype) {
    case 'ROLESPEC_PUBLIC':
      return { kind: 'public' }
    case 'ROLESPEC_CURRENT_USER':
      return { kind: 'current_user' }
    case 'ROLESPEC_SESSION_USER':
      return { kind: 'session_user' }
    case 'ROLESPEC_CURRENT_ROLE':
      return { kind: 'current_role' }
    default:
      return { kind: 'role', name: r?.rolename ?? '' }
  }
}

function attribute(col: Node, loc: StatementLocator): AttributeDefinition {
  return { name: col.colname, type: typeReference(col.typeName, loc) }
}

/**
 * The operation for one parsed statement, or undefined when PL/Proxy does
 * not care about it.
 */
export function operationOf(stmt: Node, loc: StatementLocator): ScriptOperation | undefined {
  const here = loc.position(0)
  const [kind] = Object.keys(stmt)
  const s = stmt[kind as string]
  switch (kind) {
    case 'CreateFunctionStmt': {
      const opts: Node[] = (s.options ?? []).map((o: Node) => o.DefElem)
      const opt = (name: string) => opts.find((d: Node) => d.defname === name)
      const language = opt('language')?.arg?.String?.sval ?? 'sql'
      if (language !== 'plproxy') return undefined
      const as = opt('as')
      const body = str(as?.arg?.List?.items?.[0])
      const volatility = (opt('volatility')?.arg?.String?.sval ?? 'volatile') as Volatility
      const returns = s.returnType ? typeReference(s.returnType, loc) : undefined
      const args = functionArguments(s.parameters, loc)
      const { schema, name } = qualified(s.funcname)
      return {
        kind: 'FunctionDefinition',
        schema,
        name,
        arguments: args,
        returns,
        returnsTable: args.some((a) => a.mode === 'table'),
        language,
        strict: !!opt('strict')?.arg?.Boolean?.boolval,
        volatility,
        securityDefiner: !!opt('security')?.arg?.Boolean?.boolval,
        isProcedure: !!s.is_procedure,
        orReplace: !!s.replace,
        options: opts.map((d: Node) => ({
          name: d.defname as string,
          position: loc.position(loc.index(d.location)),
        })),
        asItems: (as?.arg?.List?.items ?? []).length,
        sqlBody: !!s.sql_body,
        cost: numberOption(opt('cost')),
        rows: numberOption(opt('rows')),
        body,
        bodyLocation: as
          ? bodyLocation(loc.text, loc.index(as.location), loc)
          : { offset: here.offset, skips: [] },
        position: here,
      }
    }
    case 'CompositeTypeStmt':
      return {
        kind: 'CreateCompositeType',
        origin: 'type',
        ...rangeVar(s.typevar),
        attributes: (s.coldeflist ?? []).map((c: Node) => attribute(c.ColumnDef, loc)),
        position: here,
      }
    case 'CreateStmt':
      return {
        kind: 'CreateCompositeType',
        origin: 'table',
        ...rangeVar(s.relation),
        attributes: (s.tableElts ?? [])
          .filter((e: Node) => e.ColumnDef)
          .map((c: Node) => attribute(c.ColumnDef, loc)),
        position: here,
      }
    case 'CreateEnumStmt':
      return { kind: 'CreateEnumType', ...qualified(s.typeName), labels: names(s.vals), position: here }
    case 'CreateRangeStmt': {
      const params: Node[] = (s.params ?? []).map((p: Node) => p.DefElem)
      const subtype = params.find((d) => d.defname === 'subtype')
      const multirange = params.find((d) => d.defname === 'multirange_type_name')
      return {
        kind: 'CreateRangeType',
        ...qualified(s.typeName),
        subtype: subtype?.arg?.TypeName
          ? typeReference(subtype.arg.TypeName, loc)
          : {
              name: 'unknown',
              names: ['unknown'],
              typmods: [],
              arrayDimensions: 0,
              percentType: false,
              setof: false,
              position: here,
            },
        ...(multirange ? { multirangeName: names(multirange.arg?.TypeName?.names).pop() ?? '' } : {}),
        position: here,
      }
    }
    case 'DefineStmt':
      if (s.kind !== 'OBJECT_TYPE') return undefined
      return { kind: 'CreateBaseType', ...qualified(s.defnames), position: here }
    case 'CreateDomainStmt':
      return {
        kind: 'CreateDomain',
        ...qualified(s.domainname),
        baseType: typeReference(s.typeName, loc),
        position: here,
      }
    case 'AlterTableStmt': {
      if (s.objtype !== 'OBJECT_TABLE' && s.objtype !== 'OBJECT_TYPE') return undefined
      const actions: AlterCompositeType['actions'][number][] = []
      for (const c of (s.cmds ?? []).map((n: Node) => n.AlterTableCmd)) {
        if (c.subtype === 'AT_AddColumn')
          actions.push({
            action: 'add',
            attribute: attribute(c.def.ColumnDef, loc),
            missingOk: !!c.missing_ok,
          })
        else if (c.subtype === 'AT_DropColumn')
          actions.push({ action: 'drop', name: c.name, missingOk: !!c.missing_ok })
        else if (c.subtype === 'AT_AlterColumnType')
          actions.push({
            action: 'alter-type',
            name: c.name,
            type: typeReference(c.def.ColumnDef.typeName, loc),
          })
      }
      if (!actions.length) return undefined
      return {
        kind: 'AlterCompositeType',
        origin: s.objtype === 'OBJECT_TYPE' ? 'type' : 'table',
        ...rangeVar(s.relation),
        missingOk: !!s.missing_ok,
        actions,
        position: here,
      }
    }
    case 'RenameStmt': {
      if (s.renameType === 'OBJECT_FUNCTION' || s.renameType === 'OBJECT_PROCEDURE') {
        return {
          kind: 'AlterFunction',
          ...objectWithArgs(s.object.ObjectWithArgs, loc),
          rename: s.newname,
          position: here,
        }
      }
      if (s.renameType !== 'OBJECT_COLUMN' && s.renameType !== 'OBJECT_ATTRIBUTE') return undefined
      return {
        kind: 'AlterCompositeType',
        origin: s.relationType === 'OBJECT_TYPE' ? 'type' : 'table',
        ...rangeVar(s.relation),
        missingOk: !!s.missing_ok,
        actions: [{ action: 'rename', name: s.subname, newName: s.newname }],
        position: here,
      }
    }
    case 'DropStmt': {
      const missingOk = !!s.missing_ok
      if (s.removeType === 'OBJECT_FUNCTION' || s.removeType === 'OBJECT_PROCEDURE') {
        // one operation per dropped function; the reader flattens arrays
        return undefined
      }
      const objectType = (
        {
          OBJECT_TYPE: 'type',
          OBJECT_TABLE: 'table',
          OBJECT_DOMAIN: 'domain',
          OBJECT_FOREIGN_SERVER: 'server',
          OBJECT_SCHEMA: 'schema',
        } as const
      )[s.removeType as string]
      if (!objectType) return undefined
      const objs = (s.objects ?? []).map((o: Node) =>
        o.TypeName ? qualified(o.TypeName.names) : o.String ? { name: str(o) } : qualified(o.List?.items),
      )
      return {
        kind: 'DropObjects',
        objectType,
        names: objs,
        missingOk,
        cascade: s.behavior === 'DROP_CASCADE',
        position: here,
      }
    }
    case 'CreateFdwStmt':
      return {
        kind: 'CreateForeignDataWrapper',
        name: s.fdwname,
        validator: validatorOf(s.func_options) ?? undefined,
        options: options(s.options, loc),
        position: here,
      }
    case 'AlterFdwStmt':
      return {
        kind: 'AlterForeignDataWrapper',
        name: s.fdwname,
        validator: validatorOf(s.func_options),
        changes: optionChanges(s.options, loc),
        position: here,
      }
    case 'AlterFunctionStmt': {
      const actions: Node[] = (s.actions ?? []).map((a: Node) => a.DefElem)
      const act = (name: string) => actions.find((d: Node) => d.defname === name)
      return {
        kind: 'AlterFunction',
        ...objectWithArgs(s.func, loc),
        securityDefiner: act('security') ? !!act('security').arg?.Boolean?.boolval : undefined,
        volatility: act('volatility')?.arg?.String?.sval,
        strict: act('strict') ? !!act('strict').arg?.Boolean?.boolval : undefined,
        position: here,
      }
    }
    case 'AlterObjectSchemaStmt':
      if (s.objectType !== 'OBJECT_FUNCTION' && s.objectType !== 'OBJECT_PROCEDURE') return undefined
      return {
        kind: 'AlterFunction',
        ...objectWithArgs(s.object.ObjectWithArgs, loc),
        newSchema: s.newschema,
        position: here,
      }
    case 'AlterOwnerStmt':
      if (s.objectType === 'OBJECT_FOREIGN_SERVER') {
        return {
          kind: 'AlterServer',
          name: str(s.object),
          changes: [],
          owner: role(s.newowner),
          position: here,
        }
      }
      if (s.objectType !== 'OBJECT_FUNCTION' && s.objectType !== 'OBJECT_PROCEDURE') return undefined
      return {
        kind: 'AlterFunction',
        ...objectWithArgs(s.object.ObjectWithArgs, loc),
        owner: role(s.newowner),
        position: here,
      }
    case 'CreateForeignServerStmt':
      return {
        kind: 'CreateServer',
        name: s.servername,
        wrapper: s.fdwname,
        ifNotExists: !!s.if_not_exists,
        options: options(s.options, loc),
        position: here,
      }
    case 'AlterForeignServerStmt':
      return {
        kind: 'AlterServer',
        name: s.servername,
        changes: optionChanges(s.options, loc),
        position: here,
      }
    case 'CreateUserMappingStmt':
      return {
        kind: 'CreateUserMapping',
        user: role(s.user),
        server: s.servername,
        ifNotExists: !!s.if_not_exists,
        options: options(s.options, loc),
        position: here,
      }
    case 'AlterUserMappingStmt':
      return {
        kind: 'AlterUserMapping',
        user: role(s.user),
        server: s.servername,
        changes: optionChanges(s.options, loc),
        position: here,
      }
    case 'DropUserMappingStmt':
      return {
        kind: 'DropUserMapping',
        user: role(s.user),
        server: s.servername,
        missingOk: !!s.missing_ok,
        position: here,
      }
    case 'GrantStmt': {
      if (s.objtype !== 'OBJECT_FOREIGN_SERVER') return undefined
      const privileges = (s.privileges ?? []).map((p: Node) => p.AccessPriv?.priv_name)
      if (privileges.length && !privileges.includes('usage')) return undefined
      return {
        kind: 'GrantServerUsage',
        grant: !!s.is_grant,
        servers: names(s.objects),
        roles: (s.grantees ?? []).map((g: Node) => role(g.RoleSpec)),
        position: here,
      }
    }
    case 'CreateExtensionStmt':
      return { kind: 'CreateExtension', name: s.extname, position: here }
    case 'CreateSchemaStmt':
      return { kind: 'CreateSchema', name: s.schemaname ?? role(s.authrole).kind, position: here }
    case 'VariableSetStmt': {
      if (s.name !== 'search_path') return undefined
      if (s.kind === 'VAR_SET_VALUE') {
        return { kind: 'SetSearchPath', schemas: (s.args ?? []).map(constText), position: here }
      }
      return { kind: 'SetSearchPath', position: here }
    }
    default:
      return undefined
  }
}

/** DROP FUNCTION/PROCEDURE names one or more functions: one operation each. */
export function dropFunctionOperations(stmt: Node, loc: StatementLocator): ScriptOperation[] {
  const s = stmt.DropStmt
  if (!s || (s.removeType !== 'OBJECT_FUNCTION' && s.removeType !== 'OBJECT_PROCEDURE')) return []
  return (s.objects ?? []).map((o: Node) => {
    const { schema, name, argumentTypes } = objectWithArgs(o.ObjectWithArgs, loc)
    return {
      kind: 'DropFunction',
      schema,
      name,
      argumentTypes,
      missingOk: !!s.missing_ok,
      position: loc.position(0),
    }
  })
}
