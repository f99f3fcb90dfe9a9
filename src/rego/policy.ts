// Compiled policies and prepared queries: compile modules and data once, prepare a query once, evaluate it
// many times with different inputs.

import type { Body, Expr, Module, Rule, Term } from './ast.ts';
import type { Capabilities } from './capabilities.ts';
import { compileModules, compileQuery, type CompileContext, type RuleNode } from './compiler.ts';
import { ErrorCodes, RegoError, RegoErrors, type Location } from './errors.ts';
import { Evaluator, type Program } from './eval/evaluator.ts';
import type { RulePlace } from './eval/metadata.ts';
import { parseModule, parseQuery } from './parser.ts';
import { exprVars, termVars } from './compiler/terms.ts';
import { RObject, RSet, type Value } from './value.ts';

export interface ModuleSource {
  file: string;
  text: string;
}

export interface PolicyOptions {
  modules?: ModuleSource[];
  /** Base documents (an RObject), merged with virtual documents under `data`. */
  data?: Value;
  regoVersion?: 0 | 1;
  strict?: boolean;
  /** Restricts the builtins policies may call and the hosts network builtins may reach (OPA's capabilities). */
  capabilities?: Capabilities;
}

export interface EvalOptions {
  input?: Value;
  /**
   * OPA's strict builtin errors: when a builtin fails (its call is undefined and evaluation goes on, as
   * without it), eval throws the first such error once evaluation ends, as a StrictBuiltinError that also
   * carries the results found and every builtin error.
   */
  strictBuiltinErrors?: boolean;
  /** Receives every builtin error of the evaluation, without failing it (OPA's BuiltinErrorList). */
  builtinErrors?: RegoError[];
  /** print() output, with the location of the print call. */
  print?: (msg: string, location?: Location) => void;
  /** trace() notes, with the location of the call (OPA's Note events). */
  note?: (msg: string, location?: Location) => void;
  nowNs?: bigint;
  allowNet?: boolean;
  seed?: number;
  /** Optional tracer called with every expression before it is evaluated (e.g. for test coverage). */
  onEval?: (e: Expr) => void;
  /**
   * Optional tracer called as each rule body is entered (OPA's Enter events, in OPA's order: after the Eval
   * of the expression that refers to the rule, once per rule the index leaves as a candidate, each rule of
   * an else chain as it is tried), with the document name (`data.kubernetes.is_service`) and the rule.
   */
  onEnter?: (name: string, rule: Rule) => void;
  /** false: evaluate every rule of a set instead of the rule index's candidates (for comparisons). */
  ruleIndexing?: boolean;
}

export interface QueryResult {
  expressions: { value: Value; text: string; location: { row: number; col: number } }[];
  bindings: Map<string, Value>;
}

/**
 * Thrown by eval with strictBuiltinErrors when builtins failed: the first builtin error (its code, message and
 * location), with the results the evaluation produced and all the builtin errors, as OPA returns both.
 */
export class StrictBuiltinError extends RegoError {
  constructor(
    readonly errors: RegoError[],
    readonly results: QueryResult[],
  ) {
    const first = errors[0] as RegoError;
    super(first.code, first.message, first.location, { cause: first.cause });
  }
}

export interface PreparedQuery {
  eval(opts?: EvalOptions): QueryResult[];
}

export interface Policy {
  readonly modules: Module[];
  prepare(query: string): PreparedQuery;
}

export function compilePolicy(opts: PolicyOptions): Policy {
  const regoVersion = opts.regoVersion ?? 1;
  const modules: Module[] = [];
  const errors: RegoError[] = [];
  for (const src of opts.modules ?? []) {
    try {
      modules.push(parseModule(src.file, src.text, { regoVersion }));
    } catch (e) {
      if (e instanceof RegoErrors) errors.push(...e.errors);
      else throw e;
    }
  }
  if (errors.length > 0) throw new RegoErrors(errors);
  const data = opts.data ?? new RObject();
  if (!(data instanceof RObject)) {
    throw new RegoErrors([new RegoError(ErrorCodes.compile, 'data must be an object')]);
  }
  const caps = opts.capabilities;
  const ctx = guard(() =>
    compileModules(modules, {
      regoVersion,
      strict: opts.strict ?? false,
      ...(caps ? { builtins: caps.builtins } : {}),
    }),
  );
  return new CompiledPolicy(ctx, data, regoVersion, caps?.allowNet);
}

/**
 * Replaces the text of every string term under `root` (compiled rules, a query body) by its internalized
 * copy. Ref segments (`input.request.object`) are string terms looked up in objects whose keys come from
 * JSON.parse (internalized): V8 then compares keys by pointer instead of by content, on every lookup of
 * every evaluation. The text is unchanged. Values (RObject, RSet) and locations are not walked.
 */
function internStrings(root: unknown): void {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const o = stack.pop();
    if (o === null || typeof o !== 'object' || seen.has(o)) continue;
    seen.add(o);
    if (o instanceof RObject || o instanceof RSet) continue;
    if (o instanceof Map) {
      for (const v of o.values()) stack.push(v);
      continue;
    }
    if (Array.isArray(o)) {
      for (const x of o) stack.push(x);
      continue;
    }
    const r = o as Record<string, unknown>;
    if (r.type === 'string' && typeof r.value === 'string') {
      r.value = intern(r.value);
      continue;
    }
    for (const k in r) {
      const x = r[k];
      if (typeof x === 'object' && x !== null && k !== 'loc') stack.push(x);
    }
  }
}

/** Internalized copies of the strings seen, bounded (cleared when it grows large). */
const interned = new Map<string, string>();

/** The internalized copy of a string (property keys are internalized). */
function intern(s: string): string {
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  const o: Record<string, number> = {};
  o[s] = 1;
  let out = s;
  for (const k in o) out = k;
  if (interned.size >= 50000) interned.clear();
  interned.set(out, out);
  return out;
}

function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RegoErrors || e instanceof RegoError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new RegoErrors([
      new RegoError(ErrorCodes.compile, `internal compiler error: ${msg}`, undefined, { cause: e }),
    ]);
  }
}

class CompiledPolicy implements Policy {
  readonly modules: Module[];
  private readonly prog: Program;

  constructor(
    private readonly ctx: CompileContext,
    private readonly data: RObject,
    private readonly regoVersion: 0 | 1,
    /** Hosts network builtins may reach (capabilities' allow_net); undefined: as the evaluation allows. */
    private readonly netHosts?: readonly string[],
  ) {
    this.modules = ctx.modules;
    const places = new Map<Rule, RulePlace>();
    const visit = (n: RuleNode): void => {
      const infos = [...n.complete, ...n.dynamic, ...n.multi, ...n.funcs, ...(n.defaultRule ? [n.defaultRule] : [])];
      const siblings = infos.map((i) => i.rule);
      for (const info of infos) {
        for (let r: Rule | undefined = info.rule; r; r = r.else) places.set(r, { path: n.path, siblings });
      }
      for (const c of n.children.values()) visit(c);
    };
    visit(ctx.tree);
    internStrings(ctx.tree);
    this.prog = { tree: ctx.tree, modules: ctx.modules, places };
  }

  prepare(query: string): PreparedQuery {
    const parsed = parseQuery(query, { regoVersion: this.regoVersion });
    const original = parsed.slice();
    const { body, renames, vars } = guard(() => compileQueryWithVars(this.ctx, parsed));
    internStrings(body);
    return new Prepared(this.prog, this.data, body, original, renames, vars, capturedTerm(body), this.netHosts);
  }
}

/**
 * The term whose value a one-expression query reports even when it is false, as OPA's rego package does
 * (`opa eval 'data.t.allow'` prints false, `1 == 2` too): a positive expression without `with`, other than
 * `=`/`:=`, and without iteration (no variables). Other queries keep topdown's rule that false is undefined.
 */
function capturedTerm(body: Body): Term | undefined {
  const e = body[0];
  if (body.length !== 1 || e === undefined || e.type !== 'expr' || e.negated || e.with.length > 0) return undefined;
  const t = e.term;
  if (t.type === 'call' && t.operator.terms.length === 1) {
    const op = t.operator.terms[0];
    if (op?.type === 'var' && (op.name === 'eq' || op.name === 'assign')) return undefined;
  }
  const vars = new Set<string>();
  exprVars(e, vars, false);
  for (const v of vars) if (v !== 'data' && v !== 'input') return undefined;
  return t;
}

function compileQueryWithVars(
  ctx: CompileContext,
  body: Body,
): { body: Body; renames: Map<string, string>; vars: string[] } {
  const r = compileQuery(ctx, body);
  // Query vars in order of first appearance (the compiled exprs keep their source order in `original`).
  const seen = new Set<string>();
  const vars: string[] = [];
  const sorted = r.body.slice().sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  for (const e of sorted) {
    const s = new Set<string>();
    if (e.type === 'every') {
      termVars(e.domain, s);
    } else exprVars(e, s, false);
    for (const v of s) {
      if (seen.has(v)) continue;
      seen.add(v);
      if (v === 'data' || v === 'input' || v.startsWith('$')) continue;
      if (v.startsWith('__local') && !r.renames.has(v)) continue;
      vars.push(v);
    }
  }
  return { ...r, vars };
}

class Prepared implements PreparedQuery {
  constructor(
    private readonly prog: Program,
    private readonly data: RObject,
    private readonly body: Body,
    private readonly original: Expr[],
    private readonly renames: Map<string, string>,
    private readonly vars: string[],
    private readonly captured: Term | undefined,
    private readonly netHosts?: readonly string[],
  ) {}

  eval(opts: EvalOptions = {}): QueryResult[] {
    const ev = new Evaluator(this.prog, this.data, {
      input: opts.input,
      collectBuiltinErrors: opts.strictBuiltinErrors === true || opts.builtinErrors !== undefined,
      print: opts.print ?? noPrint,
      nowNs: opts.nowNs ?? BigInt(Date.now()) * 1000000n,
      // capabilities that list hosts turn the network on for those hosts only; an empty list keeps it off
      allowNet: opts.allowNet ?? (this.netHosts !== undefined && this.netHosts.length > 0),
      netHosts: this.netHosts ? new Set(this.netHosts) : undefined,
      random: mulberry32(opts.seed ?? 0),
      onEval: opts.onEval,
      note: opts.note,
      onEnter: opts.onEnter,
      noRuleIndex: opts.ruleIndexing === false,
    });
    const st: RunState = {
      ev,
      body: this.body,
      original: this.original,
      renames: this.renames,
      vars: this.vars,
      captured: this.captured,
      results: [],
      values: new Map<Expr, Value>(),
      b: new Map<string, Value>(),
    };
    const results = st.results;
    try {
      runQuery(st, 0);
    } catch (e) {
      // As in OPA, a recorded builtin error is what strict mode reports, even when evaluation then halted.
      if (ev.builtinErrors.length > 0) this.builtinErrors(ev, opts, results);
      if (e instanceof RegoError) throw e;
      if (e instanceof RangeError)
        throw new RegoError(ErrorCodes.evalInternal, `evaluation failed: ${e.message}`, undefined, { cause: e });
      throw e;
    }
    if (ev.builtinErrors.length > 0) this.builtinErrors(ev, opts, results);
    return results;
  }

  private builtinErrors(ev: Evaluator, opts: EvalOptions, results: QueryResult[]): void {
    opts.builtinErrors?.push(...ev.builtinErrors);
    if (opts.strictBuiltinErrors) throw new StrictBuiltinError(ev.builtinErrors, results);
  }
}

/** The state of one query evaluation (module-level functions: no closures created per evaluation). */
interface RunState {
  ev: Evaluator;
  body: Body;
  original: Expr[];
  renames: Map<string, string>;
  vars: string[];
  captured: Term | undefined;
  results: QueryResult[];
  values: Map<Expr, Value>;
  b: Map<string, Value>;
}

function runQuery(st: RunState, i: number): boolean {
  const body = st.body;
  if (i === body.length) {
    const bindings = new Map<string, Value>();
    for (const v of st.vars) {
      const x = st.b.get(v);
      if (x !== undefined) bindings.set(st.renames.get(v) ?? v, x);
    }
    const expressions = st.original.map((e) => ({
      value: st.values.get(e) ?? true,
      text: e.loc.text ?? '',
      location: { row: e.loc.row, col: e.loc.col },
    }));
    st.results.push({ expressions, bindings });
    return false;
  }
  const e = body[i] as Expr;
  if (st.captured !== undefined) {
    return st.ev.evalTerm(st.captured, st.b, (v) => {
      st.values.set(st.original[0] as Expr, v);
      return runQuery(st, i + 1);
    });
  }
  return st.ev.evalExpr(
    e,
    st.b,
    () => runQuery(st, i + 1),
    (v) => st.values.set(e, v),
  );
}

function noPrint(): void {}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
