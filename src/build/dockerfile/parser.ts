// Low-level Dockerfile parser: lines → a tree of nodes, the way BuildKit's
// frontend/dockerfile/parser does it (directives, escape token, line continuations, comments
// inside continuations, heredocs, JSON vs shell forms). `dumpNode` prints the tree in BuildKit's
// `Node.Dump()` format so that its parser fixtures can be used as data.
import { ShellLex, ShellLexError } from './shell-lex.ts';

export interface Node {
  value: string;
  next?: Node;
  children: Node[];
  heredocs: NodeHeredoc[];
  attributes: { json?: boolean };
  original: string;
  flags: string[];
  startLine: number;
  endLine: number;
  prevComment: string[];
}

export interface NodeHeredoc {
  name: string;
  fileDescriptor: number;
  expand: boolean;
  chomp: boolean;
  content: string;
}

/** An error of the low-level parser, with the 1-based line range it concerns. */
export class ParseError extends Error {
  constructor(
    message: string,
    readonly startLine: number,
    readonly endLine: number,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

export interface ParseResult {
  ast: Node;
  escapeToken: string;
  directives: { syntax?: string; escape?: string; check?: string };
  warnings: Array<{ message: string; line: number }>;
}

const reWhitespace = /[\t\v\f\r ]+/;
const reHeredoc = /^(\d*)<<(-?)\s*([^<]*)$/s;

function newNode(value = ''): Node {
  return {
    value,
    children: [],
    heredocs: [],
    attributes: {},
    original: '',
    flags: [],
    startLine: 0,
    endLine: 0,
    prevComment: [],
  };
}

// Go's unicode.IsSpace on one UTF-16 unit is enough for trimming.
const isGoSpace = (c: string): boolean =>
  /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.test(c);
function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpace(s[i] ?? '')) i++;
  return s.slice(i);
}
export function goTrimSpace(s: string): string {
  let i = 0;
  let j = s.length;
  while (i < j && isGoSpace(s[i] ?? '')) i++;
  while (j > i && isGoSpace(s[j - 1] ?? '')) j--;
  return s.slice(i, j);
}
const trimNewline = (s: string): string => s.replace(/[\r\n]+$/, '');
const isComment = (line: string): boolean => trimLeftSpace(line).startsWith('#');

// ---- directives ------------------------------------------------------------------------------

const directiveRe = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const validDirectives = new Set(['syntax', 'escape', 'check']);

class DirectiveParser {
  private done = false;
  private readonly seen = new Set<string>();
  readonly found: Record<string, string> = {};
  parseLine(line: string): { name: string; value: string } | undefined {
    if (this.done) return undefined;
    if (!line.startsWith('#')) {
      this.done = true;
      return undefined;
    }
    const m = directiveRe.exec(trimLeftSpace(line.slice(1)));
    if (!m) {
      this.done = true;
      return undefined;
    }
    const k = (m[1] ?? '').toLowerCase();
    if (!validDirectives.has(k)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(k)) throw new Error(`only one ${k} parser directive can be used`);
    this.seen.add(k);
    const value = m[2] ?? '';
    this.found[k] = value;
    return { name: k, value };
  }
}

class Directives {
  escapeToken = '\\';
  private contRe!: RegExp;
  readonly parser = new DirectiveParser();
  constructor() {
    this.setEscapeToken('\\');
  }
  setEscapeToken(s: string): void {
    if (s !== '`' && s !== '\\') throw new Error(`invalid escape token '${s}' does not match \` or \\`);
    this.escapeToken = s;
    const e = s === '\\' ? '\\\\' : '`';
    this.contRe = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  }
  possibleParserDirective(line: string): boolean {
    const d = this.parser.parseLine(line);
    if (d && d.name === 'escape') {
      this.setEscapeToken(d.value);
      return true;
    }
    return d !== undefined;
  }
  trimContinuation(line: string): [string, boolean] {
    if (this.contRe.test(line)) return [line.replace(this.contRe, '$1'), false];
    return [line, true];
  }
}

// ---- line parsers (line_parsers.go) ----------------------------------------------------------

type LineParser = (rest: string, d: Directives) => { node?: Node | undefined; json?: boolean | undefined };

const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

function parseIgnore(): { node?: Node } {
  return { node: newNode() };
}

function parseSubCommand(rest: string, d: Directives): { node?: Node } {
  if (rest === '') return {};
  const child = newNodeFromLine(rest, d, []);
  const n = newNode();
  n.children = [child];
  return { node: n };
}

/** BuildKit's parseWords: split on whitespace, keeping quotes and escapes. */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  let phase = 0; // 0 spaces, 1 word, 2 quote
  let quote = '';
  let blankOK = false;
  let sb = '';
  const cps = Array.from(rest);
  for (let pos = 0; pos <= cps.length; pos++) {
    let ch = pos < cps.length ? (cps[pos] ?? '') : '';
    if (phase === 0) {
      if (pos === cps.length) break;
      if (isGoSpace(ch)) continue;
      phase = 1;
    }
    if ((phase === 1 || phase === 2) && pos === cps.length) {
      if (blankOK || sb.length > 0) words.push(sb);
      break;
    }
    if (phase === 1) {
      if (isGoSpace(ch)) {
        phase = 0;
        if (blankOK || sb.length > 0) words.push(sb);
        sb = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 2;
      }
      if (ch === escapeToken) {
        if (pos + 1 === cps.length) continue;
        sb += ch;
        pos++;
        ch = cps[pos] ?? '';
      }
      sb += ch;
      continue;
    }
    if (phase === 2) {
      if (ch === quote) phase = 1;
      if (ch === escapeToken && quote !== "'") {
        if (pos + 1 === cps.length) {
          phase = 1;
          continue;
        }
        pos++;
        sb += ch;
        ch = cps[pos] ?? '';
      }
      sb += ch;
    }
  }
  return words;
}

function keyValueNode(key: string, value: string, sep: string): Node {
  const n = newNode(key);
  n.next = newNode(value);
  n.next.next = newNode(sep);
  return n;
}

function parseNameVal(rest: string, key: string, d: Directives): Node | undefined {
  const words = parseWords(rest, d.escapeToken);
  if (words.length === 0) return undefined;
  if (!(words[0] ?? '').includes('=')) {
    const m = reWhitespace.exec(rest);
    if (!m) throw new Error(`${key} must have two arguments`);
    return keyValueNode(rest.slice(0, m.index), rest.slice(m.index + m[0].length), '');
  }
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const word of words) {
    if (!word.includes('='))
      throw new Error(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    const i = word.indexOf('=');
    const node = keyValueNode(word.slice(0, i), word.slice(i + 1), '=');
    if (!root) root = node;
    if (prev) prev.next = node;
    prev = node.next?.next;
  }
  return root;
}

function parseNameOrNameVal(rest: string, d: Directives): { node?: Node } {
  const words = parseWords(rest, d.escapeToken);
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const w of words) {
    const n = newNode(w);
    if (!root) root = n;
    else if (prev) prev.next = n;
    prev = n;
  }
  return { node: root };
}

function parseStringsWhitespaceDelimited(rest: string): { node?: Node } {
  if (rest === '') return {};
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const s of rest.split(new RegExp(reWhitespace.source, 'g'))) {
    const n = newNode(s);
    if (!root) root = n;
    else if (prev) prev.next = n;
    prev = n;
  }
  return { node: root };
}

function parseString(rest: string): { node?: Node } {
  if (rest === '') return {};
  return { node: newNode(rest) };
}

class NotJsonArray extends Error {}

function parseJSON(rest: string): { node?: Node; json: true } {
  rest = trimLeftSpace(rest);
  if (!rest.startsWith('[')) throw new NotJsonArray('not a JSON array');
  let arr: unknown;
  try {
    arr = JSON.parse(rest);
  } catch (e) {
    throw new NotJsonArray((e as Error).message);
  }
  if (!Array.isArray(arr)) throw new NotJsonArray('not a JSON array');
  let top: Node | undefined;
  let prev: Node | undefined;
  for (const s of arr) {
    if (typeof s !== 'string') throw new Error(NOT_STRING_ARRAY);
    const n = newNode(s);
    if (!top) top = n;
    else if (prev) prev.next = n;
    prev = n;
  }
  return { node: top, json: true };
}

function parseMaybeJSON(rest: string): { node?: Node; json?: boolean } {
  if (rest === '') return {};
  try {
    return parseJSON(rest);
  } catch (e) {
    if (!(e instanceof NotJsonArray)) throw e;
  }
  return { node: newNode(rest) };
}

function parseMaybeJSONToList(rest: string): { node?: Node; json?: boolean } {
  try {
    return parseJSON(rest);
  } catch (e) {
    if (!(e instanceof NotJsonArray)) throw e;
  }
  return parseStringsWhitespaceDelimited(rest);
}

function parseHealthConfig(rest: string): { node?: Node; json?: boolean } {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest[sep] ?? '')) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest[next] ?? '')) next++;
  if (sep === 0) return {};
  const typ = rest.slice(0, sep);
  const cmd = parseMaybeJSON(rest.slice(next));
  const n = newNode(typ);
  if (cmd.node) n.next = cmd.node;
  return { node: n, json: cmd.json };
}

const dispatch: Record<string, LineParser> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: (r, d) => ({ node: parseNameVal(r, 'ENV', d) }),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (r, d) => ({ node: parseNameVal(r, 'LABEL', d) }),
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

// ---- split_command.go ------------------------------------------------------------------------

function extractBuilderFlags(line: string, escapeToken: string): [string, string[]] {
  const words: string[] = [];
  let phase = 0;
  let sb = '';
  let quote = '';
  let blankOK = false;
  let ch = '';
  for (let pos = 0; pos <= line.length; pos++) {
    if (pos !== line.length) ch = line[pos] ?? '';
    if (phase === 0) {
      if (pos === line.length) break;
      if (isGoSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return [line.slice(pos), words];
      phase = 1;
    }
    if ((phase === 1 || phase === 2) && pos === line.length) {
      if (sb !== '--' && (blankOK || sb.length > 0)) words.push(sb);
      break;
    }
    if (phase === 1) {
      if (isGoSpace(ch)) {
        const word = sb;
        phase = 0;
        if (word === '--') return [line.slice(pos), words];
        if (blankOK || word.length > 0) words.push(word);
        sb = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 2;
        continue;
      }
      if (ch === escapeToken) {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = line[pos] ?? '';
      }
      sb += ch;
      continue;
    }
    if (phase === 2) {
      if (ch === quote) {
        phase = 1;
        continue;
      }
      if (ch === escapeToken) {
        if (pos + 1 === line.length) {
          phase = 1;
          continue;
        }
        pos++;
        ch = line[pos] ?? '';
      }
      sb += ch;
    }
  }
  return ['', words];
}

function splitCommand(line: string, d: Directives): { cmd: string; flags: string[]; args: string } {
  const t = goTrimSpace(line);
  const m = reWhitespace.exec(t);
  if (!m) return { cmd: t, flags: [], args: '' };
  const [args, flags] = extractBuilderFlags(t.slice(m.index + m[0].length), d.escapeToken);
  return { cmd: t.slice(0, m.index), flags, args: goTrimSpace(args) };
}

function newNodeFromLine(line: string, d: Directives, comments: string[]): Node {
  const { cmd, flags, args } = splitCommand(line, d);
  const fn: LineParser = dispatch[cmd.toLowerCase()] ?? parseIgnore;
  const r = fn(args, d);
  const n = newNode(cmd);
  n.original = line;
  n.flags = flags;
  if (r.node) n.next = r.node;
  if (r.json) n.attributes = { json: true };
  n.prevComment = comments;
  return n;
}

// ---- heredocs --------------------------------------------------------------------------------

const heredocDirectives = new Set(['add', 'copy', 'run']);

function canContainHeredoc(node: Node): boolean {
  let n = node;
  if (n.value.toLowerCase() === 'onbuild' && n.next && n.next.children.length > 0) n = n.next.children[0] ?? n;
  if (!heredocDirectives.has(n.value.toLowerCase())) return false;
  return !n.attributes.json;
}

const noEnv = (): undefined => undefined;

function heredocFromMatch(m: RegExpExecArray | null): NodeHeredoc | undefined {
  if (!m) return undefined;
  const fd = Number.parseInt(m[1] || '0', 10);
  const chomp = m[2] === '-';
  const rest = m[3] ?? '';
  if (rest.length === 0) return undefined;
  const lex = new ShellLex('\\');
  lex.skipUnsetEnv = true;
  const words = lex.processWords(rest, noEnv);
  if (words.length !== 1) return undefined;
  lex.rawQuotes = true;
  const raw = lex.processWords(rest, noEnv);
  if (raw.length !== words.length) throw new Error(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const word = words[0] ?? '';
  const wordRaw = raw[0] ?? '';
  const count = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return { name: word, fileDescriptor: fd, expand: count(word) === count(wordRaw), chomp, content: '' };
}

/** Parses a heredoc word (`<<EOF`, `<<-"EOF"`, `3<<EOF`); undefined when it is not one. */
export function parseHeredoc(src: string): NodeHeredoc | undefined {
  return heredocFromMatch(reHeredoc.exec(src));
}

/** Heredoc word parse that ignores errors (BuildKit's MustParseHeredoc). */
export function mustParseHeredoc(src: string): NodeHeredoc | undefined {
  try {
    return parseHeredoc(src);
  } catch {
    return undefined;
  }
}

function heredocsFromLine(line: string): NodeHeredoc[] {
  const lex = new ShellLex('\\');
  lex.rawQuotes = true;
  lex.rawEscapes = true;
  lex.skipUnsetEnv = true;
  let words: string[];
  try {
    words = lex.processWords(line, noEnv);
  } catch {
    words = [];
  }
  const docs: NodeHeredoc[] = [];
  for (const w of words) {
    const h = parseHeredoc(w);
    if (h) docs.push(h);
  }
  return docs;
}

/** Strips leading tabs from each line (for `<<-`). */
export function chompHeredocContent(src: string): string {
  return src.replace(/^\t+/gm, '');
}

// ---- the main loop ---------------------------------------------------------------------------

/** Splits into lines keeping their endings (Go's scanLines variant). */
function scanLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const i = text.indexOf('\n', start);
    if (i < 0) {
      if (start < text.length) out.push(text.slice(start));
      return out;
    }
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
}

function errMessage(e: unknown): string {
  if (e instanceof ShellLexError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** Parses Dockerfile text into BuildKit's node tree. Throws ParseError. */
export function parseNodes(text: string): ParseResult {
  const d = new Directives();
  let currentLine = 0;
  const root = newNode();
  root.startLine = -1;
  const warnings: Array<{ message: string; line: number }> = [];
  let comments: string[] = [];
  const lines = scanLines(text);
  let li = 0;
  const nextLine = (): string | undefined => (li < lines.length ? lines[li++] : undefined);

  const processLine = (token: string, stripLeft: boolean): [string, boolean] => {
    token = trimNewline(token);
    if (stripLeft) token = trimLeftSpace(token);
    const ok = d.possibleParserDirective(token);
    return [isComment(token) ? '' : token, ok];
  };

  for (let raw = nextLine(); raw !== undefined; raw = nextLine()) {
    if (currentLine === 0 && raw.startsWith('\ufeff')) raw = raw.slice(1);
    if (isComment(raw)) {
      const c = goTrimSpace(trimLeftSpace(raw).slice(1));
      if (c === '') comments = [];
      else comments.push(c);
    }
    let bytesRead: string;
    let directiveOk: boolean;
    try {
      [bytesRead, directiveOk] = processLine(raw, true);
    } catch (e) {
      throw new ParseError(errMessage(e), currentLine + 1, currentLine + 1);
    }
    if (directiveOk) comments = comments.slice(0, -1);
    currentLine++;
    const startLine = currentLine;
    let isEnd: boolean;
    [bytesRead, isEnd] = d.trimContinuation(bytesRead);
    if (isEnd && bytesRead.length === 0) continue;
    let buf = bytesRead;
    let hasEmptyContinuation = false;
    while (!isEnd) {
      const nl = nextLine();
      if (nl === undefined) break;
      let b: string;
      try {
        [b] = processLine(nl, false);
      } catch (e) {
        throw new ParseError(errMessage(e), currentLine + 1, currentLine + 1);
      }
      currentLine++;
      if (isComment(nl)) continue;
      if (trimLeftSpace(trimNewline(b)).length === 0) {
        hasEmptyContinuation = true;
        continue;
      }
      [b, isEnd] = d.trimContinuation(b);
      buf += b;
    }
    const line = buf;
    if (hasEmptyContinuation)
      warnings.push({ message: `Empty continuation line found in: ${line}`, line: currentLine });
    let child: Node;
    try {
      child = newNodeFromLine(line, d, comments);
    } catch (e) {
      throw new ParseError(errMessage(e), startLine, currentLine);
    }
    if (canContainHeredoc(child) && line.includes('<<')) {
      let heredocs: NodeHeredoc[];
      try {
        heredocs = heredocsFromLine(line);
      } catch (e) {
        throw new ParseError(errMessage(e), startLine, currentLine);
      }
      for (const h of heredocs) {
        let terminated = false;
        let content = h.content;
        for (let hl = nextLine(); hl !== undefined; hl = nextLine()) {
          currentLine++;
          let term = trimNewline(hl);
          if (h.chomp) term = term.replace(/^\t+/, '');
          if (term === h.name) {
            terminated = true;
            break;
          }
          content += hl;
        }
        if (!terminated) throw new ParseError('unterminated heredoc', startLine, currentLine);
        child.heredocs.push({ ...h, content });
      }
    }
    child.startLine = startLine;
    child.endLine = currentLine;
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
    comments = [];
  }
  if (root.startLine < 0) throw new ParseError('file with no instructions', currentLine, currentLine);
  return { ast: root, escapeToken: d.escapeToken, directives: { ...d.parser.found }, warnings };
}

// ---- Dump ------------------------------------------------------------------------------------

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0) ?? 0;
    switch (c) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp === 0xfffd && c !== '\ufffd') out += '\\ufffd';
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S}\u0020]/u.test(c)) out += c;
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** BuildKit's Node.Dump(): the s-expression form its parser fixtures use. */
export function dumpNode(node: Node): string {
  let str = node.value.toLowerCase();
  if (node.flags.length > 0) str += ' [' + node.flags.map(goQuote).join(' ') + ']';
  for (const c of node.children) str += '(' + dumpNode(c) + ')\n';
  for (let n = node.next; n; n = n.next) {
    str += ' ';
    str += n.children.length > 0 ? dumpNode(n) : goQuote(n.value);
  }
  return goTrimSpace(str);
}
