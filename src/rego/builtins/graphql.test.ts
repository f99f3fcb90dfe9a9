import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJSON, type Value } from '../value.ts';
import { BuiltinError, type BuiltinContext } from './builtin.ts';
import { builtins } from './graphql.ts';

const ctx: BuiltinContext = {
  location: undefined,
  cache: new Map(),
  nowNs: 0n,
  allowNet: false,
  print: () => {},
  random: () => 0,
};

function call(name: string, ...args: Value[]): Value | undefined {
  const f = builtins[name];
  assert.ok(f, name);
  return f(args, ctx);
}

const schema = `
  type Query { hero(episode: Episode!): Character }
  enum Episode { NEWHOPE EMPIRE }
  interface Character { id: ID! name: String }
  type Droid implements Character { id: ID! name: String primaryFunction: String }
`;

test('parse_query returns the pruned gqlparser AST', () => {
  const v = call(
    'graphql.parse_query',
    'query Q($e: Episode = EMPIRE) { hero(episode: $e) { name ... on Droid { primaryFunction } } }',
  );
  assert.equal(
    toJSON(v as Value),
    JSON.stringify({
      Operations: [
        {
          Name: 'Q',
          Operation: 'query',
          SelectionSet: [
            {
              Alias: 'hero',
              Arguments: [{ Name: 'episode', Value: { Kind: 0, Raw: 'e' } }],
              Name: 'hero',
              SelectionSet: [
                { Alias: 'name', Name: 'name' },
                { SelectionSet: [{ Alias: 'primaryFunction', Name: 'primaryFunction' }], TypeCondition: 'Droid' },
              ],
            },
          ],
          VariableDefinitions: [
            {
              DefaultValue: { Kind: 7, Raw: 'EMPIRE' },
              Type: { NamedType: 'Episode', NonNull: false },
              Used: false,
              Variable: 'e',
            },
          ],
        },
      ],
    }),
  );
});

test('syntax errors carry gqlparser messages and line:column', () => {
  assert.throws(
    () => call('graphql.parse_query', '{ a'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.equal(e.message, 'Expected Name, found <EOF> in GraphQL string at location 1:4');
      return true;
    },
  );
  assert.throws(
    () => call('graphql.parse_schema', '\n  "Description"\n  extend type Hello { a: String }'),
    /Unexpected String "Description" in GraphQL string at location 2:4/,
  );
  assert.throws(
    () => call('graphql.parse_schema', 'type Query {}'),
    /expected at least one definition, found \} in GraphQL string at location 1:13/,
  );
});

test('schema_is_valid follows gqlparser: extensions of undeclared types declare them, no Query needed', () => {
  assert.equal(call('graphql.schema_is_valid', 'extend type User { id: ID! }\nunion U = User'), true);
  assert.equal(call('graphql.schema_is_valid', schema), true);
  assert.equal(call('graphql.schema_is_valid', 'type A { b: Missing }'), false);
  assert.equal(call('graphql.schema_is_valid', 'type A implements I { b: Int }\ninterface I { c: Int }'), false);
  assert.equal(call('graphql.schema_is_valid', 42), false);
});

test('is_valid, parse_and_verify and parse validate the query against the schema', () => {
  assert.equal(call('graphql.is_valid', '{ hero(episode: EMPIRE) { name } }', schema), true);
  assert.equal(call('graphql.is_valid', '{ hero(episode: EMPIRE) { nope } }', schema), false);
  assert.equal(call('graphql.is_valid', '{ hero { name } }', schema), false);
  const bad = call('graphql.parse_and_verify', '{ hero { name } }', schema) as Value[];
  assert.equal(bad[0], false);
  const good = call('graphql.parse_and_verify', '{ hero(episode: NEWHOPE) { id } }', schema) as Value[];
  assert.equal(good[0], true);
  assert.throws(
    () => call('graphql.parse', '{\n  hero { name }\n}', schema),
    /Field "hero" argument "episode" of type "Episode!" is required, but it was not provided in GraphQL string at location 2:3/,
  );
});

test('documents given as AST objects round-trip through validation', () => {
  const q = call('graphql.parse_query', 'mutation { add(a: 1, tags: ["x"]) { id } }') as Value;
  const s = call(
    'graphql.parse_schema',
    'type Query { a: Int }\ntype Mutation { add(a: Int!, tags: [String]): R }\ntype R { id: ID }',
  ) as Value;
  assert.equal(call('graphql.is_valid', q, s), true);
  assert.equal(call('graphql.schema_is_valid', s), true);
  const noMutation = call('graphql.parse_schema', 'type Query { a: Int }') as Value;
  assert.equal(call('graphql.is_valid', q, noMutation), false);
});

test('schema errors in graphql.parse carry gqlparser text and position', () => {
  assert.throws(
    () => call('graphql.parse', '{ a }', 'type Query {\n  a: Missing\n}'),
    /Error in gqlparser SchemaDocument to Schema conversion: input:2:6: Undefined type Missing\./,
  );
  assert.throws(
    () => call('graphql.parse', '{ a }', 'type Query { a: Int }\ntype Query { b: Int }'),
    /Cannot redeclare type Query\./,
  );
});

test('every validation error is reported, after the first position, as OPA prints the list', () => {
  assert.throws(
    () => call('graphql.parse', '{\n  nope\n  other\n}', 'type Query { a: Int }'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.equal(
        e.message,
        'Cannot query field "nope" on type "Query".\ninput:3:3: Cannot query field "other" on type "Query" in GraphQL string at location 2:3',
      );
      return true;
    },
  );
});
