// Turns parsed statements into a Module, as OPA's parseModule does: the package first, bodies read as rules
// (`p := 1`, `p[x]`, `f(x) = y`), the v1 syntax checks, and METADATA annotations attached to statements.

import type { Body, Comment, Expr, Import, Module, Package, Rule, RuleHead, Term } from '../ast.ts';
import { ErrorCodes, RegoError, type Location } from '../errors.ts';
import { catalog } from '../builtins/catalog.ts';
import { parseAnnotations, type AnnotatedNode } from './annotations.ts';
import type { ParsedHead, ParsedRule, Parser, Statement } from './core.ts';
import { isGround, refString, trueExpr, valueName } from './util.ts';

class RuleFromBodyError extends Error {}

function fail(msg: string): never {
  throw new RuleFromBodyError(msg);
}

function head(ref: Term[], loc: Location, extra: Partial<ParsedHead> = {}): ParsedHead {
  return { ref, assign: false, loc, generatedValue: false, hasIf: false, hasContains: false, ...extra };
}

const BUILTIN_LIKE_OPS = new Set(['eq', 'assign']);

/** OPA's ParseRuleFromBody: a body statement at module level that defines a rule without a body. */
function ruleFromBody(body: Body): ParsedRule {
  if (body.length !== 1) fail('multiple expressions cannot be used for rule head');
  const expr = body[0] as Expr;
  if (expr.with.length > 0) fail('expressions using with keyword cannot be used for rule head');
  if (expr.negated) fail('negated expressions cannot be used for rule head');
  if (expr.type === 'some') fail("'some' declarations cannot be used for rule head");
  if (expr.type === 'every') fail('expression cannot be used for rule head');
  const term = expr.term;
  if (term.type !== 'call') {
    if (term.type === 'ref') {
      const r = term.terms;
      if (r.length > 2) {
        // `a.b.c` : a complete rule with value true
        if ((r[0] as Term).type !== 'var') fail(`invalid rule head: ${refString(r)}`);
        return {
          head: head(r, term.loc, { value: { type: 'boolean', value: true, loc: term.loc }, generatedValue: true }),
          body: [trueExpr(term.loc)],
          default: false,
          loc: term.loc,
          generatedBody: true,
        };
      }
      if (r.length === 1) fail('refs cannot be used for rule head');
      if ((r[0] as Term).type !== 'var') fail(`invalid rule head: ${refString(r)}`);
      return {
        head: head([r[0] as Term], term.loc, { key: r[1] as Term }),
        body: [trueExpr(term.loc)],
        default: false,
        loc: term.loc,
        generatedBody: true,
      };
    }
    fail(`${valueName(term)} cannot be used for rule name`);
  }
  const opName = refString(term.operator.terms);
  if (BUILTIN_LIKE_OPS.has(opName) && term.args.length === 2 && term.operator.terms.length === 1) {
    const [lhs, rhs] = term.args as [Term, Term];
    const assign = opName === 'assign';
    const rule = completeRuleFromEq(lhs, rhs, expr.loc);
    rule.head.assign = assign;
    return rule;
  }
  if (isBuiltinName(opName)) fail('rule name conflicts with built-in function');
  // f(x): a function returning true
  if (term.args.length === 0) fail('rule argument list must take at least one argument');
  const ref = term.operator.terms;
  if ((ref[0] as Term).type !== 'var') fail(`invalid rule head: ${refString(ref)}`);
  const loc = term.operator.loc;
  return {
    head: head(ref, loc, { value: { type: 'boolean', value: true, loc }, args: term.args }),
    body: [trueExpr(loc)],
    default: false,
    loc,
    generatedBody: true,
  };
}

let builtinNames: Set<string> | undefined;

/** A call statement naming a builtin (`count(x)`, `x + y`) is not a rule definition. */
function isBuiltinName(name: string): boolean {
  builtinNames ??= new Set([...catalog.map((b) => b.name), ...BUILTIN_OPERATORS]);
  return builtinNames.has(name);
}

/** Names of infix operators (a top-level `x + y` statement is not a rule). */
const BUILTIN_OPERATORS = new Set([
  'plus',
  'minus',
  'mul',
  'div',
  'rem',
  'and',
  'or',
  'equal',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'internal.member_2',
  'internal.member_3',
]);

function completeRuleFromEq(lhs: Term, rhs: Term, exprLoc: Location): ParsedRule {
  const mk = (h: ParsedHead): ParsedRule => ({
    head: { ...h, loc: exprLoc },
    body: [trueExpr(rhs.loc)],
    default: false,
    loc: exprLoc,
    generatedBody: true,
  });
  // f(x) = y
  if (lhs.type === 'call') {
    const ref = lhs.operator.terms;
    if ((ref[0] as Term).type !== 'var') fail(`invalid rule head: ${refString(ref)}`);
    return mk(head(ref, lhs.loc, { value: rhs, args: lhs.args }));
  }
  // p[k] = v, p.q.r = v
  if (lhs.type === 'ref') {
    if ((lhs.terms[0] as Term).type !== 'var') fail(`invalid rule head: ${refString(lhs.terms)}`);
    return mk(head(lhs.terms, rhs.loc, { value: rhs }));
  }
  if (lhs.type === 'var') return mk(head([lhs], lhs.loc, { value: rhs }));
  fail(`${valueName(lhs)} cannot be used for rule name`);
}

function toRule(p: ParsedRule): Rule {
  const h = p.head;
  const rh: RuleHead = { ref: h.ref, assign: h.assign, loc: h.loc };
  // As in OPA, `f()` (no arguments) defines a rule, not a function.
  if (h.args && h.args.length > 0) rh.args = h.args;
  if (h.key !== undefined && h.value === undefined) rh.key = h.key;
  else rh.value = h.value ?? { type: 'boolean', value: true, loc: h.loc };
  const rule: Rule = { head: rh, body: p.body, default: p.default, loc: p.loc };
  if (p.else) rule.else = toRule(p.else);
  return rule;
}

/** OPA's checkRegoV1Rule (the syntax part: `if`, `contains`, a value or a body). */
function checkV1(r: ParsedRule, errs: RegoError[]): void {
  const t = r.head.args && r.head.args.length > 0 ? 'function' : 'rule';
  if (r.generatedBody && r.head.generatedValue) {
    errs.push(new RegoError(ErrorCodes.parse, `${t} must have value assignment and/or body declaration`, r.loc));
  }
  if (!r.head.hasIf && !r.generatedBody) {
    errs.push(new RegoError(ErrorCodes.parse, `\`if\` keyword is required before ${t} body`, r.loc));
  }
  if (r.head.key !== undefined && r.head.value === undefined && !r.head.hasContains) {
    errs.push(new RegoError(ErrorCodes.parse, '`contains` keyword is required for partial set rules', r.loc));
  }
}

export function buildModule(p: Parser, stmts: Statement[]): Module {
  const errs: RegoError[] = [];
  const file = p.file;
  if (stmts.length === 0) {
    throw [new RegoError(ErrorCodes.parse, 'empty module', { file, row: 0, col: 0 })];
  }
  const first = stmts[0] as Statement;
  let pkg: Package | undefined;
  if (first.kind === 'package') pkg = first.pkg;
  else errs.push(new RegoError(ErrorCodes.parse, 'package expected', stmtLoc(first)));

  const imports: Import[] = [];
  const parsedRules: ParsedRule[] = [];
  const nodes: AnnotatedNode[] = [];
  if (pkg) nodes.push({ kind: 'package', pkg });
  const ruleOf = new Map<ParsedRule, Rule>();
  for (const stmt of stmts.slice(1)) {
    switch (stmt.kind) {
      case 'import':
        imports.push(stmt.imp);
        nodes.push({ kind: 'import', imp: stmt.imp });
        break;
      case 'package':
        errs.push(new RegoError(ErrorCodes.parse, 'unexpected package', stmt.pkg.loc));
        break;
      case 'rule':
      case 'body': {
        let pr: ParsedRule;
        if (stmt.kind === 'rule') pr = stmt.rule;
        else {
          try {
            pr = ruleFromBody(stmt.body);
          } catch (e) {
            if (!(e instanceof RuleFromBodyError)) throw e;
            errs.push(new RegoError(ErrorCodes.parse, e.message, (stmt.body[0] as Expr).loc));
            continue;
          }
        }
        parsedRules.push(pr);
        const rule = toRule(pr);
        ruleOf.set(pr, rule);
        nodes.push({ kind: 'rule', rule });
        break;
      }
    }
  }
  const v1 = p.regoVersion === 1 || p.regoV1Import;
  if (v1) {
    for (const r of parsedRules) {
      for (let x: ParsedRule | undefined = r; x; x = x.else) checkV1(x, errs);
    }
  }
  if (errs.length > 0) throw errs;

  const comments: Comment[] = p.comments.map((c) => ({
    text: c.text,
    loc: { file, row: c.row, col: c.col, offset: c.offset, text: '#' + c.text },
  }));
  const annotations = parseAnnotations(comments, nodes, errs);
  if (errs.length > 0) throw errs;

  return {
    package: pkg as Package,
    imports,
    rules: nodes.flatMap((n) => (n.kind === 'rule' ? [n.rule] : [])),
    comments,
    annotations,
    regoVersion: v1 ? 1 : 0,
    file,
  };
}

function stmtLoc(s: Statement): Location {
  switch (s.kind) {
    case 'package':
      return s.pkg.loc;
    case 'import':
      return s.imp.loc;
    case 'rule':
      return s.rule.loc;
    case 'body':
      return (s.body[0] as Expr).loc;
  }
}

export { isGround };
