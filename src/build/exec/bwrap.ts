// BwrapExecutor: the same RunSpec through bubblewrap, the fallback where runc cannot run.
//  - root (uid 0): bwrap runs as root without a user namespace, with Docker's default capabilities only
//    (bwrap keeps every capability for a privileged caller unless told otherwise).
//  - any other user: bwrap is started AS that uid/gid (Node's spawn uid/gid) inside an unprivileged user
//    namespace that maps the uid to itself, so files it creates belong to that uid on disk and permission
//    checks are the real ones. (bwrap's own --uid maps the sandbox uid onto the caller's uid, i.e. root,
//    which would give wrong ownership in layers and let the user write root's files.) Limits: the rootfs
//    and bind sources must be reachable by that uid (checked; EXECUTOR_UNAVAILABLE otherwise), and
//    supplementary groups are not set (one gid maps). runc has neither limit.
// Namespaces: pid, ipc, uts, cgroup (when possible), network unless network=host. /proc, a /dev with the
// standard nodes, /sys read-only (the host's, bound), hosts and resolv.conf generated and bound read-only.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** The bwrap arguments for a spec, and the uid/gid to start bwrap as (undefined: as we are). */
export function bwrapArgs(
  spec: RunSpec,
  files: { hosts: string; resolv: string },
): { args: string[]; uid?: number; gid?: number } {
  const user = resolveUser(spec.rootfs, spec.user);
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
  const root = user.uid === 0;
  if (!root) args.push('--unshare-user');
  args.push('--bind', spec.rootfs, '/', '--proc', '/proc', '--dev', '/dev', '--ro-bind', '/sys', '/sys');
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
  if (root) {
    args.push('--cap-drop', 'ALL');
    for (const c of DEFAULT_CAPABILITIES) args.push('--cap-add', c);
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

  constructor(opts: { binary?: string } = {}) {
    this.binary = opts.binary ?? 'bwrap';
  }

  async run(spec: RunSpec): Promise<RunResult> {
    spec.signal?.throwIfAborted();
    const dir = mkdtempSync(join(tmpdir(), 'sekisho-bwrap-'));
    const files = { hosts: join(dir, 'hosts'), resolv: join(dir, 'resolv.conf') };
    writeFileSync(files.hosts, hostsFile(spec), { mode: 0o644 });
    writeFileSync(files.resolv, resolvConf(spec), { mode: 0o644 });
    let stubs: ReturnType<typeof createStubs> | undefined;
    try {
      const { args, uid, gid } = bwrapArgs(spec, files);
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

/** True when bwrap is installed and can make its namespaces here (runs the host's `true` in a sandbox). */
export async function bwrapAvailable(binary = 'bwrap'): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn(binary, ['--ro-bind', '/', '/', '--unshare-pid', '--unshare-net', '--dev', '/dev', 'true'], {
      stdio: 'ignore',
    });
    c.on('error', () => resolve(false));
    c.on('close', (code) => resolve(code === 0));
  });
}
