/**
 * Type descriptions as plans carry them: what PL/Proxy reads from pg_type
 * (kind, array-ness, the printed name it puts into SQL) and what the
 * runtime needs to decode values.
 */

/** pg_type.typtype spelled out */
export type TypeKind = 'base' | 'composite' | 'domain' | 'enum' | 'range' | 'multirange' | 'pseudo'

export interface PlanType {
  /** PL/Proxy's printed name: quote_ident(typname), schema-qualified unless in pg_catalog (`int4`, `"varchar"`, `public.posint`) */
  readonly name: string
  readonly schema: string
  readonly typname: string
  readonly kind: TypeKind
  /** format_type() spelling, as PostgreSQL's own messages use it (`integer`, `character varying`) */
  readonly sqlName: string
  /** OID, known for built-in types only */
  readonly oid?: number
  /** pg_type.typcategory of built-in types (`N` numeric, `S` string, `A` array, …) */
  readonly category?: string
  /** element type when PL/Proxy considers the type an array (typelem ≠ 0 and typlen = -1) */
  readonly element?: PlanType
  /** array element delimiter when not `,` (box uses `;`) */
  readonly delimiter?: string
  /** base type of a domain */
  readonly base?: PlanType
}

const TYPTYPE: Record<string, TypeKind> = {
  b: 'base',
  c: 'composite',
  d: 'domain',
  e: 'enum',
  r: 'range',
  m: 'multirange',
  p: 'pseudo',
}

export function typeKindOf(typtype: string): TypeKind {
  return TYPTYPE[typtype] ?? 'base'
}

/** Same type? (compares identity, not spelling) */
export function sameType(a: PlanType, b: PlanType): boolean {
  return a.schema === b.schema && a.typname === b.typname
}

/** The type with domains unwrapped. */
export function baseTypeOf(t: PlanType): PlanType {
  let cur = t
  while (cur.kind === 'domain' && cur.base) cur = cur.base
  return cur
}

export function isBuiltin(t: PlanType, typname: string): boolean {
  return t.schema === 'pg_catalog' && t.typname === typname
}
