// Extended attributes through snapshot → diff → layer tar → apply: binary security.capability values survive
// byte for byte, an xattr-only change is a change, the PAX records are what GNU tar reads, digests are stable.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';
import { applyLayer, computeChanges, diffToLayer, snapshotSync } from './index.ts';
import { carriedXattr, decodePaxXattrs, encodePaxRecords } from './xattrs.ts';

const made: string[] = [];
function tmp(p: string): string {
  const d = mkdtempSync(join(tmpdir(), `sekisho-xattr-${p}-`));
  made.push(d);
  return d;
}
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** security.capability v2 for cap_setuid,cap_net_raw+ep: 0x80 and 0x20 bytes, not valid UTF-8. */
const CAP = Buffer.from('0100000280200000000000000000000000000000', 'hex');

function tree(): string {
  const root = tmp('root');
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'bin', 'ping'), 'ping');
  writeFileSync(join(root, 'data', 'f'), 'f');
  return root;
}

test('PAX records: lengths count themselves, values are raw bytes, only SCHILY.xattr.* is read back', () => {
  const body = encodePaxRecords(
    [
      ['security.capability', CAP],
      ['user.a', Buffer.from('x'.repeat(95))],
    ],
    { path: 'a/' + 'b'.repeat(120) },
  );
  let off = 0;
  while (off < body.length) {
    const sp = body.indexOf(0x20, off);
    const len = Number(body.subarray(off, sp).toString());
    assert.equal(body[off + len - 1], 0x0a, 'each record ends where its length says');
    off += len;
  }
  assert.equal(off, body.length);
  assert.deepEqual(decodePaxXattrs(body), [
    ['security.capability', CAP],
    ['user.a', Buffer.from('x'.repeat(95))],
  ]);
  assert.equal(carriedXattr('security.selinux'), false);
  assert.equal(carriedXattr('trusted.overlay.opaque'), false);
  assert.equal(carriedXattr('system.posix_acl_access'), false);
  assert.equal(carriedXattr('security.capability'), true);
});

test('xattrs: written as PAX records, an xattr-only change is a change, applied back byte for byte', async () => {
  const root = tree();
  const before = snapshotSync(root);
  setAttributeSync(join(root, 'bin', 'ping'), 'security.capability', CAP);
  setAttributeSync(join(root, 'data'), 'user.origin', 'test');
  setAttributeSync(join(root, 'data', 'f'), 'security.selinux', 'system_u:object_r:tmp_t:s0'); // host label: not carried
  const changes = computeChanges(before, snapshotSync(root)).map((c) => c.path);
  // data/f changed (ctime) but only its uncarried label differs: it is emitted by ctime, not by xattrs
  assert.ok(changes.includes('bin/ping'), `the capability-only change is in the layer: ${changes.join(', ')}`);
  assert.ok(changes.includes('data'), 'the directory whose only change is an xattr is in the layer');

  const out = tmp('out');
  const blob = await diffToLayer(root, before, { outDir: out, sourceDateEpoch: 1_700_000_000 });
  const again = await diffToLayer(root, before, { outDir: out, sourceDateEpoch: 1_700_000_000 });
  assert.equal(again.digest, blob.digest, 'same tree, same epoch: same digest with xattrs');

  // GNU tar reads the records the same way (proves the PAX header is well formed, not just self-consistent)
  const tarFile = join(out, 'layer.tar');
  writeFileSync(tarFile, gunzipSync(readFileSync(blob.path)));
  const gnu = tmp('gnu');
  const r = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-xf', tarFile, '-C', gnu], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(getAttributeSync(join(gnu, 'bin', 'ping'), 'security.capability'), CAP);
  assert.equal(getAttributeSync(join(gnu, 'data'), 'user.origin')?.toString(), 'test');

  // our applier restores them (security.capability after chown, which would clear it)
  const fresh = tmp('fresh');
  await applyLayer(fresh, createReadStream(blob.path));
  assert.deepEqual(getAttributeSync(join(fresh, 'bin', 'ping'), 'security.capability'), CAP);
  assert.equal(getAttributeSync(join(fresh, 'data'), 'user.origin')?.toString(), 'test');
  assert.ok(!listAttributesSync(join(fresh, 'data', 'f')).includes('security.selinux'));

  // snapshots keep the xattrs of directories (files' changes show in their ctime)
  assert.deepEqual(snapshotSync(fresh).entries.get('data')?.xattrs, [['user.origin', Buffer.from('test')]]);

  // a second xattr-only change: only the file and its parents are in the next layer
  const before2 = snapshotSync(root);
  setAttributeSync(join(root, 'bin', 'ping'), 'security.capability', Buffer.from(CAP).fill(0, 4, 8));
  assert.deepEqual(
    computeChanges(before2, snapshotSync(root)).map((c) => c.path),
    ['bin', 'bin/ping'],
  );
});

test('xattrs on an entry whose name needs a PAX path: one PAX header carries both', async () => {
  const root = tmp('long');
  const before = snapshotSync(root);
  const dir = join(root, 'd'.repeat(90), 'é'.repeat(20));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'n'.repeat(110));
  writeFileSync(file, 'x');
  setAttributeSync(file, 'security.capability', CAP);
  const out = tmp('out');
  const blob = await diffToLayer(root, before, { outDir: out });
  const fresh = tmp('fresh');
  await applyLayer(fresh, createReadStream(blob.path));
  const back = join(fresh, 'd'.repeat(90), 'é'.repeat(20), 'n'.repeat(110));
  assert.equal(readFileSync(back, 'utf8'), 'x');
  assert.deepEqual(getAttributeSync(back, 'security.capability'), CAP);
});

test('overlay snapshots: an xattr-only change of a file or a directory is in the layer too', async () => {
  const { overlayAvailable, snapshot } = await import('./index.ts');
  assert.ok(overlayAvailable(tmp('probe')), 'overlayfs must be mountable here (root, kernel overlay support)');
  const root = tree();
  const s = await snapshot(root, { mode: 'overlay' });
  setAttributeSync(join(root, 'bin', 'ping'), 'security.capability', CAP);
  setAttributeSync(join(root, 'data'), 'user.origin', 'overlay');
  const blob = await diffToLayer(root, s, { outDir: tmp('out') });
  const fresh = tmp('fresh');
  await applyLayer(fresh, createReadStream(blob.path));
  assert.deepEqual(getAttributeSync(join(fresh, 'bin', 'ping'), 'security.capability'), CAP);
  assert.equal(getAttributeSync(join(fresh, 'data'), 'user.origin')?.toString(), 'overlay');
  for (const name of listAttributesSync(join(fresh, 'data')))
    assert.ok(!name.includes('overlay.'), `overlay bookkeeping ${name} left the build`);
  // folded back into the rootfs
  assert.deepEqual(getAttributeSync(join(root, 'bin', 'ping'), 'security.capability'), CAP);
});
