// Unit tests of the UI's manifest helpers (pure functions, no browser): YAML rendering, line diff,
// Secret masking and the field paths that explain an OutOfSync resource.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedPaths, lineDiff, maskSecret, parseUnified, toYaml } from '../../ui/src/text-diff.ts';
import { parse } from 'yaml';

test('toYaml renders JSON values as YAML that parses back to the same value', () => {
  const v = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' }, annotations: {} },
    data: { greeting: 'hello', port: '8080', flag: 'true', empty: '', multi: 'a\nb\n', single: 'x\ny', colon: 'a: b' },
    list: [1, 'two', { three: 3, four: [4] }, [], null, false],
  };
  const y = toYaml(v);
  assert.deepEqual(parse(y), v);
  assert.match(y, /^ {2}greeting: hello$/m);
  assert.match(y, /^ {2}port: "8080"$/m, 'numeric-looking strings stay strings');
});

test('lineDiff keeps common lines and reports removed before added', () => {
  const d = lineDiff('a\nb\nc\nd', 'a\nB\nc\nd\ne');
  assert.deepEqual(
    d.map((l) => `${l.op}${l.text}`),
    [' a', '-b', '+B', ' c', ' d', '+e'],
  );
  assert.deepEqual(
    lineDiff('', 'x').map((l) => l.op),
    ['+'],
  );
  assert.deepEqual(
    lineDiff('same', 'same').map((l) => l.op),
    [' '],
  );
});

test('parseUnified reads a unified diff without its headers', () => {
  const d = parseUnified('--- live\n+++ desired\n@@ -1,2 +1,2 @@\n a\n-b\n+c');
  assert.deepEqual(
    d.map((l) => `${l.op}${l.text}`),
    [' a', '-b', '+c'],
  );
});

test('maskSecret hides every Secret value but keeps masks the server already applied', () => {
  const s = maskSecret({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 's',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"p":"c2VjcmV0"}}' },
    },
    data: { p: 'c2VjcmV0', q: '+++++++++' },
    stringData: { r: 'plain' },
  }) as Record<string, any>;
  assert.deepEqual(s.data, { p: '++++++++', q: '+++++++++' });
  assert.deepEqual(s.stringData, { r: '++++++++' });
  assert.ok(!JSON.stringify(s).includes('c2VjcmV0'));
  const cm = { kind: 'ConfigMap', data: { a: 'visible' } };
  assert.equal(maskSecret(cm), cm);
});

test('changedPaths names the leaves that differ', () => {
  assert.deepEqual(
    changedPaths(
      { spec: { replicas: 1, template: { labels: { a: 'x' } } }, data: { k: 'v' } },
      { spec: { replicas: 2, template: { labels: { a: 'x', b: 'y' } } }, data: { k: 'v' } },
    ),
    ['spec.replicas', 'spec.template.labels.b'],
  );
  assert.deepEqual(changedPaths({ l: [1, 2] }, { l: [1, 3] }), ['l[1]']);
  assert.deepEqual(changedPaths({ l: [1] }, { l: [1, 2] }), ['l']);
  assert.deepEqual(changedPaths({ a: 1 }, { a: 1 }), []);
});
