// A GraphQL lexer and parser producing the document shape OPA's graphql.* builtins return: the AST of the
// gqlparser library OPA embeds, as Go's JSON encoding of its structs would give it (field names in
// PascalCase, every scalar field present with its zero value, value kinds as integers). Written to
// reproduce that parser's acceptance and its error texts ("Expected Name, found <EOF>", "Unexpected ...",
// "expected at least one definition, found }") with 1-based line and rune column, because OPA's error
// messages and test expectations are phrased in them.

export interface Pos {
  line: number;
  column: number;
}

/** A node of the AST: a plain object whose keys are the JSON field names. `Position` is dropped on output. */
export type Node = Record<string, unknown> & { Position?: Pos };

export class GraphQLSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = 'GraphQLSyntaxError';
    this.line = line;
    this.column = column;
  }
}

// Value kinds, numbered as gqlparser numbers them.
export const ValueKind = {
  Variable: 0,
  Int: 1,
  Float: 2,
  String: 3,
  Block: 4,
  Boolean: 5,
  Null: 6,
  Enum: 7,
  List: 8,
  Object: 9,
} as const;

type Kind =
  | 'Invalid'
  | 'EOF'
  | 'Bang'
  | 'Dollar'
  | 'Amp'
  | 'ParenL'
  | 'ParenR'
  | 'Spread'
  | 'Colon'
  | 'Equals'
  | 'At'
  | 'BracketL'
  | 'BracketR'
  | 'BraceL'
  | 'BraceR'
  | 'Pipe'
  | 'Name'
  | 'Int'
  | 'Float'
  | 'String'
  | 'BlockString'
  | 'Comment';

const KIND_TEXT: Record<Kind, string> = {
  Invalid: '<Invalid>',
  EOF: '<EOF>',
  Bang: '!',
  Dollar: '$',
  Amp: '&',
  ParenL: '(',
  ParenR: ')',
  Spread: '...',
  Colon: ':',
  Equals: '=',
  At: '@',
  BracketL: '[',
  BracketR: ']',
  BraceL: '{',
  BraceR: '}',
  Pipe: '|',
  Name: 'Name',
  Int: 'Int',
  Float: 'Float',
  String: 'String',
  BlockString: 'BlockString',
  Comment: 'Comment',
};

const PUNCT: Record<string, Kind> = {
  '!': 'Bang',
  $: 'Dollar',
  '&': 'Amp',
  '(': 'ParenL',
  ')': 'ParenR',
  ':': 'Colon',
  '=': 'Equals',
  '@': 'At',
  '[': 'BracketL',
  ']': 'BracketR',
  '{': 'BraceL',
  '}': 'BraceR',
  '|': 'Pipe',
};

interface Token {
  kind: Kind;
  value: string;
  line: number;
  column: number;
}

/** Go's strconv.Quote for the characters that occur in GraphQL tokens. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function tokenText(t: Token): string {
  return t.value !== '' ? `${KIND_TEXT[t.kind]} ${goQuote(t.value)}` : KIND_TEXT[t.kind];
}

const isNameStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isNameChar = (c: string | undefined): boolean => isNameStart(c) || (c !== undefined && c >= '0' && c <= '9');
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

class Lexer {
  private end = 0; // UTF-16 index
  private endRunes = 0;
  private startRunes = 0;
  private start = 0;
  private line = 1;
  private lineStartRunes = 0;
  constructor(private readonly input: string) {}

  private token(kind: Kind, value: string): Token {
    return { kind, value, line: this.line, column: this.startRunes - this.lineStartRunes + 1 };
  }

  private error(message: string): { tok: Token; err: GraphQLSyntaxError } {
    const column = this.endRunes - this.lineStartRunes + 1;
    return {
      tok: { kind: 'Invalid', value: '', line: this.line, column },
      err: new GraphQLSyntaxError(message, this.line, column),
    };
  }

  /** Advances over one code point, returning it. */
  private advance(): string {
    const c = this.input.codePointAt(this.end) as number;
    const ch = String.fromCodePoint(c);
    this.end += ch.length;
    this.endRunes++;
    return ch;
  }

  read(): { tok: Token; err?: GraphQLSyntaxError } {
    const s = this.input;
    for (;;) {
      this.ws();
      this.start = this.end;
      this.startRunes = this.endRunes;
      if (this.end >= s.length) return { tok: this.token('EOF', '') };
      const r = s[this.end] as string;
      if (r === '#') {
        while (this.end < s.length) {
          const c = s.codePointAt(this.end) as number;
          if (c > 0x1f || c === 0x09) this.advance();
          else break;
        }
        continue;
      }
      const punct = PUNCT[r];
      if (punct) {
        this.end++;
        this.endRunes++;
        return { tok: this.token(punct, '') };
      }
      if (r === '.' && s.startsWith('...', this.end)) {
        this.end += 3;
        this.endRunes += 3;
        return { tok: this.token('Spread', '') };
      }
      if (isNameStart(r)) {
        while (isNameChar(s[this.end])) {
          this.end++;
          this.endRunes++;
        }
        return { tok: this.token('Name', s.slice(this.start, this.end)) };
      }
      if (r === '-' || isDigit(r)) return this.readNumber();
      if (r === '"') return s.startsWith('"""', this.end) ? this.readBlockString() : this.readString();
      const code = r.charCodeAt(0);
      if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
        return this.error(`Cannot contain the invalid character "\\u${String(code).padStart(4, '0')}"`);
      }
      if (r === "'")
        return this.error(`Unexpected single quote character ('), did you mean to use a double quote (")?`);
      const ch = String.fromCodePoint(s.codePointAt(this.end) as number);
      return this.error(`Cannot parse the unexpected character "${ch}".`);
    }
  }

  private ws(): void {
    const s = this.input;
    while (this.end < s.length) {
      const c = s[this.end];
      if (c === '\t' || c === ' ' || c === ',') {
        this.end++;
        this.endRunes++;
      } else if (c === '\n') {
        this.end++;
        this.endRunes++;
        this.line++;
        this.lineStartRunes = this.endRunes;
      } else if (c === '\r') {
        this.end++;
        this.endRunes++;
        this.line++;
        this.lineStartRunes = this.endRunes;
        if (s[this.end] === '\n') {
          this.end++;
          this.endRunes++;
        }
      } else if (c === '\ufeff') {
        this.end++;
        this.endRunes++;
      } else return;
    }
  }

  private digits(): number {
    let n = 0;
    while (isDigit(this.input[this.end])) {
      this.end++;
      this.endRunes++;
      n++;
    }
    return n;
  }

  private accept(...chars: string[]): boolean {
    const c = this.input[this.end];
    if (c !== undefined && chars.includes(c)) {
      this.end++;
      this.endRunes++;
      return true;
    }
    return false;
  }

  private describeNext(): string {
    return this.end < this.input.length ? `"${this.input[this.end]}"` : '<EOF>';
  }

  private readNumber(): { tok: Token; err?: GraphQLSyntaxError } {
    let float = false;
    this.accept('-');
    if (this.accept('0')) {
      const n = this.digits();
      if (n !== 0) {
        this.end -= n;
        this.endRunes -= n;
        return this.error(`Invalid number, unexpected digit after 0: ${this.describeNext()}.`);
      }
    } else if (this.digits() === 0) {
      return this.error(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    }
    if (this.accept('.')) {
      float = true;
      if (this.digits() === 0) return this.error(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    }
    if (this.accept('e', 'E')) {
      float = true;
      this.accept('-', '+');
      if (this.digits() === 0) return this.error(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    }
    return { tok: this.token(float ? 'Float' : 'Int', this.input.slice(this.start, this.end)) };
  }

  private readString(): { tok: Token; err?: GraphQLSyntaxError } {
    const s = this.input;
    this.end++;
    this.endRunes++;
    this.start = this.end;
    this.startRunes = this.endRunes;
    let out = '';
    while (this.end < s.length) {
      const r = s[this.end] as string;
      if (r === '\n' || r === '\r') break;
      const code = r.charCodeAt(0);
      if (code < 0x20 && r !== '\t')
        return this.error(`Invalid character within String: "\\u${String(code).padStart(4, '0')}".`);
      if (r === '"') {
        // As in gqlparser, the token's column is that of its first character after the quote.
        const tok = this.token('String', out);
        this.end++;
        this.endRunes++;
        return { tok };
      }
      if (r === '\\') {
        if (this.end + 1 >= s.length) {
          this.end++;
          this.endRunes++;
          return this.error('Invalid character escape sequence.');
        }
        const esc = s[this.end + 1] as string;
        if (esc === 'u') {
          if (this.end + 6 >= s.length) {
            this.end++;
            this.endRunes++;
            return this.error(`Invalid character escape sequence: \\${s.slice(this.end)}.`);
          }
          const hex = s.slice(this.end + 2, this.end + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.end++;
            this.endRunes++;
            return this.error(`Invalid character escape sequence: \\${s.slice(this.end, this.end + 5)}.`);
          }
          out += String.fromCharCode(parseInt(hex, 16));
          this.end += 6;
          this.endRunes += 6;
        } else {
          const m: Record<string, string> = {
            '"': '"',
            '/': '/',
            '\\': '\\',
            b: '\b',
            f: '\f',
            n: '\n',
            r: '\r',
            t: '\t',
          };
          const v = m[esc];
          if (v === undefined) {
            this.end++;
            this.endRunes++;
            return this.error(`Invalid character escape sequence: \\${esc}.`);
          }
          out += v;
          this.end += 2;
          this.endRunes += 2;
        }
        continue;
      }
      out += this.advance();
    }
    return this.error('Unterminated string.');
  }

  private readBlockString(): { tok: Token; err?: GraphQLSyntaxError } {
    const s = this.input;
    this.start = this.end + 3;
    this.startRunes = this.endRunes + 3;
    this.end += 3;
    this.endRunes += 3;
    let buf = '';
    while (this.end < s.length) {
      const r = s[this.end] as string;
      if (r === '"' && s.startsWith('"""', this.end)) {
        // As in gqlparser: the line where the string ends, the column computed from its content's start.
        const tok = this.token('BlockString', blockStringValue(buf));
        this.end += 3;
        this.endRunes += 3;
        return { tok };
      }
      const code = r.charCodeAt(0);
      if (code < 0x20 && r !== '\t' && r !== '\n' && r !== '\r') {
        return this.error(`Invalid character within String: "\\u${String(code).padStart(4, '0')}".`);
      }
      if (r === '\\' && s.startsWith('\\"""', this.end)) {
        buf += '"""';
        this.end += 4;
        this.endRunes += 4;
      } else if (r === '\r') {
        if (s[this.end + 1] === '\n') {
          this.end++;
          this.endRunes++;
        }
        buf += '\n';
        this.end++;
        this.endRunes++;
        this.line++;
        this.lineStartRunes = this.endRunes;
      } else {
        buf += this.advance();
        if (r === '\n') {
          this.line++;
          this.lineStartRunes = this.endRunes;
        }
      }
    }
    return this.error('Unterminated string.');
  }
}

/** The GraphQL spec's BlockStringValue: common indentation removed, blank first/last lines dropped. */
export function blockStringValue(raw: string): string {
  const lines = raw.split(/\r\n|[\n\r]/);
  let common: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const indent = line.length - line.replace(/^[ \t]+/, '').length;
    if (indent < line.length && (common === undefined || indent < common)) common = indent;
  }
  if (common !== undefined && common !== 0) {
    for (let i = 1; i < lines.length; i++) lines[i] = (lines[i] as string).slice(common);
  }
  const blank = (l: string): boolean => /^[ \t]*$/.test(l);
  while (lines.length > 0 && blank(lines[0] as string)) lines.shift();
  while (lines.length > 0 && blank(lines[lines.length - 1] as string)) lines.pop();
  return lines.join('\n');
}

const DIRECTIVE_LOCATIONS = new Set([
  'QUERY',
  'MUTATION',
  'SUBSCRIPTION',
  'FIELD',
  'FRAGMENT_DEFINITION',
  'FRAGMENT_SPREAD',
  'INLINE_FRAGMENT',
  'VARIABLE_DEFINITION',
  'SCHEMA',
  'SCALAR',
  'OBJECT',
  'FIELD_DEFINITION',
  'ARGUMENT_DEFINITION',
  'INTERFACE',
  'UNION',
  'ENUM',
  'ENUM_VALUE',
  'INPUT_OBJECT',
  'INPUT_FIELD_DEFINITION',
]);

class Parser {
  private readonly lexer: Lexer;
  err: GraphQLSyntaxError | undefined;
  private peeked = false;
  private peekTok: Token = { kind: 'EOF', value: '', line: 1, column: 1 };
  private peekErr: GraphQLSyntaxError | undefined;
  private prev: Token = { kind: 'EOF', value: '', line: 1, column: 1 };

  constructor(input: string) {
    this.lexer = new Lexer(input);
  }

  peek(): Token {
    if (this.err) return this.prev;
    if (!this.peeked) {
      const r = this.lexer.read();
      this.peekTok = r.tok;
      this.peekErr = r.err;
      this.peeked = true;
    }
    return this.peekTok;
  }

  private pos(): Pos | undefined {
    if (this.err) return undefined;
    const t = this.peek();
    return { line: t.line, column: t.column };
  }

  private error(tok: Token, message: string): void {
    if (this.err) return;
    this.err = new GraphQLSyntaxError(message, tok.line, tok.column);
  }

  next(): Token {
    if (this.err) return this.prev;
    if (this.peeked) {
      this.peeked = false;
      this.prev = this.peekTok;
      this.err = this.peekErr;
    } else {
      const r = this.lexer.read();
      this.prev = r.tok;
      this.err = r.err;
    }
    return this.prev;
  }

  private expectKeyword(value: string): Token {
    const tok = this.peek();
    if (tok.kind === 'Name' && tok.value === value) return this.next();
    this.error(tok, `Expected ${goQuote(value)}, found ${tokenText(tok)}`);
    return tok;
  }

  private expect(kind: Kind): Token {
    const tok = this.peek();
    if (tok.kind === kind) return this.next();
    this.error(tok, `Expected ${KIND_TEXT[kind]}, found ${KIND_TEXT[tok.kind]}`);
    return tok;
  }

  private skip(kind: Kind): boolean {
    if (this.err) return false;
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  unexpected(tok: Token = this.peek()): void {
    this.error(tok, `Unexpected ${tokenText(tok)}`);
  }

  private many(start: Kind, end: Kind, cb: () => void): void {
    if (!this.skip(start)) return;
    while (this.peek().kind !== end && !this.err) cb();
    this.next();
  }

  private some(start: Kind, end: Kind, cb: () => void): void {
    if (!this.skip(start)) return;
    let called = false;
    while (this.peek().kind !== end && !this.err) {
      called = true;
      cb();
    }
    if (!called) {
      this.error(this.peek(), `expected at least one definition, found ${KIND_TEXT[this.peek().kind]}`);
      return;
    }
    this.next();
  }

  private name(): string {
    return this.expect('Name').value;
  }

  // ---- executable documents ------------------------------------------------------------------------

  queryDocument(): Node {
    const ops: Node[] = [];
    const frags: Node[] = [];
    while (this.peek().kind !== 'EOF') {
      if (this.err) break;
      const t = this.peek();
      if (t.kind === 'Name') {
        if (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription') ops.push(this.operation());
        else if (t.value === 'fragment') frags.push(this.fragmentDefinition());
        else this.unexpected();
      } else if (t.kind === 'BraceL') ops.push(this.operation());
      else this.unexpected();
    }
    return { Operations: ops.length ? ops : null, Fragments: frags.length ? frags : null };
  }

  private operation(): Node {
    if (this.peek().kind === 'BraceL') {
      const Position = this.pos();
      return op('query', '', null, null, this.requiredSelectionSet(), Position);
    }
    const Position = this.pos();
    const operation = this.operationType();
    let name = '';
    if (this.peek().kind === 'Name') name = this.next().value;
    const vars = this.variableDefinitions();
    const dirs = this.directives(false);
    return op(operation, name, vars, dirs, this.requiredSelectionSet(), Position);
  }

  private operationType(): string {
    const tok = this.next();
    if (tok.value === 'query' || tok.value === 'mutation' || tok.value === 'subscription') return tok.value;
    this.unexpected(tok);
    return '';
  }

  private variableDefinitions(): Node[] | null {
    const defs: Node[] = [];
    this.many('ParenL', 'ParenR', () => {
      const Position = this.pos();
      const Variable = this.variable();
      this.expect('Colon');
      const Type = this.typeReference();
      const DefaultValue = this.skip('Equals') ? this.valueLiteral(true) : null;
      const Directives = this.directives(false);
      defs.push({ Variable, Type, DefaultValue, Directives, Position, Definition: null, Used: false });
    });
    return defs.length ? defs : null;
  }

  private variable(): string {
    this.expect('Dollar');
    return this.name();
  }

  private selections(): Node[] | null {
    const out: Node[] = [];
    this.some('BraceL', 'BraceR', () => out.push(this.selection()));
    return out.length ? out : null;
  }

  private requiredSelectionSet(): Node[] | null {
    if (this.peek().kind !== 'BraceL') {
      this.error(this.peek(), `Expected {, found ${KIND_TEXT[this.peek().kind]}`);
      return null;
    }
    return this.selections();
  }

  private selection(): Node {
    if (this.peek().kind === 'Spread') return this.fragment();
    const Position = this.pos();
    const Alias = this.name();
    const Name = this.skip('Colon') ? this.name() : Alias;
    const Arguments = this.arguments(false);
    const Directives = this.directives(false);
    const SelectionSet = this.peek().kind === 'BraceL' ? this.selections() : null;
    return { Alias, Name, Arguments, Directives, SelectionSet, Position, Definition: null, ObjectDefinition: null };
  }

  private arguments(isConst: boolean): Node[] | null {
    const args: Node[] = [];
    this.many('ParenL', 'ParenR', () => {
      const Position = this.pos();
      const Name = this.name();
      this.expect('Colon');
      args.push({ Name, Value: this.valueLiteral(isConst), Position });
    });
    return args.length ? args : null;
  }

  private fragment(): Node {
    this.expect('Spread');
    const p = this.peek();
    if (p.kind === 'Name' && p.value !== 'on') {
      const Position = this.pos();
      const Name = this.fragmentName();
      return { Name, Directives: this.directives(false), ObjectDefinition: null, Definition: null, Position };
    }
    const Position = this.pos();
    let TypeCondition = '';
    if (this.peek().value === 'on') {
      this.next();
      TypeCondition = this.name();
    }
    const Directives = this.directives(false);
    return { TypeCondition, Directives, SelectionSet: this.requiredSelectionSet(), ObjectDefinition: null, Position };
  }

  private fragmentDefinition(): Node {
    const Position = this.pos();
    this.expectKeyword('fragment');
    const Name = this.fragmentName();
    const VariableDefinition = this.variableDefinitions();
    this.expectKeyword('on');
    const TypeCondition = this.name();
    const Directives = this.directives(false);
    const SelectionSet = this.requiredSelectionSet();
    return { Name, VariableDefinition, TypeCondition, Directives, SelectionSet, Definition: null, Position };
  }

  private fragmentName(): string {
    if (this.peek().value === 'on') {
      this.unexpected();
      return '';
    }
    return this.name();
  }

  private valueLiteral(isConst: boolean): Node | null {
    const tok = this.peek();
    const Position = { line: tok.line, column: tok.column };
    let kind: number;
    switch (tok.kind) {
      case 'BracketL':
      case 'BraceL': {
        const list = tok.kind === 'BracketL';
        const children: Node[] = [];
        this.many(tok.kind, list ? 'BracketR' : 'BraceR', () => {
          if (list) children.push({ Name: '', Value: this.valueLiteral(isConst) });
          else {
            const p = this.pos();
            const Name = this.name();
            this.expect('Colon');
            children.push({ Name, Value: this.valueLiteral(isConst), Position: p });
          }
        });
        return value('', children.length ? children : null, list ? ValueKind.List : ValueKind.Object, Position);
      }
      case 'Dollar':
        if (isConst) {
          this.unexpected();
          return null;
        }
        return value(this.variable(), null, ValueKind.Variable, Position);
      case 'Int':
        kind = ValueKind.Int;
        break;
      case 'Float':
        kind = ValueKind.Float;
        break;
      case 'String':
        kind = ValueKind.String;
        break;
      case 'BlockString':
        kind = ValueKind.Block;
        break;
      case 'Name':
        kind =
          tok.value === 'true' || tok.value === 'false'
            ? ValueKind.Boolean
            : tok.value === 'null'
              ? ValueKind.Null
              : ValueKind.Enum;
        break;
      default:
        this.unexpected();
        return null;
    }
    this.next();
    return value(tok.value, null, kind, Position);
  }

  private directives(isConst: boolean): Node[] | null {
    const out: Node[] = [];
    while (this.peek().kind === 'At') {
      if (this.err) break;
      this.expect('At');
      const Position = this.pos();
      const Name = this.name();
      out.push({
        Name,
        Arguments: this.arguments(isConst),
        Position,
        ParentDefinition: null,
        Definition: null,
        Location: '',
      });
    }
    return out.length ? out : null;
  }

  private typeReference(): Node {
    const t: Node = { NamedType: '', Elem: null, NonNull: false };
    if (this.skip('BracketL')) {
      t.Position = this.pos();
      t.Elem = this.typeReference();
      this.expect('BracketR');
    } else {
      t.Position = this.pos();
      t.NamedType = this.name();
    }
    if (this.skip('Bang')) {
      t.Position = this.pos();
      t.NonNull = true;
    }
    return t;
  }

  // ---- type system documents -----------------------------------------------------------------------

  schemaDocument(): Node | undefined {
    const doc = {
      Schema: [] as Node[],
      SchemaExtension: [] as Node[],
      Directives: [] as Node[],
      Definitions: [] as Node[],
      Extensions: [] as Node[],
    };
    while (this.peek().kind !== 'EOF') {
      if (this.err) return undefined;
      let description = '';
      if (this.peek().kind === 'BlockString' || this.peek().kind === 'String') description = this.next().value;
      if (this.peek().kind !== 'Name') {
        this.unexpected();
        break;
      }
      switch (this.peek().value) {
        case 'scalar':
        case 'type':
        case 'interface':
        case 'union':
        case 'enum':
        case 'input':
          doc.Definitions.push(this.typeDefinition(description, false));
          break;
        case 'schema': {
          this.expectKeyword('schema');
          doc.Schema.push(this.schemaDefinition(description, false));
          break;
        }
        case 'directive':
          doc.Directives.push(this.directiveDefinition(description));
          break;
        case 'extend':
          if (description !== '') this.unexpected(this.prev);
          this.extension(doc);
          break;
        default:
          this.unexpected();
          return undefined;
      }
    }
    if (this.err) return undefined;
    const orNull = (a: Node[]): Node[] | null => (a.length ? a : null);
    return {
      Schema: orNull(doc.Schema),
      SchemaExtension: orNull(doc.SchemaExtension),
      Directives: orNull(doc.Directives),
      Definitions: orNull(doc.Definitions),
      Extensions: orNull(doc.Extensions),
    };
  }

  private description(): string {
    const t = this.peek();
    if (t.kind !== 'BlockString' && t.kind !== 'String') return '';
    return this.next().value;
  }

  private schemaDefinition(description: string, extension: boolean): Node {
    const Position = this.pos();
    const Directives = this.directives(true);
    const ops: Node[] = [];
    this.some('BraceL', 'BraceR', () => {
      const p = this.pos();
      const Operation = this.operationType();
      this.expect('Colon');
      ops.push({ Operation, Type: this.name(), Position: p });
    });
    if (extension && !Directives && ops.length === 0) this.unexpected();
    return { Description: description, Directives, OperationTypes: ops.length ? ops : null, Position };
  }

  private typeDefinition(description: string, extension: boolean): Node {
    const keyword = this.peek().value;
    this.expectKeyword(keyword);
    const Position = this.pos();
    const def: Node = {
      Kind: '',
      Description: description,
      Name: '',
      Directives: null,
      Interfaces: null,
      Fields: null,
      Types: null,
      EnumValues: null,
      Position,
      BuiltIn: false,
    };
    def.Name = this.name();
    let empty = false;
    switch (keyword) {
      case 'scalar':
        def.Kind = 'SCALAR';
        def.Directives = this.directives(true);
        empty = !def.Directives;
        break;
      case 'type':
      case 'interface':
        def.Kind = keyword === 'type' ? 'OBJECT' : 'INTERFACE';
        if (!(extension && keyword === 'interface')) def.Interfaces = this.implementsInterfaces();
        def.Directives = this.directives(true);
        def.Fields = this.fieldsDefinition(false);
        empty = !def.Interfaces && !def.Directives && !def.Fields;
        break;
      case 'union':
        def.Kind = 'UNION';
        def.Directives = this.directives(true);
        def.Types = this.unionMembers();
        empty = !def.Directives && !def.Types;
        break;
      case 'enum': {
        def.Kind = 'ENUM';
        def.Directives = this.directives(true);
        const values: Node[] = [];
        this.some('BraceL', 'BraceR', () => {
          const p = this.pos();
          const Description = this.description();
          const Name = this.name();
          values.push({ Description, Name, Directives: this.directives(true), Position: p });
        });
        def.EnumValues = values.length ? values : null;
        empty = !def.Directives && !def.EnumValues;
        break;
      }
      case 'input':
        def.Kind = 'INPUT_OBJECT';
        def.Directives = this.directives(!extension);
        def.Fields = this.fieldsDefinition(true);
        empty = !def.Directives && !def.Fields;
        break;
    }
    if (extension && empty) this.unexpected();
    return def;
  }

  private implementsInterfaces(): string[] | null {
    if (this.peek().value !== 'implements') return null;
    this.next();
    this.skip('Amp');
    const out = [this.name()];
    while (this.skip('Amp') && !this.err) out.push(this.name());
    return out;
  }

  private unionMembers(): string[] | null {
    if (!this.skip('Equals')) return null;
    this.skip('Pipe');
    const out = [this.name()];
    while (this.skip('Pipe') && !this.err) out.push(this.name());
    return out;
  }

  private fieldsDefinition(input: boolean): Node[] | null {
    const out: Node[] = [];
    this.some('BraceL', 'BraceR', () => {
      const Position = this.pos();
      const Description = this.description();
      const Name = this.name();
      const Arguments = input ? null : this.argumentDefs();
      this.expect('Colon');
      const Type = this.typeReference();
      const DefaultValue = input && this.skip('Equals') ? this.valueLiteral(true) : null;
      const Directives = this.directives(true);
      out.push({ Description, Name, Arguments, DefaultValue, Type, Directives, Position });
    });
    return out.length ? out : null;
  }

  private argumentDefs(): Node[] | null {
    const out: Node[] = [];
    this.some('ParenL', 'ParenR', () => {
      const Position = this.pos();
      const Description = this.description();
      const Name = this.name();
      this.expect('Colon');
      const Type = this.typeReference();
      const DefaultValue = this.skip('Equals') ? this.valueLiteral(true) : null;
      out.push({ Description, Name, DefaultValue, Type, Directives: this.directives(true), Position });
    });
    return out.length ? out : null;
  }

  private extension(doc: { SchemaExtension: Node[]; Extensions: Node[] }): void {
    this.expectKeyword('extend');
    const kw = this.peek().value;
    switch (kw) {
      case 'schema':
        this.expectKeyword('schema');
        doc.SchemaExtension.push(this.schemaDefinition('', true));
        break;
      case 'scalar':
      case 'type':
      case 'interface':
      case 'union':
      case 'enum':
      case 'input':
        doc.Extensions.push(this.typeDefinition('', true));
        break;
      default:
        this.unexpected();
    }
  }

  private directiveDefinition(description: string): Node {
    this.expectKeyword('directive');
    this.expect('At');
    const Position = this.pos();
    const Name = this.name();
    const Arguments = this.argumentDefs();
    let IsRepeatable = false;
    const p = this.peek();
    if (p.kind === 'Name' && p.value === 'repeatable') {
      IsRepeatable = true;
      this.skip('Name');
    }
    this.expectKeyword('on');
    this.skip('Pipe');
    const Locations = [this.directiveLocation()];
    while (this.skip('Pipe') && !this.err) Locations.push(this.directiveLocation());
    return { Description: description, Name, Arguments, Locations, IsRepeatable, Position };
  }

  private directiveLocation(): string {
    const t = this.expect('Name');
    if (DIRECTIVE_LOCATIONS.has(t.value)) return t.value;
    this.unexpected(t);
    return '';
  }
}

function op(
  Operation: string,
  Name: string,
  VariableDefinitions: Node[] | null,
  Directives: Node[] | null,
  SelectionSet: Node[] | null,
  Position: Pos | undefined,
): Node {
  return { Operation, Name, VariableDefinitions, Directives, SelectionSet, Position };
}

function value(Raw: string, Children: Node[] | null, Kind: number, Position: Pos): Node {
  return { Raw, Children, Kind, Position, Definition: null, VariableDefinition: null, ExpectedType: null };
}

/** Parses an executable document (operations and fragments). Throws GraphQLSyntaxError. */
export function parseQueryDocument(text: string): Node {
  const p = new Parser(text);
  const doc = p.queryDocument();
  if (p.err) throw p.err;
  return doc;
}

/** Parses a type system document (schema, types, directives, extensions). Throws GraphQLSyntaxError. */
export function parseSchemaDocument(text: string): Node {
  const p = new Parser(text);
  const doc = p.schemaDocument();
  if (p.err) throw p.err;
  if (!doc) throw new GraphQLSyntaxError('invalid schema document', 1, 1);
  return doc;
}
