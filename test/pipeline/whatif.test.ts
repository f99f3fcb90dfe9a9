// What-if preview of change requests against the sandbox cluster with our admission webhook registered
// (in-process) and a PSP-privileged-style constraint: an image bump is an `update` whose diff is the image
// line only, a Secret's values never appear, an Application's source decides the namespace and its tracked
// objects no longer rendered show as `delete`, a privileged Pod is Denied with the constraint's message, a
// new namespace + Deployment are both `create`; nothing is written to the cluster; re-running promote on the
// same head keeps the preview, `refreshWhatIf` redoes it after the cluster changed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/index.ts';
import { API_VERSION, applicationCrd, FIELD_MANAGER, trackingId, TRACKING_ANNOTATION } from '../../src/gitops/index.ts';
import {
  FileChangeRequestStore,
  parseImageUpdate,
  promote,
  refreshWhatIf,
  whatIfPreview,
  type ChangeRequest,
} from '../../src/pipeline/index.ts';
import { application, Repo } from '../gitops/helpers.ts';
import { HEAD, runText, services, stepOf } from './helpers.ts';

const D1 = 'sha256:' + '1a'.repeat(32);
const D2 = 'sha256:' + '2b'.repeat(32);
const D3 = 'sha256:' + '3c'.repeat(32);
const dir = mkdtempSync(join(tmpdir(), 'sekisho-whatif-'));
let sandbox: Sandbox;
let client: KubeClient;
let admission: AdmissionServer;
let repo: Repo;
const store = new FileChangeRequestStore(join(dir, 'data', 'changerequests'));

const TEMPLATE = {
  apiVersion: 'templates.gatekeeper.sh/v1',
  kind: 'ConstraintTemplate',
  metadata: { name: 'k8spspprivilegedcontainer' },
  spec: {
    crd: { spec: { names: { kind: 'K8sPSPPrivilegedContainer' } } },
    targets: [
      {
        target: 'admission.k8s.gatekeeper.sh',
        rego: `package k8spspprivileged

violation[{"msg": msg, "details": {}}] {
  c := input.review.object.spec.containers[_]
  c.securityContext.privileged
  msg := sprintf("Privileged container is not allowed: %v, securityContext: %v", [c.name, c.securityContext])
}
`,
      },
    ],
  },
};
const CONSTRAINT = {
  apiVersion: 'constraints.gatekeeper.sh/v1beta1',
  kind: 'K8sPSPPrivilegedContainer',
  metadata: { name: 'psp-privileged-container' },
  spec: { match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], excludedNamespaces: ['kube-system'] } },
};

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ${image}
          ports:
            - containerPort: 8080
`;

const secret = (password: string) => `apiVersion: v1
kind: Secret
metadata:
  name: web-db
type: Opaque
stringData:
  password: ${password}
`;

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const rv = async (o: { apiVersion: string; kind: string; name: string; namespace?: string }) =>
  (await client.get(o.apiVersion, o.kind, o.name, o.namespace).catch(() => undefined))?.metadata.resourceVersion;

before(async () => {
  sandbox = await startSandbox({ dataDir: join(dir, 'cluster'), listen: '127.0.0.1:0', durability: 'normal' });
  client = await KubeClient.fromKubeconfig({ path: sandbox.kubeconfigPath });
  admission = await startAdmissionServer({
    dataDir: join(dir, 'admission'),
    host: '127.0.0.1',
    port: 0,
    kubeconfig: sandbox.kubeconfigPath,
    auditIntervalMs: 0,
    exemptNamespaces: ['kube-system'],
  });
  await client.create(TEMPLATE as unknown as KubeObject);
  await until('the constraint CRD', () =>
    client.resourceFor('constraints.gatekeeper.sh/v1beta1', 'K8sPSPPrivilegedContainer').catch(() => undefined),
  );
  await client.create(CONSTRAINT as unknown as KubeObject);
  await until('the webhook to learn the constraint', () =>
    admission.engine.allConstraints().some((c) => c.name === 'psp-privileged-container') ? true : undefined,
  );

  // the config repo: a kustomize app deployed by an Application, a plain folder with a Pod, and a new app
  repo = new Repo(dir);
  repo
    .write('apps/web/deploy.yaml', deployment('reg.local/web'))
    .write('apps/web/secret.yaml', secret('new-password-2'))
    .write(
      'apps/web/kustomization.yaml',
      'resources:\n  - deploy.yaml\n  - secret.yaml\nimages:\n  - name: reg.local/web\n    newTag: "1.0"\n',
    )
    .write(
      'apps/debug/pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: default\nspec:\n  containers:\n    - name: shell\n      image: reg.local/tools:1.0\n      securityContext:\n        privileged: true\n',
    )
    .write(
      'apps/fresh/deploy.yaml',
      deployment('reg.local/api:1.0').replace('name: web\n  labels', 'name: api\n  namespace: fresh\n  labels'),
    )
    .write(
      'apps/widgets/crd.yaml',
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.test\nspec:\n  group: example.test\n  scope: Namespaced\n  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n',
    )
    .write(
      'apps/widgets/objects.yaml',
      'apiVersion: example.test/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  image: reg.local/widget:1.0\n---\napiVersion: example.test/v1\nkind: Gadget\nmetadata:\n  name: g1\n',
    )
    .commit('initial');

  // the cluster as the controller left it after syncing apps/web at tag 1.0 (plus a ConfigMap it still tracks)
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  await client.create(applicationCrd());
  await until('the Application CRD', () => client.resourceFor(API_VERSION, 'Application').catch(() => undefined));
  const tracked = (o: KubeObject): KubeObject => ({
    ...o,
    metadata: {
      ...o.metadata,
      namespace: 'shop',
      annotations: {
        [TRACKING_ANNOTATION]: trackingId('web', { ...o, metadata: { ...o.metadata, namespace: 'shop' } }),
      },
    },
  });
  const { parse } = await import('yaml');
  for (const o of [
    parse(deployment('reg.local/web:1.0')) as KubeObject,
    parse(secret('old-password-1')) as KubeObject,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-legacy' }, data: { a: 'b' } } as KubeObject,
  ])
    await client.apply(tracked(o), { fieldManager: FIELD_MANAGER, force: true });
  const app = application('web', 'sekisho-gitops', {
    project: 'default',
    source: { repoURL: repo.url, path: 'apps/web', targetRevision: 'main' },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'shop' },
    syncPolicy: { syncOptions: ['CreateNamespace=true'] },
  });
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sekisho-gitops' } });
  // the Application CRD has no status subresource (as Argo CD's): the status is written with the object
  await client.create({
    ...(app as unknown as KubeObject),
    status: {
      resources: [
        { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
        { group: '', version: 'v1', kind: 'Secret', namespace: 'shop', name: 'web-db' },
        { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'web-legacy' },
      ],
    },
  });
});

after(async () => {
  await admission?.close();
  client?.close();
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

const promoteTo = (path: string, image: string) =>
  promote({
    repo: repo.dir,
    path,
    images: [parseImageUpdate(image)],
    dataDir: join(dir, 'data'),
    store,
    whatIf: { client },
  });

const resource = (cr: ChangeRequest | undefined, kind: string, name: string) => {
  const r = cr?.status?.whatIf?.resources.find((x) => x.kind === kind && x.name === name);
  assert.ok(r, `no ${kind} ${name} in ${JSON.stringify(cr?.status?.whatIf, null, 1)}`);
  return r;
};

test('an image bump is an update with only the image line in the diff; Secret values never appear; pruned objects show as delete; nothing is written', async () => {
  const keys = [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
    { apiVersion: 'v1', kind: 'Secret', name: 'web-db', namespace: 'shop' },
    { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-legacy', namespace: 'shop' },
  ];
  const before = await Promise.all(keys.map(rv));
  const started = performance.now();
  const r = await promoteTo('apps/web', `reg.local/web=reg.local/web@${D1}`);
  const ms = performance.now() - started;
  const w = r.changeRequest?.status?.whatIf;
  assert.ok(w, 'the what-if was recorded');
  assert.equal(w.result, 'Passed', JSON.stringify(w));
  assert.equal(w.commit, r.commit);
  assert.equal(w.cluster, client.server);
  const dep = resource(r.changeRequest, 'Deployment', 'web');
  assert.equal(dep.action, 'update');
  assert.equal(dep.namespace, 'shop', "the Application's destination namespace");
  const changed = dep.diff!.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
  assert.deepEqual(changed, ['-        - image: reg.local/web:1.0', `+        - image: reg.local/web@${D1}`], dep.diff);
  const sec = resource(r.changeRequest, 'Secret', 'web-db');
  assert.equal(sec.action, 'update');
  const all = JSON.stringify(w);
  for (const s of ['old-password-1', 'new-password-2'])
    for (const v of [s, Buffer.from(s).toString('base64')]) assert.ok(!all.includes(v), `${v} leaked: ${all}`);
  assert.equal(resource(r.changeRequest, 'ConfigMap', 'web-legacy').action, 'delete');
  // nothing was written
  assert.deepEqual(await Promise.all(keys.map(rv)), before);
  const live = await client.get('apps/v1', 'Deployment', 'web', 'shop');
  assert.equal(
    (live.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image,
    'reg.local/web:1.0',
  );
  process.stderr.write(`what-if (promote with preview, 3 objects): ${ms.toFixed(0)} ms\n`);

  // the same promotion again: same head, the preview is kept, not redone
  const again = await promoteTo('apps/web', `reg.local/web=reg.local/web@${D1}`);
  assert.equal(again.changeRequest?.status?.whatIf?.checkedAt, w.checkedAt);
  assert.equal((await store.list()).filter((c) => c.metadata.name === r.changeRequest!.metadata.name).length, 1);
  // the preview alone (render + dry-runs of 3 objects and the prune), as `sekisho cr whatif` runs it
  const t0 = performance.now();
  const again2 = await refreshWhatIf(r.changeRequest!.metadata.name, { store, dataDir: join(dir, 'data'), client });
  process.stderr.write(
    `what-if refresh (kustomize render, 3 objects + 1 prune): ${(performance.now() - t0).toFixed(0)} ms\n`,
  );
  assert.deepEqual(
    again2.status?.whatIf?.resources.map((x) => [x.kind, x.action]),
    w.resources.map((x) => [x.kind, x.action]),
  );
  assert.deepEqual(await Promise.all(keys.map(rv)), before);
});

test('a privileged Pod is Denied with the constraint message and the webhook name', async () => {
  const r = await promoteTo('apps/debug', `reg.local/tools=reg.local/tools@${D2}`);
  const w = r.changeRequest?.status?.whatIf;
  assert.equal(w?.result, 'Denied', JSON.stringify(w));
  assert.equal(w.denials.length, 1);
  const d = w.denials[0]!;
  assert.equal(d.kind, 'Pod');
  assert.equal(d.name, 'debug');
  assert.equal(d.namespace, 'default');
  assert.match(d.message, /\[psp-privileged-container\] Privileged container is not allowed: shell, securityContext/);
  assert.equal(d.webhook, 'validation.gatekeeper.sh');
  const pod = resource(r.changeRequest, 'Pod', 'debug');
  assert.equal(pod.action, 'create');
  assert.match(pod.diff!, new RegExp(`\\+ +- image: reg\\.local/tools@${D2}`), 'the refused change is shown');
  assert.equal(await rv({ apiVersion: 'v1', kind: 'Pod', name: 'debug', namespace: 'default' }), undefined);
});

test('a new namespace and Deployment are both create; after the namespace appears a refresh dry-runs the Deployment on the server', async () => {
  const r = await promoteTo('apps/fresh', `reg.local/api=reg.local/api@${D3}`);
  const w = r.changeRequest?.status?.whatIf;
  assert.equal(w?.result, 'Passed', JSON.stringify(w));
  assert.equal(resource(r.changeRequest, 'Namespace', 'fresh').action, 'create');
  const dep = resource(r.changeRequest, 'Deployment', 'api');
  assert.equal(dep.action, 'create');
  assert.match(dep.diff!, new RegExp(`\\+ +- image: reg\\.local/api@${D3}`));
  assert.equal(await rv({ apiVersion: 'v1', kind: 'Namespace', name: 'fresh' }), undefined, 'no namespace created');
  assert.equal(await rv({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'fresh' }), undefined);

  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } });
  const refreshed = await refreshWhatIf(r.changeRequest!.metadata.name, { store, dataDir: join(dir, 'data'), client });
  const w2 = refreshed.status?.whatIf;
  assert.equal(w2?.result, 'Passed', JSON.stringify(w2));
  assert.notEqual(w2.checkedAt, undefined);
  assert.equal(
    w2.resources.some((x) => x.kind === 'Namespace'),
    false,
    'the namespace exists now',
  );
  const dep2 = resource(refreshed, 'Deployment', 'api');
  assert.equal(dep2.action, 'create');
  assert.equal(w2.message, undefined, 'dry-run on the server this time');
  assert.equal((await store.get(refreshed.metadata.name))?.status?.whatIf?.checkedAt, w2.checkedAt);
  assert.equal(await rv({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'fresh' }), undefined);
});

const bin = fileURLToPath(new URL('../../bin/sekisho.js', import.meta.url));
const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [bin, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );

test('sekisho cr whatif refreshes the preview; cr show prints it as text and JSON', async () => {
  const name = (await store.list()).find((c) => c.spec.paths.includes('apps/debug'))!.metadata.name;
  const before = (await store.get(name))!.status!.whatIf!.checkedAt;
  const w = await cli([
    'cr',
    'whatif',
    name,
    '--data-dir',
    join(dir, 'data'),
    '--target-kubeconfig',
    sandbox.kubeconfigPath,
  ]);
  assert.equal(w.code, 1, w.stderr + w.stdout);
  assert.match(w.stdout, /^what-if: {2}Denied on https:\/\/127\.0\.0\.1:\d+ at [0-9a-f]{12} /);
  assert.match(
    w.stdout,
    /DENIED {4}Pod default\/debug by validation\.gatekeeper\.sh: \[psp-privileged-container\] Privileged container/,
  );
  assert.notEqual((await store.get(name))!.status!.whatIf!.checkedAt, before, 'recorded again');
  const show = await cli(['cr', 'show', name, '--data-dir', join(dir, 'data')]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /what-if: {2}Denied/);
  assert.match(show.stdout, /create {4}Pod default\/debug/);
  const json = await cli(['cr', 'show', name, '--data-dir', join(dir, 'data'), '-o', 'json']);
  const cr = JSON.parse(json.stdout) as ChangeRequest;
  assert.equal(cr.status?.whatIf?.result, 'Denied');
  assert.equal(cr.status?.whatIf?.denials[0]?.webhook, 'validation.gatekeeper.sh');
  // no target cluster: a clear error
  const none = await cli(['cr', 'whatif', name, '--data-dir', join(dir, 'data')]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /needs the target cluster/);
});

test('the promote step with whatif: true records the preview and fails on a denial', async () => {
  const ws = join(dir, 'ws');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(ws, { recursive: true });
  const D4 = 'sha256:' + '4d'.repeat(32);
  const run = await runText(
    ws,
    HEAD +
      '  steps:\n    - id: promote\n      uses: promote\n      with:\n' +
      `        repo: ${JSON.stringify(repo.dir)}\n        path: apps/debug\n` +
      `        image: "reg.local/tools=reg.local/tools@${D4}"\n` +
      `        whatif: true\n        kubeconfig: ${JSON.stringify(sandbox.kubeconfigPath)}\n`,
    { services: services({ dataDir: join(dir, 'data'), changeRequests: store }) },
  );
  const step = stepOf(run, 'promote');
  assert.equal(step.outputs?.['whatif'], 'Denied', JSON.stringify(step));
  assert.equal(step.phase, 'Failed');
  assert.match(step.message ?? '', /what-if Denied on change request .*: Pod debug: \[psp-privileged-container\]/);
  const cr = await store.get(step.outputs!['change-request']!);
  assert.equal(cr?.status?.whatIf?.result, 'Denied');
});

test('a kind whose CRD comes with the change is create without a server dry-run; an unknown kind is an Error naming it', async () => {
  // straight through whatIfPreview on a checkout (promotion only edits container images)
  const head = repo.git('rev-parse', 'HEAD');
  const cr = {
    apiVersion: 'ci.sekisho.dev/v1alpha1',
    kind: 'ChangeRequest',
    metadata: { name: 'widgets' },
    spec: {
      repo: repo.dir,
      base: 'main',
      head: 'main',
      title: 't',
      description: '',
      images: [],
      paths: ['apps/widgets'],
    },
    status: { phase: 'Open', headCommit: head, baseCommit: head, changedFiles: [], approvals: [] },
  } satisfies ChangeRequest;
  const w = await whatIfPreview({ changeRequest: cr, root: repo.dir, client });
  const r = { changeRequest: { ...cr, status: { ...cr.status, whatIf: w } } as ChangeRequest };
  assert.equal(w.result, 'Error', JSON.stringify(w));
  assert.match(w.message!, /Gadget g1: no matches for kind "Gadget" in version "example\.test\/v1"/);
  assert.match(w.message!, /Widget default\/w1: its CustomResourceDefinition is created by this change/);
  assert.equal(resource(r.changeRequest, 'CustomResourceDefinition', 'widgets.example.test').action, 'create');
  const widget = resource(r.changeRequest, 'Widget', 'w1');
  assert.equal(widget.action, 'create');
  assert.equal(widget.namespace, 'default');
  assert.equal(
    await rv({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.example.test' }),
    undefined,
  );
});

test('sekisho promote --whatif records the preview and prints it', async () => {
  const D5 = 'sha256:' + '5e'.repeat(32);
  const r = await cli([
    'promote',
    '--repo',
    repo.dir,
    '--path',
    'apps/web',
    '--image',
    `reg.local/web=reg.local/web@${D5}`,
    '--data-dir',
    join(dir, 'data'),
    '--whatif',
    '--target-kubeconfig',
    sandbox.kubeconfigPath,
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /what-if: {2}Passed on https:\/\/127\.0\.0\.1:\d+/);
  assert.match(r.stdout, /update {4}Deployment shop\/web/);
  assert.match(r.stdout, /delete {4}ConfigMap shop\/web-legacy/);
  assert.ok(r.stdout.includes(`+        - image: reg.local/web@${D5}`), r.stdout);
  assert.ok(!r.stdout.includes('new-password-2') && !r.stdout.includes('old-password-1'));
});
