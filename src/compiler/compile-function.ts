/**
 * Compiles one proxy function into a RoutingPlan, with PL/Proxy's checks in
 * PL/Proxy's order (spec §2.3): volatility, arguments, the body, dynamic
 * RECORD with SELECT, RUN ON ALL without SETOF. What PL/Proxy only checks
 * at the first call (the return type) becomes the plan's deferredError and
 * a warning.
 */

import type { FunctionCallNode } from '../parser/index.js'
import { type Diagnostic, parseBody, type SourceFile } from '../parser/index.js'
import type { InArgument, QueryBuffer } from './arguments.js'
import type { DatabaseCatalog, FunctionEntry } from './catalog/catalog.js'
import { quoteQualified } from './catalog/quote-ident.js'
import type { PlanType } from './catalog/types.js'
import { type BodyError, type CompiledBody, compileBody } from './compile-body.js'
import {
  argumentNode,
  lowerCallArguments,
  lowerFunctionCall,
  NotLowerable,
} from './lowering/lower-expression.js'
import type { Expression, ExpressionNode } from './plan/expression.js'
import {
  type ClusterSelection,
  type DeferredError,
  freezePlan,
  PLAN_VERSION,
  type PlanArgument,
  type RemoteQuery,
  type ResultShape,
  type RoutingPlan,
  type RunTarget,
} from './plan/routing-plan.js'
import { standardArgumentsSql, standardRemoteQuery } from './remote-query.js'

export interface CompiledFunction {
  readonly kind?: 'CompiledFunction'
  /** PL/Proxy's name for it: `public.f_user_login` */
  readonly name: string
  readonly database?: string
  readonly file: string
  readonly line: number
  readonly column: number
  /** undefined when PL/Proxy would reject the function */
  readonly plan?: RoutingPlan
  readonly diagnostics: readonly Diagnostic[]
}

const XX000 = 'XX000'

function typeError(qualified: string, n: number, t: PlanType): string | undefined {
  if (t.kind === 'pseudo') {
    if (t.schema === 'pg_catalog' && t.typname === 'void') return undefined
    return `PL/Proxy function ${qualified}(${n}): unsupported pseudo type: ${t.name} (${t.oid ?? 0})`
  }
  if (t.kind === 'multirange')
    return `PL/Proxy function ${qualified}(${n}): unsupported type code: ${t.name} (${t.oid ?? 0})`
  return undefined
}

class FunctionCompiler {
  private readonly diagnostics: Diagnostic[] = []
  readonly qualified: string

  constructor(
    private readonly entry: FunctionEntry,
    private readonly db: DatabaseCatalog,
    private readonly source: SourceFile,
  ) {
    this.qualified = quoteQualified(entry.schema, entry.name)
  }

  private type(key: string): PlanType {
    return this.db.types.planType(key)
  }

  private fileOffsetOfBody(bodyOffset: number): number {
    const loc = this.entry.definition.bodyLocation
    let extra = 0
    for (const s of loc.skips) if (s <= bodyOffset) extra++
    return loc.offset + bodyOffset + extra
  }

  private report(
    severity: Diagnostic['severity'],
    message: string,
    at: { offset: number; length: number },
    extra: { detail?: string; hint?: string; sqlstate?: string } = {},
  ): void {
    const pos = this.source.position(at.offset)
    this.diagnostics.push({
      severity,
      message,
      sqlstate: extra.sqlstate ?? XX000,
      file: pos.file,
      line: pos.line,
      column: pos.column,
      offset: pos.offset,
      length: at.length,
      function: this.qualified,
      detail: extra.detail,
      hint: extra.hint,
    })
  }

  private reportInBody(
    severity: Diagnostic['severity'],
    message: string,
    offset: number,
    endOffset: number,
    detail?: string,
  ): void {
    const start = this.fileOffsetOfBody(offset)
    const end = this.fileOffsetOfBody(endOffset)
    this.report(severity, message, { offset: start, length: end - start }, detail ? { detail } : {})
  }

  private get definition() {
    return this.entry.definition
  }

  /** The result shape as get_call_result_type sees it, or the error PL/Proxy raises at the first call. */
  private resultShape(): { result: ResultShape; deferred?: DeferredError } {
    const entry = this.entry
    const returnType = this.type(entry.returnType)
    const outputs = entry.arguments.filter(
      (a) => a.mode === 'out' || a.mode === 'inout' || a.mode === 'table',
    )
    const unsupported = (): DeferredError => ({
      message: `PL/Proxy function ${this.qualified}(0): unsupported type`,
      sqlstate: XX000,
    })
    const columnsOf = (
      cols: { name: string; type: string; dropped: boolean }[],
    ): { result: ResultShape; deferred?: DeferredError } => {
      const columns = cols.map((c) => ({
        name: c.name,
        dropped: c.dropped,
        type: c.dropped ? undefined : this.type(c.type),
      }))
      const bad = columns
        .map((c) => (c.type ? typeError(this.qualified, 0, c.type) : undefined))
        .find(Boolean)
      return {
        result: { kind: 'CompositeResult', columns },
        deferred: bad ? { message: bad, sqlstate: XX000 } : undefined,
      }
    }
    if (returnType.schema === 'pg_catalog' && returnType.typname === 'record') {
      if (this.isDynamicRecord()) return { result: { kind: 'DynamicRecordResult' } }
      // several OUT parameters: their names, unnamed ones as PostgreSQL names them (columnN)
      return columnsOf(
        outputs.map((a) => ({
          name: a.name ?? `column${entry.arguments.indexOf(a) + 1}`,
          type: a.type,
          dropped: false,
        })),
      )
    }
    if (returnType.kind === 'composite') {
      const attrs = this.db.types.get(entry.returnType)?.attributes ?? []
      return columnsOf(attrs)
    }
    if (returnType.kind === 'domain') {
      let base = returnType.base
      while (base?.kind === 'domain') base = base.base
      if (base?.kind === 'composite')
        return { result: { kind: 'ScalarResult', type: returnType }, deferred: unsupported() }
    }
    if (returnType.kind === 'pseudo') {
      // get_call_result_type: void and cstring are scalars, other pseudo types "other"
      if (returnType.typname === 'void') return { result: { kind: 'ScalarResult', type: returnType } }
      if (returnType.typname === 'cstring') {
        return {
          result: { kind: 'ScalarResult', type: returnType },
          deferred: { message: typeError(this.qualified, 0, returnType)!, sqlstate: XX000 },
        }
      }
      return { result: { kind: 'ScalarResult', type: returnType }, deferred: unsupported() }
    }
    const bad = typeError(this.qualified, 0, returnType)
    return {
      result: { kind: 'ScalarResult', type: returnType },
      deferred: bad ? { message: bad, sqlstate: XX000 } : undefined,
    }
  }

  /** prorettype = record and (proargmodes or proargnames is NULL) */
  private isDynamicRecord(): boolean {
    const args = this.entry.arguments
    if (!(this.entry.returnType === 'pg_catalog.record')) return false
    const modesNull = args.every((a) => a.mode === 'in')
    const namesNull = args.every((a) => a.name === undefined)
    return modesNull || namesNull
  }

  compile(): CompiledFunction {
    const def = this.definition
    const base = {
      name: this.qualified,
      database: this.entry.database || undefined,
      file: def.position.file,
      line: def.position.line,
      column: def.position.column,
    }
    const plan = this.buildPlan()
    return { ...base, plan, diagnostics: this.diagnostics }
  }

  private buildPlan(): RoutingPlan | undefined {
    const def = this.definition
    if (this.entry.volatility !== 'volatile') {
      this.report('error', 'PL/Proxy functions must be volatile', { offset: def.position.offset, length: 0 })
      return undefined
    }
    const shape = this.resultShape()

    // arguments, in declaration order
    const inArgs: InArgument[] = []
    const planArgs: PlanArgument[] = []
    for (const a of this.entry.arguments) {
      const type = this.type(a.type)
      if (a.mode === 'variadic') {
        this.report('error', 'PL/Proxy does not support variadic args', {
          offset: a.position.offset,
          length: 0,
        })
        return undefined
      }
      if (a.mode === 'in' || a.mode === 'inout') {
        const bad = typeError(this.qualified, inArgs.length, type)
        if (bad) {
          this.report('error', bad, { offset: a.position.offset, length: 0 })
          return undefined
        }
        planArgs.push({
          name: a.name,
          mode: a.mode,
          type,
          inIndex: inArgs.length,
          default: a.defaultSql,
        })
        inArgs.push({ name: a.name, type })
      } else {
        planArgs.push({ name: a.name, mode: a.mode, type })
      }
    }
    const n = inArgs.length

    const parsed = parseBody(def.body)
    const compiled = compileBody(
      parsed,
      def.body.length,
      inArgs,
      (i) => inArgs[i]?.type.element !== undefined,
    )
    if ('error' in compiled) {
      this.bodyError(compiled.error, n, parsed.syntaxError?.expected, parsed.syntaxError?.found)
      return undefined
    }
    const body = compiled.body
    const dynamic = shape.result.kind === 'DynamicRecordResult'
    if (dynamic && body.select) {
      this.reportInBody(
        'error',
        `PL/Proxy function ${this.qualified}(${n}): SELECT statement not allowed for dynamic RECORD functions`,
        body.select.span.offset,
        body.select.span.endOffset,
      )
      return undefined
    }
    if (body.run.kind === 'all' && !this.entry.returnsSet) {
      this.reportInBody(
        'error',
        `PL/Proxy function ${this.qualified}(${n}): RUN ON ALL requires set-returning function`,
        body.run.span.offset,
        body.run.span.endOffset,
      )
      return undefined
    }
    if (shape.deferred) {
      this.report(
        'warning',
        shape.deferred.message,
        { offset: def.returns?.position.offset ?? def.position.offset, length: 0 },
        { detail: 'PL/Proxy accepts this function at CREATE FUNCTION but fails every call with this error' },
      )
    }
    const target = body.target?.text ?? this.qualified
    const remoteQuery: RemoteQuery = body.select
      ? {
          kind: 'RemoteQuery',
          sql: body.select.query.sql,
          parameters: body.select.query.parameters,
          origin: 'select',
        }
      : dynamic
        ? {
            kind: 'DynamicRemoteQuery',
            target,
            argumentsSql: standardArgumentsSql(inArgs),
            parameters: inArgs.map((_, i) => i),
          }
        : {
            kind: 'RemoteQuery',
            sql: standardRemoteQuery(shape.result, target, inArgs),
            parameters: inArgs.map((_, i) => i),
            origin: 'default',
          }
    const plan: RoutingPlan = {
      kind: 'RoutingPlan',
      version: PLAN_VERSION,
      function: {
        schema: this.entry.schema,
        name: this.entry.name,
        qualifiedName: this.qualified,
        database: this.entry.database || undefined,
        arguments: planArgs,
        inArgumentCount: n,
        returnType: this.type(this.entry.returnType),
        returnsSet: this.entry.returnsSet,
        strict: this.entry.strict,
        securityDefiner: this.entry.securityDefiner,
        owner: this.entry.owner,
        source: { file: def.position.file, line: def.position.line, column: def.position.column },
      },
      cluster: this.clusterSelection(body, inArgs),
      run: this.runTarget(body, inArgs),
      split: [...body.split].sort((a, b) => a - b),
      target: body.target?.text,
      remoteQuery,
      result: shape.result,
      deferredError: shape.deferred,
    }
    return freezePlan(plan)
  }

  private bodyError(error: BodyError, n: number, expected?: string, found?: string): void {
    const message =
      error.kind === 'compile'
        ? `PL/Proxy function ${this.qualified}(${n}): Compile error at line ${error.line}: ${error.message}`
        : `PL/Proxy function ${this.qualified}(${n}): ${error.message}`
    const detail =
      error.message === 'syntax error' && expected
        ? `${found ? `found ${JSON.stringify(found)}` : 'found end of body'}, ${expected}`
        : undefined
    this.reportInBody('error', message, error.offset, error.endOffset, detail)
  }

  private localExpression(
    query: QueryBuffer,
    inArgs: readonly InArgument[],
    split: ReadonlySet<number>,
    lower: () => ExpressionNode,
    call?: FunctionCallNode,
  ): Expression {
    const parameterTypes = query.parameters.map((i) => {
      const t = inArgs[i]!.type
      return split.has(i) && t.element ? t.element : t
    })
    const local = { sql: query.sql, parameters: query.parameters, parameterTypes }
    try {
      const node = lower()
      return { kind: 'NativeExpression', ...local, node, resultType: node.type }
    } catch (e) {
      if (!(e instanceof NotLowerable)) throw e
      const args = call ? lowerCallArguments(call, inArgs, split) : undefined
      return {
        kind: 'SqlExpression',
        ...local,
        call: call && args ? { name: call.name, arguments: args } : undefined,
        reason: e.message,
      }
    }
  }

  private clusterSelection(body: CompiledBody, inArgs: readonly InArgument[]): ClusterSelection {
    const none = new Set<number>()
    if (body.connect) {
      const c = body.connect
      if (c.kind === 'string') return { kind: 'ConnectString', connectString: c.value }
      const expression =
        c.kind === 'identifier'
          ? this.localExpression(c.query, inArgs, none, () => {
              const index = c.query.parameters[0]
              if (index === undefined) throw new NotLowerable(`"${c.ident.text}" is not an argument`)
              return argumentNode(index, inArgs, none)
            })
          : this.localExpression(
              c.query,
              inArgs,
              none,
              () => lowerFunctionCall(c.call, 'from-function', inArgs, none),
              c.call,
            )
      this.checkResultType(expression, 'text', 'Cluster/connect name map func')
      return { kind: 'ConnectExpression', expression }
    }
    const c = body.cluster!
    if (c.kind === 'name') return { kind: 'ClusterName', name: c.name }
    const expression = this.localExpression(
      c.query,
      inArgs,
      none,
      () => lowerFunctionCall(c.call, 'select-expression', inArgs, none),
      c.call,
    )
    this.checkResultType(expression, 'text', 'Cluster/connect name map func')
    return { kind: 'ClusterExpression', expression }
  }

  private runTarget(body: CompiledBody, inArgs: readonly InArgument[]): RunTarget {
    const r = body.run
    switch (r.kind) {
      case 'any':
        return { kind: 'RunOnAny' }
      case 'all':
        return { kind: 'RunOnAll' }
      case 'exact':
        return { kind: 'RunOnPartition', partition: r.partition }
      case 'identifier':
      case 'query': {
        const expression =
          r.kind === 'identifier'
            ? this.localExpression(r.query, inArgs, body.split, () => {
                const index = r.query.parameters[0]
                if (index === undefined) throw new NotLowerable(`"${r.ident.text}" is not an argument`)
                return argumentNode(index, inArgs, body.split)
              })
            : this.localExpression(
                r.query,
                inArgs,
                body.split,
                () => lowerFunctionCall(r.call, 'from-function', inArgs, body.split),
                r.call,
              )
        this.checkResultType(expression, 'hash', 'RUN ON')
        return { kind: 'RunOnHash', expression }
      }
    }
  }

  /** A native expression of a type PL/Proxy will reject at every call: say so now. */
  private checkResultType(expression: Expression, want: 'text' | 'hash', what: string): void {
    if (expression.kind !== 'NativeExpression') return
    const t = expression.resultType
    const ok =
      t.schema === 'pg_catalog' &&
      (want === 'text'
        ? t.typname === 'text'
        : t.typname === 'int2' || t.typname === 'int4' || t.typname === 'int8')
    if (ok) return
    const message =
      want === 'text'
        ? `PL/Proxy function ${this.qualified}(${this.entry.arguments.filter((a) => a.mode === 'in' || a.mode === 'inout').length}): expected text`
        : `PL/Proxy function ${this.qualified}(${this.entry.arguments.filter((a) => a.mode === 'in' || a.mode === 'inout').length}): Hash result must be int2, int4 or int8`
    this.report(
      'warning',
      message,
      { offset: this.fileOffsetOfBody(0), length: 0 },
      {
        detail: `${what} yields ${t.sqlName}; PL/Proxy accepts the function but fails every call with this error`,
      },
    )
  }
}

export function compileFunction(
  entry: FunctionEntry,
  db: DatabaseCatalog,
  source: SourceFile,
): CompiledFunction {
  return new FunctionCompiler(entry, db, source).compile()
}
