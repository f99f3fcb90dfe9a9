// The pieces the gates share: policy-controller image globs, the images of workload kinds, and key
// references (inline PEM, k8s:// Secrets, files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageGlobMatch, resolvePublicKey, workloadImages, SignError } from '../../src/sign/index.ts';
import { testKey } from './helpers.ts';

test('image globs: * within a segment, ** across; tag/digest and Docker Hub forms', () => {
  const yes: [string, string][] = [
    ['registry.local:5000/*', 'registry.local:5000/app:v1'],
    ['registry.local:5000/**', 'registry.local:5000/team/app@sha256:' + 'a'.repeat(64)],
    ['registry.local:5000/team/app', 'registry.local:5000/team/app:v1'],
    ['registry.local:5000/team/app:v?', 'registry.local:5000/team/app:v1'],
    ['docker.io/library/nginx*', 'nginx:1.25'],
    ['index.docker.io/library/*', 'nginx'],
    ['**', 'ghcr.io/a/b/c:d'],
  ];
  const no: [string, string][] = [
    ['registry.local:5000/*', 'registry.local:5000/team/app:v1'],
    ['registry.local:5000/**', 'other.local/app:v1'],
    ['registry.local:5000/team/app', 'registry.local:5000/team/app2:v1'],
    ['ghcr.io/*', 'not a reference!'],
  ];
  for (const [g, i] of yes) assert.equal(imageGlobMatch(g, i), true, `${g} should match ${i}`);
  for (const [g, i] of no) assert.equal(imageGlobMatch(g, i), false, `${g} should not match ${i}`);
});

test('workload images: Pod, templates of workload kinds, CronJob; other kinds have none', () => {
  const spec = {
    initContainers: [{ image: 'i' }],
    containers: [{ image: 'a' }, { image: 'b' }],
    ephemeralContainers: [{ image: 'e' }],
  };
  assert.deepEqual(
    workloadImages({ kind: 'Pod', spec }).map((w) => `${w.path}=${w.image}`),
    [
      'spec.initContainers[0].image=i',
      'spec.containers[0].image=a',
      'spec.containers[1].image=b',
      'spec.ephemeralContainers[0].image=e',
    ],
  );
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController'])
    assert.equal(workloadImages({ kind, spec: { template: { spec } } }).length, 4, kind);
  assert.equal(workloadImages({ kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec } } } } }).length, 4);
  assert.deepEqual(workloadImages({ kind: 'ConfigMap', data: { image: 'x' } }), []);
});

test('key references: PEM, k8s:// secret (cosign.pub or a named entry), file; clear errors', async () => {
  const k = testKey();
  const fp = (x: { export(o: object): Buffer | string }) => x.export({ type: 'spki', format: 'der' }).toString('hex');
  const want = fp(k.pub);
  assert.equal(fp(await resolvePublicKey(k.publicKeyPem)), want);
  const src = {
    readSecret: async (ns: string, n: string) =>
      ns === 'keys' && n === 's' ? { 'cosign.pub': k.publicKeyPem, alt: k.publicKeyPem } : undefined,
    readFile: async (p: string) => {
      if (p === '/k.pub') return k.publicKeyPem;
      throw new Error('ENOENT: no such file');
    },
  };
  assert.equal(fp(await resolvePublicKey('k8s://keys/s', src)), want);
  assert.equal(fp(await resolvePublicKey('k8s://keys/s/alt', src)), want);
  assert.equal(fp(await resolvePublicKey('/k.pub', src)), want);
  const fails = async (ref: string, re: RegExp) =>
    assert.rejects(
      resolvePublicKey(ref, src),
      (e: unknown) => e instanceof SignError && e.code === 'KEY_INVALID' && re.test(e.message),
    );
  await fails('k8s://keys/none', /secret keys\/none not found/);
  await fails('k8s://keys/s/nope', /has no "nope" entry \(has cosign\.pub, alt\)/);
  await fails('k8s://keys', /expected k8s:\/\/<namespace>\/<secret>/);
  await fails('/missing.pub', /\/missing\.pub: ENOENT/);
  await assert.rejects(resolvePublicKey('k8s://keys/s'), /no Kubernetes client/);
});
