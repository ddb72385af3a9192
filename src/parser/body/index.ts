export type * from './ast.js'
export { bodyLexer, lexBody } from './lexer.js'
export { BodyParser, bodyParser } from './parser.js'
export { LineCounter, parseBody } from './visitor.js'
