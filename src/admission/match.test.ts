import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matches, wildcardMatch, type Matchable } from './match.ts';

const pod = (ns: string, labels: Record<string, string> = {}): Matchable => ({
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: ns, labels } },
  group: '',
  kind: 'Pod',
  namespace: ns,
  namespaceObject: {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { env: ns === 'prod' ? 'prod' : 'dev' } },
  },
  source: 'Original',
});

test('wildcards: prefix, suffix, whole', () => {
  assert.equal(wildcardMatch('kube-*', 'kube-system'), true);
  assert.equal(wildcardMatch('*-system', 'kube-system'), true);
  assert.equal(wildcardMatch('*', 'x'), true);
  assert.equal(wildcardMatch('kube-*', 'default'), false);
});

test('kinds, scope, namespaces, excludedNamespaces, name, selectors, source', () => {
  assert.equal(matches({ kinds: [{ apiGroups: [''], kinds: ['Pod'] }] }, pod('a')).matched, true);
  assert.equal(matches({ kinds: [{ apiGroups: ['apps'], kinds: ['Pod'] }] }, pod('a')).matched, false);
  assert.equal(matches({ kinds: [{ apiGroups: ['*'], kinds: ['*'] }] }, pod('a')).matched, true);
  assert.equal(matches({ scope: 'Cluster' }, pod('a')).matched, false);
  assert.equal(matches({ scope: 'Namespaced' }, pod('a')).matched, true);
  assert.equal(matches({ namespaces: ['prod', 'stag*'] }, pod('staging')).matched, true);
  assert.equal(matches({ namespaces: ['prod'] }, pod('dev')).matched, false);
  assert.equal(matches({ excludedNamespaces: ['*-system'] }, pod('kube-system')).matched, false);
  assert.equal(matches({ name: 'web-*' }, pod('a')).matched, true);
  assert.equal(matches({ name: 'db' }, pod('a')).matched, false);
  assert.equal(matches({ labelSelector: { matchLabels: { app: 'x' } } }, pod('a', { app: 'x' })).matched, true);
  assert.equal(
    matches({ labelSelector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] } }, pod('a', { app: 'x' }))
      .matched,
    false,
  );
  assert.equal(matches({ namespaceSelector: { matchLabels: { env: 'prod' } } }, pod('prod')).matched, true);
  assert.equal(matches({ namespaceSelector: { matchLabels: { env: 'prod' } } }, pod('dev')).matched, false);
  assert.equal(matches({ source: 'Generated' }, pod('a')).matched, false);
  assert.equal(matches({ source: 'All' }, pod('a')).matched, true);
});

test('cluster-scoped objects ignore namespaces; Namespace objects match by their own name', () => {
  const node: Matchable = {
    object: { metadata: { name: 'n1' } },
    group: '',
    kind: 'Node',
    namespace: '',
    namespaceObject: undefined,
    source: 'Original',
  };
  assert.equal(matches({ namespaces: ['prod'] }, node).matched, true);
  assert.equal(matches({ scope: 'Cluster' }, node).matched, true);
  const ns: Matchable = {
    object: { metadata: { name: 'kube-public', labels: { a: 'b' } } },
    group: '',
    kind: 'Namespace',
    namespace: '',
    namespaceObject: undefined,
    source: 'Original',
  };
  assert.equal(matches({ excludedNamespaces: ['kube-*'] }, ns).matched, false);
  assert.equal(matches({ namespaceSelector: { matchLabels: { a: 'b' } } }, ns).matched, true);
});

test('namespaceSelector without the Namespace object is an error, not a silent match', () => {
  const p = { ...pod('x'), namespaceObject: undefined };
  const r = matches({ namespaceSelector: { matchLabels: { env: 'prod' } } }, p);
  assert.equal(r.matched, false);
  assert.match(r.error ?? '', /namespace x is unknown/);
});
