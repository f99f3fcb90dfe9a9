// Rule indexing (after OPA's ast/index.go): for a set of rules of one name, the rule bodies' top-level
// expressions of the form `ref == scalar` / `ref = scalar` / `scalar == ref`, `ref in {scalars}` and
// `x := ref` followed by `x == scalar`, where `ref` is rooted at `input`, at a base document under `data`
// (one no rule defines) or at a function argument, are guards: a body whose guard does not hold against the
// current input has no solution, so the rule need not be evaluated at all. At evaluation the most shared
// guard ref of the rule set is resolved once and looked up in a hash of the guard values, which gives the
// candidate rules in their original order; rules without guards are always candidates.
//
// A guard only excludes what evaluation would have found undefined anyway: a positive expression without
// `with`, whose ref operand has only constant segments, compared with a scalar. Functions' constant
// parameters (`f("a") := ...`) are guards on that argument. Rules with an `else` chain stay candidates; each
// rule of a chain is checked on its own when the chain is evaluated.

import type { Body, Expr, RefTerm, Rule, Term } from '../ast.ts';
import type { RuleInfo, RuleNode } from '../compiler/context.ts';
import { BigNum, keyOf, type Value } from '../value.ts';

export const ROOT_INPUT = -1;
export const ROOT_DATA = -2;

/** A condition a rule body needs to have any solution: the value at a ref is one of some scalars. */
export interface Guard {
  /** ROOT_INPUT, ROOT_DATA, or the index of a function argument. */
  root: number;
  /** Constant segments below the root (input and arguments). */
  path: (string | number)[];
  /** The ref itself, for data refs (resolved by the evaluator, `with` overrides included). */
  ref: RefTerm | undefined;
  /** The ref's identity (root and segments). */
  id: string;
  /** keyOf() of each scalar the value may equal (empty for a glob guard). */
  keys: Set<string>;
  /** `glob.match(pattern, delimiters, ref)` with a constant pattern and delimiters: the value must match. */
  glob: [pattern: string, delimiters: Value] | undefined;
}

/** The candidates of a rule set: rules without guards always, the others through the most shared guard. */
export interface RuleIndex {
  /** Rules evaluated whatever the input (no guards, or an else chain). */
  always: number[];
  groups: IndexGroup[];
  /** Rules with glob guards only: each checked on its own. */
  checked: Map<number, Guard[]>;
}

export interface IndexGroup {
  /** The guard ref all rules of the group share (its keys are unused). */
  guard: Guard;
  /** Guard value key → the rules (ascending indices) whose guard on this ref admits that value. */
  buckets: Map<string, number[]>;
  /** Per rule index: its other guards (checked one by one), when it has any. */
  residual: Map<number, Guard[]>;
}

interface RefInfo {
  root: number;
  path: (string | number)[];
  ref: RefTerm | undefined;
  id: string;
}

interface Analysis {
  guards: Guard[];
  /** The body without the expressions that gave guards (they hold once the guards were checked). */
  reduced: Body;
}

const guardCache = new WeakMap<Rule, Analysis>();
const indexCache = new WeakMap<RuleInfo[], RuleIndex | null>();

/** Whether a value is a scalar (what guards compare with). */
export function isScalar(v: Value): boolean {
  return v === null || typeof v !== 'object' || v instanceof BigNum;
}

/**
 * The guards of one rule body. `params` are the function parameters of the rule's chain (else rules share
 * the first rule's parameters); `tree` tells base documents from rules under `data`.
 */
export function ruleGuards(rule: Rule, params: Term[] | undefined, tree: RuleNode): Guard[] {
  return analysis(rule, params, tree).guards;
}

/**
 * The rule's body without its guard expressions, for a rule whose guards were all checked (they are pure
 * comparisons of ground terms: true, binding nothing). Evaluation with an expression tracer keeps full bodies.
 */
export function reducedBody(rule: Rule, params: Term[] | undefined, tree: RuleNode): Body {
  return analysis(rule, params, tree).reduced;
}

function analysis(rule: Rule, params: Term[] | undefined, tree: RuleNode): Analysis {
  let a = guardCache.get(rule);
  if (a === undefined) {
    const used = new Set<Expr>();
    const guards = computeGuards(rule.body, params, tree, used);
    a = { guards, reduced: used.size === 0 ? rule.body : rule.body.filter((e) => !used.has(e)) };
    guardCache.set(rule, a);
  }
  return a;
}

function computeGuards(body: Body, params: Term[] | undefined, tree: RuleNode, used: Set<Expr>): Guard[] {
  const out: Guard[] = [];
  const paramIndex = new Map<string, number>();
  if (params) {
    for (let i = 0; i < params.length; i++) {
      const p = params[i] as Term;
      if (p.type === 'var') {
        // A parameter named like a root document would shadow it: no guards for such a rule.
        if (p.name === 'input' || p.name === 'data') return [];
        if (!paramIndex.has(p.name)) paramIndex.set(p.name, i);
      } else {
        const k = scalarKey(p);
        if (k !== undefined)
          out.push({ root: i, path: [], ref: undefined, id: `a${i}`, keys: new Set([k]), glob: undefined });
      }
    }
  }
  const aliases = new Map<string, RefInfo>();
  const refInfo = (t: Term): RefInfo | undefined => {
    if (t.type === 'var') {
      const a = aliases.get(t.name);
      if (a) return a;
      const i = paramIndex.get(t.name);
      return i === undefined ? undefined : { root: i, path: [], ref: undefined, id: `a${i}` };
    }
    if (t.type !== 'ref') return undefined;
    const head = t.terms[0] as Term;
    if (head.type !== 'var') return undefined;
    const path: (string | number)[] = [];
    for (let i = 1; i < t.terms.length; i++) {
      const s = t.terms[i] as Term;
      if (s.type === 'string') path.push(s.value);
      else if (s.type === 'number' && typeof s.value === 'number' && head.name !== 'data') path.push(s.value);
      else return undefined;
    }
    const id = JSON.stringify(path);
    if (head.name === 'input') return { root: ROOT_INPUT, path, ref: undefined, id: 'i' + id };
    if (head.name === 'data') {
      if (isVirtual(tree, path as string[])) return undefined;
      return { root: ROOT_DATA, path, ref: t, id: 'd' + id };
    }
    const a = aliases.get(head.name);
    if (a && a.root !== ROOT_DATA) {
      const full = [...a.path, ...path];
      return {
        root: a.root,
        path: full,
        ref: undefined,
        id: (a.root === ROOT_INPUT ? 'i' : `a${a.root}`) + JSON.stringify(full),
      };
    }
    const i = paramIndex.get(head.name);
    if (i !== undefined) return { root: i, path, ref: undefined, id: `a${i}` + id };
    return undefined;
  };
  const add = (r: RefInfo, keys: Set<string>, glob?: [string, Value]): void => {
    out.push({ root: r.root, path: r.path, ref: r.ref, id: r.id, keys, glob });
  };
  for (const e of body) {
    if (e.type !== 'expr' || e.negated || e.with.length > 0) continue;
    const t = e.term;
    if (t.type !== 'call') continue;
    const op = t.operator.terms;
    const h = op[0] as Term;
    if (h.type !== 'var') continue;
    const name =
      op.length === 1 ? h.name : op.length === 2 && op[1]?.type === 'string' ? `${h.name}.${op[1].value}` : '';
    if (name === 'glob.match' && t.args.length === 3) {
      // glob.match("pattern", null | ["delimiter"...], ref): constant pattern and delimiters only
      const [p, d, x] = t.args as [Term, Term, Term];
      const r = refInfo(x);
      if (r === undefined || p.type !== 'string') continue;
      let delims: Value;
      if (d.type === 'null') delims = null;
      else if (d.type === 'array' && d.items.every((y) => y.type === 'string'))
        delims = d.items.map((y) => (y as { value: string }).value);
      else continue;
      add(r, new Set(), [p.value, delims]);
      used.add(e);
      continue;
    }
    if (t.args.length !== 2) continue;
    const [a, b] = t.args as [Term, Term];
    if (name === 'assign') {
      // `x := input.kind` (x is new): later `x == "K"` guards on input.kind.
      if (a.type === 'var') {
        const r = refInfo(b);
        if (r) aliases.set(a.name, r);
      }
      continue;
    }
    if (name === 'eq' || name === 'equal') {
      let r = refInfo(a);
      let k = scalarKey(b);
      if (r === undefined || k === undefined) {
        r = refInfo(b);
        k = scalarKey(a);
      }
      if (r !== undefined && k !== undefined) {
        add(r, new Set([k]));
        used.add(e);
      }
      continue;
    }
    if (name === 'internal.member_2') {
      const r = refInfo(a);
      if (r === undefined) continue;
      if (b.type !== 'set' && b.type !== 'array') continue;
      const keys = new Set<string>();
      let ok = true;
      for (const x of b.items) {
        const k = scalarKey(x);
        if (k === undefined) {
          ok = false;
          break;
        }
        keys.add(k);
      }
      if (ok) {
        add(r, keys);
        used.add(e);
      }
    }
  }
  return out;
}

function scalarKey(t: Term): string | undefined {
  switch (t.type) {
    case 'null':
      return keyOf(null);
    case 'boolean':
    case 'string':
    case 'number':
      return keyOf(t.value);
    default:
      return undefined;
  }
}

/** Whether a data path reaches a rule (a virtual document) or a node rules are defined below. */
function isVirtual(tree: RuleNode, path: string[]): boolean {
  let n: RuleNode | undefined = tree;
  for (const seg of path) {
    if (!n.hasRules) return false;
    n = n.children.get(seg);
    if (n === undefined) return false;
  }
  return n.hasRules;
}

/**
 * The index of a rule set (built once per set), or null when no rule of it has a guard.
 */
export function ruleIndex(list: RuleInfo[], tree: RuleNode): RuleIndex | null {
  let ix = indexCache.get(list);
  if (ix === undefined) {
    ix = buildIndex(list, tree);
    indexCache.set(list, ix);
  }
  return ix;
}

function buildIndex(list: RuleInfo[], tree: RuleNode): RuleIndex | null {
  const guards: (Guard[] | undefined)[] = [];
  const counts = new Map<string, number>();
  let any = false;
  for (const info of list) {
    const r = info.rule;
    if (r.else !== undefined) {
      guards.push(undefined);
      continue;
    }
    const g = ruleGuards(r, r.head.args, tree);
    if (g.length === 0) {
      guards.push(undefined);
      continue;
    }
    any = true;
    guards.push(g);
    const seen = new Set<string>();
    for (const x of g) {
      if (x.glob !== undefined || seen.has(x.id)) continue;
      seen.add(x.id);
      counts.set(x.id, (counts.get(x.id) ?? 0) + 1);
    }
  }
  if (!any) return null;
  const always: number[] = [];
  const checked = new Map<number, Guard[]>();
  const groups = new Map<string, IndexGroup>();
  for (let i = 0; i < list.length; i++) {
    const g = guards[i];
    if (g === undefined) {
      always.push(i);
      continue;
    }
    let best: Guard | undefined;
    for (const x of g)
      if (x.glob === undefined && (best === undefined || (counts.get(x.id) ?? 0) > (counts.get(best.id) ?? 0)))
        best = x;
    if (best === undefined) {
      checked.set(i, g);
      continue;
    }
    let grp = groups.get(best.id);
    if (grp === undefined) {
      grp = { guard: best, buckets: new Map(), residual: new Map() };
      groups.set(best.id, grp);
    }
    for (const k of best.keys) {
      let bucket = grp.buckets.get(k);
      if (bucket === undefined) grp.buckets.set(k, (bucket = []));
      bucket.push(i);
    }
    const rest = g.filter((x) => x !== best);
    if (rest.length > 0) grp.residual.set(i, rest);
  }
  return { always, groups: [...groups.values()], checked };
}
