import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCacheSpec, parseOutputSpec, parseSecretSpec } from './specs.ts';
import { BuildError } from '../errors.ts';

test('--output values as buildx writes them', () => {
  assert.deepEqual(parseOutputSpec('type=oci,dest=out.tar'), { type: 'oci', dest: 'out.tar' });
  assert.deepEqual(parseOutputSpec('type=oci,dest=dir,tar=false,name=a/b:1'), {
    type: 'oci',
    dest: 'dir',
    tar: false,
    name: 'a/b:1',
  });
  assert.deepEqual(parseOutputSpec('type=docker,dest=x.tar'), { type: 'docker', dest: 'x.tar' });
  assert.deepEqual(parseOutputSpec('type=registry'), { type: 'registry' });
  assert.deepEqual(parseOutputSpec('type=image,name=r/x:1,push=true'), { type: 'registry', name: 'r/x:1' });
  assert.deepEqual(parseOutputSpec('rootfs'), { type: 'local', dest: 'rootfs' });
  assert.throws(
    () => parseOutputSpec('type=oci'),
    (e: unknown) => e instanceof BuildError && /needs dest=/.test(e.message),
  );
  assert.throws(() => parseOutputSpec('type=tarball,dest=x'), /unknown type "tarball"/);
  assert.throws(() => parseOutputSpec('type=image,name=x'), /push=true/);
});

test('--cache-from/--cache-to and --secret values', () => {
  assert.deepEqual(parseCacheSpec('type=registry,ref=r:5000/c:main'), { type: 'registry', ref: 'r:5000/c:main' });
  assert.deepEqual(parseCacheSpec('r:5000/c:main'), { type: 'registry', ref: 'r:5000/c:main' });
  assert.deepEqual(parseCacheSpec('type=local,dest=/tmp/c', '--cache-to'), { type: 'local', dir: '/tmp/c' });
  assert.throws(() => parseCacheSpec('type=gha'), /unsupported cache type "gha"/);
  assert.deepEqual(parseSecretSpec('id=npm,src=/x/.npmrc'), { id: 'npm', spec: { src: '/x/.npmrc' } });
  assert.deepEqual(parseSecretSpec('id=tok,env=TOKEN'), { id: 'tok', spec: { env: 'TOKEN' } });
  assert.deepEqual(parseSecretSpec('id=TOKEN'), { id: 'TOKEN', spec: { env: 'TOKEN' } });
  assert.deepEqual(parseSecretSpec('id=k,type=file'), { id: 'k', spec: { src: 'k' } });
  assert.throws(() => parseSecretSpec('src=x'), /id= is required/);
});
