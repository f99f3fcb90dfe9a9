// RuncExecutor: one RUN step as an OCI runtime bundle run by `runc run`. The bundle (config.json, generated
// hosts and resolv.conf, runc's log) lives in a temp directory outside the rootfs; the rootfs is used in
// place. Namespaces: mount, pid, ipc, uts, and network unless network=host (then the host's). /proc, a
// tmpfs /dev (runc adds the standard device nodes), /dev/pts, /dev/shm, /dev/mqueue, /sys read-only,
// Docker's masked and read-only paths, no new privileges, Docker's default capabilities, NOFILE rlimit.
// No cgroupsPath (runc picks one per container id; this machine has hybrid cgroups v1) and no seccomp
// profile. The container is deleted after the run, and on abort killed (SIGKILL) and deleted.
// A privileged spec (docker run --privileged) gets every capability runc itself holds, no masked or read-only
// paths, a writable /sys, new privileges allowed and every device allowed by the device cgroup.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';
import { DEFAULT_CAPABILITIES } from './caps.ts';
import { createStubs, DEFAULT_HOSTNAME, ensureCwd, hostsFile, removeStubs, resolvConf } from './sandbox-files.ts';
import { resolveUser } from './user.ts';
import type { Executor, RunResult, RunSpec } from './types.ts';

const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Linux capabilities by bit number (linux/capability.h), for the privileged set. */
const CAPABILITY_BITS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/**
 * The capabilities a privileged container gets: all those in our own bounding set (as Docker gives "all
 * capabilities" of the daemon; runc cannot grant one it lacks, e.g. CAP_SYS_RESOURCE in a CI container).
 */
export function privilegedCapabilities(status = readProcStatus()): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)/im.exec(status);
  if (!m) return [...CAPABILITY_BITS];
  const mask = BigInt(`0x${m[1]}`);
  return CAPABILITY_BITS.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

function readProcStatus(): string {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** The OCI runtime config for a spec (exported for tests and for `--debug` dumps). */
export function runcConfig(spec: RunSpec, files: { hosts: string; resolv: string }): Record<string, unknown> {
  const user = resolveUser(spec.rootfs, spec.user);
  const env = [...spec.env];
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
  const root = user.uid === 0;
  const priv = spec.privileged === true;
  const caps = priv ? privilegedCapabilities() : DEFAULT_CAPABILITIES;
  const sysOpts = ['nosuid', 'noexec', 'nodev', ...(priv ? [] : ['ro'])];
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    spec.network === 'host'
      ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', ...sysOpts] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOpts },
    { destination: '/etc/hosts', type: 'bind', source: files.hosts, options: ['rbind', 'ro', 'nosuid', 'nodev'] },
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: files.resolv,
      options: ['rbind', 'ro', 'nosuid', 'nodev'],
    },
  ];
  for (const m of spec.mounts) {
    if (m.type === 'bind') {
      if (!m.source) throw new BuildError('INTERNAL', `bind mount on ${m.target} has no source`);
      mounts.push({
        destination: m.target,
        type: 'bind',
        source: m.source,
        options: ['rbind', m.readonly ? 'ro' : 'rw'],
      });
    } else {
      const opts = ['nosuid', 'nodev', `mode=${(m.mode ?? 0o755).toString(8)}`];
      if (m.size !== undefined) opts.push(`size=${m.size}`);
      if (m.readonly) opts.push('ro');
      mounts.push({ destination: m.target, type: 'tmpfs', source: 'tmpfs', options: opts });
    }
  }
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (spec.network !== 'host') namespaces.push({ type: 'network' });
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids, umask: 0o022 },
      args: spec.argv,
      env,
      cwd: spec.cwd,
      capabilities: {
        bounding: caps,
        effective: root ? caps : [],
        permitted: root ? caps : [],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile(), soft: nofile() }],
      noNewPrivileges: !priv,
    },
    root: { path: spec.rootfs, readonly: false },
    hostname: spec.hostname ?? DEFAULT_HOSTNAME,
    mounts,
    linux: priv
      ? { resources: { devices: [{ allow: true, access: 'rwm' }] }, namespaces }
      : {
          resources: { devices: [{ allow: false, access: 'rwm' }] },
          namespaces,
          maskedPaths: MASKED_PATHS,
          readonlyPaths: READONLY_PATHS,
        },
  };
}

/**
 * RLIMIT_NOFILE for the process: BuildKit's 1048576, capped at our own hard limit (raising it above needs
 * CAP_SYS_RESOURCE, which containers such as this CI machine do not have).
 */
function nofile(): number {
  try {
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m && m[1] !== 'unlimited') return Math.min(1048576, Number(m[1]));
  } catch {
    // no /proc: keep the default
  }
  return 1048576;
}

function runcCmd(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('runc', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', (e) => resolve({ code: -1, stderr: e.message }));
    c.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

/** The error-level messages runc wrote to its JSON log (why it could not start the process). */
function runcErrors(logPath: string): string[] {
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as { level?: string; msg?: string };
      if ((rec.level === 'error' || rec.level === 'fatal') && rec.msg) out.push(rec.msg);
    } catch {
      // not JSON
    }
  }
  return out;
}

/** Containers being run, so that a process exiting mid-build does not leave them behind. */
const running = new Set<{ binary: string; global: string[]; id: string; bundle: string }>();
let exitHook = false;
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const c of running) {
      spawnSync(c.binary, [...c.global, 'kill', c.id, 'KILL'], { stdio: 'ignore' });
      spawnSync(c.binary, [...c.global, 'delete', '--force', c.id], { stdio: 'ignore' });
      rmSync(c.bundle, { recursive: true, force: true });
    }
  });
}

export class RuncExecutor implements Executor {
  readonly name = 'runc' as const;
  private readonly binary: string;
  private readonly stateRoot: string | undefined;

  constructor(opts: { binary?: string; stateRoot?: string } = {}) {
    this.binary = opts.binary ?? 'runc';
    this.stateRoot = opts.stateRoot;
  }

  private global(): string[] {
    return this.stateRoot ? ['--root', this.stateRoot] : [];
  }

  async run(spec: RunSpec): Promise<RunResult> {
    spec.signal?.throwIfAborted();
    installExitHook();
    const bundle = mkdtempSync(join(tmpdir(), 'sekisho-runc-'));
    const id = `sekisho-${randomBytes(8).toString('hex')}`;
    const files = { hosts: join(bundle, 'hosts'), resolv: join(bundle, 'resolv.conf') };
    writeFileSync(files.hosts, hostsFile(spec));
    writeFileSync(files.resolv, resolvConf(spec));
    const logPath = join(bundle, 'runc-log.json');
    let stubs: ReturnType<typeof createStubs> | undefined;
    try {
      const config = runcConfig(spec, files);
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
      ensureCwd(spec.rootfs, spec.cwd);
      stubs = createStubs(spec.rootfs, [
        { target: '/proc', file: false },
        { target: '/dev', file: false },
        { target: '/sys', file: false },
        { target: '/etc/hosts', file: true },
        { target: '/etc/resolv.conf', file: true },
        ...spec.mounts.map((m) => ({ target: m.target, file: m.type === 'bind' && isFile(m.source) })),
      ]);
      return await this.runBundle(spec, bundle, id, logPath);
    } finally {
      if (stubs) removeStubs(stubs);
      rmSync(bundle, { recursive: true, force: true });
    }
  }

  private runBundle(spec: RunSpec, bundle: string, id: string, logPath: string): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const args = [...this.global(), '--log', logPath, '--log-format', 'json', 'run', '--bundle', bundle, id];
      const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const live = { binary: this.binary, global: this.global(), id, bundle };
      running.add(live);
      child.stdout.pipe(spec.stdout, { end: false });
      child.stderr.pipe(spec.stderr, { end: false });
      let aborted = false;
      const onAbort = (): void => {
        aborted = true;
        void this.kill(
          id,
          () => child.exitCode !== null || child.signalCode !== null,
          () => child.kill('SIGKILL'),
        );
      };
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => {
        spec.signal?.removeEventListener('abort', onAbort);
        reject(new BuildError('EXECUTOR_UNAVAILABLE', `cannot start ${this.binary}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, sig) => {
        running.delete(live);
        spec.signal?.removeEventListener('abort', onAbort);
        void runcCmd([...this.global(), 'delete', '--force', id]).then(() => {
          if (aborted) {
            reject(spec.signal?.reason ?? new DOMException('The run was aborted', 'AbortError'));
            return;
          }
          const exitCode = code ?? 128 + signalNumber(sig);
          if (exitCode !== 0) {
            const errs = runcErrors(logPath);
            if (errs.length > 0) {
              reject(
                new BuildError(
                  'RUN_FAILED',
                  `runc could not run ${JSON.stringify(spec.argv)}: ${errs[errs.length - 1]}`,
                ),
              );
              return;
            }
          }
          resolve({ exitCode });
        });
      });
    });
  }

  /** SIGKILLs the container; before runc has created it, kills runc itself. */
  private async kill(id: string, exited: () => boolean, killRunc: () => void): Promise<void> {
    for (let i = 0; i < 100 && !exited(); i++) {
      const r = await runcCmd([...this.global(), 'kill', id, 'KILL']);
      if (r.code === 0) return;
      await new Promise((res) => setTimeout(res, 20));
    }
    if (!exited()) killRunc();
  }
}

/** True when a bind source is a file (its mount point must then be a file too). */
export function isFile(p: string | undefined): boolean {
  if (!p) return false;
  try {
    return !statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function signalNumber(sig: NodeJS.Signals | null): number {
  return sig ? (osConstants.signals[sig] ?? 0) : 0;
}

/** True when `runc` is installed and can run a container here (checked by running `runc --version`). */
export async function runcAvailable(binary = 'runc'): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn(binary, ['--version'], { stdio: 'ignore' });
    c.on('error', () => resolve(false));
    c.on('close', (code) => resolve(code === 0));
  });
}
