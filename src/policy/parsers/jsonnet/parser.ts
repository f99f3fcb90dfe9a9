// Jsonnet's grammar (https://jsonnet.org/ref/spec.html#abstract_syntax) as a recursive-descent parser with
// the spec's operator precedence; errors name file:line:col like the jsonnet CLI's STATIC ERROR.
import type { Arg, Bind, CompSpec, FieldNode, Node, Param, Visibility } from './ast.ts';
import { JsonnetError, type Loc } from './errors.ts';
import { lex, type Token } from './lexer.ts';

const BINARY_PRECEDENCE: Record<string, number> = {
  '*': 5,
  '/': 5,
  '%': 5,
  '+': 6,
  '-': 6,
  '<<': 7,
  '>>': 7,
  '<': 8,
  '<=': 8,
  '>': 8,
  '>=': 8,
  in: 8,
  '==': 9,
  '!=': 9,
  '&': 10,
  '^': 11,
  '|': 12,
  '&&': 13,
  '||': 14,
};
const MAX_PRECEDENCE = 15;
const UNARY = new Set(['-', '+', '!', '~']);
const KEYWORD_EXPRS = new Set(['local', 'if', 'function', 'assert', 'error', 'import', 'importstr', 'importbin']);

export function parseJsonnet(src: string, file: string): Node {
  return new Parser(lex(src, file)).top();
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private get tok(): Token {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private fail(msg: string, loc: Loc = this.tok.loc): never {
    throw new JsonnetError('static', msg, loc);
  }
  private is(text: string, kind?: Token['kind']): boolean {
    const t = this.tok;
    return t.text === text && (kind ? t.kind === kind : t.kind !== 'str' && t.kind !== 'eof');
  }
  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected token ${text} but got ${this.describe()}`);
    return this.next();
  }
  private describe(): string {
    const t = this.tok;
    return t.kind === 'eof' ? 'end of file' : `(${t.kind === 'str' ? 'STRING' : t.kind.toUpperCase()}, "${t.text}")`;
  }

  top(): Node {
    const e = this.expr();
    if (this.tok.kind !== 'eof') this.fail(`did not expect: ${this.describe()}`);
    return e;
  }

  expr(prec = MAX_PRECEDENCE): Node {
    if (++this.depth > 2000) this.fail('expression nested too deeply');
    try {
      return this.exprInner(prec);
    } finally {
      this.depth--;
    }
  }

  private exprInner(prec: number): Node {
    const t = this.tok;
    const loc = t.loc;
    if (t.kind === 'kw') {
      switch (t.text) {
        case 'local': {
          this.next();
          const binds: Bind[] = [];
          do {
            binds.push(this.bind());
          } while (this.is(',') && this.next());
          this.expect(';');
          this.noDuplicateLocals(binds);
          return { t: 'local', binds, body: this.expr(), loc };
        }
        case 'if': {
          this.next();
          const cond = this.expr();
          this.expect('then');
          const then = this.expr();
          if (this.is('else', 'kw')) {
            this.next();
            return { t: 'if', cond, then, else: this.expr(), loc };
          }
          return { t: 'if', cond, then, loc };
        }
        case 'function': {
          this.next();
          this.expect('(');
          const params = this.params();
          return { t: 'function', params, body: this.expr(), loc };
        }
        case 'assert': {
          this.next();
          const cond = this.expr();
          let msg: Node | undefined;
          if (this.is(':')) {
            this.next();
            msg = this.expr();
          }
          this.expect(';');
          return msg
            ? { t: 'assert', cond, msg, body: this.expr(), loc }
            : { t: 'assert', cond, body: this.expr(), loc };
        }
        case 'error':
          this.next();
          return { t: 'error', expr: this.expr(), loc };
        case 'import':
        case 'importstr':
        case 'importbin': {
          this.next();
          const p = this.tok;
          if (p.kind !== 'str') this.fail('computed imports are not allowed');
          this.next();
          if (p.text.startsWith('|||')) this.fail('cannot use text blocks in import statements');
          return { t: 'import', kind: t.text, path: p.value!, loc };
        }
      }
    }
    return this.binary(Math.min(prec, MAX_PRECEDENCE - 1));
  }

  private binary(prec: number): Node {
    const operand = () => (prec <= 5 ? this.unaryOrPostfix() : this.binary(prec - 1));
    let left = operand();
    for (;;) {
      const t = this.tok;
      const op = t.kind === 'op' || (t.kind === 'kw' && t.text === 'in') ? t.text : undefined;
      if (!op || BINARY_PRECEDENCE[op] !== prec) return left;
      this.next();
      if (op === 'in' && this.is('super', 'kw')) {
        this.next();
        left = { t: 'insuper', key: left, loc: t.loc };
        continue;
      }
      left = { t: 'binary', op, left, right: operand(), loc: t.loc };
    }
  }

  private unaryOrPostfix(): Node {
    const t = this.tok;
    if (t.kind === 'op' && UNARY.has(t.text)) {
      this.next();
      return { t: 'unary', op: t.text, expr: this.unaryOrPostfix(), loc: t.loc };
    }
    // a keyword expression (local, if, function...) extends as far right as it can: `1 + if x then 2 else 3`
    if (t.kind === 'kw' && KEYWORD_EXPRS.has(t.text)) return this.expr();
    return this.postfix(this.primary());
  }

  private postfix(e: Node): Node {
    for (;;) {
      const t = this.tok;
      if (this.is('.', 'punct')) {
        this.next();
        const id = this.next();
        if (id.kind !== 'id') this.fail(`expected field name after . but got ${id.text}`, id.loc);
        e = { t: 'index', target: e, index: { t: 'str', v: id.text, loc: id.loc }, loc: t.loc };
      } else if (this.is('[', 'punct')) {
        this.next();
        e = this.indexOrSlice(e, t.loc);
      } else if (this.is('(', 'punct')) {
        this.next();
        const args = this.args();
        let tailstrict = false;
        if (this.is('tailstrict', 'kw')) {
          this.next();
          tailstrict = true;
        }
        e = { t: 'call', fn: e, args, tailstrict, loc: t.loc };
      } else if (this.is('{', 'punct')) {
        e = { t: 'apply', target: e, obj: this.primary(), loc: t.loc };
      } else return e;
    }
  }

  private indexOrSlice(target: Node, loc: Loc): Node {
    const parts: (Node | undefined)[] = [];
    let colons = 0;
    let cur: Node | undefined;
    for (;;) {
      if (this.is(']', 'punct')) {
        this.next();
        break;
      }
      if (this.is(':') || this.is('::')) {
        const n = this.next().text.length;
        for (let k = 0; k < n; k++) {
          parts.push(cur);
          cur = undefined;
          colons++;
        }
        continue;
      }
      if (cur) this.fail(`expected ] or : but got ${this.describe()}`);
      cur = this.expr();
    }
    parts.push(cur);
    if (colons === 0) {
      if (!cur) this.fail('index requires an expression', loc);
      return { t: 'index', target, index: cur, loc };
    }
    if (colons > 2) this.fail('invalid slice: too many colons', loc);
    const [start, end, step] = parts;
    return { t: 'slice', target, ...(start ? { start } : {}), ...(end ? { end } : {}), ...(step ? { step } : {}), loc };
  }

  private args(): Arg[] {
    const args: Arg[] = [];
    let named = false;
    while (!this.is(')', 'punct')) {
      if (this.tok.kind === 'id' && this.peek().text === '=' && this.peek().kind === 'op') {
        const name = this.next().text;
        this.next();
        args.push({ name, expr: this.expr() });
        named = true;
      } else {
        if (named) this.fail('positional argument after a named argument is not allowed');
        args.push({ expr: this.expr() });
      }
      if (this.is(',', 'punct')) this.next();
      else if (!this.is(')', 'punct')) this.fail(`expected , or ) but got ${this.describe()}`);
    }
    this.next();
    return args;
  }

  private params(): Param[] {
    const params: Param[] = [];
    while (!this.is(')', 'punct')) {
      const id = this.next();
      if (id.kind !== 'id') this.fail(`expected a parameter name but got ${id.text}`, id.loc);
      if (this.is('=')) {
        this.next();
        params.push({ name: id.text, def: this.expr() });
      } else params.push({ name: id.text });
      if (this.is(',', 'punct')) this.next();
      else if (!this.is(')', 'punct')) this.fail(`expected , or ) but got ${this.describe()}`);
    }
    this.next();
    const seen = new Set<string>();
    for (const p of params) {
      if (seen.has(p.name)) this.fail(`duplicate parameter: ${p.name}`);
      seen.add(p.name);
    }
    return params;
  }

  private noDuplicateLocals(binds: Bind[]): void {
    const seen = new Set<string>();
    for (const b of binds) {
      if (seen.has(b.name)) this.fail(`duplicate local var: ${b.name}`, b.body.loc);
      seen.add(b.name);
    }
  }

  private bind(): Bind {
    const id = this.next();
    if (id.kind !== 'id') this.fail(`expected a local name but got ${id.text}`, id.loc);
    if (this.is('(', 'punct')) {
      this.next();
      const params = this.params();
      this.expect('=');
      return { name: id.text, params, body: this.expr() };
    }
    this.expect('=');
    return { name: id.text, body: this.expr() };
  }

  private primary(): Node {
    const t = this.next();
    const loc = t.loc;
    switch (t.kind) {
      case 'num':
        return { t: 'num', v: Number(t.text), loc };
      case 'str':
        return { t: 'str', v: t.value!, loc };
      case 'id':
        return { t: 'var', name: t.text, loc };
      case 'kw':
        switch (t.text) {
          case 'null':
            return { t: 'null', loc };
          case 'true':
            return { t: 'bool', v: true, loc };
          case 'false':
            return { t: 'bool', v: false, loc };
          case 'self':
            return { t: 'self', loc };
          case 'super': {
            if (this.is('.', 'punct')) {
              this.next();
              const id = this.next();
              if (id.kind !== 'id') this.fail('expected a field name after super.', id.loc);
              return { t: 'superindex', index: { t: 'str', v: id.text, loc: id.loc }, loc };
            }
            if (this.is('[', 'punct')) {
              this.next();
              const index = this.expr();
              this.expect(']');
              return { t: 'superindex', index, loc };
            }
            return this.fail('expected . or [ after super', loc);
          }
        }
        break;
      case 'op':
        if (t.text === '$') return { t: 'dollar', loc };
        break;
      case 'punct':
        if (t.text === '(') {
          const e = this.expr();
          this.expect(')');
          return e;
        }
        if (t.text === '[') return this.array(loc);
        if (t.text === '{') return this.object(loc);
        break;
    }
    return this.fail(`unexpected: ${t.kind === 'eof' ? 'end of file' : `"${t.text}"`} while parsing terminal`, loc);
  }

  private array(loc: Loc): Node {
    const items: Node[] = [];
    while (!this.is(']', 'punct')) {
      const e = this.expr();
      if (this.is('for', 'kw') && items.length === 0) {
        const specs = this.compSpecs();
        this.expect(']');
        return { t: 'arraycomp', body: e, specs, loc };
      }
      items.push(e);
      if (this.is(',', 'punct')) this.next();
      else if (!this.is(']', 'punct')) this.fail(`expected a comma before next array element`);
    }
    this.next();
    return { t: 'array', items, loc };
  }

  private compSpecs(): CompSpec[] {
    const specs: CompSpec[] = [];
    while (this.is('for', 'kw') || this.is('if', 'kw')) {
      const kw = this.next().text;
      if (kw === 'for') {
        const id = this.next();
        if (id.kind !== 'id') this.fail('expected an identifier after for', id.loc);
        this.expect('in');
        specs.push({ kind: 'for', name: id.text, expr: this.expr() });
      } else specs.push({ kind: 'if', cond: this.expr() });
    }
    return specs;
  }

  private object(loc: Loc): Node {
    const fields: FieldNode[] = [];
    const locals: Bind[] = [];
    const asserts: { cond: Node; msg?: Node }[] = [];
    while (!this.is('}', 'punct')) {
      const t = this.tok;
      if (this.is('local', 'kw')) {
        this.next();
        locals.push(this.bind());
      } else if (this.is('assert', 'kw')) {
        this.next();
        const cond = this.expr();
        if (this.is(':')) {
          this.next();
          asserts.push({ cond, msg: this.expr() });
        } else asserts.push({ cond });
      } else if (this.is('for', 'kw')) {
        const f = fields[0];
        if (fields.length !== 1 || !f?.computed)
          this.fail('object comprehension needs exactly one field, with a computed name [e]', t.loc);
        if (f.vis !== ':') this.fail('object comprehensions cannot have hidden fields', t.loc);
        if (f.params) this.fail('object comprehension cannot have a method field', t.loc);
        if (asserts.length) this.fail('object comprehension cannot have asserts', loc);
        const specs = this.compSpecs();
        this.expect('}');
        this.noDuplicateLocals(locals);
        return { t: 'objcomp', key: f.name, value: f.body, plus: f.plus, locals, specs, loc };
      } else {
        fields.push(this.field());
      }
      if (this.is(',', 'punct')) this.next();
      else if (!this.is('}', 'punct') && !this.is('for', 'kw')) this.fail(`expected a comma before next field`);
    }
    this.next();
    this.noDuplicateLocals(locals);
    const names = new Set<string>();
    for (const f of fields) {
      if (f.name.t === 'str' && !f.computed) {
        if (names.has(f.name.v)) this.fail(`duplicate field: ${f.name.v}`, f.loc);
        names.add(f.name.v);
      }
    }
    return { t: 'object', fields, locals, asserts, loc };
  }

  private field(): FieldNode {
    const t = this.next();
    let name: Node;
    let computed = false;
    if (t.kind === 'id') name = { t: 'str', v: t.text, loc: t.loc };
    else if (t.kind === 'str') {
      if (t.text.startsWith('|||')) this.fail('cannot use text blocks as field names', t.loc);
      name = { t: 'str', v: t.value!, loc: t.loc };
    } else if (t.kind === 'punct' && t.text === '[') {
      name = this.expr();
      computed = true;
      this.expect(']');
    } else return this.fail(`unexpected: "${t.text}" while parsing field definition`, t.loc);
    let params: Param[] | undefined;
    if (this.is('(', 'punct')) {
      this.next();
      params = this.params();
    }
    let plus = false;
    let op = this.tok;
    if (op.kind === 'op' && op.text.startsWith('+') && [':', '::', ':::'].includes(op.text.slice(1))) {
      plus = true;
      this.next();
      op = { ...op, text: op.text.slice(1) };
    } else if (op.kind === 'op' && op.text === '+') {
      this.next();
      plus = true;
      op = this.tok;
      if (op.kind !== 'op' || ![':', '::', ':::'].includes(op.text)) this.fail('expected : :: or ::: after +', op.loc);
      this.next();
    } else {
      if (op.kind !== 'op' || ![':', '::', ':::'].includes(op.text))
        this.fail(`expected one of :, ::, :::, got: ${this.describe()}`);
      this.next();
    }
    if (plus && params) this.fail('cannot use +: syntax sugar in a method', t.loc);
    const body = this.expr();
    const f: FieldNode = { name, computed, plus, vis: op.text as Visibility, body, loc: t.loc };
    if (params) f.params = params;
    return f;
  }
}
