/**
 * CST → AST for the PL/Proxy body language, and `parseBody()`, the entry
 * point of this folder.
 */
import type { CstNode, IToken } from 'chevrotain'
import type {
  BodyAst,
  BodySpan,
  BodySyntaxError,
  FunctionCallNode,
  IdentifierNode,
  ParsedBody,
  SqlToken,
  Statement,
  StringNode,
} from './ast.js'
import { lexBody } from './lexer.js'
import { bodyParser } from './parser.js'
import { SqlBlockComment, SqlWhitespace } from './tokens.js'

type Children = Record<string, (IToken | CstNode)[] | undefined>

const BaseVisitor = bodyParser.getBaseCstVisitorConstructor()

/** Line numbers as PL/Proxy counts them: 1 + LFs before a position. */
export class LineCounter {
  private readonly lineFeeds: number[] = []
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineFeeds.push(i)
  }
  /** line number after scanning everything before `offset` */
  lineAt(offset: number): number {
    let lo = 0
    let hi = this.lineFeeds.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.lineFeeds[mid]! < offset) lo = mid + 1
      else hi = mid
    }
    return lo + 1
  }
  get lastLine(): number {
    return this.lineFeeds.length + 1
  }
}

class BodyAstBuilder extends BaseVisitor {
  /** tokens at or after this offset came after the syntax error and are ignored */
  limit = Number.POSITIVE_INFINITY
  lines = new LineCounter('')

  constructor() {
    super()
    this.validateVisitor()
  }

  private usable(token: IToken | undefined): token is IToken {
    return token !== undefined && !token.isInsertedInRecovery && token.startOffset < this.limit
  }

  private token(children: Children, name: string): IToken | undefined {
    const t = children[name]?.[0] as IToken | undefined
    return this.usable(t) ? t : undefined
  }

  private node(children: Children, name: string): CstNode | undefined {
    return children[name]?.[0] as CstNode | undefined
  }

  span(token: IToken): BodySpan {
    const endOffset = token.startOffset + token.image.length
    return {
      offset: token.startOffset,
      endOffset,
      line: token.startLine ?? this.lines.lineAt(token.startOffset),
      column: token.startColumn ?? 1,
      endLine: this.lines.lineAt(endOffset),
    }
  }

  body(children: Children): BodyAst {
    const statements: Statement[] = []
    for (const node of (children.statement ?? []) as CstNode[]) {
      const statement = this.visit(node) as Statement | undefined
      if (statement) statements.push(statement)
    }
    return { kind: 'Body', statements }
  }

  statement(children: Children): Statement | undefined {
    const inner = (children.clusterStatement ??
      children.runStatement ??
      children.connectStatement ??
      children.splitStatement ??
      children.targetStatement ??
      children.selectStatement)?.[0] as CstNode | undefined
    return inner ? (this.visit(inner) as Statement | undefined) : undefined
  }

  private terminator(children: Children): BodySpan | undefined {
    const t = this.token(children, 'Semicolon')
    return t ? this.span(t) : undefined
  }

  private string(token: IToken): StringNode {
    return { kind: 'String', value: token.image.slice(1, -1).replace(/''/g, "'"), span: this.span(token) }
  }

  private identifier(token: IToken): IdentifierNode {
    return { kind: 'Identifier', text: token.image, span: this.span(token) }
  }

  private call(children: Children): FunctionCallNode | undefined {
    const node = this.node(children, 'functionCall')
    return node ? (this.visit(node) as FunctionCallNode | undefined) : undefined
  }

  clusterStatement(children: Children): Statement | undefined {
    const keyword = this.token(children, 'Cluster')
    if (!keyword) return undefined
    const str = this.token(children, 'StringLiteral')
    const target = str ? this.string(str) : this.call(children)
    const terminator = this.terminator(children)
    return {
      kind: 'ClusterStatement',
      complete: !!terminator,
      keyword: this.span(keyword),
      target,
      terminator,
    }
  }

  connectStatement(children: Children): Statement | undefined {
    const keyword = this.token(children, 'Connect')
    if (!keyword) return undefined
    const str = this.token(children, 'StringLiteral')
    const ident = this.token(children, 'Identifier')
    const target = str ? this.string(str) : ident ? this.identifier(ident) : this.call(children)
    const terminator = this.terminator(children)
    return {
      kind: 'ConnectStatement',
      complete: !!terminator,
      keyword: this.span(keyword),
      target,
      terminator,
    }
  }

  runStatement(children: Children): Statement | undefined {
    const keyword = this.token(children, 'Run')
    if (!keyword) return undefined
    const on = this.token(children, 'On')
    let target: (Statement & { kind: 'RunStatement' })['target']
    if (on) {
      const num = this.token(children, 'NumberLiteral')
      const any = this.token(children, 'Any')
      const all = this.token(children, 'All')
      const ident = this.token(children, 'Identifier')
      if (num) target = { kind: 'RunOnPartition', text: num.image, span: this.span(num) }
      else if (any) target = { kind: 'RunOnAny', span: this.span(any) }
      else if (all) target = { kind: 'RunOnAll', span: this.span(all) }
      else if (ident) target = this.identifier(ident)
      else target = this.call(children)
    }
    const terminator = this.terminator(children)
    return { kind: 'RunStatement', complete: !!terminator, keyword: this.span(keyword), target, terminator }
  }

  splitStatement(children: Children): Statement | undefined {
    const keyword = this.token(children, 'Split')
    if (!keyword) return undefined
    const all = this.token(children, 'All')
    const idents = ((children.Identifier ?? []) as IToken[]).filter((t) => this.usable(t))
    const target = all
      ? { kind: 'SplitAll' as const, span: this.span(all) }
      : idents.length
        ? idents.map((t) => this.identifier(t))
        : undefined
    const terminator = this.terminator(children)
    return { kind: 'SplitStatement', complete: !!terminator, keyword: this.span(keyword), target, terminator }
  }

  targetStatement(children: Children): Statement | undefined {
    const keyword = this.token(children, 'Target')
    if (!keyword) return undefined
    const ident = this.token(children, 'Identifier')
    const terminator = this.terminator(children)
    return {
      kind: 'TargetStatement',
      complete: !!terminator,
      keyword: this.span(keyword),
      name: ident ? this.identifier(ident) : undefined,
      terminator,
    }
  }

  selectStatement(children: Children): Statement | undefined {
    const keyword = this.token(children, 'Select')
    if (!keyword) return undefined
    const sqlNode = this.node(children, 'sqlText')
    const sql = sqlNode ? (this.visit(sqlNode) as SqlToken[]) : []
    const terminator = this.terminator(children)
    return {
      kind: 'SelectStatement',
      complete: !!terminator,
      keywordText: keyword.image,
      keyword: this.span(keyword),
      sql,
      terminator,
    }
  }

  functionCall(children: Children): FunctionCallNode | undefined {
    const head = this.token(children, 'FunctionCallStart')
    if (!head) return undefined
    const sqlNode = this.node(children, 'sqlText')
    const sql = sqlNode ? (this.visit(sqlNode) as SqlToken[]) : []
    const name = head.image.slice(0, -1).replace(/[ \t\n\r]+$/, '')
    return { kind: 'FunctionCall', head: head.image, name, sql, span: this.span(head) }
  }

  sqlText(children: Children): SqlToken[] {
    const tokens = [...((children.SqlPart ?? []) as IToken[]), ...((children.SqlIdent ?? []) as IToken[])]
      .filter((t) => this.usable(t))
      .sort((a, b) => a.startOffset - b.startOffset)
    return tokens.map((t): SqlToken => {
      if (t.tokenType === SqlWhitespace || t.tokenType === SqlBlockComment) {
        return { kind: 'SqlText', text: ' ', span: this.span(t) }
      }
      const ident = t.tokenType.CATEGORIES?.some((c) => c.name === 'SqlIdent')
      return { kind: ident ? 'SqlIdent' : 'SqlText', text: t.image, span: this.span(t) }
    })
  }
}

const astBuilder = new BodyAstBuilder()

/**
 * Lexes and parses a PL/Proxy function body. Never throws for any input
 * string: problems come back as `syntaxError`.
 */
export function parseBody(body: string): ParsedBody {
  const lines = new LineCounter(body)
  const lexed = lexBody(body)
  bodyParser.input = lexed.tokens
  const cst = bodyParser.body()
  const first = bodyParser.errors[0]
  let syntaxError: BodySyntaxError | undefined
  const lexError = lexed.errors[0]
  if (
    lexError &&
    (!first || Number.isNaN(first.token.startOffset) || lexError.offset < first.token.startOffset)
  ) {
    // cannot happen (every character is some token); kept so no input is ever silently dropped
    syntaxError = {
      offset: lexError.offset,
      endOffset: lexError.offset + lexError.length,
      line: lexError.line ?? lines.lineAt(lexError.offset),
      column: lexError.column ?? 1,
      reportLine: lines.lineAt(lexError.offset + lexError.length),
      found: body.slice(lexError.offset, lexError.offset + lexError.length),
      expected: lexError.message,
    }
  } else if (first) {
    const token = first.token
    const atEnd = token.tokenType.name === 'EOF' || Number.isNaN(token.startOffset)
    const offset = atEnd ? body.length : token.startOffset
    const endOffset = atEnd ? body.length : token.startOffset + token.image.length
    syntaxError = {
      offset,
      endOffset,
      line: atEnd ? lines.lastLine : (token.startLine ?? lines.lineAt(offset)),
      column: atEnd ? body.length - body.lastIndexOf('\n', body.length - 1) : (token.startColumn ?? 1),
      reportLine: atEnd ? lines.lastLine : lines.lineAt(endOffset),
      found: atEnd ? '' : token.image,
      expected: first.message,
    }
  }
  astBuilder.limit = syntaxError ? syntaxError.offset : Number.POSITIVE_INFINITY
  astBuilder.lines = lines
  const ast = (cst ? astBuilder.visit(cst) : undefined) as BodyAst | undefined
  return { ast: ast ?? { kind: 'Body', statements: [] }, syntaxError, lastLine: lines.lastLine }
}
