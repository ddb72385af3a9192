/**
 * The value of an argument the caller left out: its DEFAULT expression,
 * read natively when it is a literal (strings, numbers, booleans, NULL,
 * with casts). PostgreSQL fills defaults before PL/Proxy runs, so the
 * partitions always get every IN argument.
 */
import type { PlanType, RoutingPlan } from '../compiler/index.js'
import { PlProxyError } from './errors.js'

export function defaultArgumentText(
  plan: RoutingPlan,
  name: string | undefined,
  sql: string | undefined,
  type: PlanType,
): string | null {
  if (sql === undefined) {
    throw new PlProxyError(
      `function ${plan.function.qualifiedName} needs a value for argument ${name ?? '(unnamed)'}`,
      { code: '42883' },
    )
  }
  const bare = sql.replace(/::[\w."[\] ]+$/g, '').trim()
  if (/^null$/i.test(bare)) return null
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(bare)) return bare
  if (/^(true|false)$/i.test(bare)) return bare.toLowerCase() === 'true' ? 't' : 'f'
  const str = /^'((?:[^']|'')*)'$/.exec(bare)
  if (str) return str[1]!.replace(/''/g, "'")
  throw new PlProxyError(
    `function ${plan.function.qualifiedName}: the default of argument ${name ?? '(unnamed)'} (${sql}) is not a literal; pass the argument`,
    { code: '0A000', dataType: type.sqlName },
  )
}
