// The difference between a snapshot and the root filesystem now, written as an OCI layer: a tar of the added
// and changed entries plus `.wh.<name>` whiteouts for removed ones, gzipped.
//
// What counts as changed (the rule, after containerd's continuity `sameFile`, which BuildKit uses):
//  - a path that is new, or whose type changed;
//  - a non-directory whose mode, uid, gid, size, mtime, ctime, inode, symlink target or device number
//    changed (ctime catches a rewrite that kept size and mtime; a chmod back and forth costs one copy);
//  - an xattr-only change of a non-directory moves its ctime (so it is caught above); a directory is compared
//    by its carried extended attributes (xattrs.ts), which the snapshot records for directories;
//  - a directory only when its mode, uid, gid or xattrs changed. A directory whose only change is its mtime (a file
//    made and removed in it, a mount stub, a package manager's temp file) is NOT emitted on its own;
//  - every parent directory of an emitted entry or whiteout is emitted too (with its current metadata), as
//    containerd's tar writer includes parents, so the layer carries the modes of the dirs it writes into.
// A removed path gets a whiteout unless its parent was removed too (one whiteout covers a whole tree) or its
// parent is no longer a directory (the replacing entry covers it).
// Entries are sorted by path bytes; uid/gid are numeric (no user names); mtimes are clamped to
// SOURCE_DATE_EPOCH when given; whiteouts carry mtime SOURCE_DATE_EPOCH (or 0); names over 100 bytes (or
// not ASCII) get a PAX header; files sharing an inode become hard links to the first of them. So the same
// tree and epoch give a byte-identical tar, and at a fixed gzip level a byte-identical blob.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, mkdirSync, renameSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type Header, type Pack } from 'tar-stream';

type Headers = Partial<Header> & Pick<Header, 'name'>;
import { BuildError } from '../errors.ts';
import { overlayDiffToLayer } from './overlay.ts';
import { writeTarGz, type TarGz } from './tar-gz.ts';
import { snapshotSync } from './snapshot.ts';
import { encodePaxRecords, readXattrs, sameXattrs, type Xattrs } from './xattrs.ts';
import type { DiffOptions, LayerBlob, SnapEntry, Snapshot } from './types.ts';

export interface Change {
  path: string;
  /** `add` covers new and changed entries and parents included for their metadata. */
  kind: 'add' | 'delete';
  entry?: SnapEntry;
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function sameEntry(b: SnapEntry, a: SnapEntry): boolean {
  if (a.type !== b.type || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (!sameXattrs(a.xattrs, b.xattrs)) return false;
  if (a.type === 'directory') return true;
  return (
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    a.ino === b.ino &&
    a.link === b.link &&
    a.rdev === b.rdev
  );
}

const byteOrder = (x: string, y: string): number => Buffer.compare(Buffer.from(x), Buffer.from(y));

/** The changes from `before` to `after`, sorted by path bytes (whiteouts named `.wh.<name>` in place). */
export function computeChanges(before: Snapshot, after: Snapshot): Change[] {
  const emit = new Map<string, Change>();
  const addParents = (p: string): void => {
    for (let d = parentOf(p); d !== '' && !emit.has(d); d = parentOf(d)) {
      const e = after.entries.get(d);
      if (e) emit.set(d, { path: d, kind: 'add', entry: e });
    }
  };
  for (const [p, a] of after.entries) {
    if (a.type === 'socket') continue; // tar cannot carry sockets
    const b = before.entries.get(p);
    if (b && sameEntry(b, a)) continue;
    emit.set(p, { path: p, kind: 'add', entry: a });
    addParents(p);
  }
  for (const p of before.entries.keys()) {
    if (after.entries.has(p)) continue;
    const parent = parentOf(p);
    if (parent !== '' && after.entries.get(parent)?.type !== 'directory') continue;
    const slash = p.lastIndexOf('/');
    const wh = `${p.slice(0, slash + 1)}.wh.${p.slice(slash + 1)}`;
    emit.set(wh, { path: wh, kind: 'delete' });
    addParents(wh);
  }
  return [...emit.values()].sort((x, y) => byteOrder(x.path, y.path));
}

function addEntry(p: Pack, header: Headers, body?: AsyncIterable<Buffer>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!body) {
      p.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
      return;
    }
    const sink = p.entry(header, (err) => (err ? reject(err) : resolve()));
    void (async () => {
      try {
        for await (const chunk of body) {
          if (!sink.write(chunk)) await new Promise<void>((r) => sink.once('drain', () => r()));
        }
        sink.end(undefined);
      } catch (e) {
        sink.destroy(e as Error);
        reject(e);
      }
    })();
  });
}

async function* fileBody(host: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(host, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(Math.min(size, 1 << 20));
    let left = size;
    while (left > 0) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), null);
      if (bytesRead === 0) throw new BuildError('INTERNAL', `${host} shrank while it was being archived`);
      left -= bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

function devNumbers(rdev: bigint): { devmajor: number; devminor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { devmajor: Number(major), devminor: Number(minor) };
}

const TYPE_BITS: Record<string, number> = {
  file: 0o100000,
  directory: 0o040000,
  symlink: 0o120000,
  char: 0o020000,
  block: 0o060000,
  fifo: 0o010000,
};

const XATTRS = Symbol('xattrs');
type XattrHeader = Headers & { [XATTRS]?: Xattrs };

/** A name tar-stream's ustar encoder takes as it is (ASCII, fits name/prefix), so no PAX path is needed. */
function ustarName(name: string): boolean {
  if (Buffer.byteLength(name) !== name.length) return false;
  if (name.length <= 100) return true;
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1))
    if (i <= 155 && name.length - i - 1 <= 100) return true;
  return false;
}

/** A stand-in ustar name for an entry whose real name rides in the PAX `path` record. */
function shortName(name: string, dir: boolean): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return ascii.slice(-(dir ? 99 : 100));
}

/**
 * Makes `p` write the PAX extended header of an entry with xattrs itself, byte exact: tar-stream writes PAX
 * values as UTF-8 strings, which would corrupt binary values such as security.capability. The one PAX
 * header carries the xattrs (sorted) and, when the name or link target does not fit the ustar header, the
 * `path`/`linkpath` records too (two PAX headers in a row are not merged by every reader). Relies on
 * tar-stream 3's Pack#_encode/push (the version is pinned; the fs tests read such tars back with GNU tar).
 */
function writeXattrsAsPax(p: Pack): void {
  const internals = p as unknown as { _encode(h: XattrHeader): void; push(b: Buffer): boolean };
  const encode = internals._encode.bind(p);
  internals._encode = (h: XattrHeader): void => {
    const xattrs = h[XATTRS];
    if (!xattrs) return encode(h);
    const isDir = h.type === 'directory';
    const extra: { path?: string; linkpath?: string } = {};
    const name = isDir && !h.name.endsWith('/') ? h.name + '/' : h.name;
    if (!ustarName(name)) extra.path = name;
    if (h.linkname && (Buffer.byteLength(h.linkname) > 100 || Buffer.byteLength(h.linkname) !== h.linkname.length))
      extra.linkpath = h.linkname;
    const body = encodePaxRecords(xattrs, extra);
    encode({
      name: 'PaxHeader',
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      size: body.length,
      mtime: h.mtime,
      type: 'pax-header',
    } as unknown as XattrHeader);
    internals.push(body);
    if (body.length % 512 !== 0) internals.push(Buffer.alloc(512 - (body.length % 512)));
    const real: Headers = { ...h };
    if (extra.path !== undefined) real.name = shortName(name, false);
    if (extra.linkpath !== undefined) real.linkname = shortName(h.linkname ?? '', false);
    encode(real);
  };
}

/** Writes the changes as an uncompressed tar into `p`, then finalizes it. */
async function writeTar(root: string, changes: Change[], p: Pack, epoch: number | undefined): Promise<void> {
  const clamp = (ns: bigint): Date => {
    let s = Number(ns / 1_000_000_000n);
    if (epoch !== undefined && s > epoch) s = epoch;
    return new Date(s * 1000);
  };
  const firstOfInode = new Map<bigint, string>();
  for (const c of changes) {
    if (c.kind === 'delete') {
      await addEntry(p, {
        name: c.path,
        type: 'file',
        mode: 0,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: new Date((epoch ?? 0) * 1000),
      });
      continue;
    }
    const e = c.entry!;
    // The file-type bits ride along with the permission bits: tar-stream's pack.entry replaces a falsy mode
    // with its default (0644, 0755 for directories), which would turn `chmod 0` into 0644. The header
    // encoder masks the mode with 0o7777, so the type bits never reach the tar.
    const mode = e.mode | (TYPE_BITS[e.type] ?? 0);
    const base: Headers = { name: c.path, mode, uid: e.uid, gid: e.gid, mtime: clamp(e.mtimeNs) };
    const xattrs = e.type === 'directory' ? e.xattrs : readXattrs(join(root, c.path));
    if (xattrs) (base as XattrHeader)[XATTRS] = xattrs;
    switch (e.type) {
      case 'directory':
        await addEntry(p, { ...base, name: c.path + '/', type: 'directory' });
        break;
      case 'symlink':
        await addEntry(p, { ...base, type: 'symlink', linkname: e.link ?? '' });
        break;
      case 'file': {
        if (e.nlink > 1) {
          const first = firstOfInode.get(e.ino);
          if (first !== undefined) {
            const { [XATTRS]: _shared, ...link } = base as XattrHeader; // the inode's xattrs go with its first name
            await addEntry(p, { ...link, type: 'link', linkname: first, size: 0 });
            break;
          }
          firstOfInode.set(e.ino, c.path);
        }
        await addEntry(
          p,
          { ...base, type: 'file', size: e.size },
          e.size > 0 ? fileBody(join(root, c.path), e.size) : undefined,
        );
        break;
      }
      case 'char':
      case 'block':
        await addEntry(p, {
          ...base,
          type: e.type === 'char' ? 'character-device' : 'block-device',
          ...devNumbers(e.rdev),
        });
        break;
      case 'fifo':
        await addEntry(p, { ...base, type: 'fifo' });
        break;
      default:
        break;
    }
  }
  p.finalize();
}

/** Writes the given changes of `rootfs` as a gzipped layer blob into `opts.outDir`. */
export async function writeLayer(rootfs: string, changes: Change[], opts: DiffOptions): Promise<LayerBlob> {
  mkdirSync(opts.outDir, { recursive: true });
  const tmp = join(opts.outDir, `.layer-${randomBytes(8).toString('hex')}.tmp`);
  let r: TarGz;
  try {
    r = await writeTarGz(tmp, (p) => writeTar(rootfs, changes, p, opts.sourceDateEpoch), {
      level: opts.gzipLevel ?? 6,
      setup: writeXattrsAsPax,
    });
  } catch (e) {
    if (e instanceof BuildError) throw e;
    throw new BuildError('INTERNAL', `writing the layer of ${rootfs} failed: ${(e as Error).message}`, { cause: e });
  }
  const path = join(opts.outDir, `${r.digest.slice(7)}.tar.gz`);
  renameSync(tmp, path);
  return {
    path,
    digest: r.digest,
    diffId: r.diffId,
    size: r.size,
    empty: changes.length === 0,
    entries: changes.length,
  };
}

/** The changes of `rootfs` since `before`, as a layer blob (see the rule at the top of this file). */
export async function diffToLayer(rootfs: string, before: Snapshot, opts: DiffOptions): Promise<LayerBlob> {
  if (before.overlay) return overlayDiffToLayer(before, opts);
  const after = snapshotSync(rootfs);
  return writeLayer(rootfs, computeChanges(before, after), opts);
}
