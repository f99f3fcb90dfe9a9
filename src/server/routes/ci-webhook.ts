// POST /api/v1/webhooks/git: push webhooks of GitHub, GitLab and Gitea for app repos hosted there. No
// session or token: the delivery is authenticated by its signature (HMAC-SHA256 of the raw body) or
// GitLab's secret token, checked by the pipeline area before anything in the body is read. Answers:
// 202 with the queued commits, 200 for a ping, an event that is not a push, or commits run before;
// 401 for a bad or missing signature; 503 when no webhook secret is configured.
import type { IncomingMessage } from 'node:http';
import { TriggerError } from '../../pipeline/index.ts';
import { ServerError } from '../errors.ts';
import { sendJson, type RouteEnv, type RouteSpec } from '../route.ts';

const MAX_BODY = 5 * 1024 * 1024;

async function rawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ServerError('server_bad_request', `webhook body exceeds ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export function ciWebhookRoutes({ d }: RouteEnv): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/webhooks/git',
      role: null,
      tag: 'pipelines',
      summary:
        'Push webhook of GitHub (X-Hub-Signature-256), GitLab (X-Gitlab-Token) or Gitea: starts the pipeline of each new commit',
      response: {
        type: 'object',
        properties: {
          provider: { type: 'string' },
          repo: { type: 'string' },
          results: { type: 'array', items: { type: 'object' } },
        },
      },
      handler: async (ctx) => {
        const body = await rawBody(ctx.req);
        const trigger = d.pipelineTrigger;
        if (!trigger) {
          sendJson(ctx.res, 503, {
            error: { code: 'trigger_not_configured', message: 'the pipeline runner is off on this platform' },
          });
          return undefined;
        }
        try {
          const a = trigger.receiveWebhook(ctx.req.headers, body);
          ctx.target = `webhook ${String(a.body.provider ?? '')} ${String(a.body.repo ?? '')}`.trim();
          sendJson(ctx.res, a.status, a.body);
        } catch (e) {
          if (!(e instanceof TriggerError)) throw e;
          sendJson(ctx.res, e.status, {
            error: { code: e.code, message: e.message, ...(e.location ? { location: e.location } : {}) },
          });
        }
        return undefined;
      },
    },
  ];
}
