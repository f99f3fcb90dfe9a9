// Patch semantics: RFC 6902 JSON patch, RFC 7386 merge patch and strategic merge patch directives
// (cases after apimachinery's strategicpatch tests and the kubectl patch documentation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeError } from '../kube/index.ts';
import { builtinListTypes } from './list-types.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';

const pod = () => ({
  spec: {
    containers: [
      {
        name: 'a',
        image: 'a:1',
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '2' },
        ],
        args: ['--one'],
      },
      { name: 'b', image: 'b:1' },
    ],
    volumes: [{ name: 'v1', emptyDir: {} }],
  },
  metadata: { finalizers: ['f1'], labels: { keep: 'yes', drop: 'yes' } },
});

test('strategic merge: list-maps merge by key, scalars and atomic lists are replaced, null deletes', () => {
  const out = applyStrategicMergePatch(
    pod(),
    {
      metadata: { labels: { drop: null } },
      spec: {
        containers: [
          { name: 'a', image: 'a:2', args: ['--two'], env: [{ name: 'Z', value: '3' }] },
          { name: 'c', image: 'c:1' },
        ],
      },
    },
    builtinListTypes,
  ) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.labels, { keep: 'yes' });
  assert.deepEqual(
    out.spec.containers.map((c) => c.name),
    ['a', 'b', 'c'],
  );
  const a = out.spec.containers[0]!;
  assert.equal(a.image, 'a:2');
  assert.deepEqual(a.args, ['--two']);
  assert.deepEqual(
    a.env?.map((e) => e.name),
    ['X', 'Y', 'Z'],
  );
});

test('strategic merge directives: $patch delete/replace, $setElementOrder, $retainKeys, $deleteFromPrimitiveList', () => {
  const out = applyStrategicMergePatch(
    pod(),
    {
      metadata: { ['$deleteFromPrimitiveList/finalizers']: ['f1'] },
      spec: {
        ['$setElementOrder/containers']: [{ name: 'b' }, { name: 'a' }],
        containers: [{ name: 'a', env: [{ name: 'X', $patch: 'delete' }] }],
        volumes: [{ name: 'v2', configMap: { name: 'cm' } }, { $patch: 'replace' }],
      },
    },
    builtinListTypes,
  ) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.finalizers, []);
  assert.deepEqual(
    out.spec.containers.map((c) => c.name),
    ['b', 'a'],
  );
  assert.deepEqual(
    out.spec.containers[1]!.env?.map((e) => e.name),
    ['Y'],
  );
  assert.deepEqual(out.spec.volumes, [{ name: 'v2', configMap: { name: 'cm' } }]);
  const st = applyStrategicMergePatch(
    { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    builtinListTypes,
  );
  assert.deepEqual(st, { spec: { strategy: { type: 'Recreate' } } });
  const replaced = applyStrategicMergePatch(
    { spec: { a: 1, b: 2 } },
    { spec: { $patch: 'replace', c: 3 } },
    builtinListTypes,
  );
  assert.deepEqual(replaced, { spec: { c: 3 } });
});

test('JSON merge patch replaces lists and deletes with null (RFC 7386 examples)', () => {
  assert.deepEqual(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } }), {
    a: 'z',
    c: { d: 'e' },
  });
  assert.deepEqual(applyMergePatch({ a: [1, 2] }, { a: [3] }), { a: [3] });
  assert.deepEqual(applyMergePatch({ a: 'b' }, { a: { c: null } }), { a: {} });
});

test('JSON patch operations (RFC 6902) and failures', () => {
  const doc = { a: { b: [1, 2, 3] }, x: 'y' };
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/a/b/1', value: 9 },
    { op: 'remove', path: '/a/b/0' },
    { op: 'replace', path: '/x', value: 'z' },
    { op: 'copy', from: '/x', path: '/c' },
    { op: 'move', from: '/c', path: '/d' },
    { op: 'test', path: '/d', value: 'z' },
    { op: 'add', path: '/a/b/-', value: 4 },
    { op: 'add', path: '/e~1f', value: true },
  ]);
  assert.deepEqual(out, { a: { b: [9, 2, 3, 4] }, x: 'z', d: 'z', 'e/f': true });
  assert.deepEqual(doc, { a: { b: [1, 2, 3] }, x: 'y' }, 'the input is not modified');
  assert.throws(
    () => applyJsonPatch(doc, [{ op: 'test', path: '/x', value: 'nope' }]),
    (e: unknown) => e instanceof KubeError && e.status === 422,
  );
  assert.throws(
    () => applyJsonPatch(doc, [{ op: 'remove', path: '/missing' }]),
    (e: unknown) => e instanceof KubeError && e.status === 422,
  );
  assert.throws(
    () => applyJsonPatch(doc, [{ op: 'jump', path: '/x' }]),
    (e: unknown) => e instanceof KubeError && e.status === 400,
  );
});
