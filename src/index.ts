/**
 * plproxy-ts: the public API.
 *
 * - compile PL/Proxy sources into routing plans: `compileScripts`
 * - parse bodies and scripts: `parseBody`, `readScript`
 * - PostgreSQL-exact hash functions: also importable alone as `plproxy-ts/hash`
 */
export {
  type CallSiteColumn,
  type ClusterSelection,
  type CompiledFunction,
  type CompileOptions,
  type CompileResult,
  compileScripts,
  type DeferredError,
  dynamicRemoteQuery,
  type Expression,
  type ExpressionNode,
  PLAN_VERSION,
  type PlanArgument,
  type PlanType,
  type ProxyFunctionSignature,
  quoteIdent,
  type RemoteQuery,
  type ResultColumn,
  type ResultShape,
  type RoutingPlan,
  type RunTarget,
} from './compiler/index.js'
export {
  type BodyAst,
  type Diagnostic,
  type IncludeResolver,
  type ParsedBody,
  parseBody,
  readScript,
  type ScriptInput,
  type ScriptOperation,
  type ScriptReadResult,
  type Severity,
  type SourcePosition,
} from './parser/index.js'
export * from './runtime/hash/index.js'
