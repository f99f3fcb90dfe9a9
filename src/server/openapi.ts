// The OpenAPI 3.0 document of the API, generated from the route table so it cannot drift from it.
import type { RouteSpec } from './api-server.ts';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, location: { type: 'object' } },
    },
  },
};

export function openApiDocument(routes: RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params: unknown[] = [];
    for (const m of r.path.matchAll(/\{(\w+)\}/g))
      params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    for (const q of r.query ?? [])
      params.push({
        name: q.name,
        in: 'query',
        required: false,
        description: q.description,
        schema: { type: q.type ?? 'string' },
      });
    const responses: Record<string, unknown> = {
      [r.method === 'POST' && r.role !== null ? '201' : '200']: {
        description: 'success',
        content: {
          [r.produces ?? 'application/json']: { schema: r.produces ? { type: 'string' } : { type: 'object' } },
        },
      },
    };
    const err = (description: string) => ({
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    });
    if (r.body || r.query || params.length) responses['400'] = err('bad input, with a reason');
    if (r.role !== null) {
      responses['401'] = err('not authenticated');
      responses['403'] = err(
        `authenticated, but the role is below ${r.role} (or a cookie session lacks its CSRF token)`,
      );
    }
    if (r.path === '/api/v1/session' && r.method === 'POST') {
      responses['401'] = err('wrong user name or password');
      responses['429'] = err('too many failed logins');
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${r.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: r.summary,
      tags: [r.tag],
      parameters: params,
      responses,
      security: r.role === null ? [] : [{ bearer: [] }, { session: [] }],
      'x-sekisho-role': r.role ?? 'none',
    };
    if (r.body)
      op.requestBody = {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              required: r.body.required,
              properties: Object.fromEntries(
                Object.entries(r.body.properties).map(([k, v]) => [k, { type: v.type, description: v.description }]),
              ),
            },
          },
        },
      };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Sekisho API', version: 'v1' },
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (POST /api/v1/tokens)' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'sekisho_session',
          description: 'a session from POST /api/v1/session; state-changing calls also need X-CSRF-Token',
        },
      },
    },
  };
}
