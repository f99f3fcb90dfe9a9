// Content hashes of build-context files for cache keys, remembered by stat (path, size, mtime, mode) in
// the cache dir so a rebuild re-reads only files that changed, as BuildKit's content hash cache does.
// A file whose stat matches keeps its recorded content hash; anything else is read again.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../oci/index.ts';
import type { ContextEntry } from '../context/index.ts';

const FILE = 'context-hashes.json';
const MAX_ENTRIES = 200_000;

export class FileHashCache {
  private readonly path: string;
  private map = new Map<string, string>();
  private dirty = false;
  private loaded = false;

  constructor(cacheDir: string) {
    this.path = join(cacheDir, FILE);
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const obj = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, string>;
      this.map = new Map(Object.entries(obj));
    } catch {
      this.map = new Map();
    }
  }

  private fileHash(e: ContextEntry): string {
    const key = `${e.path}\0${e.size}\0${e.mtimeMs}\0${e.mode}`;
    const known = this.map.get(key);
    if (known) return known;
    const h = createHash('sha256');
    if (e.size <= 4 << 20) h.update(readFileSync(e.path));
    else {
      const fd = openSync(e.path, 'r');
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        let n: number;
        while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
      } finally {
        closeSync(fd);
      }
    }
    const d = h.digest('hex');
    this.map.set(key, d);
    this.dirty = true;
    return d;
  }

  /** sha256 over the entries' relative paths, types, modes, link targets and contents. */
  async hash(entries: ContextEntry[]): Promise<string> {
    await this.load();
    const h = createHash('sha256');
    const sorted = [...entries].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    for (const e of sorted) {
      h.update(`${e.rel}\0${e.under}\0${e.type}\0${e.mode.toString(8)}\0`);
      if (e.type === 'symlink') h.update(`${e.linkTarget ?? ''}\0`);
      if (e.type === 'file') h.update(`${this.fileHash(e)}\0`);
    }
    return `sha256:${h.digest('hex')}`;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    let entries = [...this.map.entries()];
    if (entries.length > MAX_ENTRIES) entries = entries.slice(entries.length - MAX_ENTRIES);
    await writeFileAtomic(this.path, JSON.stringify(Object.fromEntries(entries)));
    this.dirty = false;
  }
}
