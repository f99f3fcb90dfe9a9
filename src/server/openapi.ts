// The OpenAPI 3.0 document of the API, generated from the route table so it cannot drift from it:
// parameters, request bodies (with the same types the server checks), success schemas where the route
// declares one, and the error answers each route can give.
import type { BodyProp, RouteSpec } from './route.ts';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        location: {
          type: 'object',
          properties: { file: { type: 'string' }, row: { type: 'integer' }, col: { type: 'integer' } },
        },
      },
    },
  },
};

function propSchema(p: BodyProp): Record<string, unknown> {
  if (p.type === 'array')
    return {
      type: 'array',
      items: p.items === 'string' ? { type: 'string' } : p.items,
      description: p.description,
    };
  if (p.type === 'string' && p.enum) return { type: 'string', enum: p.enum, description: p.description };
  return { type: p.type, description: p.description };
}

export function operationId(r: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${r.method.toLowerCase()}${r.path
    .replace(/[{}]/g, '')
    .replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`;
}

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
    const ok = String(r.status ?? (r.method === 'POST' && r.role !== null ? 201 : 200));
    const responses: Record<string, unknown> = {
      [ok]: {
        description: 'success',
        content: {
          [r.produces ?? 'application/json']: {
            schema: r.produces ? { type: 'string' } : (r.response ?? { type: 'object' }),
          },
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
        `authenticated, but the role is below ${r.role}${r.projectScoped ? ", the object's AppProject is not in the caller's role binding" : ''} (or a cookie session lacks its CSRF token)`,
      );
    }
    if (r.path.includes('{')) responses['404'] = err('not found');
    if (r.status === 202) responses['409'] = err('another operation is already in progress');
    if (r.tag === 'changerequests' && r.method === 'POST')
      responses['409'] = err('the change request is not Open, its policy check failed, or the merge conflicts');
    if (r.path === '/api/v1/session' && r.method === 'POST') {
      responses['401'] = err('wrong user name or password');
      responses['429'] = err('too many failed logins (Retry-After gives the seconds to wait)');
    }
    if (r.path === '/api/v1/webhooks/git') {
      responses['202'] = { description: 'new commits queued for their pipeline runs' };
      responses['400'] = err('not a push webhook of GitHub, GitLab or Gitea, or a payload without the push fields');
      responses['401'] = err('the signature (X-Hub-Signature-256, X-Gitea-Signature) or X-Gitlab-Token does not match');
      responses['503'] = err('no webhook secret is configured, or the pipeline runner is off');
    }
    if (r.path === '/readyz') responses['503'] = { description: 'a service is not ready' };
    if (r.role !== null) responses['502'] = err('a platform service (cluster, registry, git) failed');
    const op: Record<string, unknown> = {
      operationId: operationId(r),
      summary: r.summary,
      tags: [r.tag],
      parameters: params,
      responses,
      security: r.role === null ? [] : [{ bearer: [] }, { session: [] }],
      'x-sekisho-role': r.role ?? 'none',
      ...(r.projectScoped ? { 'x-sekisho-project-scoped': true } : {}),
    };
    if (r.body)
      op.requestBody = {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              ...(r.body.required.length ? { required: r.body.required } : {}),
              properties: Object.fromEntries(Object.entries(r.body.properties).map(([k, v]) => [k, propSchema(v)])),
            },
          },
        },
      };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Sekisho API',
      version: 'v1',
      description:
        "Applications, resources, images, policies and live updates of a Sekisho platform. Roles: viewer < developer < admin, each scoped to AppProjects by the user's role binding.",
    },
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
