// Rego builtins of the "graphql" category. Documents are returned in the shape OPA returns them (the AST of
// the gqlparser library, field names in PascalCase, with null and empty members and positions pruned), and
// may be passed back in that shape wherever a query or schema is expected.
import { RObject, toJS, typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinGroup } from './builtin.ts';
import { str } from './operands.ts';
import { GraphQLSyntaxError, parseQueryDocument, parseSchemaDocument, type Node } from './graphql/parser.ts';
import { GraphQLSchemaError, validateSchemaDocument, type Schema } from './graphql/schema.ts';
import { validateQuery } from './graphql/validate.ts';

/** OPA's pruning: drop `Position`, nulls, and arrays/objects that are empty once pruned. */
function prune(x: unknown): Value | undefined {
  if (x === null || x === undefined) return undefined;
  if (Array.isArray(x)) {
    const out: Value[] = [];
    for (const e of x) {
      const v = prune(e);
      if (v !== undefined) out.push(v);
    }
    return out.length ? out : undefined;
  }
  if (typeof x === 'object') {
    const o = new RObject();
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
      if (k === 'Position') continue;
      const p = prune(v);
      if (p !== undefined) o.set(k, p);
    }
    return o.size ? o : undefined;
  }
  return x as Value;
}

function toValue(doc: Node): Value {
  return prune(doc) ?? new RObject();
}

function syntaxError(e: unknown): never {
  if (e instanceof GraphQLSyntaxError) {
    throw new BuiltinError(`${e.message} in GraphQL string at location ${e.line}:${e.column}`);
  }
  throw e;
}

function parseQuery(text: string): Node {
  try {
    return parseQueryDocument(text);
  } catch (e) {
    return syntaxError(e);
  }
}

function parseSchema(text: string): Node {
  try {
    return parseSchemaDocument(text);
  } catch (e) {
    return syntaxError(e);
  }
}

/** A query or schema given as an object: the AST in the shape the parse builtins return. */
function fromObject(v: RObject): Node {
  return toJS(v) as Node;
}

interface Input {
  doc: Node;
  text: string | undefined;
}

function queryInput(v: Value | undefined, pos: number): Input {
  if (typeof v === 'string') return { doc: parseQuery(v), text: v };
  if (v instanceof RObject) return { doc: fromObject(v), text: undefined };
  throw new OperandError(
    pos,
    `operand ${pos} must be one of {object, string} but got ${v === undefined ? 'undefined' : typeName(v)}`,
  );
}

function schemaInput(v: Value | undefined, pos: number): Node {
  if (typeof v === 'string') return parseSchema(v);
  if (v instanceof RObject) return fromObject(v);
  throw new OperandError(
    pos,
    `operand ${pos} must be one of {object, string} but got ${v === undefined ? 'undefined' : typeName(v)}`,
  );
}

function buildSchema(doc: Node): Schema {
  try {
    return validateSchemaDocument(doc);
  } catch (e) {
    if (e instanceof GraphQLSchemaError) {
      // gqlparser's error text: "input:<line>:<col>: <message>" (just "input: " without a position).
      const at = e.pos ? `input:${e.pos.line}:${e.pos.column}: ` : 'input: ';
      throw new BuiltinError(`Error in gqlparser SchemaDocument to Schema conversion: ${at}${e.message}`);
    }
    throw e;
  }
}

function verify(schema: Schema, q: Input): void {
  const problem = validateQuery(schema, q.doc, q.text);
  if (problem) {
    const at = problem.pos ? ` at location ${problem.pos.line}:${problem.pos.column}` : '';
    throw new BuiltinError(`${problem.message} in GraphQL string${at}`);
  }
}

/** Runs fn, mapping any builtin error to `fallback` (the builtins that answer instead of failing). */
function orElse<T>(fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BuiltinError || e instanceof OperandError) return fallback;
    throw e;
  }
}

export const builtins: BuiltinGroup = {
  'graphql.parse_query': (args) => toValue(parseQuery(str(args, 0))),

  'graphql.parse_schema': (args) => toValue(parseSchema(str(args, 0))),

  'graphql.parse': (args) => {
    const q = queryInput(args[0], 1);
    const s = schemaInput(args[1], 2);
    const qv = toValue(q.doc);
    const sv = toValue(s);
    verify(buildSchema(s), q);
    return [qv, sv];
  },

  'graphql.parse_and_verify': (args) =>
    orElse<Value>([false, new RObject(), new RObject()], () => {
      const q = queryInput(args[0], 1);
      const s = schemaInput(args[1], 2);
      verify(buildSchema(s), q);
      return [true, toValue(q.doc), toValue(s)];
    }),

  'graphql.is_valid': (args) =>
    orElse(false, () => {
      const q = queryInput(args[0], 1);
      verify(buildSchema(schemaInput(args[1], 2)), q);
      return true;
    }),

  'graphql.schema_is_valid': (args) =>
    orElse(false, () => {
      buildSchema(schemaInput(args[0], 1));
      return true;
    }),
};
