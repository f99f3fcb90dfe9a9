// A small reader for zip archives: the OSV exports and Java archives (jar/war/ear). Stored and deflated
// entries, from the central directory; each entry is bounded in size, so a crafted archive cannot exhaust
// memory, and entries the caller does not want are not inflated at all.
import { inflateRawSync } from 'node:zlib';
import { ScanError, type ScanErrorCode } from './errors.ts';

export interface ZipOptions {
  maxEntryBytes?: number;
  /** Only these entries are read. */
  want?: (name: string) => boolean;
  /** Error code for a malformed archive (default DB_INVALID). */
  code?: ScanErrorCode;
}

export function* zipEntries(
  buf: Buffer,
  file: string,
  opts: ZipOptions = {},
): Generator<{ name: string; data: Buffer }> {
  const maxEntryBytes = opts.maxEntryBytes ?? 64 * 1024 * 1024;
  const code = opts.code ?? 'DB_INVALID';
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--)
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new ScanError(code, `${file}: not a zip archive (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50)
      throw new ScanError(code, `${file}: corrupt central directory`);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28);
    const xlen = buf.readUInt16LE(p + 30);
    const clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nlen).toString('utf8');
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/') || (opts.want && !opts.want(name))) continue;
    if (usize > maxEntryBytes)
      throw new ScanError(code, `${file}: ${name} is ${usize} bytes, over the ${maxEntryBytes}-byte limit`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50)
      throw new ScanError(code, `${file}: ${name}: bad local header`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: maxEntryBytes });
      } catch (e) {
        throw new ScanError(code, `${file}: ${name}: ${(e as Error).message}`, { cause: e });
      }
    } else throw new ScanError(code, `${file}: ${name}: compression method ${method} is not supported`);
    yield { name, data };
  }
}
