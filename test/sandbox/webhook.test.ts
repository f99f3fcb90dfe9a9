// Admission webhooks over TLS with AdmissionReview v1: a local HTTPS webhook server (certificate from
// our own CA) denies, mutates with a JSONPatch, is selected by namespaceSelector/objectSelector and
// rules, and failurePolicy decides what an unreachable webhook means.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, KubeError, type KubeObject } from '../../src/kube/index.ts';
import { generateCa, issueServingCert, startSandbox, type Sandbox } from '../../src/sandbox/index.ts';

let sb: Sandbox;
let client: KubeClient;
let hook: https.Server;
let hookUrl = '';
let caBundle = '';
const dir = mkdtempSync(join(tmpdir(), 'sekisho-webhook-'));
const reviews: { path: string; operation: string; kind: string; name: string; dryRun: boolean }[] = [];

before(async () => {
  const ca = await generateCa('test-webhook-ca');
  const cert = await issueServingCert(ca, 'webhook', ['localhost'], ['127.0.0.1']);
  caBundle = Buffer.from(ca.cert).toString('base64');
  hook = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const review = JSON.parse(body) as {
        request: {
          uid: string;
          operation: string;
          kind: { kind: string };
          name: string;
          object?: KubeObject;
          dryRun: boolean;
        };
      };
      const r = review.request;
      reviews.push({ path: req.url ?? '', operation: r.operation, kind: r.kind.kind, name: r.name, dryRun: r.dryRun });
      let response: Record<string, unknown> = { uid: r.uid, allowed: true };
      if (req.url === '/deny' && r.object?.metadata.labels?.forbidden === 'true')
        response = {
          uid: r.uid,
          allowed: false,
          status: { code: 403, message: 'objects labelled forbidden=true are not admitted' },
        };
      if (req.url === '/mutate') {
        const patch = [{ op: 'add', path: '/metadata/annotations', value: { 'mutated-by': 'test-webhook' } }];
        response = {
          uid: r.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          warnings: ['mutated for the test'],
        };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `https://127.0.0.1:${(hook.address() as { port: number }).port}`;
  sb = await startSandbox({ dataDir: dir, durability: 'normal' });
  client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
  await client.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'guarded', labels: { admission: 'on' } },
  });
});

after(async () => {
  await sb.close();
  hook.close();
  rmSync(dir, { recursive: true, force: true });
});

const cm = (name: string, ns: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels },
  data: { a: '1' },
});

test('a validating webhook denies by its rules and namespaceSelector; others pass untouched', async () => {
  await client.create({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'deny-forbidden' },
    webhooks: [
      {
        name: 'deny.test.sekisho.dev',
        clientConfig: { url: `${hookUrl}/deny`, caBundle },
        rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
        namespaceSelector: { matchLabels: { admission: 'on' } },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        failurePolicy: 'Fail',
        timeoutSeconds: 5,
      },
    ],
  });
  await assert.rejects(client.create(cm('bad', 'guarded', { forbidden: 'true' })), (e: unknown) => {
    assert.ok(e instanceof KubeError);
    assert.equal(e.status, 403);
    assert.match(
      e.message,
      /admission webhook "deny.test.sekisho.dev" denied the request: objects labelled forbidden=true are not admitted/,
    );
    return true;
  });
  await client.create(cm('good', 'guarded'));
  // outside the selected namespace the webhook is not called at all
  const before = reviews.length;
  await client.create(cm('bad', 'default', { forbidden: 'true' }));
  assert.equal(reviews.length, before);
  // Secrets are not in the rules
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'guarded', labels: { forbidden: 'true' } },
  });
  assert.ok(reviews.some((r) => r.path === '/deny' && r.operation === 'CREATE' && r.name === 'good'));
  await client.delete('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'deny-forbidden');
});

test('a mutating webhook patches objects selected by objectSelector, also on dry-run', async () => {
  await client.create({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'annotate' },
    webhooks: [
      {
        name: 'mutate.test.sekisho.dev',
        clientConfig: { url: `${hookUrl}/mutate`, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }],
        objectSelector: { matchExpressions: [{ key: 'mutate', operator: 'Exists' }] },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
      },
    ],
  });
  const dry = await client.create(cm('m-dry', 'default', { mutate: 'yes' }), { dryRun: true });
  assert.equal(dry.metadata.annotations?.['mutated-by'], 'test-webhook');
  assert.ok(reviews.some((r) => r.name === 'm-dry' && r.dryRun));
  await assert.rejects(client.get('v1', 'ConfigMap', 'm-dry', 'default'));
  const real = await client.create(cm('m1', 'default', { mutate: 'yes' }));
  assert.equal(real.metadata.annotations?.['mutated-by'], 'test-webhook');
  const plain = await client.create(cm('m2', 'default'));
  assert.equal(plain.metadata.annotations, undefined);
  await client.delete('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'annotate');
});

test('failurePolicy: an unreachable webhook rejects with Fail and is skipped with Ignore', async () => {
  const unreachable = 'https://127.0.0.1:1/nothing';
  const cfg = (policy: 'Fail' | 'Ignore') => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: `down-${policy.toLowerCase()}` },
    webhooks: [
      {
        name: `down-${policy.toLowerCase()}.test.sekisho.dev`,
        clientConfig: { url: unreachable, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        failurePolicy: policy,
        timeoutSeconds: 2,
      },
    ],
  });
  await client.create(cfg('Ignore'));
  await client.create(cm('while-ignored', 'default'));
  await client.create(cfg('Fail'));
  await assert.rejects(
    client.create(cm('while-failing', 'default')),
    (e: unknown) =>
      e instanceof KubeError &&
      e.status === 500 &&
      /failed calling webhook "down-fail.test.sekisho.dev"/.test(e.message),
  );
  await client.delete('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'down-fail');
  await client.delete('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'down-ignore');
});
