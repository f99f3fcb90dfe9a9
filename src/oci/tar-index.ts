// A minimal tar reader and writer for image tarballs: reading indexes member offsets in a file so
// members are streamed straight from it (no extraction, nothing in memory); writing emits ustar with PAX
// headers for long names.
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { once } from 'node:events';
import { OciError } from './errors.ts';

export interface TarMember {
  name: string;
  offset: number;
  size: number;
  type: string;
}

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? s.length : z).toString('utf8');
}

function octalField(b: Buffer, start: number, len: number): number {
  const f = b.subarray(start, start + len);
  if ((f[0]! & 0x80) !== 0) {
    // base-256 (GNU) for big sizes
    let n = 0;
    for (let i = 1; i < f.length; i++) n = n * 256 + f[i]!;
    return n;
  }
  const s = cstr(b, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = Number(text.slice(i, sp));
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Lists the regular files of a tar archive with their data offsets. */
export async function indexTar(path: string): Promise<Map<string, TarMember>> {
  const fh = await open(path, 'r');
  const members = new Map<string, TarMember>();
  try {
    const { size: total } = await fh.stat();
    let pos = 0;
    let longName: string | undefined;
    let pax: Record<string, string> = {};
    const header = Buffer.alloc(512);
    while (pos + 512 <= total) {
      await fh.read(header, 0, 512, pos);
      if (header.every((b) => b === 0)) break;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
      if (sum !== octalField(header, 148, 8))
        throw new OciError('LAYOUT_INVALID', `${path}: bad tar header checksum at byte ${pos}`);
      const type = String.fromCharCode(header[156] || 48);
      const size = octalField(header, 124, 12);
      const dataAt = pos + 512;
      const next = dataAt + Math.ceil(size / 512) * 512;
      if (type === 'L' || type === 'x' || type === 'g') {
        const buf = Buffer.alloc(size);
        await fh.read(buf, 0, size, dataAt);
        if (type === 'L') longName = cstr(buf, 0, size);
        else if (type === 'x') pax = parsePax(buf.toString('utf8'));
        pos = next;
        continue;
      }
      const prefix = cstr(header, 345, 155);
      let name = longName ?? pax.path ?? (prefix ? `${prefix}/${cstr(header, 0, 100)}` : cstr(header, 0, 100));
      const realSize = pax.size !== undefined ? Number(pax.size) : size;
      name = name.replace(/^\.\//, '');
      if (type === '0' || type === '7') members.set(name, { name, offset: dataAt, size: realSize, type });
      longName = undefined;
      pax = {};
      pos = dataAt + Math.ceil(realSize / 512) * 512;
      if (realSize === size) pos = next;
    }
  } finally {
    await fh.close();
  }
  return members;
}

export function readMember(path: string, m: TarMember, start = 0): Readable {
  if (m.size === 0 || start >= m.size) return Readable.from([]);
  return createReadStream(path, { start: m.offset + start, end: m.offset + m.size - 1, highWaterMark: 1024 * 1024 });
}

export async function readMemberBytes(path: string, m: TarMember): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(m.size);
    await fh.read(b, 0, m.size, m.offset);
    return b;
  } finally {
    await fh.close();
  }
}

function header(name: string, size: number, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** Writes a tar archive member by member, streaming member data. */
export class TarWriter {
  private readonly out: Writable;
  private constructor(out: Writable) {
    this.out = out;
  }
  static toFile(path: string): TarWriter {
    return new TarWriter(createWriteStream(path));
  }
  private async write(b: Buffer): Promise<void> {
    if (!this.out.write(b)) await once(this.out, 'drain');
  }
  async add(name: string, size: number, data: Readable | Buffer): Promise<void> {
    if (Buffer.byteLength(name) > 100) {
      const rec = ` path=${name}\n`;
      let len = rec.length + 1;
      while (`${len}${rec}`.length !== len) len = `${len}${rec}`.length;
      const pax = Buffer.from(`${len}${rec}`);
      await this.write(header('PaxHeader', pax.length, 'x'));
      await this.write(Buffer.concat([pax, Buffer.alloc((512 - (pax.length % 512)) % 512)]));
    }
    await this.write(header(name.slice(0, 100), size));
    let n = 0;
    if (Buffer.isBuffer(data)) {
      await this.write(data);
      n = data.length;
    } else {
      for await (const c of data) {
        n += (c as Buffer).length;
        await this.write(c as Buffer);
      }
    }
    if (n !== size) throw new OciError('SIZE_INVALID', `tar member ${name}: wrote ${n} bytes, declared ${size}`);
    await this.write(Buffer.alloc((512 - (size % 512)) % 512));
  }
  async close(): Promise<void> {
    await this.write(Buffer.alloc(1024));
    this.out.end();
    await once(this.out, 'finish');
  }
}
