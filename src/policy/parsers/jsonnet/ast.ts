// The Jsonnet abstract syntax, after desugaring of the surface forms the evaluator does not need to see
// (string interpolation with %, object-apply `e { }`, `a in super` stay explicit; the rest map 1:1).
import type { Loc } from './errors.ts';

export type Visibility = ':' | '::' | ':::';

export interface Param {
  name: string;
  def?: Node;
}

export interface Arg {
  name?: string;
  expr: Node;
}

export interface Bind {
  name: string;
  /** `local f(x) = ...` is a bind with params */
  params?: Param[];
  body: Node;
}

export type CompSpec = { kind: 'for'; name: string; expr: Node } | { kind: 'if'; cond: Node };

export interface FieldNode {
  /** the name: a constant, or an expression `[e]` */
  name: Node;
  /** `[e]: ...` (false for identifiers and strings) */
  computed: boolean;
  plus: boolean;
  vis: Visibility;
  body: Node;
  /** methods `f(x): ...` */
  params?: Param[];
  loc: Loc;
}

export type Node = { loc: Loc } & (
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'self' }
  | { t: 'dollar' }
  | { t: 'var'; name: string }
  | { t: 'array'; items: Node[] }
  | { t: 'arraycomp'; body: Node; specs: CompSpec[] }
  | { t: 'object'; fields: FieldNode[]; locals: Bind[]; asserts: { cond: Node; msg?: Node }[] }
  | { t: 'objcomp'; key: Node; value: Node; plus: boolean; locals: Bind[]; specs: CompSpec[] }
  | { t: 'index'; target: Node; index: Node }
  | { t: 'superindex'; index: Node }
  | { t: 'insuper'; key: Node }
  | { t: 'slice'; target: Node; start?: Node; end?: Node; step?: Node }
  | { t: 'call'; fn: Node; args: Arg[]; tailstrict: boolean }
  | { t: 'local'; binds: Bind[]; body: Node }
  | { t: 'if'; cond: Node; then: Node; else?: Node }
  | { t: 'function'; params: Param[]; body: Node }
  | { t: 'assert'; cond: Node; msg?: Node; body: Node }
  | { t: 'error'; expr: Node }
  | { t: 'import'; kind: 'import' | 'importstr' | 'importbin'; path: string }
  | { t: 'unary'; op: string; expr: Node }
  | { t: 'binary'; op: string; left: Node; right: Node }
  | { t: 'apply'; target: Node; obj: Node }
);
