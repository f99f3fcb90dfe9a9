// One writer at a time per config repo work clone: an in-process queue (parallel promote steps of one
// run) plus a lock directory holding the owner's pid (other processes); a lock whose owner is gone is
// taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PipelineError } from '../errors.ts';

const queues = new Map<string, Promise<unknown>>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquire(lockDir: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  mkdirSync(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(`${lockDir}/pid`, String(process.pid));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(`${lockDir}/pid`, 'utf8'));
    } catch {
      // being created or removed right now
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs)
      throw new PipelineError('promote_git_error', `the config repo clone is locked by pid ${owner} (${lockDir})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `fn` holding the lock `lockDir` (waits up to `timeoutMs` for another process). */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const prev = queues.get(lockDir) ?? Promise.resolve();
  const run = prev
    .then(
      () => undefined,
      () => undefined,
    )
    .then(async () => {
      await acquire(lockDir, timeoutMs);
      try {
        return await fn();
      } finally {
        rmSync(lockDir, { recursive: true, force: true });
      }
    });
  queues.set(lockDir, run);
  try {
    return await run;
  } finally {
    if (queues.get(lockDir) === run) queues.delete(lockDir);
  }
}
