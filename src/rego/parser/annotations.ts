// METADATA comment blocks: found in the comments, parsed as YAML, validated as OPA does (scope and attachment,
// authors, related resources, schemas) and attached to the statement that follows.

import { parse as parseYAML, YAMLParseError } from 'yaml';
import type { Annotations, Comment, Import, Package, Rule, Term } from '../ast.ts';
import { ErrorCodes, RegoError, type Location } from '../errors.ts';

export type AnnotatedNode =
  { kind: 'package'; pkg: Package } | { kind: 'import'; imp: Import } | { kind: 'rule'; rule: Rule };

interface Block {
  loc: Location;
  lines: string[];
  comments: Comment[];
}

function metadataBlocks(comments: Comment[]): Block[] {
  const blocks: Block[] = [];
  let curr: Block | null = null;
  for (let i = 0; i < comments.length; i++) {
    const c = comments[i] as Comment;
    if (curr) {
      const prev = comments[i - 1] as Comment;
      if (c.loc.row === prev.loc.row + 1 && c.loc.col === 1) {
        curr.lines.push(c.text.startsWith(' ') ? c.text.slice(1) : c.text);
        curr.comments.push(c);
        continue;
      }
      curr = null;
    }
    if (c.text.trim().startsWith('METADATA')) {
      curr = { loc: c.loc, lines: [], comments: [] };
      blocks.push(curr);
    }
  }
  return blocks;
}

function nodeRow(n: AnnotatedNode): number {
  return n.kind === 'package' ? n.pkg.loc.row : n.kind === 'import' ? n.imp.loc.row : n.rule.loc.row;
}

/** Go's %+q for a rune: 'p', '\u00a0', '\U0001f600'. */
function quoteRune(cp: number): string {
  if (cp >= 0x20 && cp < 0x7f) return cp === 0x27 ? "'\\''" : `'${String.fromCodePoint(cp)}'`;
  if (cp === 0x09) return "'\\t'";
  if (cp > 0xffff) return `'\\U${cp.toString(16).padStart(8, '0')}'`;
  return `'\\u${cp.toString(16).padStart(4, '0')}'`;
}

/** OPA's augmentYamlError: hints for `key:value` written without a YAML space after the colon. */
function yamlHints(comments: Comment[]): string {
  let out = '';
  for (const c of comments) {
    const parts = c.text.split(':');
    if (parts.length <= 1) continue;
    let invalid: string[] = [];
    const rest = parts.slice(1);
    for (let i = 0; i < rest.length; i++) {
      const part = rest[i] as string;
      if (part.length === 0 && i === rest.length - 1) {
        invalid = [];
        break;
      }
      const cp = part.codePointAt(0) ?? 0;
      if (cp === 0x20 || cp === 0x09) {
        invalid = [];
        break;
      }
      invalid.push(quoteRune(cp));
    }
    if (invalid.length > 0) {
      out += `\n  Hint: on line ${c.loc.row}, symbol(s) [${invalid.join(' ')}] immediately following a key/value separator ':' is not a legal yaml space character`;
    }
  }
  return out;
}

function yamlError(b: Block, line: number | undefined, msg: string, prefixLine = true): RegoError {
  // The YAML line maps to the block's comment lines (clamped to the last one).
  let loc = b.comments[0]?.loc ?? b.loc;
  if (line !== undefined && b.comments.length > 0) {
    loc = (b.comments[Math.max(0, line - 1)] ?? b.comments[b.comments.length - 1] ?? b.comments[0])?.loc ?? b.loc;
  }
  const where = line !== undefined && prefixLine ? `line ${line}: ` : '';
  return new RegoError(ErrorCodes.parse, `yaml: ${where}${msg}${yamlHints(b.comments)}`, loc);
}

function goString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') {
    if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${goString(x)}`).join(' ')}]`;
  }
  return String(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkAuthor(a: unknown): string | undefined {
  if (typeof a === 'string') return a.trim() === '' ? 'author is an empty string' : undefined;
  if (isPlainObject(a)) {
    const name = typeof a['name'] === 'string' ? a['name'].trim() : '';
    const email = typeof a['email'] === 'string' ? a['email'].trim() : '';
    return name || email ? undefined : "'name' and/or 'email' values required in object";
  }
  return 'invalid value type, must be string or map';
}

function checkRelatedResource(r: unknown): string | undefined {
  if (typeof r === 'string') return r.length > 0 ? undefined : 'ref URL may not be empty string';
  if (isPlainObject(r)) {
    const ref = typeof r['ref'] === 'string' ? r['ref'].trim() : '';
    return ref ? undefined : "'ref' value required in object";
  }
  return 'invalid value type, must be string or map';
}

const REF_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[("([^"\\]|\\.)*"|\d+)\])*$/;

function checkSchemas(schemas: unknown, lines: string[]): string | { yamlLine: number; msg: string } | undefined {
  if (!Array.isArray(schemas)) {
    const line = lines.findIndex((l) => /^\s*schemas\s*:/.test(l)) + 1;
    return {
      yamlLine: line || 1,
      msg: `unmarshal errors:\n  line ${line || 1}: cannot unmarshal into []map[string]interface {}`,
    };
  }
  for (const item of schemas) {
    if (!isPlainObject(item)) {
      const text = goString(item);
      const line = lines.findIndex((l) => l.includes(text)) + 1;
      const shown = text.length > 7 ? text.slice(0, 7) + '...' : text;
      return {
        yamlLine: line || 1,
        msg: `unmarshal errors:\n  line ${line || 1}: cannot unmarshal !!str \`${shown}\` into map[string]interface {}`,
      };
    }
    for (const [k, v] of Object.entries(item)) {
      if (!REF_RE.test(k)) return 'invalid document reference';
      if (typeof v === 'string') {
        if (!(v === 'schema' || (REF_RE.test(v) && /^schema[.[]/.test(v)))) return 'invalid schema reference';
      } else if (!isPlainObject(v)) {
        return `invalid schema declaration for path ${JSON.stringify(k)}`;
      }
      break;
    }
  }
  return undefined;
}

/** Validates the typed fields OPA reads from a METADATA block; returns the first problem. */
function validate(
  raw: Record<string, unknown>,
  lines: string[],
): string | { yamlLine: number; msg: string } | undefined {
  const authors = raw['authors'];
  if (authors !== undefined && authors !== null) {
    for (const a of Array.isArray(authors) ? authors : [authors]) {
      const err = checkAuthor(a);
      if (err) return `invalid author definition ${goString(a)}: ${err}`;
    }
  }
  const rr = raw['related_resources'];
  if (rr !== undefined && rr !== null) {
    for (const r of Array.isArray(rr) ? rr : [rr]) {
      const err = checkRelatedResource(r);
      if (err) return `invalid related-resource definition ${goString(r)}: ${err}`;
    }
  }
  if (raw['schemas'] !== undefined && raw['schemas'] !== null) {
    const err = checkSchemas(raw['schemas'], lines);
    if (err) return err;
  }
  return undefined;
}

/**
 * Parses the METADATA blocks among the comments and attaches them to the statement that follows each block.
 * Errors are appended to errs. A rule gets the rule-scoped annotation written before it (else the first one).
 */
export function parseAnnotations(comments: Comment[], nodes: AnnotatedNode[], errs: RegoError[]): Annotations[] {
  const out: Annotations[] = [];
  for (const b of metadataBlocks(comments)) {
    const src = b.lines.map((l) => l + '\n').join('');
    if (src.trim() === '') {
      errs.push(new RegoError(ErrorCodes.parse, 'expected METADATA block, found whitespace', b.loc));
      continue;
    }
    let raw: unknown;
    try {
      raw = parseYAML(src);
    } catch (e) {
      if (e instanceof YAMLParseError) {
        const line = e.linePos?.[0]?.line;
        const msg = (e.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?\s*$/, '');
        errs.push(yamlError(b, line, msg));
      } else {
        errs.push(yamlError(b, undefined, e instanceof Error ? e.message : String(e)));
      }
      continue;
    }
    if (raw === null || raw === undefined) raw = {};
    if (!isPlainObject(raw)) {
      const kind = Array.isArray(raw) ? '!!seq' : typeof raw === 'string' ? '!!str' : `!!${typeof raw}`;
      const shown = Array.isArray(raw) ? '' : ` \`${goString(raw).slice(0, 40)}\``;
      errs.push(
        yamlError(b, 1, `unmarshal errors:\n  line 1: cannot unmarshal ${kind}${shown} into ast.rawAnnotation`, false),
      );
      continue;
    }
    const problem = validate(raw, b.lines);
    if (typeof problem === 'string') {
      errs.push(new RegoError(ErrorCodes.parse, problem, b.loc));
      continue;
    } else if (problem) {
      errs.push(yamlError(b, problem.yamlLine, problem.msg, false));
      continue;
    }
    const node = nodes.find((n) => nodeRow(n) > b.loc.row);
    let scope = typeof raw['scope'] === 'string' ? raw['scope'] : '';
    if (scope === '') {
      if (node?.kind === 'rule') scope = raw['entrypoint'] === true ? 'document' : 'rule';
      else if (node?.kind === 'package') scope = 'package';
      else if (node?.kind === 'import') scope = 'import';
    }
    const have = node ? ` (have ${node.kind})` : '';
    if (scope === 'rule' || scope === 'document') {
      if (node?.kind !== 'rule') {
        errs.push(new RegoError(ErrorCodes.parse, `annotation scope '${scope}' must be applied to rule${have}`, b.loc));
        continue;
      }
    } else if (scope === 'package' || scope === 'subpackages') {
      if (node?.kind !== 'package') {
        errs.push(
          new RegoError(ErrorCodes.parse, `annotation scope '${scope}' must be applied to package${have}`, b.loc),
        );
        continue;
      }
    } else {
      errs.push(
        new RegoError(
          ErrorCodes.parse,
          `invalid annotation scope '${scope}'. Use one of 'rule', 'document', 'package', or 'subpackages'`,
          b.loc,
        ),
      );
      continue;
    }
    if (raw['entrypoint'] === true && !(node?.kind === 'rule' || scope === 'package' || scope === 'subpackages')) {
      errs.push(new RegoError(ErrorCodes.parse, 'annotation entrypoint applied to non-rule or package', b.loc));
      continue;
    }
    const text = ['# METADATA', ...b.lines.map((l) => '# ' + l)].join('\n');
    const a: Annotations = { scope: scope as Annotations['scope'], raw, loc: { ...b.loc, text } };
    out.push(a);
    if (node?.kind === 'rule') {
      const prev = node.rule.annotations;
      if (prev === undefined || (prev.scope !== 'rule' && a.scope === 'rule')) node.rule.annotations = a;
    }
  }
  return out;
}

export type { Term };
