/**
 * src/compiler: PL/Proxy's compile-time checks, argument resolution,
 * remote query generation and expression lowering; RoutingPlans out.
 */
export type { InArgument } from './arguments.js'
export { argumentIndex, QueryBuffer } from './arguments.js'
export type {
  DatabaseCatalog,
  FunctionEntry,
  ResolvedArgument,
  ServerEntry,
  UserMappingEntry,
  WrapperEntry,
} from './catalog/catalog.js'
export { buildCatalog, CatalogBuilder, type CatalogBuildResult } from './catalog/catalog-builder.js'
export {
  atoi,
  CLUSTER_CONFIG_OPTIONS,
  partitionNumberOf,
  type ValidatorError,
  validatePlproxyOptions,
} from './catalog/fdw-validator.js'
export { quoteIdent, quoteQualified } from './catalog/quote-ident.js'
export {
  builtinType,
  builtinTypeKeyByOid,
  builtinTypeLength,
  resolveTypeReference,
  TypeRegistry,
  typeKey,
} from './catalog/type-registry.js'
export { baseTypeOf, type PlanType, sameType, type TypeKind } from './catalog/types.js'
export { type CompileOptions, type CompileResult, compileScripts, compileScriptsSync } from './compile.js'
export { type CompiledFunction, compileFunction } from './compile-function.js'
export type * from './plan/expression.js'
export * from './plan/routing-plan.js'
export { type CallSiteColumn, dynamicRemoteQuery, standardRemoteQuery } from './remote-query.js'
export { type AppliedScript, CompilerSession } from './session.js'
