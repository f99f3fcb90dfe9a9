// Reads image layers in order as tar streams (never extracted to disk) and keeps the inventory files of
// the merged filesystem: later layers replace earlier files, `.wh.<name>` deletes a path and
// `.wh..wh..opq` hides everything an earlier layer put in its directory. Entries whose path escapes the
// root are refused, and the uncompressed size of a layer is bounded (decompression bombs).
import { posix } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { ScanError } from '../errors.ts';
import { goBinaryEntry, isInterestingPath } from '../inventory/index.ts';
import type { FileSet } from '../inventory/types.ts';
import { MAX_FILE_BYTES } from './dir.ts';

export interface LayerLimits {
  /** Maximum uncompressed bytes of one layer (default 32 GiB). */
  maxLayerBytes?: number;
}

/** Normalizes a tar entry name to a root-relative path, refusing names that leave the root. */
export function safeEntryPath(name: string): string {
  const cleaned = posix
    .normalize('/' + name.replace(/^\.\//, ''))
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  const parts = name.split('/');
  // normalize('/..') clamps to '/', so check the raw segments: any '..' that climbs above the root is hostile
  let depth = 0;
  for (const seg of parts) {
    if (seg === '..') depth--;
    else if (seg !== '' && seg !== '.') depth++;
    if (depth < 0) throw new ScanError('TAR_UNSAFE', `layer entry ${JSON.stringify(name)} escapes the root`);
  }
  return cleaned;
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function peekable(stream: Readable): Promise<Readable> {
  // decide on gzip from the first bytes, then hand on a stream that still has them
  const { PassThrough } = await import('node:stream');
  const out = new PassThrough();
  let first = true;
  let decided: Readable | null = null;
  return await new Promise<Readable>((resolve, reject) => {
    stream.on('error', (e) => (decided ? decided.destroy(e) : reject(e)));
    stream.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        if (chunk[0] === 0x28 && chunk[1] === 0xb5 && chunk[2] === 0x2f && chunk[3] === 0xfd) {
          stream.destroy();
          reject(new ScanError('PARSE_ERROR', 'zstd-compressed layers are not supported on this Node.js version'));
          return;
        }
        decided = isGzip(chunk) ? out.pipe(createGunzip()) : out;
        resolve(decided);
      }
      if (!out.write(chunk)) {
        stream.pause();
        out.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => {
      if (first) resolve(out);
      out.end();
    });
  });
}

export async function applyLayer(
  files: FileSet['files'],
  layer: Readable,
  digest: string,
  limits: LayerLimits = {},
): Promise<void> {
  const max = limits.maxLayerBytes ?? 32 * 1024 ** 3;
  const tarStream = await peekable(layer);
  const ex = extract();
  const added = new Set<string>();
  let total = 0;
  const under = (dir: string, p: string): boolean => dir === '' || p === dir || p.startsWith(dir + '/');
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, body, next) => {
      body.on('error', () => {}); // failures are reported once, through `fail`
      const fail = (e: unknown): void => {
        reject(e);
        ex.destroy();
        layer.destroy();
      };
      let path: string;
      try {
        path = safeEntryPath(header.name);
        if (header.type === 'link' && header.linkname) safeEntryPath(header.linkname);
      } catch (e) {
        fail(e);
        return;
      }
      const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
      const base = posix.basename(path);
      if (base === '.wh..wh..opq') {
        for (const k of [...files.keys()]) if (under(dir, k) && k !== dir && !added.has(k)) files.delete(k);
      } else if (base.startsWith('.wh.')) {
        const target = dir ? `${dir}/${base.slice(4)}` : base.slice(4);
        for (const k of [...files.keys()]) if (under(target, k)) files.delete(k);
      } else if (header.type === 'directory') {
        // a directory replaces a file of the same name
        files.delete(path);
      } else {
        files.delete(path);
        if (header.type === 'link' && header.linkname && isInterestingPath(path)) {
          const src = files.get(safeEntryPath(header.linkname));
          if (src) {
            files.set(path, { data: src.data, layer: digest });
            added.add(path);
          }
        } else if (
          (header.type === 'file' || header.type === 'contiguous-file') &&
          (isInterestingPath(path) || (((header.mode ?? 0) & 0o111) !== 0 && (header.size ?? 0) >= 64))
        ) {
          const binary = !isInterestingPath(path);
          if (binary && (header.size ?? 0) > MAX_FILE_BYTES) {
            body.on('end', () => next());
            body.resume();
            return;
          }
          if ((header.size ?? 0) > MAX_FILE_BYTES) {
            fail(
              new ScanError(
                'TAR_UNSAFE',
                `layer ${digest}: ${path} is ${header.size} bytes, over the ${MAX_FILE_BYTES}-byte limit`,
              ),
            );
            return;
          }
          const chunks: Buffer[] = [];
          body.on('data', (c: unknown) => chunks.push(c as Buffer));
          body.on('end', () => {
            const data = Buffer.concat(chunks);
            if (!binary) {
              files.set(path, { data, layer: digest });
              added.add(path);
            } else {
              const entry = goBinaryEntry(data, path);
              if (entry) {
                files.set(path, { data: entry, layer: digest, kind: 'gobinary' });
                added.add(path);
              }
            }
            total += header.size ?? 0;
            if (total > max) fail(new ScanError('TAR_UNSAFE', `layer ${digest} expands beyond ${max} bytes`));
            else next();
          });
          body.on('error', reject);
          return;
        }
      }
      total += header.size ?? 0;
      if (total > max) {
        fail(new ScanError('TAR_UNSAFE', `layer ${digest} expands beyond ${max} bytes`));
        return;
      }
      body.on('end', () => next());
      body.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', (e) =>
      reject(
        e instanceof ScanError
          ? e
          : new ScanError('PARSE_ERROR', `layer ${digest}: ${(e as Error).message}`, { cause: e }),
      ),
    );
    tarStream.on('error', (e) =>
      reject(new ScanError('PARSE_ERROR', `layer ${digest}: ${(e as Error).message}`, { cause: e })),
    );
  });
  tarStream.pipe(ex);
  await done;
}
