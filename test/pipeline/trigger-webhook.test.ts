// Push webhooks of GitHub, GitLab and Gitea: signatures checked over the raw body (a changed byte, a
// wrong secret or a missing header is refused), pings and other events recognised, the push reduced to
// the repository's clone URL and one ref update; a clone URL that is a local path is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { TriggerError, parseWebhook } from '../../src/pipeline/index.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const sign = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');
const refused = (code: string, status: number) => (e: unknown) =>
  e instanceof TriggerError && e.code === code && e.status === status;

const github = Buffer.from(
  JSON.stringify({
    ref: 'refs/heads/main',
    before: A,
    after: B,
    repository: { clone_url: 'https://github.com/acme/web.git', full_name: 'acme/web' },
    pusher: { name: 'octocat' },
  }),
);

test('GitHub: HMAC-SHA256 of the raw body in X-Hub-Signature-256', () => {
  const h = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign('s3cret', github)}` };
  assert.deepEqual(parseWebhook(h, github, { secret: 's3cret' }), {
    kind: 'push',
    provider: 'github',
    repo: 'https://github.com/acme/web.git',
    fullName: 'acme/web',
    update: { ref: 'refs/heads/main', old: A, new: B },
    user: 'octocat',
  });
  // one byte changed, another secret, no signature: 401
  const tampered = Buffer.from(github.toString().replace('main', 'mainx'));
  assert.throws(() => parseWebhook(h, tampered, { secret: 's3cret' }), refused('trigger_unauthorized', 401));
  assert.throws(() => parseWebhook(h, github, { github: 'other' }), refused('trigger_unauthorized', 401));
  assert.throws(
    () => parseWebhook({ 'x-github-event': 'push' }, github, { secret: 's3cret' }),
    refused('trigger_unauthorized', 401),
  );
  // no secret configured: refused, not accepted unsigned
  assert.throws(() => parseWebhook(h, github, {}), refused('trigger_not_configured', 503));
  const ping = Buffer.from('{"zen":"Keep it logically awesome."}');
  assert.deepEqual(
    parseWebhook({ 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${sign('s3cret', ping)}` }, ping, {
      secret: 's3cret',
    }),
    { kind: 'ping', provider: 'github' },
  );
  const issue = Buffer.from('{}');
  assert.deepEqual(
    parseWebhook({ 'x-github-event': 'issues', 'x-hub-signature-256': `sha256=${sign('s3cret', issue)}` }, issue, {
      secret: 's3cret',
    }),
    { kind: 'ignored', provider: 'github', event: 'issues' },
  );
});

test('GitLab: Push Hook with the secret token in X-Gitlab-Token', () => {
  const body = Buffer.from(
    JSON.stringify({
      object_kind: 'push',
      ref: 'refs/heads/dev',
      before: A,
      after: B,
      user_username: 'jdoe',
      project: { git_http_url: 'https://gitlab.example/grp/app.git', path_with_namespace: 'grp/app' },
    }),
  );
  const ev = parseWebhook({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'tok' }, body, { gitlab: 'tok' });
  assert.deepEqual(ev, {
    kind: 'push',
    provider: 'gitlab',
    repo: 'https://gitlab.example/grp/app.git',
    fullName: 'grp/app',
    update: { ref: 'refs/heads/dev', old: A, new: B },
    user: 'jdoe',
  });
  assert.throws(
    () => parseWebhook({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'tok2' }, body, { gitlab: 'tok' }),
    refused('trigger_unauthorized', 401),
  );
  assert.throws(
    () => parseWebhook({ 'x-gitlab-event': 'Push Hook' }, body, { gitlab: 'tok' }),
    refused('trigger_unauthorized', 401),
  );
  assert.equal(
    parseWebhook({ 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': 'tok' }, body, { secret: 'tok' }).kind,
    'ignored',
  );
});

test('Gitea: X-Gitea-Signature (it also sends GitHub headers); bad payloads and local paths refused', () => {
  const body = Buffer.from(
    JSON.stringify({
      ref: 'refs/heads/main',
      before: A,
      after: B,
      repository: { clone_url: 'http://127.0.0.1:3000/org/app.git', full_name: 'org/app' },
      pusher: { login: 'gitea' },
    }),
  );
  const h = { 'x-gitea-event': 'push', 'x-github-event': 'push', 'x-gitea-signature': sign('g', body) };
  const ev = parseWebhook(h, body, { secret: 'g' });
  assert.equal(ev.kind === 'push' && ev.provider, 'gitea');
  assert.equal(ev.kind === 'push' && ev.repo, 'http://127.0.0.1:3000/org/app.git');
  assert.throws(
    () => parseWebhook({ ...h, 'x-gitea-signature': sign('other', body) }, body, { secret: 'g' }),
    refused('trigger_unauthorized', 401),
  );
  const local = Buffer.from(body.toString().replace('http://127.0.0.1:3000/org/app.git', '/srv/git/app.git'));
  assert.throws(
    () => parseWebhook({ ...h, 'x-gitea-signature': sign('g', local) }, local, { secret: 'g' }),
    (e: unknown) =>
      refused('trigger_bad_request', 400)(e) && /not an http\(s\), ssh or git URL/.test((e as Error).message),
  );
  const broken = Buffer.from('{"ref": ');
  assert.throws(
    () => parseWebhook({ ...h, 'x-gitea-signature': sign('g', broken) }, broken, { secret: 'g' }),
    refused('trigger_bad_request', 400),
  );
  const noAfter = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', before: A }));
  assert.throws(
    () => parseWebhook({ ...h, 'x-gitea-signature': sign('g', noAfter) }, noAfter, { secret: 'g' }),
    (e: unknown) => refused('trigger_bad_request', 400)(e) && /no after/.test((e as Error).message),
  );
  assert.throws(() => parseWebhook({}, body, { secret: 'g' }), refused('trigger_unsupported', 400));
});
