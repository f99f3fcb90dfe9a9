// The signature gate against the embedded registry: signed manifests and images pass; an unsigned or
// edited manifest, an unsigned image, an image signed by another key, a missing image and a
// registry that is down are all refused with the object, image and reason named.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { RegistryClient } from '../../oci/index.ts';
import type { KubeObject } from '../../kube/index.ts';
import { ImageVerifier, signImage, signManifest } from '../../sign/index.ts';
import { TRACKING_ANNOTATION, type AppProject } from '../types.ts';
import { composeGates, signatureGate, SIGNATURE_CONDITION } from './verify-gate.ts';
import { startEmbedded, type EmbeddedRegistry } from '../../../test/oci/helpers.ts';
import { pushImage, testKey } from '../../../test/sign/helpers.ts';

const key = testKey();
const other = testKey();
let reg: EmbeddedRegistry;
let client: RegistryClient;

before(async () => {
  reg = await startEmbedded();
  client = new RegistryClient({ host: reg.host });
  await pushImage(client, 'app', 'signed', 'a');
  await pushImage(client, 'app', 'unsigned', 'b');
  await pushImage(client, 'app', 'other', 'c');
  await signImage({ client, registry: reg.host, repository: 'app', ref: 'signed' }, key.signer);
  await signImage({ client, registry: reg.host, repository: 'app', ref: 'other' }, other.signer);
});
after(async () => {
  await reg.close();
});

const project = (spec: AppProject['spec']): AppProject =>
  ({ apiVersion: 'gitops.sekisho.dev/v1alpha1', kind: 'AppProject', metadata: { name: 'p' }, spec }) as AppProject;

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
`;

/** Objects as the controller hands them to the gate: namespaced to the destination and tracked. */
function asTargets(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml).map((d) => {
    const o = d.toJS() as KubeObject;
    o.metadata.namespace ??= 'dest';
    o.metadata.annotations = {
      ...(o.metadata.annotations ?? {}),
      [TRACKING_ANNOTATION]: `app:apps/Deployment:dest/web`,
    };
    return o;
  });
}

const ctx = { app: 'app', revision: 'abc' };

test('no verification configured: no gate', () => {
  assert.equal(signatureGate(project({}), { verifier: new ImageVerifier(), destinationNamespace: 'd' }), undefined);
});

test('signed manifests pass; unsigned and edited ones are refused with the object and field', async () => {
  const gate = signatureGate(project({ manifestVerification: { keys: [key.publicKeyPem] } }), {
    verifier: new ImageVerifier(),
    destinationNamespace: 'dest',
  })!;
  const signed = signManifest(deployment('nginx:1'), key.signer);
  assert.deepEqual(await gate(asTargets(signed), ctx), { allowed: true, messages: [] });

  const unsigned = await gate(asTargets(deployment('nginx:1')), ctx);
  assert.equal(unsigned.allowed, false);
  assert.equal(unsigned.condition, SIGNATURE_CONDITION);
  assert.match(unsigned.messages[0]!, /manifest Deployment\/dest\/web: NO_SIGNATURES/);

  const edited = await gate(asTargets(signed.replace('image: nginx:1', 'image: evil:1')), ctx);
  assert.equal(edited.allowed, false);
  assert.match(edited.messages[0]!, /MANIFEST_MODIFIED: .*spec\.template\.spec\.containers\.0\.image/);

  const wrongKey = signatureGate(project({ manifestVerification: { keys: [other.publicKeyPem] } }), {
    verifier: new ImageVerifier(),
    destinationNamespace: 'dest',
  })!;
  assert.match((await wrongKey(asTargets(signed), ctx)).messages[0]!, /SIGNATURE_INVALID/);

  // a namespace the signer wrote is not one the destination may change
  const pinned = signManifest(
    deployment('nginx:1').replace('name: web\n', 'name: web\n  namespace: prod\n'),
    key.signer,
  );
  const moved = asTargets(pinned);
  moved[0]!.metadata.namespace = 'dest';
  assert.match((await gate(moved, ctx)).messages[0]!, /MANIFEST_MODIFIED: .*dest\/web is not in the signed message/);
});

test('images matching a glob must be signed by the rule keys (tags resolved to digests)', async () => {
  const verifier = new ImageVerifier();
  const gate = signatureGate(project({ imageVerification: [{ glob: `${reg.host}/**`, keys: [key.publicKeyPem] }] }), {
    verifier,
    destinationNamespace: 'dest',
  })!;
  assert.equal((await gate(asTargets(deployment(`${reg.host}/app:signed`)), ctx)).allowed, true);
  // images outside every glob are not checked
  assert.equal((await gate(asTargets(deployment('nginx:1.25')), ctx)).allowed, true);

  const u = await gate(asTargets(deployment(`${reg.host}/app:unsigned`)), ctx);
  assert.equal(u.allowed, false);
  assert.equal(u.condition, SIGNATURE_CONDITION);
  assert.match(
    u.messages[0]!,
    new RegExp(
      `image ${reg.host}/app:unsigned \\(sha256:[0-9a-f]{64}\\) in Deployment/dest/web spec\\.template\\.spec\\.containers\\[0\\]\\.image: NO_SIGNATURES`,
    ),
  );
  const o = await gate(asTargets(deployment(`${reg.host}/app:other`)), ctx);
  assert.match(o.messages[0]!, /SIGNATURE_INVALID: .*does not verify/);
  const missing = await gate(asTargets(deployment(`${reg.host}/app:nope`)), ctx);
  assert.match(missing.messages[0]!, /IMAGE_NOT_FOUND/);
});

test('a registry that cannot be reached denies (fail closed)', async () => {
  const dead = await startEmbedded();
  const host = dead.host;
  await dead.close();
  const gate = signatureGate(project({ imageVerification: [{ glob: '**', keys: [key.publicKeyPem] }] }), {
    verifier: new ImageVerifier({ registry: (h) => new RegistryClient({ host: h, maxAttempts: 1 }) }),
    destinationNamespace: 'dest',
  })!;
  const d = await gate(asTargets(deployment(`${host}/app:signed`)), ctx);
  assert.equal(d.allowed, false);
  assert.match(d.messages[0]!, /REGISTRY_UNREACHABLE: registry 127\.0\.0\.1:\d+ could not be asked/);
});

test('keys from k8s:// secrets; a missing secret denies with its name', async () => {
  const secrets: Record<string, Record<string, string>> = { 'keys/signer': { 'cosign.pub': key.publicKeyPem } };
  const mk = (ref: string) =>
    signatureGate(project({ imageVerification: [{ glob: `${reg.host}/**`, keys: [ref] }] }), {
      verifier: new ImageVerifier(),
      keys: { readSecret: async (ns, n) => secrets[`${ns}/${n}`] },
      destinationNamespace: 'dest',
    })!;
  assert.equal((await mk('k8s://keys/signer')(asTargets(deployment(`${reg.host}/app:signed`)), ctx)).allowed, true);
  const d = await mk('k8s://keys/gone')(asTargets(deployment(`${reg.host}/app:signed`)), ctx);
  assert.match(d.messages[0]!, /k8s:\/\/keys\/gone: secret keys\/gone not found/);
});

test('composeGates: the first denial wins', async () => {
  const yes = () => ({ allowed: true, messages: [] });
  const no = () => ({ allowed: false, messages: ['policy says no'] });
  assert.equal(composeGates(undefined, undefined), undefined);
  assert.deepEqual(await composeGates(yes, no)!([], ctx), { allowed: false, messages: ['policy says no'] });
  assert.deepEqual(await composeGates(yes, yes)!([], ctx), { allowed: true, messages: [] });
});
