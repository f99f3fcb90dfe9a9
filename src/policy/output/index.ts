// The output formats Conftest offers, by name.
import type { CheckResult } from '../result.ts';
import { azureDevOpsReporter } from './azuredevops.ts';
import { githubReporter } from './github.ts';
import { jsonReporter } from './json.ts';
import { junitReporter } from './junit.ts';
import type { Reporter, ReporterOptions } from './reporter.ts';
import { sarifReporter } from './sarif.ts';
import { stdoutReporter } from './stdout.ts';
import { tableReporter } from './table.ts';
import { tapReporter } from './tap.ts';

export type { Reporter, ReporterOptions } from './reporter.ts';

export const OUTPUT_FORMATS = ['stdout', 'json', 'tap', 'table', 'junit', 'github', 'azuredevops', 'sarif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const REPORTERS: Record<OutputFormat, Reporter> = {
  stdout: stdoutReporter,
  json: jsonReporter,
  tap: tapReporter,
  table: tableReporter,
  junit: junitReporter,
  github: githubReporter,
  azuredevops: azureDevOpsReporter,
  sarif: sarifReporter,
};

/** Renders results; an unknown format falls back to stdout, as Conftest does. */
export function render(format: string, results: CheckResult[], opts: ReporterOptions = {}): string {
  const reporter = (REPORTERS as Record<string, Reporter | undefined>)[format] ?? stdoutReporter;
  return reporter(results, opts);
}
