/**
 * The types a database knows: PostgreSQL 15's built-in pg_catalog types
 * plus the ones the scripts create (composite types and tables' row types,
 * enums, ranges and their multiranges, domains, base types), each with the
 * array type PostgreSQL creates alongside.
 */
import { BUILTIN_COMPOSITE_ATTRIBUTES, BUILTIN_TYPE_ROWS } from './builtin-types.js'
import { quoteIdent, quoteQualified } from './quote-ident.js'
import { type PlanType, type TypeKind, typeKindOf } from './types.js'

export interface AttributeEntry {
  name: string
  /** key of the attribute's type */
  type: string
  dropped: boolean
}

export interface TypeEntry {
  readonly schema: string
  readonly typname: string
  readonly kind: TypeKind
  readonly oid?: number
  readonly category?: string
  readonly delimiter?: string
  readonly sqlName?: string
  /** key of the element type, for array types */
  readonly element?: string
  /** key of this type's array type */
  array?: string
  /** composite types: attributes in order, dropped ones kept (PL/Proxy sees their slots) */
  attributes?: AttributeEntry[]
  /** `table` for a table's row type */
  readonly relationKind?: 'table' | 'type'
  /** domains: key of the base type; ranges: key of the subtype */
  readonly base?: string
  /** whether `type(n)` modifiers are allowed (built-in types with typmodin; user types: no) */
  readonly takesTypmods?: boolean
}

export const typeKey = (schema: string, typname: string): string => `${schema}.${typname}`

const BUILTINS: ReadonlyMap<string, TypeEntry> = (() => {
  const map = new Map<string, TypeEntry>()
  for (const [
    name,
    oid,
    typtype,
    ,
    elem,
    array,
    sqlName,
    category,
    delimiter,
    ,
    takesTypmods,
  ] of BUILTIN_TYPE_ROWS) {
    const attributes = BUILTIN_COMPOSITE_ATTRIBUTES[name]
    map.set(typeKey('pg_catalog', name), {
      takesTypmods,
      attributes: attributes?.map(([n, t]) => ({ name: n, type: typeKey('pg_catalog', t), dropped: false })),
      relationKind: attributes ? 'table' : undefined,
      schema: 'pg_catalog',
      typname: name,
      kind: typeKindOf(typtype),
      oid,
      category,
      delimiter: delimiter !== ',' ? delimiter : undefined,
      sqlName,
      element: elem ? typeKey('pg_catalog', elem) : undefined,
      array: array ? typeKey('pg_catalog', array) : undefined,
    })
  }
  return map
})()

export function builtinType(typname: string): TypeEntry | undefined {
  return BUILTINS.get(typeKey('pg_catalog', typname))
}

const BUILTIN_BY_OID: ReadonlyMap<number, { key: string; typlen: number }> = new Map(
  BUILTIN_TYPE_ROWS.map(([name, oid, , typlen]) => [oid, { key: typeKey('pg_catalog', name), typlen }]),
)

/** The registry key (`pg_catalog.int4`) of a built-in type's OID. */
export function builtinTypeKeyByOid(oid: number): string | undefined {
  return BUILTIN_BY_OID.get(oid)?.key
}

/** pg_type.typlen of a built-in type (-1 varlena, -2 cstring), for RowDescription. */
export function builtinTypeLength(oid: number): number | undefined {
  return BUILTIN_BY_OID.get(oid)?.typlen
}

/** PostgreSQL's array type name: `_` + name (truncated to 63 bytes), more `_` on collision. */
function arrayTypeName(typname: string, exists: (name: string) => boolean): string {
  let name = `_${typname}`
  while (exists(name)) name = `_${name}`
  return name.slice(0, 63)
}

export class TypeRegistry {
  private readonly user = new Map<string, TypeEntry>()
  /** PlanTypes are immutable and shared by every plan that uses the type */
  private readonly planTypes = new Map<string, PlanType>()

  clone(): TypeRegistry {
    const copy = new TypeRegistry()
    for (const [k, v] of this.user) {
      copy.user.set(k, { ...v, ...(v.attributes ? { attributes: v.attributes.map((a) => ({ ...a })) } : {}) })
    }
    return copy
  }

  get(key: string): TypeEntry | undefined {
    return BUILTINS.get(key) ?? this.user.get(key)
  }

  has(schema: string, typname: string): boolean {
    return this.get(typeKey(schema, typname)) !== undefined
  }

  /** adds a user type and its array type; returns the new entry */
  add(entry: TypeEntry, withArray = true): TypeEntry {
    this.planTypes.clear()
    const key = typeKey(entry.schema, entry.typname)
    this.user.set(key, entry)
    if (withArray) {
      const arrayName = arrayTypeName(entry.typname, (n) => this.has(entry.schema, n))
      const arrayKey = typeKey(entry.schema, arrayName)
      this.user.set(arrayKey, {
        schema: entry.schema,
        typname: arrayName,
        kind: 'base',
        category: 'A',
        element: key,
      })
      entry.array = arrayKey
    }
    return entry
  }

  remove(key: string): void {
    this.planTypes.clear()
    const entry = this.user.get(key)
    if (!entry) return
    this.user.delete(key)
    if (entry.array) this.user.delete(entry.array)
  }

  /** all user-defined types (for listing) */
  userTypes(): IterableIterator<TypeEntry> {
    return this.user.values()
  }

  /** The PlanType of a known type key. */
  planType(key: string): PlanType {
    let type = this.planTypes.get(key)
    if (!type) {
      const entry = this.get(key)
      if (!entry) throw new Error(`unknown type ${key}`)
      type = deepFreeze(this.toPlanType(entry, 0))
      this.planTypes.set(key, type)
    }
    return type
  }

  private toPlanType(entry: TypeEntry, depth: number): PlanType {
    const builtin = entry.schema === 'pg_catalog'
    const name = builtin ? quoteIdent(entry.typname) : quoteQualified(entry.schema, entry.typname)
    const element = entry.element && depth < 8 ? this.get(entry.element) : undefined
    const base = entry.base && entry.kind === 'domain' && depth < 8 ? this.get(entry.base) : undefined
    const elementPlan = element ? this.toPlanType(element, depth + 1) : undefined
    const visibleName =
      entry.schema === 'pg_catalog' || entry.schema === 'public' ? quoteIdent(entry.typname) : name
    const sqlName =
      entry.sqlName ?? (elementPlan && entry.category === 'A' ? `${elementPlan.sqlName}[]` : visibleName)
    return {
      name,
      schema: entry.schema,
      typname: entry.typname,
      kind: entry.kind,
      sqlName,
      oid: entry.oid,
      category: entry.category,
      element: elementPlan,
      delimiter: entry.delimiter,
      ...(base ? { base: this.toPlanType(base, depth + 1) } : {}),
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/**
 * Resolves a type reference outside any script session: pg_catalog first,
 * then the given schemas in order, then any schema that has it.
 */
export function resolveTypeReference(
  registry: TypeRegistry,
  ref: { schema?: string; name: string; arrayDimensions: number },
  searchPath: readonly string[] = ['public'],
): PlanType | undefined {
  let key: string | undefined
  if (ref.schema !== undefined)
    key = registry.get(typeKey(ref.schema, ref.name)) ? typeKey(ref.schema, ref.name) : undefined
  else {
    for (const schema of ['pg_catalog', ...searchPath]) {
      if (registry.has(schema, ref.name)) {
        key = typeKey(schema, ref.name)
        break
      }
    }
    if (!key) {
      for (const t of registry.userTypes()) {
        if (t.typname === ref.name) {
          key = typeKey(t.schema, t.typname)
          break
        }
      }
    }
  }
  if (!key) return undefined
  if (ref.arrayDimensions > 0) {
    const entry = registry.get(key)!
    if (!(entry.category === 'A' && entry.element)) key = entry.array
    if (!key) return undefined
  }
  return registry.planType(key)
}
