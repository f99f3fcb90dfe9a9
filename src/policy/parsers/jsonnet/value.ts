// Jsonnet values: lazy thunks, arrays of thunks, functions, and objects as stacks of layers (one per object
// literal in an inheritance chain `a + b + c`), so `self` and `super` resolve by layer index.
import type { Param, Visibility } from './ast.ts';
import { JsonnetError, type Loc } from './errors.ts';

export type Val = null | boolean | number | string | JArray | JObject | JFunc;

export class Thunk {
  private value: Val | undefined;
  private done = false;
  private running = false;
  constructor(private compute?: () => Val) {}
  static of(v: Val): Thunk {
    const t = new Thunk();
    t.value = v;
    t.done = true;
    return t;
  }
  get(): Val {
    if (this.done) return this.value as Val;
    if (this.running) throw new JsonnetError('runtime', 'infinite recursion: a value depends on itself');
    this.running = true;
    try {
      this.value = this.compute!();
      this.done = true;
      this.compute = undefined;
      return this.value;
    } finally {
      this.running = false;
    }
  }
}

export class JArray {
  constructor(readonly items: Thunk[]) {}
  static of(vals: Val[]): JArray {
    return new JArray(vals.map((v) => Thunk.of(v)));
  }
}

export interface CallArgs {
  positional: Thunk[];
  named: Map<string, Thunk>;
}

/** a builtin parameter that may be left out (the builtin sees undefined) */
export const OPTIONAL: unique symbol = Symbol('optional');

export class JFunc {
  constructor(
    readonly params: Param[],
    /** binds the arguments (already checked against params) and evaluates the body */
    readonly invoke: (args: (Thunk | undefined)[], loc: Loc | undefined) => Val,
    readonly name = 'anonymous',
    /** defaults of builtins, by parameter index */
    readonly nativeDefaults?: (Val | typeof OPTIONAL | undefined)[],
  ) {}
}

/** One field of one layer: how to compute it for a given self and the layer's own index (super = below). */
export interface FieldDef {
  vis: Visibility;
  plus: boolean;
  eval(self: JObject, layer: number): Val;
}

export interface Layer {
  fields: Map<string, FieldDef>;
  /** std.objectRemoveKey: these names are gone from self lookups through the `count` layers just below */
  mask?: { names: Set<string>; count: number };
  /** run the layer's asserts for `self` */
  asserts?: (self: JObject, layer: number) => void;
}

export class JObject {
  private readonly cache = new Map<string, Val>();
  private checked = false;
  private checking = false;
  constructor(readonly layers: Layer[]) {}

  /** asserts of every layer, once per object */
  checkAsserts(): void {
    if (this.checked || this.checking) return;
    this.checking = true;
    try {
      this.layers.forEach((l, i) => l.asserts?.(this, i));
      this.checked = true;
    } finally {
      this.checking = false;
    }
  }

  /** the layer index defining `name` at or below `from`, or -1 */
  find(name: string, from = this.layers.length - 1): number {
    for (let i = from; i >= 0; i--) {
      const l = this.layers[i]!;
      if (l.mask?.names.has(name)) i -= l.mask.count;
      else if (l.fields.has(name)) return i;
    }
    return -1;
  }

  has(name: string): boolean {
    return this.find(name) >= 0;
  }

  /** self[name], or super[name] when `from` is below the top, with `self` this object */
  get(name: string, from = this.layers.length - 1, loc?: Loc): Val {
    const top = from === this.layers.length - 1;
    if (top) {
      this.checkAsserts();
      if (this.cache.has(name)) return this.cache.get(name)!;
    }
    const i = this.find(name, from);
    if (i < 0) throw new JsonnetError('runtime', `field does not exist: ${name}`, loc);
    const f = this.layers[i]!.fields.get(name)!;
    let v = f.eval(this, i);
    if (f.plus && this.find(name, i - 1) >= 0) v = plusValues(this.get(name, i - 1, loc), v, loc);
    if (top) this.cache.set(name, v);
    return v;
  }

  /** field names with their visibility (hidden unless some layer says ::: above the topmost ::) */
  fieldNames(includeHidden: boolean): string[] {
    // top-down, the first `::` or `:::` decides; a field only ever defined with `:` is visible
    const vis = new Map<string, 'hidden' | 'visible' | 'inherit'>();
    // names masked by std.objectRemoveKey, with the lowest layer index the mask still covers
    const masked = new Map<string, number>();
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!;
      if (layer.mask) for (const n of layer.mask.names) if (!masked.has(n)) masked.set(n, i - layer.mask.count);
      for (const [name, f] of layer.fields) {
        const m = masked.get(name);
        if (m !== undefined && i >= m) continue;
        const cur = vis.get(name);
        if (cur === 'hidden' || cur === 'visible') continue;
        vis.set(name, f.vis === '::' ? 'hidden' : f.vis === ':::' ? 'visible' : 'inherit');
      }
    }
    const out: string[] = [];
    for (const [name, v] of vis) if (includeHidden || v !== 'hidden') out.push(name);
    return out.sort(cmpStrings);
  }
}

export function cmpStrings(a: string, b: string): number {
  // Jsonnet compares strings by code point
  const ai = [...a];
  const bi = [...b];
  for (let k = 0; k < Math.min(ai.length, bi.length); k++) {
    const x = ai[k]!.codePointAt(0)!;
    const y = bi[k]!.codePointAt(0)!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return ai.length - bi.length;
}

export function typeName(v: Val): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (v instanceof JArray) return 'array';
  if (v instanceof JObject) return 'object';
  return 'function';
}

/** `a + b` for the value kinds `+:` fields combine (and the + operator uses). */
export function plusValues(a: Val, b: Val, loc?: Loc): Val {
  if (typeof a === 'number' && typeof b === 'number') return checkNum(a + b, loc);
  if (typeof a === 'string' || typeof b === 'string') return toStr(a) + toStr(b);
  if (a instanceof JArray && b instanceof JArray) return new JArray([...a.items, ...b.items]);
  if (a instanceof JObject && b instanceof JObject) return new JObject([...a.layers, ...b.layers]);
  throw new JsonnetError('runtime', `binary operator + does not operate on ${typeName(a)} and ${typeName(b)}.`, loc);
}

export function checkNum(n: number, loc?: Loc): number {
  if (Number.isNaN(n)) throw new JsonnetError('runtime', 'not a number', loc);
  if (!Number.isFinite(n)) throw new JsonnetError('runtime', 'overflow', loc);
  return n;
}

/** Number as jsonnet prints it: integers plainly, others with 17 significant digits (%.17g). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return Object.is(n, -0) ? '-0' : BigInt(n).toString();
  return formatG(n, 17, false);
}

/** C's %.{prec}g (alt keeps trailing zeros, as with the # flag). */
export function formatG(n: number, prec: number, alt: boolean): string {
  if (prec === 0) prec = 1;
  if (n === 0) return alt ? (0).toFixed(prec - 1) : Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  let e = Number(n.toExponential(prec - 1).split('e')[1]);
  if (Number.isNaN(e)) e = exp;
  let s: string;
  if (e < -4 || e >= prec) {
    const [m, ex] = n.toExponential(prec - 1).split('e') as [string, string];
    const mant = alt ? (m.includes('.') ? m : `${m}.`) : stripZeros(m);
    const en = Number(ex);
    s = `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  } else {
    const f = n.toFixed(Math.max(0, prec - 1 - e));
    s = alt ? (f.includes('.') ? f : `${f}.`) : stripZeros(f);
  }
  return s;
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** std.toString: strings as they are, everything else as compact JSON. */
export function toStr(v: Val): string {
  if (typeof v === 'string') return v;
  return manifestCompact(v);
}

function manifestCompact(v: Val): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof JArray)
    return v.items.length === 0 ? '[ ]' : `[${v.items.map((t) => manifestCompact(t.get())).join(', ')}]`;
  if (v instanceof JObject) {
    v.checkAsserts();
    const names = v.fieldNames(false);
    if (names.length === 0) return '{ }';
    return `{${names.map((k) => `${JSON.stringify(k)}: ${manifestCompact(v.get(k))}`).join(', ')}}`;
  }
  throw new JsonnetError('runtime', "couldn't manifest function as JSON");
}
