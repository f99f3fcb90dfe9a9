// Varnish VCL declarations in the shape Conftest's go-vcl decoder gives: `backend app { .port = "8081"; }`
// is `{"backend": {"app": {"port": "8081"}}}`, `acl purge { "127.0.0.1"; }` is
// `{"acl": {"purge": ["127.0.0.1"]}}`; nested `.probe = { ... }` objects; quoted values unquoted, plain
// numbers as numbers, other values (60s, identifiers) as text; `sub` bodies kept as their source text.
// Written here: no maintained npm VCL parser exists.
import { PolicyError } from '../errors.ts';
import { lineColAt, type ParseContext, type ParsedFile, type Parser } from './parser.ts';

function stripComments(text: string): string {
  // keep offsets: replace comments by spaces (newlines kept)
  return text.replace(/"(?:[^"\\\n]|\\.)*"|\/\*[\s\S]*?\*\/|(?:\/\/|#)[^\n]*/g, (m) => (m.startsWith('"') ? m : m.replace(/[^\n]/g, ' ')));
}

function scalar(raw: string): unknown {
  const t = raw.trim();
  if (/^"(?:[^"\\]|\\.)*"$/.test(t)) return t.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t;
}

function matchingBrace(text: string, open: number, ctx: ParseContext): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      i = end < 0 ? text.length : end;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  const { row, col } = lineColAt(text, open);
  throw new PolicyError('policy_parse_error', 'vcl: "{" is never closed', { file: ctx.file, row, col });
}

function parseBody(text: string, start: number, end: number, ctx: ParseContext): unknown {
  const obj: Record<string, unknown> = {};
  const list: unknown[] = [];
  let i = start;
  while (i < end) {
    const rest = text.slice(i, end);
    const ws = /^[\s;]+/.exec(rest);
    if (ws) {
      i += ws[0].length;
      continue;
    }
    const attr = /^\.([A-Za-z_][\w-]*)\s*=\s*/.exec(rest);
    if (attr) {
      i += attr[0].length;
      if (text[i] === '{') {
        const close = matchingBrace(text, i, ctx);
        obj[attr[1] ?? ''] = parseBody(text, i + 1, close, ctx);
        i = close + 1;
      } else {
        const semi = text.indexOf(';', i);
        const stop = semi < 0 || semi > end ? end : semi;
        obj[attr[1] ?? ''] = scalar(text.slice(i, stop));
        i = stop + 1;
      }
      continue;
    }
    const semi = text.indexOf(';', i);
    const stop = semi < 0 || semi > end ? end : semi;
    const item = text.slice(i, stop).trim();
    if (item === '') {
      const { row, col } = lineColAt(text, i);
      throw new PolicyError('policy_parse_error', 'vcl: unexpected token', { file: ctx.file, row, col });
    }
    list.push(scalar(item));
    i = stop + 1;
  }
  if (list.length > 0 && Object.keys(obj).length === 0) return list;
  return obj;
}

export const vclParser: Parser = {
  name: 'vcl',
  parse(source: string, ctx: ParseContext): ParsedFile {
    const text = stripComments(source);
    const out: Record<string, unknown> = {};
    let i = 0;
    while (i < text.length) {
      const rest = text.slice(i);
      const ws = /^[\s;]+/.exec(rest);
      if (ws) {
        i += ws[0].length;
        continue;
      }
      const stmt = /^(vcl|import|include)\s+([^;]+);/.exec(rest);
      if (stmt) {
        const key = stmt[1] ?? '';
        const value = scalar(stmt[2] ?? '');
        const cur = out[key];
        out[key] = cur === undefined ? (key === 'vcl' ? value : [value]) : Array.isArray(cur) ? [...cur, value] : cur;
        i += stmt[0].length;
        continue;
      }
      const block = /^([A-Za-z_][\w-]*)\s+([A-Za-z_][\w.-]*)\s*\{/.exec(rest);
      if (!block) {
        const { row, col } = lineColAt(text, i);
        throw new PolicyError('policy_parse_error', `vcl: expected a declaration (backend, acl, probe, sub...)`, { file: ctx.file, row, col });
      }
      const open = i + block[0].length - 1;
      const close = matchingBrace(text, open, ctx);
      const kind = block[1] ?? '';
      const name = block[2] ?? '';
      const group = (out[kind] ??= {}) as Record<string, unknown>;
      group[name] = kind === 'sub' ? source.slice(open + 1, close).trim() : parseBody(text, open + 1, close, ctx);
      i = close + 1;
    }
    return { value: out };
  },
};
