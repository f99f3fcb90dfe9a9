// Conftest's result model (output/result.go): what one input file got from one namespace.

export interface ResultLocation {
  file?: string;
  /** Kept as the policy gave it (Conftest keeps a json.Number). */
  line?: string;
}

export interface Result {
  msg: string;
  loc?: ResultLocation;
  metadata?: Record<string, unknown>;
  outputs?: string[];
}

export interface QueryResult {
  query: string;
  results: Result[];
  traces: string[];
  outputs?: string[];
}

export interface CheckResult {
  filename: string;
  namespace: string;
  successes: number;
  skipped?: Result[];
  warnings?: Result[];
  failures?: Result[];
  exceptions?: Result[];
  queries?: QueryResult[];
}

export function hasFailure(results: CheckResult[]): boolean {
  return results.some((r) => (r.failures?.length ?? 0) > 0);
}

export function hasWarning(results: CheckResult[]): boolean {
  return results.some((r) => (r.warnings?.length ?? 0) > 0);
}

/** Conftest's exit code: 1 when anything failed; with --fail-on-warn 2 for failures, 1 for warnings. */
export function exitCode(results: CheckResult[], failOnWarn = false): number {
  if (failOnWarn) {
    if (hasFailure(results)) return 2;
    return hasWarning(results) ? 1 : 0;
  }
  return hasFailure(results) ? 1 : 0;
}

export interface Totals {
  tests: number;
  successes: number;
  warnings: number;
  failures: number;
  exceptions: number;
  skipped: number;
}

export function totals(results: CheckResult[]): Totals {
  const t: Totals = { tests: 0, successes: 0, warnings: 0, failures: 0, exceptions: 0, skipped: 0 };
  for (const r of results) {
    t.failures += r.failures?.length ?? 0;
    t.exceptions += r.exceptions?.length ?? 0;
    t.warnings += r.warnings?.length ?? 0;
    t.skipped += r.skipped?.length ?? 0;
    t.successes += r.successes;
  }
  t.tests = t.failures + t.exceptions + t.warnings + t.successes + t.skipped;
  return t;
}

function plural(word: string, n: number): string {
  return n === 1 ? word : word + 's';
}

/** `N tests, N passed, N warnings, N failures, N exceptions` with Conftest's plurals. */
export function summaryLine(t: Totals): string {
  return `${t.tests} ${plural('test', t.tests)}, ${t.successes} passed, ${t.warnings} ${plural('warning', t.warnings)}, ${t.failures} ${plural('failure', t.failures)}, ${t.exceptions} ${plural('exception', t.exceptions)}`;
}
