// End to end on the sandbox: the embedded registry with a signed and an unsigned image, the admission
// webhook (in-process, registered with the sandbox) with a ClusterImagePolicy, and the GitOps controller
// with an AppProject that requires signed manifests (key from a k8s:// Secret) and signed images.
// An unsigned image is denied at admission and a signed one admitted; an unsigned manifest stops a sync
// with a SignatureVerificationFailed condition and nothing applied; so does a signed manifest whose
// image is unsigned; signed ones sync.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, KubeError } from '../../src/kube/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { RegistryClient } from '../../src/oci/index.ts';
import { signImage, signManifest } from '../../src/sign/index.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/index.ts';
import {
  API_VERSION,
  SIGNATURE_CONDITION,
  spawnRunner,
  startController,
  type Application,
  type Controller,
} from '../../src/gitops/index.ts';
import { startEmbedded, type EmbeddedRegistry } from '../oci/helpers.ts';
import { application, deployment, getOrUndefined, Repo, waitApp } from '../gitops/helpers.ts';
import { pushImage, testKey } from './helpers.ts';

const IN_CLUSTER = 'https://kubernetes.default.svc';
const imageKey = testKey();
const manifestKey = testKey();
const dir = mkdtempSync(join(tmpdir(), 'sekisho-gates-e2e-'));
let reg: EmbeddedRegistry;
let sandbox: Sandbox;
let client: KubeClient;
let admission: AdmissionServer;
let ctl: Controller;
let signedImage = '';
let unsignedImage = '';

before(async () => {
  reg = await startEmbedded();
  const rc = new RegistryClient({ host: reg.host });
  const d1 = await pushImage(rc, 'shop/web', 'v1', 'signed');
  const d2 = await pushImage(rc, 'shop/web', 'v2', 'unsigned');
  await signImage({ client: rc, registry: reg.host, repository: 'shop/web', ref: 'v1' }, imageKey.signer);
  signedImage = `${reg.host}/shop/web:v1`;
  unsignedImage = `${reg.host}/shop/web:v2`;
  assert.notEqual(d1, d2);
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
  ctl = await startController({
    client,
    dataDir: join(dir, 'controller'),
    resync: 60_000,
    waitTimeoutMs: 20_000,
    run: spawnRunner,
  });
});

after(async () => {
  await ctl?.close();
  await admission?.close();
  client?.close();
  await sandbox?.close();
  await reg?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string, image: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'main', image }] },
});

test('admission: an unsigned image is denied with the policy and reason; a signed one is admitted', async () => {
  await client.create({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: 'shop-signed' },
    spec: {
      images: [{ glob: `${reg.host}/shop/**` }],
      authorities: [{ name: 'release', key: { data: imageKey.publicKeyPem } }],
    },
  });
  // the webhook learns the policy through its watch
  for (let i = 0; i < 200 && !admission.images.policies.has('shop-signed'); i++)
    await new Promise((r) => setTimeout(r, 25));
  assert.ok(admission.images.policies.has('shop-signed'), 'the webhook saw the ClusterImagePolicy');

  await assert.rejects(
    client.create(pod('unsigned', unsignedImage)),
    (err: unknown) =>
      err instanceof KubeError &&
      err.status === 403 &&
      /\[shop-signed\] image .*shop\/web@sha256:[0-9a-f]{64} \(spec\.containers\[0\]\.image\) is not signed by any authority of the policy: authority release: NO_SIGNATURES/.test(
        err.message,
      ),
  );
  assert.equal(await getOrUndefined(client, 'v1', 'Pod', 'unsigned', 'default'), undefined);
  await client.create(pod('signed', signedImage));
  const admitted = (await getOrUndefined(client, 'v1', 'Pod', 'signed', 'default')) as
    { spec: { containers: { image: string }[] } } | undefined;
  // the mutating webhook pinned the tag to the digest that was verified (policy-controller's step)
  const digest = (await new RegistryClient({ host: reg.host }).headManifest('shop/web', 'v1'))!.digest;
  assert.equal(admitted?.spec.containers[0]!.image, `${reg.host}/shop/web@${digest}`);
  // by digest too
  await client.create(pod('by-digest', `${reg.host}/shop/web@${digest}`));
});

test('gitops: unsigned manifests and unsigned images stop the sync with a condition; signed ones sync', async () => {
  const ns = ctl.namespace;
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'manifest-signing', namespace: ns },
    data: { 'cosign.pub': Buffer.from(manifestKey.publicKeyPem).toString('base64') },
  });
  await client.create({
    apiVersion: API_VERSION,
    kind: 'AppProject',
    metadata: { name: 'signed', namespace: ns },
    spec: {
      sourceRepos: ['*'],
      destinations: [{ server: IN_CLUSTER, namespace: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      manifestVerification: { keys: [`k8s://${ns}/manifest-signing`] },
      imageVerification: [{ glob: `${reg.host}/**`, keys: [imageKey.publicKeyPem] }],
    },
  });
  const repo = new Repo(dir, 'config');
  repo.write('app/web.yaml', deployment('web', signedImage));
  const rev1 = repo.commit('unsigned manifest');
  await client.create(
    application('shop', ns, {
      project: 'signed',
      source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
      destination: { server: IN_CLUSTER, namespace: 'shop' },
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
    }),
  );
  const cond = (a: Application) => a.status?.conditions?.find((c) => c.type === SIGNATURE_CONDITION);
  let app = await waitApp(
    client,
    ns,
    'shop',
    (a) => a.status?.operationState?.syncResult?.revision === rev1 && !!cond(a),
    'sync of the unsigned manifest refused',
  );
  assert.equal(app.status?.operationState?.phase, 'Failed');
  assert.match(cond(app)!.message, /manifest Deployment\/shop\/web: NO_SIGNATURES/);
  assert.equal(await getOrUndefined(client, 'apps/v1', 'Deployment', 'web', 'shop'), undefined, 'nothing applied');

  // signed manifest, unsigned image: refused, naming the image
  repo.write('app/web.yaml', signManifest(deployment('web', unsignedImage), manifestKey.signer));
  const rev2 = repo.commit('signed manifest, unsigned image');
  ctl.refresh(ns, 'shop');
  app = await waitApp(
    client,
    ns,
    'shop',
    (a) => a.status?.operationState?.syncResult?.revision === rev2 && !!cond(a),
    'sync of the unsigned image refused',
  );
  assert.match(
    cond(app)!.message,
    /image .*shop\/web:v2 \(sha256:[0-9a-f]{64}\) in Deployment\/shop\/web spec\.template\.spec\.containers\[0\]\.image: NO_SIGNATURES/,
  );
  assert.equal(await getOrUndefined(client, 'apps/v1', 'Deployment', 'web', 'shop'), undefined, 'nothing applied');

  // signed manifest, signed image: synced, the condition is gone
  repo.write('app/web.yaml', signManifest(deployment('web', signedImage), manifestKey.signer));
  const rev3 = repo.commit('all signed');
  ctl.refresh(ns, 'shop');
  app = await waitApp(
    client,
    ns,
    'shop',
    (a) => a.status?.sync?.revision === rev3 && a.status.operationState?.phase === 'Succeeded',
    'signed sync',
  );
  assert.equal(cond(app), undefined);
  const live = await client.get('apps/v1', 'Deployment', 'web', 'shop');
  assert.ok(live.metadata.annotations?.['cosign.sigstore.dev/signature'], 'the signed object was applied as signed');
});
