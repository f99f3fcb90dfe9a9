import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, formatReference, registryApiHost, checkRepositoryName } from './reference.ts';
import { OciError } from './errors.ts';

const D = 'sha256:' + 'a'.repeat(64);

test('Docker Hub normalisation', () => {
  assert.equal(formatReference(parseReference('alpine')), 'docker.io/library/alpine:latest');
  assert.equal(formatReference(parseReference('bitnami/redis:7')), 'docker.io/bitnami/redis:7');
  assert.equal(formatReference(parseReference('index.docker.io/library/busybox')), 'docker.io/library/busybox:latest');
  assert.equal(formatReference(parseReference('docker.io/nginx')), 'docker.io/library/nginx:latest');
  assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io');
});

test('registries, ports, tags and digests', () => {
  assert.deepEqual(parseReference('localhost:5000/a/b:v1'), {
    registry: 'localhost:5000',
    repository: 'a/b',
    tag: 'v1',
  });
  assert.deepEqual(parseReference(`ghcr.io/o/r@${D}`), { registry: 'ghcr.io', repository: 'o/r', digest: D });
  assert.deepEqual(parseReference(`127.0.0.1:5000/x:t@${D}`), {
    registry: '127.0.0.1:5000',
    repository: 'x',
    tag: 't',
    digest: D,
  });
  assert.deepEqual(parseReference('localhost/x'), { registry: 'localhost', repository: 'x', tag: 'latest' });
  assert.deepEqual(parseReference('[::1]:5000/x:y'), { registry: '[::1]:5000', repository: 'x', tag: 'y' });
  assert.equal(parseReference('a/b', { defaultTag: null }).tag, undefined);
});

test('invalid references are refused with REFERENCE_INVALID', () => {
  for (const bad of [
    '',
    'library/UPPER',
    'a/b:',
    'a/b@sha256:short',
    'a//b',
    'a/b:-tag',
    ':tag',
    `x/${'a'.repeat(260)}`,
  ]) {
    assert.throws(
      () => parseReference(bad),
      (e: unknown) => e instanceof OciError && e.code === 'REFERENCE_INVALID',
      bad,
    );
  }
});

test('repository names follow the distribution grammar', () => {
  for (const ok of ['a', 'a/b', 'a-b_c.d/e__f', 'x0/y1']) checkRepositoryName(ok);
  for (const bad of ['../x', 'a/../b', '_x', 'a/_layers', 'A', 'a-', 'a//b', '', 'a'.repeat(256)]) {
    assert.throws(
      () => checkRepositoryName(bad),
      (e: unknown) => e instanceof OciError && e.code === 'NAME_INVALID',
      bad,
    );
  }
});
