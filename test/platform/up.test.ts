// End to end: `sekisho up` as a child process with a temporary data dir on port 0. Each service must
// answer (kubectl against the written kubeconfig, the registry's /v2/, git clone/push over smart HTTP,
// the API), every API endpoint is checked for 401/403/400 and its happy path, and a second `up` on the
// same data dir resumes users, tokens, git repositories and cluster objects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const GIT = process.env.GIT ?? '/usr/bin/git';
const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', '..', 'bin', 'sekisho.js');
const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-up-'));
const dataDir = path.join(dir, 'data');

interface Up {
  proc: ChildProcess;
  lines: string[];
  stderr: { text: string };
  api: string;
  field: (prefix: string) => string;
  readyMs: number;
}

let up: Up;
let adminPassword = '';
let adminToken = '';
let devToken = '';
let viewerToken = '';

async function startUp(extra: string[] = []): Promise<Up> {
  const t0 = Date.now();
  const proc = spawn(
    process.execPath,
    [bin, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--audit-interval', '1', ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr = { text: '' };
  proc.stderr!.on('data', (d: Buffer) => (stderr.text += d.toString()));
  const lines: string[] = [];
  const rl = createInterface({ input: proc.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`up did not get ready in 60s; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.text}`)),
      60_000,
    );
    rl.on('line', (l) => {
      lines.push(l);
      if (l.startsWith('ready in ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`up exited with ${code} before it was ready; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.text}`),
      );
    });
  });
  const readyMs = Date.now() - t0;
  const first = lines[0] ?? '';
  assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/, 'first stdout line');
  const field = (prefix: string): string => {
    const l = lines.find((x) => x.startsWith(prefix));
    assert.ok(l, `no "${prefix}" line in:\n${lines.join('\n')}`);
    return l.slice(prefix.length).trim();
  };
  return { proc, lines, stderr, api: first.slice('listening on '.length), field, readyMs };
}

async function stopUp(u: Up, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (u.proc.exitCode !== null) return u.proc.exitCode;
  const done = new Promise<number | null>((r) => u.proc.once('exit', (code) => r(code)));
  u.proc.kill(signal);
  return done;
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await run(
    KUBECTL,
    ['--kubeconfig', path.join(dataDir, 'kubeconfig'), '--cache-dir', path.join(dir, 'kc'), ...args],
    {
      ...(input !== undefined ? { input } : {}),
    },
  );
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function git(args: string[], cwd?: string) {
  return run(GIT, args, {
    ...(cwd ? { cwd } : {}),
    env: { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', HOME: dir },
  });
}

interface Res {
  status: number;
  body: any;
  headers: Headers;
}

async function call(
  method: string,
  p: string,
  o: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: string | undefined;
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] = 'application/json';
  } else if (o.raw !== undefined) {
    body = o.raw;
    headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(up.api + p, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text answers (metrics)
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

/** Polls a condition that settles through the platform's own loops (bounded; not a timing sleep). */
async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; up stderr:\n${up.stderr.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  for (const [name, p] of [
    ['kubectl', KUBECTL],
    ['git', GIT],
  ] as const)
    if (!existsSync(p)) throw new Error(`${name} is required by the platform test and was not found at ${p}`);
  up = await startUp();
  adminPassword = up.field('admin password:').split(' ')[0]!;
  assert.match(adminPassword, /^[\w-]{20,}$/);
});

after(async () => {
  if (up) await stopUp(up);
  rmSync(dir, { recursive: true, force: true });
});

test('up prints every service, writes the kubeconfig and the cluster answers kubectl', async () => {
  console.log(`# up ready in ${up.readyMs} ms: ${up.lines.at(-1)}`);
  assert.equal(up.field('kubeconfig:'), path.join(dataDir, 'kubeconfig'));
  for (const p of ['cluster:', 'registry:', 'git:', 'admission:'])
    assert.match(up.field(p), /^https?:\/\/127\.0\.0\.1:\d+/);
  assert.match(up.field('controller:'), /^running/);
  const ns = await kubectl(['get', 'ns', '-o', 'name']);
  assert.match(ns, /namespace\/default/);
  assert.match(ns, /namespace\/sekisho-gitops/);
  // the admission webhook registered itself with the sandbox
  const hooks = await kubectl([
    'get',
    'validatingwebhookconfigurations',
    '-o',
    'jsonpath={.items[*].webhooks[*].clientConfig.url}',
  ]);
  assert.ok(hooks.startsWith(up.field('admission:')), hooks);
  // the users file holds a scrypt hash, never the plaintext
  const users = readFileSync(path.join(dataDir, 'auth', 'users.json'), 'utf8');
  assert.ok(!users.includes(adminPassword));
  assert.match(users, /"password": "scrypt\$/);
});

test('registry answers /v2/', async () => {
  const r = await fetch(`${up.field('registry:')}/v2/`);
  assert.equal(r.status, 200);
  await r.arrayBuffer();
});

test('health, readiness and metrics need no login', async () => {
  assert.deepEqual((await call('GET', '/healthz')).body, { status: 'ok' });
  const ready = await call('GET', '/readyz');
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body.checks, { cluster: 'ok', registry: 'ok', git: 'ok' });
  const m = await call('GET', '/metrics');
  assert.equal(m.status, 200);
  assert.match(String(m.body), /^sekisho_api_requests_total\{method="GET",route="\/healthz",status="200"\} \d+$/m);
  assert.match(String(m.body), /# TYPE sekisho_api_request_duration_seconds histogram/);
});

test('login: bad input 400, wrong password 401, cookie session with CSRF, rate limit 429', async () => {
  assert.equal((await call('POST', '/api/v1/session', { raw: '{"username":' })).status, 400);
  const missing = await call('POST', '/api/v1/session', { body: { username: 'admin' } });
  assert.equal(missing.status, 400);
  assert.match(missing.body.error.message, /password/);
  assert.equal(
    (await call('POST', '/api/v1/session', { raw: 'x', headers: { 'content-type': 'text/plain' } })).status,
    400,
  );
  const wrong = await call('POST', '/api/v1/session', { body: { username: 'admin', password: 'not-the-password' } });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, 'server_unauthenticated');

  const ok = await call('POST', '/api/v1/session', { body: { username: 'admin', password: adminPassword } });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.role, 'admin');
  const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0]!;
  assert.match(ok.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
  const csrf = ok.body.csrfToken as string;
  const me = await call('GET', '/api/v1/session', { headers: { cookie } });
  assert.equal(me.status, 200);
  assert.equal(me.body.via, 'session');
  // a state-changing call with the cookie but without the CSRF token is refused
  const noCsrf = await call('POST', '/api/v1/tokens', { headers: { cookie }, body: { name: 'x' } });
  assert.equal(noCsrf.status, 403);
  assert.match(noCsrf.body.error.message, /CSRF/);
  const wrongCsrf = await call('POST', '/api/v1/tokens', {
    headers: { cookie, 'x-csrf-token': 'nope' },
    body: { name: 'x' },
  });
  assert.equal(wrongCsrf.status, 403);
  const admin = await call('POST', '/api/v1/tokens', {
    headers: { cookie, 'x-csrf-token': csrf },
    body: { name: 'test admin' },
  });
  assert.equal(admin.status, 201);
  assert.match(admin.body.token, /^skt_/);
  adminToken = admin.body.token;
  // logout ends the session
  assert.equal((await call('DELETE', '/api/v1/session', { headers: { cookie, 'x-csrf-token': csrf } })).status, 200);
  assert.equal((await call('GET', '/api/v1/session', { headers: { cookie } })).status, 401);

  // five failures for one user from one address, then 429 even with the right password
  for (let i = 0; i < 5; i++)
    assert.equal(
      (await call('POST', '/api/v1/session', { body: { username: 'viewer1', password: 'wrong-password-' + i } }))
        .status,
      401,
    );
  const limited = await call('POST', '/api/v1/session', {
    body: { username: 'viewer1', password: 'whatever-password' },
  });
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
});

test('users and tokens: roles, 401/403/400 and happy paths', async () => {
  assert.ok(adminToken, 'login test ran first');
  // users: admin only
  assert.equal((await call('GET', '/api/v1/users')).status, 401);
  assert.equal((await call('GET', '/api/v1/users', { token: 'skt_unknown' })).status, 401);
  const badRole = await call('POST', '/api/v1/users', {
    token: adminToken,
    body: { name: 'dev1', password: 'a-long-password-1', role: 'root' },
  });
  assert.equal(badRole.status, 400);
  assert.match(badRole.body.error.message, /role/);
  const short = await call('POST', '/api/v1/users', {
    token: adminToken,
    body: { name: 'dev1', password: 'short', role: 'developer' },
  });
  assert.equal(short.status, 400);
  const extra = await call('POST', '/api/v1/users', {
    token: adminToken,
    body: { name: 'dev1', password: 'a-long-password-1', role: 'developer', x: 1 },
  });
  assert.equal(extra.status, 400);
  assert.match(extra.body.error.message, /unknown field "x"/);
  for (const [name, role] of [
    ['dev1', 'developer'],
    ['view1', 'viewer'],
  ])
    assert.equal(
      (
        await call('POST', '/api/v1/users', {
          token: adminToken,
          body: { name, password: `${name}-long-password`, role },
        })
      ).status,
      201,
    );
  const users = await call('GET', '/api/v1/users', { token: adminToken });
  assert.deepEqual(users.body.items.map((u: { name: string }) => u.name).sort(), ['admin', 'dev1', 'view1']);

  // log in as each and make tokens for them
  const tokenFor = async (name: string): Promise<string> => {
    const s = await call('POST', '/api/v1/session', { body: { username: name, password: `${name}-long-password` } });
    assert.equal(s.status, 200);
    const cookie = (s.headers.get('set-cookie') ?? '').split(';')[0]!;
    const t = await call('POST', '/api/v1/tokens', {
      headers: { cookie, 'x-csrf-token': s.body.csrfToken },
      body: { name: 'ci' },
    });
    assert.equal(t.status, 201);
    return t.body.token as string;
  };
  devToken = await tokenFor('dev1');
  viewerToken = await tokenFor('view1');
  assert.equal((await call('GET', '/api/v1/users', { token: viewerToken })).status, 403);
  assert.equal(
    (
      await call('POST', '/api/v1/users', {
        token: devToken,
        body: { name: 'x1', password: 'x1-long-password', role: 'admin' },
      })
    ).status,
    403,
  );
  // a token never grants more than its creator has
  const escalate = await call('POST', '/api/v1/tokens', { token: viewerToken, body: { name: 'up', role: 'admin' } });
  assert.equal(escalate.status, 403);
  assert.equal(
    (await call('POST', '/api/v1/tokens', { token: viewerToken, body: { name: 'bad', expiresInSeconds: 'soon' } }))
      .status,
    400,
  );
  assert.equal((await call('POST', '/api/v1/tokens', { body: { name: 'anon' } })).status, 401);
  // listing shows own tokens only (admins see all), never the secret
  const mine = await call('GET', '/api/v1/tokens', { token: viewerToken });
  assert.ok(mine.body.items.every((t: { user: string }) => t.user === 'view1'));
  assert.ok(!JSON.stringify(mine.body).includes(viewerToken));
  assert.ok((await call('GET', '/api/v1/tokens', { token: adminToken })).body.items.length >= 3);
  assert.equal((await call('GET', '/api/v1/tokens')).status, 401);
  // revoke: someone else's token 403, unknown 404, own 200 and then it stops working
  const devTokens = await call('GET', '/api/v1/tokens', { token: devToken });
  const devId = devTokens.body.items[0].id as string;
  assert.equal((await call('DELETE', `/api/v1/tokens/${devId}`, { token: viewerToken })).status, 403);
  assert.equal((await call('DELETE', '/api/v1/tokens/ffffffffffffffff', { token: adminToken })).status, 404);
  assert.equal((await call('DELETE', '/api/v1/tokens/ffff', { token: adminToken })).status, 400);
  assert.equal((await call('DELETE', `/api/v1/tokens/${devId}`)).status, 401);
  const spare = await call('POST', '/api/v1/tokens', { token: viewerToken, body: { name: 'spare' } });
  assert.equal((await call('DELETE', `/api/v1/tokens/${spare.body.id}`, { token: viewerToken })).status, 200);
  assert.equal((await call('GET', '/api/v1/session', { token: spare.body.token })).status, 401);
  // info
  assert.equal((await call('GET', '/api/v1/info')).status, 401);
  const info = await call('GET', '/api/v1/info', { token: viewerToken });
  assert.equal(info.body.services.registry, up.field('registry:'));
});

test('git: create a repository through the API, clone it, push with a token', async () => {
  assert.ok(devToken);
  assert.equal((await call('POST', '/api/v1/git/repositories', { body: { name: 'config' } })).status, 401);
  assert.equal(
    (await call('POST', '/api/v1/git/repositories', { token: viewerToken, body: { name: 'config' } })).status,
    403,
  );
  const bad = await call('POST', '/api/v1/git/repositories', { token: devToken, body: { name: '../etc' } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /invalid repository name/);
  const made = await call('POST', '/api/v1/git/repositories', { token: devToken, body: { name: 'config' } });
  assert.equal(made.status, 201);
  assert.equal(made.body.url, `${up.field('git:').split('/<repo>')[0]}/config.git`);
  assert.equal(
    (await call('POST', '/api/v1/git/repositories', { token: devToken, body: { name: 'config' } })).status,
    409,
  );
  assert.equal((await call('GET', '/api/v1/git/repositories')).status, 401);
  const list = await call('GET', '/api/v1/git/repositories', { token: viewerToken });
  assert.deepEqual(
    list.body.items.map((r: { name: string }) => r.name),
    ['config'],
  );

  const repoUrl = made.body.url as string;
  const work = path.join(dir, 'work');
  const c = await git(['clone', repoUrl, work]);
  assert.equal(c.code, 0, c.stderr);
  writeFileSync(path.join(work, 'README.md'), 'config repo\n');
  for (const args of [
    ['add', 'README.md'],
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-m', 'first'],
  ])
    assert.equal((await git(args, work)).code, 0);
  // push without credentials is refused; with a viewer token forbidden; with a developer token accepted
  const anon = await git(['push', 'origin', 'HEAD:main'], work);
  assert.notEqual(anon.code, 0);
  const u = new URL(repoUrl);
  u.username = 'view1';
  u.password = viewerToken;
  assert.notEqual((await git(['push', u.toString(), 'HEAD:main'], work)).code, 0);
  u.username = 'dev1';
  u.password = devToken;
  const pushed = await git(['push', u.toString(), 'HEAD:main'], work);
  assert.equal(pushed.code, 0, pushed.stderr);
  const again = path.join(dir, 'work2');
  assert.equal((await git(['clone', repoUrl, again])).code, 0);
  assert.equal(readFileSync(path.join(again, 'README.md'), 'utf8'), 'config repo\n');
});

test('registry resources: repositories and tags', async () => {
  const reg = up.field('registry:');
  const config = Buffer.from('{}');
  const cd = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const post = await fetch(`${reg}/v2/demo/app/blobs/uploads/?digest=${cd}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: config,
  });
  assert.equal(post.status, 201);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
    layers: [],
  });
  const put = await fetch(`${reg}/v2/demo/app/manifests/v1`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  assert.equal(put.status, 201);
  assert.equal((await call('GET', '/api/v1/registry/repositories')).status, 401);
  const repos = await call('GET', '/api/v1/registry/repositories', { token: viewerToken });
  assert.deepEqual(repos.body.items, [{ name: 'demo/app' }]);
  const tags = await call('GET', '/api/v1/registry/repositories/demo%2Fapp/tags', { token: viewerToken });
  assert.equal(tags.status, 200);
  assert.deepEqual(tags.body.items, [
    { tag: 'v1', digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` },
  ]);
  assert.equal((await call('GET', '/api/v1/registry/repositories/demo%2Fapp/tags')).status, 401);
  assert.equal(
    (await call('GET', '/api/v1/registry/repositories/Bad%20Name/tags', { token: viewerToken })).status,
    400,
  );
  assert.equal((await call('GET', '/api/v1/registry/repositories/nothing/tags', { token: viewerToken })).status, 404);
});

const application = (name: string) => `apiVersion: gitops.sekisho.dev/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: sekisho-gitops
spec:
  project: default
  source:
    repoURL: http://127.0.0.1:1/none.git
    path: .
    targetRevision: main
  destination:
    server: https://kubernetes.default.svc
    namespace: ${name}
`;

test('applications: list, get, filters, paging, and live updates over SSE', async () => {
  assert.equal((await call('GET', '/api/v1/applications')).status, 401);
  assert.equal((await call('GET', '/api/v1/stream')).status, 401);
  // subscribe first, then create the Application: the stream must carry it
  const ac = new AbortController();
  const stream = await fetch(`${up.api}/api/v1/stream`, {
    headers: { authorization: `Bearer ${viewerToken}` },
    signal: ac.signal,
  });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
  const seen = (async () => {
    let buf = '';
    const dec = new TextDecoder();
    for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk);
      const m = /event: application\ndata: (.*)\n/.exec(buf);
      if (m && m[1]!.includes('"guestbook"'))
        return JSON.parse(m[1]!) as { type: string; application: { name: string } };
    }
    throw new Error('stream ended');
  })();
  await kubectl(['apply', '-f', '-'], application('guestbook') + '---\n' + application('other'));
  const ev = await seen;
  ac.abort();
  assert.equal(ev.application.name, 'guestbook');
  assert.match(ev.type, /ADDED|MODIFIED/);

  const all = await call('GET', '/api/v1/applications', { token: viewerToken });
  assert.equal(all.status, 200);
  assert.deepEqual(all.body.items.map((a: { name: string }) => a.name).sort(), ['guestbook', 'other']);
  const page = await call('GET', '/api/v1/applications?limit=1', { token: viewerToken });
  assert.equal(page.body.items.length, 1);
  assert.ok(page.body.continue);
  const next = await call('GET', `/api/v1/applications?limit=1&continue=${encodeURIComponent(page.body.continue)}`, {
    token: viewerToken,
  });
  assert.equal(next.body.items.length, 1);
  assert.notEqual(next.body.items[0].name, page.body.items[0].name);
  assert.equal((await call('GET', '/api/v1/applications?project=nope', { token: viewerToken })).body.items.length, 0);
  assert.equal((await call('GET', '/api/v1/applications?limit=0', { token: viewerToken })).status, 400);
  const one = await call('GET', '/api/v1/applications/sekisho-gitops/guestbook', { token: viewerToken });
  assert.equal(one.status, 200);
  assert.equal(one.body.object.spec.destination.namespace, 'guestbook');
  assert.equal((await call('GET', '/api/v1/applications/sekisho-gitops/guestbook')).status, 401);
  assert.equal((await call('GET', '/api/v1/applications/sekisho-gitops/missing', { token: viewerToken })).status, 404);
});

const template = `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: nsmusthaveowner
spec:
  crd:
    spec:
      names:
        kind: NsMustHaveOwner
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package nsmusthaveowner
        violation[{"msg": msg}] {
          not input.review.object.metadata.labels.owner
          msg := sprintf("namespace %v has no owner label", [input.review.object.metadata.name])
        }
`;
const constraint = `apiVersion: constraints.gatekeeper.sh/v1beta1
kind: NsMustHaveOwner
metadata:
  name: ns-owner
spec:
  enforcementAction: dryrun
  match:
    kinds: [{apiGroups: [""], kinds: ["Namespace"]}]
`;

test('policies: templates, constraints and audit violations', async () => {
  for (const p of ['/api/v1/policies/templates', '/api/v1/policies/constraints', '/api/v1/policies/violations'])
    assert.equal((await call('GET', p)).status, 401, p);
  await kubectl(['apply', '-f', '-'], template);
  await until('the constraint CRD', async () =>
    (
      await run(KUBECTL, [
        '--kubeconfig',
        path.join(dataDir, 'kubeconfig'),
        'get',
        'crd',
        'nsmusthaveowner.constraints.gatekeeper.sh',
      ])
    ).code === 0
      ? true
      : undefined,
  );
  await kubectl(['apply', '-f', '-'], constraint);
  const templates = await call('GET', '/api/v1/policies/templates', { token: viewerToken });
  assert.equal(templates.status, 200);
  assert.deepEqual(
    templates.body.items.map((t: { name: string; kind: string }) => [t.name, t.kind]),
    [['nsmusthaveowner', 'NsMustHaveOwner']],
  );
  // the admission audit (every second here) writes violations into the constraint status
  const violations = await until('audit violations', async () => {
    const v = await call('GET', '/api/v1/policies/violations', { token: viewerToken });
    return v.body.items?.length ? v : undefined;
  });
  assert.ok(
    violations.body.items.some(
      (x: { name: string; message: string }) => x.name === 'default' && /no owner label/.test(x.message),
    ),
    JSON.stringify(violations.body),
  );
  const constraints = await call('GET', '/api/v1/policies/constraints', { token: viewerToken });
  assert.equal(constraints.body.items[0].name, 'ns-owner');
  assert.equal(constraints.body.items[0].enforcementAction, 'dryrun');
  assert.ok(constraints.body.items[0].totalViolations >= 1);
  assert.equal(
    (await call('GET', '/api/v1/policies/violations?kind=Other', { token: viewerToken })).body.items.length,
    0,
  );
});

test('OpenAPI document lists every route, and every documented operation is served', async () => {
  const doc = (await call('GET', '/api/v1/openapi.json')).body as {
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  assert.equal(doc.openapi, '3.0.3');
  const ops = Object.entries(doc.paths).flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`));
  const expected = [
    'GET /healthz',
    'GET /readyz',
    'GET /metrics',
    'GET /api/v1/openapi.json',
    'GET /api/v1/info',
    'POST /api/v1/session',
    'GET /api/v1/session',
    'DELETE /api/v1/session',
    'GET /api/v1/tokens',
    'POST /api/v1/tokens',
    'DELETE /api/v1/tokens/{id}',
    'GET /api/v1/users',
    'POST /api/v1/users',
    'GET /api/v1/audit',
    'GET /api/v1/applications',
    'GET /api/v1/applications/{namespace}/{name}',
    'GET /api/v1/applications/{namespace}/{name}/tree',
    'GET /api/v1/applications/{namespace}/{name}/diff',
    'POST /api/v1/applications/{namespace}/{name}/sync',
    'POST /api/v1/applications/{namespace}/{name}/rollback',
    'GET /api/v1/applications/{namespace}/{name}/history',
    'GET /api/v1/applications/{namespace}/{name}/events',
    'GET /api/v1/applications/{namespace}/{name}/resource',
    'GET /api/v1/applications/{namespace}/{name}/resource/events',
    'GET /api/v1/stream',
    'GET /api/v1/projects',
    'GET /api/v1/registry/repositories',
    'GET /api/v1/registry/repositories/{repository}/tags',
    'GET /api/v1/registry/repositories/{repository}/manifests/{reference}',
    'GET /api/v1/registry/repositories/{repository}/manifests/{reference}/config',
    'GET /api/v1/registry/repositories/{repository}/manifests/{reference}/referrers',
    'GET /api/v1/git/repositories',
    'POST /api/v1/git/repositories',
    'GET /api/v1/policies/templates',
    'GET /api/v1/policies/constraints',
    'GET /api/v1/policies/violations',
    'POST /api/v1/webhooks/git',
    'GET /api/v1/ci/stream',
    'GET /api/v1/pipelineruns',
    'GET /api/v1/pipelineruns/{name}',
    'GET /api/v1/pipelineruns/{name}/steps/{step}/log',
    'GET /api/v1/pipelineruns/{name}/steps/{step}/report',
    'GET /api/v1/changerequests',
    'GET /api/v1/changerequests/{name}',
    'POST /api/v1/changerequests/{name}/approve',
    'POST /api/v1/changerequests/{name}/merge',
    'POST /api/v1/changerequests/{name}/close',
    'GET /api/v1/registry/repositories/{repository}/manifests/{reference}/supply-chain',
  ];
  assert.deepEqual([...ops].sort(), [...expected].sort());
  for (const op of ops) {
    const [method, p] = op.split(' ') as [string, string];
    if (p === '/api/v1/stream' || p === '/api/v1/ci/stream') continue; // event streams, checked elsewhere
    const r = await call(method, p.replace(/\{\w+\}/g, 'zz'), { token: viewerToken });
    assert.ok(r.status !== 404 || r.body?.error?.message?.startsWith('no route') === false, `${op} is not served`);
    assert.notEqual(r.status, 405, op);
    // authenticated routes document 401 and 403
    const documented = doc.paths[p]![method.toLowerCase()]!.responses;
    if (
      !['/healthz', '/readyz', '/metrics', '/api/v1/openapi.json'].includes(p) &&
      !(method === 'POST' && p === '/api/v1/session') &&
      !(method === 'POST' && p === '/api/v1/webhooks/git') // signed by the git service, not a user
    )
      assert.ok('401' in documented && '403' in documented, op);
  }
  assert.equal((await call('GET', '/api/v1/nothing', { token: viewerToken })).status, 404);
  assert.equal((await call('PUT', '/api/v1/users', { token: adminToken })).status, 405);
});

test('applications end to end with the controller: diff, sync (project-scoped), tree, history, rollback', async () => {
  const made = await call('POST', '/api/v1/git/repositories', { token: devToken, body: { name: 'deploy' } });
  assert.equal(made.status, 201);
  const repoUrl = made.body.url as string;
  const work = path.join(dir, 'deploy');
  assert.equal((await git(['clone', repoUrl, work])).code, 0);
  mkdirSync(path.join(work, 'web'));
  writeFileSync(
    path.join(work, 'web', 'all.yaml'),
    [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {greeting: hello}\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: "registry.local/web:1"}]}\n',
    ].join('---\n'),
  );
  const u = new URL(repoUrl);
  u.username = 'dev1';
  u.password = devToken;
  for (const args of [
    ['add', '.'],
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-m', 'web'],
    ['push', u.toString(), 'HEAD:main'],
  ]) {
    const r = await git(args, work);
    assert.equal(r.code, 0, r.stderr);
  }
  await kubectl(['create', 'namespace', 'web']);
  await kubectl(
    ['apply', '-f', '-'],
    application('web').replace('http://127.0.0.1:1/none.git', repoUrl).replace('path: .', 'path: web'),
  );
  const W = '/api/v1/applications/sekisho-gitops/web';
  const compared = await until('the controller to compare', async () => {
    const r = await call('GET', W, { token: viewerToken });
    return r.body.sync?.status === 'OutOfSync' && r.body.sync.revision ? r.body : undefined;
  });
  assert.match(compared.sync.revision, /^[0-9a-f]{40}$/);
  const diff = await call('GET', `${W}/diff`, { token: viewerToken });
  assert.equal(diff.status, 200, JSON.stringify(diff.body));
  assert.equal(diff.body.revision, compared.sync.revision);
  const cm = diff.body.items.find((i: { kind: string }) => i.kind === 'ConfigMap');
  assert.deepEqual([cm.modified, cm.live], [true, null]);
  assert.match(cm.diff, /\+\s+greeting: hello/);

  // a developer bound to another project may not sync it (cookie session, CSRF token sent)
  const mk = await call('POST', '/api/v1/users', {
    token: adminToken,
    body: { name: 'dev2', password: 'dev2-long-password', role: 'developer', projects: ['other'] },
  });
  assert.equal(mk.status, 201);
  const s = await call('POST', '/api/v1/session', { body: { username: 'dev2', password: 'dev2-long-password' } });
  const cookie = (s.headers.get('set-cookie') ?? '').split(';')[0]!;
  const denied = await call('POST', `${W}/sync`, { headers: { cookie, 'x-csrf-token': s.body.csrfToken }, body: {} });
  assert.equal(denied.status, 403);
  assert.match(
    denied.body.error.message,
    /dev2 \(developer of project other\) may not sync application sekisho-gitops\/web$/,
  );
  assert.equal((await call('GET', W, { headers: { cookie } })).status, 403);

  const sync = await call('POST', `${W}/sync`, { token: devToken, body: { prune: true } });
  assert.equal(sync.status, 202, JSON.stringify(sync.body));
  await until(
    'Synced and Healthy',
    async () => {
      const r = await call('GET', W, { token: viewerToken });
      return r.body.sync.status === 'Synced' && r.body.health.status === 'Healthy' ? true : undefined;
    },
    40_000,
  );
  const tree = await until('pods in the tree', async () => {
    const r = await call('GET', `${W}/tree`, { token: viewerToken });
    return r.body.items.some((n: { kind: string }) => n.kind === 'Pod') ? r.body.items : undefined;
  });
  assert.deepEqual([...new Set(tree.map((n: { kind: string }) => n.kind))].sort(), [
    'ConfigMap',
    'Deployment',
    'Pod',
    'ReplicaSet',
  ]);
  const history = await call('GET', `${W}/history`, { token: viewerToken });
  assert.equal(history.body.items.length, 1);
  assert.equal(history.body.items[0].revision, compared.sync.revision);
  assert.equal(history.body.items[0].initiatedBy?.username, 'dev1');
  const clean = await call('GET', `${W}/diff?modifiedOnly=true`, { token: viewerToken });
  assert.deepEqual(clean.body.items, []);
  const res = await call('GET', `${W}/resource?kind=ConfigMap&namespace=web&name=web-config`, { token: viewerToken });
  assert.equal(res.body.object.data.greeting, 'hello');

  const rb = await call('POST', `${W}/rollback`, { token: devToken, body: { id: history.body.items[0].id } });
  assert.equal(rb.status, 202, JSON.stringify(rb.body));
  await until(
    'the rollback to finish',
    async () => {
      const r = await call('GET', `${W}/history`, { token: viewerToken });
      return r.body.items.length === 2 ? true : undefined;
    },
    40_000,
  );
});

test('audit log records state-changing calls without secrets', async () => {
  assert.equal((await call('GET', '/api/v1/audit', { token: viewerToken })).status, 403);
  assert.equal((await call('GET', '/api/v1/audit?limit=abc', { token: adminToken })).status, 400);
  const r = await call('GET', '/api/v1/audit?limit=1000', { token: adminToken });
  assert.equal(r.status, 200);
  const items = r.body.items as { method: string; path: string; status: number; user?: string; target?: string }[];
  assert.ok(
    items.some(
      (e) =>
        e.path === '/api/v1/git/repositories' && e.status === 201 && e.user === 'dev1' && e.target === 'git config',
    ),
  );
  assert.ok(items.some((e) => e.path === '/api/v1/session' && e.status === 401));
  assert.ok(items.some((e) => e.path === '/api/v1/users' && e.status === 403));
  const text = readFileSync(path.join(dataDir, 'audit', 'api.jsonl'), 'utf8');
  assert.ok(!text.includes(adminPassword) && !text.includes(devToken));
});

test('SIGTERM stops everything cleanly; a second up resumes all state; a start after SIGKILL works', async () => {
  // the ports every service took on the first start (all asked for port 0) are kept in <data-dir>/ports.json
  const registryUrl = up.field('registry:');
  const gitLine = up.field('git:');
  const clusterUrl = up.field('cluster:');
  const admissionUrl = up.field('admission:');
  const apiUrl = up.api;
  const ports = JSON.parse(readFileSync(path.join(dataDir, 'ports.json'), 'utf8'));
  assert.deepEqual(ports, {
    registry: Number(new URL(registryUrl).port),
    git: Number(new URL(gitLine.split('/<repo>')[0]!).port),
    cluster: Number(new URL(clusterUrl).port),
    admission: Number(new URL(admissionUrl).port),
    api: Number(new URL(apiUrl).port),
  });
  const samePorts = (when: string) => {
    assert.equal(up.field('registry:'), registryUrl, `registry ${when}`);
    assert.equal(up.field('git:'), gitLine, `git ${when}`);
    assert.equal(up.field('cluster:'), clusterUrl, `cluster ${when}`);
    assert.equal(up.field('admission:'), admissionUrl, `admission ${when}`);
    assert.equal(up.api, apiUrl, `API ${when}`);
  };
  const code = await stopUp(up);
  assert.equal(code, 0, up.stderr.text);
  assert.equal(up.lines.at(-1), 'stopped');
  // The second start resumes with the Applications in place, the controller included.
  up = await startUp([]);
  // same URLs as before the restart, so recorded image references, repo URLs, kubeconfigs and bookmarks work
  samePorts('after SIGTERM and a restart');
  console.log(`# second up ready in ${up.readyMs} ms`);
  assert.match(up.field('controller:'), /^running/);
  assert.match(up.field('admin password:'), /^unchanged/);
  // users, tokens, git repos, registry contents and cluster objects survived
  const s = await call('POST', '/api/v1/session', { body: { username: 'admin', password: adminPassword } });
  assert.equal(s.status, 200);
  assert.equal((await call('GET', '/api/v1/session', { token: devToken })).body.user, 'dev1');
  assert.deepEqual((await call('GET', '/api/v1/registry/repositories', { token: viewerToken })).body.items, [
    { name: 'demo/app' },
  ]);
  const apps = await call('GET', '/api/v1/applications', { token: viewerToken });
  assert.deepEqual(apps.body.items.map((a: { name: string }) => a.name).sort(), ['guestbook', 'other', 'web']);
  const clone = await git(['clone', `${up.field('git:').split('/<repo>')[0]}/config.git`, path.join(dir, 'work3')]);
  assert.equal(clone.code, 0, clone.stderr);
  assert.equal(readFileSync(path.join(dir, 'work3', 'README.md'), 'utf8'), 'config repo\n');
  // the webhook re-registered at its new address, so writes still pass admission
  await kubectl(['create', 'namespace', 'after-restart']);
  const hooks = await kubectl([
    'get',
    'validatingwebhookconfigurations',
    '-o',
    'jsonpath={.items[*].webhooks[*].clientConfig.url}',
  ]);
  assert.ok(hooks.startsWith(up.field('admission:')), hooks);
  // a reset prints a new password and the old one stops working
  // SIGKILL leaves the webhook registered at a dead address; the next start must clear it
  assert.equal(await stopUp(up, 'SIGKILL'), null);
  up = await startUp(['--reset-admin-password']);
  assert.match(up.field('controller:'), /^running/);
  samePorts('after SIGKILL and a restart');
  const gitRes = await fetch(`${gitLine.split('/<repo>')[0]}/config.git/info/refs?service=git-upload-pack`);
  assert.equal(gitRes.status, 200);
  await gitRes.arrayBuffer();
  await kubectl(['create', 'namespace', 'after-kill']);
  const fresh = up.field('admin password:').split(' ')[0]!;
  assert.notEqual(fresh, adminPassword);
  assert.equal(
    (await call('POST', '/api/v1/session', { body: { username: 'admin', password: adminPassword } })).status,
    401,
  );
  assert.equal((await call('POST', '/api/v1/session', { body: { username: 'admin', password: fresh } })).status, 200);
});

test('a recorded port held by another process stops up with a message naming it', async () => {
  const { createServer } = await import('node:net');
  const gitUrl = up.field('git:').split('/<repo>')[0]!;
  const port = Number(new URL(gitUrl).port);
  assert.equal(await stopUp(up), 0, up.stderr.text);
  const blocker = createServer();
  await new Promise<void>((r, j) => {
    blocker.once('error', j);
    blocker.listen(port, '127.0.0.1', () => r());
  });
  try {
    await assert.rejects(startUp([]), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`port ${port} of the git, recorded in .*ports\\.json.*in use by another process`),
      );
      return true;
    });
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
  // once the port is free again, up starts on it
  up = await startUp([]);
  assert.equal(up.field('git:').split('/<repo>')[0], gitUrl);
});
