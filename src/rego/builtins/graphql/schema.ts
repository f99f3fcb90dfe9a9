// Schema validation with the semantics of the gqlparser library OPA embeds (its ValidateSchemaDocument):
// the built-in prelude (scalars, directives, introspection types) is merged first, extensions are folded into
// their types (an extension of an undeclared type declares it), and then types and directive definitions
// are checked in name order, the first problem reported. No Query type is required.
import { GraphQLSyntaxError, parseSchemaDocument, type Node, type Pos } from './parser.ts';

const PRELUDE_TEXT = `
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
scalar Int
scalar Float
scalar String
scalar Boolean
scalar ID
type __Schema {
  description: String
  types: [__Type!]!
  queryType: __Type!
  mutationType: __Type
  subscriptionType: __Type
  directives: [__Directive!]!
}
type __Type {
  kind: __TypeKind!
  name: String
  description: String
  fields(includeDeprecated: Boolean = false): [__Field!]
  interfaces: [__Type!]
  possibleTypes: [__Type!]
  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]
  inputFields: [__InputValue!]
  ofType: __Type
  specifiedByURL: String
}
type __Field {
  name: String!
  description: String
  args: [__InputValue!]!
  type: __Type!
  isDeprecated: Boolean!
  deprecationReason: String
}
type __InputValue {
  name: String!
  description: String
  type: __Type!
  defaultValue: String
}
type __EnumValue {
  name: String!
  description: String
  isDeprecated: Boolean!
  deprecationReason: String
}
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Directive {
  name: String!
  description: String
  locations: [__DirectiveLocation!]!
  args: [__InputValue!]!
  isRepeatable: Boolean!
}
enum __DirectiveLocation {
  QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION
  SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT
  INPUT_FIELD_DEFINITION
}
`;

export const BUILTIN_DIRECTIVES = new Set(['include', 'skip', 'deprecated', 'specifiedBy']);

let prelude: Node | undefined;
function preludeDoc(): Node {
  if (!prelude) {
    prelude = parseSchemaDocument(PRELUDE_TEXT);
    for (const d of list(prelude.Definitions)) d.BuiltIn = true;
  }
  return prelude;
}

/** A schema problem, with the position of the offending node when it has one. */
export class GraphQLSchemaError extends Error {
  readonly pos: Pos | undefined;
  constructor(message: string, pos: Pos | undefined) {
    super(message);
    this.name = 'GraphQLSchemaError';
    this.pos = pos;
  }
}

export interface Schema {
  types: Map<string, Node>;
  directives: Map<string, Node>;
  possibleTypes: Map<string, Node[]>;
  query: Node | undefined;
  mutation: Node | undefined;
  subscription: Node | undefined;
}

export function list(v: unknown): Node[] {
  return Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === 'object') as Node[]) : [];
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function pos(n: Node | undefined): Pos | undefined {
  const p = n?.Position;
  return p && typeof p === 'object' && typeof p.line === 'number' ? p : undefined;
}
const fail = (n: Node | undefined, message: string): never => {
  throw new GraphQLSchemaError(message, pos(n));
};

/** The name at the bottom of a type reference. */
export function typeName(t: unknown): string {
  if (!t || typeof t !== 'object') return '';
  const n = t as Node;
  if (str(n.NamedType) !== '') return str(n.NamedType);
  return n.Elem ? typeName(n.Elem) : '';
}

export function typeString(t: unknown): string {
  if (!t || typeof t !== 'object') return '';
  const n = t as Node;
  const inner = str(n.NamedType) !== '' ? str(n.NamedType) : `[${typeString(n.Elem)}]`;
  return n.NonNull === true ? inner + '!' : inner;
}

function compatible(a: Node | undefined, b: Node | undefined): boolean {
  if (!a || !b) return a === b;
  if (str(a.NamedType) !== str(b.NamedType)) return false;
  if (a.Elem && !b.Elem) return false;
  if (a.Elem && !compatible(a.Elem as Node, b.Elem as Node)) return false;
  if (b.NonNull === true) return a.NonNull === true;
  return true;
}

/** Validates a parsed (or reconstructed) schema document merged over the prelude; throws GraphQLSchemaError. */
export function validateSchemaDocument(userDoc: Node): Schema {
  // Work on copies: extensions are folded into definitions.
  const pre = structuredClone(preludeDoc());
  const doc = structuredClone(userDoc);
  const defsIn = [...list(pre.Definitions), ...list(doc.Definitions)];
  const extsIn = [...list(pre.Extensions), ...list(doc.Extensions)];
  const dirsIn = [...list(pre.Directives), ...list(doc.Directives)];
  const schemaDefs = [...list(pre.Schema), ...list(doc.Schema)];
  const schemaExts = [...list(pre.SchemaExtension), ...list(doc.SchemaExtension)];

  const s: Schema = {
    types: new Map(),
    directives: new Map(),
    possibleTypes: new Map(),
    query: undefined,
    mutation: undefined,
    subscription: undefined,
  };
  for (const def of defsIn) {
    if (s.types.has(str(def.Name))) fail(def, `Cannot redeclare type ${str(def.Name)}.`);
    s.types.set(str(def.Name), def);
  }
  const defs = [...defsIn];
  for (const ext of extsIn) {
    let def = s.types.get(str(ext.Name));
    if (!def) {
      def = { Kind: ext.Kind, Name: ext.Name, Position: ext.Position };
      s.types.set(str(ext.Name), def);
      defs.push(def);
    }
    if (def.Kind !== ext.Kind) {
      fail(
        ext,
        `Cannot extend type ${str(ext.Name)} because the base type is a ${str(def.Kind)}, not ${str(ext.Kind)}.`,
      );
    }
    for (const k of ['Directives', 'Interfaces', 'Fields', 'Types', 'EnumValues']) {
      const more = Array.isArray(ext[k]) ? (ext[k] as unknown[]) : [];
      if (more.length) def[k] = [...(Array.isArray(def[k]) ? (def[k] as unknown[]) : []), ...more];
    }
  }
  const addPossible = (name: string, def: Node | undefined): void => {
    if (!def) return;
    const l = s.possibleTypes.get(name) ?? [];
    l.push(def);
    s.possibleTypes.set(name, l);
  };
  for (const def of defs) {
    if (def.Kind === 'UNION') for (const t of strings(def.Types)) addPossible(str(def.Name), s.types.get(t));
    else if (def.Kind === 'OBJECT' || def.Kind === 'INPUT_OBJECT') {
      for (const i of strings(def.Interfaces)) addPossible(i, def);
      addPossible(str(def.Name), def);
    } else if (def.Kind === 'INTERFACE') for (const i of strings(def.Interfaces)) addPossible(i, def);
  }
  for (const dir of dirsIn) {
    const name = str(dir.Name);
    if (s.directives.has(name)) {
      if (BUILTIN_DIRECTIVES.has(name)) continue;
      fail(dir, `Cannot redeclare directive ${name}.`);
    }
    s.directives.set(name, dir);
  }
  if (schemaDefs.length > 1)
    fail(schemaDefs[1], 'Cannot have multiple schema entry points, consider schema extensions instead.');
  for (const sd of [...schemaDefs, ...schemaExts]) {
    for (const ep of list(sd.OperationTypes)) {
      const def = s.types.get(str(ep.Type));
      if (!def) fail(ep, `Schema root ${str(ep.Operation)} refers to a type ${str(ep.Type)} that does not exist.`);
      if (ep.Operation === 'query') s.query = def;
      else if (ep.Operation === 'mutation') s.mutation = def;
      else if (ep.Operation === 'subscription') s.subscription = def;
    }
  }
  for (const name of [...s.types.keys()].sort()) validateDefinition(s, s.types.get(name) as Node);
  for (const name of [...s.directives.keys()].sort()) {
    const d = s.directives.get(name) as Node;
    validateName(d, name);
    validateArgs(s, list(d.Arguments), d);
  }
  if (schemaDefs.length === 0) {
    s.query ??= s.types.get('Query');
    s.mutation ??= s.types.get('Mutation');
    s.subscription ??= s.types.get('Subscription');
  }
  return s;
}

function validateName(n: Node, name: string): void {
  if (name.startsWith('__')) {
    fail(n, `Name "${name}" must not begin with "__", which is reserved by GraphQL introspection.`);
  }
}

const isInputKind = (k: unknown): boolean => k === 'SCALAR' || k === 'ENUM' || k === 'INPUT_OBJECT';

function validateTypeRef(s: Schema, t: Node, at: Node): void {
  if (!s.types.has(typeName(t))) fail(pos(t) ? t : at, `Undefined type ${typeName(t)}.`);
}

function validateArgs(s: Schema, args: Node[], current: Node | undefined): void {
  for (const arg of args) {
    validateName(arg, str(arg.Name));
    validateTypeRef(s, (arg.Type ?? {}) as Node, arg);
    const def = s.types.get(typeName(arg.Type));
    if (!isInputKind(def?.Kind)) {
      fail(
        arg,
        `cannot use ${typeString(arg.Type)} as argument ${str(arg.Name)} because ${str(def?.Kind)} is not a valid input type`,
      );
    }
    validateDirectives(s, list(arg.Directives), 'ARGUMENT_DEFINITION', current);
  }
}

function validateDirectives(s: Schema, dirs: Node[], location: string, current: Node | undefined): void {
  for (const dir of dirs) {
    const name = str(dir.Name);
    validateName(dir, name);
    if (current && name === str(current.Name)) fail(dir, `Directive ${name} cannot refer to itself.`);
    const def = s.directives.get(name);
    if (!def) fail(dir, `Undefined directive ${name}.`);
    if (!strings(def?.Locations).includes(location)) fail(dir, `Directive ${name} is not applicable on ${location}.`);
  }
}

function validateDefinition(s: Schema, def: Node): void {
  const kind = str(def.Kind);
  const name = str(def.Name);
  const fields = list(def.Fields);
  for (const f of fields) {
    validateName(f, str(f.Name));
    validateTypeRef(s, (f.Type ?? {}) as Node, f);
    validateArgs(s, list(f.Arguments), undefined);
    validateDirectives(
      s,
      list(f.Directives),
      kind === 'INPUT_OBJECT' ? 'INPUT_FIELD_DEFINITION' : 'FIELD_DEFINITION',
      undefined,
    );
  }
  for (const t of strings(def.Types)) {
    const td = s.types.get(t);
    if (!td) fail(def, `Undefined type ${JSON.stringify(t)}.`);
    if (td?.Kind !== 'OBJECT') fail(def, `${kind} type ${JSON.stringify(t)} must be OBJECT.`);
  }
  for (const i of strings(def.Interfaces)) validateImplements(s, def, i);
  switch (kind) {
    case 'OBJECT':
    case 'INTERFACE':
      if (fields.length === 0) fail(def, `${kind} ${name}: must define one or more fields.`);
      for (const f of fields) {
        const t = s.types.get(typeName(f.Type));
        if (t && !['SCALAR', 'OBJECT', 'INTERFACE', 'UNION', 'ENUM'].includes(str(t.Kind))) {
          fail(f, `${kind} ${name}: field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.`);
        }
      }
      break;
    case 'ENUM':
      if (list(def.EnumValues).length === 0) fail(def, `${kind} ${name}: must define one or more unique enum values.`);
      for (const v of list(def.EnumValues)) {
        if (['true', 'false', 'null'].includes(str(v.Name)))
          fail(def, `${kind} ${name}: non-enum value ${str(v.Name)}.`);
      }
      break;
    case 'INPUT_OBJECT':
      if (fields.length === 0) fail(def, `${kind} ${name}: must define one or more input fields.`);
      for (const f of fields) {
        const t = s.types.get(typeName(f.Type));
        if (t && !isInputKind(t.Kind))
          fail(f, `${str(t.Kind)} ${str(f.Name)}: field must be one of SCALAR, ENUM, INPUT_OBJECT.`);
      }
      break;
  }
  for (let i = 0; i < fields.length; i++) {
    for (let j = i + 1; j < fields.length; j++) {
      const f2 = fields[j] as Node;
      if (str((fields[i] as Node).Name) === str(f2.Name))
        fail(f2, `Field ${name}.${str(f2.Name)} can only be defined once.`);
    }
  }
  if (def.BuiltIn !== true) validateName(def, name);
  validateDirectives(s, list(def.Directives), kind, undefined);
}

function covariant(s: Schema, req: Node | undefined, act: Node | undefined): boolean {
  if (!req || !act) return false;
  if (req.NonNull === true && act.NonNull !== true) return false;
  if (str(req.NamedType) !== '') {
    if (str(req.NamedType) === str(act.NamedType)) return true;
    return (s.possibleTypes.get(str(req.NamedType)) ?? []).some((p) => str(p.Name) === str(act.NamedType));
  }
  if (req.Elem && !act.Elem) return false;
  return covariant(s, req.Elem as Node, act.Elem as Node);
}

function validateImplements(s: Schema, def: Node, intfName: string): void {
  const name = str(def.Name);
  const intf = s.types.get(intfName);
  if (!intf) fail(def, `Undefined type ${JSON.stringify(intfName)}.`);
  if (intf?.Kind !== 'INTERFACE') fail(def, `${JSON.stringify(intfName)} is a non interface type ${str(intf?.Kind)}.`);
  const iname = str(intf?.Name);
  const fields = list(def.Fields);
  for (const req of list(intf?.Fields)) {
    const rname = str(req.Name);
    const found = fields.find((f) => str(f.Name) === rname);
    if (!found) fail(def, `For ${name} to implement ${iname} it must have a field called ${rname}.`);
    const f = found as Node;
    if (!covariant(s, req.Type as Node, f.Type as Node)) {
      fail(f, `For ${name} to implement ${iname} the field ${rname} must have type ${typeString(req.Type)}.`);
    }
    const fargs = list(f.Arguments);
    for (const ra of list(req.Arguments)) {
      const fa = fargs.find((a) => str(a.Name) === str(ra.Name));
      if (!fa) {
        fail(
          f,
          `For ${name} to implement ${iname} the field ${rname} must have the same arguments but it is missing ${str(ra.Name)}.`,
        );
      }
      if (!compatible(ra.Type as Node, fa?.Type as Node)) {
        fail(
          fa,
          `For ${name} to implement ${iname} the field ${rname} must have the same arguments but ${str(ra.Name)} has the wrong type.`,
        );
      }
    }
    for (const fa of fargs) {
      const reqArgs = list(req.Arguments);
      if (
        !reqArgs.some((a) => str(a.Name) === str(fa.Name)) &&
        (fa.Type as Node | undefined)?.NonNull === true &&
        !fa.DefaultValue
      ) {
        fail(
          fa,
          `For ${name} to implement ${iname} any additional arguments on ${str(f.Name)} must be optional or have a default value but ${str(fa.Name)} is required.`,
        );
      }
    }
  }
  for (const t of strings(intf?.Interfaces)) {
    if (!strings(def.Interfaces).includes(t)) {
      if (t === name)
        fail(def, `Type ${name} cannot implement ${intfName} because it would create a circular reference.`);
      fail(def, `Type ${name} must implement ${t} because it is implemented by ${intfName}.`);
    }
  }
}

export { GraphQLSyntaxError };
