export type * from './model.js'
export {
  type IncludeResolver,
  loadPostgresParser,
  parseTypeName,
  type ReadScriptOptions,
  readScript,
  readScriptSync,
  type ScriptInput,
  type ScriptReadResult,
} from './reader.js'
export { chunkOffset, type MetaChunk, type ScriptChunk, type SqlChunk, splitScript } from './splitter.js'
