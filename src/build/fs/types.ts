// Public types of the build filesystem layer: applying image layers to a root filesystem directory,
// stat-based snapshots of that directory, and the diff of a snapshot against the directory as an OCI layer.

export type SnapEntryType = 'file' | 'directory' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** What a snapshot remembers of one path: only stat fields (no content is read). */
export interface SnapEntry {
  type: SnapEntryType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  /** Changes on every content, mode, owner or link-count change and cannot be set back by utimes. */
  ctimeNs: bigint;
  ino: bigint;
  nlink: number;
  /** Device number of char/block devices. */
  rdev: bigint;
  /** Target of a symlink. */
  link?: string;
  /** Carried extended attributes (xattrs.ts) of a directory, sorted by name; absent when none (never read for other types). */
  xattrs?: Array<[name: string, value: Buffer]>;
}

export interface Snapshot {
  /** The root filesystem directory the snapshot was taken of (absolute). */
  root: string;
  /** Root-relative paths without a leading slash (`etc/passwd`); the root itself is not included. */
  entries: Map<string, SnapEntry>;
  /**
   * Set for an overlay snapshot (`snapshot(rootfs, { mode: 'overlay' })`): `root` is then an overlay mount
   * over itself and `entries` is empty; diffToLayer reads the upper directory and folds it back into the
   * rootfs, releaseSnapshot throws the changes away.
   */
  overlay?: { upper: string; work: string; base: string; lowerFd: number };
}

export interface SnapshotOptions {
  /**
   * `content` (default): stat every path now, compare with a second walk later. `overlay`: mount an overlay
   * over the rootfs (upperdir = the layer); needs root and a kernel that lets us mount overlayfs.
   */
  mode?: 'content' | 'overlay';
}

export interface ApplyLayerOptions {
  /** Called for things the applier skips but the caller may want to report (e.g. xattrs). */
  onWarning?: (message: string) => void;
  /** Refuse layers that expand beyond this many bytes (default 64 GiB). */
  maxBytes?: number;
  /** Name of the layer in error messages (e.g. its digest). */
  name?: string;
}

export interface DiffOptions {
  /** Directory the layer blob is written to (created if missing). */
  outDir: string;
  /** Clamp every mtime to this (seconds since the epoch), as BuildKit does with SOURCE_DATE_EPOCH. */
  sourceDateEpoch?: number;
  /** gzip level (default 6); fixed so the same tar gives the same blob. */
  gzipLevel?: number;
}

export interface LayerBlob {
  /** Path of the gzipped tar (`<outDir>/<hex of digest>.tar.gz`). */
  path: string;
  /** `sha256:` of the gzipped blob (the descriptor digest). */
  digest: string;
  /** `sha256:` of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  /** Size in bytes of the gzipped blob. */
  size: number;
  /** True when nothing changed (no entries; BuildKit then records an empty_layer history entry). */
  empty: boolean;
  /** Number of tar entries, whiteouts included. */
  entries: number;
}
