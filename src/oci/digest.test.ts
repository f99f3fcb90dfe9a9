import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { digestOf, parseDigest, VerifyingStream } from './digest.ts';
import { OciError } from './errors.ts';

test('digests of sha256 and sha512 and their validation', () => {
  assert.equal(digestOf(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(digestOf('', 'sha512').length, 7 + 128);
  assert.deepEqual(parseDigest(digestOf('x')).algorithm, 'sha256');
  for (const bad of [
    'sha256:abc',
    'md5:' + 'a'.repeat(32),
    'sha256:' + 'A'.repeat(64),
    'sha512:' + 'a'.repeat(64),
    'nocolon',
    'sha256:',
  ]) {
    assert.throws(
      () => parseDigest(bad),
      (e: unknown) => e instanceof OciError && e.code === 'DIGEST_INVALID',
      bad,
    );
  }
});

async function drain(src: Readable, v: VerifyingStream): Promise<void> {
  await pipeline(src, v, new Writable({ write: (_c, _e, cb) => cb() }));
}

test('VerifyingStream passes good content and fails bad digest or size before completion', async () => {
  const data = Buffer.from('hello world');
  await drain(Readable.from([data.subarray(0, 5), data.subarray(5)]), new VerifyingStream(digestOf(data), data.length));
  await assert.rejects(
    drain(Readable.from([data]), new VerifyingStream(digestOf('other'))),
    (e: unknown) => (e as OciError).code === 'DIGEST_INVALID',
  );
  await assert.rejects(
    drain(Readable.from([data]), new VerifyingStream(digestOf(data), 3)),
    (e: unknown) => (e as OciError).code === 'SIZE_INVALID',
  );
  await assert.rejects(
    drain(Readable.from([data]), new VerifyingStream(digestOf(data), 99)),
    (e: unknown) => (e as OciError).code === 'SIZE_INVALID',
  );
});
