// Unit tests for the jq path subset of ignoreDifferences and RespectIgnoreDifferences on plain objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../kube/index.ts';
import { jqMatchPaths, removeJqPath, respectIgnores } from './normalize.ts';

const obj = () => ({
  metadata: { annotations: { 'example.com/team': 'a', 'x.y': 'b', checksum: '1' } },
  spec: {
    template: { metadata: { annotations: { checksum: '2' } } },
    containers: [
      { name: 'main', image: 'm' },
      { name: 'sidecar', image: 's', env: [{ name: 'checksum', checksum: '3' }] },
    ],
  },
});

test('jq paths: bracket keys, quoted fields, iteration with select, recursive descent', () => {
  assert.deepEqual(jqMatchPaths(obj(), '.metadata.annotations["example.com/team"]'), [
    ['metadata', 'annotations', 'example.com/team'],
  ]);
  assert.deepEqual(jqMatchPaths(obj(), '.metadata.annotations."x.y"'), [['metadata', 'annotations', 'x.y']]);
  assert.deepEqual(jqMatchPaths(obj(), '.spec.containers[] | select(.name == "sidecar") | .image'), [
    ['spec', 'containers', 1, 'image'],
  ]);
  assert.deepEqual(jqMatchPaths(obj(), '..|.checksum?'), [
    ['metadata', 'annotations', 'checksum'],
    ['spec', 'template', 'metadata', 'annotations', 'checksum'],
    ['spec', 'containers', 1, 'env', 0, 'checksum'],
  ]);
  assert.deepEqual(jqMatchPaths(obj(), '.spec.containers[5].image'), []);
  assert.deepEqual(jqMatchPaths(obj(), '.spec.containers.[] | select(.name != "main") | .image'), [
    ['spec', 'containers', 1, 'image'],
  ]);
  assert.throws(
    () => jqMatchPaths(obj(), '.spec.containers[] | select(.name | startswith("s"))'),
    (e: Error & { code?: string }) =>
      e.code === 'gitops_invalid_spec' && /outside the supported jq subset/.test(e.message),
  );
  assert.throws(() => jqMatchPaths(obj(), '.metadata | to_entries'), /outside the supported jq subset/);
  const o = obj();
  removeJqPath(o, '.spec.containers[]');
  assert.deepEqual(o.spec.containers, []);
});

test('RespectIgnoreDifferences keeps live values at jq selections and manager-owned fields', () => {
  const desired = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { keep: 'git', drop: 'git' } },
    spec: {
      replicas: 1,
      containers: [
        { name: 'main', image: 'm:2' },
        { name: 'sidecar', image: 's:2' },
      ],
    },
  } as unknown as KubeObject;
  const live = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      annotations: { keep: 'live' },
      managedFields: [
        { manager: 'hpa', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
        {
          manager: 'injector',
          operation: 'Update',
          fieldsV1: {
            'f:spec': { 'f:containers': { 'k:{"name":"extra"}': { '.': {}, 'f:name': {}, 'f:image': {} } } },
          },
        },
      ],
    },
    spec: {
      replicas: 4,
      containers: [
        { name: 'main', image: 'm:1' },
        { name: 'sidecar', image: 's:1' },
        { name: 'extra', image: 'e:1' },
      ],
    },
  } as unknown as KubeObject;
  const { object } = respectIgnores(desired, live, [
    {
      kind: 'Deployment',
      group: 'apps',
      jqPathExpressions: [
        '.spec.containers[] | select(.name == "sidecar") | .image',
        '.metadata.annotations["keep"]',
        '.metadata.annotations["drop"]',
      ],
      managedFieldsManagers: ['hpa', 'injector'],
    },
  ]);
  assert.deepEqual(object.metadata.annotations, { keep: 'live' });
  assert.deepEqual(object.spec, {
    replicas: 4,
    containers: [
      { name: 'main', image: 'm:2' },
      { name: 'sidecar', image: 's:1' },
      { name: 'extra', image: 'e:1' },
    ],
  });
  // the desired object itself is untouched
  assert.equal((desired.spec as { replicas: number }).replicas, 1);
});
