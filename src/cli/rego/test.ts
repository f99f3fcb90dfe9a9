// `sekisho rego test` — a drop-in for `opa test`: loads policies and data like OPA's tester loader, runs every
// `test_*` rule (`todo_test_*` are skipped), prints OPA's pretty or JSON report, or the JSON coverage report.
import { Command, Option } from 'commander';
import { RegoError, RegoErrors } from '../../rego/index.ts';
import { formatDuration, runTests, type RunReport, type TestResult } from '../../rego/testing/index.ts';
import { LoadError } from './loader.ts';
import { findFiles, loadFiles } from './files.ts';
import { errorText, outputErrorOf } from './output.ts';
import { registerCheck } from './check.ts';
import { registerFmt } from './fmt.ts';

export interface TestOptions {
  verbose?: boolean;
  run?: string;
  format: 'pretty' | 'json';
  coverage?: boolean;
  threshold?: string;
  v0Compatible?: boolean;
  v1Compatible?: boolean;
  ignore: string[];
  timeout?: string;
  bundle?: boolean;
  exitZeroOnSkipped?: boolean;
  data: string[];
}

interface Out {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const HL = '-'.repeat(80);

function passed(r: TestResult): boolean {
  return !r.fail && !r.error && !r.skip;
}

function outcome(r: TestResult): string {
  if (passed(r)) return 'PASS';
  if (r.fail) return 'FAIL';
  if (r.skip) return 'SKIPPED';
  return 'ERROR';
}

function line(r: TestResult): string {
  if (r.skip) return `${r.package}.${r.name}: ${outcome(r)}`;
  return `${r.package}.${r.name}: ${outcome(r)} (${formatDuration(r.duration)})`;
}

function errorLine(r: TestResult): string {
  const e = r.error;
  if (!e) return '';
  return errorText({ message: e.message, code: e.code, ...(e.location ? { location: { file: e.location.file, row: e.location.row, col: e.location.col } } : {}) });
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l === '' ? l : '  ' + l))
    .join('\n');
}

/** OPA's PrettyReporter. */
export function prettyReport(results: TestResult[], verbose: boolean): string {
  let out = '';
  const println = (s = ''): void => {
    out += s + '\n';
  };
  let pass = 0;
  let fail = 0;
  let skip = 0;
  let errs = 0;
  for (const r of results) {
    if (r.skip) skip++;
    else if (r.error) errs++;
    else if (r.fail) fail++;
    else pass++;
  }
  if (fail > 0 && verbose) {
    println('FAILURES');
    println(HL);
    for (const r of results.filter((x) => x.fail && !x.error && !x.skip)) {
      out += line(r);
      println();
      println();
      if (r.output) println(indent(r.output.trim()));
      println();
    }
    println('SUMMARY');
    println(HL);
  }
  let dirty = false;
  let lastFile = '';
  for (const r of results) {
    if (verbose || !passed(r)) {
      if (r.location.file !== lastFile) {
        if (lastFile !== '') println('');
        println(`${r.location.file}:`);
        lastFile = r.location.file;
      }
      dirty = true;
      println(line(r));
      if (r.output && r.output.length > 0) {
        println();
        println(indent(r.output.trim()));
        println();
      }
    }
    if (r.error) println(`  ${errorLine(r)}`);
  }
  if (dirty) println(HL);
  const total = pass + fail + skip + errs;
  if (pass) println(`PASS: ${pass}/${total}`);
  if (fail) println(`FAIL: ${fail}/${total}`);
  if (skip) println(`SKIPPED: ${skip}/${total}`);
  if (errs) println(`ERROR: ${errs}/${total}`);
  return out;
}

/** OPA's JSONReporter: the results as an indented JSON array (output as base64 bytes, like Go's []byte). */
export function jsonReport(results: TestResult[]): string {
  const arr = results.map((r) => {
    const o: Record<string, unknown> = {
      location: { file: r.location.file, row: r.location.row, col: r.location.col },
      package: r.package,
      name: r.name,
    };
    if (r.fail) o.fail = true;
    if (r.error) {
      const e: Record<string, unknown> = { code: r.error.code, message: r.error.message };
      if (r.error.location) e.location = { file: r.error.location.file, row: r.error.location.row, col: r.error.location.col };
      o.error = e;
    }
    if (r.skip) o.skip = true;
    o.duration = r.duration;
    if (r.output) o.output = Buffer.from(r.output, 'utf8').toString('base64');
    return o;
  });
  return JSON.stringify(arr, null, 2) + '\n';
}

function parseDurationMs(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const f: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  return n * (f[unit] as number);
}

/** Runs the command; returns the exit code (0 pass, 1 load/compile/usage error, 2 test failure or error). */
export function runTestCommand(paths: string[], opts: TestOptions, out: Out): number {
  if (paths.length === 0) {
    out.stderr('Error: specify at least one file\n');
    return 1;
  }
  const threshold = opts.threshold !== undefined ? Number(opts.threshold) : 0;
  if (Number.isNaN(threshold) || threshold < 0 || threshold > 100) {
    out.stderr('Error: threshold must be between 0 and 100\n');
    return 1;
  }
  let run: RegExp | undefined;
  if (opts.run !== undefined) {
    try {
      run = new RegExp(opts.run);
    } catch (e) {
      out.stderr(`Error: --run: ${(e as Error).message}\n`);
      return 1;
    }
  }
  let timeoutMs: number | undefined;
  if (opts.timeout !== undefined) {
    timeoutMs = parseDurationMs(opts.timeout);
    if (timeoutMs === undefined) {
      out.stderr(`Error: invalid --timeout ${JSON.stringify(opts.timeout)} (e.g. 5s, 500ms)\n`);
      return 1;
    }
    if (timeoutMs === 0) timeoutMs = undefined;
  }
  const sources = new Map<string, string>();
  let report: RunReport;
  try {
    const loaded = loadFiles(findFiles([...paths, ...opts.data], opts.ignore));
    for (const m of loaded.modules) sources.set(m.file, m.text);
    report = runTests({
      modules: loaded.modules,
      data: loaded.data,
      regoVersion: opts.v0Compatible ? 0 : 1,
      ...(run ? { run } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      coverage: opts.coverage === true,
    });
  } catch (err) {
    if (err instanceof RegoErrors || err instanceof RegoError) {
      const errs = err instanceof RegoErrors ? err.errors : [err];
      const texts = errs.map((e) => errorText(outputErrorOf(e, sources)));
      out.stderr(texts.length === 1 ? `1 error occurred: ${texts[0]}\n` : `${texts.length} errors occurred:\n${texts.join('\n')}\n`);
      return 1;
    }
    if (err instanceof LoadError) {
      out.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const results = report.results;
  let code = 0;
  for (const r of results) if (!passed(r) && !(r.skip && opts.exitZeroOnSkipped)) code = 2;
  if (opts.coverage && report.coverage) {
    const bad = results.find((r) => !passed(r) && !r.skip);
    if (bad) {
      out.stderr(bad.error ? errorLine(bad) + '\n' : `${line(bad)}\n`);
      return 1;
    }
    if (report.coverage.coverage < threshold) {
      out.stderr(`Code coverage threshold not met: got ${report.coverage.coverage.toFixed(2)} instead of ${threshold.toFixed(2)}\n`);
      return 2;
    }
    out.stdout(JSON.stringify(report.coverage, null, 2) + '\n');
    return code;
  }
  out.stdout(opts.format === 'json' ? jsonReport(results) : prettyReport(results, opts.verbose === true));
  return code;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerTest(rego: Command): void {
  rego
    .command('test')
    .description('Run Rego unit tests: every test_* rule of the given policies (a drop-in for `opa test`)')
    .argument('<paths...>', 'policy and data files or directories')
    .option('-v, --verbose', 'print every test result (and print() output)')
    .option('-r, --run <regex>', 'run only tests whose full name (data.pkg.test_x) matches the regex')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
    .option('-c, --coverage', 'print the JSON coverage report instead of the test results')
    .option('--threshold <percent>', 'with --coverage: exit 2 when coverage is below this percentage')
    .option('--v0-compatible', 'parse modules with Rego v0 syntax (policies written for OPA before 1.0)')
    .addOption(new Option('--v1-compatible', 'Rego v1 syntax (the default)').hideHelp())
    .option('--ignore <glob>', 'skip files and directories whose name matches (repeatable)', collect, [])
    .option('-t, --timeout <duration>', 'a test taking longer is reported as an error (e.g. 5s; 0 = none)')
    .option('-b, --bundle', 'treat the paths as bundle directories (loaded the same way here)')
    .option('-d, --data <path>', 'more policy or data files (repeatable)', collect, [])
    .option('-z, --exit-zero-on-skipped', 'skipped (todo_test_) tests do not make the exit status non-zero')
    .addHelpText(
      'after',
      `
Examples:
  $ sekisho rego test policies/
  $ sekisho rego test -v --run 'test_deny' policy.rego policy_test.rego
  $ sekisho rego test --v0-compatible src/k8srequiredlabels/*.rego
  $ sekisho rego test --coverage --threshold 80 policies/

Exit codes: 0 when every test passes, 2 when a test fails, errors or is skipped (unless -z) or coverage is
below --threshold, 1 when loading or compiling fails.`,
    )
    .action((paths: string[], opts: TestOptions) => {
      process.exitCode = runTestCommand(paths, opts, {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      });
    });
}

/** Adds `rego test`, `rego fmt` and `rego check` to the `rego` command group. */
export function registerRegoTools(rego: Command): void {
  registerTest(rego);
  registerFmt(rego);
  registerCheck(rego);
}
