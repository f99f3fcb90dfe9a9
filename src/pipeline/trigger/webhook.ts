// Push webhooks of hosted git services, checked and reduced to one ref update:
// - GitHub: `X-GitHub-Event: push` (or `ping`), body signed with HMAC-SHA256 in `X-Hub-Signature-256: sha256=<hex>`;
// - GitLab: `X-Gitlab-Event: Push Hook`, the secret token sent as is in `X-Gitlab-Token`;
// - Gitea (and Forgejo): `X-Gitea-Event: push`, HMAC-SHA256 hex in `X-Gitea-Signature` (or GitHub's header).
// Signatures are compared in constant time over the raw body; nothing is parsed before it checks out.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TriggerError } from './errors.ts';
import type { RefUpdate } from './pipeline-trigger.ts';

export type WebhookProvider = 'github' | 'gitlab' | 'gitea';

/** The shared secrets: `secret` for every provider, or one per provider. */
export interface WebhookSecrets {
  secret?: string;
  github?: string;
  gitlab?: string;
  gitea?: string;
}

export type WebhookEvent =
  | { kind: 'ping'; provider: WebhookProvider }
  | { kind: 'ignored'; provider: WebhookProvider; event: string }
  | {
      kind: 'push';
      provider: WebhookProvider;
      /** clone URL of the repository */
      repo: string;
      /** owner/name as the service names it */
      fullName: string;
      update: RefUpdate;
      user?: string;
    };

type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function secretOf(s: WebhookSecrets, p: WebhookProvider): string {
  const v = s[p] ?? s.secret;
  if (!v)
    throw new TriggerError(
      'trigger_not_configured',
      `${p} webhooks are not enabled: no webhook secret is configured on this platform`,
    );
  return v;
}

/** Which service sent it (Gitea also sends GitHub's headers, so it is recognised first). */
export function webhookProvider(h: Headers): WebhookProvider | undefined {
  if (header(h, 'x-gitea-event') !== undefined) return 'gitea';
  if (header(h, 'x-gitlab-event') !== undefined) return 'gitlab';
  if (header(h, 'x-github-event') !== undefined) return 'github';
  return undefined;
}

function verify(p: WebhookProvider, h: Headers, body: Buffer, secrets: WebhookSecrets): void {
  const secret = secretOf(secrets, p);
  if (p === 'gitlab') {
    const token = header(h, 'x-gitlab-token');
    if (token === undefined) throw new TriggerError('trigger_unauthorized', 'X-Gitlab-Token is missing');
    if (!sameBytes(token, secret)) throw new TriggerError('trigger_unauthorized', 'X-Gitlab-Token does not match');
    return;
  }
  const want = hmacHex(secret, body);
  const gitea = p === 'gitea' ? header(h, 'x-gitea-signature') : undefined;
  const hub = header(h, 'x-hub-signature-256');
  const given = gitea ?? (hub?.startsWith('sha256=') ? hub.slice(7) : hub);
  if (given === undefined)
    throw new TriggerError(
      'trigger_unauthorized',
      `the ${p} webhook is not signed (${p === 'gitea' ? 'X-Gitea-Signature or ' : ''}X-Hub-Signature-256 is missing)`,
    );
  if (!sameBytes(given.toLowerCase(), want))
    throw new TriggerError('trigger_unauthorized', 'the webhook signature does not match');
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function str(o: unknown, path: string[], what: string): string {
  let v: unknown = o;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  if (typeof v !== 'string' || v === '')
    throw new TriggerError('trigger_bad_request', `the push payload has no ${path.join('.')} (${what})`);
  return v;
}

function optStr(o: unknown, path: string[]): string | undefined {
  let v: unknown = o;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Only network clone URLs: a webhook never makes the platform read one of its own folders. */
function cloneUrl(u: string): string {
  if (!/^(https?|ssh|git):\/\//i.test(u) && !/^[^/@\s]+@[^:\s]+:/.test(u))
    throw new TriggerError(
      'trigger_bad_request',
      `the repository URL ${JSON.stringify(u)} is not an http(s), ssh or git URL`,
    );
  return u;
}

/** Checks a webhook request and reduces it to a push, a ping, or an event that is not a push. */
export function parseWebhook(h: Headers, body: Buffer, secrets: WebhookSecrets): WebhookEvent {
  const provider = webhookProvider(h);
  if (!provider)
    throw new TriggerError(
      'trigger_unsupported',
      'not a GitHub, GitLab or Gitea webhook (no X-GitHub-Event, X-Gitlab-Event or X-Gitea-Event header)',
    );
  verify(provider, h, body, secrets);
  const event =
    provider === 'gitea'
      ? header(h, 'x-gitea-event')!
      : provider === 'gitlab'
        ? header(h, 'x-gitlab-event')!
        : header(h, 'x-github-event')!;
  if (event === 'ping') return { kind: 'ping', provider };
  if (provider === 'gitlab' ? event !== 'Push Hook' : event !== 'push') return { kind: 'ignored', provider, event };
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    throw new TriggerError('trigger_bad_request', `the push payload is not JSON: ${(e as Error).message}`, {
      cause: e,
      location: { file: 'request body', row: 1, col: m ? Number(m[1]) + 1 : 0 },
    });
  }
  const ref = str(payload, ['ref'], 'the pushed ref');
  const before = str(payload, ['before'], 'the commit before the push');
  const after = str(payload, ['after'], 'the commit after the push');
  for (const [k, v] of [
    ['before', before],
    ['after', after],
  ] as const)
    if (!SHA.test(v)) throw new TriggerError('trigger_bad_request', `${k} is not a commit id: ${JSON.stringify(v)}`);
  const repo =
    provider === 'gitlab'
      ? cloneUrl(str(payload, ['project', 'git_http_url'], 'the clone URL'))
      : cloneUrl(str(payload, ['repository', 'clone_url'], 'the clone URL'));
  const fullName =
    provider === 'gitlab'
      ? str(payload, ['project', 'path_with_namespace'], 'the project path')
      : str(payload, ['repository', 'full_name'], 'the repository name');
  const user =
    provider === 'gitlab'
      ? optStr(payload, ['user_username'])
      : (optStr(payload, ['pusher', 'login']) ??
        optStr(payload, ['pusher', 'name']) ??
        optStr(payload, ['pusher', 'username']));
  return {
    kind: 'push',
    provider,
    repo,
    fullName,
    update: { ref, old: before, new: after },
    ...(user ? { user } : {}),
  };
}
