// `${{ ... }}` expressions, a small subset of the GitHub Actions expression language: references
// (`params.x`, `steps.build.outputs.digest`, `env.HOME`, `secrets.key`, `run.id`), string/number/boolean/null
// literals, `==` `!=` `<` `<=` `>` `>=` `&&` `||` `!`, parentheses, index `a['b']`, and the functions
// `contains`, `startsWith`, `endsWith`, `format`, `join`, `success`, `failure`, `always`.
// Comparison of strings is case-insensitive as in GitHub Actions; `&&`/`||` return an operand.

export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

export class ExprError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

type Node =
  | { t: 'lit'; v: Value }
  | { t: 'ref'; path: string[]; at: number }
  | { t: 'not'; e: Node }
  | { t: 'bin'; op: string; l: Node; r: Node }
  | { t: 'call'; name: string; args: Node[]; at: number }
  | { t: 'index'; e: Node; i: Node };

interface Tok {
  k: 'id' | 'str' | 'num' | 'op' | 'end';
  v: string;
  at: number;
}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === "'" || c === '"') {
      // GitHub uses '' to escape a quote inside single quotes; we accept both quote kinds
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ExprError('unterminated string', at);
        if (src[i] === c) {
          if (src[i + 1] === c) {
            s += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ k: 'str', v: s, at });
      continue;
    }
    const num = /^-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num && (c !== '-' || out.length === 0 || out[out.length - 1]!.k === 'op')) {
      out.push({ k: 'num', v: num[0], at });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (id) {
      out.push({ k: 'id', v: id[0], at });
      i += id[0].length;
      continue;
    }
    const op = /^(==|!=|<=|>=|&&|\|\||[<>!().,[\]*])/.exec(src.slice(i));
    if (op) {
      out.push({ k: 'op', v: op[0], at });
      i += op[0].length;
      continue;
    }
    throw new ExprError(`unexpected character ${JSON.stringify(c)}`, at);
  }
  out.push({ k: 'end', v: '', at: src.length });
  return out;
}

const PREC: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4 };
const FUNCTIONS = new Set([
  'contains',
  'startswith',
  'endswith',
  'format',
  'join',
  'success',
  'failure',
  'always',
  'tojson',
]);

/** Parses one expression (the text between `${{` and `}}`). */
export function parseExpr(src: string): Node {
  const toks = lex(src);
  let p = 0;
  const peek = () => toks[p]!;
  const take = () => toks[p++]!;
  const expect = (v: string) => {
    const t = take();
    if (t.k !== 'op' || t.v !== v)
      throw new ExprError(
        `expected ${JSON.stringify(v)}, found ${t.k === 'end' ? 'end of expression' : JSON.stringify(t.v)}`,
        t.at,
      );
  };
  const primary = (): Node => {
    const t = take();
    let n: Node;
    if (t.k === 'str') n = { t: 'lit', v: t.v };
    else if (t.k === 'num') n = { t: 'lit', v: Number(t.v) };
    else if (t.k === 'op' && t.v === '(') {
      n = binary(0);
      expect(')');
    } else if (t.k === 'op' && t.v === '!') return { t: 'not', e: primary() };
    else if (t.k === 'id') {
      if (t.v === 'true' || t.v === 'false') n = { t: 'lit', v: t.v === 'true' };
      else if (t.v === 'null') n = { t: 'lit', v: null };
      else if (peek().k === 'op' && peek().v === '(') {
        take();
        const name = t.v.toLowerCase();
        if (!FUNCTIONS.has(name)) throw new ExprError(`unknown function ${t.v}()`, t.at);
        const args: Node[] = [];
        if (!(peek().k === 'op' && peek().v === ')')) {
          for (;;) {
            args.push(binary(0));
            if (peek().k === 'op' && peek().v === ',') {
              take();
              continue;
            }
            break;
          }
        }
        expect(')');
        n = { t: 'call', name, args, at: t.at };
      } else {
        const path = [t.v];
        while (peek().k === 'op' && peek().v === '.') {
          take();
          const seg = take();
          if (seg.k !== 'id' && !(seg.k === 'op' && seg.v === '*'))
            throw new ExprError(`expected a property name after "."`, seg.at);
          path.push(seg.v);
        }
        n = { t: 'ref', path, at: t.at };
      }
    } else
      throw new ExprError(t.k === 'end' ? 'unexpected end of expression' : `unexpected ${JSON.stringify(t.v)}`, t.at);
    while (peek().k === 'op' && (peek().v === '[' || peek().v === '.')) {
      if (take().v === '[') {
        const i = binary(0);
        expect(']');
        n = { t: 'index', e: n, i };
      } else {
        const seg = take();
        if (seg.k !== 'id') throw new ExprError(`expected a property name after "."`, seg.at);
        n = { t: 'index', e: n, i: { t: 'lit', v: seg.v } };
      }
    }
    return n;
  };
  const binary = (min: number): Node => {
    let l = primary();
    for (;;) {
      const t = peek();
      const prec = t.k === 'op' ? PREC[t.v] : undefined;
      if (prec === undefined || prec < min) break;
      take();
      const r = binary(prec + 1);
      l = { t: 'bin', op: t.v, l, r };
    }
    return l;
  };
  const n = binary(0);
  const rest = peek();
  if (rest.k !== 'end') throw new ExprError(`unexpected ${JSON.stringify(rest.v)}`, rest.at);
  return n;
}

/** The references (dotted paths) an expression reads, for static checks. */
export function references(n: Node): Array<{ path: string[]; at: number }> {
  switch (n.t) {
    case 'ref':
      return [{ path: n.path, at: n.at }];
    case 'not':
      return references(n.e);
    case 'bin':
      return [...references(n.l), ...references(n.r)];
    case 'call':
      return n.args.flatMap(references);
    case 'index': {
      // steps['build'].outputs is rare; report the base
      return [...references(n.e), ...references(n.i)];
    }
    default:
      return [];
  }
}

export function callsStatus(n: Node): boolean {
  switch (n.t) {
    case 'call':
      return ['success', 'failure', 'always'].includes(n.name) || n.args.some(callsStatus);
    case 'not':
      return callsStatus(n.e);
    case 'bin':
      return callsStatus(n.l) || callsStatus(n.r);
    case 'index':
      return callsStatus(n.e) || callsStatus(n.i);
    default:
      return false;
  }
}

export interface EvalContext {
  /** Looks up the root of a reference (`params`, `steps`, `env`, `secrets`, `run`). */
  root(name: string): Value | undefined;
  /** For success()/failure(): whether every dependency succeeded / some failed. */
  status?: { success: boolean; failure: boolean };
}

export function truthy(v: Value | undefined): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v !== '';
  return true;
}

export function toStr(v: Value | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function toNum(v: Value | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}

function eq(a: Value | undefined, b: Value | undefined): boolean {
  a ??= null;
  b ??= null;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && (typeof a !== 'object' || a === null || b === null)) return a === b;
  if (typeof a === 'object' || typeof b === 'object') return a === b;
  return toNum(a) === toNum(b);
}

export function evaluate(n: Node, ctx: EvalContext): Value {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'ref': {
      let v: Value | undefined = ctx.root(n.path[0]!);
      for (const seg of n.path.slice(1)) {
        if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return null;
        v = (v as Record<string, Value>)[seg];
      }
      return v ?? null;
    }
    case 'index': {
      const base = evaluate(n.e, ctx);
      const i = evaluate(n.i, ctx);
      if (Array.isArray(base)) return base[toNum(i)] ?? null;
      if (base && typeof base === 'object') return (base as Record<string, Value>)[toStr(i)] ?? null;
      return null;
    }
    case 'not':
      return !truthy(evaluate(n.e, ctx));
    case 'bin': {
      if (n.op === '&&') {
        const l = evaluate(n.l, ctx);
        return truthy(l) ? evaluate(n.r, ctx) : l;
      }
      if (n.op === '||') {
        const l = evaluate(n.l, ctx);
        return truthy(l) ? l : evaluate(n.r, ctx);
      }
      const l = evaluate(n.l, ctx);
      const r = evaluate(n.r, ctx);
      if (n.op === '==') return eq(l, r);
      if (n.op === '!=') return !eq(l, r);
      const [a, b] =
        typeof l === 'string' && typeof r === 'string' ? [l.toLowerCase(), r.toLowerCase()] : [toNum(l), toNum(r)];
      if (n.op === '<') return a < b;
      if (n.op === '<=') return a <= b;
      if (n.op === '>') return a > b;
      return a >= b;
    }
    case 'call': {
      const args = n.args.map((a) => evaluate(a, ctx));
      const s = (i: number) => toStr(args[i]).toLowerCase();
      switch (n.name) {
        case 'success':
          return ctx.status?.success ?? true;
        case 'failure':
          return ctx.status?.failure ?? false;
        case 'always':
          return true;
        case 'contains': {
          const hay = args[0];
          if (Array.isArray(hay)) return hay.some((x) => eq(x, args[1]));
          return s(0).includes(s(1));
        }
        case 'startswith':
          return s(0).startsWith(s(1));
        case 'endswith':
          return s(0).endsWith(s(1));
        case 'join': {
          const a = args[0];
          const sep = args.length > 1 ? toStr(args[1]) : ',';
          return Array.isArray(a) ? a.map(toStr).join(sep) : toStr(a);
        }
        case 'tojson':
          return JSON.stringify(args[0] ?? null, null, 2);
        case 'format': {
          const fmt = toStr(args[0]);
          return fmt.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, d: string | undefined) =>
            m === '{{' ? '{' : m === '}}' ? '}' : toStr(args[Number(d) + 1]),
          );
        }
      }
      throw new ExprError(`unknown function ${n.name}()`, n.at);
    }
  }
}

export interface Template {
  /** Literal text and expressions, in order. */
  parts: Array<{ text: string } | { expr: Node; src: string; at: number }>;
}

/** Splits a string into literal text and `${{ }}` expressions; offsets are relative to the string. */
export function parseTemplate(s: string): Template {
  const parts: Template['parts'] = [];
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('${{', i);
    if (open < 0) {
      parts.push({ text: s.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: s.slice(i, open) });
    const close = findClose(s, open + 3);
    if (close < 0) throw new ExprError('unterminated ${{ (missing }})', open);
    const src = s.slice(open + 3, close);
    try {
      parts.push({ expr: parseExpr(src), src: src.trim(), at: open });
    } catch (e) {
      if (e instanceof ExprError) throw new ExprError(e.message, open + 3 + e.offset);
      throw e;
    }
    i = close + 2;
  }
  return { parts };
}

function findClose(s: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < s.length - 1; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '}' && s[i + 1] === '}') return i;
  }
  return -1;
}

/** Renders a template: a lone expression keeps its type, otherwise parts are joined as strings. */
export function renderTemplate(t: Template, ctx: EvalContext): Value {
  const only = t.parts.length === 1 ? t.parts[0] : undefined;
  if (only && 'expr' in only) return evaluate(only.expr, ctx);
  return t.parts.map((p) => ('text' in p ? p.text : toStr(evaluate(p.expr, ctx)))).join('');
}

export function hasExpression(s: string): boolean {
  return s.includes('${{');
}
