// A stat-based snapshot of a root filesystem directory: one lstat per path (and one llistxattr per directory), no content read. Two snapshots
// (or a snapshot and the directory now) tell what a RUN or COPY step changed; see diff-layer.ts for the rule.
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { overlaySnapshot } from './overlay.ts';
import { readXattrs } from './xattrs.ts';
import type { SnapEntry, SnapEntryType, Snapshot, SnapshotOptions } from './types.ts';

function typeOf(st: BigIntStats): SnapEntryType {
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'file';
}

export function entryOf(host: string, st: BigIntStats): SnapEntry {
  const type = typeOf(st);
  const e: SnapEntry = {
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    ino: st.ino,
    nlink: Number(st.nlink),
    rdev: st.rdev,
  };
  if (type === 'symlink') e.link = readlinkSync(host);
  // Directories only: setxattr changes an inode's ctime, which the diff already compares for every other
  // type, and the writer reads a file's xattrs when it archives it. A directory's ctime also moves with
  // every entry made or removed in it, so its xattrs are kept to tell a real change from that.
  if (type === 'directory') {
    const x = readXattrs(host);
    if (x) e.xattrs = x;
  }
  return e;
}

/**
 * Walks `rootfs` (without following symlinks, staying on its tree) and records every path's stat. Synchronous
 * calls are used on purpose: they avoid a thread-pool round trip per file and take ~1-2 µs each.
 */
export function snapshotSync(rootfs: string): Snapshot {
  const entries = new Map<string, SnapEntry>();
  const walk = (dirHost: string, dirRel: string): void => {
    for (const name of readdirSync(dirHost)) {
      const host = join(dirHost, name);
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      let st: BigIntStats;
      try {
        st = lstatSync(host, { bigint: true });
      } catch {
        continue; // vanished while walking
      }
      const e = entryOf(host, st);
      entries.set(rel, e);
      if (e.type === 'directory') walk(host, rel);
    }
  };
  walk(rootfs, '');
  return { root: rootfs, entries };
}

/** A snapshot of `rootfs` to diff against later (see SnapshotOptions for the two modes). */
export async function snapshot(rootfs: string, opts: SnapshotOptions = {}): Promise<Snapshot> {
  return opts.mode === 'overlay' ? overlaySnapshot(rootfs) : snapshotSync(rootfs);
}
