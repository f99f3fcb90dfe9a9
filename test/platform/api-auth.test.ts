// System, authentication and git routes, table-driven: 401 (no auth), 403 (role too low), 400 (bad input
// with its reason) and the happy path for each; then sessions with CSRF, the login rate limit (429 with
// Retry-After), users bound to projects, token revocation, readiness failures and the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkEndpoint, startFixture, type EndpointCase, type Fixture } from './api-fixture.ts';

let f: Fixture;
let ready = true;

before(async () => {
  f = await startFixture({
    readiness: [
      {
        name: 'store',
        check: async () => {
          if (!ready) throw new Error('store is down');
        },
      },
    ],
    info: { services: { registry: 'http://127.0.0.1:5000' } },
  });
});

after(async () => {
  await f?.close();
});

const cases = (): EndpointCase[] => [
  {
    name: 'info',
    method: 'GET',
    path: '/api/v1/info',
    ok: { as: 'viewerA', check: (r) => assert.equal(r.body.services.registry, 'http://127.0.0.1:5000') },
  },
  {
    name: 'session get',
    method: 'GET',
    path: '/api/v1/session',
    ok: {
      as: 'viewerA',
      check: (r) =>
        assert.deepEqual(
          [r.body.user, r.body.role, r.body.projects, r.body.via],
          ['viewer-a', 'viewer', ['team-a'], 'token'],
        ),
    },
  },
  {
    name: 'tokens list',
    method: 'GET',
    path: '/api/v1/tokens',
    ok: {
      as: 'devA',
      check: (r) => {
        assert.ok(r.body.items.length >= 1);
        assert.ok(
          r.body.items.every((t: { user: string; digest?: string }) => t.user === 'dev-a' && t.digest === undefined),
        );
      },
    },
  },
  {
    name: 'tokens create',
    method: 'POST',
    path: '/api/v1/tokens',
    lower: 'viewer',
    body: { name: 'ci', role: 'developer' },
    ok: { as: 'devA', status: 201, check: (r) => assert.match(r.body.token, /^skt_/) },
    bad: [
      { body: { name: 'no/slashes' }, reason: /name must be 1-64/ },
      { body: { name: 'ci', role: 'root' }, reason: /field "role" must be one of admin, developer, viewer/ },
      { body: { name: 'ci', expiresInSeconds: 0 }, reason: /expiresInSeconds must be positive/ },
      { body: { name: 'ci', expiresInSeconds: 1.5 }, reason: /must be an integer/ },
    ],
  },
  {
    name: 'users list',
    method: 'GET',
    path: '/api/v1/users',
    lower: 'devA',
    ok: {
      as: 'admin',
      check: (r) => {
        const a = r.body.items.find((u: { name: string }) => u.name === 'dev-a');
        assert.deepEqual(a.projects, ['team-a']);
        assert.ok(r.body.items.every((u: Record<string, unknown>) => !('password' in u)));
      },
    },
  },
  {
    name: 'users create',
    method: 'POST',
    path: '/api/v1/users',
    lower: 'devA',
    body: { name: 'ops', password: 'ops-long-password', role: 'developer', projects: ['team-a', 'team-c'] },
    ok: { as: 'admin', status: 201, check: (r) => assert.deepEqual(r.body.projects, ['team-a', 'team-c']) },
    bad: [
      {
        body: { name: 'ops', password: 'ops-long-password', role: 'developer', projects: [] },
        reason: /at least one project/,
      },
      {
        body: { name: 'ops', password: 'ops-long-password', role: 'developer', projects: ['Team A'] },
        reason: /invalid project name "Team A"/,
      },
      {
        body: { name: 'ops', password: 'ops-long-password', role: 'developer', projects: 'team-a' },
        reason: /must be an array of strings/,
      },
      { body: { name: 'ops', password: 'short', role: 'viewer' }, reason: /at least 12 characters/ },
    ],
  },
  {
    name: 'audit',
    method: 'GET',
    path: '/api/v1/audit',
    lower: 'devA',
    ok: { as: 'admin', check: (r) => assert.ok(Array.isArray(r.body.items)) },
    bad: [{ path: '/api/v1/audit?limit=abc', reason: /limit must be an integer from 1 to 1000/ }],
  },
  {
    name: 'git list',
    method: 'GET',
    path: '/api/v1/git/repositories',
    ok: { as: 'viewer', check: (r) => assert.ok(Array.isArray(r.body.items)) },
  },
  {
    name: 'git create',
    method: 'POST',
    path: '/api/v1/git/repositories',
    lower: 'viewer',
    body: { name: 'team/config' },
    ok: { as: 'devB', status: 201, check: (r) => assert.equal(r.body.url, 'http://127.0.0.1:9/git/team/config.git') },
    bad: [
      { body: { name: '../escape' }, reason: /invalid repository name/ },
      { body: { name: 3 }, reason: /field "name" must be a string/ },
      { body: [], reason: /must be a JSON object/ },
    ],
  },
];

test('every auth, system and git endpoint: 401, 403 for a lower role, 400 with a reason, happy path', async () => {
  for (const c of cases()) await checkEndpoint(f, c);
  // the user created above is scoped: its token says so
  const { token } = f.auth.createToken('ops', 't', 'developer');
  const me = await f.call('GET', '/api/v1/session', { token });
  assert.deepEqual(me.body.projects, ['team-a', 'team-c']);
});

test('health, readiness (503 with the failing check) and Prometheus metrics need no login', async () => {
  const h = await f.call('GET', '/healthz');
  assert.deepEqual([h.status, h.body], [200, { status: 'ok' }]);
  await f.validate('GET', '/healthz', h);
  const r = await f.call('GET', '/readyz');
  assert.deepEqual([r.status, r.body.checks], [200, { store: 'ok' }]);
  ready = false;
  const down = await f.call('GET', '/readyz');
  ready = true;
  assert.equal(down.status, 503);
  assert.deepEqual(down.body, { status: 'unavailable', checks: { store: 'store is down' } });
  const m = await f.call('GET', '/metrics');
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = String(m.body);
  assert.match(text, /^sekisho_api_requests_total\{method="GET",route="\/readyz",status="503"\} 1$/m);
  assert.match(text, /^sekisho_api_request_duration_seconds_bucket\{method="GET",route="\/healthz",le="\+Inf"\} \d+$/m);
  assert.match(text, /^# TYPE sekisho_api_stream_subscribers gauge$/m);
  // every sample line is name{labels} value
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#')))
    assert.match(line, /^[a-z_]+(\{[^}]*\})? -?[\d.e+-]+$/, line);
});

test('cookie sessions need the CSRF token for state-changing calls; logout ends them', async () => {
  const bad = await f.call('POST', '/api/v1/session', { body: { username: 'dev-b' } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /missing required field "password"/);
  const login = await f.call('POST', '/api/v1/session', {
    body: { username: 'dev-b', password: 'dev-b-long-password' },
  });
  assert.equal(login.status, 200);
  await f.validate('POST', '/api/v1/session', login);
  assert.deepEqual(login.body.projects, ['team-b']);
  const setCookie = login.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /HttpOnly; SameSite=Strict/);
  const cookie = setCookie.split(';')[0]!;
  const noCsrf = await f.call('POST', '/api/v1/tokens', { headers: { cookie }, body: { name: 'x' } });
  assert.equal(noCsrf.status, 403);
  assert.match(noCsrf.body.error.message, /X-CSRF-Token/);
  const wrong = await f.call('POST', '/api/v1/tokens', {
    headers: { cookie, 'x-csrf-token': 'nope' },
    body: { name: 'x' },
  });
  assert.equal(wrong.status, 403);
  const ok = await f.call('POST', '/api/v1/tokens', {
    headers: { cookie, 'x-csrf-token': login.body.csrfToken },
    body: { name: 'x' },
  });
  assert.equal(ok.status, 201);
  // reads need no CSRF token
  assert.equal((await f.call('GET', '/api/v1/session', { headers: { cookie } })).status, 200);
  const out = await f.call('DELETE', '/api/v1/session', { headers: { cookie, 'x-csrf-token': login.body.csrfToken } });
  assert.equal(out.status, 200);
  assert.equal((await f.call('GET', '/api/v1/session', { headers: { cookie } })).status, 401);
  assert.equal((await f.call('DELETE', '/api/v1/session')).status, 401);
});

test('login is rate-limited per client and user: 429 with Retry-After, counted in the metrics', async () => {
  for (let i = 0; i < 3; i++) {
    const r = await f.call('POST', '/api/v1/session', { body: { username: 'viewer', password: 'wrong-password-123' } });
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /wrong user name or password/);
  }
  const limited = await f.call('POST', '/api/v1/session', {
    body: { username: 'viewer', password: 'viewer-long-password' },
  });
  assert.equal(limited.status, 429);
  await f.validate('POST', '/api/v1/session', limited);
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  // another user from the same client is not blocked
  assert.equal(
    (await f.call('POST', '/api/v1/session', { body: { username: 'admin', password: 'admin-long-password' } })).status,
    200,
  );
  assert.match(String((await f.call('GET', '/metrics')).body), /^sekisho_api_login_failures_total 3$/m);
});

test('token revocation: 400 bad id, 403 for someone else, 404 unknown, then the token stops working', async () => {
  const mine = (await f.call('POST', '/api/v1/tokens', { as: 'devA', body: { name: 'temp' } })).body as {
    id: string;
    token: string;
  };
  assert.equal((await f.call('DELETE', `/api/v1/tokens/${mine.id}`)).status, 401);
  assert.equal((await f.call('DELETE', '/api/v1/tokens/xyz', { as: 'devA' })).status, 400);
  const other = await f.call('DELETE', `/api/v1/tokens/${mine.id}`, { as: 'devB' });
  assert.equal(other.status, 403);
  assert.equal((await f.call('DELETE', '/api/v1/tokens/0123456789abcdef', { as: 'admin' })).status, 404);
  const ok = await f.call('DELETE', `/api/v1/tokens/${mine.id}`, { as: 'devA' });
  assert.equal(ok.status, 200);
  await f.validate('DELETE', `/api/v1/tokens/${mine.id}`, ok);
  assert.equal((await f.call('GET', '/api/v1/session', { token: mine.token })).status, 401);
});

test('the audit log holds every state-changing call with its caller and outcome, never a secret', async () => {
  const r = await f.call('GET', '/api/v1/audit?limit=1000', { as: 'admin' });
  const items = r.body.items as { method: string; path: string; status: number; user?: string; target?: string }[];
  assert.ok(
    items.every((e) => e.method !== 'GET'),
    'reads are not audited',
  );
  assert.ok(
    items.some((e) => e.path === '/api/v1/users' && e.status === 201 && e.user === 'admin' && e.target === 'user ops'),
  );
  assert.ok(items.some((e) => e.path === '/api/v1/users' && e.status === 403 && e.user === 'dev-a'));
  assert.ok(items.some((e) => e.path === '/api/v1/session' && e.status === 429));
  assert.ok(items.some((e) => e.path === '/api/v1/git/repositories' && e.status === 201 && e.user === 'dev-b'));
  const text = JSON.stringify(items);
  for (const secret of ['ops-long-password', 'viewer-long-password', f.tokens.admin]) assert.ok(!text.includes(secret));
});

test('many user names from one client: the client is limited too (4 x the per-user limit), with Retry-After', async () => {
  // three failures so far from this client (the per-user test); the fixture's per-user limit is 3, so 12
  let status = 0;
  let tries = 0;
  for (; tries < 20; tries++) {
    const r = await f.call('POST', '/api/v1/session', {
      body: { username: `nobody-${tries}`, password: 'x-long-password' },
    });
    status = r.status;
    if (status === 429) {
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      break;
    }
    assert.equal(status, 401);
  }
  assert.equal(status, 429);
  assert.equal(tries, 9, 'the 13th failure from one client is refused');
  // even a right password waits now
  const right = await f.call('POST', '/api/v1/session', {
    body: { username: 'dev-a', password: 'dev-a-long-password' },
  });
  assert.equal(right.status, 429);
  // API tokens are not affected
  assert.equal((await f.call('GET', '/api/v1/session', { as: 'devA' })).status, 200);
});
