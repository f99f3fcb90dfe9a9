// OPA's YAML test-case format (v1/test/cases in OPA) and how a case is judged, shared by the conformance
// runner (in-process workers and the CLI mode) and by our own cases in CI (test/rego/cases.test.ts).
//
// A case is judged the way OPA's own harness (v1/topdown/exported_test.go) does it:
// - modules are named test-0.rego, test-1.rego… and compiled fresh for every case;
// - `input_term` (Rego term text) overrides `input`; `strict_error` turns on strict builtin errors;
// - `want_error` is a substring of the error text (`file:row: code: message`), `want_error_code` the code;
// - an error nobody asked for fails the case; with an expected error, `want_result` is checked as well (strict
//   builtin errors are reported together with the results, as OPA's Query.Run returns both);
// - `want_result` is a list of binding maps compared as a SET; binding values are compared in their JSON
//   form (sets become arrays), and with `sort_bindings` array values are sorted first.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { parse as parseYAML } from 'yaml';
import type { Term } from '../../src/rego/ast.ts';
import { compilePolicy, parseTerm, RegoError, RegoErrors, StrictBuiltinError } from '../../src/rego/index.ts';
import {
  BigNum,
  compare,
  equal,
  fromJS,
  parseNumber,
  RObject,
  RSet,
  toJSON,
  type Value,
} from '../../src/rego/value.ts';

export interface RegoCase {
  /** The case's globally unique note, e.g. `helloworld/test_case`. */
  note: string;
  /** The folder the case was loaded from, relative to the corpus root (e.g. `helloworld`). */
  folder: string;
  file: string;
  query: string;
  modules: string[];
  data?: Value;
  input?: Value;
  inputTerm?: string;
  wantResult?: Value[];
  wantDefined?: boolean;
  wantError?: string;
  wantErrorCode?: string;
  sortBindings: boolean;
  strictError: boolean;
}

/** What running a case produced: result rows (binding maps in JSON form), an error, or a crash of ours. */
export type Outcome =
  | { kind: 'rows'; rows: RObject[] }
  | { kind: 'error'; code: string | undefined; text: string; rows?: RObject[] }
  | { kind: 'crash'; text: string };

export interface Verdict {
  pass: boolean;
  /** Why the case failed (empty when it passed). */
  reason: string;
}

// ---------------------------------------------------------------------------------------------------------
// Loading

/** YAML number tags that keep every digit (OPA decodes YAML numbers as json.Number). */
function exactNumberTag(
  tag: string,
  test: RegExp,
): { tag: string; default: true; test: RegExp; resolve: (s: string) => unknown } {
  return {
    tag,
    default: true,
    test,
    resolve: (s: string) => {
      const t = s.replace(/^\+/, '');
      return parseNumber(t) ?? Number(t);
    },
  };
}

const YAML_OPTIONS = {
  // OPA reads YAML through go-yaml (YAML 1.1: yes/no/on/off are booleans).
  version: '1.1' as const,
  customTags: (tags: unknown[]) => [
    exactNumberTag('tag:yaml.org,2002:int', /^[-+]?(0|[1-9][0-9]*)$/),
    exactNumberTag('tag:yaml.org,2002:float', /^[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/),
    ...tags,
  ],
  maxAliasCount: -1,
};

/** Parses YAML text into a Rego value without losing number digits. */
export function parseYAMLValue(text: string): Value {
  return fromJS(parseYAML(text, YAML_OPTIONS as any) as unknown);
}

export class CaseFormatError extends Error {
  readonly code = 'rego_case_format_error';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
  }
}

function str(x: unknown, what: string, file: string): string {
  if (typeof x !== 'string') throw new CaseFormatError(`${what} must be a string`, file);
  return x;
}

/** Parses one YAML case file. `folder` names the folder the cases are reported under. */
export function parseCaseFile(file: string, text: string, folder: string): RegoCase[] {
  let doc: unknown;
  try {
    doc = parseYAML(text, YAML_OPTIONS as any) as unknown;
  } catch (err) {
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const msg = ((err as Error).message ?? String(err)).split('\n')[0] ?? '';
    throw new CaseFormatError(pos ? `${pos.line}:${pos.col}: ${msg}` : msg, file);
  }
  if (doc === null || doc === undefined) return [];
  const cases = (doc as { cases?: unknown }).cases;
  if (!Array.isArray(cases)) throw new CaseFormatError('expected a top-level `cases:` list', file);
  return cases.map((raw: unknown, i: number): RegoCase => {
    if (typeof raw !== 'object' || raw === null) throw new CaseFormatError(`case ${i} is not a mapping`, file);
    const c = raw as Record<string, unknown>;
    const note = str(c.note ?? `${basename(file)}#${i}`, 'note', file);
    const modules = c.modules === undefined || c.modules === null ? [] : c.modules;
    if (!Array.isArray(modules)) throw new CaseFormatError(`${note}: modules must be a list`, file);
    const out: RegoCase = {
      note,
      folder,
      file,
      query: str(c.query, `${note}: query`, file),
      modules: modules.map((m, j) => str(m, `${note}: modules[${j}]`, file)),
      sortBindings: c.sort_bindings === true,
      strictError: c.strict_error === true,
    };
    if (c.data !== undefined && c.data !== null) out.data = fromJS(c.data);
    if (c.input !== undefined) out.input = fromJS(c.input);
    if (typeof c.input_term === 'string') out.inputTerm = c.input_term;
    if (Array.isArray(c.want_result)) out.wantResult = c.want_result.map((r) => fromJS(r));
    if (typeof c.want_defined === 'boolean') out.wantDefined = c.want_defined;
    if (typeof c.want_error === 'string') out.wantError = c.want_error;
    if (typeof c.want_error_code === 'string') out.wantErrorCode = c.want_error_code;
    return out;
  });
}

/**
 * Loads every *.yaml / *.yml case file under `root`, recursively. A case's folder is the directory of its file
 * relative to `root` (`helloworld` for `root/helloworld/x.yaml`; the root's own name for files directly in it).
 */
export function loadCases(root: string): RegoCase[] {
  const out: RegoCase[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) {
        const rel = relative(root, dir);
        const folder = rel === '' ? basename(root) : rel.split(sep).join('/');
        out.push(...parseCaseFile(p, readFileSync(p, 'utf8'), folder));
      }
    }
  };
  if (statSync(root).isDirectory()) walk(root);
  else out.push(...parseCaseFile(root, readFileSync(root, 'utf8'), basename(root).replace(/\.ya?ml$/, '')));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Values

/** The value of a ground term (as in `input_term`); throws on anything that needs evaluation. */
export function termValue(t: Term): Value {
  switch (t.type) {
    case 'null':
      return null;
    case 'boolean':
    case 'number':
    case 'string':
      return t.value;
    case 'array':
      return t.items.map(termValue);
    case 'set':
      return RSet.from(t.items.map(termValue));
    case 'object':
      return RObject.from(t.items.map(([k, v]) => [termValue(k), termValue(v)] as [Value, Value]));
    case 'call': {
      const op = t.operator.terms;
      if (op.length === 1 && op[0]?.type === 'var' && op[0].name === 'set' && t.args.length === 0) return new RSet();
      break;
    }
  }
  throw new Error(`input_term: ${t.type} term is not a value`);
}

/** The input a case evaluates with: `input_term` (parsed as Rego) overrides `input`. */
export function caseInput(c: RegoCase): Value | undefined {
  if (c.inputTerm !== undefined) return termValue(parseTerm(c.inputTerm));
  return c.input;
}

/** The value as OPA's harness sees it after ast.JSON: sets become arrays, non-string keys become JSON text. */
export function jsonForm(v: Value): Value {
  if (v === null || typeof v !== 'object' || v instanceof BigNum) return v;
  if (Array.isArray(v)) return v.map(jsonForm);
  if (v instanceof RSet) return v.values().map(jsonForm);
  const o = new RObject();
  for (const [k, x] of v.entries()) o.set(typeof k === 'string' ? k : toJSON(k), jsonForm(x));
  return o;
}

/** A result row (binding map) from evaluation, in JSON form. */
export function rowOf(bindings: Map<string, Value> | Iterable<[string, Value]>): RObject {
  const o = new RObject();
  for (const [k, v] of bindings) o.set(k, jsonForm(v));
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Running and judging

export interface RunOptions {
  regoVersion: 0 | 1;
}

/** Runs a case in this process: a fresh compile, prepare and evaluation. */
export function runCaseInProcess(c: RegoCase, opts: RunOptions): Outcome {
  try {
    const input = caseInput(c);
    const policy = compilePolicy({
      modules: c.modules.map((text, i) => ({ file: `test-${i}.rego`, text })),
      data: c.data ?? new RObject(),
      regoVersion: opts.regoVersion,
    });
    const query = policy.prepare(c.query);
    const evalOpts: { input?: Value; strictBuiltinErrors: boolean } = { strictBuiltinErrors: c.strictError };
    if (input !== undefined) evalOpts.input = input;
    const results = query.eval(evalOpts);
    return { kind: 'rows', rows: results.map((r) => rowOf(r.bindings)) };
  } catch (err) {
    return outcomeOfError(err);
  }
}

export function outcomeOfError(err: unknown): Outcome {
  // Strict builtin errors come with the results found (OPA's harness checks both).
  if (err instanceof StrictBuiltinError)
    return { kind: 'error', code: err.code, text: String(err), rows: err.results.map((r) => rowOf(r.bindings)) };
  if (err instanceof RegoError) return { kind: 'error', code: err.code, text: String(err) };
  if (err instanceof RegoErrors) return { kind: 'error', code: err.code, text: err.message };
  const e = err as { stack?: string; message?: string };
  return { kind: 'crash', text: e?.stack ?? String(err) };
}

function sortedIfArray(v: Value): Value {
  return Array.isArray(v) ? [...v].sort(compare) : v;
}

function showRows(rows: Value[]): string {
  return toJSON(rows as Value);
}

/** Judges an outcome against the case's expectations, as OPA's harness does. */
export function judge(c: RegoCase, o: Outcome): Verdict {
  const fail = (reason: string): Verdict => ({ pass: false, reason });
  if (o.kind === 'crash') return fail(`crashed: ${o.text}`);
  if (c.wantError !== undefined || c.wantErrorCode !== undefined) {
    if (o.kind !== 'error')
      return fail(`expected error ${c.wantErrorCode ?? ''} "${c.wantError ?? ''}" but got ${showRows(o.rows)}`);
    if (c.wantError !== undefined && !o.text.includes(c.wantError))
      return fail(`expected error text "${c.wantError}" but got: ${o.text}`);
    if (c.wantErrorCode !== undefined && o.code !== c.wantErrorCode)
      return fail(`expected error code ${c.wantErrorCode} but got ${o.code ?? '(none)'}: ${o.text}`);
  } else if (o.kind === 'error') {
    return fail(`unexpected error: ${o.text}`);
  }
  const rows = o.kind === 'rows' ? o.rows : o.kind === 'error' ? (o.rows ?? []) : [];
  if (c.wantResult !== undefined) {
    const got = RSet.from(
      rows.map((r) =>
        c.sortBindings ? RObject.from(r.entries().map(([k, v]) => [k, sortedIfArray(v)] as [Value, Value])) : r,
      ),
    );
    const want = RSet.from(c.wantResult);
    if (!equal(got, want)) return fail(`unexpected result:\n  want: ${toJSON(want)}\n  got:  ${toJSON(got)}`);
    return { pass: true, reason: '' };
  }
  if (c.wantDefined !== undefined) {
    if (rows.length > 0 !== c.wantDefined)
      return fail(`expected the result to be ${c.wantDefined ? 'defined' : 'undefined'} but got ${showRows(rows)}`);
    return { pass: true, reason: '' };
  }
  if (c.wantError === undefined && c.wantErrorCode === undefined)
    return fail("expected one of: 'want_result', 'want_defined', 'want_error_code', or 'want_error'");
  return { pass: true, reason: '' };
}
