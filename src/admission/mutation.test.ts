import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MutationSystem, parsePath, topLevelPatch } from './mutation.ts';

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', labels: { keep: 'me' } },
  spec: {
    containers: [
      { name: 'a', image: 'x' },
      { name: 'b', image: 'y', imagePullPolicy: 'Never' },
    ],
  },
});
const ctx = { namespace: 'default', namespaceObject: undefined };
const applyToPods = [{ groups: [''], versions: ['v1'], kinds: ['Pod'] }];

test('location paths: fields, list keys with globs and values, quoted keys', () => {
  assert.deepEqual(parsePath('spec.containers[name: *].securityContext.privileged'), [
    { type: 'field', name: 'spec' },
    { type: 'list', name: 'containers', key: 'name', value: '*', glob: true },
    { type: 'field', name: 'securityContext' },
    { type: 'field', name: 'privileged' },
  ]);
  assert.deepEqual(parsePath('metadata.labels."app.kubernetes.io/name"')[2], {
    type: 'field',
    name: 'app.kubernetes.io/name',
  });
  assert.throws(() => parsePath('spec.containers[name *]'), /expected ":"/);
});

test('Assign on every container, pathTests, applyTo, match', () => {
  const ms = new MutationSystem();
  ms.upsert({
    apiVersion: 'mutations.gatekeeper.sh/v1',
    kind: 'Assign',
    metadata: { name: 'pull-always' },
    spec: {
      applyTo: applyToPods,
      match: {
        scope: 'Namespaced',
        kinds: [{ apiGroups: ['*'], kinds: ['Pod'] }],
        excludedNamespaces: ['kube-system'],
      },
      location: 'spec.containers[name: *].imagePullPolicy',
      parameters: {
        assign: { value: 'Always' },
        pathTests: [{ subPath: 'spec.containers[name: *].image', condition: 'MustExist' }],
      },
    },
  });
  const out = ms.mutate(pod(), ctx) as { spec: { containers: { imagePullPolicy: string }[] } };
  assert.deepEqual(
    out.spec.containers.map((c) => c.imagePullPolicy),
    ['Always', 'Always'],
  );
  assert.equal(
    ms.mutate(
      { ...pod(), metadata: { name: 'p', namespace: 'kube-system' } },
      { namespace: 'kube-system', namespaceObject: undefined },
    ),
    undefined,
  );
  assert.equal(ms.mutate({ ...pod(), kind: 'ConfigMap' }, ctx), undefined);
});

test('Assign creates a named list element; MustNotExist guards', () => {
  const ms = new MutationSystem();
  ms.upsert({
    apiVersion: 'mutations.gatekeeper.sh/v1',
    kind: 'Assign',
    metadata: { name: 'sidecar' },
    spec: {
      applyTo: applyToPods,
      location: 'spec.containers[name: sidecar].image',
      parameters: { assign: { value: 'proxy:1' } },
    },
  });
  const out = ms.mutate(pod(), ctx) as { spec: { containers: { name: string; image: string }[] } };
  assert.deepEqual(out.spec.containers[2], { name: 'sidecar', image: 'proxy:1' });
  const guarded = new MutationSystem();
  guarded.upsert({
    apiVersion: 'mutations.gatekeeper.sh/v1',
    kind: 'Assign',
    metadata: { name: 'g' },
    spec: {
      applyTo: applyToPods,
      location: 'spec.dnsPolicy',
      parameters: { assign: { value: 'None' }, pathTests: [{ subPath: 'spec.containers', condition: 'MustNotExist' }] },
    },
  });
  assert.equal(guarded.mutate(pod(), ctx), undefined);
});

test('AssignMetadata adds but never overwrites; ModifySet merges and prunes', () => {
  const ms = new MutationSystem();
  ms.upsert({
    apiVersion: 'mutations.gatekeeper.sh/v1',
    kind: 'AssignMetadata',
    metadata: { name: 'owner' },
    spec: { location: 'metadata.labels.owner', parameters: { assign: { value: 'admin' } } },
  });
  ms.upsert({
    apiVersion: 'mutations.gatekeeper.sh/v1',
    kind: 'AssignMetadata',
    metadata: { name: 'keep' },
    spec: { location: 'metadata.labels.keep', parameters: { assign: { value: 'other' } } },
  });
  ms.upsert({
    apiVersion: 'mutations.gatekeeper.sh/v1',
    kind: 'ModifySet',
    metadata: { name: 'args' },
    spec: {
      applyTo: applyToPods,
      location: 'spec.containers[name: a].args',
      parameters: { operation: 'merge', values: { fromList: ['--x', '--y'] } },
    },
  });
  const before = pod();
  const out = ms.mutate(before, ctx) as {
    metadata: { labels: Record<string, string> };
    spec: { containers: { args?: string[] }[] };
  };
  assert.deepEqual(out.metadata.labels, { keep: 'me', owner: 'admin' });
  assert.deepEqual(out.spec.containers[0]?.args, ['--x', '--y']);
  assert.throws(
    () =>
      ms.upsert({
        apiVersion: 'mutations.gatekeeper.sh/v1',
        kind: 'AssignMetadata',
        metadata: { name: 'bad' },
        spec: { location: 'spec.x' },
      }),
    /metadata.labels/,
  );
  const patch = topLevelPatch(before, out);
  assert.deepEqual(
    patch.map((p) => (p as { op: string; path: string }).path),
    ['/metadata', '/spec'],
  );
  const prune = new MutationSystem();
  prune.upsert({
    apiVersion: 'mutations.gatekeeper.sh/v1',
    kind: 'ModifySet',
    metadata: { name: 'p' },
    spec: {
      applyTo: applyToPods,
      location: 'spec.containers[name: a].args',
      parameters: { operation: 'prune', values: { fromList: ['--x'] } },
    },
  });
  const pruned = prune.mutate(out, ctx) as { spec: { containers: { args?: string[] }[] } };
  assert.deepEqual(pruned.spec.containers[0]?.args, ['--y']);
});
