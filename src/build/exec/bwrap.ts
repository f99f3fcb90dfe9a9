// BwrapExecutor: the same RunSpec through bubblewrap, the fallback where runc cannot run.
//  - bwrap runs as root without a user namespace, with Docker's default capabilities only (bwrap keeps every
//    capability for a privileged caller unless told otherwise).
//  - a user other than plain root (another uid, or extra groups): the command is started through the host's
//    setpriv (util-linux), bound read-only with the libraries it loads under /dev/.sekisho (bwrap's own
//    /dev tmpfs, so nothing lands in the rootfs) and run through the dynamic loader, which sets the groups
//    (the primary group and the groups of /etc/group in the image listing the user, as runc/BuildKit do),
//    the gid and the uid, then execs the command: capabilities go with the switch away from uid 0, files
//    belong to the real uid on disk, and `id` shows the same groups as under runc or Docker.
//  - without setpriv on the host, a non-root user falls back to bwrap started AS that uid/gid (Node's
//    spawn) inside an unprivileged user namespace mapping the uid to itself; then supplementary groups are
//    not set (one gid maps) and the rootfs and bind sources must be reachable by that uid (checked;
//    EXECUTOR_UNAVAILABLE otherwise). runc has neither limit.
// Namespaces: pid, ipc, uts, cgroup (when possible), network unless network=host. /proc, a /dev with the
// standard nodes, /sys read-only (the host's, bound), hosts and resolv.conf generated and bound read-only.
// Privileged (the closest bwrap comes to docker run --privileged): root keeps every capability bwrap's caller
// holds (no --cap-drop) and /sys is bound writable; bwrap has no masked paths or no-new-privileges to lift
// (it sets no_new_privs itself, which a nested bwrap running as root does not mind).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BuildError } from '../errors.ts';
import { DEFAULT_CAPABILITIES } from './caps.ts';
import { isFile, signalNumber } from './runc.ts';
import {
  createStubs,
  DEFAULT_HOSTNAME,
  ensureCwd,
  ensureRootMode,
  hostsFile,
  removeStubs,
  resolvConf,
} from './sandbox-files.ts';
import { resolveUser } from './user.ts';
import type { Executor, RunResult, RunSpec } from './types.ts';

/** The host's setpriv and what it loads, bound into the sandbox under DROPPER_DIR (see the top). */
export interface Dropper {
  /** Host path → sandbox path, every file read-only. */
  binds: Array<[host: string, sandbox: string]>;
  /** The command line that switches to the user, before `--` and the command. */
  argv: (uid: number, gid: number, groups: number[]) => string[];
}

const DROPPER_DIR = '/dev/.sekisho';
let dropperMemo: Dropper | null | undefined;

/** Finds setpriv and its loader/libraries (ldd), once; null when the host has no usable setpriv. */
export function hostDropper(): Dropper | null {
  if (dropperMemo !== undefined) return dropperMemo;
  dropperMemo = null;
  const bin = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (!bin) return null;
  const r = spawnSync('ldd', [bin], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const binds: Array<[string, string]> = [[bin, `${DROPPER_DIR}/setpriv`]];
  let loader: string | undefined;
  for (const m of r.stdout.matchAll(/(\/\S+)\s+\(0x/g)) {
    const lib = m[1]!;
    const name = lib.slice(lib.lastIndexOf('/') + 1);
    if (/^ld-(linux|musl)/.test(name)) {
      loader = `${DROPPER_DIR}/ld.so`;
      binds.push([lib, loader]);
    } else binds.push([lib, `${DROPPER_DIR}/${name}`]);
  }
  if (!loader) return null;
  const ld = loader;
  dropperMemo = {
    binds,
    argv: (uid, gid, groups) => [
      ld,
      '--library-path',
      DROPPER_DIR,
      `${DROPPER_DIR}/setpriv`,
      `--regid=${gid}`,
      groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups',
      `--reuid=${uid}`,
      '--inh-caps=-all',
      '--',
    ],
  };
  return dropperMemo;
}

/** The bwrap arguments for a spec, and the uid/gid to start bwrap as (undefined: as we are). */
export function bwrapArgs(
  spec: RunSpec,
  files: { hosts: string; resolv: string },
  dropper: Dropper | null = hostDropper(),
): { args: string[]; uid?: number; gid?: number } {
  const user = resolveUser(spec.rootfs, spec.user);
  const plainRoot = user.uid === 0 && user.gid === 0 && user.additionalGids.every((g) => g === 0);
  const drop = !plainRoot && dropper !== null;
  const env = [...spec.env];
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
  const args = [
    '--die-with-parent',
    '--new-session',
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-cgroup-try',
  ];
  if (spec.network !== 'host') args.push('--unshare-net');
  // bwrap stays root (no user namespace) for root and whenever setpriv does the switch inside
  const root = user.uid === 0 || drop;
  if (!root) args.push('--unshare-user');
  args.push('--bind', spec.rootfs, '/', '--proc', '/proc', '--dev', '/dev');
  args.push(spec.privileged ? '--bind' : '--ro-bind', '/sys', '/sys');
  if (drop) for (const [host, inSandbox] of dropper!.binds) args.push('--ro-bind', host, inSandbox);
  args.push('--ro-bind', files.hosts, '/etc/hosts', '--ro-bind', files.resolv, '/etc/resolv.conf');
  for (const m of spec.mounts) {
    if (m.type === 'bind') {
      if (!m.source) throw new BuildError('INTERNAL', `bind mount on ${m.target} has no source`);
      args.push(m.readonly ? '--ro-bind' : '--bind', m.source, m.target);
    } else {
      args.push('--perms', (m.mode ?? 0o755).toString(8).padStart(4, '0'));
      if (m.size !== undefined) args.push('--size', String(m.size));
      args.push('--tmpfs', m.target);
      if (m.readonly) args.push('--remount-ro', m.target);
    }
  }
  args.push('--hostname', spec.hostname ?? DEFAULT_HOSTNAME, '--chdir', spec.cwd, '--clearenv');
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq <= 0) continue;
    args.push('--setenv', e.slice(0, eq), e.slice(eq + 1));
  }
  if (root && !spec.privileged) {
    args.push('--cap-drop', 'ALL');
    for (const c of DEFAULT_CAPABILITIES) args.push('--cap-add', c);
  }
  if (drop) {
    args.push('--', ...dropper!.argv(user.uid, user.gid, user.additionalGids), ...spec.argv);
    return { args };
  }
  args.push('--', ...spec.argv);
  if (root) return user.gid === 0 ? { args } : { args, gid: user.gid };
  return { args, uid: user.uid, gid: user.gid };
}

/** Fails with EXECUTOR_UNAVAILABLE when `uid` cannot reach `path` (every ancestor must be searchable). */
function checkReachable(path: string, uid: number, gid: number): void {
  for (let d = dirname(path); ; d = dirname(d)) {
    const st = statSync(d);
    const bits = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001;
    if ((st.mode & bits) === 0)
      throw new BuildError(
        'EXECUTOR_UNAVAILABLE',
        `bwrap runs uid ${uid} as itself, but ${d} is not searchable by it (mode ${(st.mode & 0o777).toString(8)}); ` +
          'use runc, or keep the rootfs under a directory others may search',
      );
    if (d === dirname(d)) break;
  }
}

export class BwrapExecutor implements Executor {
  readonly name = 'bwrap' as const;
  private readonly binary: string;
  private readonly dropper: Dropper | null | undefined;

  /** `dropper: null` forces the user-namespace fallback for non-root users (tests). */
  constructor(opts: { binary?: string; dropper?: Dropper | null } = {}) {
    this.binary = opts.binary ?? 'bwrap';
    this.dropper = opts.dropper;
  }

  async run(spec: RunSpec): Promise<RunResult> {
    spec.signal?.throwIfAborted();
    const dir = mkdtempSync(join(tmpdir(), 'sekisho-bwrap-'));
    const files = { hosts: join(dir, 'hosts'), resolv: join(dir, 'resolv.conf') };
    writeFileSync(files.hosts, hostsFile(spec), { mode: 0o644 });
    writeFileSync(files.resolv, resolvConf(spec), { mode: 0o644 });
    let stubs: ReturnType<typeof createStubs> | undefined;
    try {
      const { args, uid, gid } = bwrapArgs(spec, files, this.dropper === undefined ? hostDropper() : this.dropper);
      ensureRootMode(spec.rootfs);
      if (uid !== undefined) {
        const g = gid ?? uid;
        checkReachable(join(spec.rootfs, 'x'), uid, g);
        for (const m of spec.mounts) if (m.type === 'bind' && m.source) checkReachable(join(m.source, 'x'), uid, g);
        // the generated files live in a private temp dir: let the user reach them
        chmodSync(dir, 0o755);
      }
      ensureCwd(spec.rootfs, spec.cwd);
      stubs = createStubs(spec.rootfs, [
        { target: '/proc', file: false },
        { target: '/dev', file: false },
        { target: '/sys', file: false },
        { target: '/etc/hosts', file: true },
        { target: '/etc/resolv.conf', file: true },
        ...spec.mounts.map((m) => ({ target: m.target, file: m.type === 'bind' && isFile(m.source) })),
      ]);
      return await this.spawnBwrap(spec, args, uid, gid);
    } finally {
      if (stubs) removeStubs(stubs);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private spawnBwrap(spec: RunSpec, args: string[], uid?: number, gid?: number): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const child = spawn(this.binary, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(uid !== undefined ? { uid } : {}),
        ...(gid !== undefined ? { gid } : {}),
      });
      child.stdout.pipe(spec.stdout, { end: false });
      let tail = '';
      child.stderr.on('data', (d: Buffer) => {
        tail = (tail + d.toString()).slice(-4096);
        spec.stderr.write(d);
      });
      let aborted = false;
      const onAbort = (): void => {
        aborted = true;
        child.kill('SIGKILL'); // --die-with-parent takes the sandbox down with it
      };
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => {
        spec.signal?.removeEventListener('abort', onAbort);
        reject(new BuildError('EXECUTOR_UNAVAILABLE', `cannot start ${this.binary}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, sig) => {
        spec.signal?.removeEventListener('abort', onAbort);
        if (aborted) {
          reject(spec.signal?.reason ?? new DOMException('The run was aborted', 'AbortError'));
          return;
        }
        const exitCode = code ?? 128 + signalNumber(sig);
        const bwrapLine = tail.split('\n').find((l) => l.startsWith('bwrap: '));
        if (exitCode !== 0 && bwrapLine) {
          reject(
            new BuildError('RUN_FAILED', `bwrap could not run ${JSON.stringify(spec.argv)}: ${bwrapLine.slice(7)}`),
          );
          return;
        }
        resolve({ exitCode });
      });
    });
  }
}

/**
 * True when bwrap is installed and can make its namespaces here (runs `bwrap --version` in a sandbox over the
 * host's root: bwrap itself is the one program sure to be there, e.g. in the Sekisho step image).
 */
export async function bwrapAvailable(binary = 'bwrap'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = ['--ro-bind', '/', '/', '--unshare-pid', '--unshare-net', '--dev', '/dev', binary, '--version'];
    const c = spawn(binary, probe, {
      stdio: 'ignore',
    });
    c.on('error', () => resolve(false));
    c.on('close', (code) => resolve(code === 0));
  });
}
