// Applies one image layer (tar, or tar+gzip) to a root filesystem directory, following the OCI image spec's
// "Applying Changesets": `.wh.<name>` removes a path, `.wh..wh..opq` empties a directory of what earlier
// layers put there, and every other entry replaces what is at its path. Modes (setuid/setgid/sticky too),
// uid/gid (lchown; we run as root), mtimes (lutimes, directories last), symlinks, hard links, devices and
// fifos are kept, and so are extended attributes (PAX `SCHILY.xattr.*`, see xattrs.ts for which). Names
// that are absolute or climb above the root, relative symlinks that point above the
// root (as moby refuses them) and hard links to paths outside the root are refused with TAR_UNSAFE; parent
// directories are resolved inside the root (root-path.ts), so a symlink placed by an earlier entry can
// never redirect a write to the host, and the final component is never followed (it is replaced).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  openSync,
  writeSync,
  constants as fsConstants,
  linkSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  type Stats,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { BuildError } from '../errors.ts';
import { entryPath, linkEscapes, resolveInRoot } from './root-path.ts';
import type { ApplyLayerOptions } from './types.ts';
import { decodePaxXattrs, writeXattrs, type Xattrs } from './xattrs.ts';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** Files up to this size are gathered and written with one synchronous call (busybox-static is ~2 MB). */
const SMALL_FILE = 8 << 20;

/** The layer as an uncompressed tar stream, deciding on gzip from its first two bytes. */
export async function decompressed(layer: Readable): Promise<Readable> {
  const it = layer[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  const out = new PassThrough();
  const head: Buffer | undefined = first.done ? undefined : Buffer.from(first.value);
  if (head && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    throw new BuildError('TAR_UNSAFE', 'zstd-compressed layers are not supported on this Node.js version');
  const gz = head !== undefined && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  void (async () => {
    try {
      if (head) if (!out.write(head)) await new Promise((r) => out.once('drain', r));
      for (;;) {
        const n = await it.next();
        if (n.done) break;
        if (!out.write(n.value)) await new Promise((r) => out.once('drain', r));
      }
      out.end();
    } catch (e) {
      out.destroy(e as Error);
    }
  })();
  if (!gz) return out;
  const gunzip = createGunzip();
  out.on('error', (e) => gunzip.destroy(e));
  return out.pipe(gunzip);
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/** Removes whatever is at `p` (never following a symlink there). */
function removePath(p: string): void {
  rmSync(p, { recursive: true, force: true });
}

function setOwnerMode(p: string, h: Header, isLink: boolean): void {
  lchownSync(p, h.uid ?? 0, h.gid ?? 0);
  // after chown, which clears setuid/setgid
  if (!isLink) chmodSync(p, (h.mode ?? 0) & 0o7777);
}

function mtimeOf(h: Header): Date {
  return h.mtime instanceof Date ? h.mtime : new Date(0);
}

interface Applier {
  root: string;
  /**
   * Parent directories already resolved in this layer (root-relative dir → host dir). Only real directories
   * go in; it is cleared whenever an entry removes something or places a symlink, since either can change
   * what a path resolves to.
   */
  dirs: Map<string, string>;
  written: Set<string>; // host paths this layer created, kept by an opaque whiteout
  dirTimes: Array<{ path: string; mtime: Date }>;
  opts: ApplyLayerOptions;
  layerName: string;
}

/** Host path of the parent directory of `rel`, created (0755 root) where missing, resolved inside the root. */
function parentDir(a: Applier, rel: string): string {
  const dir = dirname(rel) === '.' ? '' : dirname(rel);
  const known = a.dirs.get(dir);
  if (known !== undefined) return known;
  const host = resolveInRoot(a.root, dir, true);
  const st = lstatOrNull(host);
  if (st === null) mkdirSync(host, { recursive: true, mode: 0o755 });
  else if (!st.isDirectory())
    throw new BuildError('TAR_UNSAFE', `layer ${a.layerName}: parent of ${JSON.stringify(rel)} is not a directory`);
  a.dirs.set(dir, host);
  return host;
}

/** Host path of the parent directory of `rel` when it exists as a directory (whiteouts never create it). */
function existingParent(a: Applier, rel: string): string | null {
  const dir = dirname(rel) === '.' ? '' : dirname(rel);
  const known = a.dirs.get(dir);
  if (known !== undefined) return known;
  const host = resolveInRoot(a.root, dir, true);
  return lstatOrNull(host)?.isDirectory() ? host : null;
}

/** Records that this layer wrote `host`, and so (for opaque markers) every directory above it. */
function markWritten(a: Applier, host: string): void {
  for (let p = host; p.length > a.root.length && !a.written.has(p); p = dirname(p)) a.written.add(p);
}

function removeIn(a: Applier, p: string): void {
  removePath(p);
  a.dirs.clear();
}

async function applyEntry(a: Applier, h: Header, body: AsyncIterable<Buffer> & { resume(): unknown }): Promise<void> {
  const rel = entryPath(h.name);
  if (rel === '') return void body.resume(); // the root itself: keep the rootfs directory as it is
  const base = basename(rel);
  if (base === OPAQUE) {
    body.resume();
    const host = existingParent(a, rel);
    if (host === null) return; // nothing below to hide
    for (const child of readdirSync(host)) {
      const p = join(host, child);
      if (!a.written.has(p)) removeIn(a, p);
    }
    return;
  }
  if (base.startsWith(WHITEOUT_PREFIX)) {
    body.resume();
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..')
      throw new BuildError('TAR_UNSAFE', `layer ${a.layerName}: invalid whiteout ${JSON.stringify(h.name)}`);
    const host = existingParent(a, rel);
    if (host !== null) removeIn(a, join(host, name));
    return;
  }
  const pax = h.pax as (Record<string, string> & { [RAW_XATTRS]?: Xattrs }) | null | undefined;
  const xattrs = pax?.[RAW_XATTRS];
  const host = join(parentDir(a, rel), base);
  const existing = lstatOrNull(host);
  const type = h.type ?? 'file';
  const mtime = mtimeOf(h);
  markWritten(a, host);

  if (type === 'directory') {
    if (existing && !existing.isDirectory()) removeIn(a, host);
    if (!existing || !existing.isDirectory()) mkdirSync(host, { mode: 0o700 });
    a.dirs.set(rel, host);
    body.resume();
    setOwnerMode(host, h, false);
    if (xattrs) applyXattrs(a, rel, host, xattrs);
    a.dirTimes.push({ path: host, mtime });
    return;
  }
  if (existing) removeIn(a, host);

  switch (type) {
    case 'file':
    case 'contiguous-file': {
      const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;
      if ((h.size ?? 0) <= SMALL_FILE) {
        // small files (most of them): gather, then one synchronous open/write/close, no thread-pool hops
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk);
        const fd = openSync(host, flags, 0o600);
        try {
          const data = Buffer.concat(chunks);
          for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
        } finally {
          closeSync(fd);
        }
        break;
      }
      const fh = await open(host, flags, 0o600);
      try {
        for await (const chunk of body) await fh.write(chunk);
      } finally {
        await fh.close();
      }
      break;
    }
    case 'symlink': {
      body.resume();
      const target = h.linkname ?? '';
      if (linkEscapes(dirname(rel) === '.' ? '' : dirname(rel), target))
        throw new BuildError('TAR_UNSAFE', `layer ${a.layerName}: symlink ${rel} -> ${target} points outside the root`);
      symlinkSync(target, host);
      // Only a symlink that took the place of something can change what a remembered parent resolves to
      // (and that removal already cleared them). Remembered parents are existing real directories and
      // nothing was removed since they were resolved, so none of them is at or below `host`, which did not
      // exist: keeping them saves two lstats per following entry (busybox: ~400 applet symlinks in a row).
      if (existing) a.dirs.clear();
      break;
    }
    case 'link': {
      body.resume();
      const targetRel = entryPath(h.linkname ?? '', 'hard-link target');
      const targetParent = existingParent(a, targetRel);
      const targetHost = targetParent === null ? null : join(targetParent, basename(targetRel));
      const st = targetHost === null ? null : lstatOrNull(targetHost);
      if (targetRel === '' || targetHost === null || st === null || st.isDirectory())
        throw new BuildError(
          'TAR_UNSAFE',
          `layer ${a.layerName}: hard link ${rel} -> ${h.linkname} has no file to link to`,
        );
      linkSync(targetHost, host);
      return; // a hard link shares its target's inode and metadata
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      body.resume();
      const args =
        type === 'fifo'
          ? [host, 'p']
          : [host, type === 'character-device' ? 'c' : 'b', String(h.devmajor ?? 0), String(h.devminor ?? 0)];
      const r = spawnSync('mknod', args, { encoding: 'utf8' });
      if (r.status !== 0)
        throw new BuildError('INTERNAL', `layer ${a.layerName}: mknod ${rel} failed: ${r.stderr || r.error?.message}`);
      break;
    }
    default:
      body.resume();
      a.opts.onWarning?.(`${rel}: tar entry type ${type} skipped`);
      a.written.delete(host);
      return;
  }
  setOwnerMode(host, h, type === 'symlink');
  if (xattrs) applyXattrs(a, rel, host, xattrs);
  lutimesSync(host, mtime, mtime);
}

/** Sets an entry's xattrs (after chown, which clears security.capability); see xattrs.ts for what is skipped. */
function applyXattrs(a: Applier, rel: string, host: string, xattrs: Xattrs): void {
  writeXattrs(
    host,
    xattrs,
    (m) => a.opts.onWarning?.(`${rel}: ${m}`),
    (m, cause) => new BuildError('INTERNAL', `layer ${a.layerName}: ${rel}: ${m}`, { cause }),
  );
}

const RAW_XATTRS = Symbol('rawXattrs');

/**
 * Makes `ex` keep the `SCHILY.xattr.*` records of each PAX header as raw bytes (tar-stream decodes PAX values
 * as UTF-8, which corrupts binary ones such as security.capability): they ride on the decoded PAX object,
 * which tar-stream hands to the next entry as `header.pax`. Relies on tar-stream 3's Extract internals
 * (`_decodeLongHeader`, `_header`, `_pax`); the version is pinned and the fs tests cover it.
 */
function keepRawXattrs(ex: ReturnType<typeof extract>): void {
  const internals = ex as unknown as {
    _decodeLongHeader(buf: Buffer): void;
    _header: { type?: string } | null;
    _pax: (Record<string, string> & { [RAW_XATTRS]?: Xattrs }) | null;
  };
  const decode = internals._decodeLongHeader.bind(ex);
  internals._decodeLongHeader = (buf: Buffer): void => {
    decode(buf);
    if (internals._header?.type !== 'pax-header' || internals._pax === null) return;
    const x = decodePaxXattrs(buf);
    if (x.length > 0) internals._pax[RAW_XATTRS] = x;
  };
}

/** Applies a layer (tar or tar+gzip stream) on top of the root filesystem at `rootfs`. */
export async function applyLayer(rootfs: string, layer: Readable, opts: ApplyLayerOptions = {}): Promise<void> {
  const a: Applier = {
    root: rootfs,
    dirs: new Map(),
    written: new Set(),
    dirTimes: [],
    opts,
    layerName: opts.name ?? 'layer',
  };
  const max = opts.maxBytes ?? 64 * 1024 ** 3;
  let total = 0;
  const tar = await decompressed(layer);
  const ex = extract();
  keepRawXattrs(ex);
  tar.on('error', (e) => ex.destroy(e));
  tar.pipe(ex as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of ex) {
      total += entry.header.size ?? 0;
      if (total > max) throw new BuildError('TAR_UNSAFE', `layer ${a.layerName} expands beyond ${max} bytes`);
      try {
        await applyEntry(a, entry.header, entry as unknown as AsyncIterable<Buffer> & { resume(): unknown });
      } catch (e) {
        if (e instanceof BuildError) throw e;
        throw new BuildError('INTERNAL', `layer ${a.layerName}: ${entry.header.name}: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
  } catch (e) {
    tar.destroy();
    if (e instanceof BuildError) throw e;
    throw new BuildError('TAR_UNSAFE', `layer ${a.layerName} is not a valid tar: ${(e as Error).message}`, {
      cause: e,
    });
  }
  // directory mtimes last, deepest first: writing into a directory changes its mtime
  a.dirTimes.sort((x, y) => y.path.length - x.path.length);
  for (const { path, mtime } of a.dirTimes) if (lstatOrNull(path)?.isDirectory()) lutimesSync(path, mtime, mtime);
}
