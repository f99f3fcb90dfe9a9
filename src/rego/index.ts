// The public API of the Rego engine (`sekisho/rego`): compile modules and data once, prepare queries, evaluate
// them many times. Errors are RegoError / RegoErrors values with OPA's codes, messages and locations.

export {
  compilePolicy,
  type EvalOptions,
  type ModuleSource,
  type Policy,
  type PolicyOptions,
  type PreparedQuery,
  type QueryResult,
  StrictBuiltinError,
} from './policy.ts';
export { parseModule, parseQuery, parseTerm, type ParseOptions } from './parser.ts';
export { parseCapabilities, currentCapabilities, type Capabilities } from './capabilities.ts';
export { stages as compilerStages } from './compiler.ts';
export * from './value.ts';
export * from './errors.ts';
export type * from './ast.ts';
// Embedders' hook for builtins OPA lacks (the policy area registers Conftest's parse_config family).
export {
  registerBuiltin,
  BuiltinError,
  type BuiltinContext,
  type BuiltinEntry,
  type BuiltinImpl,
} from './builtins/index.ts';
