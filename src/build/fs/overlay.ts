// The overlay snapshotter: instead of walking the whole rootfs twice, mount an overlay over the rootfs itself
// (lowerdir = the rootfs as it is, upperdir = an empty directory beside it) so that everything a step writes
// lands in the upper directory, which IS the layer. The diff then reads only the upper directory:
//  - a character device 0:0 is an overlay whiteout → `.wh.<name>`;
//  - a directory that hides what the lower directory had (overlay's opaque xattr, which Node cannot read) is
//    recognised by a lower child that is neither in the merged view nor in the upper directory →
//    `.wh..wh..opq`;
//  - directories follow the content rule (diff-layer.ts): emitted when new, when mode/uid/gid changed, or as
//    parents of emitted entries; an upper directory whose only change is its mtime is left out.
// After the layer is written the overlay is unmounted and the upper directory is folded into the rootfs
// (renames on the same filesystem, whiteouts applied), so the rootfs is again one plain directory.
// Mount options: redirect_dir, index, metacopy and xino off, so every change is a plain copy-up.
// The lower directory stays reachable under the mount through an fd opened before mounting
// (/proc/self/fd/N). Mounts still active when the process exits are detached (umount -l).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  type BigIntStats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BuildError } from '../errors.ts';
import { writeLayer, type Change } from './diff-layer.ts';
import { entryOf } from './snapshot.ts';
import { readXattrs, sameXattrs } from './xattrs.ts';
import type { DiffOptions, LayerBlob, Snapshot } from './types.ts';

const active = new Set<string>();
/** Snapshots already diffed or released (release is then a no-op). */
const finished = new WeakSet<Snapshot>();
let exitHook = false;

function run(cmd: string, args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: (r.stderr || r.error?.message || '').trim() };
}

function lstatBig(p: string): BigIntStats | null {
  try {
    return lstatSync(p, { bigint: true });
  } catch {
    return null;
  }
}

const isWhiteout = (st: BigIntStats): boolean => st.isCharacterDevice() && st.rdev === 0n;

/**
 * Mounts an overlay over `rootfs`; what is written to `rootfs` from now on lands in the upper directory.
 * `lower` (default: `rootfs` itself) is the read-only directory the overlay shows beneath (the pod runtime's
 * image cache); releaseOverlay then leaves `rootfs` as the empty mount point it was.
 */
export function overlaySnapshot(rootfs: string, lower: string = rootfs): Snapshot {
  if (/[,:\\]/.test(rootfs) || /[,:\\]/.test(lower))
    throw new BuildError('INTERNAL', `overlay snapshots need a rootfs path without , : or \\ (${rootfs})`);
  const base = mkdtempSync(join(dirname(rootfs), `.${basename(rootfs)}-ovl-`));
  const upper = join(base, 'upper');
  const work = join(base, 'work');
  mkdirSync(upper);
  mkdirSync(work);
  const lowerFd = openSync(lower, 'r');
  const opts = `lowerdir=${lower},upperdir=${upper},workdir=${work},redirect_dir=off,index=off,metacopy=off,xino=off`;
  const r = run('mount', ['-t', 'overlay', 'overlay', '-o', opts, rootfs]);
  if (!r.ok) {
    closeSync(lowerFd);
    rmSync(base, { recursive: true, force: true });
    throw new BuildError('INTERNAL', `cannot mount an overlay on ${rootfs}: ${r.err}`);
  }
  active.add(rootfs);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const m of active) spawnSync('umount', ['-l', m]);
    });
  }
  return { root: rootfs, entries: new Map(), overlay: { upper, work, base, lowerFd } };
}

function unmount(s: Snapshot): void {
  const r = run('umount', [s.root]);
  if (!r.ok) {
    const lazy = run('umount', ['-l', s.root]);
    if (!lazy.ok) throw new BuildError('INTERNAL', `cannot unmount the overlay on ${s.root}: ${r.err}`);
  }
  active.delete(s.root);
}

/** Unmounts an overlay snapshot and throws its changes away (the rootfs is as it was at snapshot time). */
export function releaseOverlay(s: Snapshot): void {
  if (!s.overlay || finished.has(s)) return;
  finished.add(s);
  unmount(s);
  closeSync(s.overlay.lowerFd);
  rmSync(s.overlay.base, { recursive: true, force: true });
}

interface UpperScan {
  changes: Change[];
  opaque: Set<string>;
}

/** Reads the upper directory as changes (see the rule at the top of this file). */
function scanUpper(s: Snapshot): UpperScan {
  const ov = s.overlay!;
  const lower = (rel: string): string => join(`/proc/self/fd/${ov.lowerFd}`, rel);
  const changes: Change[] = [];
  const opaque = new Set<string>();
  // returns whether anything at or below `rel` was emitted
  const walk = (rel: string): boolean => {
    const upperDir = join(ov.upper, rel);
    let emittedBelow = false;
    const names = readdirSync(upperDir);
    const inUpper = new Set(names);
    const lowerSt = rel === '' ? null : lstatBig(lower(rel));
    if (lowerSt?.isDirectory() || rel === '') {
      let lowerNames: string[] = [];
      try {
        lowerNames = readdirSync(lower(rel));
      } catch {
        lowerNames = [];
      }
      const merged = new Set(readdirSync(join(s.root, rel)));
      if (lowerNames.some((n) => !inUpper.has(n) && !merged.has(n))) {
        opaque.add(rel);
        const p = rel === '' ? '.wh..wh..opq' : `${rel}/.wh..wh..opq`;
        changes.push({ path: p, kind: 'delete' });
        emittedBelow = true;
      }
    }
    for (const name of names) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const host = join(ov.upper, r);
      const st = lstatSync(host, { bigint: true });
      if (isWhiteout(st)) {
        // a whiteout for something no lower layer had (created and removed in this step) is not needed
        if (lstatBig(lower(r)) !== null) {
          const slash = r.lastIndexOf('/');
          changes.push({ path: `${r.slice(0, slash + 1)}.wh.${r.slice(slash + 1)}`, kind: 'delete' });
          emittedBelow = true;
        }
        continue;
      }
      if (st.isSocket()) continue;
      if (st.isDirectory()) {
        const below = walk(r);
        const l = lstatBig(lower(r));
        const entry = entryOf(host, st);
        const changed =
          l === null ||
          !l.isDirectory() ||
          l.mode !== st.mode ||
          l.uid !== st.uid ||
          l.gid !== st.gid ||
          !sameXattrs(readXattrs(lower(r)), entry.xattrs);
        if (changed || below) {
          changes.push({ path: r, kind: 'add', entry });
          emittedBelow = true;
        }
        continue;
      }
      changes.push({ path: r, kind: 'add', entry: entryOf(host, st) });
      emittedBelow = true;
    }
    return emittedBelow;
  };
  walk('');
  changes.sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path)));
  return { changes, opaque };
}

/** Moves the upper directory's changes into the (unmounted) rootfs. */
function foldIntoLower(root: string, upper: string, opaque: Set<string>): void {
  const dirTimes: Array<{ path: string; st: BigIntStats }> = [];
  const walk = (rel: string): void => {
    const lowerDir = join(root, rel);
    if (opaque.has(rel))
      for (const n of readdirSync(lowerDir)) rmSync(join(lowerDir, n), { recursive: true, force: true });
    for (const name of readdirSync(join(upper, rel))) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const up = join(upper, r);
      const low = join(root, r);
      const st = lstatSync(up, { bigint: true });
      const cur = lstatBig(low);
      if (isWhiteout(st)) {
        rmSync(low, { recursive: true, force: true });
        continue;
      }
      if (st.isDirectory()) {
        if (cur && !cur.isDirectory()) rmSync(low, { recursive: true, force: true });
        if (!cur || !cur.isDirectory()) mkdirSync(low);
        lchownSync(low, Number(st.uid), Number(st.gid));
        chmodSync(low, Number(st.mode & 0o7777n));
        walk(r);
        dirTimes.push({ path: low, st });
        continue;
      }
      if (cur) rmSync(low, { recursive: true, force: true });
      renameSync(up, low);
    }
  };
  walk('');
  for (const { path, st } of dirTimes.reverse()) {
    const t = (ns: bigint): Date => new Date(Number(ns / 1_000_000n));
    lutimesSync(path, t(st.atimeNs), t(st.mtimeNs));
  }
}

/** The layer of an overlay snapshot; afterwards the rootfs is a plain directory holding the changes. */
export async function overlayDiffToLayer(s: Snapshot, opts: DiffOptions): Promise<LayerBlob> {
  const ov = s.overlay!;
  if (finished.has(s)) throw new BuildError('INTERNAL', `overlay snapshot of ${s.root} was already diffed or released`);
  let scan: UpperScan;
  let blob: LayerBlob;
  try {
    scan = scanUpper(s);
    blob = await writeLayer(ov.upper, scan.changes, opts);
  } catch (e) {
    releaseOverlay(s);
    throw e;
  }
  finished.add(s);
  unmount(s);
  closeSync(ov.lowerFd);
  try {
    foldIntoLower(s.root, ov.upper, scan.opaque);
  } finally {
    rmSync(ov.base, { recursive: true, force: true });
  }
  return blob;
}

/** True when overlayfs can be mounted here (root, kernel support, not blocked by the container). */
export function overlayAvailable(scratch: string): boolean {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(scratch, '.ovl-probe-'));
    const root = join(dir, 'root');
    mkdirSync(root);
    const s = overlaySnapshot(root);
    releaseOverlay(s);
    return true;
  } catch {
    return false;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
