// Build executors: run one RUN step in a sandbox over a root filesystem directory. RuncExecutor (an OCI
// runtime bundle run by runc) is preferred; BwrapExecutor (bubblewrap) is the fallback. detectExecutor()
// probes once per process.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BuildError } from '../errors.ts';
import { BwrapExecutor, bwrapAvailable } from './bwrap.ts';
import { RuncExecutor, runcAvailable } from './runc.ts';
import type { Executor } from './types.ts';

export type { Executor, ResolvedUser, RunMount, RunResult, RunSpec } from './types.ts';
export { RuncExecutor, runcConfig } from './runc.ts';
export { BwrapExecutor, bwrapArgs } from './bwrap.ts';
export { resolveUser } from './user.ts';
export { hostsFile, resolvConf } from './sandbox-files.ts';

/**
 * runc works when it gets as far as exec'ing the process in a complete sandbox (namespaces, mounts, cgroups):
 * the probe runs a program that does not exist in an empty rootfs and expects exactly that error.
 */
async function runcWorks(): Promise<boolean> {
  if (!(await runcAvailable())) return false;
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-runc-probe-'));
  try {
    const rootfs = join(dir, 'rootfs');
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await new RuncExecutor().run({
      rootfs,
      argv: ['/sekisho-probe'],
      env: [],
      cwd: '/',
      user: '0:0',
      mounts: [],
      network: 'none',
      stdout: sink,
      stderr: sink,
    });
    return false;
  } catch (e) {
    return (
      e instanceof BuildError &&
      e.code === 'RUN_FAILED' &&
      /sekisho-probe/.test(e.message) &&
      /no such file/i.test(e.message)
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let detected: Promise<Executor> | undefined;

/** runc if it works here, else bwrap if it works, else BuildError EXECUTOR_UNAVAILABLE. Probed once. */
export function detectExecutor(opts: { prefer?: 'runc' | 'bwrap' } = {}): Promise<Executor> {
  if (opts.prefer === 'bwrap')
    return bwrapAvailable().then((ok) => {
      if (ok) return new BwrapExecutor();
      throw new BuildError(
        'EXECUTOR_UNAVAILABLE',
        'bwrap (bubblewrap) is not installed or cannot create namespaces here',
      );
    });
  detected ??= (async (): Promise<Executor> => {
    if (await runcWorks()) return new RuncExecutor();
    if (await bwrapAvailable()) return new BwrapExecutor();
    throw new BuildError(
      'EXECUTOR_UNAVAILABLE',
      'RUN needs a sandbox: neither runc nor bwrap (bubblewrap) works here; install runc (preferred) or bubblewrap ' +
        '(in a container, which must also run privileged)',
    );
  })();
  return detected;
}
