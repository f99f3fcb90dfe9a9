// The build filesystem: layers applied to a rootfs, snapshots, diffs as layers with whiteouts, hostile tars.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import {
  chmodSync,
  chownSync,
  createReadStream,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { BuildError } from '../errors.ts';
import { busyboxEntries, tarEntries } from '../../../test/build/fixtures/base-image.ts';
import { applyLayer, computeChanges, diffToLayer, resolveInRoot, snapshot, snapshotSync } from './index.ts';

const made: string[] = [];
/** A temp directory removed when the file's tests are done. */
function tmp(p: string): string {
  const d = mkdtempSync(join(tmpdir(), `sekisho-fs-${p}-`));
  made.push(d);
  return d;
}
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
let baseTarMemo: Promise<Buffer> | undefined;
const baseTar = (): Promise<Buffer> => (baseTarMemo ??= tarEntries(busyboxEntries()));

async function busyboxRoot(): Promise<string> {
  const root = tmp('root');
  await applyLayer(root, Readable.from([gzipSync(await baseTar())]));
  return root;
}

type E = {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string;
  linkname?: string;
  mode?: number;
};

async function tarOf(entries: E[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      const h = { name: e.name, mode: e.mode ?? 0o644, mtime: new Date(1000_000), uid: 0, gid: 0 };
      if ((e.type ?? 'file') === 'file') pack.entry({ ...h, type: 'file' }, Buffer.from(e.content ?? ''), cb);
      else pack.entry({ ...h, type: e.type, linkname: e.linkname ?? '' }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** What a user would compare of two trees: types, modes, owners, contents, link targets, file mtimes, link counts. */
function describeTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const own = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out.set(r, `dir ${own}`);
        walk(p, r);
      } else if (st.isSymbolicLink()) out.set(r, `symlink ${own} -> ${readlinkSync(p)}`);
      else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO())
        out.set(
          r,
          `special ${st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : 'block'} ${own} rdev=${st.rdev}`,
        );
      else
        out.set(
          r,
          `file ${own} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)} ` +
            `mtime=${Math.floor(st.mtimeMs / 1000)} nlink=${st.nlink}`,
        );
    }
  };
  walk(root, '');
  return out;
}

async function layerNames(path: string): Promise<string[]> {
  const ex = tarStream.extract();
  Readable.from([gunzipSync(readFileSync(path))]).pipe(ex as unknown as NodeJS.WritableStream);
  const names: string[] = [];
  for await (const e of ex) {
    names.push(e.header.name);
    e.resume();
  }
  return names;
}

test('apply → change, delete, replace → diff → apply on a fresh copy gives the same tree', async () => {
  const root = await busyboxRoot();
  const before = await snapshot(root);
  assert.ok(before.entries.has('bin/busybox') && before.entries.get('bin/sh')?.type === 'symlink');

  writeFileSync(
    join(root, 'etc/passwd'),
    readFileSync(join(root, 'etc/passwd'), 'utf8') + 'extra:x:2000:2000::/:/bin/sh\n',
  );
  rmSync(join(root, 'etc/hostname'));
  rmSync(join(root, 'usr/bin'), { recursive: true }); // a whole tree: one whiteout
  rmSync(join(root, 'bin/ls'));
  mkdirSync(join(root, 'bin/ls')); // a file replaced by a directory
  writeFileSync(join(root, 'bin/ls/inside'), 'x');
  rmSync(join(root, 'home/app'), { recursive: true });
  writeFileSync(join(root, 'home/app'), 'now a file'); // a directory replaced by a file
  writeFileSync(join(root, 'bin/suid'), '#!/bin/sh\n');
  chmodSync(join(root, 'bin/suid'), 0o4755);
  mkdirSync(join(root, 'opt/owned'), { recursive: true });
  chownSync(join(root, 'opt/owned'), 1000, 1000);
  writeFileSync(join(root, 'opt/owned/f'), 'mine');
  chownSync(join(root, 'opt/owned/f'), 1000, 1001);
  linkSync(join(root, 'opt/owned/f'), join(root, 'opt/hard'));
  symlinkSync('../etc/passwd', join(root, 'opt/rel-link'));
  const long = `opt/${'d'.repeat(120)}/${'f'.repeat(120)}`;
  mkdirSync(join(root, long, '..'), { recursive: true });
  writeFileSync(join(root, long), 'long name');
  writeFileSync(join(root, 'opt/ünïcode'), 'utf-8 name');
  chmodSync(join(root, 'tmp'), 0o1777); // unchanged mode: not in the layer

  const blob = await diffToLayer(root, before, { outDir: tmp('out') });
  assert.equal(blob.empty, false);
  const names = await layerNames(blob.path);
  assert.ok(names.includes('etc/.wh.hostname'), 'whiteout for a removed file');
  assert.ok(names.includes('usr/.wh.bin'), 'one whiteout for a removed tree');
  assert.ok(!names.some((n) => n.startsWith('usr/bin/')), 'no whiteouts below a removed directory');
  assert.ok(!names.includes('tmp/'), 'untouched directory not in the layer');
  assert.deepEqual(
    [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    names,
    'entries sorted',
  );

  const copy = await busyboxRoot();
  await applyLayer(copy, createReadStream(blob.path));
  assert.deepEqual(describeTree(copy), describeTree(root));
  assert.equal(lstatSync(join(copy, 'bin/suid')).mode & 0o7777, 0o4755);
  assert.equal(lstatSync(join(copy, 'opt/hard')).ino, lstatSync(join(copy, 'opt/owned/f')).ino, 'hard link kept');
  assert.equal(readFileSync(join(copy, long), 'utf8'), 'long name');
  assert.ok(names.includes(long) && names.includes('opt/ünïcode'), 'long and non-ASCII names through PAX');
});

test('a directory whose only change is its mtime is not in the layer; nothing changed gives an empty layer', async () => {
  const root = await busyboxRoot();
  const before = snapshotSync(root);
  writeFileSync(join(root, 'etc/tmpfile'), 'x');
  rmSync(join(root, 'etc/tmpfile'));
  utimesSync(join(root, 'var'), new Date(), new Date());
  assert.deepEqual(computeChanges(before, snapshotSync(root)), []);
  const blob = await diffToLayer(root, before, { outDir: tmp('out'), sourceDateEpoch: 0 });
  assert.equal(blob.empty, true);
  assert.equal(blob.entries, 0);
  assert.deepEqual(await layerNames(blob.path), []);
});

test('the same tree and SOURCE_DATE_EPOCH give byte-identical layers; mtimes are clamped', async () => {
  const blobs = [];
  for (const when of [1_700_000_000, 1_800_000_000]) {
    const root = await busyboxRoot();
    const before = snapshotSync(root);
    mkdirSync(join(root, 'app/src'), { recursive: true });
    writeFileSync(join(root, 'app/src/main.js'), 'console.log(1)\n');
    writeFileSync(join(root, 'app/z'), 'z');
    renameSync(join(root, 'etc/group'), join(root, 'etc/group2'));
    for (const p of ['app/src/main.js', 'app/z', 'app/src', 'app', 'etc/group2', 'etc'])
      utimesSync(join(root, p), when, when);
    blobs.push(await diffToLayer(root, before, { outDir: tmp('out'), sourceDateEpoch: 1_600_000_000 }));
  }
  assert.equal(blobs[0]!.digest, blobs[1]!.digest);
  assert.equal(blobs[0]!.diffId, blobs[1]!.diffId);
  assert.deepEqual(readFileSync(blobs[0]!.path), readFileSync(blobs[1]!.path));
  const copy = tmp('copy');
  await applyLayer(copy, createReadStream(blobs[0]!.path));
  assert.equal(Math.floor(lstatSync(join(copy, 'app/src/main.js')).mtimeMs / 1000), 1_600_000_000);
});

test("opaque whiteouts hide what earlier layers put in a directory but keep this layer's entries", async () => {
  const root = tmp('opq');
  await applyLayer(
    root,
    Readable.from([
      await tarOf([
        { name: 'd/', type: 'directory', mode: 0o755 },
        { name: 'd/a', content: 'a' },
        { name: 'd/sub/b', content: 'b' },
      ]),
    ]),
  );
  await applyLayer(
    root,
    Readable.from([
      await tarOf([
        { name: 'd/c', content: 'c' },
        { name: 'd/new/deep', content: 'kept: written by this layer before the marker' },
        { name: 'd/.wh..wh..opq' },
        { name: 'x', content: '1' },
      ]),
    ]),
  );
  assert.deepEqual(readdirSync(join(root, 'd')).sort(), ['c', 'new']);
  assert.ok(existsSync(join(root, 'd/new/deep')));
  await applyLayer(
    root,
    Readable.from([
      await tarOf([
        { name: '.wh.d' },
        { name: '.wh.missing' },
        { name: 'no/such/.wh.x' },
        { name: 'nor/.wh..wh..opq' },
      ]),
    ]),
  );
  assert.equal(existsSync(join(root, 'd')), false);
  assert.deepEqual(readdirSync(root).sort(), ['x'], 'whiteouts create no directories');
  assert.equal(readFileSync(join(root, 'x'), 'utf8'), '1');
});

async function refuses(entries: E[], what: string): Promise<string> {
  const root = tmp('hostile');
  const outside = tmp('outside');
  const err = await applyLayer(join(root), Readable.from([await tarOf(entries)])).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof BuildError, `${what}: expected a BuildError, got ${String(err)}`);
  assert.equal(err.code, 'TAR_UNSAFE', `${what}: ${err.message}`);
  assert.deepEqual(readdirSync(outside), []);
  return err.message;
}

test('hostile layers are refused with TAR_UNSAFE', async () => {
  assert.match(await refuses([{ name: '../escape', content: 'x' }], '../'), /escapes the root/);
  assert.match(await refuses([{ name: 'a/../../escape', content: 'x' }], 'a/../../'), /escapes the root/);
  assert.match(await refuses([{ name: '/etc/abs', content: 'x' }], 'absolute'), /absolute/);
  assert.match(
    await refuses(
      [
        { name: 'up', type: 'symlink', linkname: '../../../../../../tmp' },
        { name: 'up/pwned', content: 'x' },
      ],
      'symlink then write',
    ),
    /outside the root/,
  );
  assert.match(
    await refuses([{ name: 'h', type: 'link', linkname: '../../etc/passwd' }], 'hard link out'),
    /escapes the root/,
  );
});

test('a write through an absolute symlink placed by an earlier entry stays inside the root', async () => {
  const root = tmp('abs-link');
  const outside = tmp('outside');
  await applyLayer(
    root,
    Readable.from([
      await tarOf([
        { name: 'out', type: 'symlink', linkname: outside },
        { name: 'out/pwned', content: 'x' },
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/passwd', type: 'symlink', linkname: '/etc/shadow' },
      ]),
    ]),
  );
  assert.deepEqual(readdirSync(outside), [], 'nothing written outside the root');
  assert.equal(readFileSync(join(root, outside, 'pwned'), 'utf8'), 'x', 'written under <root>' + outside);
  assert.equal(resolveInRoot(root, '/etc/passwd', true), join(root, 'etc/shadow'));
  assert.equal(resolveInRoot(root, '/../../etc/../..', true), root);
});

test('a file entry replaces a symlink instead of writing through it', async () => {
  const root = tmp('replace-link');
  const outside = tmp('outside');
  writeFileSync(join(outside, 'target'), 'host file');
  await applyLayer(root, Readable.from([await tarOf([{ name: 'f', type: 'symlink', linkname: '/x' }])]));
  // a symlink that escapes cannot come from a layer, so plant it as a RUN step could
  rmSync(join(root, 'f'));
  symlinkSync(join(outside, 'target'), join(root, 'f'));
  await applyLayer(root, Readable.from([await tarOf([{ name: 'f', content: 'layer' }])]));
  assert.equal(readFileSync(join(outside, 'target'), 'utf8'), 'host file');
  assert.equal(lstatSync(join(root, 'f')).isFile(), true);
});

test('not a tar: a clear TAR_UNSAFE error', async () => {
  const root = tmp('garbage');
  await assert.rejects(
    applyLayer(root, Readable.from([Buffer.from('this is not a tar archive at all'.repeat(40))])),
    (e: unknown) => {
      assert.ok(e instanceof BuildError);
      assert.equal(e.code, 'TAR_UNSAFE');
      return true;
    },
  );
});

/** The same step, as a RUN would do it: edits, removals, a directory emptied and remade, a temp file. */
function step(root: string): void {
  writeFileSync(
    join(root, 'etc/passwd'),
    readFileSync(join(root, 'etc/passwd'), 'utf8') + 'extra:x:2000:2000::/:/bin/sh\n',
  );
  rmSync(join(root, 'etc/hostname'));
  rmSync(join(root, 'usr/sbin'), { recursive: true });
  mkdirSync(join(root, 'usr/sbin')); // emptied and remade: opaque in overlay terms
  writeFileSync(join(root, 'usr/sbin/only'), 'only');
  rmSync(join(root, 'bin/ls'));
  mkdirSync(join(root, 'bin/ls'));
  writeFileSync(join(root, 'bin/ls/inside'), 'x');
  writeFileSync(join(root, 'var/tmpfile'), 'x');
  rmSync(join(root, 'var/tmpfile')); // var: mtime-only change
  chmodSync(join(root, 'root'), 0o750);
  mkdirSync(join(root, 'opt/a/b'), { recursive: true });
  writeFileSync(join(root, 'opt/a/b/f'), 'f');
  linkSync(join(root, 'opt/a/b/f'), join(root, 'opt/a/g'));
  symlinkSync('/bin/busybox', join(root, 'opt/bb'));
  chownSync(join(root, 'opt/a'), 1000, 1000);
  // the two runs happen at different times: pin file mtimes so the trees can be compared
  for (const f of ['etc/passwd', 'usr/sbin/only', 'bin/ls/inside', 'opt/a/b/f'])
    utimesSync(join(root, f), 1_234_567_890, 1_234_567_890);
}

test('overlay snapshots: the same step gives the same tree and a layer that rebuilds it', async (t) => {
  const probe = tmp('probe');
  const { overlayAvailable, releaseSnapshot } = await import('./index.ts');
  assert.ok(overlayAvailable(probe), 'overlayfs must be mountable here (root, kernel overlay support)');

  const content = await busyboxRoot();
  const cBefore = await snapshot(content);
  step(content);
  const cBlob = await diffToLayer(content, cBefore, { outDir: tmp('out') });

  const over = await busyboxRoot();
  const oBefore = await snapshot(over, { mode: 'overlay' });
  t.after(() => releaseSnapshot(oBefore)); // no-op once diffed
  assert.ok(oBefore.overlay && oBefore.entries.size === 0);
  step(over);
  const oBlob = await diffToLayer(over, oBefore, { outDir: tmp('out') });

  assert.deepEqual(describeTree(over), describeTree(content), 'the folded rootfs equals the plain one');
  const names = await layerNames(oBlob.path);
  assert.ok(names.includes('usr/sbin/.wh..wh..opq'), 'opaque directory');
  assert.ok(names.includes('etc/.wh.hostname'));
  assert.ok(!names.includes('var/'), 'mtime-only directory left out');
  assert.ok(names.includes('root/'), 'mode change kept');
  for (const blob of [cBlob, oBlob]) {
    const copy = await busyboxRoot();
    await applyLayer(copy, createReadStream(blob.path));
    assert.deepEqual(describeTree(copy), describeTree(content));
  }
  assert.equal(readdirSync(join(over, '..')).filter((n) => n.includes('-ovl-')).length, 0, 'overlay dirs removed');
});

test('overlay snapshots: release throws the step away', async () => {
  const { releaseSnapshot } = await import('./index.ts');
  const root = await busyboxRoot();
  const before = describeTree(root);
  const s = await snapshot(root, { mode: 'overlay' });
  writeFileSync(join(root, 'etc/new'), 'x');
  rmSync(join(root, 'bin/busybox'));
  releaseSnapshot(s);
  assert.deepEqual(describeTree(root), before);
});

test('devices and fifos survive apply and diff', async () => {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  const mtime = new Date(1_000_000);
  for (const h of [
    { name: 'dev/', type: 'directory' as const, mode: 0o755 },
    { name: 'dev/null', type: 'character-device' as const, mode: 0o666, devmajor: 1, devminor: 3 },
    { name: 'dev/loop0', type: 'block-device' as const, mode: 0o660, devmajor: 7, devminor: 0, gid: 6 },
    { name: 'run/fifo', type: 'fifo' as const, mode: 0o600 },
  ])
    await new Promise<void>((resolve, reject) =>
      pack.entry({ uid: 0, gid: 0, mtime, ...h }, (e) => (e ? reject(e) : resolve())),
    );
  pack.finalize();
  await done;
  const root = tmp('dev');
  const before = snapshotSync(root);
  await applyLayer(root, Readable.from([Buffer.concat(chunks)]));
  const nul = lstatSync(join(root, 'dev/null'));
  assert.ok(nul.isCharacterDevice() && nul.rdev === lstatSync('/dev/null').rdev);
  assert.ok(lstatSync(join(root, 'dev/loop0')).isBlockDevice());
  assert.equal(lstatSync(join(root, 'dev/loop0')).gid, 6);
  assert.ok(lstatSync(join(root, 'run/fifo')).isFIFO());
  const blob = await diffToLayer(root, before, { outDir: tmp('out') });
  const copy = tmp('dev-copy');
  await applyLayer(copy, createReadStream(blob.path));
  assert.deepEqual(describeTree(copy), describeTree(root));
  assert.equal(lstatSync(join(copy, 'dev/null')).rdev, nul.rdev);
});

test('mode 0 survives diff and apply (tar-stream would write a falsy mode as 0644/0755)', async () => {
  const root = await busyboxRoot();
  const before = snapshotSync(root);
  writeFileSync(join(root, 'f'), 'secret');
  chmodSync(join(root, 'f'), 0);
  mkdirSync(join(root, 'd'));
  chmodSync(join(root, 'd'), 0);
  symlinkSync('f', join(root, 'l'));
  const blob = await diffToLayer(root, before, { outDir: tmp('out') });
  const ex = tarStream.extract();
  Readable.from([gunzipSync(readFileSync(blob.path))]).pipe(ex as unknown as NodeJS.WritableStream);
  const modes = new Map<string, number>();
  for await (const e of ex) {
    modes.set(e.header.name, e.header.mode ?? -1);
    e.resume();
  }
  assert.equal(modes.get('f'), 0);
  assert.equal(modes.get('d/'), 0);
  const copy = tmp('mode0-copy');
  await applyLayer(copy, createReadStream(blob.path));
  assert.equal(lstatSync(join(copy, 'f')).mode & 0o7777, 0);
  assert.equal(lstatSync(join(copy, 'd')).mode & 0o7777, 0);
  assert.equal(readFileSync(join(copy, 'f'), 'utf8'), 'secret');
});

test('applying a run of symlinks does not re-resolve their parent for each one; a replaced parent is re-resolved', async () => {
  const outside = tmp('outside');
  const entries: E[] = [{ name: 'bin/', type: 'directory', mode: 0o755 }];
  for (let i = 0; i < 300; i++) entries.push({ name: `bin/applet${i}`, type: 'symlink', linkname: 'busybox' });
  // a directory remembered as a parent, then replaced by a symlink: what follows goes through the symlink,
  // resolved inside the root
  entries.push({ name: 'd/', type: 'directory', mode: 0o755 }, { name: 'd/x', content: 'x' });
  entries.push({ name: 'd', type: 'symlink', linkname: outside }, { name: 'd/y', content: 'y' });
  entries.push({ name: 'big', content: 'b'.repeat(3 << 20) });
  const layer = await tarOf(entries);
  const root = tmp('links');
  const real = fs.lstatSync;
  const mutableFs = fs as unknown as { lstatSync: typeof real };
  let lstats = 0;
  mutableFs.lstatSync = ((...args: Parameters<typeof real>) => {
    lstats++;
    return real(...args);
  }) as typeof real;
  syncBuiltinESMExports();
  try {
    await applyLayer(root, Readable.from([layer]));
  } finally {
    mutableFs.lstatSync = real;
    syncBuiltinESMExports();
  }
  // one lstat per entry (is something already there?) plus a few for the parents and the directory mtimes
  assert.ok(lstats <= entries.length + 20, `${lstats} lstat calls for ${entries.length} entries`);
  assert.equal(readlinkSync(join(root, 'bin/applet299')), 'busybox');
  assert.deepEqual(readdirSync(outside), [], 'nothing written outside the root');
  assert.equal(readFileSync(join(root, outside, 'y'), 'utf8'), 'y');
  assert.equal(readFileSync(join(root, 'big')).length, 3 << 20);
});
