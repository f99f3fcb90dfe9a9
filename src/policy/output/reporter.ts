// The reporter interface: renders Conftest check results in one format.
import type { CheckResult } from '../result.ts';

export interface ReporterOptions {
  noColor?: boolean;
  /** Print each query's trace first (--trace), as Conftest's standard output does. */
  tracing?: boolean;
  suppressExceptions?: boolean;
  showSkipped?: boolean;
  junitHideMessage?: boolean;
  githubHidePassed?: boolean;
  /** Tool version written into SARIF/JUnit (fixed in golden tests). */
  version?: string;
  /** Runtime version for JUnit's go.version property. */
  runtimeVersion?: string;
  /** Host name and clock for JUnit's testsuite attributes (fixed in golden tests). */
  hostname?: string;
  now?: Date;
  /** Working directory for relative paths (GitHub output). */
  cwd?: string;
}

export type Reporter = (results: CheckResult[], opts: ReporterOptions) => string;

/** `- file` / `-` and `- ns -` / `-` as Conftest prints them. */
export function indicator(fileName: string): string {
  return fileName === '-' ? '-' : `- ${fileName}`;
}

export function nsIndicator(namespace: string): string {
  return namespace === '-' ? '-' : `- ${namespace} -`;
}
