// The Rego evaluator (after OPA's topdown): a backtracking, continuation-passing interpreter over the
// compiled AST. Bindings live in one Map per rule evaluation; every binding is undone when its continuation
// returns. Continuations return true to stop the search (a solution that settles the answer was found).
//
// Documents under `data` are the merge of base documents (plain values) and virtual documents (rules),
// looked up through the rule tree. Rule values are memoised per evaluation (and per `with` scope).

import type { Body, CallTerm, EveryExpr, Expr, RefTerm, Rule, Term, TermExpr, VarTerm } from '../ast.ts';
import { implementations, declarations } from '../builtins/index.ts';
import { OperandError, type BuiltinContext, type BuiltinImpl } from '../builtins/builtin.ts';
import type { RuleInfo, RuleNode } from '../compiler/context.ts';
import { findNode } from '../compiler/context.ts';
import { opName } from '../compiler/check-safety.ts';
import { termVars } from '../compiler/terms.ts';
import { ErrorCodes, RegoError, RegoErrors, type Location } from '../errors.ts';
import { parseModule } from '../parser.ts';
import { moduleToValue } from './ast-json.ts';
import { BigNum, equal, keyOf, RObject, RSet, typeName, type Value } from '../value.ts';
import { formatValue } from './format.ts';
import { metadataChain, metadataRule, type RulePlace } from './metadata.ts';
import { isScalar, reducedBody, ROOT_DATA, ROOT_INPUT, ruleGuards, ruleIndex, type Guard } from './rule-index.ts';
import type { Module } from '../ast.ts';

/** What the evaluator needs from a compiled policy. */
export interface Program {
  tree: RuleNode;
  modules: Module[];
  places: Map<Rule, RulePlace>;
}

export type K = () => boolean;
export type VK = (v: Value) => boolean;
// Bindings: a var is bound when its entry holds a value; unbinding stores undefined instead of deleting the
// entry, so that a rule's map keeps one slot per var rather than filling with deleted entries and rehashing.
type B = Map<string, Value | undefined>;

export interface EvalConfig {
  input: Value | undefined;
  /**
   * Record builtin errors in `builtinErrors` (strict builtin errors, or an embedder's error list). A failing
   * builtin call is undefined either way and evaluation goes on, as in OPA.
   */
  collectBuiltinErrors: boolean;
  /** Receives print() output and the call's location (for `file:row:` prefixes as OPA's print hook gets). */
  print: (msg: string, location?: Location) => void;
  nowNs: bigint;
  allowNet: boolean;
  /** When set, the only hosts network builtins may reach. */
  netHosts?: ReadonlySet<string> | undefined;
  random: () => number;
  /** Optional tracer: called with every expression before it is evaluated (coverage); absent costs one check. */
  onEval?: ((e: Expr) => void) | undefined;
  /** Receives the notes of trace() calls (OPA's Note events, which `opa test`/Conftest reports show). */
  note?: ((msg: string, location?: Location) => void) | undefined;
  /**
   * Optional tracer: called as each rule body is entered (OPA's Enter events), with the rule's document name
   * (`data.kubernetes.is_service`) and the rule (its location); absent costs one check per rule.
   */
  onEnter?: ((name: string, rule: Rule) => void) | undefined;
  /** Evaluate every rule of a set instead of the candidates the rule index gives (for comparisons). */
  noRuleIndex?: boolean | undefined;
}

interface Override {
  path: string[];
  value: Value;
}

type Mock = { kind: 'value'; value: Value } | { kind: 'func'; name: string };

interface CallInfo {
  name: string;
  /** Operands before the optional output operand; undefined when variadic/unknown. */
  arity: number | undefined;
  node: RuleNode | undefined;
  impl: BuiltinImpl | undefined;
  relation: boolean;
  /** A plain builtin (an implementation, one result, not special-cased): ground calls take a fast path. */
  plain: boolean;
  /** What the evaluator does itself: OP_UNIFY (eq, assign), OP_MEMBER (`in`), OP_PRINT, or 0 (a call). */
  op: number;
}

const OP_UNIFY = 1;
const OP_MEMBER = 2;
const OP_PRINT = 3;

const SPECIAL_BUILTINS = new Set([
  'walk',
  'trace',
  'opa.runtime',
  'rego.metadata.rule',
  'rego.metadata.chain',
  'rego.parse_module',
  'print',
  'internal.print',
]);

/** groundCall's answer when an operand is not ground (the general path must iterate). */
const NOT_GROUND = Symbol('not ground');

const UNDEF = Symbol('undefined');

function returnTrue(): boolean {
  return true;
}

const callCache = new WeakMap<CallTerm, CallInfo>();
/** A rule-tree node's multi-value rules without a ref tail (`deny contains msg`), computed once. */
const plainMultiCache = new WeakMap<RuleNode, RuleInfo[]>();

const varsCache = new WeakMap<Term, string[]>();
const constCache = new WeakMap<Term, Value | typeof UNDEF>();

function varsOf(t: Term): string[] {
  let v = varsCache.get(t);
  if (v === undefined) {
    v = [...termVars(t, new Set(), false)].filter((n) => n !== 'data' && n !== 'input');
    varsCache.set(t, v);
  }
  return v;
}

/** The value of a term made only of scalars and composites of them; UNDEF otherwise. */
function constOf(t: Term): Value | typeof UNDEF {
  const c = constCache.get(t);
  if (c !== undefined) return c;
  let v: Value | typeof UNDEF = UNDEF;
  switch (t.type) {
    case 'null':
      v = null;
      break;
    case 'boolean':
    case 'string':
    case 'number':
      v = t.value;
      break;
    case 'array': {
      const out: Value[] = [];
      for (const x of t.items) {
        const y = constOf(x);
        if (y === UNDEF) {
          out.length = 0;
          v = UNDEF;
          break;
        }
        out.push(y);
      }
      if (out.length === t.items.length) v = out;
      break;
    }
    case 'set': {
      const s = new RSet();
      let ok = true;
      for (const x of t.items) {
        const y = constOf(x);
        if (y === UNDEF) {
          ok = false;
          break;
        }
        s.add(y);
      }
      if (ok) v = s;
      break;
    }
    case 'object': {
      const o = new RObject();
      let ok = true;
      for (const [k, x] of t.items) {
        const kk = constOf(k);
        const y = constOf(x);
        if (kk === UNDEF || y === UNDEF) {
          ok = false;
          break;
        }
        o.set(kk, y);
      }
      if (ok) v = o;
      break;
    }
    default:
      break;
  }
  constCache.set(t, v);
  return v;
}

function lookup(v: Value, key: Value): Value | undefined {
  if (v instanceof RObject) return typeof key === 'string' ? v.getStr(key) : v.get(key);
  if (Array.isArray(v)) {
    if (typeof key === 'number') return Number.isInteger(key) && key >= 0 ? v[key] : undefined;
    if (key !== null && typeof key === 'object' && !Array.isArray(key) && typeName(key) === 'number') {
      const n = Number((key as { approx: number }).approx);
      return Number.isInteger(n) && n >= 0 ? v[n] : undefined;
    }
    return undefined;
  }
  if (v instanceof RSet) return v.has(key) ? key : undefined;
  return undefined;
}

export class Evaluator {
  private input: Value | undefined;
  private overrides: Override[] = [];
  private mocks: Map<string, Mock> | undefined;
  private cache = new Map<RuleNode, Value | typeof UNDEF>();
  private readonly bctx: BuiltinContext & { location: Location | undefined };
  /** Builtin errors recorded in evaluation order (when cfg.collectBuiltinErrors). */
  readonly builtinErrors: RegoError[] = [];
  /** The rules being evaluated (innermost last), for rego.metadata.*. */
  readonly ruleStack: Rule[] = [];

  private readonly tree: RuleNode;
  constructor(
    private readonly prog: Program,
    private readonly data: RObject,
    private readonly cfg: EvalConfig,
  ) {
    this.tree = prog.tree;
    this.input = cfg.input;
    this.bctx = {
      location: undefined,
      cache: new Map(),
      nowNs: cfg.nowNs,
      allowNet: cfg.allowNet,
      netHosts: cfg.netHosts,
      print: cfg.print,
      random: cfg.random,
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Bodies and expressions

  evalBody(body: Body, i: number, b: B, k: K): boolean {
    if (i === body.length) return k();
    const e = body[i] as Expr;
    if (i === body.length - 1) return this.evalExpr(e, b, k);
    return this.evalExpr(e, b, () => this.evalBody(body, i + 1, b, k));
  }

  /** Evaluates one expression; `rec` receives the expression's value (queries report it). */
  evalExpr(e: Expr, b: B, k: K, rec?: (v: Value) => void): boolean {
    if (this.cfg.onEval !== undefined) this.cfg.onEval(e);
    if (e.with.length > 0) return this.evalWith(e, b, k, rec);
    return this.evalExprInner(e, b, k, rec);
  }

  private evalExprInner(e: Expr, b: B, k: K, rec?: (v: Value) => void): boolean {
    if (e.negated) {
      const found = this.evalPositive(e, b, returnTrue);
      if (found) return false;
      rec?.(true);
      return k();
    }
    return this.evalPositive(e, b, k, rec);
  }

  private evalPositive(e: Expr, b: B, k: K, rec?: (v: Value) => void): boolean {
    switch (e.type) {
      case 'expr':
        return this.evalTermExpr(e, b, k, rec);
      case 'some': {
        if (rec) rec(true);
        const calls = e.symbols.filter((s): s is CallTerm => s.type === 'call');
        if (calls.length === 0) return k();
        return this.someFrom(calls, 0, b, k);
      }
      case 'every':
        if (rec) rec(true);
        return this.evalEvery(e, b, k);
    }
  }

  private someFrom(calls: CallTerm[], i: number, b: B, k: K): boolean {
    if (i === calls.length) return k();
    return this.evalMember((calls[i] as CallTerm).args, b, () => this.someFrom(calls, i + 1, b, k));
  }

  private evalTermExpr(e: TermExpr, b: B, k: K, rec?: (v: Value) => void): boolean {
    const t = e.term;
    if (t.type === 'call') {
      const info = this.callInfo(t);
      switch (info.op) {
        case OP_UNIFY:
          if (t.args.length === 2)
            return this.unify(t.args[0] as Term, t.args[1] as Term, b, rec ? () => (rec(true), k()) : k);
          break;
        case OP_MEMBER: {
          // With every operand but the collection bound, `x in xs` is a test; otherwise it iterates.
          const pats = t.args.slice(0, -1);
          if (pats.every((p) => this.isGround(p, b))) break;
          return this.evalMember(t.args, b, rec ? () => (rec(true), k()) : k);
        }
        default:
          break;
      }
      const hasOut = info.arity !== undefined && t.args.length > info.arity;
      if (info.plain && this.mocks === undefined) {
        const res = this.groundCall(t, info, b);
        if (res !== NOT_GROUND) {
          if (res === undefined) return false;
          if (hasOut)
            return this.unifyValue(t.args[info.arity as number] as Term, res, b, rec ? () => (rec(true), k()) : k);
          if (res === false) return false;
          rec?.(res);
          return k();
        }
      }
      return this.evalCall(t, info, b, (res) => {
        if (hasOut)
          return this.unifyValue(t.args[info.arity as number] as Term, res, b, rec ? () => (rec(true), k()) : k);
        if (res === false) return false;
        rec?.(res);
        return k();
      });
    }
    if (this.isGround(t, b)) {
      const v = this.valueOf(t, b);
      if (v === undefined || v === false) return false;
      rec?.(v);
      return k();
    }
    return this.evalTerm(t, b, (v) => {
      if (v === false) return false;
      rec?.(v);
      return k();
    });
  }

  private evalWith(e: Expr, b: B, k: K, rec?: (v: Value) => void): boolean {
    // Evaluate the replacement values first (in the current scope).
    const targets: { target: RefTerm; value: Value | undefined; mock: Mock | undefined }[] = [];
    for (const w of e.with) {
      const name = refNameOf(w.target);
      const isFuncTarget = name !== undefined && this.isFunctionName(name);
      if (isFuncTarget) {
        const vname = w.value.type === 'ref' ? refNameOf(w.value) : w.value.type === 'var' ? w.value.name : undefined;
        if (vname !== undefined && this.isFunctionName(vname)) {
          targets.push({ target: w.target, value: undefined, mock: { kind: 'func', name: vname } });
          continue;
        }
      }
      let val: Value | undefined;
      this.evalTerm(w.value, b, (v) => {
        val = v;
        return true;
      });
      if (val === undefined) return false;
      targets.push({ target: w.target, value: val, mock: isFuncTarget ? { kind: 'value', value: val } : undefined });
    }
    const saved = this.saveState();
    for (const t of targets) {
      const name = refNameOf(t.target) as string;
      if (t.mock) {
        this.mocks = new Map(this.mocks ?? []);
        this.mocks.set(name, t.mock);
        continue;
      }
      const terms = t.target.terms;
      const head = terms[0] as VarTerm;
      const path = terms.slice(1).map((x) => (x as { value: string }).value);
      if (head.name === 'input') {
        this.input = path.length === 0 ? t.value : setIn(this.input, path, t.value as Value);
      } else {
        this.overrides = [...this.overrides, { path, value: t.value as Value }];
      }
    }
    this.cache = new Map();
    const inner = this.saveState();
    try {
      return this.evalExprInner(
        e,
        b,
        () => {
          this.restoreState(saved);
          try {
            return k();
          } finally {
            this.restoreState(inner);
          }
        },
        rec,
      );
    } finally {
      this.restoreState(saved);
    }
  }

  private saveState(): [
    Value | undefined,
    Override[],
    Map<string, Mock> | undefined,
    Map<RuleNode, Value | typeof UNDEF>,
  ] {
    return [this.input, this.overrides, this.mocks, this.cache];
  }

  private restoreState(
    s: [Value | undefined, Override[], Map<string, Mock> | undefined, Map<RuleNode, Value | typeof UNDEF>],
  ): void {
    [this.input, this.overrides, this.mocks, this.cache] = s;
  }

  private isFunctionName(name: string): boolean {
    if (name.startsWith('data.')) {
      const n = findNode(this.tree, name.split('.').slice(1));
      return n !== undefined && n.arity !== undefined;
    }
    return declarations.has(name) || name === 'print' || name === 'internal.print';
  }

  private evalEvery(e: EveryExpr, b: B, k: K): boolean {
    let ok = false;
    this.evalTerm(e.domain, b, (coll) => {
      ok = Array.isArray(coll) || coll instanceof RObject || coll instanceof RSet;
      if (Array.isArray(coll)) {
        for (let i = 0; i < coll.length; i++)
          if (!this.everyCheck(e, b, i, coll[i] as Value)) return ((ok = false), true);
      } else if (coll instanceof RObject) {
        for (const [kk, vv] of coll.entries()) if (!this.everyCheck(e, b, kk, vv)) return ((ok = false), true);
      } else if (coll instanceof RSet) {
        for (const x of coll.values()) if (!this.everyCheck(e, b, x, x)) return ((ok = false), true);
      }
      return false;
    });
    return ok ? k() : false;
  }

  /** Whether `every`'s body holds for one key/value of its domain. */
  private everyCheck(e: EveryExpr, b: B, key: Value, val: Value): boolean {
    if (e.key) return this.unifyValue(e.key, key, b, () => this.everyValue(e, b, val));
    return this.everyValue(e, b, val);
  }

  private everyValue(e: EveryExpr, b: B, val: Value): boolean {
    return this.unifyValue(e.value, val, b, () => this.evalBody(e.body, 0, b, returnTrue));
  }

  private evalMember(args: Term[], b: B, k: K): boolean {
    const coll = args[args.length - 1] as Term;
    const keyT = args.length === 3 ? (args[0] as Term) : undefined;
    const valT = args[args.length - 2] as Term;
    return this.evalTerm(coll, b, (c) => {
      if (Array.isArray(c)) {
        for (let i = 0; i < c.length; i++) {
          const r = keyT
            ? this.unifyValue(keyT, i, b, () => this.unifyValue(valT, c[i] as Value, b, k))
            : this.unifyValue(valT, c[i] as Value, b, k);
          if (r) return true;
        }
      } else if (c instanceof RObject) {
        for (const [kk, vv] of c.entries()) {
          const r = keyT
            ? this.unifyValue(keyT, kk, b, () => this.unifyValue(valT, vv, b, k))
            : this.unifyValue(valT, vv, b, k);
          if (r) return true;
        }
      } else if (c instanceof RSet) {
        for (const x of c.values()) {
          const r = keyT
            ? this.unifyValue(keyT, x, b, () => this.unifyValue(valT, x, b, k))
            : this.unifyValue(valT, x, b, k);
          if (r) return true;
        }
      }
      return false;
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Unification

  isGround(t: Term, b: B): boolean {
    const vs = varsOf(t);
    for (let i = 0; i < vs.length; i++) if (b.get(vs[i] as string) === undefined) return false;
    return true;
  }

  unify(a: Term, c: Term, b: B, k: K): boolean {
    if (a.type === 'var' && b.get(a.name) === undefined) {
      if (c.type === 'var' && b.get(c.name) === undefined) return false;
      if (this.isGround(c, b)) {
        const v = this.valueOf(c, b);
        return v === undefined ? false : this.bindVar(a.name, v, b, k);
      }
      return this.evalTerm(c, b, (v) => this.bindVar(a.name, v, b, k));
    }
    if (c.type === 'var' && b.get(c.name) === undefined)
      return this.evalTerm(a, b, (v) => this.bindVar(c.name, v, b, k));
    if (a.type === 'array' && c.type === 'array') {
      if (a.items.length !== c.items.length) return false;
      return this.unifyPairs(
        a.items.map((x, i) => [x, c.items[i] as Term]),
        b,
        k,
      );
    }
    if (a.type === 'object' && c.type === 'object') {
      if (a.items.length !== c.items.length) return false;
      if (!this.isGround(a, b) && !this.isGround(c, b)) {
        const pairs: [Term, Term][] = [];
        const ca = constKeys(a.items);
        const cc = constKeys(c.items);
        if (ca && cc) {
          for (const [kk, vt] of a.items) {
            const kv = constOf(kk) as Value;
            const other = c.items.find(([k2]) => equal(constOf(k2) as Value, kv));
            if (!other) return false;
            pairs.push([vt, other[1]]);
          }
          return this.unifyPairs(pairs, b, k);
        }
      }
    }
    if (this.isGround(a, b)) return this.evalTerm(a, b, (v) => this.unifyValue(c, v, b, k));
    if (this.isGround(c, b) || !isPattern(c)) return this.evalTerm(c, b, (v) => this.unifyValue(a, v, b, k));
    if (!isPattern(a)) return this.evalTerm(a, b, (v) => this.unifyValue(c, v, b, k));
    return false;
  }

  private unifyPairs(pairs: [Term, Term][], b: B, k: K): boolean {
    if (pairs.length === 0) return k();
    let idx = pairs.findIndex(([x, y]) => this.isGround(x, b) || this.isGround(y, b));
    if (idx < 0)
      idx = pairs.findIndex(
        ([x, y]) =>
          x.type === 'array' ||
          y.type === 'array' ||
          x.type === 'object' ||
          y.type === 'object' ||
          x.type === 'ref' ||
          y.type === 'ref',
      );
    if (idx < 0) return false;
    const [x, y] = pairs[idx] as [Term, Term];
    const rest = pairs.slice(0, idx).concat(pairs.slice(idx + 1));
    return this.unify(x, y, b, () => this.unifyPairs(rest, b, k));
  }

  private bindVar(name: string, v: Value, b: B, k: K): boolean {
    b.set(name, v);
    const r = k();
    b.set(name, undefined);
    return r;
  }

  /** Matches a term (a pattern possibly holding unbound vars) against a value. */
  unifyValue(t: Term, v: Value, b: B, k: K): boolean {
    switch (t.type) {
      case 'var': {
        const cur = b.get(t.name);
        if (cur !== undefined) return equal(cur, v) ? k() : false;
        b.set(t.name, v);
        const r = k();
        b.set(t.name, undefined);
        return r;
      }
      case 'string':
      case 'boolean':
        return t.value === v ? k() : false;
      case 'null':
        return v === null ? k() : false;
      case 'number':
        return equal(t.value, v) ? k() : false;
      case 'array': {
        if (!Array.isArray(v) || v.length !== t.items.length) return false;
        if (this.isGround(t, b)) break;
        return this.unifyItems(t.items, v, 0, b, k);
      }
      case 'object': {
        if (!(v instanceof RObject) || v.size !== t.items.length) return false;
        if (this.isGround(t, b)) break;
        return this.unifyEntries(t.items, v, 0, b, k);
      }
      default:
        break;
    }
    if (this.isGround(t, b)) {
      const x = this.valueOf(t, b);
      return x !== undefined && equal(x, v) ? k() : false;
    }
    return this.evalTerm(t, b, (x) => (equal(x, v) ? k() : false));
  }

  private unifyItems(items: Term[], v: Value[], i: number, b: B, k: K): boolean {
    if (i === v.length) return k();
    return this.unifyValue(items[i] as Term, v[i] as Value, b, () => this.unifyItems(items, v, i + 1, b, k));
  }

  private unifyEntries(items: [Term, Term][], v: RObject, i: number, b: B, k: K): boolean {
    if (i === items.length) return k();
    const [kt, vt] = items[i] as [Term, Term];
    return this.evalTerm(kt, b, (key) => {
      const x = v.get(key);
      if (x === undefined) return false;
      return this.unifyValue(vt, x, b, () => this.unifyEntries(items, v, i + 1, b, k));
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Terms

  /**
   * The single value of a term whose vars are all bound (a ground term has at most one value), with fast
   * paths for scalars, vars and plain refs; undefined when the term is undefined.
   */
  valueOf(t: Term, b: B): Value | undefined {
    switch (t.type) {
      case 'string':
      case 'number':
      case 'boolean':
        return t.value;
      case 'null':
        return null;
      case 'var': {
        const v = b.get(t.name);
        if (v !== undefined) return v;
        if (t.name === 'input') return this.input;
        break;
      }
      case 'ref': {
        const terms = t.terms;
        const head = terms[0] as Term;
        if (head.type !== 'var') break;
        let v = b.get(head.name);
        if (v === undefined) {
          if (head.name !== 'input') break;
          v = this.input;
          if (v === undefined) return undefined;
        }
        let i = 1;
        for (; i < terms.length; i++) {
          const seg = terms[i] as Term;
          let x: Value | undefined;
          if (seg.type === 'string')
            x = lookup(v, seg.value); // sets too: s["k"]
          else if (seg.type === 'var') {
            const key = b.get(seg.name);
            if (key === undefined) break;
            x = lookup(v, key);
          } else if (seg.type === 'number') x = lookup(v, seg.value);
          else break;
          if (x === undefined) return undefined;
          v = x;
        }
        if (i === terms.length) return v;
        break;
      }
      case 'array': {
        const c = constOf(t);
        if (c !== UNDEF) return c;
        const out: Value[] = new Array<Value>(t.items.length);
        for (let i = 0; i < t.items.length; i++) {
          const v = this.valueOf(t.items[i] as Term, b);
          if (v === undefined) return undefined;
          out[i] = v;
        }
        return out;
      }
      case 'object': {
        const c = constOf(t);
        if (c !== UNDEF) return c;
        const o = new RObject();
        for (const [kt, vt] of t.items) {
          const kv = this.valueOf(kt, b);
          if (kv === undefined) return undefined;
          const vv = this.valueOf(vt, b);
          if (vv === undefined) return undefined;
          o.set(kv, vv);
        }
        return o;
      }
      case 'call': {
        // A nested call (`count(x) > 0`): a plain builtin over ground operands runs directly.
        const info = this.callInfo(t);
        if (info.plain && this.mocks === undefined) {
          const r = this.groundCall(t, info, b);
          if (r !== NOT_GROUND) return r;
        }
        break;
      }
      default: {
        const c = constOf(t);
        if (c !== UNDEF) return c;
      }
    }
    let out: Value | undefined;
    this.evalTerm(t, b, (v) => ((out = v), true));
    return out;
  }

  evalTerm(t: Term, b: B, k: VK): boolean {
    switch (t.type) {
      case 'null':
        return k(null);
      case 'boolean':
      case 'string':
      case 'number':
        return k(t.value);
      case 'var': {
        const v = b.get(t.name);
        if (v !== undefined) return k(v);
        if (t.name === 'input') return this.input === undefined ? false : k(this.input);
        if (t.name === 'data') return this.evalDataRef([t], b, k);
        return false;
      }
      case 'ref':
        return this.evalRef(t, b, k);
      case 'array': {
        const c = constOf(t);
        if (c !== UNDEF) return k(c);
        return this.evalItems(t.items, new Array<Value>(t.items.length), 0, b, false, k);
      }
      case 'set': {
        const c = constOf(t);
        if (c !== UNDEF) return k(c);
        return this.evalItems(t.items, new Array<Value>(t.items.length), 0, b, true, k);
      }
      case 'object': {
        const c = constOf(t);
        if (c !== UNDEF) return k(c);
        const n = t.items.length;
        return this.evalEntries(t.items, new Array<Value>(n), new Array<Value>(n), 0, b, k);
      }
      case 'arraycompr': {
        const out: Value[] = [];
        this.evalBody(t.body, 0, b, () => {
          this.evalTerm(t.term, b, (v) => {
            out.push(v);
            return false;
          });
          return false;
        });
        return k(out);
      }
      case 'setcompr': {
        const out = new RSet();
        this.evalBody(t.body, 0, b, () => {
          this.evalTerm(t.term, b, (v) => {
            out.add(v);
            return false;
          });
          return false;
        });
        return k(out);
      }
      case 'objectcompr': {
        const out = new RObject();
        this.evalBody(t.body, 0, b, () => {
          this.evalTerm(t.key, b, (kv) =>
            this.evalTerm(t.value, b, (vv) => {
              const prev = out.get(kv);
              if (prev !== undefined && !equal(prev, vv)) {
                throw new RegoError(ErrorCodes.evalConflict, 'object keys must be unique', t.loc);
              }
              out.set(kv, vv);
              return false;
            }),
          );
          return false;
        });
        return k(out);
      }
      case 'call': {
        const info = this.callInfo(t);
        if (info.op === OP_MEMBER) {
          let found = false;
          this.evalMember(t.args, b, () => {
            found = true;
            return true;
          });
          return k(found);
        }
        if (info.op === OP_UNIFY) {
          let found = false;
          this.unify(t.args[0] as Term, t.args[1] as Term, b, () => ((found = true), true));
          return k(found);
        }
        if (info.plain && this.mocks === undefined) {
          const res = this.groundCall(t, info, b);
          if (res !== NOT_GROUND) return res === undefined ? false : k(res);
        }
        return this.evalCall(t, info, b, k);
      }
    }
  }

  /** Every combination of the items' values, as an array (or a set when `asSet`). */
  private evalItems(items: Term[], out: Value[], i: number, b: B, asSet: boolean, k: VK): boolean {
    if (i === items.length) return k(asSet ? RSet.from(out) : out.slice());
    return this.evalTerm(items[i] as Term, b, (v) => {
      out[i] = v;
      return this.evalItems(items, out, i + 1, b, asSet, k);
    });
  }

  private evalEntries(items: [Term, Term][], keys: Value[], vals: Value[], i: number, b: B, k: VK): boolean {
    if (i === items.length) {
      const o = new RObject();
      for (let j = 0; j < keys.length; j++) o.set(keys[j] as Value, vals[j] as Value);
      return k(o);
    }
    const [kt, vt] = items[i] as [Term, Term];
    return this.evalTerm(kt, b, (kv) =>
      this.evalTerm(vt, b, (vv) => {
        keys[i] = kv;
        vals[i] = vv;
        return this.evalEntries(items, keys, vals, i + 1, b, k);
      }),
    );
  }

  private evalRef(t: RefTerm, b: B, k: VK): boolean {
    const terms = t.terms;
    const head = terms[0] as Term;
    if (head.type === 'var') {
      const v = b.get(head.name);
      if (v !== undefined) return this.evalRefRest(v, terms, 1, b, k);
      if (head.name === 'data') return this.evalDataRef(terms, b, k);
      if (head.name === 'input') return this.input === undefined ? false : this.evalRefRest(this.input, terms, 1, b, k);
      return false;
    }
    return this.evalTerm(head, b, (v) => this.evalRefRest(v, terms, 1, b, k));
  }

  /** Applies ref segments terms[i..] to a value, iterating over collections for unbound segments. */
  evalRefRest(v: Value, terms: Term[], i: number, b: B, k: VK, base = false): boolean {
    for (; i < terms.length; i++) {
      const seg = terms[i] as Term;
      let key: Value | undefined;
      if (seg.type === 'string') key = seg.value;
      else if (seg.type === 'var') {
        key = b.get(seg.name);
        if (key === undefined) return this.iterate(v, seg, terms, i, b, k);
      } else if (seg.type === 'number' || seg.type === 'boolean' || seg.type === 'null')
        key = seg.type === 'null' ? null : seg.value;
      else if (this.isGround(seg, b)) {
        const j = i;
        return this.evalTerm(seg, b, (kv) => {
          let x = lookup(v, kv);
          if (x === undefined && base && typeof kv === 'number' && v instanceof RObject) x = v.getStr(String(kv));
          return x === undefined ? false : this.evalRefRest(x, terms, j + 1, b, k, base);
        });
      } else return this.iterate(v, seg, terms, i, b, k);
      let x = lookup(v, key);
      if (x === undefined) {
        // Base documents are addressed by path strings: data.a[2] reads the key "2".
        if (base && typeof key === 'number' && v instanceof RObject) x = v.getStr(String(key));
        if (x === undefined) return false;
      }
      v = x;
    }
    return k(v);
  }

  private iterate(v: Value, seg: Term, terms: Term[], i: number, b: B, k: VK): boolean {
    if (seg.type === 'var' && Array.isArray(v) && b.get(seg.name) === undefined) {
      // The common `xs[_]`: bind the fresh var to each index in turn, without a continuation per element.
      const name = seg.name;
      try {
        for (let j = 0; j < v.length; j++) {
          b.set(name, j);
          if (this.evalRefRest(v[j] as Value, terms, i + 1, b, k)) return true;
        }
      } finally {
        b.set(name, undefined);
      }
      return false;
    }
    if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) {
        const x = v[j] as Value;
        if (this.unifyValue(seg, j, b, () => this.evalRefRest(x, terms, i + 1, b, k))) return true;
      }
    } else if (v instanceof RObject) {
      for (const [kk, x] of v.entries()) {
        if (this.unifyValue(seg, kk, b, () => this.evalRefRest(x, terms, i + 1, b, k))) return true;
      }
    } else if (v instanceof RSet) {
      for (const x of v.values()) {
        if (this.unifyValue(seg, x, b, () => this.evalRefRest(x, terms, i + 1, b, k))) return true;
      }
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------------------
  // The data document: base documents merged with rules

  evalDataRef(terms: Term[], b: B, k: VK): boolean {
    return this.walkData(this.tree, this.data, terms, 1, this.overrides.length > 0 ? [] : undefined, b, k);
  }

  private walkData(
    node: RuleNode | undefined,
    base: Value | undefined,
    terms: Term[],
    i: number,
    path: string[] | undefined,
    b: B,
    k: VK,
  ): boolean {
    if (path) {
      const ov = this.overrideAt(path);
      if (ov !== undefined) return ov === UNDEF_VALUE ? false : this.evalRefRest(ov, terms, i, b, k);
    }
    if (node === undefined || !node.hasRules) {
      let v = base;
      if (path) v = this.patchBelow(v, path);
      if (v === undefined) return false;
      return this.evalRefRest(v, terms, i, b, k, true);
    }
    if (node.hasOwnRules || i === terms.length) {
      let v = this.nodeValue(node, base);
      if (path) v = this.patchBelow(v, path);
      if (v === undefined) return false;
      return this.evalRefRest(v, terms, i, b, k);
    }
    const seg = terms[i] as Term;
    let key: Value | undefined;
    if (seg.type === 'string') key = seg.value;
    else if (seg.type === 'var') key = b.get(seg.name);
    if (key === undefined && seg.type !== 'var' && this.isGround(seg, b)) {
      return this.evalTerm(seg, b, (kv) => this.stepData(node, base, kv, terms, i, path, b, k));
    }
    if (key === undefined) {
      let v = this.nodeValue(node, base);
      if (path) v = this.patchBelow(v, path);
      if (v === undefined) return false;
      return this.evalRefRest(v, terms, i, b, k);
    }
    return this.stepData(node, base, key, terms, i, path, b, k);
  }

  private stepData(
    node: RuleNode,
    base: Value | undefined,
    key: Value,
    terms: Term[],
    i: number,
    path: string[] | undefined,
    b: B,
    k: VK,
  ): boolean {
    if (typeof key === 'number' && Number.isInteger(key)) key = String(key);
    if (typeof key === 'string') {
      const child = node.children.get(key);
      const cb = base instanceof RObject ? base.getStr(key) : undefined;
      if (child) return this.walkData(child, cb, terms, i + 1, path ? [...path, key] : undefined, b, k);
      if (path) return this.walkData(undefined, cb, terms, i + 1, [...path, key], b, k);
      if (cb === undefined) return false;
      return this.evalRefRest(cb, terms, i + 1, b, k, true);
    }
    if (base === undefined) return false;
    const x = lookup(base, key);
    return x === undefined ? false : this.evalRefRest(x, terms, i + 1, b, k);
  }

  private overrideAt(path: string[]): Value | undefined {
    for (let j = this.overrides.length - 1; j >= 0; j--) {
      const o = this.overrides[j] as Override;
      if (o.path.length > path.length) continue;
      let match = true;
      for (let x = 0; x < o.path.length; x++) if (o.path[x] !== path[x]) match = false;
      if (!match) continue;
      // An override at or above this path: look the rest up inside it.
      let v: Value | undefined = o.value;
      for (let x = o.path.length; x < path.length && v !== undefined; x++) v = lookup(v, path[x] as string);
      return v === undefined ? UNDEF_VALUE : v;
    }
    return undefined;
  }

  private patchBelow(v: Value | undefined, path: string[]): Value | undefined {
    for (const o of this.overrides) {
      if (o.path.length <= path.length) continue;
      let match = true;
      for (let x = 0; x < path.length; x++) if (o.path[x] !== path[x]) match = false;
      if (!match) continue;
      v = setIn(v, o.path.slice(path.length), o.value);
    }
    return v;
  }

  /** The full value of a rule-tree node: its rules' values merged with base data below it. */
  nodeValue(node: RuleNode, base?: Value): Value | undefined {
    const c = this.cache.get(node);
    if (c !== undefined) return c === UNDEF ? undefined : c;
    if (base === undefined && node.path.length > 0) base = this.baseAt(node.path);
    else if (node.path.length === 0) base = this.data;
    const v = this.computeNode(node, base);
    this.cache.set(node, v === undefined ? UNDEF : v);
    return v;
  }

  private baseAt(path: string[]): Value | undefined {
    let v: Value | undefined = this.data;
    for (const p of path) {
      if (!(v instanceof RObject)) return undefined;
      v = v.getStr(p);
    }
    return v;
  }

  private computeNode(node: RuleNode, base: Value | undefined): Value | undefined {
    if (node.arity !== undefined) return undefined;
    if (node.complete.length > 0 || (node.defaultRule && node.defaultRule.kind !== 'func')) {
      const v = this.evalComplete(node);
      if (v !== undefined || (node.children.size === 0 && node.dynamic.length === 0)) return v;
    }
    let result: Value | undefined;
    let plainMulti = plainMultiCache.get(node);
    if (plainMulti === undefined) {
      plainMulti = node.multi.filter((m) => m.rest.length === 0);
      plainMultiCache.set(node, plainMulti);
    }
    if (plainMulti.length > 0) {
      const s = new RSet();
      const cand = this.candidates(plainMulti, undefined);
      if (cand === undefined) for (let j = 0; j < plainMulti.length; j++) this.evalMulti(plainMulti[j] as RuleInfo, s);
      else for (let j = 0; j < cand.length; j++) this.evalMulti(plainMulti[cand[j] as number] as RuleInfo, s);
      if (node.children.size === 0 && node.dynamic.length === 0 && plainMulti.length === node.multi.length) return s;
      result = s;
    }
    const ownedSets = new Set<RSet>();
    if (result instanceof RSet) ownedSets.add(result);
    if (!node.hasOwnRules && !(base instanceof RObject) && base !== undefined) return base;
    const owned = new Set<RObject>();
    const obj = base instanceof RObject ? base.clone() : new RObject();
    owned.add(obj);
    for (const child of node.children.values()) {
      const cb = base instanceof RObject ? base.getStr(child.key) : undefined;
      // Where a base document and a rule share a path, the base document is kept (as OPA does).
      if (cb !== undefined && child.hasOwnRules) continue;
      const cv = child.hasRules ? this.nodeValue(child, cb) : cb;
      if (cv !== undefined) obj.set(child.key, cv);
    }
    if (node.dynamic.length > 0) {
      const cand = this.candidates(node.dynamic, undefined);
      const n = cand === undefined ? node.dynamic.length : cand.length;
      for (let j = 0; j < n; j++)
        this.evalDynamic(node.dynamic[cand === undefined ? j : (cand[j] as number)] as RuleInfo, obj, owned);
    }
    if (node.multi.length > 0 && plainMulti.length < node.multi.length) {
      const cand = this.candidates(node.multi, undefined);
      const n = cand === undefined ? node.multi.length : cand.length;
      for (let j = 0; j < n; j++) {
        const info = node.multi[cand === undefined ? j : (cand[j] as number)] as RuleInfo;
        if (info.rest.length > 0) this.evalMultiRef(info, obj, owned, ownedSets);
      }
    }
    if (result !== undefined && obj.size === 0) return result;
    return obj;
  }

  private evalComplete(node: RuleNode): Value | undefined {
    let out: Value | undefined;
    const list = node.complete;
    const cand = this.candidates(list, undefined);
    const n = cand === undefined ? list.length : cand.length;
    for (let j = 0; j < n; j++) {
      const info = list[cand === undefined ? j : (cand[j] as number)] as RuleInfo;
      this.evalRuleChain(info, node, (v, r) => {
        if (out === undefined) {
          out = v;
        } else if (!equal(out, v)) {
          throw new RegoError(ErrorCodes.evalConflict, 'complete rules must not produce multiple outputs', r.loc);
        }
      });
    }
    if (out === undefined && node.defaultRule && node.defaultRule.kind !== 'func') {
      const d = node.defaultRule.rule;
      const b: B = new Map();
      this.evalTerm(d.head.value ?? TRUE_TERM, b, (v) => ((out = v), true));
    }
    return out;
  }

  /** Evaluates a single-value rule and its else chain; `emit` receives each value. */
  private evalRuleChain(info: RuleInfo, node: RuleNode, emit: (v: Value, r: Rule) => void, args?: Value[]): void {
    const rule = info.rule;
    const params = rule.head.args;
    const chain = rule.else !== undefined && this.indexing();
    for (let r: Rule | undefined = rule; r; r = r.else) {
      const cur = r;
      // In an else chain, a rule whose guards fail has no solution: go on with the next one.
      if (chain && !this.guardsHold(ruleGuards(cur, params, this.tree), args)) continue;
      if (this.cfg.onEnter !== undefined) this.cfg.onEnter(node.name, cur);
      const b: B = new Map();
      const valueTerm = cur.head.value ?? TRUE_TERM;
      const constant = constOf(valueTerm) !== UNDEF;
      const st = { found: false };
      this.ruleStack.push(cur);
      try {
        if (params && args) {
          this.unifyParams(params, args, 0, b, () =>
            this.ruleBody(cur, this.bodyOf(info, cur), b, valueTerm, constant, st, emit),
          );
        } else this.ruleBody(cur, this.bodyOf(info, cur), b, valueTerm, constant, st, emit);
      } finally {
        this.ruleStack.pop();
      }
      if (st.found) return;
    }
  }

  private unifyParams(params: Term[], args: Value[], i: number, b: B, k: K): boolean {
    if (i === params.length) return k();
    return this.unifyValue(params[i] as Term, args[i] as Value, b, () => this.unifyParams(params, args, i + 1, b, k));
  }

  /** One rule body; each solution's value goes to `emit` (a constant value settles the rule). */
  private ruleBody(
    cur: Rule,
    body: Body,
    b: B,
    valueTerm: Term,
    constant: boolean,
    st: { found: boolean },
    emit: (v: Value, r: Rule) => void,
  ): boolean {
    return this.evalBody(body, 0, b, () =>
      this.evalTerm(valueTerm, b, (v) => {
        st.found = true;
        emit(v, cur);
        return constant;
      }),
    );
  }

  private evalMulti(info: RuleInfo, out: RSet): void {
    const r = info.rule;
    if (this.cfg.onEnter !== undefined) this.cfg.onEnter(info.node.name, r);
    const b: B = new Map();
    const key = r.head.key as Term;
    this.ruleStack.push(r);
    try {
      this.evalBody(this.bodyOf(info, r), 0, b, () =>
        this.evalTerm(key, b, (v) => {
          out.add(v);
          return false;
        }),
      );
    } finally {
      this.ruleStack.pop();
    }
  }

  private evalRestKeys(rest: Term[], b: B, k: (keys: Value[]) => boolean): boolean {
    return this.restKeysFrom(rest, new Array<Value>(rest.length), 0, b, k);
  }

  private restKeysFrom(rest: Term[], keys: Value[], i: number, b: B, k: (keys: Value[]) => boolean): boolean {
    if (i === rest.length) return k(keys.slice());
    return this.evalTerm(rest[i] as Term, b, (v) => {
      keys[i] = v;
      return this.restKeysFrom(rest, keys, i + 1, b, k);
    });
  }

  private evalDynamic(info: RuleInfo, obj: RObject, owned: Set<RObject>): void {
    const chain = info.rule.else !== undefined && this.indexing();
    for (let r: Rule | undefined = info.rule; r; r = r.else) {
      const cur = r;
      if (chain && !this.guardsHold(ruleGuards(cur, undefined, this.tree), undefined)) continue;
      if (this.cfg.onEnter !== undefined) this.cfg.onEnter(info.node.name, cur);
      const b: B = new Map();
      let found = false;
      this.ruleStack.push(cur);
      try {
        this.evalBody(this.bodyOf(info, cur), 0, b, () =>
          this.evalRestKeys(info.rest, b, (keys) =>
            this.evalTerm(cur.head.value ?? TRUE_TERM, b, (v) => {
              found = true;
              insertAt(obj, keys, v, owned, cur.loc);
              return false;
            }),
          ),
        );
      } finally {
        this.ruleStack.pop();
      }
      if (found) return;
    }
  }

  private evalMultiRef(info: RuleInfo, obj: RObject, owned: Set<RObject>, ownedSets: Set<RSet>): void {
    const r = info.rule;
    if (this.cfg.onEnter !== undefined) this.cfg.onEnter(info.node.name, r);
    const b: B = new Map();
    this.ruleStack.push(r);
    try {
      this.evalBody(this.bodyOf(info, r), 0, b, () =>
        this.evalRestKeys(info.rest, b, (keys) =>
          this.evalTerm(r.head.key as Term, b, (v) => {
            insertSetElem(obj, keys, v, owned, ownedSets, r.loc);
            return false;
          }),
        ),
      );
    } finally {
      this.ruleStack.pop();
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Rule indexing (see rule-index.ts)

  /**
   * The indices of the rules of a set that may have solutions for the current input (and function
   * arguments), ascending; undefined when every rule must be evaluated (no index for the set).
   */
  private candidates(list: RuleInfo[], args: Value[] | undefined): readonly number[] | undefined {
    if (!this.indexing()) return undefined;
    const ix = ruleIndex(list, this.tree);
    if (ix === null) return undefined;
    // Each source (the rules always evaluated, each group's bucket) is ascending; merged at the end.
    let first: readonly number[] | undefined = ix.always.length > 0 ? ix.always : undefined;
    let more: (readonly number[])[] | undefined;
    if (ix.checked.size > 0) {
      const kept: number[] = [];
      for (const [i, gs] of ix.checked) if (this.guardsHold(gs, args)) kept.push(i);
      if (kept.length > 0) {
        if (first === undefined) first = kept;
        else (more ??= []).push(kept);
      }
    }
    for (let g = 0; g < ix.groups.length; g++) {
      const grp = ix.groups[g] as (typeof ix.groups)[number];
      const v = this.guardValue(grp.guard, args);
      if (v === undefined || !isScalar(v)) continue;
      let bucket: readonly number[] | undefined = grp.buckets.get(keyOf(v));
      if (bucket === undefined) continue;
      if (grp.residual.size > 0) {
        const kept: number[] = [];
        for (let j = 0; j < bucket.length; j++) {
          const i = bucket[j] as number;
          const res = grp.residual.get(i);
          if (res === undefined || this.guardsHold(res, args)) kept.push(i);
        }
        bucket = kept;
      }
      if (first === undefined) first = bucket;
      else (more ??= []).push(bucket);
    }
    if (first === undefined) return EMPTY_INDICES;
    if (more === undefined) return first;
    if (more.length === 1) return mergeAscending(first, more[0] as readonly number[]);
    return first.concat(...more).sort(ascending);
  }

  /**
   * The body to evaluate for a rule: with the index on, every rule evaluated went through candidates() or
   * an else-chain check, so its guards hold and their expressions are left out (unless expressions are
   * traced, which must see them).
   */
  private bodyOf(info: RuleInfo, r: Rule): Body {
    if (!this.indexing() || this.cfg.onEval !== undefined) return r.body;
    if (r === info.rule) return (info.reduced ??= reducedBody(r, r.head.args, this.tree));
    return reducedBody(r, info.rule.head.args, this.tree);
  }

  /**
   * Whether rule sets are evaluated through the index: not when asked not to, nor under a `with` that
   * replaces functions (a replaced builtin could make a guard expression true where the real one is not).
   */
  private indexing(): boolean {
    return this.cfg.noRuleIndex !== true && this.mocks === undefined;
  }

  /** Whether every guard admits the current value of its ref. */
  private guardsHold(gs: Guard[], args: Value[] | undefined): boolean {
    for (let i = 0; i < gs.length; i++) {
      const g = gs[i] as Guard;
      const v = this.guardValue(g, args);
      if (v === undefined || !isScalar(v)) return false;
      if (g.glob !== undefined) {
        if (typeof v !== 'string' || !this.globMatches(g.glob, v)) return false;
      } else if (!g.keys.has(keyOf(v))) return false;
    }
    return true;
  }

  /** glob.match for a glob guard (an error, like a false result, leaves the rule out, as OPA's index does). */
  private globMatches(glob: [string, Value], v: string): boolean {
    const impl = implementations.get('glob.match');
    if (impl === undefined) return true;
    try {
      return impl([glob[0], glob[1], v], this.bctx) === true;
    } catch {
      return false;
    }
  }

  /** The value at a guard's ref: input and arguments directly, data refs as evaluation reads them. */
  private guardValue(g: Guard, args: Value[] | undefined): Value | undefined {
    let v: Value | undefined;
    if (g.root === ROOT_INPUT) v = this.input;
    else if (g.root === ROOT_DATA) return this.valueOf(g.ref as RefTerm, new Map());
    else v = args === undefined ? undefined : args[g.root];
    const p = g.path;
    for (let i = 0; i < p.length && v !== undefined; i++) v = lookup(v, p[i] as string | number);
    return v;
  }

  // -------------------------------------------------------------------------------------------------------
  // Calls

  private callInfo(t: CallTerm): CallInfo {
    let info = callCache.get(t);
    if (info) return info;
    const name = opName(t) ?? '';
    let node: RuleNode | undefined;
    let arity: number | undefined;
    let impl: BuiltinImpl | undefined;
    let relation = false;
    if (name.startsWith('data.')) {
      node = findNode(this.tree, name.split('.').slice(1));
      arity = node?.arity;
    } else {
      const d = declarations.get(name);
      if (d) {
        arity = d.decl.variadic ? undefined : (d.decl.args?.length ?? 0);
        relation = d.relation === true;
      }
      impl = implementations.get(name);
      if (name === 'internal.member_2') arity = 2;
      if (name === 'internal.member_3') arity = 3;
    }
    const plain = impl !== undefined && !relation && node === undefined && !SPECIAL_BUILTINS.has(name);
    const op =
      name === 'eq' || name === 'assign'
        ? OP_UNIFY
        : name === 'internal.member_2' || name === 'internal.member_3'
          ? OP_MEMBER
          : name === 'print' || name === 'internal.print'
            ? OP_PRINT
            : 0;
    info = { name, arity, node, impl, relation, plain, op };
    callCache.set(t, info);
    return info;
  }

  private evalCall(t: CallTerm, info: CallInfo, b: B, k: VK): boolean {
    const n = info.arity !== undefined && t.args.length > info.arity ? info.arity : t.args.length;
    if (info.op === OP_PRINT) return this.evalPrint(t, b, k);
    const args: Value[] = new Array<Value>(n);
    let ground = true;
    for (let i = 0; i < n; i++) {
      if (!this.isGround(t.args[i] as Term, b)) {
        ground = false;
        break;
      }
    }
    if (ground) {
      for (let i = 0; i < n; i++) {
        const v = this.valueOf(t.args[i] as Term, b);
        if (v === undefined) return false;
        args[i] = v;
      }
      return this.invoke(info, args, t, k);
    }
    let order: number[] | undefined;
    for (let i = 0; i < n; i++) {
      const a = t.args[i] as Term;
      if (a.type === 'var' && b.get(a.name) === undefined) {
        // A plain var bound by another operand's iteration (`x == xs[x]`): evaluate it last.
        order = [...Array(n).keys()].sort(
          (x, y) => Number(isUnboundVar(t.args[x] as Term, b)) - Number(isUnboundVar(t.args[y] as Term, b)),
        );
        break;
      }
    }
    return this.callArgsFrom(t, info, args, order, n, 0, b, k);
  }

  private callArgsFrom(
    t: CallTerm,
    info: CallInfo,
    args: Value[],
    order: number[] | undefined,
    n: number,
    j: number,
    b: B,
    k: VK,
  ): boolean {
    if (j === n) return this.invoke(info, args.slice(), t, k);
    const i = order ? (order[j] as number) : j;
    return this.evalTerm(t.args[i] as Term, b, (v) => {
      args[i] = v;
      return this.callArgsFrom(t, info, args, order, n, j + 1, b, k);
    });
  }

  private invoke(info: CallInfo, args: Value[], t: CallTerm, k: VK): boolean {
    const mock = this.mocks?.get(info.name);
    if (mock) {
      if (mock.kind === 'value') return k(mock.value);
      const target = this.infoByName(mock.name);
      // A replacement runs without any mocks: it may call the original, and mocks do not chain.
      const saved = this.saveState();
      this.mocks = undefined;
      this.cache = new Map();
      let v: Value | undefined;
      try {
        this.invoke(target, args, t, (x) => ((v = x), true));
      } finally {
        this.restoreState(saved);
      }
      return v === undefined ? false : k(v);
    }
    if (info.node && info.node.funcs.length === 0 && args.length === 0 && info.name.startsWith('data.')) {
      // `f()` calls a rule defined as `f() = x { ... }` (a rule, not a function, as in OPA): its value.
      const segs = info.name.split('.').slice(1);
      const ref: RefTerm = {
        type: 'ref',
        terms: [
          { type: 'var', name: 'data', loc: t.loc },
          ...segs.map((value) => ({ type: 'string' as const, value, loc: t.loc })),
        ],
        loc: t.loc,
      };
      return this.evalTerm(ref, new Map(), k);
    }
    if (info.node) {
      const v = this.callFunction(info.node, args, t);
      return v === undefined ? false : k(v);
    }
    const special = this.specialBuiltin(info.name, args, t);
    if (special !== NOT_SPECIAL) {
      if (special === undefined) return false;
      if (info.relation && Array.isArray(special)) {
        for (const r of special) if (k(r)) return true;
        return false;
      }
      return k(special);
    }
    const impl = info.impl;
    if (!impl) {
      if (info.name.startsWith('data.')) return false;
      throw new RegoError(ErrorCodes.evalInternal, `unsupported built-in function ${info.name}`, t.loc);
    }
    const res = this.callImpl(impl, info, args, t);
    if (res === undefined) return false;
    if (info.relation && Array.isArray(res)) {
      for (const r of res) if (k(r)) return true;
      return false;
    }
    return k(res);
  }

  /** Runs a builtin's implementation; a failure makes the call undefined (recorded when asked for). */
  private callImpl(impl: BuiltinImpl, info: CallInfo, args: Value[], t: CallTerm): Value | undefined {
    this.bctx.location = t.loc;
    try {
      return impl(args, this.bctx);
    } catch (err) {
      if (err instanceof RegoError) throw err;
      // A failing builtin makes its call undefined; the error is recorded (OPA's builtinErrors) when asked for.
      if (this.cfg.collectBuiltinErrors) {
        const msg = `${info.name}: ${err instanceof Error ? err.message : String(err)}`;
        const code = err instanceof OperandError ? ErrorCodes.evalType : ErrorCodes.evalBuiltin;
        this.builtinErrors.push(new RegoError(code, msg, t.loc, { cause: err }));
      }
      return undefined;
    }
  }

  /**
   * A plain builtin call whose operands are all ground, without continuations: its result, undefined when an
   * operand or the call is undefined, or NOT_GROUND when an operand has unbound vars (use evalCall).
   */
  private groundCall(t: CallTerm, info: CallInfo, b: B): Value | undefined | typeof NOT_GROUND {
    const n = info.arity !== undefined && t.args.length > info.arity ? info.arity : t.args.length;
    for (let i = 0; i < n; i++) if (!this.isGround(t.args[i] as Term, b)) return NOT_GROUND;
    const args: Value[] = new Array<Value>(n);
    for (let i = 0; i < n; i++) {
      const v = this.valueOf(t.args[i] as Term, b);
      if (v === undefined) return undefined;
      args[i] = v;
    }
    return this.callImpl(info.impl as BuiltinImpl, info, args, t);
  }

  private infoByName(name: string): CallInfo {
    const fake: CallTerm = {
      type: 'call',
      operator: {
        type: 'ref',
        terms: name
          .split('.')
          .map((p, i) => (i === 0 ? { type: 'var', name: p, loc: NOLOC } : { type: 'string', value: p, loc: NOLOC })),
        loc: NOLOC,
      },
      args: [],
      loc: NOLOC,
    };
    if (this.byName === undefined) this.byName = new Map();
    const cached = this.byName.get(name);
    if (cached) return cached;
    const info = this.callInfo(fake);
    this.byName.set(name, info);
    return info;
  }
  private byName: Map<string, CallInfo> | undefined;

  callFunction(node: RuleNode, args: Value[], t: CallTerm): Value | undefined {
    // Memoised per evaluation and `with` scope (a new rule cache is a new scope), as OPA caches function
    // results for ground arguments: same function, same arguments → the cached result.
    if (this.funcCache === undefined) this.funcCache = new WeakMap();
    let scope = this.funcCache.get(this.cache);
    if (scope === undefined) this.funcCache.set(this.cache, (scope = new Map()));
    let memo = scope.get(node);
    if (memo === undefined) scope.set(node, (memo = new Map()));
    const key = argsKey(args);
    const hit = memo.get(key);
    if (hit !== undefined) return hit === UNDEF ? undefined : hit;
    const out = this.callFunctionUncached(node, args, t);
    memo.set(key, out === undefined ? UNDEF : out);
    return out;
  }

  /** Function results by rule cache (one per `with` scope), function and argsKey. */
  private funcCache: WeakMap<object, Map<RuleNode, Map<string, Value | typeof UNDEF>>> | undefined;

  private callFunctionUncached(node: RuleNode, args: Value[], t: CallTerm): Value | undefined {
    let out: Value | undefined;
    const list = node.funcs;
    const cand = this.candidates(list, args);
    const n = cand === undefined ? list.length : cand.length;
    for (let j = 0; j < n; j++) {
      const info = list[cand === undefined ? j : (cand[j] as number)] as RuleInfo;
      this.evalRuleChain(
        info,
        node,
        (v) => {
          if (out === undefined) out = v;
          else if (!equal(out, v)) {
            throw new RegoError(
              ErrorCodes.evalConflict,
              'functions must not produce multiple outputs for same inputs',
              t.loc,
            );
          }
        },
        args,
      );
    }
    if (out === undefined && node.defaultRule) {
      const b: B = new Map();
      this.evalTerm(node.defaultRule.rule.head.value ?? TRUE_TERM, b, (v) => ((out = v), true));
    }
    return out;
  }

  private specialBuiltin(name: string, args: Value[], t: CallTerm): Value | undefined | typeof NOT_SPECIAL {
    switch (name) {
      case 'walk':
        return walkRelation(args[0] as Value);
      case 'trace':
        if (this.cfg.note !== undefined && typeof args[0] === 'string') this.cfg.note(args[0], t.loc);
        return true;
      case 'opa.runtime':
        // No runtime information is configured for an embedded engine (what OPA returns then).
        return new RObject();
      case 'rego.metadata.rule':
        return metadataRule(this.ruleStack[this.ruleStack.length - 1]);
      case 'rego.metadata.chain': {
        const r = this.ruleStack[this.ruleStack.length - 1];
        return metadataChain(r, r ? this.prog.places.get(r) : undefined, this.prog.modules);
      }
      case 'rego.parse_module': {
        const [file, text] = args;
        if (typeof file !== 'string') return this.operandError('rego.parse_module', 1, 'string', file, t);
        if (typeof text !== 'string') return this.operandError('rego.parse_module', 2, 'string', text, t);
        try {
          return moduleToValue(parseModule(file, text));
        } catch (e) {
          if (this.cfg.collectBuiltinErrors) {
            const msg = `rego.parse_module: ${String(e instanceof RegoErrors ? e.message : e)}`;
            this.builtinErrors.push(new RegoError(ErrorCodes.evalBuiltin, msg, t.loc));
          }
          return undefined;
        }
      }
      default:
        return NOT_SPECIAL;
    }
  }

  /** An operand type error: the call is undefined (the error recorded when builtin errors are collected). */
  private operandError(name: string, pos: number, want: string, got: Value | undefined, t: CallTerm): undefined {
    if (!this.cfg.collectBuiltinErrors) return undefined;
    const msg = `${name}: operand ${pos} must be ${want} but got ${got === undefined ? 'undefined' : typeName(got)}`;
    this.builtinErrors.push(new RegoError(ErrorCodes.evalType, msg, t.loc));
    return undefined;
  }

  private evalPrint(t: CallTerm, b: B, k: VK): boolean {
    const parts: string[] = [];
    const go = (i: number): boolean => {
      if (i === t.args.length) {
        this.cfg.print(parts.join(' '), t.loc);
        return false;
      }
      let any = false;
      const r = this.evalTerm(t.args[i] as Term, b, (v) => {
        any = true;
        parts[i] = typeof v === 'string' ? v : formatValue(v);
        return go(i + 1);
      });
      if (!any) {
        parts[i] = '<undefined>';
        return go(i + 1);
      }
      return r;
    };
    go(0);
    return k(true);
  }
}

const NOT_SPECIAL = Symbol('not special');
const EMPTY_INDICES: readonly number[] = [];
function ascending(x: number, y: number): number {
  return x - y;
}

/** Two ascending index lists as one (a rule is in at most one of them). */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length && j < b.length)
    out[o++] = (a[i] as number) < (b[j] as number) ? (a[i++] as number) : (b[j++] as number);
  while (i < a.length) out[o++] = a[i++] as number;
  while (j < b.length) out[o++] = b[j++] as number;
  return out;
}
const NOLOC: Location = { file: '', row: 0, col: 0 };
const TRUE_TERM: Term = { type: 'boolean', value: true, loc: NOLOC };
const UNDEF_VALUE = Symbol('undefined value') as unknown as Value;

const compositeIds = new WeakMap<object, number>();
let nextCompositeId = 0;

/**
 * A memo key for function arguments: scalars by value, composites by identity (values are never mutated once
 * built, and hashing a large document on every call would cost more than the call often does).
 */
function argsKey(args: Value[]): string {
  let k = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as Value;
    if (a !== null && typeof a === 'object' && !(a instanceof BigNum)) {
      let id = compositeIds.get(a);
      if (id === undefined) compositeIds.set(a, (id = nextCompositeId++));
      k += '@' + id + ';';
    } else {
      const s = keyOf(a);
      k += s.length + ':' + s;
    }
  }
  return k;
}

function isUnboundVar(t: Term, b: B): boolean {
  return t.type === 'var' && b.get(t.name) === undefined;
}

function isPattern(t: Term): boolean {
  return t.type === 'var' || t.type === 'array' || t.type === 'object';
}

function constKeys(items: [Term, Term][]): boolean {
  return items.every(([k]) => constOf(k) !== UNDEF);
}

function refNameOf(t: RefTerm): string | undefined {
  const terms = t.terms;
  const h = terms[0];
  if (h?.type !== 'var') return undefined;
  let s = h.name;
  for (let i = 1; i < terms.length; i++) {
    const x = terms[i] as Term;
    if (x.type !== 'string') return undefined;
    s += '.' + x.value;
  }
  return s;
}

/** A copy of `v` with `value` at `path` (objects created as needed). */
export function setIn(v: Value | undefined, path: string[], value: Value): Value {
  if (path.length === 0) return value;
  const o = v instanceof RObject ? v.clone() : new RObject();
  const [head, ...rest] = path as [string, ...string[]];
  o.set(head, setIn(o.getStr(head), rest, value));
  return o;
}

function conflict(loc: Location): never {
  throw new RegoError(ErrorCodes.evalConflict, 'object keys must be unique', loc);
}

/**
 * The object that holds the last of `keys` under `obj`, creating missing objects and copying shared ones on the
 * way (objects in `owned` were made by this evaluation and may be changed in place); a non-object on the path
 * is a conflict.
 */
function ownedParent(obj: RObject, keys: Value[], owned: Set<RObject>, loc: Location): RObject {
  let cur = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as Value;
    const x = cur.get(key);
    if (x === undefined) {
      const n = new RObject();
      owned.add(n);
      cur.set(key, n);
      cur = n;
    } else if (x instanceof RObject) {
      if (owned.has(x)) cur = x;
      else {
        const n = x.clone();
        owned.add(n);
        cur.set(key, n);
        cur = n;
      }
    } else conflict(loc);
  }
  return cur;
}

function insertAt(obj: RObject, keys: Value[], v: Value, owned: Set<RObject>, loc: Location): void {
  const cur = ownedParent(obj, keys, owned, loc);
  const last = keys[keys.length - 1] as Value;
  const prev = cur.get(last);
  if (prev !== undefined && !equal(prev, v)) conflict(loc);
  cur.set(last, v);
}

function insertSetElem(
  obj: RObject,
  keys: Value[],
  v: Value,
  owned: Set<RObject>,
  ownedSets: Set<RSet>,
  loc: Location,
): void {
  const cur = ownedParent(obj, keys, owned, loc);
  const last = keys[keys.length - 1] as Value;
  const prev = cur.get(last);
  if (prev === undefined) {
    const s = new RSet().add(v);
    ownedSets.add(s);
    cur.set(last, s);
  } else if (prev instanceof RSet) {
    if (ownedSets.has(prev)) prev.add(v);
    else {
      const s = prev.clone().add(v);
      ownedSets.add(s);
      cur.set(last, s);
    }
  } else conflict(loc);
}

/** walk(x): every [path, value] pair of a value, the root first, in sort order. */
function walkRelation(x: Value): Value[] {
  const out: Value[] = [];
  const rec = (v: Value, path: Value[]): void => {
    out.push([path, v]);
    if (Array.isArray(v)) v.forEach((e, i) => rec(e, [...path, i]));
    else if (v instanceof RObject) for (const [k, e] of v.entries()) rec(e, [...path, k]);
    else if (v instanceof RSet) for (const e of v.values()) rec(e, [...path, e]);
  };
  rec(x, []);
  return out;
}
