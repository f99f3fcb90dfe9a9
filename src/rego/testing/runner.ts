// `opa test` as a library: discovers test rules (`test_*`, and `todo_test_*` which are skipped) in compiled
// modules, evaluates each as `data.<pkg>.<name>`, and reports OPA's result shape (pass/fail/error/skip with
// durations and print output). Coverage is collected through the evaluator's `onEval` hook (see coverage.ts).
// Nothing here touches files or the clock directly: the caller passes the modules, data and a clock.

import type { Module, Rule, Term } from '../ast.ts';
import { ErrorCodes, RegoError, RegoErrors, type Location } from '../errors.ts';
import { parseModule } from '../parser.ts';
import { compilePolicy, type ModuleSource, type Policy } from '../policy.ts';
import type { Value } from '../value.ts';
import { CoverageTracer, type CoverageReport } from './coverage.ts';

export interface TestCase {
  /** `data.pkg` */
  package: string;
  /** `test_x` (or `todo_test_x`); a second definition of a test is `test_x#01` as OPA names it. */
  name: string;
  /** The rule name to query (differs from `name` for renamed duplicates). */
  queryName: string;
  location: Location;
  skip: boolean;
}

export interface TestError {
  code: string;
  message: string;
  location?: Location;
}

export interface TestResult {
  location: Location;
  package: string;
  name: string;
  fail?: boolean;
  error?: TestError;
  skip?: boolean;
  /** Nanoseconds. */
  duration: number;
  /** print() output of the test, one line per call. */
  output?: string;
}

export interface RunOptions {
  modules: ModuleSource[];
  data?: Value;
  regoVersion?: 0 | 1;
  strict?: boolean;
  /** Only tests whose full name (`data.pkg.test_x`) matches. */
  run?: RegExp;
  /** Milliseconds per test; a test that took longer is reported as an error (evaluation is synchronous and
   *  cannot be interrupted, so the check happens when it returns). */
  timeoutMs?: number;
  coverage?: boolean;
  /** Monotonic clock in milliseconds (default performance.now). */
  now?: () => number;
}

export interface RunReport {
  results: TestResult[];
  coverage?: CoverageReport;
}

function refString(terms: Term[]): string {
  let s = '';
  for (const t of terms) {
    if (t.type === 'var') s += s === '' ? t.name : `.${t.name}`;
    else if (t.type === 'string') s += /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.value) ? `.${t.value}` : `[${JSON.stringify(t.value)}]`;
    else return '';
  }
  return s;
}

function ruleName(rule: Rule): string | undefined {
  const ref = rule.head.ref;
  if (ref.length !== 1) return undefined;
  const head = ref[0];
  return head && head.type === 'var' ? head.name : undefined;
}

/** Suffix of the internal name given to the n-th extra definition of a test (OPA calls it `test_x#0n`). */
const DUP = '__sekisho_dup';

function displayName(name: string): string {
  const i = name.indexOf(DUP);
  return i < 0 ? name : `${name.slice(0, i)}#${name.slice(i + DUP.length)}`;
}

/** The test rules of the modules, in module order then rule order (every definition is its own test). */
export function discoverTests(modules: Module[]): TestCase[] {
  const out: TestCase[] = [];
  for (const m of modules) {
    const pkg = refString(m.package.path.terms);
    for (const rule of m.rules) {
      const name = ruleName(rule);
      if (name === undefined || rule.head.args !== undefined) continue;
      const todo = name.startsWith('todo_test_');
      if (!todo && !name.startsWith('test_')) continue;
      out.push({ package: pkg, name: displayName(name), queryName: name, location: rule.loc, skip: todo });
    }
  }
  return out;
}

/**
 * OPA evaluates each definition of a test separately, renaming the second and later ones of a package to
 * `test_x#01`, `test_x#02`… Rego has no `#` in names, so the sources are rewritten at each duplicate's head
 * with an internal name that is shown as OPA's.
 */
export function renameDuplicateTests(modules: ModuleSource[], regoVersion: 0 | 1): ModuleSource[] {
  const count = new Map<string, number>();
  return modules.map((src) => {
    let m: Module;
    try {
      m = parseModule(src.file, src.text, { regoVersion });
    } catch {
      return src; // the compiler reports it
    }
    const pkg = refString(m.package.path.terms);
    const edits: { offset: number; from: string; to: string }[] = [];
    for (const rule of m.rules) {
      const name = ruleName(rule);
      if (name === undefined || !name.startsWith('test_')) continue;
      const key = `${pkg}.${name}`;
      const k = count.get(key);
      count.set(key, (k ?? 0) + 1);
      const at = rule.head.ref[0]?.loc.offset;
      if (k === undefined || at === undefined || src.text.slice(at, at + name.length) !== name) continue;
      edits.push({ offset: at, from: name, to: `${name}${DUP}${String(k).padStart(2, '0')}` });
    }
    if (edits.length === 0) return src;
    let text = src.text;
    for (const e of edits.reverse()) text = text.slice(0, e.offset) + e.to + text.slice(e.offset + e.from.length);
    return { file: src.file, text };
  });
}

function toTestError(e: RegoError): TestError {
  const out: TestError = { code: e.code, message: e.message };
  if (e.location) out.location = e.location;
  return out;
}

/** Compiles the modules (throws RegoErrors on parse/compile errors) and runs every (matching) test. */
export function runTests(opts: RunOptions): RunReport {
  const policy = compilePolicy({
    modules: renameDuplicateTests(opts.modules, opts.regoVersion ?? 1),
    ...(opts.data !== undefined ? { data: opts.data } : {}),
    regoVersion: opts.regoVersion ?? 1,
    strict: opts.strict ?? false,
  });
  return runCompiledTests(policy, opts);
}

export function runCompiledTests(policy: Policy, opts: Omit<RunOptions, 'modules' | 'data'>): RunReport {
  const now = opts.now ?? (() => performance.now());
  const tracer = opts.coverage ? new CoverageTracer(policy.modules) : undefined;
  const onEval = tracer ? (e: Parameters<CoverageTracer['hit']>[0]) => tracer.hit(e) : undefined;
  const results: TestResult[] = [];
  for (const t of discoverTests(policy.modules)) {
    const full = `${t.package}.${t.name}`;
    if (opts.run && !opts.run.test(full)) continue;
    const query = `${t.package}.${t.queryName}`;
    const base = { location: t.location, package: t.package, name: t.name };
    if (t.skip) {
      results.push({ ...base, skip: true, duration: 0 });
      continue;
    }
    const lines: string[] = [];
    const start = now();
    let result: TestResult;
    try {
      const q = policy.prepare(query);
      const rs = q.eval({ print: (msg) => lines.push(msg), ...(onEval ? { onEval } : {}) });
      const v = rs[0]?.expressions[0]?.value;
      result = { ...base, duration: 0 };
      if (rs.length === 0 || v !== true) result.fail = true;
    } catch (e) {
      if (e instanceof RegoErrors && e.errors[0]) result = { ...base, error: toTestError(e.errors[0]), duration: 0 };
      else if (e instanceof RegoError) result = { ...base, error: toTestError(e), duration: 0 };
      else throw e;
    }
    const ms = now() - start;
    result.duration = Math.round(ms * 1e6);
    if (opts.timeoutMs !== undefined && ms > opts.timeoutMs && !result.error) {
      delete result.fail;
      result.error = { code: ErrorCodes.evalCancel, message: 'caller cancelled query execution' };
    }
    if (lines.length > 0) result.output = lines.map((l) => l + '\n').join('');
    results.push(result);
  }
  const report: RunReport = { results };
  if (tracer) report.coverage = tracer.report();
  return report;
}
