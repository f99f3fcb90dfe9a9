// Protocol Buffers text format (https://protobuf.dev/reference/protobuf/textformat-spec/), as Conftest's
// textproto parser reads it: the file names its message type in a `# proto-message: pkg.Type` comment, the
// type comes from the .proto files under --proto-file-dirs (loaded with protobufjs), and the value handed to
// Rego is the message in protojson form with the .proto field names (int64 kinds as strings, enums by
// name, bytes in base64, proto3 fields at their default left out).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import protobuf from 'protobufjs';
import { PolicyError } from '../errors.ts';
import { lineColAt, stripBom, type ParseContext, type ParsedFile, type Parser } from './parser.ts';

type Type = protobuf.Type;
type Field = protobuf.Field;

const MESSAGE_TYPE_RE = /#\s+proto-message:\s+([a-zA-Z0-9.]+)/;

/** Every .proto file under the given folders, Conftest's findFilesWithExt. */
function protoFiles(dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith('.proto')) out.push(p);
    }
  };
  for (const d of dirs) {
    try {
      if (statSync(d).isDirectory()) walk(d);
      else if (d.endsWith('.proto')) out.push(d);
    } catch (e) {
      throw new PolicyError('policy_io_error', `find proto files: stat ${d}: no such file or directory`, undefined, {
        cause: e,
      });
    }
  }
  return out;
}

const roots = new Map<string, protobuf.Root>();

/** The descriptors of every .proto file under `dirs` (cached per folder list). */
export function loadProtoRoot(dirs: string[]): protobuf.Root {
  const key = JSON.stringify(dirs);
  const cached = roots.get(key);
  if (cached) return cached;
  const root = new protobuf.Root();
  for (const file of protoFiles(dirs)) {
    const text = readFileSync(file, 'utf8');
    try {
      protobuf.parse(text, root, { keepCase: true, alternateCommentMode: true });
    } catch (e) {
      const msg = (e as Error).message;
      const line = /line (\d+)/.exec(msg)?.[1];
      throw new PolicyError('policy_parse_error', `load protos: load proto file ${file}: parse proto: ${msg}`, {
        file,
        row: line ? Number(line) : 0,
        col: 0,
      });
    }
  }
  try {
    root.resolveAll();
  } catch (e) {
    throw new PolicyError('policy_parse_error', `load protos: ${(e as Error).message}`);
  }
  roots.set(key, root);
  return root;
}

// ---- lexer ----

type TokKind = 'ident' | 'number' | 'string' | 'punct' | 'eof';
interface Tok {
  kind: TokKind;
  text: string;
  /** the decoded value of a string token (adjacent strings are joined by the parser) */
  bytes?: Buffer;
  pos: number;
}

class Lexer {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly fail: (msg: string, pos: number) => never,
  ) {}

  private skip(): void {
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') this.i++;
      else break;
    }
  }

  next(): Tok {
    this.skip();
    const s = this.src;
    const pos = this.i;
    if (pos >= s.length) return { kind: 'eof', text: '', pos };
    const c = s[pos]!;
    if (/[A-Za-z_]/.test(c)) {
      let j = pos + 1;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      this.i = j;
      return { kind: 'ident', text: s.slice(pos, j), pos };
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[pos + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?)/.exec(s.slice(pos));
      const text = m![0];
      this.i = pos + text.length;
      if (/[A-Za-z_]/.test(s[this.i] ?? ''))
        this.fail(`invalid number ${JSON.stringify(s.slice(pos, this.i + 1))}`, pos);
      return { kind: 'number', text, pos };
    }
    if (c === '"' || c === "'") return this.string(c, pos);
    if ('{}<>[]:;,-/.'.includes(c)) {
      this.i++;
      return { kind: 'punct', text: c, pos };
    }
    return this.fail(`invalid character ${JSON.stringify(c)}`, pos);
  }

  private string(quote: string, pos: number): Tok {
    const s = this.src;
    const out: number[] = [];
    let j = pos + 1;
    const pushUtf8 = (cp: number) => out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
    for (;;) {
      if (j >= s.length || s[j] === '\n') this.fail('unterminated string', pos);
      const ch = s[j]!;
      if (ch === quote) break;
      if (ch !== '\\') {
        const cp = s.codePointAt(j)!;
        pushUtf8(cp);
        j += cp > 0xffff ? 2 : 1;
        continue;
      }
      const e = s[j + 1];
      j += 2;
      const simple: Record<string, number> = {
        a: 7,
        b: 8,
        f: 12,
        n: 10,
        r: 13,
        t: 9,
        v: 11,
        '?': 63,
        '\\': 92,
        "'": 39,
        '"': 34,
      };
      if (e !== undefined && e in simple) out.push(simple[e]!);
      else if (e !== undefined && /[0-7]/.test(e)) {
        let k = j - 1;
        let n = 0;
        let count = 0;
        while (count < 3 && /[0-7]/.test(s[k] ?? '')) {
          n = n * 8 + Number(s[k]);
          k++;
          count++;
        }
        if (n > 255) this.fail('octal escape out of range', j - 2);
        out.push(n);
        j = k;
      } else if (e === 'x' || e === 'X') {
        const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(j));
        if (!m) this.fail('invalid \\x escape', j - 2);
        out.push(parseInt(m[0], 16));
        j += m[0].length;
      } else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const hex = s.slice(j, j + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`invalid \\${e} escape`, j - 2);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) this.fail(`invalid \\${e} escape`, j - 2);
        pushUtf8(cp);
        j += len;
      } else this.fail(`invalid escape \\${e ?? ''}`, j - 2);
    }
    this.i = j + 1;
    return { kind: 'string', text: s.slice(pos, j + 1), bytes: Buffer.from(out), pos };
  }
}

// ---- parser: text → protojson-shaped value ----

const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const FLOAT_TYPES = new Set(['double', 'float']);

class TextParser {
  private tok: Tok;
  private readonly lexer: Lexer;

  constructor(
    private readonly src: string,
    private readonly file: string,
  ) {
    this.lexer = new Lexer(src, (m, p) => this.fail(m, p));
    this.tok = this.lexer.next();
  }

  fail(msg: string, pos: number = this.tok.pos): never {
    const { row, col } = lineColAt(this.src, pos);
    throw new PolicyError('policy_parse_error', `unmarshal textproto: (line ${row}:${col}): ${msg}`, {
      file: this.file,
      row,
      col,
    });
  }

  private advance(): Tok {
    const t = this.tok;
    this.tok = this.lexer.next();
    return t;
  }

  private isPunct(p: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === p;
  }

  private expect(p: string): void {
    if (!this.isPunct(p)) this.fail(`expected "${p}", found ${this.describe()}`);
    this.advance();
  }

  private describe(): string {
    return this.tok.kind === 'eof' ? 'end of input' : JSON.stringify(this.tok.text);
  }

  /** Message body up to `end` (eof for the top level). */
  message(type: Type, end: string | undefined): Record<string, unknown> {
    const values = new Map<Field, unknown[]>();
    const seen = new Set<string>();
    for (;;) {
      if (end === undefined ? this.tok.kind === 'eof' : this.isPunct(end)) break;
      if (this.tok.kind === 'eof') this.fail(`unexpected end of input, expected "${end}"`);
      if (this.isPunct('[')) this.fail('extension and Any fields ([...]) are not supported');
      if (this.tok.kind !== 'ident') this.fail(`invalid field name: ${this.describe()}`);
      const nameTok = this.advance();
      const field = this.lookupField(type, nameTok.text);
      if (!field) this.fail(`unknown field: ${nameTok.text}`, nameTok.pos);
      const repeated = field.repeated || field.map;
      if (!repeated && seen.has(field.name)) this.fail(`non-repeated field "${field.name}" is repeated`, nameTok.pos);
      if (field.partOf) {
        for (const other of field.partOf.fieldsArray) {
          if (other !== field && seen.has(other.name))
            this.fail(`error parsing "${field.name}", oneof ${field.partOf.name} is already set`, nameTok.pos);
        }
      }
      seen.add(field.name);
      const list = values.get(field) ?? [];
      values.set(field, list);
      const isMessage = field.resolvedType instanceof protobuf.Type || field.map;
      if (isMessage) {
        if (this.isPunct(':')) this.advance();
        if (this.isPunct('[')) {
          if (!repeated) this.fail(`field "${field.name}" is not repeated`);
          this.list(() => list.push(this.messageValue(field)));
        } else list.push(this.messageValue(field));
      } else {
        this.expect(':');
        if (this.isPunct('[')) {
          if (!repeated) this.fail(`field "${field.name}" is not repeated`);
          this.list(() => list.push(this.scalar(field)));
        } else list.push(this.scalar(field));
      }
      if (this.isPunct(';') || this.isPunct(',')) this.advance();
    }
    return this.toJson(type, values);
  }

  private lookupField(type: Type, name: string): Field | undefined {
    const f = type.fields[name];
    if (f) return f;
    // group fields are named by their type, lower-cased in the field
    return type.fieldsArray.find((x) => x.name === name.toLowerCase() && x.resolvedType?.name === name);
  }

  private list(item: () => void): void {
    this.expect('[');
    if (this.isPunct(']')) {
      this.advance();
      return;
    }
    for (;;) {
      item();
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      this.expect(']');
      return;
    }
  }

  private messageValue(field: Field): unknown {
    const open = this.tok;
    if (!this.isPunct('{') && !this.isPunct('<')) this.fail(`expected "{" or "<", found ${this.describe()}`);
    this.advance();
    const end = open.text === '{' ? '}' : '>';
    let v: unknown;
    if (field.map) v = this.mapEntry(field, end);
    else v = this.message(field.resolvedType as Type, end);
    this.expect(end);
    return v;
  }

  private mapEntry(field: Field, end: string): [unknown, unknown] {
    const mf = field as unknown as protobuf.MapField;
    let key: unknown;
    let value: unknown;
    const keyField = new protobuf.Field('key', 1, mf.keyType);
    const valueField = new protobuf.Field('value', 2, mf.type);
    if (mf.resolvedType) valueField.resolvedType = mf.resolvedType;
    while (!this.isPunct(end)) {
      if (this.tok.kind !== 'ident' || (this.tok.text !== 'key' && this.tok.text !== 'value'))
        this.fail(`unknown field in map entry: ${this.describe()}`);
      const which = this.advance().text;
      if (which === 'key') {
        this.expect(':');
        key = this.scalar(keyField);
      } else if (mf.resolvedType instanceof protobuf.Type) {
        if (this.isPunct(':')) this.advance();
        value = this.messageValue(valueField);
      } else {
        this.expect(':');
        value = this.scalar(valueField);
      }
      if (this.isPunct(';') || this.isPunct(',')) this.advance();
    }
    return [key ?? defaultScalar(keyField), value ?? defaultValue(valueField)];
  }

  private scalar(field: Field): unknown {
    const t = field.type;
    if (field.resolvedType instanceof protobuf.Enum) return this.enumValue(field.resolvedType);
    if (t === 'string' || t === 'bytes') {
      if (this.tok.kind !== 'string') this.fail(`invalid value for ${t} field ${field.name}: ${this.describe()}`);
      const parts: Buffer[] = [];
      while (this.tok.kind === 'string') parts.push(this.advance().bytes!);
      const buf = Buffer.concat(parts);
      if (t === 'bytes') return buf;
      const text = buf.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(buf)) this.fail(`invalid UTF-8 in string field ${field.name}`);
      return text;
    }
    if (t === 'bool') {
      const tok = this.advance();
      if (tok.kind === 'ident' && ['true', 'True', 't'].includes(tok.text)) return true;
      if (tok.kind === 'ident' && ['false', 'False', 'f'].includes(tok.text)) return false;
      if (tok.kind === 'number' && (tok.text === '0' || tok.text === '1')) return tok.text === '1';
      this.fail(`invalid value for bool field ${field.name}: ${JSON.stringify(tok.text)}`, tok.pos);
    }
    const neg = this.isPunct('-');
    if (neg) this.advance();
    const tok = this.advance();
    if (FLOAT_TYPES.has(t)) {
      if (tok.kind === 'ident') {
        const l = tok.text.toLowerCase();
        if (l === 'inf' || l === 'infinity') return neg ? -Infinity : Infinity;
        if (l === 'nan') return NaN;
      }
      if (tok.kind !== 'number')
        this.fail(`invalid value for ${t} field ${field.name}: ${JSON.stringify(tok.text)}`, tok.pos);
      const n = /^0[xX]/.test(tok.text) ? parseInt(tok.text, 16) : parseFloat(tok.text.replace(/[fF]$/, ''));
      return neg ? -n : n;
    }
    if (tok.kind !== 'number' || /[.eEfF]/.test(tok.text.replace(/^0[xX][0-9a-fA-F]+$/, '')))
      this.fail(`invalid value for ${t} field ${field.name}: ${JSON.stringify(tok.text)}`, tok.pos);
    const txt = tok.text;
    let n: bigint;
    if (/^0[xX]/.test(txt)) n = BigInt(txt);
    else if (/^0[0-7]+$/.test(txt)) n = BigInt(`0o${txt.slice(1)}`);
    else if (/^[0-9]+$/.test(txt) && !/^0[0-9]/.test(txt)) n = BigInt(txt);
    else this.fail(`invalid value for ${t} field ${field.name}: ${JSON.stringify(txt)}`, tok.pos);
    if (neg) n = -n;
    const unsigned = t.startsWith('uint') || t === 'fixed32' || t === 'fixed64';
    const bits = INT64_TYPES.has(t) ? 64n : 32n;
    const min = unsigned ? 0n : -(1n << (bits - 1n));
    const max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n;
    if (n < min || n > max) this.fail(`invalid value for ${t} field ${field.name}: ${neg ? '-' : ''}${txt}`, tok.pos);
    return INT32_TYPES.has(t) ? Number(n) : n;
  }

  private enumValue(e: protobuf.Enum): unknown {
    const neg = this.isPunct('-');
    if (neg) this.advance();
    const tok = this.advance();
    if (tok.kind === 'ident' && !neg) {
      if (!(tok.text in e.values)) this.fail(`invalid value for enum ${e.name}: ${tok.text}`, tok.pos);
      return tok.text;
    }
    if (tok.kind === 'number' && /^[0-9]+$/.test(tok.text)) {
      const n = Number(tok.text) * (neg ? -1 : 1);
      return e.valuesById[n] ?? n;
    }
    return this.fail(`invalid value for enum ${e.name}: ${JSON.stringify(tok.text)}`, tok.pos);
  }

  /** protojson (UseProtoNames) of the parsed fields, in field-number order as Go's marshaller emits them. */
  private toJson(type: Type, values: Map<Field, unknown[]>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
    for (const f of fields) {
      const list = values.get(f);
      if (!list) continue;
      if (f.map) {
        if (list.length === 0) continue;
        const obj: Record<string, unknown> = {};
        for (const [k, v] of list as [unknown, unknown][]) obj[String(k)] = jsonScalar(v);
        out[f.name] = obj;
      } else if (f.repeated) {
        if (list.length > 0) out[f.name] = list.map(jsonScalar);
      } else {
        const v = list[0];
        const explicit = f.hasPresence || f.partOf !== null || f.resolvedType instanceof protobuf.Type;
        if (!explicit && isDefault(v)) continue;
        out[f.name] = jsonScalar(v);
      }
    }
    return out;
  }
}

function isDefault(v: unknown): boolean {
  if (v === 0 || v === 0n || v === false || v === '') return !Object.is(v, -0);
  if (Buffer.isBuffer(v)) return v.length === 0;
  return false;
}

function jsonScalar(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

function defaultScalar(f: Field): unknown {
  if (f.type === 'string') return '';
  if (f.type === 'bool') return false;
  if (INT64_TYPES.has(f.type)) return 0n;
  return 0;
}

function defaultValue(f: Field): unknown {
  if (f.resolvedType instanceof protobuf.Type) return {};
  if (f.resolvedType instanceof protobuf.Enum) return f.resolvedType.valuesById[0] ?? 0;
  if (f.type === 'bytes') return Buffer.alloc(0);
  return defaultScalar(f);
}

/** Parses text-format `text` as a message of `type` into its protojson value. */
export function parseTextProto(text: string, type: Type, file: string): Record<string, unknown> {
  return new TextParser(text, file).message(type, undefined);
}

export const textprotoParser: Parser = {
  name: 'textproto',
  parse(raw: string, ctx: ParseContext): ParsedFile {
    const text = stripBom(raw);
    const m = MESSAGE_TYPE_RE.exec(text);
    if (!m) {
      throw new PolicyError(
        'policy_parse_error',
        'extract proto message type: file does not contain necessary proto-message comment',
        {
          file: ctx.file,
          row: 1,
          col: 1,
        },
      );
    }
    const typeName = m[1]!;
    const root = loadProtoRoot(ctx.protoFileDirs ?? []);
    let type: Type | undefined;
    try {
      type = root.lookupType(typeName);
    } catch {
      type = undefined;
    }
    if (!type) {
      const loaded = (ctx.protoFileDirs ?? []).length
        ? ` in ${(ctx.protoFileDirs ?? []).map((d) => relative('.', d) || '.').join(', ')}`
        : ' (no --proto-file-dirs given)';
      throw new PolicyError('policy_parse_error', `look up message type "${typeName}": not found${loaded}`, {
        file: ctx.file,
        ...lineColAt(text, m.index),
      });
    }
    return { value: parseTextProto(text, type, ctx.file), lines: [1] };
  },
};
