// The Conftest rule conventions on top of the Rego engine: namespaces are packages; rules named
// deny/violation (failures) and warn (warnings), with optional `_suffix`, are queried per input document;
// `exception` rules name the rules to skip; results are strings or objects with `msg` (+ `_loc`, metadata).
// Counting of successes follows Conftest's policy/engine.go exactly (it decides the summary line).
import { basename, dirname, resolve } from 'node:path';
import {
  compilePolicy,
  fromJS,
  RObject,
  RSet,
  toJS,
  type EvalOptions,
  type Module,
  type Policy,
  type PreparedQuery,
  type Value,
} from '../rego/index.ts';
import { registerConftestBuiltins } from './builtins.ts';
import { PolicyError } from './errors.ts';
import { loadDataDocuments, loadPolicyFiles, type PolicyFile } from './loader.ts';
import type { CheckResult, QueryResult, Result } from './result.ts';

const WARNING = /^warn(_[a-zA-Z0-9]+)*$/;
const FAILURE = /^(deny|violation)(_[a-zA-Z0-9]+)*$/;

export function isWarningRule(name: string): boolean {
  return WARNING.test(name);
}
export function isFailureRule(name: string): boolean {
  return FAILURE.test(name);
}

/** The rule name an exception names: deny_foo → foo, deny → "". */
export function removeRulePrefix(rule: string): string {
  if (rule === 'violation' || rule === 'deny' || rule === 'warn') return '';
  return rule
    .replace(/^violation_/, '')
    .replace(/^deny_/, '')
    .replace(/^warn_/, '');
}

export interface EngineOptions {
  policyPaths: string[];
  dataPaths?: string[];
  regoVersion?: 0 | 1;
  strict?: boolean;
  showBuiltinErrors?: boolean;
  /** Record every expression evaluated, per query (Conftest's --trace; OPA's Eval events). */
  trace?: boolean;
  /** Names of the builtins a --capabilities file allows (undefined: all). */
  allowedBuiltins?: ReadonlySet<string>;
  /** Extra documents merged into `data` (tests). */
  data?: Record<string, unknown>;
  /** Policy sources to use instead of reading `policyPaths` (coverage instrumentation). */
  transformPolicies?: (files: PolicyFile[]) => PolicyFile[];
}

interface NamespaceRules {
  /** Unique rule names to query, in first-seen order. */
  rules: string[];
  /** Number of rule definitions (each body counts). */
  ruleCount: number;
}

export function moduleNamespace(m: Module): string {
  return m.package.path.terms
    .slice(1)
    .map((t) => (t.type === 'string' ? t.value : t.type === 'var' ? t.name : '?'))
    .join('.');
}

function ruleName(rule: Module['rules'][number]): string | undefined {
  const head = rule.head.ref[0];
  if (!head || head.type !== 'var') return undefined;
  // general ref heads (`deny.x contains ...`) have no plain name in OPA
  if (rule.head.ref.length > 1) return undefined;
  return head.name;
}

export class PolicyEngine {
  readonly policies: PolicyFile[];
  readonly modules: Module[];
  private readonly baseData: Record<string, unknown>;
  private readonly opts: EngineOptions;
  private readonly usesFileInfo: boolean;
  private basePolicy: Policy;
  private readonly perFile = new Map<string, { policy: Policy; queries: Map<string, PreparedQuery> }>();
  private readonly baseQueries = new Map<string, PreparedQuery>();
  private readonly nsRules = new Map<string, NamespaceRules>();

  private constructor(opts: EngineOptions, policies: PolicyFile[], data: Record<string, unknown>) {
    this.opts = opts;
    this.policies = policies;
    this.baseData = data;
    this.basePolicy = this.compile(data);
    this.modules = this.basePolicy.modules;
    this.checkProblematicIf();
    this.usesFileInfo = policies.some((p) => /\bconftest\b/.test(p.text));
  }

  /** Loads the policies under `policyPaths` and the data under `dataPaths`; throws on none or on errors. */
  static load(opts: EngineOptions): PolicyEngine {
    const loaded = opts.policyPaths.length > 0 ? loadPolicyFiles(opts.policyPaths) : [];
    const policies = opts.transformPolicies ? opts.transformPolicies(loaded) : loaded;
    if (policies.length === 0) {
      throw new PolicyError('policy_no_policies', `no policies found in [${opts.policyPaths.join(' ')}]`);
    }
    const data = { ...loadDataDocuments(opts.dataPaths ?? []), ...(opts.data ?? {}) };
    return new PolicyEngine(opts, policies, data);
  }

  private compile(data: Record<string, unknown>): Policy {
    registerConftestBuiltins();
    return compilePolicy({
      modules: this.policies.map((p) => ({ file: p.file, text: p.text })),
      data: fromJS(data),
      regoVersion: this.opts.regoVersion ?? 1,
      strict: this.opts.strict ?? false,
      // calls outside a --capabilities list fail to compile, as in OPA
      ...(this.opts.allowedBuiltins ? { capabilities: { builtins: this.opts.allowedBuiltins } } : {}),
    });
  }

  /** Conftest refuses `deny if { ... }` (a boolean rule where a set was meant). */
  private checkProblematicIf(): void {
    for (const m of this.modules) {
      for (const r of m.rules) {
        const name = ruleName(r);
        if (!name || !(isFailureRule(name) || isWarningRule(name))) continue;
        if (
          r.head.key === undefined &&
          r.head.args === undefined &&
          !r.default &&
          r.head.value?.type === 'boolean' &&
          r.head.value.value === true
        ) {
          throw new PolicyError(
            'policy_load_error',
            `rule is using 'if' keyword without 'contains' keyword: rule in ${m.file} at line ${r.head.loc.row}`,
            { file: m.file, row: r.head.loc.row, col: r.head.loc.col },
          );
        }
      }
    }
  }

  /** Every package, without the `data.` prefix, in module order, without repeats. */
  namespaces(): string[] {
    const out: string[] = [];
    for (const m of this.modules) {
      const ns = moduleNamespace(m);
      if (!out.includes(ns)) out.push(ns);
    }
    return out;
  }

  private rulesOf(namespace: string): NamespaceRules {
    let nr = this.nsRules.get(namespace);
    if (nr) return nr;
    nr = { rules: [], ruleCount: 0 };
    for (const m of this.modules) {
      if (moduleNamespace(m) !== namespace) continue;
      for (const r of m.rules) {
        const name = ruleName(r);
        if (!name || (!isFailureRule(name) && !isWarningRule(name))) continue;
        nr.ruleCount++;
        if (!nr.rules.some((x) => x.toLowerCase() === name.toLowerCase())) nr.rules.push(name);
      }
    }
    this.nsRules.set(namespace, nr);
    return nr;
  }

  private prepared(query: string, file: string): PreparedQuery {
    if (!this.usesFileInfo) {
      let q = this.baseQueries.get(query);
      if (!q) this.baseQueries.set(query, (q = this.basePolicy.prepare(query)));
      return q;
    }
    const abs = resolve(file);
    let entry = this.perFile.get(abs);
    if (!entry) {
      const conftest = {
        ...(isRecord(this.baseData.conftest) ? this.baseData.conftest : {}),
        file: { name: basename(abs), dir: dirname(abs) },
      };
      entry = { policy: this.compile({ ...this.baseData, conftest }), queries: new Map() };
      this.perFile.set(abs, entry);
    }
    let q = entry.queries.get(query);
    if (!q) entry.queries.set(query, (q = entry.policy.prepare(query)));
    return q;
  }

  private query(query: string, file: string, input: Value): QueryResult {
    const outputs: string[] = [];
    const traces: string[] = [];
    const prepared = this.prepared(query, file);
    let rows: ReturnType<PreparedQuery['eval']>;
    try {
      rows = prepared.eval({
        input,
        strictBuiltinErrors: this.opts.showBuiltinErrors ?? false,
        // Conftest's print hook: "<file>:<row>: <msg>\n"
        print: (msg, loc) => outputs.push(loc ? `${loc.file}:${loc.row}: ${msg}\n` : `${msg}\n`),
        ...(this.opts.trace ? traceHooks(traces) : {}),
      });
    } catch (e) {
      const err = e as { code?: string; message?: string; location?: { file: string; row: number; col: number } };
      const builtin = err.code === 'eval_builtin_error' || err.code === 'eval_type_error';
      const text = `${err.code ? err.code + ': ' : ''}${err.message ?? String(e)}`;
      throw new PolicyError(
        'policy_result_error',
        `${file}: query ${query}: ${builtin && this.opts.showBuiltinErrors ? 'built-in error: ' : 'evaluating policy: '}${text}`,
        err.location && err.location.row > 0
          ? { file: err.location.file, row: err.location.row, col: err.location.col }
          : undefined,
        { cause: e },
      );
    }
    const results: Result[] = [];
    for (const row of rows) {
      for (const expr of row.expressions) {
        const v = expr.value;
        const items: Value[] | undefined = v instanceof RSet ? v.values() : Array.isArray(v) ? v : undefined;
        if (!items || items.length === 0) {
          results.push({ msg: '' });
          continue;
        }
        for (const item of items) {
          if (typeof item === 'string') {
            results.push({ msg: item, metadata: { query } });
          } else if (item instanceof RObject) {
            results.push(newResult(toJS(item) as Record<string, unknown>, query));
          }
        }
      }
    }
    const qr: QueryResult = { query, results, traces };
    if (outputs.length > 0) qr.outputs = outputs;
    return qr;
  }

  /**
   * Checks one document (Conftest's engine.check): `file` is the name reported and used for
   * data.conftest.file. `line`, when known, is given to failures and warnings without a `_loc`.
   */
  checkDocument(file: string, document: unknown, namespace: string, line?: number): CheckResult {
    const input = document instanceof RObject || document instanceof RSet ? (document as Value) : fromJS(document);
    const { rules, ruleCount } = this.rulesOf(namespace);
    const result: CheckResult = {
      filename: file,
      namespace,
      successes: 0,
      failures: [],
      warnings: [],
      exceptions: [],
      queries: [],
    };
    let successes = 0;
    for (const rule of rules) {
      const exceptionQuery = `data.${namespace}.exception[_][_] == ${JSON.stringify(removeRulePrefix(rule))}`;
      const exceptionResult = this.query(exceptionQuery, file, input);
      const exceptions: Result[] = [];
      for (const r of exceptionResult.results) if (r.msg === '') exceptions.push({ msg: exceptionQuery });
      const ruleResult = this.query(`data.${namespace}.${rule}`, file, input);
      for (const r of ruleResult.results) {
        if (exceptions.length > 0) continue;
        if (r.msg === '') {
          successes++;
          continue;
        }
        if (line !== undefined && !r.loc) r.loc = { file, line: String(line) };
        if (isFailureRule(rule)) result.failures?.push(r);
        else result.warnings?.push(r);
      }
      result.exceptions?.push(...exceptions);
      result.queries?.push(exceptionResult, ruleResult);
    }
    const count =
      (result.failures?.length ?? 0) + (result.warnings?.length ?? 0) + (result.exceptions?.length ?? 0) + successes;
    if (count < ruleCount) successes += ruleCount - count;
    result.successes = successes;
    return result;
  }

  /**
   * Checks a parsed file (Conftest's engine.Check): an array value is several documents, each checked
   * alone, the results gathered under the file.
   */
  checkFile(file: string, value: unknown, namespace: string, lines?: (number | undefined)[]): CheckResult {
    if (!Array.isArray(value)) return this.checkDocument(file, value, namespace, lines?.[0]);
    const out: CheckResult = {
      filename: file,
      namespace,
      successes: 0,
      failures: [],
      warnings: [],
      exceptions: [],
      queries: [],
    };
    value.forEach((doc, i) => {
      const r = this.checkDocument(file, doc, namespace, lines?.[i]);
      out.successes += r.successes;
      out.failures?.push(...(r.failures ?? []));
      out.warnings?.push(...(r.warnings ?? []));
      out.exceptions?.push(...(r.exceptions ?? []));
      out.queries?.push(...(r.queries ?? []));
    });
    return out;
  }

  /** Evaluates a query against this engine's policies and data (used by `verify`). */
  evaluate(query: string, input?: Value): ReturnType<PreparedQuery['eval']> {
    return this.prepared(query, '-').eval({ input, strictBuiltinErrors: this.opts.showBuiltinErrors ?? false });
  }

  /** Evaluates with a print hook (verify collects print output per test). */
  evaluateWithPrint(
    query: string,
    print: (msg: string, loc?: { file: string; row: number }) => void,
    note?: (msg: string, loc?: { file: string; row: number }) => void,
    traces?: string[],
  ): ReturnType<PreparedQuery['eval']> {
    return this.prepared(query, '-').eval({
      strictBuiltinErrors: this.opts.showBuiltinErrors ?? false,
      print,
      ...(note ? { note } : {}),
      ...(traces ? traceHooks(traces) : {}),
    });
  }
}

/** --trace lines: OPA's Enter events (rule bodies, by document name) and Eval events (expressions), with file:row. */
function traceHooks(traces: string[]): Pick<EvalOptions, 'onEval' | 'onEnter'> {
  return {
    onEval: (e) =>
      void traces.push(`${e.loc.file}:${e.loc.row} | Eval ${(e.loc.text ?? '').replace(/\s*\n\s*/g, ' ')}`),
    onEnter: (name, rule) => void traces.push(`${rule.loc.file}:${rule.loc.row} | Enter ${name}`),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Conftest's output.NewResult: `msg` must be a string; `_loc` becomes the location; the rest metadata. */
export function newResult(obj: Record<string, unknown>, query: string): Result {
  const msg = obj.msg;
  if (typeof msg !== 'string') {
    throw new PolicyError(
      'policy_result_error',
      `new result: "msg" field must be present and a string (query ${query})`,
    );
  }
  const result: Result = { msg, metadata: {} };
  const loc = obj._loc;
  if (isRecord(loc)) {
    const file = typeof loc.file === 'string' ? loc.file : undefined;
    const line = typeof loc.line === 'number' ? String(loc.line) : undefined;
    if (file !== undefined || line !== undefined) {
      result.loc = {};
      if (file !== undefined) result.loc.file = file;
      if (line !== undefined) result.loc.line = line;
    }
  }
  for (const [k, v] of Object.entries(obj))
    if (k !== 'msg' && k !== '_loc') (result.metadata as Record<string, unknown>)[k] = v;
  (result.metadata as Record<string, unknown>).query = query;
  return result;
}
