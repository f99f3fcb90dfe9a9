// The application routes against an in-process sandbox: for every endpoint 401 (no auth), 403 (role too
// low, and a caller bound to another AppProject), 400 (bad input, with the reason) and the happy path;
// then what each answer holds — filters and paging, the resource tree through ownerReferences, the diff
// against a real git source with Secret data masked, sync and rollback operations, history, events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/kube/index.ts';
import { app, checkEndpoint, startFixture, type EndpointCase, type Fixture } from './api-fixture.ts';

const GIT = process.env.GIT ?? '/usr/bin/git';
const API = 'gitops.sekisho.dev/v1alpha1';
let f: Fixture;
let revision = '';

function git(args: string[], cwd: string): string {
  return execFileSync(GIT, args, {
    cwd,
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: cwd,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@x',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@x',
    },
  })
    .toString()
    .trim();
}

const deployment = (replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'web', labels: { app: 'web' } },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'registry.local/web:1' }] },
    },
  },
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  if (!existsSync(GIT)) throw new Error(`git is required by the application routes test and was not found at ${GIT}`);
  f = await startFixture();
  // the config repo: the desired state of "web"
  const work = join(f.dir, 'config');
  mkdirSync(join(work, 'web'), { recursive: true });
  git(['init', '-q', '-b', 'main'], work);
  writeFileSync(
    join(work, 'web', 'all.yaml'),
    [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {greeting: hello}\n',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: web-secret}\ntype: Opaque\ndata: {password: bmV3LXNlY3JldA==}\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: "registry.local/web:1"}]}\n',
    ].join('---\n'),
  );
  git(['add', '.'], work);
  git(['commit', '-q', '-m', 'web'], work);
  revision = git(['rev-parse', 'HEAD'], work);

  // live state: a drifted ConfigMap, the Secret with another value, the Deployment with 1 replica
  await f.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } });
  await f.kube.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-config', namespace: 'web' },
    data: { greeting: 'bonjour' },
  });
  await f.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'web-secret', namespace: 'web' },
    type: 'Opaque',
    data: { password: Buffer.from('old-secret').toString('base64') },
  });
  await f.kube.create(deployment(1));

  const resources = [
    {
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      namespace: 'web',
      name: 'web-config',
      status: 'OutOfSync',
      health: { status: 'Healthy' },
    },
    {
      group: '',
      version: 'v1',
      kind: 'Secret',
      namespace: 'web',
      name: 'web-secret',
      status: 'OutOfSync',
      health: { status: 'Healthy' },
    },
    {
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      namespace: 'web',
      name: 'web',
      status: 'OutOfSync',
      health: { status: 'Healthy' },
    },
  ];
  const web = app('web', 'team-a');
  (web.spec as Record<string, unknown>).source = { repoURL: `file://${work}`, path: 'web', targetRevision: 'main' };
  web.status = {
    sync: { status: 'OutOfSync', revision },
    health: { status: 'Healthy' },
    resources,
    history: [
      { id: 0, revision, deployedAt: '2026-01-01T00:00:00Z', source: { repoURL: `file://${work}`, path: 'web' } },
      { id: 1, revision, deployedAt: '2026-01-02T00:00:00Z', source: { repoURL: `file://${work}`, path: 'web' } },
    ],
  };
  await f.kube.create(web);
  const other = app('api', 'team-b');
  other.status = { sync: { status: 'Synced' }, health: { status: 'Degraded' } };
  await f.kube.create(other);
  const auto = app('auto', 'team-a');
  (auto.spec as Record<string, unknown>).syncPolicy = { automated: { prune: true } };
  auto.status = {
    sync: { status: 'Synced' },
    health: { status: 'Healthy' },
    history: [{ id: 0, revision, deployedAt: '2026-01-01T00:00:00Z' }],
  };
  await f.kube.create(auto);
  for (let i = 0; i < 7; i++) await f.kube.create(app(`bulk-${i}`, i % 2 ? 'team-a' : 'team-b'));
  await until('the app cache', async () =>
    (await f.call('GET', '/api/v1/applications', { as: 'admin' })).body.total === 10 ? true : undefined,
  );
  // an event about the Application itself
  await f.kube.create({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.sync', namespace: 'sekisho-gitops' },
    involvedObject: { apiVersion: API, kind: 'Application', namespace: 'sekisho-gitops', name: 'web' },
    reason: 'ResourceUpdated',
    message: 'sync started by dev-a',
    type: 'Normal',
    lastTimestamp: '2026-01-03T00:00:00Z',
  } as KubeObject);
});

after(async () => {
  await f?.close();
});

const W = '/api/v1/applications/sekisho-gitops/web';
const B = '/api/v1/applications/sekisho-gitops/api';
const cases = (): EndpointCase[] => [
  {
    name: 'list',
    method: 'GET',
    path: '/api/v1/applications',
    ok: {
      as: 'viewer',
      check: (r) => {
        assert.equal(r.body.total, 10);
        assert.deepEqual(
          r.body.items.map((a: { name: string }) => a.name),
          ['api', 'auto', 'bulk-0', 'bulk-1', 'bulk-2', 'bulk-3', 'bulk-4', 'bulk-5', 'bulk-6', 'web'],
        );
      },
    },
    bad: [
      { path: '/api/v1/applications?limit=0', reason: /limit must be an integer from 1 to 1000/ },
      { path: '/api/v1/applications?sync=Fine', reason: /sync must be among Synced, OutOfSync, Unknown/ },
      { path: '/api/v1/applications?selector=a%20in%20(', reason: /selector/ },
      { path: '/api/v1/applications?sort=size', reason: /sort must be one of/ },
      { path: '/api/v1/applications?page=1&limit=2', reason: /either limit\/continue or page\/pageSize/ },
      { path: '/api/v1/applications?limit=2&continue=garbage', reason: /continue token is not valid/ },
      { path: '/api/v1/applications?namespace=Bad_NS', reason: /not a valid Kubernetes name/ },
    ],
  },
  {
    name: 'get',
    method: 'GET',
    path: W,
    otherProject: 'devB',
    ok: {
      as: 'viewerA',
      check: (r) => {
        assert.equal(r.body.project, 'team-a');
        assert.equal(r.body.sync.status, 'OutOfSync');
        assert.equal(r.body.object.spec.destination.namespace, 'web');
      },
    },
    bad: [{ path: '/api/v1/applications/sekisho-gitops/Bad_Name', reason: /application name "Bad_Name"/ }],
  },
  {
    name: 'tree',
    method: 'GET',
    path: `${W}/tree`,
    otherProject: 'devB',
    ok: { as: 'viewer', check: (r) => assert.ok(r.body.items.some((n: { kind: string }) => n.kind === 'Deployment')) },
    bad: [{ path: '/api/v1/applications/NS/web/tree', reason: /namespace "NS"/ }],
  },
  {
    name: 'diff',
    method: 'GET',
    path: `${W}/diff`,
    otherProject: 'devB',
    ok: { as: 'viewerA', check: (r) => assert.equal(r.body.revision, revision) },
    bad: [{ path: `${W}/diff?modifiedOnly=maybe`, reason: /modifiedOnly must be true or false/ }],
  },
  {
    name: 'history',
    method: 'GET',
    path: `${W}/history`,
    otherProject: 'devB',
    ok: {
      as: 'viewer',
      check: (r) =>
        assert.deepEqual(
          r.body.items.map((h: { id: number }) => h.id),
          [1, 0],
        ),
    },
    bad: [{ path: '/api/v1/applications/sekisho-gitops/-web/history', reason: /not a valid Kubernetes name/ }],
  },
  {
    name: 'events',
    method: 'GET',
    path: `${W}/events`,
    otherProject: 'devB',
    ok: {
      as: 'viewerA',
      check: (r) => assert.ok(r.body.items.some((e: { message: string }) => e.message === 'sync started by dev-a')),
    },
    bad: [{ path: '/api/v1/applications/sekisho-gitops/A_B/events', reason: /not a valid Kubernetes name/ }],
  },
  {
    name: 'resource',
    method: 'GET',
    path: `${W}/resource?kind=Secret&namespace=web&name=web-secret`,
    otherProject: 'devB',
    ok: {
      as: 'viewerA',
      check: (r) => {
        assert.equal(r.body.object.kind, 'Secret');
        assert.equal(r.body.object.data.password, '++++++++');
      },
    },
    bad: [
      { path: `${W}/resource?namespace=web&name=web-secret`, reason: /kind is required/ },
      { path: `${W}/resource?kind=Secret&namespace=web`, reason: /name is required/ },
    ],
  },
  {
    name: 'resource events',
    method: 'GET',
    path: `${W}/resource/events?group=apps&kind=Deployment&namespace=web&name=web`,
    otherProject: 'devB',
    ok: { as: 'viewer', check: (r) => assert.ok(Array.isArray(r.body.items)) },
    bad: [
      { path: `${W}/resource/events?kind=Deployment&namespace=web&name=Web!`, reason: /not a valid Kubernetes name/ },
    ],
  },
  {
    name: 'sync',
    method: 'POST',
    path: `${W}/sync`,
    lower: 'viewerA',
    otherProject: 'devB',
    body: { prune: true },
    ok: {
      as: 'devA',
      status: 202,
      body: {
        prune: true,
        dryRun: false,
        resources: [{ group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' }],
        syncOptions: ['ServerSideApply=true'],
      },
      check: async (r) => {
        assert.equal(r.body.operation.initiatedBy.username, 'dev-a');
        const live = await f.kube.get(API, 'Application', 'web', 'sekisho-gitops');
        const op = (live as unknown as { operation: { sync: Record<string, unknown> } }).operation;
        assert.deepEqual(op.sync, {
          prune: true,
          dryRun: false,
          resources: [{ group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' }],
          syncOptions: ['ServerSideApply=true'],
        });
      },
    },
    bad: [
      { body: { prune: 'yes' }, reason: /field "prune" must be a boolean/ },
      { body: { force: true }, reason: /unknown field "force"/ },
      { body: { resources: [{ kind: 'Deployment' }] }, reason: /resources\[0\] needs string fields kind and name/ },
      { body: { syncOptions: ['no spaces allowed'] }, reason: /not Name=value/ },
      { raw: '{"prune":', reason: /not valid JSON/ },
    ],
  },
  {
    name: 'rollback',
    method: 'POST',
    path: `${B}/rollback`,
    lower: 'viewer',
    otherProject: 'devA',
    body: { id: 0 },
    ok: { as: 'devB', status: 404, body: { id: 7 } },
    bad: [
      { as: 'devB', body: {}, reason: /missing required field "id"/ },
      { as: 'devB', body: { id: 'one' }, reason: /field "id" must be an integer/ },
    ],
  },
];

test('every application endpoint: 401, 403 (role and project), 400 with a reason, happy path', async () => {
  for (const c of cases()) await checkEndpoint(f, c);
  assert.equal((await f.call('GET', '/api/v1/applications/sekisho-gitops/missing', { as: 'admin' })).status, 404);
  // a caller scoped to projects cannot tell a missing application from another project's: both 403
  const missing = await f.call('GET', '/api/v1/applications/sekisho-gitops/missing', { as: 'viewerA' });
  const other = await f.call('GET', B, { as: 'viewerA' });
  assert.deepEqual([missing.status, other.status], [403, 403]);
  assert.equal(
    other.body.error.message,
    'viewer-a (viewer of project team-a) may not view application sekisho-gitops/api',
  );
  assert.equal((await f.call('GET', '/api/v1/applications/sekisho-gitops/missing', { as: 'viewer' })).status, 404);
});

test('projects: those the caller covers, with their rules and application counts', async () => {
  for (const name of ['team-a', 'team-b'])
    await f.kube.apply(
      {
        apiVersion: API,
        kind: 'AppProject',
        metadata: { name, namespace: 'sekisho-gitops' },
        spec: { description: `${name} services`, sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
      },
      { fieldManager: 'test', force: true },
    );
  await checkEndpoint(f, {
    name: 'projects',
    method: 'GET',
    path: '/api/v1/projects',
    ok: {
      as: 'viewerA',
      check: (r) => {
        assert.deepEqual(
          r.body.items.map((p: { name: string }) => p.name),
          ['team-a'],
        );
        assert.equal(r.body.items[0].description, 'team-a services');
        assert.equal(r.body.items[0].applications.total, 5);
      },
    },
  });
  const all = await f.call('GET', '/api/v1/projects', { as: 'admin' });
  assert.deepEqual(
    all.body.items.map((p: { name: string; applications: { total: number } }) => [p.name, p.applications.total]),
    [
      ['default', 0],
      ['team-a', 5],
      ['team-b', 5],
    ],
  );
});

test('list: project scope, filters, sorting, both paging styles and the total', async () => {
  const names = (r: { body: { items: { name: string }[] } }) => r.body.items.map((a) => a.name);
  // a viewer of team-a sees only team-a applications
  const scoped = await f.call('GET', '/api/v1/applications', { as: 'viewerA' });
  assert.deepEqual(names(scoped), ['auto', 'bulk-1', 'bulk-3', 'bulk-5', 'web']);
  assert.equal(scoped.body.total, 5);
  const q = (s: string) => f.call('GET', `/api/v1/applications?${s}`, { as: 'viewer' });
  assert.deepEqual(names(await q('project=team-b&sync=Synced')), ['api']);
  assert.deepEqual(names(await q('health=Degraded,Healthy&sort=-name')), ['web', 'auto', 'api']);
  assert.deepEqual(names(await q('selector=team%3Dteam-a,team!%3Dteam-b&search=BULK')), ['bulk-1', 'bulk-3', 'bulk-5']);
  assert.deepEqual(names(await q('sort=health&health=Healthy,Degraded')), ['api', 'auto', 'web']);
  // continue-token paging walks every item exactly once
  const seen: string[] = [];
  let cont: string | undefined;
  let pages = 0;
  do {
    const r = await q(`limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.total, 10);
    seen.push(...names(r));
    cont = r.body.continue;
    pages++;
  } while (cont);
  assert.equal(pages, 4);
  assert.equal(new Set(seen).size, 10);
  // a token from another query is refused
  const first = await q('limit=2&project=team-a');
  assert.equal((await q(`limit=2&continue=${encodeURIComponent(first.body.continue)}`)).status, 400);
  const p2 = await q('page=2&pageSize=4');
  assert.deepEqual(names(p2), ['bulk-2', 'bulk-3', 'bulk-4', 'bulk-5']);
  assert.deepEqual([p2.body.page, p2.body.pageSize, p2.body.total], [2, 4, 10]);
});

test('tree: managed resources with health and sync, children found through ownerReferences', async () => {
  const items = await until('ReplicaSet and Pods in the tree', async () => {
    const r = await f.call('GET', `${W}/tree`, { as: 'viewerA' });
    const its = r.body.items as {
      kind: string;
      parentRefs: { kind: string }[];
      health: { status: string } | null;
      sync?: string;
    }[];
    return its.some((n) => n.kind === 'Pod') ? its : undefined;
  });
  const dep = items.find((n) => n.kind === 'Deployment')!;
  assert.equal(dep.sync, 'OutOfSync');
  assert.equal(dep.health?.status, 'Healthy');
  const rs = items.find((n) => n.kind === 'ReplicaSet')!;
  assert.deepEqual(
    rs.parentRefs.map((p) => p.kind),
    ['Deployment'],
  );
  const pod = items.find((n) => n.kind === 'Pod')!;
  assert.deepEqual(
    pod.parentRefs.map((p) => p.kind),
    ['ReplicaSet'],
  );
  assert.ok(pod.health, 'pods carry their health');
  // a descendant is a resource of the application too
  const podName = (items.find((n) => n.kind === 'Pod') as unknown as { name: string }).name;
  const r = await f.call('GET', `${W}/resource?kind=Pod&namespace=web&name=${podName}`, { as: 'viewerA' });
  assert.equal(r.status, 200);
  assert.equal(r.body.object.metadata.name, podName);
  const stranger = await f.call('GET', `${W}/resource?kind=ConfigMap&namespace=kube-system&name=x`, { as: 'viewerA' });
  assert.equal(stranger.status, 404);
  const ev = await f.call('GET', `${W}/resource/events?group=apps&kind=Deployment&namespace=web&name=web`, {
    as: 'viewerA',
  });
  assert.ok(
    ev.body.items.some((e: { reason: string }) => e.reason === 'ScalingReplicaSet'),
    JSON.stringify(ev.body),
  );
});

test('diff: live against git at the compared revision; Secret values masked, never leaked', async () => {
  const r = await f.call('GET', `${W}/diff`, { as: 'viewerA' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const by = (k: string) => r.body.items.find((i: { kind: string }) => i.kind === k);
  assert.equal(by('ConfigMap').modified, true);
  assert.match(by('ConfigMap').diff, /-\s+greeting: bonjour/);
  assert.match(by('ConfigMap').diff, /\+\s+greeting: hello/);
  assert.equal(by('Deployment').modified, true);
  assert.match(by('Deployment').diff, /replicas: 2/);
  const secret = by('Secret');
  assert.equal(secret.modified, true);
  const text = JSON.stringify(r.body);
  for (const s of ['old-secret', 'new-secret', Buffer.from('old-secret').toString('base64'), 'bmV3LXNlY3JldA=='])
    assert.ok(!text.includes(s), `secret value ${s} leaked`);
  assert.match(secret.live.data.password, /^\+{8,}$/);
  assert.match(secret.desired.data.password, /^\+{8,}$/);
  assert.notEqual(secret.live.data.password, secret.desired.data.password, 'different values, different masks');
  const only = await f.call('GET', `${W}/diff?modifiedOnly=true`, { as: 'viewerA' });
  assert.ok(only.body.items.every((i: { modified: boolean }) => i.modified));
});

test('sync while another operation runs is 409; rollback refuses automated apps and starts a sync to the history revision', async () => {
  await f.call('POST', `${W}/sync`, { as: 'devA', body: {} });
  const again = await f.call('POST', `${W}/sync`, { as: 'devA', body: {} });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'server_conflict');
  const auto = await f.call('POST', '/api/v1/applications/sekisho-gitops/auto/rollback', {
    as: 'devA',
    body: { id: 0 },
  });
  assert.equal(auto.status, 400);
  assert.match(auto.body.error.message, /automated sync is enabled/);
  await f.kube.patch(API, 'Application', 'web', 'sekisho-gitops', { operation: null }, 'merge');
  const rb = await f.call('POST', `${W}/rollback`, { as: 'devA', body: { id: 0, prune: false } });
  assert.equal(rb.status, 202, JSON.stringify(rb.body));
  const live = (await f.kube.get(API, 'Application', 'web', 'sekisho-gitops')) as unknown as {
    operation: {
      sync: { revision: string; source: { path: string }; prune: boolean };
      info: { name: string; value: string }[];
    };
  };
  assert.equal(live.operation.sync.revision, revision);
  assert.equal(live.operation.sync.source.path, 'web');
  assert.deepEqual(live.operation.info, [{ name: 'rollback', value: '0' }]);
  // the audit log has both state-changing calls, with who made them
  const audit = await f.call('GET', '/api/v1/audit?limit=1000', { as: 'admin' });
  const mine = audit.body.items.filter(
    (e: { path: string; user?: string }) => e.path.startsWith(W) && e.user === 'dev-a',
  );
  assert.ok(mine.some((e: { path: string; status: number }) => e.path.endsWith('/sync') && e.status === 202));
  assert.ok(mine.some((e: { path: string; status: number }) => e.path.endsWith('/rollback') && e.status === 202));
  assert.ok(
    audit.body.items.some(
      (e: { user?: string; status: number; path: string }) =>
        e.user === 'dev-b' && e.status === 403 && e.path.endsWith('/sync'),
    ),
  );
});

test('stream: one watch fanned out; each subscriber gets only the projects it may see', async () => {
  const open = async (who: 'viewerA' | 'viewer', query = '', headers: Record<string, string> = {}) => {
    const ac = new AbortController();
    const r = await fetch(`${f.url}/api/v1/stream${query}`, {
      headers: { authorization: `Bearer ${f.tokens[who]}`, ...headers },
      signal: ac.signal,
    });
    assert.equal(r.status, 200);
    const names: string[] = [];
    const events: { id?: string; event: string; type?: string; name?: string }[] = [];
    const reader = (async () => {
      let buf = '';
      const dec = new TextDecoder();
      try {
        for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
          buf += dec.decode(chunk);
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const m = /^data: (.*)$/m.exec(frame);
            const ev = /^event: (.*)$/m.exec(frame)?.[1];
            const id = /^id: (.*)$/m.exec(frame)?.[1];
            if (!ev) continue;
            if (ev === 'application') {
              const d = JSON.parse(m![1]!) as { type: string; application: { name: string } };
              names.push(d.application.name);
              events.push({ ...(id ? { id } : {}), event: ev, type: d.type, name: d.application.name });
            } else events.push({ event: ev });
          }
        }
      } catch {
        // aborted
      }
    })();
    return { names, events, close: async () => (ac.abort(), await reader) };
  };
  const a = await open('viewerA');
  const all = await open('viewer');
  const onlyApi = await open('viewer', '?name=api');
  await until('three subscribers', async () => (f.api.subscribers === 3 ? true : undefined));
  const bad = await f.call('GET', '/api/v1/stream?name=Not_A_Name', { as: 'viewer' });
  assert.equal(bad.status, 400);
  await f.kube.patch(API, 'Application', 'api', 'sekisho-gitops', { metadata: { labels: { touched: '1' } } }, 'merge');
  await f.kube.patch(
    API,
    'Application',
    'bulk-1',
    'sekisho-gitops',
    { metadata: { labels: { touched: '1' } } },
    'merge',
  );
  await until('both changes on the unscoped stream', async () =>
    all.names.includes('api') && all.names.includes('bulk-1') ? true : undefined,
  );
  await until('the team-a change on the scoped stream', async () => (a.names.includes('bulk-1') ? true : undefined));
  assert.ok(!a.names.includes('api'), 'a team-a viewer never sees team-b applications');
  await until('the filtered stream', async () => (onlyApi.names.includes('api') ? true : undefined));
  assert.ok(onlyApi.names.every((n) => n === 'api'));
  // a reconnect with Last-Event-ID gets what came after that event, and only that
  const apiId = all.events.find((e) => e.name === 'api')!.id!;
  assert.match(apiId, /^[0-9a-z]+-\d+$/);
  const resumed = await open('viewer', '', { 'last-event-id': apiId });
  await until('the replayed change', async () => (resumed.names.includes('bulk-1') ? true : undefined));
  assert.ok(!resumed.names.includes('api'));
  // an id the server does not know (a restart, or too old) asks the client to list again
  const stale = await open('viewer', '', { 'last-event-id': 'zzzz-1' });
  await until('the reset event', async () => (stale.events.some((e) => e.event === 'reset') ? true : undefined));
  // snapshot=true: the visible Applications first, then snapshot-end, then live changes
  const snap = await open('viewerA', '?snapshot=true');
  await until('the snapshot', async () => (snap.events.some((e) => e.event === 'snapshot-end') ? true : undefined));
  const end = snap.events.findIndex((e) => e.event === 'snapshot-end');
  assert.deepEqual(
    snap.events.slice(0, end).map((e) => `${e.type} ${e.name}`),
    ['SNAPSHOT auto', 'SNAPSHOT bulk-1', 'SNAPSHOT bulk-3', 'SNAPSHOT bulk-5', 'SNAPSHOT web'],
  );
  await Promise.all([a.close(), all.close(), onlyApi.close(), resumed.close(), stale.close(), snap.close()]);
  await until('subscribers gone', async () => (f.api.subscribers === 0 ? true : undefined));
  const m = await f.call('GET', '/metrics');
  assert.match(String(m.body), /^sekisho_api_stream_subscribers 0$/m);
  assert.match(String(m.body), /^sekisho_api_applications 10$/m);
});
