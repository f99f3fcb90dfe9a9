// The demo's fallback image (assembled with src/oci when build() is not usable) is reproducible and is
// what the demo Dockerfile describes: busybox-static base, www/ as /www (CGI script executable), uid 1000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { digestOf } from '../../oci/index.ts';
import { appImage, baseImage } from './image.ts';
import { EXAMPLES_DIR } from './run.ts';

/** name → { mode, type } of the entries of an uncompressed tar (ustar headers). */
function tarEntries(tar: Buffer): Map<string, { mode: number; type: string }> {
  const out = new Map<string, { mode: number; type: string }>();
  for (let off = 0; off + 512 <= tar.length;) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number) =>
      h
        .subarray(a, a + n)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    const prefix = str(345, 155);
    const name = (prefix ? `${prefix}/` : '') + str(0, 100);
    const size = parseInt(str(124, 12).trim() || '0', 8);
    out.set(name, { mode: parseInt(str(100, 8).trim() || '0', 8), type: str(156, 1) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

test('the assembled demo image: reproducible, as the Dockerfile describes', async () => {
  const app = join(EXAMPLES_DIR, 'app');
  const a = await appImage(app, { 'org.opencontainers.image.revision': 'abc' });
  const b = await appImage(app, { 'org.opencontainers.image.revision': 'abc' });
  assert.equal(a.manifestDigest, b.manifestDigest, 'same inputs, same digest');
  assert.equal(a.manifestDigest, digestOf(a.manifestBytes));
  const base = await baseImage();
  assert.equal(a.layers[0]!.desc.digest, base.layers[0]!.desc.digest, 'the base layer is shared');
  assert.equal(a.layers.length, 2);

  const config = JSON.parse(a.configBytes.toString()) as any;
  assert.equal(config.config.User, '1000:1000');
  assert.deepEqual(config.config.Cmd, ['httpd', '-f', '-p', '8080', '-h', '/www']);
  assert.deepEqual(config.config.ExposedPorts, { '8080/tcp': {} });
  assert.equal(config.config.Labels['org.opencontainers.image.revision'], 'abc');
  assert.deepEqual(
    config.rootfs.diff_ids,
    a.layers.map((l) => l.diffId),
  );
  for (const l of a.layers) assert.equal(l.desc.digest, digestOf(l.gz));

  const baseFiles = tarEntries(gunzipSync(a.layers[0]!.gz));
  assert.equal(baseFiles.get('bin/busybox')?.mode, 0o755);
  assert.equal(baseFiles.get('bin/sh')?.type, '2', 'bin/sh is a symlink to busybox');
  assert.equal(baseFiles.get('bin/httpd')?.type ?? baseFiles.get('usr/sbin/httpd')?.type, '2', 'httpd applet');
  assert.ok(baseFiles.has('etc/passwd'));
  const appFiles = tarEntries(gunzipSync(a.layers[1]!.gz));
  assert.deepEqual([...appFiles.keys()].sort(), ['www/', 'www/cgi-bin/', 'www/cgi-bin/healthz', 'www/index.html']);
  assert.equal(appFiles.get('www/cgi-bin/healthz')?.mode, 0o755);
  assert.equal(appFiles.get('www/index.html')?.mode, 0o644);
});
