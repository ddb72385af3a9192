/** PlanTypes for the value tests: the built-in ones, a domain and user types, from a TypeRegistry. */
import { TypeRegistry } from '../../../src/compiler/catalog/type-registry.js'
import type { PlanType } from '../../../src/compiler/catalog/types.js'

const registry = new TypeRegistry()
registry.add({ schema: 'public', typname: 'posint', kind: 'domain', base: 'pg_catalog.int4' })
registry.add({ schema: 'public', typname: 'mood', kind: 'enum' })
registry.add({ schema: 'public', typname: 'pair', kind: 'composite', attributes: [] })

/** A pg_catalog type by typname (`int4`, `_text`), or `public.<name>` for the test's user types. */
export function planType(name: string): PlanType {
  return registry.planType(name.includes('.') ? name : `pg_catalog.${name}`)
}
