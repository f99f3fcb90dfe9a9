// What the what-if relies on in the sandbox: a server-side apply with dryRun=All goes through the validating
// webhooks whose sideEffects are None or NoneOnDryRun (the review says dryRun: true and a denial comes back
// as the 4xx Status), and, as kube-apiserver does, a dry-run that a webhook with sideEffects Some/Unknown
// would see is refused without calling it; nothing is stored either way.
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
const dir = mkdtempSync(join(tmpdir(), 'sekisho-whatif-dryrun-'));
const calls: Array<{ path: string; name: string; dryRun: boolean }> = [];

before(async () => {
  const ca = await generateCa('whatif-webhook-ca');
  const cert = await issueServingCert(ca, 'webhook', ['localhost'], ['127.0.0.1']);
  caBundle = Buffer.from(ca.cert).toString('base64');
  hook = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r = (JSON.parse(body) as { request: { uid: string; name: string; dryRun: boolean; object?: KubeObject } })
        .request;
      calls.push({ path: req.url ?? '', name: r.name, dryRun: r.dryRun });
      const deny = r.object?.metadata.labels?.deny === 'yes';
      const response = deny
        ? { uid: r.uid, allowed: false, status: { code: 403, message: `${req.url} refuses deny=yes` } }
        : { uid: r.uid, allowed: true };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `https://127.0.0.1:${(hook.address() as { port: number }).port}`;
  sb = await startSandbox({ dataDir: dir, durability: 'normal' });
  client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
  const webhook = (name: string, path: string, sideEffects: string, label: string) => ({
    name,
    clientConfig: { url: `${hookUrl}${path}`, caBundle },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
    objectSelector: { matchLabels: { [label]: 'on' } },
    sideEffects,
    admissionReviewVersions: ['v1'],
    failurePolicy: 'Fail',
    timeoutSeconds: 5,
  });
  await client.create({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'whatif-test' },
    webhooks: [
      webhook('none.test.sekisho.dev', '/none', 'None', 'none'),
      webhook('dryrun.test.sekisho.dev', '/dryrun', 'NoneOnDryRun', 'dryrun'),
      webhook('some.test.sekisho.dev', '/some', 'Some', 'some'),
    ],
  } as unknown as KubeObject);
});

after(async () => {
  client?.close();
  await sb?.close();
  hook?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cm = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', labels },
  data: { a: '1' },
});
const dryApply = (o: KubeObject) => client.apply(o, { fieldManager: 'whatif-test', force: true, dryRun: true });
const stored = (name: string) =>
  client.get('v1', 'ConfigMap', name, 'default').then(
    () => true,
    () => false,
  );

test('dry-run apply calls webhooks with sideEffects None and NoneOnDryRun, and their denial comes back', async () => {
  for (const [label, path] of [
    ['none', '/none'],
    ['dryrun', '/dryrun'],
  ] as const) {
    const ok = await dryApply(cm(`ok-${label}`, { [label]: 'on' }));
    assert.equal(ok.metadata.name, `ok-${label}`);
    assert.ok(calls.some((c) => c.path === path && c.name === `ok-${label}` && c.dryRun));
    await assert.rejects(dryApply(cm(`bad-${label}`, { [label]: 'on', deny: 'yes' })), (e: unknown) => {
      assert.ok(e instanceof KubeError);
      assert.equal(e.status, 403);
      assert.match(
        e.message,
        new RegExp(`admission webhook "${label}.test.sekisho.dev" denied the request: ${path} refuses deny=yes`),
      );
      return true;
    });
    assert.equal(await stored(`ok-${label}`), false, 'a dry-run stores nothing');
  }
});

test('a dry-run a webhook with side effects would see is refused without calling it; a real write calls it', async () => {
  const before = calls.length;
  await assert.rejects(dryApply(cm('side', { some: 'on' })), (e: unknown) => {
    assert.ok(e instanceof KubeError);
    assert.equal(e.status, 400);
    assert.match(e.message, /admission webhook "some.test.sekisho.dev" does not support dry run/);
    return true;
  });
  assert.equal(calls.filter((c) => c.path === '/some').length, 0);
  assert.equal(calls.length, before);
  await client.apply(cm('side', { some: 'on' }), { fieldManager: 'whatif-test' });
  assert.ok(calls.some((c) => c.path === '/some' && c.name === 'side' && !c.dryRun));
});
