// Query validation against a schema: the validated schema (gqlparser semantics, see schema.ts) is printed as
// SDL and built with graphql-js, whose specified validation rules are the ones gqlparser ported (same rule
// set and messages). graphql-js is loaded on first use only, so importing the engine stays cheap.
import { createRequire } from 'node:module';
import type * as GraphQLJS from 'graphql';
import type { Node, Pos } from './parser.ts';
import { BUILTIN_DIRECTIVES, list, str, typeString, type Schema } from './schema.ts';
import { ValueKind } from './parser.ts';

let gql: typeof GraphQLJS | undefined;
function graphqlJS(): typeof GraphQLJS {
  gql ??= createRequire(import.meta.url)('graphql') as typeof GraphQLJS;
  return gql;
}

export interface QueryProblem {
  message: string;
  pos: Pos | undefined;
}

function printValue(v: unknown): string {
  if (!v || typeof v !== 'object') return 'null';
  const n = v as Node;
  const raw = str(n.Raw);
  switch (n.Kind) {
    case ValueKind.Variable:
      return `$${raw}`;
    case ValueKind.String:
    case ValueKind.Block:
      return JSON.stringify(raw);
    case ValueKind.List:
      return `[${list(n.Children)
        .map((c) => printValue(c.Value))
        .join(', ')}]`;
    case ValueKind.Object:
      return `{${list(n.Children)
        .map((c) => `${str(c.Name)}: ${printValue(c.Value)}`)
        .join(', ')}}`;
    default:
      return raw === '' ? 'null' : raw;
  }
}

function printArgs(args: Node[]): string {
  return args.length ? `(${args.map((a) => `${str(a.Name)}: ${printValue(a.Value)}`).join(', ')})` : '';
}

function printDirectives(dirs: unknown): string {
  return list(dirs)
    .map((d) => ` @${str(d.Name)}${printArgs(list(d.Arguments))}`)
    .join('');
}

function printArgDefs(args: Node[]): string {
  if (!args.length) return '';
  const parts = args.map(
    (a) => `${str(a.Name)}: ${typeString(a.Type)}${a.DefaultValue ? ` = ${printValue(a.DefaultValue)}` : ''}`,
  );
  return `(${parts.join(', ')})`;
}

/** SDL for the user-defined part of a validated schema, with explicit roots. */
export function schemaToSDL(s: Schema): string {
  const out: string[] = [];
  const roots: string[] = [];
  if (s.query) roots.push(`query: ${str(s.query.Name)}`);
  if (s.mutation) roots.push(`mutation: ${str(s.mutation.Name)}`);
  if (s.subscription) roots.push(`subscription: ${str(s.subscription.Name)}`);
  if (roots.length) out.push(`schema { ${roots.join(' ')} }`);
  for (const def of s.types.values()) {
    if (def.BuiltIn === true) continue;
    const name = str(def.Name);
    const implementsList = Array.isArray(def.Interfaces) ? (def.Interfaces as string[]) : [];
    const impl = implementsList.length ? ` implements ${implementsList.join(' & ')}` : '';
    switch (def.Kind) {
      case 'SCALAR':
        out.push(`scalar ${name}`);
        break;
      case 'OBJECT':
      case 'INTERFACE': {
        const fields = list(def.Fields).map(
          (f) => `  ${str(f.Name)}${printArgDefs(list(f.Arguments))}: ${typeString(f.Type)}${printDeprecated(f)}`,
        );
        out.push(`${def.Kind === 'OBJECT' ? 'type' : 'interface'} ${name}${impl} {\n${fields.join('\n')}\n}`);
        break;
      }
      case 'UNION': {
        const types = Array.isArray(def.Types) ? (def.Types as string[]) : [];
        out.push(types.length ? `union ${name} = ${types.join(' | ')}` : `union ${name}`);
        break;
      }
      case 'ENUM':
        out.push(
          `enum ${name} {\n${list(def.EnumValues)
            .map((v) => `  ${str(v.Name)}${printDeprecated(v)}`)
            .join('\n')}\n}`,
        );
        break;
      case 'INPUT_OBJECT': {
        const fields = list(def.Fields).map(
          (f) => `  ${str(f.Name)}: ${typeString(f.Type)}${f.DefaultValue ? ` = ${printValue(f.DefaultValue)}` : ''}`,
        );
        out.push(`input ${name} {\n${fields.join('\n')}\n}`);
        break;
      }
    }
  }
  for (const d of s.directives.values()) {
    const name = str(d.Name);
    if (BUILTIN_DIRECTIVES.has(name)) continue;
    const locs = Array.isArray(d.Locations) ? (d.Locations as string[]) : [];
    out.push(
      `directive @${name}${printArgDefs(list(d.Arguments))}${d.IsRepeatable === true ? ' repeatable' : ''} on ${locs.join(' | ')}`,
    );
  }
  return out.join('\n\n');
}

function printDeprecated(n: Node): string {
  return list(n.Directives).some((d) => d.Name === 'deprecated') ? ' @deprecated' : '';
}

function printSelections(sel: unknown, indent: string): string {
  const items = list(sel);
  if (!items.length) return '';
  const inner = indent + '  ';
  const lines = items.map((s) => {
    if ('Alias' in s || 'Arguments' in s || (!('TypeCondition' in s) && 'SelectionSet' in s)) {
      const name = str(s.Name);
      const alias = str(s.Alias);
      const head = alias !== '' && alias !== name ? `${alias}: ${name}` : name;
      return `${inner}${head}${printArgs(list(s.Arguments))}${printDirectives(s.Directives)}${printSelections(s.SelectionSet, inner)}`;
    }
    if ('TypeCondition' in s || !('Name' in s)) {
      const tc = str(s.TypeCondition);
      return `${inner}...${tc !== '' ? ` on ${tc}` : ''}${printDirectives(s.Directives)}${printSelections(s.SelectionSet, inner)}`;
    }
    return `${inner}...${str(s.Name)}${printDirectives(s.Directives)}`;
  });
  return ` {\n${lines.join('\n')}\n${indent}}`;
}

function printVarDefs(defs: unknown): string {
  const l = list(defs);
  if (!l.length) return '';
  return `(${l
    .map(
      (v) =>
        `$${str(v.Variable)}: ${typeString(v.Type)}${v.DefaultValue ? ` = ${printValue(v.DefaultValue)}` : ''}${printDirectives(v.Directives)}`,
    )
    .join(', ')})`;
}

/** GraphQL text for a query document in gqlparser's shape (for documents given as Rego objects). */
export function printQueryDocument(doc: Node): string {
  const out: string[] = [];
  for (const op of list(doc.Operations)) {
    const name = str(op.Name);
    out.push(
      `${str(op.Operation) || 'query'}${name ? ' ' + name : ''}${printVarDefs(op.VariableDefinitions)}${printDirectives(op.Directives)}${printSelections(op.SelectionSet, '')}`,
    );
  }
  for (const f of list(doc.Fragments)) {
    out.push(
      `fragment ${str(f.Name)} on ${str(f.TypeCondition)}${printDirectives(f.Directives)}${printSelections(f.SelectionSet, '')}`,
    );
  }
  return out.join('\n\n');
}

const schemaCache = new Map<string, GraphQLJS.GraphQLSchema>();

/** The first validation problem of the query against the schema, or undefined when it is valid. */
export function validateQuery(s: Schema, doc: Node, text: string | undefined): QueryProblem | undefined {
  // gqlparser's KnownRootType rule, which graphql-js leaves to execution.
  for (const op of list(doc.Operations)) {
    const kind = str(op.Operation) || 'query';
    const root = kind === 'query' ? s.query : kind === 'mutation' ? s.mutation : s.subscription;
    if (!root) {
      const p = op.Position;
      return {
        message: `Schema does not support operation type "${kind}"`,
        pos: p && typeof p === 'object' ? (p as Pos) : undefined,
      };
    }
  }
  if (list(doc.Operations).length === 0 && list(doc.Fragments).length === 0) return undefined;
  const g = graphqlJS();
  const sdl = schemaToSDL(s);
  let schema = schemaCache.get(sdl);
  if (!schema) {
    try {
      schema = g.buildASTSchema(g.parse(sdl), { assumeValid: true, assumeValidSDL: true });
    } catch (e) {
      return { message: `invalid schema: ${e instanceof Error ? e.message : String(e)}`, pos: undefined };
    }
    if (schemaCache.size > 32) schemaCache.clear();
    schemaCache.set(sdl, schema);
  }
  let qdoc: GraphQLJS.DocumentNode | undefined;
  if (text !== undefined) {
    try {
      qdoc = g.parse(text, { noLocation: false });
    } catch {
      qdoc = undefined;
    }
  }
  if (!qdoc) {
    try {
      qdoc = g.parse(printQueryDocument(doc));
    } catch (e) {
      return { message: `invalid query document: ${e instanceof Error ? e.message : String(e)}`, pos: undefined };
    }
  }
  const errors = g.validate(schema, qdoc);
  const first = errors[0];
  if (!first) return undefined;
  const loc = first.locations?.[0];
  // OPA formats the whole error list as gqlparser prints it ("input:L:C: message" lines), keeps what follows
  // the first position, and trims the final ".\n": later errors stay in the text with their own positions.
  let message = first.message;
  for (const e of errors.slice(1)) {
    const l = e.locations?.[0];
    message += `\ninput${l ? `:${l.line}:${l.column}` : ''}: ${e.message}`;
  }
  message += '\n';
  message = message.endsWith('.\n') ? message.slice(0, -2) : message.replace(/\n$/, '');
  return { message, pos: loc ? { line: loc.line, column: loc.column } : undefined };
}
