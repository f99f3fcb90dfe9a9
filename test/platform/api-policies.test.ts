// The policy routes: templates, constraints, and violations from both checkpoints — the admission audit
// (constraint status) and the GitOps pre-apply gate (a denied sync) — each tied to the object and the
// Application that owns it, and filtered to the caller's AppProjects. The routes need only the viewer
// role, so 403 never happens; a scoped viewer sees fewer violations instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/kube/index.ts';
import { app, checkEndpoint, startFixture, type EndpointCase, type Fixture } from './api-fixture.ts';

let f: Fixture;

const crd = (group: string, version: string, kind: string, plural: string): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Cluster',
    names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  f = await startFixture();
  await f.kube.create(crd('templates.gatekeeper.sh', 'v1', 'ConstraintTemplate', 'constrainttemplates'));
  await f.kube.create(crd('constraints.gatekeeper.sh', 'v1beta1', 'K8sRequiredLabels', 'k8srequiredlabels'));
  await until('the CRDs to be served', async () => {
    await f.kube.list('constraints.gatekeeper.sh/v1beta1', 'K8sRequiredLabels');
    await f.kube.list('templates.gatekeeper.sh/v1', 'ConstraintTemplate');
    return true;
  });
  await f.kube.create({
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: { name: 'k8srequiredlabels' },
    spec: {
      crd: { spec: { names: { kind: 'K8sRequiredLabels' } } },
      targets: [
        { target: 'admission.k8s.gatekeeper.sh', rego: 'package k8srequiredlabels\nviolation[{"msg": "x"}] { true }' },
      ],
    },
    status: { created: true },
  });
  await f.kube.create({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'K8sRequiredLabels',
    metadata: { name: 'must-have-owner' },
    spec: { enforcementAction: 'warn', match: { kinds: [{ apiGroups: ['apps'], kinds: ['Deployment'] }] } },
    status: {
      auditTimestamp: '2026-01-01T00:00:00Z',
      totalViolations: 2,
      violations: [
        {
          enforcementAction: 'warn',
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: 'web',
          name: 'web',
          message: 'you must provide labels: {"owner"}',
        },
        {
          enforcementAction: 'warn',
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: 'stray',
          name: 'lost',
          message: 'you must provide labels: {"owner"}',
        },
      ],
    },
  });
  const web = app('web', 'team-a');
  web.status = {
    resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'web', status: 'Synced' }],
  };
  await f.kube.create(web);
  const api = app('api', 'team-b');
  api.status = {
    operationState: {
      phase: 'Failed',
      message:
        'sync denied by the pre-apply gate: Deployment api/api runs as root; image registry.evil/api:1 is not from an allowed registry',
      startedAt: '2026-01-02T00:00:00Z',
      finishedAt: '2026-01-02T00:00:01Z',
      operation: { sync: {} },
      syncResult: { revision: 'abc123' },
    },
  };
  await f.kube.create(api);
  await until('the app cache', async () =>
    (await f.call('GET', '/api/v1/applications', { as: 'admin' })).body.total === 2 ? true : undefined,
  );
});

after(async () => {
  await f?.close();
});

const P = '/api/v1/policies';
const cases = (): EndpointCase[] => [
  {
    name: 'templates',
    method: 'GET',
    path: `${P}/templates`,
    ok: {
      as: 'viewerA',
      check: (r) =>
        assert.deepEqual(
          r.body.items.map((t: { name: string; kind: string }) => [t.name, t.kind]),
          [['k8srequiredlabels', 'K8sRequiredLabels']],
        ),
    },
  },
  {
    name: 'constraints',
    method: 'GET',
    path: `${P}/constraints`,
    ok: {
      as: 'viewer',
      check: (r) => {
        const c = r.body.items[0];
        assert.deepEqual(
          [c.kind, c.name, c.enforcementAction, c.totalViolations],
          ['K8sRequiredLabels', 'must-have-owner', 'warn', 2],
        );
      },
    },
  },
  {
    name: 'violations',
    method: 'GET',
    path: `${P}/violations`,
    ok: { as: 'admin', check: (r) => assert.equal(r.body.items.length, 4) },
    bad: [{ path: `${P}/violations?source=everywhere`, reason: /source must be one of audit, sync-gate/ }],
  },
];

test('every policy endpoint: 401, 400 with a reason, happy path', async () => {
  for (const c of cases()) await checkEndpoint(f, c);
});

test('violations: audit and sync-gate, with object and owning application, scoped to the caller', async () => {
  const all = (await f.call('GET', `${P}/violations`, { as: 'viewer' })).body.items as {
    source: string;
    message: string;
    object: { kind: string; name: string; namespace?: string } | null;
    application: { name: string; project: string } | null;
    constraint?: { kind: string; name: string };
    revision?: string;
  }[];
  const web = all.find((v) => v.object?.name === 'web')!;
  assert.equal(web.source, 'audit');
  assert.deepEqual(web.application, { namespace: 'sekisho-gitops', name: 'web', project: 'team-a' });
  assert.deepEqual(web.constraint, { kind: 'K8sRequiredLabels', name: 'must-have-owner' });
  assert.deepEqual(web.object, { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'web', name: 'web' });
  const lost = all.find((v) => v.object?.name === 'lost')!;
  assert.equal(lost.application, null, 'an object no application manages has no owner');
  const gate = all.filter((v) => v.source === 'sync-gate');
  assert.deepEqual(
    gate.map((g) => g.message),
    ['Deployment api/api runs as root', 'image registry.evil/api:1 is not from an allowed registry'],
  );
  assert.ok(gate.every((g) => g.application?.name === 'api' && g.revision === 'abc123'));

  // scoped callers: team-a sees its audit violation only; team-b its gate denials only
  const a = (await f.call('GET', `${P}/violations`, { as: 'viewerA' })).body.items as typeof all;
  assert.deepEqual(
    a.map((v) => v.object?.name),
    ['web'],
  );
  const b = (await f.call('GET', `${P}/violations`, { as: 'devB' })).body.items as typeof all;
  assert.deepEqual(
    b.map((v) => v.source),
    ['sync-gate', 'sync-gate'],
  );
  // filters
  assert.equal((await f.call('GET', `${P}/violations?source=audit`, { as: 'viewer' })).body.items.length, 2);
  assert.equal(
    (await f.call('GET', `${P}/violations?kind=K8sRequiredLabels&source=audit`, { as: 'viewer' })).body.items.length,
    2,
  );
  assert.equal((await f.call('GET', `${P}/violations?kind=Other`, { as: 'viewer' })).body.items.length, 0);
});
