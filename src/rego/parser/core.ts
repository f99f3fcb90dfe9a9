// The Rego parser core: a recursive-descent parser that follows OPA's parser (v1/ast/parser.go) closely, so
// that the same inputs are accepted and rejected, with the same messages and locations.
//
// State is a position in a pre-lexed token array; backtracking (which OPA does in a few places) restores the
// position and drops errors recorded since. Whether an identifier is a keyword is decided when it is looked
// at, from the current keyword set (v0 modules enable keywords with imports).

import type {
  ArrayTerm,
  Body,
  CallTerm,
  EveryExpr,
  Expr,
  Import,
  NumberTerm,
  Package,
  RefTerm,
  SomeDecl,
  StringTerm,
  Term,
  TermExpr,
  VarTerm,
  With,
} from '../ast.ts';
import { ErrorCodes, RegoError, type Location } from '../errors.ts';

/**
 * A parse error while parsing: a plain record (backtracking creates and drops many; RegoError objects with
 * stack traces are made only for the errors that are reported).
 */
export interface ParseErr {
  message: string;
  loc: Location;
}
import { decodeString, lex, type LexComment, type Token } from '../lexer.ts';
import { parseNumber as parseNumberValue } from '../value.ts';
import { copyTerm, isGround, refString, refTerm, termString, trueExpr, valueName, varTerm, walkTerm } from './util.ts';

/** Keywords of every Rego version. */
export const BASE_KEYWORDS = [
  'package',
  'import',
  'as',
  'default',
  'else',
  'not',
  'some',
  'with',
  'null',
  'true',
  'false',
];
/** Keywords that v0 modules enable with `import future.keywords...` or `import rego.v1`; always on in v1. */
export const FUTURE_KEYWORDS = ['in', 'every', 'contains', 'if'];

export const MAX_DEPTH = 3000;

/** Counts parser steps (recursive calls), so tests can bound the work done per input without timing it. */
export const parserStats = { steps: 0 };

const OP_NAMES: Record<string, string> = {
  '+': 'plus',
  '-': 'minus',
  '*': 'mul',
  '/': 'div',
  '%': 'rem',
  '&': 'and',
  '|': 'or',
  '=': 'eq',
  '==': 'equal',
  ':=': 'assign',
  '!=': 'neq',
  '>': 'gt',
  '<': 'lt',
  '>=': 'gte',
  '<=': 'lte',
};

const RELATION_OPS = ['==', '!=', '<', '>', '<=', '>='];
const HEAD_ILLEGAL_OPS = new Set(['+', '-', '*', '/', '%', '&', '|', '==', '!=', '>', '>=', '<', '<=']);
const ROOT_DOCS = new Set(['data', 'input']);

export interface ParsedHead {
  ref: Term[];
  args?: Term[];
  key?: Term;
  value?: Term;
  assign: boolean;
  loc: Location;
  generatedValue: boolean;
  hasIf: boolean;
  hasContains: boolean;
}

export interface ParsedRule {
  head: ParsedHead;
  body: Body;
  else?: ParsedRule;
  default: boolean;
  loc: Location;
  generatedBody: boolean;
}

export type Statement =
  | { kind: 'package'; pkg: Package }
  | { kind: 'import'; imp: Import }
  | { kind: 'rule'; rule: ParsedRule }
  | { kind: 'body'; body: Body };

interface SavedState {
  pos: number;
  /** The errors at save time (a copy; errors are rare, so this is usually empty). */
  errors: ParseErr[];
  identAt: number;
  hints: string[];
}

class DepthExceeded extends Error {}
class BudgetExceeded extends Error {}

/** Parser steps allowed per token: parsing is linear (a few steps per token), so this only stops runaways. */
export const STEPS_PER_TOKEN = 1000;

export class Parser {
  readonly toks: Token[];
  readonly comments: LexComment[];
  pos = 0;
  errors: ParseErr[] = [];
  hints: string[] = [];
  /** Position of a keyword token that is to be read as an identifier (OPA rewrites the token in place). */
  identAt = -1;
  keywords: Set<string>;
  depth = 0;
  steps = 0;
  readonly maxSteps: number;
  /** Terms parsed at a token position (OPA's parsed-term cache): failures too, with the errors they gave. */
  cache = new Map<number, { term: Term | null; end: number; errors?: ParseErr[] }>();
  scanErrors = new Map<number, { index: number; error: ParseErr }>();
  /** The module imported rego.v1 (v0 mode). */
  regoV1Import = false;

  constructor(
    readonly text: string,
    readonly file: string,
    readonly regoVersion: 0 | 1,
  ) {
    const { tokens, comments } = lex(text);
    this.toks = tokens;
    this.comments = comments;
    this.maxSteps = STEPS_PER_TOKEN * (tokens.length + 100);
    this.keywords = new Set(regoVersion === 1 ? [...BASE_KEYWORDS, ...FUTURE_KEYWORDS] : BASE_KEYWORDS);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Token access

  get tok(): Token {
    return this.toks[this.pos] ?? (this.toks[this.toks.length - 1] as Token);
  }

  /** The kind of the token at i: a keyword name, a punctuation text, or ident/number/string/eof/illegal. */
  kindAt(i: number): string {
    const t = this.toks[i] ?? (this.toks[this.toks.length - 1] as Token);
    if (t.error !== undefined) return 'illegal';
    switch (t.type) {
      case 'ident':
        return i !== this.identAt && this.keywords.has(t.lit) ? t.lit : 'ident';
      case 'punct':
        return t.lit;
      case 'rawstring':
        return 'string';
      default:
        return t.type;
    }
  }

  k(): string {
    return this.kindAt(this.pos);
  }

  scan(): void {
    if (this.pos < this.toks.length - 1) this.pos++;
  }

  get lastEnd(): number {
    return this.pos > 0 ? (this.toks[this.pos - 1] as Token).end : 0;
  }

  locOf(t: Token): Location {
    return { file: this.file, row: t.row, col: t.col, offset: t.offset };
  }

  loc(): Location {
    return this.locOf(this.tok);
  }

  /** The current token's location with its text. */
  locText(): Location {
    const t = this.tok;
    return { file: this.file, row: t.row, col: t.col, offset: t.offset, text: t.lit };
  }

  /** A location with the source text from offset to end. */
  span(loc: Location, offset: number, end: number): Location {
    return { ...loc, text: end > offset ? this.text.slice(offset, end) : '' };
  }

  save(): SavedState {
    return {
      pos: this.pos,
      errors: this.errors.length > 0 ? this.errors.slice() : [],
      identAt: this.identAt,
      hints: this.hints.length > 0 ? this.hints.slice() : [],
    };
  }

  restore(s: SavedState): void {
    this.pos = s.pos;
    this.errors = s.errors.length > 0 ? s.errors.slice() : [];
    this.identAt = s.identAt;
    this.hints = s.hints.length > 0 ? s.hints.slice() : [];
  }

  enter(): void {
    parserStats.steps++;
    if (++this.steps > this.maxSteps) throw new BudgetExceeded();
    this.depth++;
    if (this.depth > MAX_DEPTH) throw new DepthExceeded();
  }

  leave(): void {
    this.depth--;
  }

  /** Runs f, turning a depth overflow (ours, or the JS stack's) into a parse error. */
  guarded<T>(f: () => T): T | null {
    try {
      return f();
    } catch (e) {
      if (e instanceof DepthExceeded || e instanceof RangeError) {
        this.depth = 0;
        this.errors.push({ message: 'max parsing recursion depth exceeded', loc: this.loc() });
        return null;
      }
      if (e instanceof BudgetExceeded) {
        this.errors.push({ message: 'parser step budget exceeded', loc: this.loc() });
        return null;
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Errors

  /** The collected errors as RegoErrors values. */
  regoErrors(): RegoError[] {
    return this.errors.map((e) => new RegoError(ErrorCodes.parse, e.message, e.loc));
  }

  error(loc: Location, msg: string): void {
    let m = msg;
    if (this.hints.length === 1) m += ` (hint: ${this.hints[0]})`;
    else if (this.hints.length > 1) m += ` (hints: ${this.hints.join(', ')})`;
    this.hints = [];
    this.errors.push({ message: m, loc });
  }

  tokString(i: number): string {
    const k = this.kindAt(i);
    if (OP_NAMES[k] !== undefined) return OP_NAMES[k];
    if (k === 'ident') return 'identifier';
    return k;
  }

  illegal(note = ''): void {
    const t = this.tok;
    if (this.k() === 'illegal') {
      // The scanner's message is reported once per token (OPA reports it when scanning).
      if (t.error !== undefined) {
        const prev = this.scanErrors.get(this.pos);
        if (prev === undefined || this.errors[prev.index] !== prev.error) {
          this.error(this.loc(), t.error);
          this.scanErrors.set(this.pos, {
            index: this.errors.length - 1,
            error: this.errors[this.errors.length - 1] as ParseErr,
          });
        }
      }
      this.error(this.loc(), 'illegal token');
      return;
    }
    const k = this.k();
    const s = this.tokString(this.pos);
    const type = BASE_KEYWORDS.includes(k) || FUTURE_KEYWORDS.includes(k) ? 'keyword' : 'token';
    this.error(this.loc(), note ? `unexpected ${s} ${type}: ${note}` : `unexpected ${s} ${type}`);
  }

  hint(s: string): void {
    this.hints.push(s);
  }

  isKeywordName(name: string): boolean {
    return (
      BASE_KEYWORDS.includes(name) ||
      (this.regoVersion === 1 && FUTURE_KEYWORDS.includes(name)) ||
      this.keywords.has(name)
    );
  }

  /** OPA's isAllowedRefKeyword: keywords may appear in refs (`data.foo.if`, `if.x`). */
  isAllowedRefKeyword(i: number): boolean {
    const k = this.kindAt(i);
    return k !== 'ident' && this.toks[i]?.type === 'ident' && this.isKeywordName(k);
  }

  /** A keyword that may start a ref (`if.x`); the literals null/true/false may not (`true[0]` is an error). */
  isAllowedRefHeadKeyword(i: number): boolean {
    const k = this.kindAt(i);
    return k !== 'null' && k !== 'true' && k !== 'false' && this.isAllowedRefKeyword(i);
  }

  /** If the current token is a keyword directly followed by `.` or `[`, read it as an identifier. */
  scanAheadRef(): boolean {
    if (this.isAllowedRefHeadKeyword(this.pos)) {
      const next = this.toks[this.pos + 1];
      if (next && !next.ws && (next.lit === '.' || next.lit === '[') && next.type === 'punct') {
        this.identAt = this.pos;
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Statements

  parseStatements(skipRules: boolean): Statement[] {
    const stmts: Statement[] = [];
    while (this.k() !== 'eof') {
      let s = this.save();
      if (!skipRules) {
        const pkg = this.parsePackage();
        if (pkg) {
          stmts.push({ kind: 'package', pkg });
          continue;
        } else if (this.errors.length > 0) break;
        this.restore(s);
        s = this.save();
        const imp = this.parseImport();
        if (imp) {
          const head = imp.path.terms[0];
          if (head?.type === 'var' && head.name === 'rego') this.regoImport(imp);
          if (head?.type === 'var' && head.name === 'future') this.futureImport(imp);
          stmts.push({ kind: 'import', imp });
          continue;
        } else if (this.errors.length > 0) break;
        this.restore(s);
        s = this.save();
        const rules = this.parseRules();
        if (rules) {
          for (const rule of rules) stmts.push({ kind: 'rule', rule });
          continue;
        } else if (this.errors.length > 0) break;
        this.restore(s);
      }
      const body = this.parseQuery(true, 'eof');
      if (body) {
        stmts.push({ kind: 'body', body });
        continue;
      }
      if (this.errors.length === 0) this.illegal();
      break;
    }
    return stmts;
  }

  parsePackage(): Package | null {
    if (this.k() !== 'package') return null;
    const loc = this.loc();
    this.scan();
    // `package.x` / `package[x]` is a ref, not a package declaration.
    if (!this.tok.ws && (this.k() === '.' || this.k() === '[')) return null;
    if (!this.identOrAllowedRefKeyword()) {
      this.illegal();
      return null;
    }
    const term = this.parseTerm();
    let path: Term[] | null = null;
    if (term) {
      if (term.type === 'var') {
        path = [varTerm('data', term.loc), { type: 'string', value: term.name, loc: term.loc }];
      } else if (term.type === 'ref') {
        const v = term.terms;
        const first = v[0] as Term;
        if (first.type !== 'var') {
          this.error(first.loc, `unexpected ${valueName(first)} token: expecting var`);
          return null;
        }
        path = [varTerm('data', first.loc), { type: 'string', value: first.name, loc: first.loc }];
        for (let i = 1; i < v.length; i++) {
          const x = v[i] as Term;
          if (x.type !== 'string') {
            this.error(x.loc, `unexpected ${valueName(x)} token: expecting string`);
            return null;
          }
          path.push(x);
        }
      } else {
        this.illegal();
        return null;
      }
    }
    if (!path) {
      if (this.errors.length === 0) this.error(this.loc(), 'expected path');
      return null;
    }
    return { path: refTerm(path, path[0]?.loc ?? loc), loc };
  }

  identOrAllowedRefKeyword(): boolean {
    if (this.k() === 'ident') return true;
    if (this.isAllowedRefKeyword(this.pos)) {
      this.identAt = this.pos;
      return true;
    }
    return false;
  }

  parseImport(): Import | null {
    if (this.k() !== 'import') return null;
    const loc = this.loc();
    this.scan();
    if (!this.tok.ws && (this.k() === '.' || this.k() === '[')) return null;
    if (!this.identOrAllowedRefKeyword()) {
      this.illegal();
      return null;
    }
    // Parse the path without future keywords, so that `import future.keywords.in` works once `in` is a keyword.
    const saved = this.keywords;
    this.keywords = new Set(BASE_KEYWORDS);
    this.cache.clear();
    let term: Term | null;
    try {
      term = this.parseTerm();
    } finally {
      this.keywords = saved;
      this.cache.clear();
    }
    let path: RefTerm | null = null;
    if (term) {
      if (term.type === 'var') path = refTerm([term], term.loc);
      else if (term.type === 'ref') {
        for (let i = 1; i < term.terms.length; i++) {
          const x = term.terms[i] as Term;
          if (x.type !== 'string') {
            this.error(x.loc, `unexpected ${valueName(x)} token: expecting string`);
            return null;
          }
        }
        path = term;
      }
    }
    if (!path) {
      this.error(this.loc(), 'expected path');
      return null;
    }
    const head = path.terms[0] as Term;
    const headName = head.type === 'var' ? head.name : '';
    if (!['data', 'input', 'future', 'rego'].includes(headName)) {
      this.hint('if this is unexpected, try updating OPA');
      this.error(
        path.loc,
        `unexpected import path, must begin with one of: {data, future, input, rego}, got: ${termString(head)}`,
      );
      return null;
    }
    const imp: Import = { path, loc: { ...loc, text: '' } };
    if (this.k() === 'as') {
      this.scan();
      if (this.k() !== 'ident') {
        this.illegal('expected var');
        return null;
      }
      const alias = this.parseTerm();
      if (alias && alias.type === 'var') {
        imp.alias = alias.name;
        imp.loc = this.span(loc, loc.offset ?? 0, this.lastEnd);
        return imp;
      }
      this.illegal('expected var');
      return null;
    }
    const r = path.terms;
    if (r.length === 1) {
      if (this.isKeywordInVersion(headName)) {
        this.error(head.loc, `unexpected import path, must not end with a keyword, got: ${headName}`);
        this.hint('import a different path or use an alias');
      }
    } else if (headName !== 'future') {
      const last = r[r.length - 1] as StringTerm;
      if (this.isKeywordInVersion(last.value)) {
        this.error(last.loc, `unexpected import path, must not end with a keyword, got: ${last.value}`);
        this.hint('import a different path or use an alias');
      }
    }
    imp.loc = this.span(loc, loc.offset ?? 0, this.lastEnd);
    return imp;
  }

  isKeywordInVersion(name: string): boolean {
    return BASE_KEYWORDS.includes(name) || (this.regoVersion === 1 && FUTURE_KEYWORDS.includes(name));
  }

  futureImport(imp: Import): void {
    const path = imp.path.terms;
    const second = path[1];
    if (path.length === 1 || second?.type !== 'string' || second.value !== 'keywords') {
      this.error(imp.path.loc, 'invalid import, must be `future.keywords`');
      return;
    }
    if (imp.alias !== undefined) {
      this.error(imp.path.loc, '`future` imports cannot be aliased');
      return;
    }
    let kws = FUTURE_KEYWORDS;
    if (path.length === 3) {
      const kw = path[2] as Term;
      if (kw.type !== 'string') {
        this.error(imp.path.loc, 'invalid import, must be `future.keywords.x`, e.g. `import future.keywords.in`');
        return;
      }
      if (!FUTURE_KEYWORDS.includes(kw.value)) {
        this.error(imp.path.loc, 'unexpected keyword, must be one of [contains every if in]');
        return;
      }
      kws = [kw.value];
    } else if (path.length > 3) {
      // OPA ignores deeper paths here (the compiler rejects them); keep all keywords off.
      return;
    }
    for (const kw of kws) {
      this.keywords.add(kw);
      if (kw === 'every') this.keywords.add('in');
    }
    this.cache.clear();
  }

  regoImport(imp: Import): void {
    const path = imp.path.terms;
    const second = path[1];
    if (path.length !== 2 || second?.type !== 'string' || second.value !== 'v1') {
      this.error(imp.path.loc, `invalid import \`${refString(path)}\`, must be \`rego.v1\``);
      return;
    }
    if (this.regoVersion === 1) return;
    if (imp.alias !== undefined) {
      this.error(imp.path.loc, '`rego` imports cannot be aliased');
      return;
    }
    this.regoV1Import = true;
    for (const kw of FUTURE_KEYWORDS) this.keywords.add(kw);
    this.cache.clear();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Rules

  parseRules(): ParsedRule[] | null {
    const loc = this.loc();
    const startOffset = this.tok.offset;
    this.scanAheadRef();
    let isDefault = false;
    if (this.k() === 'default') {
      this.scan();
      isDefault = true;
      this.scanAheadRef();
    }
    if (this.k() !== 'ident') return null;
    const parsed = this.parseHead(isDefault);
    if (!parsed) return null;
    const head = parsed;
    const usesContains = head.hasContains;
    const rule: ParsedRule = { head, body: [], default: isDefault, loc, generatedBody: false };

    if (isDefault) {
      if (!this.validateDefaultRuleValue(rule)) return null;
      if (head.args && head.args.length > 0 && !this.validateDefaultRuleArgs(rule)) return null;
      rule.body = [trueExpr(rule.loc)];
      rule.generatedBody = true;
      rule.loc = this.span(loc, startOffset, this.lastEnd);
      return [rule];
    }

    const hasIf = this.k() === 'if';
    if (hasIf && !usesContains && head.ref.length === 2) {
      if (head.value === undefined) {
        head.generatedValue = true;
        head.value = { type: 'boolean', value: true, loc: head.loc };
      }
    }
    if (!hasIf && !usesContains && !(head.args && head.args.length > 0) && head.ref.length === 2) {
      if ((head.ref[0] as Term).type !== 'var') return null;
      if (head.value === undefined) {
        head.key = head.ref[1];
        head.ref = head.ref.slice(0, 1);
      }
    }

    let bodyDone = false;
    if (hasIf) {
      head.hasIf = true;
      this.scan();
      const s = this.save();
      const expr = this.parseLiteral();
      if (expr) {
        // `p if { true }` must not be read as a set literal.
        const isSet = expr.type === 'expr' && expr.term.type === 'set';
        if (!isSet) {
          rule.body.push(expr);
          bodyDone = true;
        }
      }
      if (!bodyDone) this.restore(s);
    }
    if (!bodyDone) {
      // After `if`, OPA falls through to the braced-body case whatever the token is (it steps over it).
      if (hasIf || this.k() === '{') {
        this.scan();
        const body = this.parseBody('}');
        if (!body) return null;
        rule.body = body;
        this.scan();
      } else if (usesContains) {
        rule.body = [trueExpr(head.loc)];
        rule.generatedBody = true;
        rule.loc = head.loc;
        return [rule];
      } else {
        return null;
      }
    }

    if (this.k() === 'else') {
      if (!this.scanAheadRef()) {
        if (head.ref.length > 1 && !head.ref.slice(1).every(isGround)) {
          this.error(this.loc(), 'else keyword cannot be used on rules with variables in head');
          return null;
        }
        if (head.key !== undefined) {
          this.error(this.loc(), 'else keyword cannot be used on multi-value rules');
          return null;
        }
        const els = this.parseElse(head);
        if (!els) return null;
        rule.else = els;
      }
    }
    rule.loc = this.span(loc, startOffset, this.lastEnd);
    const rules = [rule];
    while (this.k() === '{') {
      if (rule.else) {
        this.error(this.loc(), 'expected else keyword');
        return null;
      }
      const bloc = this.loc();
      const boff = this.tok.offset;
      this.scan();
      const body = this.parseBody('}');
      if (!body) return null;
      this.scan();
      const nloc = this.span(bloc, boff, this.lastEnd);
      rules.push({ head: copyParsedHead(head, nloc), body, default: false, loc: nloc, generatedBody: false });
    }
    return rules;
  }

  parseElse(head: ParsedHead): ParsedRule | null {
    this.enter();
    try {
      return this.parseElseInner(head);
    } finally {
      this.leave();
    }
  }

  private parseElseInner(head: ParsedHead): ParsedRule | null {
    const loc = this.loc();
    const startOffset = this.tok.offset;
    const h = copyParsedHead(head, { ...loc, text: this.tok.lit });
    h.generatedValue = false;
    h.hasIf = false;
    const rule: ParsedRule = { head: h, body: [], default: false, loc, generatedBody: false };
    this.scan();
    switch (this.k()) {
      case '{':
      case 'if':
        h.generatedValue = true;
        h.value = { type: 'boolean', value: true, loc };
        h.assign = false;
        break;
      case ':=':
      case '=': {
        h.assign = this.k() === ':=';
        this.scan();
        const v = this.parseTermInfixCall();
        if (!v) return null;
        h.value = v;
        h.loc = this.span(loc, startOffset, this.lastEnd);
        break;
      }
      default:
        this.illegal('expected else value term or rule body');
        return null;
    }
    const hasIf = this.k() === 'if';
    const hasBrace = this.k() === '{';
    if (!hasIf && !hasBrace) {
      rule.body = [trueExpr(loc)];
      rule.generatedBody = true;
      rule.loc = this.span(loc, startOffset, this.lastEnd);
      return rule;
    }
    if (hasIf) {
      h.hasIf = true;
      this.scan();
    }
    if (this.k() === '{') {
      this.scan();
      const body = this.parseBody('}');
      if (!body) return null;
      rule.body = body;
      this.scan();
    } else if (this.k() !== 'eof') {
      const expr = this.parseLiteral();
      if (!expr) return null;
      rule.body = [expr];
    } else {
      this.illegal('rule body expected');
      return null;
    }
    if (this.k() === 'else') {
      const els = this.parseElse(head);
      if (!els) return null;
      rule.else = els;
    }
    // As in OPA, an else rule's text runs to the end of the chain.
    rule.loc = this.span(loc, startOffset, this.lastEnd);
    return rule;
  }

  parseHead(isDefault: boolean): ParsedHead | null {
    const loc = this.loc();
    const startOffset = this.tok.offset;
    const v = this.parseVar();
    const ref = this.parseHeadFinish(v);
    if (!ref) {
      this.illegal('expected rule head name');
      return null;
    }
    const head: ParsedHead = {
      ref: [],
      assign: false,
      loc,
      generatedValue: false,
      hasIf: false,
      hasContains: false,
    };
    switch (ref.type) {
      case 'var':
        head.ref = [ref];
        break;
      case 'ref':
        head.ref = ref.terms;
        break;
      case 'call': {
        const op = ref.operator;
        if ((op.terms[0] as Term).type !== 'var') {
          this.illegal(`rule head ref ${termString(op)} invalid`);
          return null;
        }
        head.ref = op.terms;
        head.args = ref.args;
        break;
      }
      default:
        return null;
    }
    const name = refString(head.ref);
    const finish = (): ParsedHead => {
      head.loc = this.span(loc, startOffset, this.lastEnd);
      return head;
    };
    switch (this.k()) {
      case 'contains': {
        if (head.args) {
          this.illegal(
            `the contains keyword can only be used with multi-value rule definitions (e.g., ${name} contains <VALUE> { ... })`,
          );
        }
        this.scan();
        const key = this.parseTermInfixCall();
        if (!key) {
          this.illegal(`expected rule key term (e.g., ${name} contains <VALUE> { ... })`);
          return null;
        }
        head.key = key;
        head.hasContains = true;
        return finish();
      }
      case '=': {
        this.scan();
        const value = this.parseTermInfixCall();
        if (!value) {
          this.illegal(`expected rule value term (e.g., ${name}[<nil>] = <VALUE> { ... })`);
          return null;
        }
        head.value = value;
        break;
      }
      case ':=': {
        this.scan();
        head.assign = true;
        const value = this.parseTermInfixCall();
        if (!value) {
          if (head.args && head.args.length > 0)
            this.illegal(`expected function value term (e.g., ${name}(...) := <VALUE> { ... })`);
          else if (isDefault) this.illegal(`expected default rule value term (e.g., default ${name} := <VALUE>)`);
          else this.illegal(`expected rule value term (e.g., ${name} := <VALUE> { ... })`);
          return null;
        }
        head.value = value;
        break;
      }
    }
    if (head.value === undefined && head.key === undefined) {
      if (head.ref.length !== 2 || (head.args && head.args.length > 0)) {
        head.generatedValue = true;
        head.value = { type: 'boolean', value: true, loc };
      }
    }
    return finish();
  }

  parseHeadFinish(head: Term): Term | null {
    const offset = this.tok.offset;
    this.scan();
    if (!this.tok.ws && HEAD_ILLEGAL_OPS.has(this.k())) this.illegal();
    if (this.k() === '(' || this.k() === '.' || this.k() === '[') return this.parseRef(head, offset);
    if (head.type === 'var' && ROOT_DOCS.has(head.name)) return refTerm([head], head.loc);
    return head;
  }

  validateDefaultRuleValue(rule: ParsedRule): boolean {
    const value = rule.head.value;
    if (value === undefined) {
      this.error(rule.loc, 'illegal default rule (must have a value)');
      return false;
    }
    let valid = true;
    walkTerm(value, (x) => {
      if (x.type === 'arraycompr' || x.type === 'setcompr' || x.type === 'objectcompr') return true;
      if (x.type === 'ref' || x.type === 'var' || x.type === 'call') {
        this.error(rule.loc, `illegal default rule (value cannot contain ${x.type})`);
        valid = false;
        return true;
      }
      return undefined;
    });
    return valid;
  }

  validateDefaultRuleArgs(rule: ParsedRule): boolean {
    let valid = true;
    const seen = new Set<string>();
    for (const a of rule.head.args ?? []) {
      if (a.type !== 'var') {
        this.error(rule.loc, `illegal default rule (arguments cannot contain ${valueName(a)})`);
        valid = false;
        continue;
      }
      if (a.name !== '_' && seen.has(a.name)) {
        this.error(rule.loc, `illegal default rule (arguments cannot be repeated ${a.name})`);
        valid = false;
      }
      seen.add(a.name);
    }
    return valid;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Bodies and literals

  parseBody(end: string): Body | null {
    this.enter();
    try {
      return this.parseQuery(false, end);
    } finally {
      this.leave();
    }
  }

  parseQuery(requireSemi: boolean, end: string): Body | null {
    const body: Body = [];
    if (this.k() === end) {
      this.error(this.loc(), 'found empty body');
      return null;
    }
    for (;;) {
      const expr = this.parseLiteral();
      if (!expr) return null;
      expr.index = body.length;
      body.push(expr);
      if (this.k() === ';') {
        this.scan();
        continue;
      }
      if (this.k() === end || requireSemi) return body;
      if (!this.tok.nl) {
        if (this.errors.length === 0) this.illegal(`expected \\n or ; or ${end}`);
        return null;
      }
    }
  }

  parseLiteral(): Expr | null {
    const loc = this.loc();
    const offset = this.tok.offset;
    const done = (e: Expr | null): Expr | null => {
      if (e) e.loc = this.span(loc, offset, this.lastEnd);
      return e;
    };
    if (this.isAllowedRefHeadKeyword(this.pos)) {
      const next = this.toks[this.pos + 1];
      if (next && !next.ws && next.type === 'punct' && (next.lit === '.' || next.lit === '[')) {
        this.identAt = this.pos;
        return done(this.parseLiteralExpr(false));
      }
    }
    let negated = false;
    if (this.k() === 'not') {
      const next = this.toks[this.pos + 1];
      if (!(next && !next.ws && next.type === 'punct' && (next.lit === '.' || next.lit === '['))) {
        this.scan();
        negated = true;
      }
    }
    switch (this.k()) {
      case 'some':
        if (negated) {
          this.illegal("illegal negation of 'some'");
          return null;
        }
        return done(this.parseSome());
      case 'every':
        if (negated) {
          this.illegal("illegal negation of 'every'");
          return null;
        }
        return done(this.parseEvery());
      default:
        return done(this.parseLiteralExpr(negated));
    }
  }

  parseLiteralExpr(negated: boolean): Expr | null {
    const s = this.save();
    const expr = this.parseExpr();
    if (!expr) return null;
    expr.negated = negated;
    if (this.k() === 'with') {
      const w = this.parseWith();
      if (!w) return null;
      expr.with = w;
    }
    // A plain `every` identifier (v0 without the import): hint at the import if it parses as `every`.
    if (!this.keywords.has('every') && expr.type === 'expr' && expr.term.type === 'var' && expr.term.name === 'every') {
      const t = this.save();
      this.restore(s);
      const saved = this.keywords;
      this.keywords = new Set([...saved, ...FUTURE_KEYWORDS]);
      this.cache.clear();
      let hint = false;
      try {
        const e = this.parseEvery();
        hint = e !== null && e.type === 'every';
      } finally {
        this.keywords = saved;
        this.cache.clear();
      }
      this.restore(t);
      if (hint) this.hint('`import future.keywords.every` for `every x in xs { ... }` expressions');
    }
    return expr;
  }

  parseWith(): With[] | null {
    const withs: With[] = [];
    for (;;) {
      const loc = this.loc();
      const offset = this.tok.offset;
      this.scan();
      if (this.k() !== 'ident') {
        this.illegal('expected ident');
        return null;
      }
      const target = this.parseTerm();
      if (!target) return null;
      let tref: RefTerm;
      if (target.type === 'ref') tref = target;
      else if (target.type === 'var') tref = refTerm([target], target.loc);
      else {
        this.illegal('expected with target path');
        tref = refTerm([target], target.loc);
      }
      if (this.k() !== 'as') {
        this.illegal('expected as keyword');
        return null;
      }
      this.scan();
      const value = this.parseTermInfixCall();
      if (!value) return null;
      withs.push({ target: tref, value, loc: this.span(loc, offset, this.lastEnd) });
      if (this.k() !== 'with') break;
    }
    return withs;
  }

  parseSome(): Expr | null {
    const loc = this.loc();
    const s = this.save();
    this.scan();
    const term = this.parseTermInfixCall();
    if (term && term.type === 'call') {
      const name = refString(term.operator.terms);
      if (name === 'internal.member_2') {
        if (term.args.length !== 2) {
          this.illegal('illegal domain');
          return null;
        }
      } else if (name === 'internal.member_3') {
        if (term.args.length !== 3) {
          this.illegal('illegal domain');
          return null;
        }
      } else {
        this.illegal('expected `x in xs` or `x, y in xs` expression');
        return null;
      }
      const decl: SomeDecl = { type: 'some', symbols: [term], negated: false, with: [], loc };
      if (this.k() === 'with') {
        const w = this.parseWith();
        if (!w) return null;
        decl.with = w;
      }
      return decl;
    }
    this.restore(s);
    if (!this.keywords.has('in')) {
      // Hint at the import when `some x in xs` would parse with `in` as a keyword.
      const s2 = this.save();
      const saved = this.keywords;
      this.keywords = new Set([...saved, 'in']);
      this.cache.clear();
      let hint = false;
      try {
        this.scan();
        const t = this.parseTermInfixCall();
        if (t && t.type === 'call') {
          const n = refString(t.operator.terms);
          hint = n === 'internal.member_2' || n === 'internal.member_3';
        }
      } finally {
        this.keywords = saved;
        this.cache.clear();
      }
      this.restore(s2);
      if (hint) this.hint('`import future.keywords.in` for `some x in xs` expressions');
    }
    const symbols: Term[] = [];
    for (;;) {
      this.scan();
      if (this.k() !== 'ident') {
        this.illegal('expected var');
        return null;
      }
      symbols.push(this.parseVar());
      this.scan();
      if (this.k() !== ',') break;
    }
    return { type: 'some', symbols, negated: false, with: [], loc };
  }

  parseEvery(): Expr | null {
    const loc = this.loc();
    this.scan();
    const term = this.parseTermInfixCall();
    if (!term) return null;
    if (term.type !== 'call') {
      this.illegal('expected `x[, y] in xs { ... }` expression');
      return null;
    }
    const name = refString(term.operator.terms);
    let key: Term | undefined;
    let value: Term;
    let domain: Term;
    if (name === 'internal.member_2') {
      if (term.args.length !== 2) {
        this.illegal('illegal domain');
        return null;
      }
      value = term.args[0] as Term;
      domain = term.args[1] as Term;
    } else if (name === 'internal.member_3') {
      if (term.args.length !== 3) {
        this.illegal('illegal domain');
        return null;
      }
      key = term.args[0] as Term;
      value = term.args[1] as Term;
      domain = term.args[2] as Term;
      if (key.type !== 'var') {
        this.illegal('expected key to be a variable');
        return null;
      }
    } else {
      this.illegal('expected `x[, y] in xs { ... }` expression');
      return null;
    }
    if (value.type !== 'var') {
      this.illegal('expected value to be a variable');
      return null;
    }
    if (this.k() === '{') {
      this.scan();
      const body = this.parseBody('}');
      if (!body) return null;
      this.scan();
      const expr: EveryExpr = { type: 'every', value, domain, body, negated: false, with: [], loc };
      if (key) expr.key = key as VarTerm;
      if (this.k() === 'with') {
        const w = this.parseWith();
        if (!w) return null;
        expr.with = w;
      }
      return expr;
    }
    this.illegal('missing body');
    return null;
  }

  parseExpr(): TermExpr | null {
    const lhs = this.parseTermInfixCall();
    if (!lhs) return null;
    const op = this.parseTermOp(':=', '=');
    if (op) {
      const rhs = this.parseTermInfixCall();
      if (!rhs) return null;
      const call: CallTerm = { type: 'call', operator: op, args: [lhs, rhs], loc: lhs.loc };
      return { type: 'expr', term: call, negated: false, with: [], loc: lhs.loc };
    }
    return { type: 'expr', term: lhs, negated: false, with: [], loc: lhs.loc };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Infix terms, by precedence: in < relations < | < & < + - < * / %

  parseTermInfixCall(): Term | null {
    this.enter();
    try {
      return this.parseTermIn(null, true, this.tok.offset);
    } finally {
      this.leave();
    }
  }

  parseTermInfixCallInList(): Term | null {
    this.enter();
    try {
      return this.parseTermIn(null, false, this.tok.offset);
    } finally {
      this.leave();
    }
  }

  private binCall(op: RefTerm, args: Term[], lhs: Term, offset: number): CallTerm {
    return { type: 'call', operator: op, args, loc: this.span(lhs.loc, offset, this.lastEnd) };
  }

  parseTermIn(lhsIn: Term | null, keyVal: boolean, offset: number): Term | null {
    this.enter();
    try {
      let lhs = lhsIn;
      if (!lhs) lhs = this.parseTermRelation(null, offset);
      if (!lhs) return null;
      if (keyVal && this.k() === ',') {
        const s = this.save();
        this.scan();
        const mhs = this.parseTermRelation(null, offset);
        if (mhs) {
          const op = this.parseTermOpName(['internal', 'member_3'], 'in');
          if (op) {
            const rhs = this.parseTermRelation(null, this.tok.offset);
            if (rhs) {
              const call = this.binCall(op, [lhs, mhs, rhs], lhs, offset);
              if (this.k() === 'in') return this.parseTermIn(call, keyVal, offset);
              return call;
            }
          }
        }
        this.restore(s);
      }
      this.scanAheadRef();
      const op = this.parseTermOpName(['internal', 'member_2'], 'in');
      if (op) {
        const rhs = this.parseTermRelation(null, this.tok.offset);
        if (rhs) {
          const call = this.binCall(op, [lhs, rhs], lhs, offset);
          if (this.k() === 'in') return this.parseTermIn(call, keyVal, offset);
          return call;
        }
      }
      return lhs;
    } finally {
      this.leave();
    }
  }

  parseTermRelation(lhsIn: Term | null, offset: number): Term | null {
    this.enter();
    try {
      let lhs = lhsIn;
      for (;;) {
        if (!lhs) lhs = this.parseTermOr(null, offset);
        if (!lhs) return null;
        const op = this.parseTermOp(...RELATION_OPS);
        if (!op) return lhs;
        const rhs = this.parseTermOr(null, this.tok.offset);
        if (!rhs) return lhs;
        lhs = this.binCall(op, [lhs, rhs], lhs, offset);
        if (!RELATION_OPS.includes(this.k())) return lhs;
      }
    } finally {
      this.leave();
    }
  }

  parseTermOr(lhsIn: Term | null, offset: number): Term | null {
    this.enter();
    try {
      let lhs = lhsIn;
      if (!lhs) lhs = this.parseTermAnd(null, offset);
      if (!lhs) return null;
      for (;;) {
        const op = this.parseTermOp('|');
        if (!op) return lhs;
        const rhs = this.parseTermAnd(null, this.tok.offset);
        if (!rhs) return lhs;
        lhs = this.binCall(op, [lhs, rhs], lhs, offset);
        if (this.k() !== '|') return lhs;
      }
    } finally {
      this.leave();
    }
  }

  parseTermAnd(lhsIn: Term | null, offset: number): Term | null {
    this.enter();
    try {
      let lhs = lhsIn;
      if (!lhs) lhs = this.parseTermArith(null, offset);
      if (!lhs) return null;
      for (;;) {
        const op = this.parseTermOp('&');
        if (!op) return lhs;
        const rhs = this.parseTermArith(null, this.tok.offset);
        if (!rhs) return lhs;
        lhs = this.binCall(op, [lhs, rhs], lhs, offset);
        if (this.k() !== '&') return lhs;
      }
    } finally {
      this.leave();
    }
  }

  parseTermArith(lhsIn: Term | null, offset: number): Term | null {
    this.enter();
    try {
      let lhs = lhsIn;
      if (!lhs) lhs = this.parseTermFactor(null, offset);
      if (!lhs) return null;
      for (;;) {
        const op = this.parseTermOp('+', '-');
        if (!op) return lhs;
        const rhs = this.parseTermFactor(null, this.tok.offset);
        if (!rhs) return lhs;
        lhs = this.binCall(op, [lhs, rhs], lhs, offset);
        if (this.k() !== '+' && this.k() !== '-') return lhs;
      }
    } finally {
      this.leave();
    }
  }

  parseTermFactor(lhsIn: Term | null, offset: number): Term | null {
    this.enter();
    try {
      let lhs = lhsIn;
      if (!lhs) lhs = this.parseTerm();
      if (!lhs) return null;
      for (;;) {
        const op = this.parseTermOp('*', '/', '%');
        if (!op) return lhs;
        const rhs = this.parseTerm();
        if (!rhs) return lhs;
        lhs = this.binCall(op, [lhs, rhs], lhs, offset);
        if (this.k() !== '*' && this.k() !== '/' && this.k() !== '%') return lhs;
      }
    } finally {
      this.leave();
    }
  }

  parseTermOp(...kinds: string[]): RefTerm | null {
    const k = this.k();
    if (!kinds.includes(k)) return null;
    const loc = this.locText();
    this.scan();
    return refTerm([varTerm(OP_NAMES[k] ?? k, loc)], loc);
  }

  parseTermOpName(names: string[], kind: string): RefTerm | null {
    if (this.k() !== kind) return null;
    const loc = this.locText();
    this.scan();
    const terms: Term[] = [varTerm(names[0] as string, loc)];
    for (const n of names.slice(1)) terms.push({ type: 'string', value: n, loc });
    return refTerm(terms, loc);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Terms

  parseTerm(): Term | null {
    this.enter();
    try {
      const startPos = this.pos;
      const hit = this.cache.get(startPos);
      if (hit && this.identAt !== startPos) {
        this.pos = hit.end;
        if (hit.errors) for (const e of hit.errors) this.errors.push(e);
        return hit.term;
      }
      const errsBefore = this.errors.length;
      const t = this.tok;
      let term: Term | null = null;
      switch (this.k()) {
        case 'null':
          term = { type: 'null', loc: this.locText() };
          break;
        case 'true':
          term = { type: 'boolean', value: true, loc: this.locText() };
          break;
        case 'false':
          term = { type: 'boolean', value: false, loc: this.locText() };
          break;
        case '-':
        case '.':
        case 'number':
          term = this.parseNumber();
          break;
        case 'string':
          term = this.parseString();
          break;
        case 'ident':
        case 'contains':
          term = this.parseVar();
          break;
        case '[':
          term = this.parseArray();
          break;
        case '{':
          term = this.parseSetOrObject();
          break;
        case '(': {
          const offset = t.offset;
          this.scan();
          const r = this.parseTermInfixCall();
          if (r) {
            if (this.k() === ')') {
              r.loc = { ...r.loc, text: this.text.slice(offset, this.tok.end) };
              term = r;
            } else {
              this.error(this.loc(), 'non-terminated expression');
            }
          }
          break;
        }
        default:
          this.illegal();
      }
      const out = this.parseTermFinish(term);
      if (out) this.cache.set(startPos, { term: out, end: this.pos });
      else this.cache.set(startPos, { term: null, end: this.pos, errors: this.errors.slice(errsBefore) });
      return out;
    } finally {
      this.leave();
    }
  }

  /** Steps past the term's last token; continues into a ref/call when `.`, `[` or `(` follows directly. */
  parseTermFinish(head: Term | null): Term | null {
    if (!head) return null;
    const offset = this.tok.offset;
    this.scan();
    if (!this.tok.ws && (this.k() === '(' || this.k() === '.' || this.k() === '[')) {
      return this.parseRef(head, offset);
    }
    if (head.type === 'var' && ROOT_DOCS.has(head.name)) return refTerm([head], head.loc);
    return head;
  }

  parseNumber(): NumberTerm | null {
    let prefix = '';
    const loc = this.loc();
    if (this.k() === '-') {
      prefix = '-';
      this.scan();
      if (this.k() !== 'number' && this.k() !== '.') {
        this.illegal('expected number');
        return null;
      }
    }
    if (this.k() === '.') {
      prefix += '.';
      this.scan();
      if (this.k() !== 'number') {
        this.illegal('expected number');
        return null;
      }
    }
    const lit = this.tok.lit;
    const hasDecimalPrefix = prefix.endsWith('.');
    if (!hasDecimalPrefix && lit.length > 1 && lit[0] === '0') {
      const isDecimal = lit[1] === '.';
      const isScientific = lit.length > 2 && (lit[1] === 'e' || lit[1] === 'E');
      if (!isDecimal && !isScientific) {
        this.illegal('expected number without leading zero');
        return null;
      }
    }
    const s = prefix + lit;
    if (hasDecimalPrefix && /[eE]/.test(lit) === false && !/^\d+$/.test(lit)) {
      this.illegal('invalid float');
      return null;
    }
    if (exponentOverflows(s)) {
      this.illegal('invalid float');
      return null;
    }
    if (numberTooBig(s)) {
      this.error(this.loc(), 'number too big');
      return null;
    }
    let norm = s;
    if (norm.startsWith('-.')) norm = '-0.' + norm.slice(2);
    else if (norm.startsWith('.')) norm = '0.' + norm.slice(1);
    const value = parseNumberValue(norm) ?? parseNumberValue(normalizeNumberText(norm));
    if (value === undefined) {
      this.illegal('invalid float');
      return null;
    }
    return { type: 'number', value, loc: { ...loc, text: this.text.slice(loc.offset ?? 0, this.tok.end) } };
  }

  parseString(): StringTerm | null {
    const t = this.tok;
    const loc = this.locText();
    if (t.type === 'string') {
      const v = decodeString(t.lit);
      if (v === undefined) {
        this.error(this.loc(), `illegal string literal: ${t.lit}`);
        return null;
      }
      return { type: 'string', value: v, loc };
    }
    if (t.lit.length < 2) return null;
    return { type: 'string', value: t.lit.slice(1, -1), raw: true, loc };
  }

  parseVar(): VarTerm {
    const t = this.tok;
    return { type: 'var', name: t.lit, loc: this.locText() };
  }

  parseCall(operator: RefTerm, offset: number): Term | null {
    this.enter();
    try {
      const loc = operator.loc;
      this.scan(); // past '('
      if (this.k() === ')') {
        const end = this.tok.end;
        this.scan();
        const l = this.span(loc, offset, end);
        const op0 = operator.terms[0];
        if (operator.terms.length === 1 && op0?.type === 'var' && op0.name === 'set') {
          return { type: 'set', items: [], loc: l };
        }
        return { type: 'call', operator, args: [], loc: l };
      }
      const args = this.parseTermList(')', []);
      if (!args) return null;
      const end = this.tok.end;
      this.scan();
      return { type: 'call', operator, args, loc: this.span(loc, offset, end) };
    } finally {
      this.leave();
    }
  }

  parseRef(head: Term, offset: number): Term | null {
    this.enter();
    try {
      const loc = head.loc;
      switch (head.type) {
        case 'var':
        case 'array':
        case 'object':
        case 'set':
        case 'arraycompr':
        case 'setcompr':
        case 'objectcompr':
        case 'call':
          break;
        default:
          this.error(loc, `illegal ref (head cannot be ${valueName(head)})`);
      }
      const ref: Term[] = [head];
      for (;;) {
        switch (this.k()) {
          case '.': {
            this.scan();
            if (this.tok.ws) {
              this.error(this.loc(), 'unexpected whitespace token: expected identifier');
              return null;
            }
            if (this.k() !== 'ident' && !this.isAllowedRefKeyword(this.pos)) {
              this.illegal('expected identifier');
              return null;
            }
            ref.push({ type: 'string', value: this.tok.lit, loc: this.locText() });
            this.scan();
            if (this.tok.ws) return refTerm(ref, this.span(loc, offset, this.lastEnd));
            break;
          }
          case '(': {
            const opRef = refTerm(ref, this.span(loc, offset, this.tok.offset));
            let term = this.parseCall(opRef, offset);
            if (term) {
              if (this.tok.ws) return term;
              if (this.k() === '.' || this.k() === '[') term = this.parseRef(term, offset);
            }
            return term;
          }
          case '[': {
            this.scan();
            const term = this.parseTermInfixCall();
            if (!term) return null;
            if (this.k() !== ']') {
              this.illegal('expected [');
              return null;
            }
            ref.push(term);
            this.scan();
            if (this.tok.ws) return refTerm(ref, this.span(loc, offset, this.lastEnd));
            break;
          }
          default:
            return refTerm(ref, this.span(loc, offset, this.lastEnd));
        }
      }
    } finally {
      this.leave();
    }
  }

  parseArray(): Term | null {
    this.enter();
    try {
      const loc = this.loc();
      const offset = this.tok.offset;
      const fin = (t: Term | null): Term | null => {
        if (t) t.loc = this.span(loc, offset, this.tok.end);
        return t;
      };
      this.scan();
      if (this.k() === ']') return fin({ type: 'array', items: [], loc });
      let potentialComprehension = true;
      if (this.k() === ',') {
        potentialComprehension = false;
        this.scan();
      }
      const s = this.save();
      const head = this.parseTerm();
      if (!head) return null;
      switch (this.k()) {
        case ']':
          return fin({ type: 'array', items: [head], loc } as ArrayTerm);
        case ',': {
          this.scan();
          const terms = this.parseTermList(']', [head]);
          if (terms) return fin({ type: 'array', items: terms, loc });
          return null;
        }
        case '|':
          if (potentialComprehension) {
            this.scan();
            const body = this.parseBody(']');
            if (body) return fin({ type: 'arraycompr', term: head, body, loc });
            if (this.k() !== ',') return null;
          }
          break;
      }
      this.restore(s);
      const terms = this.parseTermList(']', []);
      if (terms) return fin({ type: 'array', items: terms, loc });
      return null;
    } finally {
      this.leave();
    }
  }

  parseSetOrObject(): Term | null {
    this.enter();
    try {
      const loc = this.loc();
      const offset = this.tok.offset;
      const fin = (t: Term | null): Term | null => {
        if (t) t.loc = this.span(loc, offset, this.tok.end);
        return t;
      };
      this.scan();
      if (this.k() === '}') return fin({ type: 'object', items: [], loc });
      let potentialComprehension = true;
      if (this.k() === ',') {
        potentialComprehension = false;
        this.scan();
      }
      const s = this.save();
      let head = this.parseTerm();
      if (!head) return null;
      switch (this.k()) {
        case '|':
          if (potentialComprehension) return fin(this.parseSet(s, head, potentialComprehension, loc));
          break;
        case '}':
        case ',':
          return fin(this.parseSet(s, head, potentialComprehension, loc));
        case ':':
          return fin(this.parseObject(head, potentialComprehension, loc));
      }
      this.restore(s);
      head = this.parseTermInfixCallInList();
      if (!head) return null;
      switch (this.k()) {
        case '}':
        case ',':
          return fin(this.parseSet(s, head, false, loc));
        case ':':
          return fin(this.parseObject(head, potentialComprehension, loc));
      }
      this.illegal('non-terminated set');
      return null;
    } finally {
      this.leave();
    }
  }

  parseSet(s: SavedState, head: Term, potentialComprehension: boolean, loc: Location): Term | null {
    this.enter();
    try {
      switch (this.k()) {
        case '}':
          return { type: 'set', items: [head], loc };
        case ',': {
          this.scan();
          const terms = this.parseTermList('}', [head]);
          if (terms) return { type: 'set', items: terms, loc };
          return null;
        }
        case '|': {
          if (potentialComprehension) {
            this.scan();
            const body = this.parseBody('}');
            if (body) return { type: 'setcompr', term: head, body, loc };
            if (this.k() !== ',') return null;
          }
          this.restore(s);
          const terms = this.parseTermList('}', []);
          if (terms) return { type: 'set', items: terms, loc };
          return null;
        }
      }
      return null;
    } finally {
      this.leave();
    }
  }

  parseObject(k: Term, potentialComprehension: boolean, loc: Location): Term | null {
    this.enter();
    try {
      this.scan(); // past ':'
      const s = this.save();
      const v = this.parseTerm();
      if (!v) return null;
      let potentialRelation = true;
      if (potentialComprehension) {
        const kd = this.k();
        if (kd === '}' || kd === ',' || kd === '|') {
          if (kd !== '|') potentialRelation = false;
          const term = this.parseObjectFinish(k, v, true, loc);
          if (term) return term;
        }
      }
      this.restore(s);
      if (potentialRelation) {
        const v2 = this.parseTermInfixCallInList();
        if (!v2) return null;
        if (this.k() === '}' || this.k() === ',') return this.parseObjectFinish(k, v2, false, loc);
      }
      this.illegal('non-terminated object');
      return null;
    } finally {
      this.leave();
    }
  }

  parseObjectFinish(key: Term, val: Term, potentialComprehension: boolean, loc: Location): Term | null {
    this.enter();
    try {
      switch (this.k()) {
        case '}':
          return { type: 'object', items: [[key, val]], loc };
        case '|':
          if (potentialComprehension) {
            this.scan();
            const body = this.parseBody('}');
            if (body) return { type: 'objectcompr', key, value: val, body, loc };
          } else {
            this.illegal('non-terminated object');
          }
          return null;
        case ',': {
          this.scan();
          const r = this.parseTermPairList('}', [[key, val]]);
          if (r) return { type: 'object', items: r, loc };
          return null;
        }
      }
      return null;
    } finally {
      this.leave();
    }
  }

  parseTermList(end: string, r: Term[]): Term[] | null {
    if (this.k() === end) return r;
    for (;;) {
      const term = this.parseTermInfixCallInList();
      if (!term) return null;
      r.push(term);
      if (this.k() === end) return r;
      if (this.k() === ',') {
        this.scan();
        if (this.k() === end) return r;
        continue;
      }
      this.illegal(`expected "," or "${end}"`);
      return null;
    }
  }

  parseTermPairList(end: string, r: [Term, Term][]): [Term, Term][] | null {
    if (this.k() === end) return r;
    for (;;) {
      const key = this.parseTermInfixCallInList();
      if (!key) return null;
      if (this.k() !== ':') {
        this.illegal('expected ":"');
        return null;
      }
      this.scan();
      const val = this.parseTermInfixCallInList();
      if (!val) return null;
      r.push([key, val]);
      if (this.k() === end) return r;
      if (this.k() === ',') {
        this.scan();
        if (this.k() === end) return r;
        continue;
      }
      this.illegal(`expected "," or "${end}"`);
      return null;
    }
  }
}

function copyParsedHead(h: ParsedHead, loc: Location): ParsedHead {
  const out: ParsedHead = {
    ref: h.ref.map(copyTerm),
    assign: h.assign,
    loc,
    generatedValue: h.generatedValue,
    hasIf: h.hasIf,
    hasContains: h.hasContains,
  };
  if (h.args) out.args = h.args.map(copyTerm);
  if (h.key) out.key = copyTerm(h.key);
  if (h.value) out.value = copyTerm(h.value);
  return out;
}

/** Go's big.Float cannot parse exponents beyond the int32 range. */
function exponentOverflows(s: string): boolean {
  const m = /[eE][+-]?0*(\d+)$/.exec(s);
  if (!m || !m[1]) return false;
  return m[1].length > 10 || Number(m[1]) > 2147483647;
}

/** OPA rejects numbers whose binary exponent exceeds 1e5 in magnitude (about 30103 decimal digits). */
function numberTooBig(s: string): boolean {
  const m = /^-?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return false;
  const intPart = m[1] ?? '';
  const frac = m[2] ?? '';
  const expText = m[3] ?? '0';
  if (expText.replace(/^[+-]?0*/, '').length > 7) {
    return /[1-9]/.test(intPart + frac);
  }
  const exp = Number(expText);
  const digits = intPart + frac;
  const firstNonZero = digits.search(/[1-9]/);
  if (firstNonZero < 0) return false;
  const mag = exp + intPart.length - firstNonZero;
  return mag > 30103 || mag < -30103;
}

/** Normalizes number text that value.ts rejects (leading zeros after `0e`, `1.` forms) to a canonical form. */
function normalizeNumberText(s: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return s;
  const sign = m[1] ?? '';
  const ip = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const fp = m[3] ?? '';
  const exp = m[4];
  return `${sign}${ip}${fp ? '.' + fp : ''}${exp !== undefined ? 'e' + exp : ''}`;
}

export { refString };
