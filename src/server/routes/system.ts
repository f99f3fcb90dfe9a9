// System routes: liveness, readiness, Prometheus metrics, the OpenAPI document and platform info.
import { sendJson, type RouteEnv, type RouteSpec } from '../route.ts';

export function systemRoutes({ d, metrics, openapi }: RouteEnv): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      role: null,
      tag: 'system',
      summary: 'Liveness: the API server answers',
      response: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
      handler: async () => ({ status: 'ok' }),
    },
    {
      method: 'GET',
      path: '/readyz',
      role: null,
      tag: 'system',
      summary: 'Readiness: every service the platform started answers (503 otherwise)',
      response: {
        type: 'object',
        required: ['status', 'checks'],
        properties: {
          status: { type: 'string' },
          checks: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      handler: async (ctx) => {
        const checks: Record<string, string> = {};
        let ok = true;
        await Promise.all(
          (d.readiness ?? []).map(async (c) => {
            try {
              await c.check();
              checks[c.name] = 'ok';
            } catch (e) {
              ok = false;
              checks[c.name] = (e as Error).message;
            }
          }),
        );
        if (!ok) {
          sendJson(ctx.res, 503, { status: 'unavailable', checks });
          return undefined;
        }
        return { status: 'ok', checks };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      role: null,
      tag: 'system',
      summary: 'Prometheus metrics of the API server (text exposition format 0.0.4)',
      produces: 'text/plain; version=0.0.4',
      handler: async (ctx) => {
        ctx.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        ctx.res.end(metrics.render());
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/api/v1/openapi.json',
      role: null,
      tag: 'system',
      summary: 'This OpenAPI 3.0 document',
      response: { type: 'object', required: ['openapi', 'paths'] },
      handler: async () => openapi(),
    },
    {
      method: 'GET',
      path: '/api/v1/info',
      role: 'viewer',
      tag: 'system',
      summary: 'URLs and versions of the platform services',
      response: { type: 'object', required: ['version'], properties: { version: { type: 'string' } } },
      handler: async () => ({ version: '0.1.0', ...(d.info ?? {}) }),
    },
  ];
}
