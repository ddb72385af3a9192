/**
 * The grammar of the PL/Proxy body language (spec §2.1), as a Chevrotain
 * CstParser that holds nothing but the grammar. Semantics live in
 * visitor.ts; the checks PL/Proxy makes while parsing live in the compiler.
 *
 *   body       := stmt*
 *   stmt       := cluster | connect | run | split | target | select
 *   cluster    := CLUSTER ( STRING | FNCALL sqltok+ ) ';'
 *   connect    := CONNECT ( STRING | IDENT | FNCALL sqltok+ ) ';'
 *   run        := RUN ON ( NUMBER | ANY | ALL | IDENT | FNCALL sqltok+ ) ';'
 *   split      := SPLIT ( ALL | IDENT ( ',' IDENT )* ) ';'
 *   target     := TARGET IDENT ';'
 *   select     := SELECT sqltok+ ';'
 *
 * Error recovery is on so that a body with a syntax error still yields the
 * statements before it: PL/Proxy's checks run while it parses, so an error
 * raised by a token before the syntax error wins.
 */
import type { IParserErrorMessageProvider, TokenType } from 'chevrotain'
import { CstParser } from './chevrotain.js'
import {
  ALL_TOKENS,
  All,
  Any,
  Cluster,
  Comma,
  Connect,
  FunctionCallStart,
  Identifier,
  NumberLiteral,
  On,
  Run,
  Select,
  Semicolon,
  Split,
  SqlIdent,
  SqlPart,
  StringLiteral,
  Target,
} from './tokens.js'

export class BodyParser extends CstParser {
  constructor() {
    super(ALL_TOKENS, {
      recoveryEnabled: true,
      maxLookahead: 1,
      nodeLocationTracking: 'full',
      errorMessageProvider: bodyErrorMessages,
    })
    this.performSelfAnalysis()
  }

  public body = this.RULE('body', () => {
    this.MANY(() => this.SUBRULE(this.statement))
  })

  public statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.clusterStatement) },
      { ALT: () => this.SUBRULE(this.connectStatement) },
      { ALT: () => this.SUBRULE(this.runStatement) },
      { ALT: () => this.SUBRULE(this.splitStatement) },
      { ALT: () => this.SUBRULE(this.targetStatement) },
      { ALT: () => this.SUBRULE(this.selectStatement) },
    ])
  })

  public clusterStatement = this.RULE('clusterStatement', () => {
    this.CONSUME(Cluster)
    this.OR([{ ALT: () => this.CONSUME(StringLiteral) }, { ALT: () => this.SUBRULE(this.functionCall) }])
    this.CONSUME(Semicolon)
  })

  public connectStatement = this.RULE('connectStatement', () => {
    this.CONSUME(Connect)
    this.OR([
      { ALT: () => this.CONSUME(StringLiteral) },
      { ALT: () => this.CONSUME(Identifier) },
      { ALT: () => this.SUBRULE(this.functionCall) },
    ])
    this.CONSUME(Semicolon)
  })

  public runStatement = this.RULE('runStatement', () => {
    this.CONSUME(Run)
    this.CONSUME(On)
    this.OR([
      { ALT: () => this.CONSUME(NumberLiteral) },
      { ALT: () => this.CONSUME(Any) },
      { ALT: () => this.CONSUME(All) },
      { ALT: () => this.CONSUME(Identifier) },
      { ALT: () => this.SUBRULE(this.functionCall) },
    ])
    this.CONSUME(Semicolon)
  })

  public splitStatement = this.RULE('splitStatement', () => {
    this.CONSUME(Split)
    this.OR([
      { ALT: () => this.CONSUME(All) },
      {
        ALT: () =>
          this.AT_LEAST_ONE_SEP({
            SEP: Comma,
            DEF: () => this.CONSUME(Identifier),
          }),
      },
    ])
    this.CONSUME(Semicolon)
  })

  public targetStatement = this.RULE('targetStatement', () => {
    this.CONSUME(Target)
    this.CONSUME(Identifier)
    this.CONSUME(Semicolon)
  })

  public selectStatement = this.RULE('selectStatement', () => {
    this.CONSUME(Select)
    this.SUBRULE(this.sqlText)
    this.CONSUME(Semicolon)
  })

  public functionCall = this.RULE('functionCall', () => {
    this.CONSUME(FunctionCallStart)
    this.SUBRULE(this.sqlText)
  })

  public sqlText = this.RULE('sqlText', () => {
    this.AT_LEAST_ONE(() => {
      this.OR([{ ALT: () => this.CONSUME(SqlPart) }, { ALT: () => this.CONSUME(SqlIdent) }])
    })
  })
}

function labels(types: TokenType[]): string {
  const names = [...new Set(types.map((t) => t.LABEL ?? t.name))]
  return names.length === 1 ? names[0]! : `one of ${names.join(', ')}`
}

/**
 * PL/Proxy itself only ever says `syntax error`; these texts become the
 * diagnostic's detail, for people.
 */
export const bodyErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected }) {
    return `expected ${expected.LABEL ?? expected.name}`
  },
  buildNotAllInputParsedMessage() {
    return 'expected one of CLUSTER, CONNECT, RUN ON, SPLIT, TARGET, SELECT'
  },
  buildNoViableAltMessage(options) {
    const alternatives = options.expectedPathsPerAlt
      .flatMap((paths) => paths.map((p) => p[0]))
      .filter(Boolean)
    return `expected ${labels(alternatives as TokenType[])}`
  },
  buildEarlyExitMessage(options) {
    const firsts = options.expectedIterationPaths.map((p) => p[0]).filter(Boolean)
    return `expected ${labels(firsts as TokenType[])}`
  },
}

/** One parser instance is reused; Chevrotain parsers are cheap to reset. */
export const bodyParser = new BodyParser()
