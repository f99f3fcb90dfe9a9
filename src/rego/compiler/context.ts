// State shared by the compiler stages: the modules being compiled, the rule tree, collected errors.

import type { Body, Module, Rule, Term } from '../ast.ts';
import { RegoError, type ErrorCode, type Location } from '../errors.ts';

export interface CompileOptions {
  regoVersion: 0 | 1;
  strict: boolean;
  /** When set (from a capabilities document), the only builtins policies may call. */
  builtins?: ReadonlySet<string>;
}

/** A rule placed in the rule tree: `rest` are the head-ref terms after the node's (ground) path. */
export interface RuleInfo {
  rule: Rule;
  node: RuleNode;
  rest: Term[];
  kind: 'complete' | 'multi' | 'func';
  module: Module;
  /** The body the evaluator runs once the rule index checked the rule's guards (set on first use). */
  reduced: Body | undefined;
}

/** A node of the rule tree: one per ground path prefix of a rule's head ref (packages included). */
export interface RuleNode {
  key: string;
  /** Full path from data (not including `data`). */
  path: string[];
  /** `data.a.b` */
  name: string;
  children: Map<string, RuleNode>;
  /** Single-value rules: rest.length === 0 (complete) or > 0 (object building). */
  complete: RuleInfo[];
  dynamic: RuleInfo[];
  /** Multi-value rules (`contains`). */
  multi: RuleInfo[];
  funcs: RuleInfo[];
  defaultRule: RuleInfo | undefined;
  /** Function arity, when the node holds functions. */
  arity: number | undefined;
  /** Any rule at this node or below. */
  hasRules: boolean;
  /** Rules attached right here. */
  hasOwnRules: boolean;
  /** A package path (a document even when it holds no rules). */
  isPackage?: boolean;
}

export interface CompileContext {
  modules: Module[];
  options: CompileOptions;
  errors: RegoError[];
  tree: RuleNode;
  /** Counter for generated vars ($N) and rewritten locals (__localN__). */
  gen: { n: number };
  /** Query-only: renamed local vars → original names. */
  renames: Map<string, string>;
}

export function newNode(key: string, path: string[]): RuleNode {
  return {
    key,
    path,
    name: 'data' + path.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? '.' + p : `[${JSON.stringify(p)}]`)).join(''),
    children: new Map(),
    complete: [],
    dynamic: [],
    multi: [],
    funcs: [],
    defaultRule: undefined,
    arity: undefined,
    hasRules: false,
    hasOwnRules: false,
  };
}

export function addError(ctx: CompileContext, code: ErrorCode, message: string, loc: Location | undefined): void {
  ctx.errors.push(new RegoError(code, message, loc));
}

/** The node at a path, or undefined. */
export function findNode(root: RuleNode, path: readonly string[]): RuleNode | undefined {
  let n: RuleNode | undefined = root;
  for (const k of path) {
    n = n.children.get(k);
    if (!n) return undefined;
  }
  return n;
}

/** Every rule body of a module's rules (else chains included). */
export function forEachRule(m: Module, f: (r: Rule, top: Rule) => void): void {
  for (const r of m.rules) {
    for (let x: Rule | undefined = r; x; x = x.else) f(x, r);
  }
}

export type BodyVisitor = (body: Body) => void;
