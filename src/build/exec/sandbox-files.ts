// What every executor prepares around a run: /etc/hosts and /etc/resolv.conf generated outside the rootfs
// and bind-mounted read-only (as BuildKit does), the working directory, and mount stubs: the files and
// directories that must exist in the rootfs as mount points are created before the run and removed after
// it when they are still empty, with their parent's mtime restored (BuildKit's MountStubsCleaner), so
// mount points never leak into a layer.
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveComponents } from '../fs/root-path.ts';
import type { RunSpec } from './types.ts';

export const DEFAULT_HOSTNAME = 'sekisho';

export function hostsFile(spec: RunSpec): string {
  const hostname = spec.hostname ?? DEFAULT_HOSTNAME;
  const lines = [`127.0.0.1\tlocalhost ${hostname}`, '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const h of spec.extraHosts ?? []) lines.push(`${h.ip}\t${h.host}`);
  return lines.join('\n') + '\n';
}

/**
 * The host's resolv.conf; for network=none without loopback nameservers (they would point at the sandbox's
 * own lo), as BuildKit filters them. No public resolvers are added.
 */
export function resolvConf(spec: RunSpec, hostFile = '/etc/resolv.conf'): string {
  let text = '';
  try {
    text = readFileSync(hostFile, 'utf8');
  } catch {
    return '';
  }
  if (spec.network === 'host') return text;
  return text
    .split('\n')
    .filter((l) => !/^\s*nameserver\s+(127\.|::1\b|0\.0\.0\.0)/.test(l))
    .join('\n');
}

export interface Stub {
  host: string;
  kind: 'file' | 'dir';
}

export interface StubSet {
  stubs: Stub[];
  parentTimes: Array<{ host: string; atime: Date; mtime: Date }>;
}

/**
 * Makes sure every mount target exists inside the rootfs (a file when `file` is true, else a directory),
 * creating what is missing and remembering it. Targets are resolved inside the rootfs.
 */
export function createStubs(rootfs: string, targets: Array<{ target: string; file: boolean }>): StubSet {
  const set: StubSet = { stubs: [], parentTimes: [] };
  for (const t of targets) {
    const comps = resolveComponents(rootfs, t.target, true);
    for (let i = 0; i < comps.length; i++) {
      const host = join(rootfs, ...comps.slice(0, i + 1));
      let exists = true;
      try {
        lstatSync(host);
      } catch {
        exists = false;
      }
      if (exists) continue;
      const parent = dirname(host);
      if (set.stubs.length === 0 || !set.stubs.some((s) => s.host === parent)) {
        const st = lstatSync(parent);
        set.parentTimes.push({ host: parent, atime: st.atime, mtime: st.mtime });
      }
      const last = i === comps.length - 1;
      if (last && t.file) {
        writeFileSync(host, '', { mode: 0o644, flag: 'wx' });
        set.stubs.push({ host, kind: 'file' });
      } else {
        mkdirSync(host, { mode: 0o755 });
        set.stubs.push({ host, kind: 'dir' });
      }
    }
  }
  return set;
}

/** Removes the stubs that are still empty, deepest first, and puts their parents' times back. */
export function removeStubs(set: StubSet): void {
  for (const s of [...set.stubs].reverse()) {
    try {
      const st = lstatSync(s.host);
      if (s.kind === 'file' && st.isFile() && st.size === 0) unlinkSync(s.host);
      else if (s.kind === 'dir' && st.isDirectory()) rmdirSync(s.host); // fails (kept) when not empty
    } catch {
      // gone already, or not empty: keep what the step made
    }
  }
  for (const p of [...set.parentTimes].reverse()) {
    try {
      utimesSync(p.host, p.atime, p.mtime);
    } catch {
      // the parent went away during the run
    }
  }
}

/**
 * The rootfs directory is the container's `/`, which is 0755 in every image; a directory made by mkdtemp is
 * 0700 and would lock every non-root user out of the whole tree, so it is opened up to 0755.
 */
export function ensureRootMode(rootfs: string): void {
  const st = lstatSync(rootfs);
  if ((st.mode & 0o7777) !== 0o755) chmodSync(rootfs, 0o755);
}

/** Creates the working directory (root, 0755) when missing, as BuildKit does; it stays in the layer. */
export function ensureCwd(rootfs: string, cwd: string): void {
  ensureRootMode(rootfs);
  const host = join(rootfs, ...resolveComponents(rootfs, cwd, true));
  mkdirSync(host, { recursive: true, mode: 0o755 });
}
