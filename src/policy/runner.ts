// `policy test`, `verify` and `parse` as Conftest's runner does them: expand the file list, parse every
// file (a file that fails to parse is reported and skipped — the others are still checked), check each
// against every selected namespace, or everything combined.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { prepareBuiltins } from './builtins.ts';
import { coverageReport, instrument, type CoverageReport, type Instrumented } from './coverage.ts';
import { PolicyEngine, moduleNamespace, type EngineOptions } from './engine.ts';
import { PolicyError } from './errors.ts';
import { parserByName, parserForPath, parserNameForPath, type ParsedFile } from './parsers/index.ts';
import { DEFAULT_MAX_YAML_BYTES } from './parsers/yaml.ts';
import type { CheckResult, Result } from './result.ts';

export interface InputOptions {
  parser?: string;
  /** Regex of paths to skip while walking directories. */
  ignore?: string;
  stdinFilename?: string;
  /** Reads standard input (for the `-` file). */
  readStdin?: () => string;
  /** Largest input accepted, in bytes (YAML has its own, lower default). */
  maxInputSize?: number;
  /** Folders of .proto files for textproto inputs (Conftest's --proto-file-dirs). */
  protoFileDirs?: string[];
}

export interface TestOptions extends InputOptions, EngineOptions {
  namespaces: string[];
  allNamespaces?: boolean;
  combine?: boolean;
}

export interface ParsedInput {
  file: string;
  parsed: ParsedFile;
}

export interface TestRun {
  results: CheckResult[];
  /** Files that could not be read or parsed (they were skipped). */
  errors: PolicyError[];
}

export const DEFAULT_MAX_INPUT_BYTES = 512 * 1024 * 1024;

/** Conftest's parseFileList: directories are walked for supported files; `""` is skipped; none → error. */
export function expandFileList(fileList: string[], ignore?: string): string[] {
  const ignoreRe = ignore ? new RegExp(ignore) : undefined;
  const files: string[] = [];
  for (const f of fileList) {
    if (f === '') continue;
    if (f === '-') {
      files.push('-');
      continue;
    }
    let st;
    try {
      st = statSync(f);
    } catch (e) {
      throw new PolicyError('policy_io_error', `get file info: stat ${f}: no such file or directory`, undefined, {
        cause: e,
      });
    }
    if (st.isDirectory()) walkInputs(f, ignoreRe, files, new Set());
    else files.push(f);
  }
  if (files.length === 0) throw new PolicyError('policy_io_error', 'no files found');
  return files;
}

function walkInputs(dir: string, ignore: RegExp | undefined, out: string[], visited: Set<string>): void {
  if (visited.has(dir)) return;
  visited.add(dir);
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    const p = join(dir, e.name);
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        continue;
      }
    }
    if (isDir) {
      walkInputs(p, ignore, out, visited);
      continue;
    }
    if (ignore && ignore.test(p)) continue;
    if (parserNameForPath(p) !== undefined) out.push(p);
  }
}

/** Parses the files; errors are collected per file and the file skipped. */
export async function parseInputs(
  files: string[],
  opts: InputOptions,
): Promise<{ inputs: ParsedInput[]; errors: PolicyError[] }> {
  const inputs: ParsedInput[] = [];
  const errors: PolicyError[] = [];
  const max = opts.maxInputSize ?? DEFAULT_MAX_INPUT_BYTES;
  for (const file of files) {
    const name = file === '-' && opts.stdinFilename ? opts.stdinFilename : file;
    try {
      const parser = parserForPath(file, opts.parser);
      let text: string;
      if (file === '-') {
        text = opts.readStdin ? opts.readStdin() : '';
      } else {
        const size = statSync(file).size;
        if (size > max) {
          throw new PolicyError(
            'policy_input_too_large',
            `input is ${size} bytes, over the limit of ${max} bytes (raise it with --max-input-size)`,
            { file: name, row: 0, col: 0 },
          );
        }
        text = readFileSync(file, 'utf8');
      }
      const maxBytes = parser.name === 'yaml' ? Math.min(max, opts.maxInputSize ?? DEFAULT_MAX_YAML_BYTES) : max;
      const parsed = await parser.parse(text, { file: name, maxBytes, protoFileDirs: opts.protoFileDirs });
      inputs.push({ file: name, parsed });
    } catch (e) {
      if (e instanceof PolicyError) {
        errors.push(e.location ? e : new PolicyError(e.code, e.message, { file: name, row: 0, col: 0 }, { cause: e }));
      } else {
        errors.push(
          new PolicyError(
            'policy_parse_error',
            e instanceof Error ? e.message : String(e),
            { file: name, row: 0, col: 0 },
            { cause: e },
          ),
        );
      }
    }
  }
  return { inputs, errors };
}

/** Conftest's CombineConfigurations: `[{path, contents}]` sorted by path, multi-document files expanded. */
export function combineInputs(inputs: ParsedInput[]): { path: string; contents: unknown }[] {
  const all: { path: string; contents: unknown }[] = [];
  for (const { file, parsed } of inputs) {
    if (Array.isArray(parsed.value)) for (const v of parsed.value) all.push({ path: file, contents: v });
    else all.push({ path: file, contents: parsed.value });
  }
  return all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Glob match of namespaces (path.Match syntax: `*`, `?`, `[...]`; `*` also matches dots). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0)
        throw new PolicyError(
          'policy_usage_error',
          `match pattern ${JSON.stringify(pattern)}: syntax error in pattern`,
        );
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += '\\' + (pattern[++i] ?? '');
    else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function hasWildcard(patterns: string[]): boolean {
  return patterns.some((p) => /[*?[]/.test(p));
}

export function filterNamespaces(namespaces: string[], patterns: string[]): string[] {
  const res = patterns.map(globToRegExp);
  return namespaces.filter((ns) => res.some((r) => r.test(ns)));
}

export function selectNamespaces(engine: PolicyEngine, patterns: string[], all: boolean | undefined): string[] {
  if (all) return engine.namespaces();
  if (hasWildcard(patterns)) return filterNamespaces(engine.namespaces(), patterns);
  return patterns;
}

/** `policy test`. Policy load errors throw; input errors are returned with the results of the other files. */
export async function runTest(fileList: string[], opts: TestOptions): Promise<TestRun> {
  const files = expandFileList(fileList, opts.ignore);
  const { inputs, errors } = await parseInputs(files, opts);
  const engine = PolicyEngine.load(opts);
  await prepareBuiltins(engine.policies.map((p) => p.text));
  const namespaces = selectNamespaces(engine, opts.namespaces, opts.allNamespaces);
  const results: CheckResult[] = [];
  for (const ns of namespaces) {
    if (opts.combine) {
      results.push(engine.checkDocument('Combined', combineInputs(inputs), ns));
    } else {
      for (const { file, parsed } of inputs) results.push(engine.checkFile(file, parsed.value, ns, parsed.lines));
    }
  }
  return { results, errors };
}

export interface VerifyOptions extends EngineOptions {
  namespaces?: string[];
  /** Measure which policy expressions the tests reach (`coverage` in the result). */
  coverage?: boolean;
}

export interface VerifyTest {
  pkg: string;
  name: string;
  file: string;
  row: number;
  outcome: 'pass' | 'fail' | 'skip' | 'error';
  durationMs: number;
  error?: string;
  outputs: string[];
  /** trace() notes of the test, with file:row. */
  notes: string[];
  /** With `trace`: the test's Enter/Eval events (Conftest's verify --trace). */
  traces: string[];
}

/** `policy verify`: every `test_*` rule (and `todo_test_*` as skipped) of the loaded policies. */
export async function runVerify(
  opts: VerifyOptions,
): Promise<{ results: CheckResult[]; tests: VerifyTest[]; coverage?: CoverageReport }> {
  let instrumented: Instrumented | undefined;
  const engine = PolicyEngine.load(
    opts.coverage
      ? { ...opts, transformPolicies: (files) => (instrumented = instrument(files, opts.regoVersion ?? 1)).files }
      : opts,
  );
  await prepareBuiltins(engine.policies.map((p) => p.text));
  let allowed: Set<string> | undefined;
  if (opts.namespaces && opts.namespaces.length > 0)
    allowed = new Set(filterNamespaces(engine.namespaces(), opts.namespaces));
  const tests: VerifyTest[] = [];
  const seen = new Set<string>();
  for (const m of engine.modules) {
    const ns = moduleNamespace(m);
    if (allowed && !allowed.has(ns)) continue;
    for (const r of m.rules) {
      const head = r.head.ref[0];
      if (!head || head.type !== 'var' || r.head.ref.length > 1 || r.head.args !== undefined) continue;
      const name = head.name;
      const skip = name.startsWith('todo_test_');
      if (!name.startsWith('test_') && !skip) continue;
      const key = `${ns}.${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const t: VerifyTest = {
        pkg: `data.${ns}`,
        name,
        file: m.file,
        row: r.loc.row,
        outcome: 'skip',
        durationMs: 0,
        outputs: [],
        notes: [],
        traces: [],
      };
      if (!skip) {
        const start = performance.now();
        try {
          const rows = engine.evaluateWithPrint(
            `data.${ns}.${name}`,
            (msg, loc) => t.outputs.push(loc ? `${loc.file}:${loc.row}: ${msg}` : msg),
            (msg, loc) => t.notes.push(`${loc ? `${loc.file}:${loc.row}` : 'query'} | Note ${JSON.stringify(msg)}`),
            opts.trace ? t.traces : undefined,
          );
          const v = rows[0]?.expressions[0]?.value;
          t.outcome = rows.length > 0 && v !== false && v !== undefined ? 'pass' : 'fail';
        } catch (e) {
          t.outcome = 'error';
          t.error = e instanceof Error ? e.message : String(e);
        }
        t.durationMs = performance.now() - start;
      }
      tests.push(t);
    }
  }
  const results: CheckResult[] = tests.map((t) => {
    const failed: Result = { msg: `${t.pkg}.${t.name}` };
    const r: CheckResult = {
      filename: t.file,
      namespace: '',
      successes: 0,
      queries: [{ query: t.name, results: [], traces: t.traces, ...(t.outputs.length ? { outputs: t.outputs } : {}) }],
    };
    if (t.outcome === 'fail' || t.outcome === 'error') r.failures = [failed];
    else if (t.outcome === 'skip') r.skipped = [failed];
    else r.successes = 1;
    return r;
  });
  return instrumented ? { results, tests, coverage: coverageReport(instrumented.points) } : { results, tests };
}

/** OPA's pretty test report (`--report full|notes|fails`): FAILURES with details, then SUMMARY per file. */
export function formatVerifyReport(tests: VerifyTest[], report: string): string {
  let out = '';
  const label = (t: VerifyTest) =>
    t.outcome === 'pass' ? 'PASS' : t.outcome === 'skip' ? 'SKIPPED' : t.outcome === 'error' ? 'ERROR' : 'FAIL';
  const line = (t: VerifyTest) =>
    `${t.pkg}.${t.name}: ${label(t)}${t.outcome === 'skip' ? '' : ` (${formatDuration(t.durationMs)})`}`;
  const bad = tests.filter((t) => t.outcome === 'fail' || t.outcome === 'error');
  if (bad.length > 0) {
    out += 'FAILURES\n' + '-'.repeat(80) + '\n';
    for (const t of bad) {
      out += line(t) + '\n';
      if (t.error) out += `\n  ${t.error}\n`;
      if (report !== 'fails' || t.outputs.length > 0) for (const o of t.outputs) out += `  ${o}\n`;
      // trace() notes, as `opa test --explain notes` shows them under a failing test
      if (report === 'notes' || report === 'full') for (const n of t.notes) out += `  ${n}\n`;
      out += '\n';
    }
    out += 'SUMMARY\n' + '-'.repeat(80) + '\n';
  }
  const byFile = new Map<string, VerifyTest[]>();
  for (const t of tests) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
  for (const [file, ts] of byFile) {
    out += `${file}:\n`;
    for (const t of ts) {
      out += line(t) + '\n';
      if (t.outcome === 'pass') for (const o of t.outputs) out += `  ${o}\n`;
    }
  }
  const passed = tests.filter((t) => t.outcome === 'pass').length;
  const failed = tests.filter((t) => t.outcome === 'fail').length;
  const errored = tests.filter((t) => t.outcome === 'error').length;
  const skipped = tests.filter((t) => t.outcome === 'skip').length;
  out += '-'.repeat(80) + '\n';
  if (passed > 0) out += `PASS: ${passed}/${tests.length}\n`;
  if (failed > 0) out += `FAIL: ${failed}/${tests.length}\n`;
  if (errored > 0) out += `ERROR: ${errored}/${tests.length}\n`;
  if (skipped > 0) out += `SKIPPED: ${skipped}/${tests.length}\n`;
  return out;
}

function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${ms.toFixed(3).replace(/\.?0+$/, '')}ms`;
  return `${(ms / 1000).toFixed(3)}s`;
}

/** `policy parse`: the parsed configurations as Conftest prints them. */
export async function runParse(
  fileList: string[],
  opts: InputOptions & { combine?: boolean },
): Promise<{ text: string; errors: PolicyError[] }> {
  const { inputs, errors } = await parseInputs(
    fileList.filter((f) => f !== ''),
    opts,
  );
  let text: string;
  if (opts.combine) text = JSON.stringify(combineInputs(inputs), null, '\t') + '\n';
  else if (inputs.length === 1) text = JSON.stringify(inputs[0]?.parsed.value ?? null, null, 2);
  else {
    const o: Record<string, unknown> = {};
    for (const i of inputs) o[i.file] = i.parsed.value;
    text = JSON.stringify(o, null, 2);
  }
  return { text, errors };
}

export { parserByName };
