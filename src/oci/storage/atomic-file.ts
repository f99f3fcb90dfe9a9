// Crash-safe file writes: write a temporary file beside the target, fsync it, rename it over the target
// and fsync the directory, so a reader sees either the old content or the new, never a torn file.
import { randomBytes } from 'node:crypto';
import { open, rename, mkdir, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // some filesystems refuse directory fsync; the rename is still atomic
  } finally {
    await fh?.close();
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
}

/**
 * `tmpDir` (same filesystem) keeps the temporary file out of the target directory, so a crash leaves
 * no stray file among published ones.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, tmpDir?: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tmpDir ? join(tmpDir, `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`) : tempPathFor(target);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(target));
}
