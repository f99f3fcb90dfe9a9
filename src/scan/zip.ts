// A small reader for the zip archives OSV exports come in (stored and deflated entries, from the central
// directory). Each entry is bounded in size, so a crafted archive cannot exhaust memory.
import { inflateRawSync } from 'node:zlib';
import { ScanError } from '../errors.ts';

export function* zipEntries(
  buf: Buffer,
  file: string,
  maxEntryBytes = 64 * 1024 * 1024,
): Generator<{ name: string; data: Buffer }> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--)
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new ScanError('DB_INVALID', `${file}: not a zip archive (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50)
      throw new ScanError('DB_INVALID', `${file}: corrupt central directory`);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28);
    const xlen = buf.readUInt16LE(p + 30);
    const clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nlen).toString('utf8');
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/')) continue;
    if (usize > maxEntryBytes)
      throw new ScanError('DB_INVALID', `${file}: ${name} is ${usize} bytes, over the ${maxEntryBytes}-byte limit`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50)
      throw new ScanError('DB_INVALID', `${file}: ${name}: bad local header`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: maxEntryBytes });
      } catch (e) {
        throw new ScanError('DB_INVALID', `${file}: ${name}: ${(e as Error).message}`, { cause: e });
      }
    } else throw new ScanError('DB_INVALID', `${file}: ${name}: compression method ${method} is not supported`);
    yield { name, data };
  }
}
