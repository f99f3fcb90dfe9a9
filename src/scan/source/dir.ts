// Collects the inventory files of a directory (a root filesystem or a repository checkout). Symlinks are
// not followed, so a link cannot lead the scan outside the target.
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanError } from '../errors.ts';
import { binaryEntry, isInterestingPath, isJavaArchive, looksExecutable } from '../inventory/index.ts';
import type { FileSet } from '../inventory/types.ts';

const SKIP_DIRS = new Set(['.git', 'proc', 'sys', 'dev']);
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export async function collectDir(root: string): Promise<FileSet> {
  let st;
  try {
    st = await lstat(root);
  } catch (e) {
    throw new ScanError('TARGET_NOT_FOUND', `${root}: no such directory`, { cause: e });
  }
  if (!st.isDirectory()) throw new ScanError('TARGET_NOT_FOUND', `${root}: not a directory`);
  const files: FileSet['files'] = new Map();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (rel === '' && SKIP_DIRS.has(e.name)) continue;
        if (e.name === '.git') continue;
        await walk(p);
      } else if (e.isFile() && isInterestingPath(p)) {
        const s = await lstat(join(root, p));
        if (s.size > MAX_FILE_BYTES)
          throw new ScanError('PARSE_ERROR', `${p}: ${s.size} bytes is over the ${MAX_FILE_BYTES}-byte limit`);
        files.set(p, { data: await readFile(join(root, p)) });
      } else if (e.isFile()) {
        const s = await lstat(join(root, p));
        if (s.size < 64 || s.size > MAX_FILE_BYTES) continue;
        if (isJavaArchive(p)) {
          const entry = binaryEntry(await readFile(join(root, p)), p);
          if (entry) files.set(p, { data: entry, kind: 'packages' });
          continue;
        }
        if ((s.mode & 0o111) === 0) continue;
        const fh = await open(join(root, p), 'r');
        let head: Buffer;
        try {
          head = Buffer.alloc(4);
          await fh.read(head, 0, 4, 0);
        } finally {
          await fh.close();
        }
        if (!looksExecutable(head)) continue;
        const entry = binaryEntry(await readFile(join(root, p)), p);
        if (entry) files.set(p, { data: entry, kind: 'packages' });
      }
    }
  };
  await walk('');
  return { files };
}
