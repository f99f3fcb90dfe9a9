// The Jsonnet evaluator: lazy (thunks for locals, arguments and array elements), objects with late-bound
// self/super, comprehensions, imports through an importer given from above, and the standard library.
import { dirname, isAbsolute, join } from 'node:path';
import type { Arg, Bind, CompSpec, FieldNode, Node, Param } from './ast.ts';
import { JsonnetError, type Loc } from './errors.ts';
import { parseJsonnet } from './parser.ts';
import { equals, makeStd } from './std.ts';
import { formatString } from './format.ts';
import {
  checkNum,
  cmpStrings,
  JArray,
  JFunc,
  JObject,
  plusValues,
  type CallArgs,
  Thunk,
  toStr,
  typeName,
  type FieldDef,
  type Layer,
  type Val,
} from './value.ts';

/** Reads an import: the resolved path and its bytes, or undefined when not found. */
export type Importer = (path: string, fromDir: string) => { path: string; content: Buffer } | undefined;

export interface EvalOptions {
  importer?: Importer;
  extVars?: Record<string, { code?: string; str?: string }>;
  /** maximum call depth before "max stack frames exceeded" */
  maxStack?: number;
}

interface UserFn {
  f: JFunc;
  params: Param[];
  body: Node;
  env: Env;
}
const userFns = new WeakMap<JFunc, UserFn>();

class TailCall {
  constructor(
    readonly f: JFunc,
    readonly args: CallArgs,
    readonly loc: Loc | undefined,
  ) {}
}

class Env {
  constructor(
    readonly vars: Map<string, Thunk>,
    readonly parent: Env | undefined,
    readonly self: JObject | undefined,
    readonly layer: number,
    readonly dollar: JObject | undefined,
    readonly file: string,
  ) {}
  lookup(name: string): Thunk | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
  extend(vars: Map<string, Thunk>): Env {
    return new Env(vars, this, this.self, this.layer, this.dollar, this.file);
  }
  withSelf(self: JObject, layer: number): Env {
    return new Env(new Map(), this, self, layer, this.dollar ?? self, this.file);
  }
}

export class Evaluator {
  private readonly std: JObject;
  private readonly files = new Map<string, Val>();
  private readonly strs = new Map<string, Buffer>();
  private depth = 0;
  private readonly maxStack: number;

  constructor(private readonly opts: EvalOptions = {}) {
    this.std = makeStd(this);
    this.maxStack = opts.maxStack ?? 500;
  }

  /** Evaluates a file's text; `file` names it in errors and anchors relative imports. */
  evaluateFile(text: string, file: string): Val {
    const ast = stackGuard(() => parseJsonnet(text, file), 'static', file);
    return stackGuard(() => this.eval(ast, this.rootEnv(file)), 'runtime', file);
  }

  private rootEnv(file: string): Env {
    const thisFile: Layer = {
      fields: new Map([['thisFile', { vis: '::', plus: false, eval: () => file }]]),
    };
    const std = new JObject([...this.std.layers, thisFile]);
    return new Env(new Map([['std', Thunk.of(std)]]), undefined, undefined, -1, undefined, file);
  }

  extVar(name: string, loc?: Loc): Val {
    const v = this.opts.extVars?.[name];
    if (!v) throw new JsonnetError('runtime', `undefined external variable: ${name}`, loc);
    if (v.str !== undefined) return v.str;
    return this.evaluateFile(v.code ?? 'null', `<extvar:${name}>`);
  }

  /** Calls a function value with positional values (used by the standard library). */
  call(f: Val, args: Val[], loc?: Loc): Val {
    if (!(f instanceof JFunc)) throw new JsonnetError('runtime', `expected a function, got ${typeName(f)}`, loc);
    return this.apply(f, { positional: args.map((a) => Thunk.of(a)), named: new Map() }, loc);
  }

  apply(f: JFunc, args: CallArgs, loc?: Loc): Val {
    const bound = this.bindArgs(f, args, loc);
    if (++this.depth > this.maxStack) {
      this.depth--;
      throw new JsonnetError('runtime', 'max stack frames exceeded.', loc);
    }
    try {
      return f.invoke(bound, loc);
    } finally {
      this.depth--;
    }
  }

  private bindArgs(f: JFunc, args: CallArgs, loc?: Loc): (Thunk | undefined)[] {
    const bound: (Thunk | undefined)[] = new Array(f.params.length).fill(undefined);
    if (args.positional.length > f.params.length)
      throw new JsonnetError('runtime', `too many args, function has ${f.params.length} parameter(s)`, loc);
    args.positional.forEach((t, i) => (bound[i] = t));
    for (const [name, t] of args.named) {
      const i = f.params.findIndex((p) => p.name === name);
      if (i < 0) throw new JsonnetError('runtime', `function has no parameter ${name}`, loc);
      if (bound[i]) throw new JsonnetError('runtime', `argument ${name} already provided`, loc);
      bound[i] = t;
    }
    f.params.forEach((p, i) => {
      if (!bound[i] && !p.def && f.nativeDefaults?.[i] === undefined)
        throw new JsonnetError('runtime', `function parameter ${p.name} not bound in call`, loc);
    });
    return bound;
  }

  private fn(params: Param[], body: Node, env: Env, name = 'anonymous'): JFunc {
    const f: JFunc = new JFunc(
      params,
      (bound, loc) => {
        // calls marked tailstrict in tail position loop here instead of growing the stack
        let cur: UserFn = { f, params, body, env };
        let args = bound;
        for (;;) {
          const r = this.evalTail(cur.body, this.bindParams(cur, args));
          if (!(r instanceof TailCall)) return r;
          const next = userFns.get(r.f);
          if (!next) return this.apply(r.f, r.args, r.loc ?? loc);
          args = this.bindArgs(r.f, r.args, r.loc);
          cur = next;
        }
      },
      name,
    );
    userFns.set(f, { f, params, body, env });
    return f;
  }

  private bindParams(u: UserFn, bound: (Thunk | undefined)[]): Env {
    const vars = new Map<string, Thunk>();
    const inner = u.env.extend(vars);
    u.params.forEach((p, i) => {
      vars.set(p.name, bound[i] ?? new Thunk(() => this.eval(p.def!, inner)));
    });
    return inner;
  }

  /** eval, except that a tailstrict call in tail position is returned to the caller's loop */
  private evalTail(n: Node, env: Env): Val | TailCall {
    switch (n.t) {
      case 'call': {
        if (!n.tailstrict) break;
        const f = this.eval(n.fn, env);
        if (!(f instanceof JFunc))
          throw new JsonnetError('runtime', `only functions can be called, got ${typeName(f)}`, n.loc);
        return new TailCall(f, this.args(n.args, env, true), n.loc);
      }
      case 'if': {
        const c = this.eval(n.cond, env);
        if (typeof c !== 'boolean')
          throw new JsonnetError('runtime', `condition must be boolean, got ${typeName(c)}.`, n.cond.loc);
        if (c) return this.evalTail(n.then, env);
        return n.else ? this.evalTail(n.else, env) : null;
      }
      case 'local':
        return this.evalTail(n.body, this.binds(n.binds, env));
    }
    return this.eval(n, env);
  }

  private binds(binds: Bind[], env: Env): Env {
    const vars = new Map<string, Thunk>();
    const inner = env.extend(vars);
    for (const b of binds) {
      vars.set(
        b.name,
        b.params ? Thunk.of(this.fn(b.params, b.body, inner, b.name)) : new Thunk(() => this.eval(b.body, inner)),
      );
    }
    return inner;
  }

  eval(n: Node, env: Env): Val {
    switch (n.t) {
      case 'null':
        return null;
      case 'num':
        return checkNum(n.v, n.loc);
      case 'bool':
      case 'str':
        return n.v;
      case 'self':
        if (!env.self) throw new JsonnetError('static', "can't use self outside of an object.", n.loc);
        return env.self;
      case 'dollar':
        if (!env.dollar) throw new JsonnetError('static', "can't use $ outside of an object.", n.loc);
        return env.dollar;
      case 'var': {
        const t = env.lookup(n.name);
        if (!t) throw new JsonnetError('static', `unknown variable: ${n.name}`, n.loc);
        return t.get();
      }
      case 'array':
        return new JArray(n.items.map((e) => new Thunk(() => this.eval(e, env))));
      case 'arraycomp': {
        const items: Thunk[] = [];
        this.comprehend(n.specs, 0, env, (e) => items.push(new Thunk(() => this.eval(n.body, e))));
        return new JArray(items);
      }
      case 'object':
        return this.object(n.fields, n.locals, n.asserts, env);
      case 'objcomp':
        return this.objectComprehension(n, env);
      case 'index': {
        const target = this.eval(n.target, env);
        const index = this.eval(n.index, env);
        return this.index(target, index, n.loc);
      }
      case 'superindex': {
        if (!env.self) throw new JsonnetError('static', "can't use super outside of an object.", n.loc);
        const name = this.eval(n.index, env);
        if (typeof name !== 'string')
          throw new JsonnetError('runtime', `super index must be string, got ${typeName(name)}`, n.loc);
        if (env.layer <= 0 || env.self.find(name, env.layer - 1) < 0) {
          if (env.layer <= 0)
            throw new JsonnetError('runtime', 'attempt to use super when there is no super class.', n.loc);
          throw new JsonnetError('runtime', `field does not exist: ${name}`, n.loc);
        }
        return env.self.get(name, env.layer - 1, n.loc);
      }
      case 'insuper': {
        if (!env.self) throw new JsonnetError('static', "can't use super outside of an object.", n.loc);
        const key = this.eval(n.key, env);
        if (typeof key !== 'string')
          throw new JsonnetError('runtime', `'in super' requires a string, got ${typeName(key)}`, n.loc);
        return env.layer > 0 && env.self.find(key, env.layer - 1) >= 0;
      }
      case 'slice': {
        const target = this.eval(n.target, env);
        const num = (e: Node | undefined) => {
          if (!e) return null;
          const v = this.eval(e, env);
          if (v !== null && typeof v !== 'number')
            throw new JsonnetError('runtime', `slice index must be a number, got ${typeName(v)}`, e.loc);
          return v;
        };
        return slice(target, num(n.start), num(n.end), num(n.step), n.loc);
      }
      case 'call': {
        const f = this.eval(n.fn, env);
        if (!(f instanceof JFunc))
          throw new JsonnetError('runtime', `only functions can be called, got ${typeName(f)}`, n.loc);
        return this.located(() => this.apply(f, this.args(n.args, env, n.tailstrict), n.loc), n.loc);
      }
      case 'local':
        return this.eval(n.body, this.binds(n.binds, env));
      case 'if': {
        const c = this.eval(n.cond, env);
        if (typeof c !== 'boolean')
          throw new JsonnetError('runtime', `condition must be boolean, got ${typeName(c)}.`, n.cond.loc);
        if (c) return this.eval(n.then, env);
        return n.else ? this.eval(n.else, env) : null;
      }
      case 'function':
        return this.fn(n.params, n.body, env);
      case 'assert': {
        const c = this.eval(n.cond, env);
        if (typeof c !== 'boolean')
          throw new JsonnetError('runtime', `assertion condition must be boolean, got ${typeName(c)}.`, n.loc);
        if (!c) {
          const msg = n.msg ? toStr(this.eval(n.msg, env)) : 'Assertion failed';
          throw new JsonnetError('runtime', msg, n.loc);
        }
        return this.eval(n.body, env);
      }
      case 'error': {
        const v = this.eval(n.expr, env);
        throw new JsonnetError('runtime', toStr(v), n.loc);
      }
      case 'import':
        return this.import(n.kind, n.path, env.file, n.loc);
      case 'unary':
        return unary(n.op, this.eval(n.expr, env), n.loc);
      case 'binary':
        return this.binary(n.op, n.left, n.right, env, n.loc);
      case 'apply': {
        const target = this.eval(n.target, env);
        const obj = this.eval(n.obj, env);
        return plusValues(target, obj, n.loc);
      }
    }
  }

  /** adds the location of a call to errors raised below it, as the jsonnet stack trace does */
  private located<T>(f: () => T, loc: Loc): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof JsonnetError && e.kind === 'runtime' && e.stack2.length < 50) e.stack2.push(loc);
      else if (e instanceof RangeError) throw new JsonnetError('runtime', 'max stack frames exceeded.', loc);
      throw e;
    }
  }

  private args(args: Arg[], env: Env, strict: boolean): CallArgs {
    const positional: Thunk[] = [];
    const named = new Map<string, Thunk>();
    for (const a of args) {
      const t = new Thunk(() => this.eval(a.expr, env));
      if (strict) t.get();
      if (a.name !== undefined) {
        if (named.has(a.name)) throw new JsonnetError('static', `argument ${a.name} already provided`, a.expr.loc);
        named.set(a.name, t);
      } else positional.push(t);
    }
    return { positional, named };
  }

  index(target: Val, index: Val, loc?: Loc): Val {
    if (target instanceof JObject) {
      if (typeof index !== 'string')
        throw new JsonnetError('runtime', `object index must be string, got ${typeName(index)}`, loc);
      return target.get(index, undefined, loc);
    }
    if (target instanceof JArray) {
      if (typeof index !== 'number')
        throw new JsonnetError('runtime', `array index must be number, got ${typeName(index)}`, loc);
      if (!Number.isInteger(index))
        throw new JsonnetError('runtime', `array index must be an integer, got ${index}`, loc);
      const t = target.items[index];
      if (!t)
        throw new JsonnetError('runtime', `index out of bounds: ${index} not within [0, ${target.items.length})`, loc);
      return t.get();
    }
    if (typeof target === 'string') {
      if (typeof index !== 'number')
        throw new JsonnetError('runtime', `string index must be a number, got ${typeName(index)}`, loc);
      const cps = [...target];
      const c = cps[index];
      if (c === undefined || !Number.isInteger(index))
        throw new JsonnetError('runtime', `index out of bounds: ${index} not within [0, ${cps.length})`, loc);
      return c;
    }
    throw new JsonnetError('runtime', `value non indexable: ${typeName(target)}`, loc);
  }

  private comprehend(specs: CompSpec[], i: number, env: Env, emit: (env: Env) => void): void {
    if (i === specs.length) {
      emit(env);
      return;
    }
    const s = specs[i]!;
    if (s.kind === 'if') {
      const c = this.eval(s.cond, env);
      if (typeof c !== 'boolean')
        throw new JsonnetError('runtime', `condition must be boolean, got ${typeName(c)}.`, s.cond.loc);
      if (c) this.comprehend(specs, i + 1, env, emit);
      return;
    }
    const arr = this.eval(s.expr, env);
    if (!(arr instanceof JArray))
      throw new JsonnetError(
        'runtime',
        `in comprehension, can only iterate over array, got ${typeName(arr)}`,
        s.expr.loc,
      );
    for (const t of arr.items) this.comprehend(specs, i + 1, env.extend(new Map([[s.name, t]])), emit);
  }

  /** env of a field body for a given self: self/super/$ bound, then the object's locals */
  private memberEnv(env: Env, locals: Bind[]): (self: JObject, layer: number) => Env {
    const cache = new WeakMap<JObject, Map<number, Env>>();
    return (self, layer) => {
      let m = cache.get(self);
      if (!m) cache.set(self, (m = new Map()));
      let e = m.get(layer);
      if (!e) {
        e = env.withSelf(self, layer);
        if (locals.length) e = this.binds(locals, e);
        m.set(layer, e);
      }
      return e;
    };
  }

  private object(fields: FieldNode[], locals: Bind[], asserts: { cond: Node; msg?: Node }[], env: Env): JObject {
    const envFor = this.memberEnv(env, locals);
    const defs = new Map<string, FieldDef>();
    for (const f of fields) {
      const name = f.computed ? this.eval(f.name, env) : (f.name as { v: string }).v;
      if (name === null) continue;
      if (typeof name !== 'string')
        throw new JsonnetError('runtime', `field name must be string, got ${typeName(name)}`, f.loc);
      if (defs.has(name)) throw new JsonnetError('runtime', `duplicate field name: "${name}"`, f.loc);
      const body = f.params ? ({ t: 'function', params: f.params, body: f.body, loc: f.loc } as Node) : f.body;
      defs.set(name, { vis: f.vis, plus: f.plus, eval: (self, layer) => this.eval(body, envFor(self, layer)) });
    }
    const layer: Layer = { fields: defs };
    if (asserts.length) {
      layer.asserts = (self, idx) => {
        const e = envFor(self, idx);
        for (const a of asserts) {
          const c = this.eval(a.cond, e);
          if (typeof c !== 'boolean')
            throw new JsonnetError('runtime', `assertion condition must be boolean, got ${typeName(c)}.`, a.cond.loc);
          if (!c)
            throw new JsonnetError(
              'runtime',
              a.msg ? toStr(this.eval(a.msg, e)) : 'Object assertion failed.',
              a.cond.loc,
            );
        }
      };
    }
    return new JObject([layer]);
  }

  private objectComprehension(n: Extract<Node, { t: 'objcomp' }>, env: Env): JObject {
    const defs = new Map<string, FieldDef>();
    this.comprehend(n.specs, 0, env, (e) => {
      const name = this.eval(n.key, e);
      if (name === null) return;
      if (typeof name !== 'string')
        throw new JsonnetError('runtime', `field name must be string, got ${typeName(name)}`, n.key.loc);
      if (defs.has(name)) throw new JsonnetError('runtime', `duplicate field name: "${name}"`, n.key.loc);
      const envFor = this.memberEnv(e, n.locals);
      defs.set(name, { vis: ':', plus: n.plus, eval: (self, layer) => this.eval(n.value, envFor(self, layer)) });
    });
    return new JObject([{ fields: defs }]);
  }

  private import(kind: 'import' | 'importstr' | 'importbin', path: string, from: string, loc: Loc): Val {
    const importer = this.opts.importer;
    const fromDir = from.startsWith('<') ? '.' : dirname(from);
    const found = importer?.(path, fromDir);
    if (!found)
      throw new JsonnetError(
        'runtime',
        `couldn't open import "${path}": no match locally or in the Jsonnet library paths.`,
        loc,
      );
    if (kind === 'importbin') return JArray.of([...found.content]);
    if (kind === 'importstr') return found.content.toString('utf8');
    if (!this.files.has(found.path)) {
      this.files.set(found.path, this.evaluateFile(found.content.toString('utf8'), found.path));
    }
    return this.files.get(found.path)!;
  }

  private binary(op: string, l: Node, r: Node, env: Env, loc: Loc): Val {
    if (op === '&&' || op === '||') {
      const a = this.eval(l, env);
      if (typeof a !== 'boolean')
        throw new JsonnetError('runtime', `binary operator ${op} requires boolean, got ${typeName(a)}`, loc);
      if (op === '&&' ? !a : a) return a;
      const b = this.eval(r, env);
      if (typeof b !== 'boolean')
        throw new JsonnetError('runtime', `binary operator ${op} requires boolean, got ${typeName(b)}`, loc);
      return b;
    }
    const a = this.eval(l, env);
    const b = this.eval(r, env);
    switch (op) {
      case '+':
        return plusValues(a, b, loc);
      case '==':
        return equals(a, b, loc);
      case '!=':
        return !equals(a, b, loc);
      case 'in':
        if (typeof a !== 'string' || !(b instanceof JObject))
          throw new JsonnetError(
            'runtime',
            `operator in requires string and object, got ${typeName(a)} and ${typeName(b)}`,
            loc,
          );
        return b.has(a);
      case '%':
        if (typeof a === 'string') return formatString(this, a, b, loc);
        break;
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const c = compare(a, b, loc);
        return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
      }
    }
    if (typeof a !== 'number' || typeof b !== 'number')
      throw new JsonnetError(
        'runtime',
        `binary operator ${op} requires numbers, got ${typeName(a)} and ${typeName(b)}`,
        loc,
      );
    switch (op) {
      case '-':
        return checkNum(a - b, loc);
      case '*':
        return checkNum(a * b, loc);
      case '/':
        if (b === 0) throw new JsonnetError('runtime', 'division by zero.', loc);
        return checkNum(a / b, loc);
      case '%':
        if (b === 0) throw new JsonnetError('runtime', 'division by zero.', loc);
        return checkNum(a % b, loc);
      case '<<':
      case '>>':
      case '&':
      case '|':
      case '^': {
        const x = safeInt(a, loc);
        const y = safeInt(b, loc);
        if ((op === '<<' || op === '>>') && y < 0n)
          throw new JsonnetError('runtime', 'shift by negative exponent.', loc);
        const s = y & 63n;
        const v = op === '<<' ? x << s : op === '>>' ? x >> s : op === '&' ? x & y : op === '|' ? x | y : x ^ y;
        if (v !== BigInt.asIntN(64, v))
          throw new JsonnetError('runtime', 'numeric value outside safe integer range for bitwise operation.', loc);
        return Number(v);
      }
    }
    throw new JsonnetError('runtime', `unknown operator ${op}`, loc);
  }
}

/** a RangeError (the JS stack ran out) becomes Jsonnet's own error */
export function stackGuard<T>(f: () => T, kind: 'static' | 'runtime', file: string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError && /call stack/.test(e.message))
      throw new JsonnetError(kind, kind === 'static' ? 'expression nested too deeply' : 'max stack frames exceeded.', {
        file,
        line: 1,
        col: 1,
      });
    throw e;
  }
}

function unary(op: string, v: Val, loc: Loc): Val {
  if (op === '!') {
    if (typeof v !== 'boolean')
      throw new JsonnetError('runtime', `unary operator ! does not operate on type ${typeName(v)}`, loc);
    return !v;
  }
  if (typeof v !== 'number')
    throw new JsonnetError('runtime', `unary operator ${op} does not operate on type ${typeName(v)}`, loc);
  if (op === '-') return -v;
  if (op === '+') return v;
  return Number(~safeInt(v, loc));
}

function safeInt(n: number, loc?: Loc): bigint {
  if (!Number.isSafeInteger(Math.trunc(n)))
    throw new JsonnetError('runtime', 'numeric value outside safe integer range for bitwise operation.', loc);
  return BigInt(Math.trunc(n));
}

export function compare(a: Val, b: Val, loc?: Loc): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return cmpStrings(a, b);
  if (a instanceof JArray && b instanceof JArray) {
    const n = Math.min(a.items.length, b.items.length);
    for (let i = 0; i < n; i++) {
      const c = compare(a.items[i]!.get(), b.items[i]!.get(), loc);
      if (c !== 0) return c;
    }
    return a.items.length - b.items.length;
  }
  throw new JsonnetError(
    'runtime',
    `binary operator < requires matching types, got ${typeName(a)} and ${typeName(b)}`,
    loc,
  );
}

export function slice(target: Val, start: number | null, end: number | null, step: number | null, loc?: Loc): Val {
  const isStr = typeof target === 'string';
  if (!isStr && !(target instanceof JArray))
    throw new JsonnetError('runtime', `std.slice accepts a string or an array, but got: ${typeName(target)}`, loc);
  const items = isStr ? [...(target as string)] : (target as JArray).items;
  const len = items.length;
  const st = step ?? 1;
  if (st <= 0 || !Number.isInteger(st))
    throw new JsonnetError('runtime', `got [${start}:${end}:${step}] but step must be greater than 0`, loc);
  const norm = (x: number | null, d: number) => (x === null ? d : x < 0 ? Math.max(0, len + x) : Math.min(len, x));
  const s = norm(start, 0);
  const e = norm(end, len);
  const out: (string | Thunk)[] = [];
  for (let i = s; i < e; i += st) out.push(items[i]!);
  return isStr ? (out as string[]).join('') : new JArray(out as Thunk[]);
}

/** The importer Conftest's jsonnet parser uses: paths relative to the importing file's folder. */
export function fileImporter(readFile: (p: string) => Buffer | undefined, jpaths: string[] = []): Importer {
  return (path, fromDir) => {
    const candidates = isAbsolute(path) ? [path] : [join(fromDir, path), ...jpaths.map((d) => join(d, path))];
    for (const c of candidates) {
      const content = readFile(c);
      if (content) return { path: c, content };
    }
    return undefined;
  };
}
