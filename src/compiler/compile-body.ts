/**
 * The checks and actions PL/Proxy performs while it parses a body
 * (src/parser.y), applied to the AST in token order, so the first error is
 * the one PL/Proxy would raise; then the post-parse checks.
 */
import type {
  BodySpan,
  FunctionCallNode,
  IdentifierNode,
  ParsedBody,
  SqlToken,
  Statement,
} from '../parser/index.js'
import { argumentIndex, type InArgument, QueryBuffer } from './arguments.js'

/** An error raised through yyerror (`Compile error at line N: …`) or plproxy_error (no line). */
export interface BodyError {
  readonly kind: 'compile' | 'plain'
  readonly message: string
  /** PL/Proxy's body line for `compile` errors */
  readonly line: number
  /** body offsets of what caused it (end of body for post-parse checks) */
  readonly offset: number
  readonly endOffset: number
}

export type ClusterSpec =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'query'; readonly query: QueryBuffer; readonly call: FunctionCallNode }

export type ConnectSpec =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'identifier'; readonly query: QueryBuffer; readonly ident: IdentifierNode }
  | { readonly kind: 'query'; readonly query: QueryBuffer; readonly call: FunctionCallNode }

export type RunSpec =
  | { readonly kind: 'any' }
  | { readonly kind: 'all'; readonly span: BodySpan }
  | { readonly kind: 'exact'; readonly partition: number }
  | { readonly kind: 'identifier'; readonly query: QueryBuffer; readonly ident: IdentifierNode }
  | { readonly kind: 'query'; readonly query: QueryBuffer; readonly call: FunctionCallNode }

export interface CompiledBody {
  readonly cluster?: ClusterSpec
  readonly connect?: ConnectSpec
  readonly run: RunSpec
  readonly runSpan?: BodySpan
  /** IN-argument indexes marked SPLIT */
  readonly split: ReadonlySet<number>
  readonly target?: IdentifierNode
  readonly select?: { readonly query: QueryBuffer; readonly span: BodySpan }
}

class BodyFailure extends Error {
  constructor(readonly error: BodyError) {
    super(error.message)
  }
}

/** C atoi of a digit string */
function atoiDigits(text: string): number {
  const v = BigInt(text)
  return Number(BigInt.asIntN(32, v))
}

class BodyCompiler {
  cluster?: ClusterSpec
  connect?: ConnectSpec
  run: RunSpec = { kind: 'any' }
  runSpan?: BodySpan
  split = new Set<number>()
  target?: IdentifierNode
  select?: { query: QueryBuffer; span: BodySpan }
  private got = { run: false, cluster: false, connect: false, split: false, target: false }

  constructor(
    private readonly args: readonly InArgument[],
    private readonly isArray: (index: number) => boolean,
  ) {}

  private compileError(message: string, span: BodySpan): never {
    throw new BodyFailure({
      kind: 'compile',
      message,
      line: span.endLine,
      offset: span.offset,
      endOffset: span.endOffset,
    })
  }

  private plainError(message: string, span: BodySpan): never {
    throw new BodyFailure({
      kind: 'plain',
      message,
      line: span.endLine,
      offset: span.offset,
      endOffset: span.endOffset,
    })
  }

  private ident(query: QueryBuffer, text: string, span: BodySpan): void {
    if (!query.addIdent(text)) this.compileError(`invalid argument reference: ${text}`, span)
  }

  private sqlTokens(query: QueryBuffer, tokens: readonly SqlToken[]): void {
    for (const t of tokens) {
      if (t.kind === 'SqlText') query.addConst(t.text)
      else this.ident(query, t.text, t.span)
    }
  }

  private functionQuery(prefix: string, call: FunctionCallNode): QueryBuffer {
    const query = new QueryBuffer(this.args, false)
    query.addConst(prefix)
    query.addConst(call.head)
    this.sqlTokens(query, call.sql)
    return query
  }

  private once(which: keyof BodyCompiler['got'], label: string, terminator: BodySpan | undefined): void {
    if (!terminator) return
    if (this.got[which]) this.compileError(`Only one ${label} statement allowed`, terminator)
    this.got[which] = true
  }

  statement(s: Statement): void {
    switch (s.kind) {
      case 'ClusterStatement': {
        const t = s.target
        if (t?.kind === 'String') this.cluster = { kind: 'name', name: t.value }
        else if (t) this.cluster = { kind: 'query', query: this.functionQuery('select ', t), call: t }
        this.once('cluster', 'CLUSTER', s.terminator)
        return
      }
      case 'ConnectStatement': {
        const t = s.target
        if (t?.kind === 'String') this.connect = { kind: 'string', value: t.value }
        else if (t?.kind === 'Identifier') {
          const query = new QueryBuffer(this.args, false)
          query.addConst('select ')
          this.ident(query, t.text, t.span)
          this.connect = { kind: 'identifier', query, ident: t }
        } else if (t)
          this.connect = { kind: 'query', query: this.functionQuery('select * from ', t), call: t }
        this.once('connect', 'CONNECT', s.terminator)
        if (s.terminator) this.run = { kind: 'exact', partition: 0 }
        return
      }
      case 'RunStatement': {
        const t = s.target
        if (t) {
          switch (t.kind) {
            case 'RunOnPartition':
              this.run = { kind: 'exact', partition: atoiDigits(t.text) }
              break
            case 'RunOnAny':
              this.run = { kind: 'any' }
              break
            case 'RunOnAll':
              this.run = { kind: 'all', span: t.span }
              break
            case 'Identifier': {
              const query = new QueryBuffer(this.args, false)
              query.addConst('select ')
              this.ident(query, t.text, t.span)
              this.run = { kind: 'identifier', query, ident: t }
              break
            }
            case 'FunctionCall':
              this.run = { kind: 'query', query: this.functionQuery('select * from ', t), call: t }
              break
          }
          this.runSpan = s.keyword
        }
        this.once('run', 'RUN', s.terminator)
        return
      }
      case 'SplitStatement': {
        const t = s.target
        if (t && !Array.isArray(t)) {
          for (let i = 0; i < this.args.length; i++) if (this.isArray(i)) this.split.add(i)
        } else if (t) {
          for (const ident of t as readonly IdentifierNode[]) {
            const index = argumentIndex(ident.text, this.args)
            if (index < 0) this.compileError(`invalid argument reference: ${ident.text}`, ident.span)
            if (this.split.has(index))
              this.plainError(`SPLIT parameter specified more than once: ${ident.text}`, ident.span)
            if (!this.isArray(index))
              this.plainError(`SPLIT parameter is not an array: ${ident.text}`, ident.span)
            this.split.add(index)
          }
        }
        this.once('split', 'SPLIT', s.terminator)
        return
      }
      case 'TargetStatement':
        if (s.name) this.target = s.name
        this.once('target', 'TARGET', s.terminator)
        return
      case 'SelectStatement': {
        if (this.select) this.compileError('Only one SELECT statement allowed', s.keyword)
        const query = new QueryBuffer(this.args, true)
        query.addConst(s.keywordText)
        this.select = { query, span: s.keyword }
        this.sqlTokens(query, s.sql)
        return
      }
    }
  }

  postParse(parsed: ParsedBody, bodyLength: number): void {
    const end: BodySpan = {
      offset: bodyLength,
      endOffset: bodyLength,
      line: parsed.lastLine,
      column: 1,
      endLine: parsed.lastLine,
    }
    if (this.got.connect) {
      if (this.got.cluster || this.got.run) this.compileError('CONNECT cannot be used with CLUSTER/RUN', end)
    } else if (!this.got.cluster) {
      this.compileError('CLUSTER statement missing', end)
    }
    if (this.select && this.got.target) this.compileError('TARGET cannot be used with SELECT', end)
  }
}

/**
 * Applies PL/Proxy's parse-time actions and checks to a parsed body.
 * `isArray(i)`: whether IN argument i is an array in PL/Proxy's sense.
 */
export function compileBody(
  parsed: ParsedBody,
  bodyLength: number,
  args: readonly InArgument[],
  isArray: (index: number) => boolean,
): { body: CompiledBody } | { error: BodyError } {
  const compiler = new BodyCompiler(args, isArray)
  try {
    for (const s of parsed.ast.statements) compiler.statement(s)
    const syntax = parsed.syntaxError
    if (syntax) {
      return {
        error: {
          kind: 'compile',
          message: 'syntax error',
          line: syntax.reportLine,
          offset: syntax.offset,
          endOffset: syntax.endOffset,
        },
      }
    }
    compiler.postParse(parsed, bodyLength)
  } catch (e) {
    if (e instanceof BodyFailure) return { error: e.error }
    throw e
  }
  return {
    body: {
      cluster: compiler.cluster,
      connect: compiler.connect,
      run: compiler.run,
      runSpan: compiler.runSpan,
      split: compiler.split,
      target: compiler.target,
      select: compiler.select,
    },
  }
}
