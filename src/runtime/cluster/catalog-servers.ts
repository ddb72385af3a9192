/**
 * SQL/MED cluster definitions read from SQL files (CREATE SERVER … FOREIGN
 * DATA WRAPPER plproxy, user mappings, GRANT USAGE), as the compiler's
 * catalog holds them.
 */
import type { DatabaseCatalog } from '../../compiler/index.js'
import type { UserMapping } from './model.js'
import type { SqlMedServer } from './sqlmed.js'

/** Every server of every database the scripts created, by name; the given database's first. */
export class CatalogServers {
  private readonly byName = new Map<string, { database: string; server: SqlMedServer }[]>()

  constructor(databases: ReadonlyMap<string, DatabaseCatalog>, version = 1) {
    for (const db of databases.values()) {
      for (const s of db.servers.values()) {
        const userMappings: UserMapping[] = db.userMappings
          .filter((m) => m.server === s.name)
          .map((m) => ({
            user: m.user,
            options: m.options.map((o) => ({ name: o.name, value: o.value ?? '' })),
          }))
        const grants = db.usageGrants.get(s.name)
        const server: SqlMedServer = {
          name: s.name,
          wrapperOptions: db.wrappers.get(s.wrapper)?.options ?? [],
          options: s.options,
          userMappings,
          // without any GRANT in the scripts, privileges are unknown: do not check
          usage: grants ? new Set(grants) : undefined,
          owner: s.owner,
          version,
        }
        const list = this.byName.get(s.name) ?? []
        list.push({ database: db.name, server })
        this.byName.set(s.name, list)
      }
    }
  }

  get(name: string, database?: string): SqlMedServer | undefined {
    const list = this.byName.get(name)
    if (!list) return undefined
    return (
      list.find((e) => e.database === (database ?? '')) ??
      list.find((e) => e.database === '') ??
      list[0]
    )?.server
  }

  names(): string[] {
    return [...this.byName.keys()]
  }
}
