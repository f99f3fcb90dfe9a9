// The public surface of the policy (Conftest) area.
export { PolicyEngine, isFailureRule, isWarningRule, newResult, type EngineOptions } from './engine.ts';
export { PolicyError, PolicyErrors, type PolicyErrorCode, type PolicyErrorLocation } from './errors.ts';
export { OUTPUT_FORMATS, render, type OutputFormat, type Reporter, type ReporterOptions } from './output/index.ts';
export { PARSER_NAMES, UNAVAILABLE_PARSERS, parserByName, parserForPath, parserNameForPath, type ParsedFile, type Parser } from './parsers/index.ts';
export { exitCode, summaryLine, totals, type CheckResult, type QueryResult, type Result } from './result.ts';
export {
  combineInputs,
  expandFileList,
  filterNamespaces,
  formatVerifyReport,
  parseInputs,
  runParse,
  runTest,
  runVerify,
  type TestOptions,
  type TestRun,
  type VerifyOptions,
  type VerifyTest,
} from './runner.ts';
export { pullBundle, pushBundle, POLICY_LAYER_MEDIA_TYPE, DATA_LAYER_MEDIA_TYPE, type RegistryAccess } from './bundle.ts';
export { coverageReport, instrument, type CoverageReport } from './coverage.ts';
