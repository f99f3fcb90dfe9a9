// Kill -9 during a burst of writes, restart on the same data directory: every write that got a 2xx
// answer is there, with the content that was acknowledged, and resourceVersions keep increasing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { startServer } from './helpers.ts';

test('every acknowledged write survives kill -9', { timeout: 120_000 }, async () => {
  const srv = await startServer();
  const client = await KubeClient.fromKubeconfig({ path: srv.kubeconfig });
  const acked = new Map<string, { rv: number; value: string }>();
  let killed = false;
  let failures = 0;
  const killAt = 300;
  let next = 0;
  const worker = async () => {
    while (!killed && next < 5000) {
      const i = next++;
      const name = `burst-${i}`;
      try {
        // half creates, half updates of earlier objects: both must be durable
        if (i % 2 === 1 && acked.has(`burst-${i - 1}`)) {
          const prev = `burst-${i - 1}`;
          const o = await client.patch('v1', 'ConfigMap', prev, 'default', { data: { v: `updated-${i}` } }, 'merge');
          acked.set(prev, { rv: Number(o.metadata.resourceVersion), value: `updated-${i}` });
        } else {
          const o = await client.create({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace: 'default' },
            data: { v: `created-${i}` },
          } as KubeObject);
          acked.set(name, { rv: Number(o.metadata.resourceVersion), value: `created-${i}` });
        }
        if (acked.size >= killAt && !killed) {
          killed = true;
          srv.child.kill('SIGKILL');
        }
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await srv.stop('SIGKILL');
  assert.ok(killed, 'the server was killed during the burst');
  assert.ok(acked.size >= killAt);

  const again = await startServer(srv.dataDir);
  try {
    const c2 = await KubeClient.fromKubeconfig({ path: again.kubeconfig });
    const list = await c2.listAll('v1', 'ConfigMap', { namespace: 'default' });
    const live = new Map(list.items.map((o) => [o.metadata.name!, o as KubeObject & { data: { v: string } }]));
    const missing: string[] = [];
    for (const [name, a] of acked) {
      const o = live.get(name);
      if (!o) missing.push(name);
      else {
        assert.ok(
          Number(o.metadata.resourceVersion) >= a.rv,
          `${name}: stored rv ${o.metadata.resourceVersion} < acknowledged ${a.rv}`,
        );
        if (Number(o.metadata.resourceVersion) === a.rv)
          assert.equal(o.data.v, a.value, `${name} lost its acknowledged content`);
      }
    }
    assert.deepEqual(missing, [], `acknowledged writes lost: ${missing.slice(0, 5).join(', ')}`);
    const maxRv = Math.max(...[...acked.values()].map((a) => a.rv));
    const after = await c2.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'after-restart', namespace: 'default' },
    } as KubeObject);
    assert.ok(Number(after.metadata.resourceVersion) > maxRv, 'resourceVersion continues after restart');
    process.stdout.write(
      `# durability: ${acked.size} acknowledged writes, ${failures} failed in flight at kill, 0 lost\n`,
    );
  } finally {
    await again.stop();
    rmSync(srv.dataDir, { recursive: true, force: true });
  }
});
