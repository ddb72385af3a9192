/**
 * The default remote query (spec §3.3):
 *   select <collist> from <target>(<args>)[ as (<coldefs>)][ r]
 */

import type { InArgument } from './arguments.js'
import { quoteIdent } from './catalog/quote-ident.js'
import type { PlanType } from './catalog/types.js'
import type { ResultColumn, ResultShape } from './plan/routing-plan.js'

/** `$1::int4,$2::text` for all IN arguments in order */
export function standardArgumentsSql(args: readonly InArgument[]): string {
  return args.map((a, i) => `$${i + 1}::${a.type.name}`).join(',')
}

/**
 * Column list of a composite result. As in PL/Proxy the separator is chosen
 * by the attribute's index, not by whether a column was already printed,
 * so a dropped first attribute yields `select , …` (spec §9 quirk 5).
 */
function columnList(columns: readonly ResultColumn[]): string {
  let sql = ''
  columns.forEach((c, i) => {
    if (c.dropped) return
    sql += `${i > 0 ? ', ' : ''}${quoteIdent(c.name)}::${c.type?.name ?? 'unknown'}`
  })
  return sql
}

export function standardRemoteQuery(
  result: ResultShape,
  target: string,
  args: readonly InArgument[],
): string {
  const call = `${target}(${standardArgumentsSql(args)})`
  switch (result.kind) {
    case 'ScalarResult':
      return `select r::${result.type.name} from ${call} r`
    case 'CompositeResult':
      return `select ${columnList(result.columns)} from ${call}`
    case 'DynamicRecordResult':
      throw new Error('a dynamic RECORD function has no fixed remote query')
  }
}

export interface CallSiteColumn {
  readonly name: string
  readonly type: PlanType
}

/**
 * The remote query of a dynamic RECORD function for one call-site column
 * definition list (`… as (id integer, name text)`).
 */
export function dynamicRemoteQuery(
  target: string,
  argumentsSql: string,
  columns: readonly CallSiteColumn[],
): string {
  const cols = columns.map((c, i) => `${i > 0 ? ', ' : ''}${quoteIdent(c.name)}::${c.type.name}`).join('')
  const defs = columns.map((c, i) => `${i > 0 ? ', ' : ''}${quoteIdent(c.name)} ${c.type.name}`).join('')
  return `select ${cols} from ${target}(${argumentsSql}) as (${defs})`
}
