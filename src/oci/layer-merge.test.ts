import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { OciError } from './errors.ts';
import { mergeLayer, safeEntryPath, type MergedEntry, type MergeOptions } from './layer-merge.ts';

interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string;
  mode?: number;
  linkname?: string;
}

async function tarOf(entries: Entry[], gzip = false): Promise<Readable> {
  const p = pack();
  for (const e of entries) {
    const header = {
      name: e.name,
      type: e.type ?? 'file',
      mode: e.mode ?? 0o644,
      ...(e.linkname ? { linkname: e.linkname } : {}),
    };
    if ((e.type ?? 'file') === 'file') p.entry(header, e.content ?? '');
    else p.entry(header);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  const buf = Buffer.concat(chunks);
  return Readable.from([gzip ? gzipSync(buf) : buf]);
}

const keepAll: MergeOptions = { keep: (h) => (h.path.startsWith('etc/') ? 'body' : 'meta') };

async function merge(layers: Entry[][], opts: MergeOptions = keepAll): Promise<Map<string, MergedEntry>> {
  const files = new Map<string, MergedEntry>();
  let i = 0;
  for (const l of layers) await mergeLayer(files, await tarOf(l, i % 2 === 1), `sha256:layer${i++}`, opts);
  return files;
}

test('later layers replace, whiteouts delete, opaque directories hide earlier content', async () => {
  const files = await merge([
    [
      { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'bin/su', mode: 0o4755, content: 'x' },
      { name: 'old/a', content: 'a' },
      { name: 'keep/b', content: 'b' },
      { name: 'gone/c', content: 'c' },
    ],
    [
      { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n' },
      { name: 'old/.wh..wh..opq' },
      { name: 'old/new', content: 'n' },
      { name: '.wh.gone' },
      { name: 'etc/passwd-link', type: 'link', linkname: 'etc/passwd' },
    ],
  ]);
  assert.deepEqual([...files.keys()].sort(), ['bin/su', 'etc/passwd', 'etc/passwd-link', 'keep/b', 'old/new']);
  assert.match(files.get('etc/passwd')?.data?.toString() ?? '', /app:x:1000/);
  assert.equal(files.get('etc/passwd')?.layer, 'sha256:layer1');
  assert.equal(files.get('bin/su')?.header.mode, 0o4755);
  assert.equal(files.get('bin/su')?.data, undefined, 'meta entries carry no body');
  assert.equal(files.get('etc/passwd-link')?.data?.toString(), files.get('etc/passwd')?.data?.toString());
});

test('entries and hard links escaping the root are refused', async () => {
  await assert.rejects(
    merge([[{ name: 'a/../../etc/passwd', content: 'x' }]]),
    (e: unknown) => e instanceof OciError && e.code === 'LAYER_UNSAFE',
  );
  await assert.rejects(
    merge([[{ name: 'x', type: 'link', linkname: '../../etc/shadow' }]]),
    (e: unknown) => e instanceof OciError && e.code === 'LAYER_UNSAFE',
  );
  assert.equal(safeEntryPath('./usr/../etc//passwd/'), 'etc/passwd');
});

test('a layer expanding past the limit is refused; garbage is a LAYER_INVALID error', async () => {
  await assert.rejects(
    merge([[{ name: 'big', content: '\0'.repeat(1 << 18) }]], { ...keepAll, maxLayerBytes: 1 << 16 }),
    (e: unknown) => e instanceof OciError && e.code === 'LAYER_UNSAFE' && /expands beyond/.test(e.message),
  );
  await assert.rejects(
    mergeLayer(new Map(), Readable.from([Buffer.from('this is not a tar archive'.repeat(40))]), 'sha256:bad', keepAll),
    (e: unknown) => e instanceof OciError && e.code === 'LAYER_INVALID',
  );
});
