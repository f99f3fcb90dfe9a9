// The client against a real sandbox: kubeconfig loading, discovery of a new CRD, CRUD, server-side
// apply with conflicts and force, dry-run, list pagination, watch with 410 Gone, and the informer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, KubeError, Informer, type KubeObject } from './index.ts';
import { startSandbox, type Sandbox } from '../sandbox/index.ts';

let sb: Sandbox;
let dir: string;
let client: KubeClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sekisho-kube-'));
  sb = await startSandbox({ dataDir: dir, durability: 'normal' });
  client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
});
after(async () => {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

test('kubeconfig written by the sandbox authenticates; a bad token is refused with 401', async () => {
  const ns = await client.get('v1', 'Namespace', 'default');
  assert.equal(ns.metadata.name, 'default');
  const { readFileSync } = await import('node:fs');
  const bad = readFileSync(sb.kubeconfigPath, 'utf8').replace(/token: .*/, 'token: wrong');
  const other = await KubeClient.fromKubeconfig({ content: bad });
  await assert.rejects(
    other.get('v1', 'Namespace', 'default'),
    (e: unknown) => e instanceof KubeError && e.status === 401,
  );
});

test('create, get, replace with optimistic concurrency, delete', async () => {
  const created = await client.create(cm('c1', { a: '1' }));
  assert.ok(created.metadata.uid);
  const stale = { ...created, data: { a: '2' } };
  await client.replace(stale);
  await assert.rejects(
    client.replace({ ...created, data: { a: '3' } }),
    (e: unknown) => e instanceof KubeError && e.status === 409 && e.reason === 'Conflict',
  );
  await client.delete('v1', 'ConfigMap', 'c1', 'default');
  await assert.rejects(
    client.get('v1', 'ConfigMap', 'c1', 'default'),
    (e: unknown) => e instanceof KubeError && e.status === 404,
  );
});

test('server-side apply: conflict between managers, force takes ownership, dry-run writes nothing', async () => {
  await client.apply(cm('ssa', { a: '1', b: '2' }), { fieldManager: 'alpha' });
  await assert.rejects(
    client.apply(cm('ssa', { a: 'x' }), { fieldManager: 'beta' }),
    (e: unknown) => e instanceof KubeError && e.status === 409 && /conflict with "alpha"/.test(e.message),
  );
  const dry = await client.apply(cm('ssa', { a: 'x' }), { fieldManager: 'beta', force: true, dryRun: true });
  assert.equal((dry as KubeObject & { data: Record<string, string> }).data.a, 'x');
  assert.equal(
    ((await client.get('v1', 'ConfigMap', 'ssa', 'default')) as KubeObject & { data: Record<string, string> }).data.a,
    '1',
  );
  const forced = await client.apply(cm('ssa', { a: 'x' }), { fieldManager: 'beta', force: true });
  const managers = (forced.metadata.managedFields ?? [])
    .map(
      (m) =>
        `${m.manager}:${Object.keys((m.fieldsV1['f:data'] ?? {}) as object)
          .sort()
          .join(',')}`,
    )
    .sort();
  assert.deepEqual(managers, ['alpha:f:b', 'beta:f:a']);
});

test('list pagination with limit/continue returns every object once', async () => {
  for (let i = 0; i < 7; i++) await client.create(cm(`page-${i}`, { i: String(i) }));
  const first = await client.list('v1', 'ConfigMap', { namespace: 'default', labelSelector: '', limit: 3 });
  assert.equal(first.items.length, 3);
  assert.ok(first.metadata.continue);
  const all = await client.listAll('v1', 'ConfigMap', { namespace: 'default', limit: 3 });
  const names = all.items.map((o) => o.metadata.name).filter((n) => n?.startsWith('page-'));
  assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
});

test('a CRD becomes a served resource the client discovers', async () => {
  await client.create({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.test.sekisho.dev' },
    spec: {
      group: 'test.sekisho.dev',
      scope: 'Namespaced',
      names: { kind: 'Gadget', plural: 'gadgets' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { n: { type: 'integer' } } } },
            },
          },
        },
      ],
    },
  });
  const g = await client.create({
    apiVersion: 'test.sekisho.dev/v1',
    kind: 'Gadget',
    metadata: { name: 'g1', namespace: 'default' },
    spec: { n: 1 },
  });
  assert.equal(g.kind, 'Gadget');
  await assert.rejects(
    client.create({
      apiVersion: 'test.sekisho.dev/v1',
      kind: 'Gadget',
      metadata: { name: 'g2', namespace: 'default' },
      spec: { n: 'one' },
    }),
    (e: unknown) => e instanceof KubeError && e.status === 422,
  );
});

test('watch from a resourceVersion streams later changes; a too-old version gets 410 Gone; the informer follows', async () => {
  const list = await client.list('v1', 'ConfigMap', { namespace: 'default' });
  const ac = new AbortController();
  const seen: string[] = [];
  const stream = client.watch('v1', 'ConfigMap', {
    namespace: 'default',
    resourceVersion: list.metadata.resourceVersion!,
    signal: ac.signal,
  });
  const inf = new Informer(client, 'v1', 'ConfigMap', { namespace: 'default' });
  const informerSaw: string[] = [];
  let sawDelete!: () => void;
  const deleted = new Promise<void>((r) => (sawDelete = r));
  inf
    .on('add', (o) => informerSaw.push(`add:${o.metadata.name}`))
    .on('delete', (o) => {
      informerSaw.push(`delete:${o.metadata.name}`);
      if (o.metadata.name === 'w1') sawDelete();
    });
  await inf.start();
  await client.create(cm('w1', { a: '1' }));
  await client.delete('v1', 'ConfigMap', 'w1', 'default');
  for await (const ev of stream) {
    seen.push(`${ev.type}:${ev.object.metadata.name}`);
    if (seen.length === 2) break;
  }
  ac.abort();
  assert.deepEqual(seen, ['ADDED:w1', 'DELETED:w1']);
  await deleted;
  assert.ok(informerSaw.includes('add:w1'), informerSaw.join(','));
  assert.equal(inf.get('w1', 'default'), undefined);
  inf.stop();
  // after a restart the event window starts at the current resourceVersion: older watches get 410
  await sb.close();
  sb = await startSandbox({ dataDir: dir, durability: 'normal' });
  client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
  assert.ok(await client.get('v1', 'ConfigMap', 'ssa', 'default'));
  const gone: string[] = [];
  for await (const ev of client.watch('v1', 'ConfigMap', { namespace: 'default', resourceVersion: '1' })) {
    gone.push(ev.type);
    assert.equal((ev.object as unknown as { code: number }).code, 410);
  }
  assert.deepEqual(gone, ['ERROR']);
});

test('a kept-alive socket the server drops as it is reused: the request goes again on a new socket, once', async () => {
  const { createServer } = await import('node:https');
  const { ensureTls } = await import('../sandbox/tls.ts');
  const tls = await ensureTls(mkdtempSync(join(dir, 'tls-')));
  let requests = 0;
  const sockets = new Set<unknown>();
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    requests++;
    // the second request on the first connection meets a server that closes it without answering
    if (sockets.has(req.socket) && requests === 2) {
      req.socket.destroy();
      return;
    }
    sockets.add(req.socket);
    res.setHeader('content-type', 'text/plain');
    res.end(`answer ${requests}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kc = `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: ${Buffer.from(tls.caCert).toString('base64')}}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;
  const c = await KubeClient.fromKubeconfig({ content: kc });
  try {
    assert.equal(await c.requestText('/healthz'), 'answer 1');
    assert.equal(await c.requestText('/healthz'), 'answer 3', 'sent again after the dropped one');
    assert.equal(requests, 3);
  } finally {
    c.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
