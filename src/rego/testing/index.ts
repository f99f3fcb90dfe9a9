// `opa test` as a library (discovery, running, coverage) and the Go-style duration used in its reports.
export { discoverTests, renameDuplicateTests, runTests, runCompiledTests, type RunOptions, type RunReport, type TestCase, type TestError, type TestResult } from './runner.ts';
export { CoverageTracer, type CoverageReport, type FileReport, type Range } from './coverage.ts';
export { formatDuration } from './duration.ts';
