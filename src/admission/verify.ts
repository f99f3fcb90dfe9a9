// `gator verify`: Suite files (test.gatekeeper.sh/v1alpha1, kind Suite) with tests (template + constraint)
// and cases (object, inventory, assertions). Paths ending in `/...` are searched recursively; other
// directories contribute their own files; files are read as they are.

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { RE2JS } from 're2js';
import { AdmissionEngine } from './engine.ts';
import { AdmissionError } from './errors.ts';
import { requestForObject, type AdmissionRequest } from './review.ts';
import { isObj, loadDocuments, str, type Obj } from './yaml-load.ts';

export interface VerifyOptions {
  /** Regex on test names, or `test//case`. */
  run?: string;
  enableCel?: boolean;
  /** Clock for durations (ms). */
  now?: () => number;
}

export interface CaseResult {
  name: string;
  skipped: boolean;
  error?: string;
  durationMs: number;
}

export interface TestResult {
  name: string;
  skipped: boolean;
  error?: string;
  cases: CaseResult[];
  durationMs: number;
}

export interface SuiteResult {
  path: string;
  name: string;
  error?: string;
  tests: TestResult[];
  durationMs: number;
}

export function suiteFailed(s: SuiteResult): boolean {
  return (
    s.error !== undefined || s.tests.some((t) => t.error !== undefined || t.cases.some((c) => c.error !== undefined))
  );
}

/** Expands gator's path arguments into the files to read. */
export async function expandPaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let recursive = false;
    let base = p;
    if (p === '...' || p.endsWith('/...')) {
      recursive = true;
      base = p === '...' ? '.' : p.slice(0, -4) || '/';
    }
    let st;
    try {
      st = await stat(base);
    } catch (e) {
      throw new AdmissionError('admission_usage_error', `cannot read ${base}: ${(e as Error).message}`, undefined, {
        cause: e,
      });
    }
    if (st.isFile()) {
      out.push(base);
      continue;
    }
    await walk(base, recursive, out);
  }
  return out;
}

async function walk(dir: string, recursive: boolean, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) await walk(full, true, out);
    } else if (/\.(ya?ml|json)$/.test(e.name)) out.push(full);
  }
}

interface Filter {
  test(name: string): boolean;
  case(testName: string, caseName: string): boolean;
}

function makeFilter(run: string | undefined): Filter {
  if (!run) return { test: () => true, case: () => true };
  const compile = (s: string) => {
    try {
      return RE2JS.compile(s);
    } catch (e) {
      throw new AdmissionError(
        'admission_usage_error',
        `--run: invalid regex ${JSON.stringify(s)}: ${(e as Error).message}`,
      );
    }
  };
  const find = (re: RE2JS, s: string) => re.matcher(s).find();
  const i = run.indexOf('//');
  if (i >= 0) {
    const tre = compile(run.slice(0, i));
    const cre = compile(run.slice(i + 2));
    return { test: (n) => find(tre, n), case: (_t, c) => find(cre, c) };
  }
  const re = compile(run);
  return { test: () => true, case: (t, c) => find(re, t) || find(re, c) };
}

/** Reads the Suite files among `files` (other YAML files are ignored, as gator does). */
export async function readSuites(files: string[]): Promise<{ path: string; suite: Obj }[]> {
  const out: { path: string; suite: Obj }[] = [];
  for (const f of files) {
    let docs: Obj[];
    try {
      docs = await loadDocuments(f);
    } catch {
      continue; // not YAML we can read: not a suite
    }
    const d = docs[0];
    if (
      docs.length === 1 &&
      d &&
      d.kind === 'Suite' &&
      typeof d.apiVersion === 'string' &&
      d.apiVersion.startsWith('test.gatekeeper.sh/')
    ) {
      out.push({ path: f, suite: d });
    }
  }
  return out;
}

export async function verify(paths: string[], opts: VerifyOptions = {}): Promise<SuiteResult[]> {
  const files = await expandPaths(paths);
  const suites = await readSuites(files);
  const filter = makeFilter(opts.run);
  const results: SuiteResult[] = [];
  for (const s of suites) results.push(await runSuite(s.path, s.suite, filter, opts));
  return results;
}

async function runSuite(file: string, suite: Obj, filter: Filter, opts: VerifyOptions): Promise<SuiteResult> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const meta = isObj(suite.metadata) ? suite.metadata : {};
  const res: SuiteResult = { path: file, name: str(meta.name) ?? '', tests: [], durationMs: 0 };
  const dir = path.dirname(file);
  const tests = Array.isArray(suite.tests) ? suite.tests : [];
  for (const t of tests) {
    if (!isObj(t)) continue;
    const name = str(t.name) ?? '';
    if (!filter.test(name)) continue;
    res.tests.push(await runTest(dir, t, name, filter, opts));
  }
  res.durationMs = now() - t0;
  return res;
}

async function one(file: string): Promise<Obj> {
  const docs = await loadDocuments(file);
  const d = docs[0];
  if (docs.length !== 1 || !d) {
    throw new AdmissionError('admission_suite_error', `${file}: expected exactly one object, got ${docs.length}`, {
      file,
      row: 0,
      col: 0,
    });
  }
  return d;
}

async function runTest(dir: string, t: Obj, name: string, filter: Filter, opts: VerifyOptions): Promise<TestResult> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const res: TestResult = { name, skipped: t.skip === true, cases: [], durationMs: 0 };
  if (res.skipped) return res;
  const cases = (Array.isArray(t.cases) ? t.cases : [])
    .filter(isObj)
    .filter((c) => filter.case(name, str(c.name) ?? ''));
  let engineFactory: () => AdmissionEngine;
  try {
    const templatePath = str(t.template);
    const constraintPath = str(t.constraint);
    if (!templatePath) throw new AdmissionError('admission_suite_error', `test ${name}: missing template`);
    const templateObj = await one(path.join(dir, templatePath));
    const constraintObj = constraintPath ? await one(path.join(dir, constraintPath)) : undefined;
    const probe = new AdmissionEngine({ enableCel: opts.enableCel ?? false });
    const compiled = probe.addTemplate(templateObj, path.join(dir, templatePath));
    if (compiled.errors.length > 0) {
      throw new AdmissionError(
        'admission_template_error',
        `template ${compiled.name}: ${compiled.errors.map((e) => `${e.location ? e.location + ': ' : ''}${e.message}`).join('; ')}`,
      );
    }
    if (constraintObj) probe.addConstraint(constraintObj, path.join(dir, constraintPath ?? ''));
    // Each case gets a fresh inventory; templates compile once per test.
    engineFactory = () => {
      probe.inventory.clear();
      return probe;
    };
  } catch (e) {
    res.error = e instanceof Error ? e.message : String(e);
    res.durationMs = now() - t0;
    return res;
  }
  for (const c of cases) {
    const c0 = now();
    const cname = str(c.name) ?? '';
    const cr: CaseResult = { name: cname, skipped: c.skip === true, durationMs: 0 };
    if (!cr.skipped) {
      try {
        await runCase(dir, c, engineFactory());
      } catch (e) {
        cr.error = e instanceof Error ? e.message : String(e);
      }
    }
    cr.durationMs = now() - c0;
    res.cases.push(cr);
  }
  res.durationMs = now() - t0;
  return res;
}

async function runCase(dir: string, c: Obj, engine: AdmissionEngine): Promise<void> {
  const objectPath = str(c.object);
  if (!objectPath) throw new AdmissionError('admission_suite_error', 'case has no object');
  const obj = await one(path.join(dir, objectPath));
  for (const inv of Array.isArray(c.inventory) ? c.inventory : []) {
    if (typeof inv !== 'string') continue;
    for (const o of await loadDocuments(path.join(dir, inv))) engine.inventory.upsert(o);
  }
  let request: AdmissionRequest;
  if (obj.kind === 'AdmissionReview') {
    if (!isObj(obj.request))
      throw new AdmissionError('admission_suite_error', `${objectPath}: AdmissionReview without request`);
    request = obj.request as AdmissionRequest;
  } else {
    request = requestForObject(obj);
  }
  const result = engine.review(request, { enforcementPoint: 'gator.gatekeeper.sh' });
  if (result.errors.length > 0) {
    throw new AdmissionError(
      'admission_eval_error',
      result.errors.map((e) => `${e.constraint.kind}/${e.constraint.name}: ${e.message}`).join('; '),
    );
  }
  const msgs = result.violations.map((v) => v.msg);
  const assertions = Array.isArray(c.assertions) ? c.assertions : [];
  const failures: string[] = [];
  assertions.forEach((a, i) => {
    if (!isObj(a)) return;
    const message = str(a.message);
    let matched = msgs;
    if (message !== undefined) {
      let re: RE2JS;
      try {
        re = RE2JS.compile(message);
      } catch (e) {
        failures.push(`assertion ${i}: invalid message regex ${JSON.stringify(message)}: ${(e as Error).message}`);
        return;
      }
      matched = msgs.filter((m) => re.matcher(m).find());
    }
    const want = a.violations ?? 'yes';
    const n = matched.length;
    const about = message !== undefined ? ` matching ${JSON.stringify(message)}` : '';
    if (want === 'yes' || want === true) {
      if (n === 0) failures.push(`assertion ${i}: got no violations${about}, want at least one`);
    } else if (want === 'no' || want === false || want === 0) {
      if (n !== 0) failures.push(`assertion ${i}: got ${n} violations${about}, want none: ${JSON.stringify(matched)}`);
    } else if (typeof want === 'number' || (typeof want === 'string' && /^\d+$/.test(want))) {
      const w = Number(want);
      if (n !== w) failures.push(`assertion ${i}: got ${n} violations${about}, want ${w}: ${JSON.stringify(matched)}`);
    } else {
      failures.push(`assertion ${i}: invalid violations value ${JSON.stringify(want)} (want yes, no or a number)`);
    }
  });
  if (failures.length > 0) throw new AdmissionError('admission_suite_error', failures.join('; '));
}
