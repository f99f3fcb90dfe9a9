import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseLayoutSpec } from './layout-spec.ts';

test('oci:DIR[:tag|@digest] names a layout folder and a reference in it', () => {
  const d = 'sha256:' + 'a'.repeat(64);
  assert.deepEqual(parseLayoutSpec('oci:./out'), { dir: './out' });
  assert.deepEqual(parseLayoutSpec('oci:./out:v1'), { dir: './out', ref: 'v1' });
  assert.deepEqual(parseLayoutSpec(`oci:/x/out@${d}`), { dir: '/x/out', ref: d });
  assert.deepEqual(
    parseLayoutSpec('oci:host:5000/dir'),
    { dir: 'host:5000/dir' },
    'a colon before the last slash is part of the path',
  );
  const tmp = mkdtempSync(join(tmpdir(), 'layout-spec-'));
  try {
    mkdirSync(join(tmp, 'weird:name'));
    assert.deepEqual(
      parseLayoutSpec(`oci:${join(tmp, 'weird:name')}`),
      { dir: join(tmp, 'weird:name') },
      'an existing folder with a colon',
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
