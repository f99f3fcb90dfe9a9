// Path resolution scoped to a root filesystem directory, with chroot semantics: an absolute symlink target
// is taken relative to the root, and `..` never climbs above it. Every host path this area touches inside a
// rootfs goes through here, so a symlink placed by a layer (or by a RUN step) can never redirect a write, a
// read of /etc/passwd or a mount target to the host.
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';

const MAX_LINKS = 255;

export function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

/**
 * Maps the in-root path `p` to a host path under `root`, following symlinks in every component except the
 * last (unless `followFinal`), each resolved inside the root. Components that do not exist are kept as
 * they are. Never returns a path outside `root`.
 */
export function resolveInRoot(root: string, p: string, followFinal = false): string {
  return join(root, ...resolveComponents(root, p, followFinal));
}

/** Same as resolveInRoot, as root-relative components. */
export function resolveComponents(root: string, p: string, followFinal = false): string[] {
  let resolved: string[] = [];
  const queue = splitPath(p);
  let links = 0;
  let missing = false;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, c];
    if (missing || (queue.length === 0 && !followFinal)) {
      resolved = candidate;
      continue;
    }
    let isLink = false;
    try {
      isLink = lstatSync(join(root, ...candidate)).isSymbolicLink();
    } catch {
      missing = true; // nothing below can exist either; keep the rest as given
    }
    if (!isLink) {
      resolved = candidate;
      continue;
    }
    if (++links > MAX_LINKS)
      throw new BuildError('TAR_UNSAFE', `too many levels of symbolic links resolving /${splitPath(p).join('/')}`);
    const target = readlinkSync(join(root, ...candidate));
    if (target.startsWith('/')) resolved = [];
    queue.unshift(...splitPath(target));
  }
  return resolved;
}

/**
 * Normalizes a tar entry name (or hard-link target) to a root-relative path. Absolute names and names with
 * `..` that climb above the root are refused with TAR_UNSAFE.
 */
export function entryPath(name: string, what = 'entry'): string {
  if (name.startsWith('/'))
    throw new BuildError('TAR_UNSAFE', `layer ${what} ${JSON.stringify(name)} is an absolute path`);
  const out: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0)
        throw new BuildError('TAR_UNSAFE', `layer ${what} ${JSON.stringify(name)} escapes the root`);
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

/** True when a relative symlink target, seen from the directory `dir` (root-relative), climbs above the root. */
export function linkEscapes(dir: string, target: string): boolean {
  if (target.startsWith('/')) return false; // absolute targets are resolved inside the root
  let depth = splitPath(dir).length;
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (--depth < 0) return true;
    } else depth++;
  }
  return false;
}
