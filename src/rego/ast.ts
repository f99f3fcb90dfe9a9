// The Rego abstract syntax tree, after OPA's `ast` package. Every node carries a source location.
//
// Conventions (shared by the parser, the compiler stages and the evaluator):
// - Infix operators are calls to OPA's internal operator names: `=` eq, `:=` assign, `==` equal, `!=` neq,
//   `<` lt, `<=` lte, `>` gt, `>=` gte, `+` plus, `-` minus, `*` mul, `/` div, `%` rem, `&` and, `|` or,
//   `x in xs` internal.member_2, `k, v in xs` internal.member_3. Unary minus on a non-literal term follows
//   what OPA's parser produces.
// - A call's operator is a Ref term (e.g. `count`, `json.marshal`, `data.pkg.f`).
// - A ref's first term is its head (a Var for `input.x`, `data.x`, `x[0]`; or a composite/call term);
//   `.name` segments are String terms; `[t]` segments are whatever term t is.
// - Rule bodies are never empty: a rule written without a body gets the body `true`.

import type { Location } from './errors.ts';
import type { BigNum } from './value.ts';

export type Term =
  | NullTerm
  | BooleanTerm
  | NumberTerm
  | StringTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | ObjectTerm
  | SetTerm
  | ArrayComprehension
  | SetComprehension
  | ObjectComprehension
  | CallTerm;

export interface NullTerm {
  type: 'null';
  loc: Location;
}
export interface BooleanTerm {
  type: 'boolean';
  value: boolean;
  loc: Location;
}
export interface NumberTerm {
  type: 'number';
  /** Parsed without loss (see value.ts parseNumber). */
  value: number | BigNum;
  loc: Location;
}
export interface StringTerm {
  type: 'string';
  value: string;
  /** True for `raw` back-quoted strings (kept for the formatter). */
  raw?: boolean;
  loc: Location;
}
export interface VarTerm {
  type: 'var';
  /** `_` is a wildcard; the compiler renames each `_` to a fresh `$N` var. */
  name: string;
  loc: Location;
}
export interface RefTerm {
  type: 'ref';
  /** terms[0] is the head; the rest are the segments. */
  terms: Term[];
  loc: Location;
}
export interface ArrayTerm {
  type: 'array';
  items: Term[];
  loc: Location;
}
export interface ObjectTerm {
  type: 'object';
  items: [Term, Term][];
  loc: Location;
}
export interface SetTerm {
  type: 'set';
  items: Term[];
  loc: Location;
}
export interface ArrayComprehension {
  type: 'arraycompr';
  term: Term;
  body: Body;
  loc: Location;
}
export interface SetComprehension {
  type: 'setcompr';
  term: Term;
  body: Body;
  loc: Location;
}
export interface ObjectComprehension {
  type: 'objectcompr';
  key: Term;
  value: Term;
  body: Body;
  loc: Location;
}
export interface CallTerm {
  type: 'call';
  /** A ref naming the function: `count`, `json.marshal`, `eq`, `data.pkg.f`... */
  operator: RefTerm;
  args: Term[];
  loc: Location;
}

export type Body = Expr[];

export type Expr = TermExpr | SomeDecl | EveryExpr;

interface ExprBase {
  negated: boolean;
  with: With[];
  loc: Location;
  /** Position of the expression in its body before any reordering by the compiler. */
  index?: number;
}

/** An expression that is a single term: usually a call (`x = y`, `f(x)`), else a value that must be truthy. */
export interface TermExpr extends ExprBase {
  type: 'expr';
  term: Term;
}

/**
 * `some x, y` declares local vars (symbols are Var terms); `some x in xs` / `some k, v in xs` has one symbol,
 * a call to internal.member_2 / internal.member_3.
 */
export interface SomeDecl extends ExprBase {
  type: 'some';
  symbols: Term[];
}

/** `every k, v in domain { body }` (key is absent for `every v in domain`). */
export interface EveryExpr extends ExprBase {
  type: 'every';
  key?: VarTerm;
  value: VarTerm;
  domain: Term;
  body: Body;
}

export interface With {
  /** A ref: `input`, `input.x`, `data.a.b`, or a function/builtin name (`count`, `data.pkg.f`). */
  target: RefTerm;
  value: Term;
  loc: Location;
}

export interface RuleHead {
  /**
   * The rule's name as a ref relative to the package: [VarTerm name, ...segments]. Simple rules have one
   * term; general ref heads (`a.b[x].c := 1`) have more. Segments are String terms or other terms (often vars).
   */
  ref: Term[];
  /** Function arguments; present (possibly empty) only for functions. */
  args?: Term[];
  /** Multi-value (partial set) rules: the element (`p contains x`, v0 `p[x] { ... }`). */
  key?: Term;
  /** The value of single-value rules and functions; undefined for multi-value rules. Defaults to `true`. */
  value?: Term;
  /** Written with `:=`. */
  assign: boolean;
  loc: Location;
}

export interface Rule {
  head: RuleHead;
  body: Body;
  /** The next rule in an `else` chain. */
  else?: Rule;
  default: boolean;
  loc: Location;
  /** METADATA annotations attached to the rule, as parsed YAML. */
  annotations?: Annotations;
  /** The module the rule belongs to (set by the compiler). */
  module?: Module;
}

export interface Import {
  /** `data.x.y`, `input.x`, `future.keywords.in`, `rego.v1`. */
  path: RefTerm;
  alias?: string;
  loc: Location;
}

export interface Package {
  /** The full package path as a ref starting with `data`. */
  path: RefTerm;
  loc: Location;
}

export interface Comment {
  text: string;
  loc: Location;
}

export interface Annotations {
  scope: 'package' | 'subpackages' | 'rule' | 'document';
  /** Every key of the METADATA YAML block, as parsed. */
  raw: Record<string, unknown>;
  loc: Location;
}

export interface Module {
  package: Package;
  imports: Import[];
  rules: Rule[];
  comments: Comment[];
  annotations: Annotations[];
  /** 0 for modules parsed with v0 syntax, 1 for v1 syntax. */
  regoVersion: 0 | 1;
  file: string;
}

/** Operator names used for infix expressions. */
export const InfixOperators: Readonly<Record<string, string>> = {
  '=': 'eq',
  ':=': 'assign',
  '==': 'equal',
  '!=': 'neq',
  '<': 'lt',
  '<=': 'lte',
  '>': 'gt',
  '>=': 'gte',
  '+': 'plus',
  '-': 'minus',
  '*': 'mul',
  '/': 'div',
  '%': 'rem',
  '&': 'and',
  '|': 'or',
};
