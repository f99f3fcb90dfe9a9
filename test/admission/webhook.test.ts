// The webhook over HTTPS without a cluster: AdmissionReview v1 in and out, fail-closed behaviour,
// exempt namespaces, DELETE reviewed through oldObject, 200 concurrent reviews.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdmissionEngine,
  ensureServingCert,
  loadFiles,
  startWebhook,
  type WebhookServer,
} from '../../src/admission/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-admission-hook-'));
let ca = '';
let hook: WebhookServer;
let throwing: WebhookServer;
let slow: WebhookServer;
let open: WebhookServer;

function post(
  url: string,
  body: unknown,
): Promise<{
  status: number;
  json: {
    response: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[] };
  };
}> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request(
      `${url}/v1/admit`,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as never }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const review = (uid: string, ns: string, labels: Record<string, string>, operation = 'CREATE') => {
  const obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'p',
      namespace: ns,
      operation,
      userInfo: { username: 'alice' },
      object: operation === 'DELETE' ? null : obj,
      oldObject: operation === 'CREATE' ? null : obj,
      dryRun: false,
    },
  };
};

before(async () => {
  const tls = await ensureServingCert(dir);
  ca = tls.caCert;
  const engine = new AdmissionEngine();
  await loadFiles(engine, [
    path.join(here, 'fixtures', 'requiredlabels', 'template.yaml'),
    path.join(here, 'fixtures', 'requiredlabels', 'constraint.yaml'),
  ]);
  const base = { engine, host: '127.0.0.1', port: 0, tls, exemptNamespaces: ['exempt-*'] };
  hook = await startWebhook(base);
  throwing = await startWebhook({
    ...base,
    evaluate: () => {
      throw new Error('boom');
    },
  });
  slow = await startWebhook({
    ...base,
    timeoutMs: 5,
    evaluate: (r) => {
      const end = performance.now() + 20;
      while (performance.now() < end) {
        // a policy that takes too long
      }
      return engine.review(r);
    },
  });
  open = await startWebhook({
    ...base,
    failOpen: true,
    evaluate: () => {
      throw new Error('boom');
    },
  });
});

after(async () => {
  await Promise.all([hook.close(), throwing.close(), slow.close(), open.close()]);
  rmSync(dir, { recursive: true, force: true });
});

test('deny: 403 with [constraint] msg lines; allow echoes the uid', async () => {
  const bad = await post(hook.url, review('u1', 'default', { owner: 'x' }));
  assert.equal(bad.status, 200);
  assert.deepEqual(bad.json.response.uid, 'u1');
  assert.equal(bad.json.response.allowed, false);
  assert.equal(bad.json.response.status?.code, 403);
  assert.equal(bad.json.response.status?.message, '[must-have-owner] rego: missing labels: team');
  const good = await post(hook.url, review('u2', 'default', { owner: 'x', team: 'y' }));
  assert.deepEqual(good.json.response, { uid: 'u2', allowed: true });
});

test('exempt namespaces are allowed untouched; excludedNamespaces of the constraint too', async () => {
  assert.equal((await post(hook.url, review('u3', 'exempt-a', {}))).json.response.allowed, true);
  assert.equal((await post(hook.url, review('u4', 'kube-system', {}))).json.response.allowed, true);
});

test('DELETE is reviewed with the old object as object (Gatekeeper)', async () => {
  const r = await post(hook.url, review('u5', 'default', {}, 'DELETE'));
  assert.equal(r.json.response.allowed, false);
  assert.match(r.json.response.status?.message ?? '', /missing labels: owner, team/);
});

test('fail closed: evaluation errors and deadline overruns deny with a clear message; fail open allows', async () => {
  const e = await post(throwing.url, review('u6', 'default', { owner: 'x', team: 'y' }));
  assert.equal(e.json.response.allowed, false);
  assert.equal(e.json.response.status?.code, 500);
  assert.match(e.json.response.status?.message ?? '', /boom/);
  const s = await post(slow.url, review('u7', 'default', { owner: 'x', team: 'y' }));
  assert.equal(s.json.response.allowed, false);
  assert.match(s.json.response.status?.message ?? '', /exceeded the 5 ms deadline/);
  assert.equal((await post(open.url, review('u8', 'default', {}))).json.response.allowed, true);
  assert.ok(throwing.metrics.requests('error') >= 1);
});

test('200 concurrent reviews are all answered correctly', async () => {
  const rs = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      post(hook.url, review(`c${i}`, 'default', i % 2 ? { owner: 'a', team: 'b' } : {})),
    ),
  );
  rs.forEach((r, i) => {
    assert.equal(r.json.response.uid, `c${i}`);
    assert.equal(r.json.response.allowed, i % 2 === 1);
  });
});

test('bad requests: 400 for invalid JSON', async () => {
  const bad = await new Promise<number>((resolve, reject) => {
    const req = https.request(
      `${hook.url}/v1/admit`,
      { method: 'POST', ca },
      (res) => (res.resume(), resolve(res.statusCode ?? 0)),
    );
    req.on('error', reject);
    req.end('{nope');
  });
  assert.equal(bad, 400);
});
