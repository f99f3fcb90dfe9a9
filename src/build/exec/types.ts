// Public types of the build executors: one RUN step in a sandbox over a root filesystem directory.
import type { Writable } from 'node:stream';

export interface RunMount {
  type: 'bind' | 'tmpfs';
  /** Host path for bind mounts. */
  source?: string;
  /** Absolute path inside the container (resolved inside the rootfs, symlinks included). */
  target: string;
  readonly?: boolean;
  /** tmpfs size in bytes (default 64 MiB... the kernel's default when unset). */
  size?: number;
  /** tmpfs mode (default 0o755) or, for bind mounts, ignored. */
  mode?: number;
}

export interface RunSpec {
  /** The root filesystem directory the command runs in (written in place; the caller diffs it). */
  rootfs: string;
  argv: string[];
  /** `KEY=value` entries, exactly as the process gets them (the caller adds PATH when the image has none). */
  env: string[];
  /** Absolute working directory inside the container; created (root 0755) when missing, like BuildKit. */
  cwd: string;
  /** `user`, `uid`, `user:group` or `uid:gid`, resolved through the rootfs's /etc/passwd and /etc/group. */
  user: string;
  mounts: RunMount[];
  /** `none`: a new network namespace with only `lo`; `host`: the host's network. */
  network: 'none' | 'host';
  /**
   * Run privileged, as `docker run --privileged` does: every capability the runtime itself holds, no masked or
   * read-only /proc paths, /sys writable, no no-new-privileges, every device allowed by the device cgroup
   * (the host's device nodes are not bound in). Nested sandboxes (bwrap, a build's RUN) need it.
   */
  privileged?: boolean;
  /** Hostname inside the sandbox (default `sekisho`). */
  hostname?: string;
  /** Extra `/etc/hosts` lines: `name:ip` as in `--add-host`. */
  extraHosts?: Array<{ host: string; ip: string }>;
  stdout: Writable;
  stderr: Writable;
  /** Aborting kills every process of the step and removes the container; run() then rejects with the reason. */
  signal?: AbortSignal;
}

export interface RunResult {
  /** The process's exit status; 128+N when it was killed by signal N. */
  exitCode: number;
}

export interface Executor {
  readonly name: 'runc' | 'bwrap';
  /**
   * Runs one command. Resolves with its exit code (non-zero is not an error here: the builder turns it into
   * RUN_FAILED with the Dockerfile line). Rejects with BuildError RUN_FAILED when the sandbox could not start
   * the command (e.g. executable not found, unknown user), EXECUTOR_UNAVAILABLE when the runtime is missing.
   */
  run(spec: RunSpec): Promise<RunResult>;
}

/** A user resolved against the rootfs's /etc/passwd and /etc/group. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** Home directory from /etc/passwd (`/` when unknown), for HOME when the env has none. */
  home: string;
}
