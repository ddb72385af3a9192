export { fastFunctionCall } from './fast-path.js'
export * from './model.js'
export { readClientStatements } from './read.js'
export { calledFunctions } from './tree.js'
