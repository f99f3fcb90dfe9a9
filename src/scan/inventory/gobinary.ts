// Go binaries' embedded build info (Go 1.18+ format, as debug/buildinfo reads it): a 32-byte header
// "\xff Go buildinf:" + pointer size + flags; with flag 2 the Go version and the module info follow as
// varint-length-prefixed strings. The module info lists `path`, `mod`, `dep` and `=>` (replacement) lines.
import { purl } from './purl.ts';
import type { Package } from './types.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

export function looksExecutable(head: Buffer): boolean {
  if (head.length < 4) return false;
  const m = head.readUInt32BE(0);
  return (
    m === 0x7f454c46 || // ELF
    m === 0xcffaedfe ||
    m === 0xcefaedfe ||
    m === 0xfeedfacf ||
    m === 0xfeedface || // Mach-O
    (head[0] === 0x4d && head[1] === 0x5a) // PE
  );
}

function uvarint(b: Buffer, off: number): [number, number] {
  let x = 0;
  let s = 0;
  for (let i = 0; i < 10 && off + i < b.length; i++) {
    const c = b[off + i]!;
    if (c < 0x80) return [x + c * 2 ** s, off + i + 1];
    x += (c & 0x7f) * 2 ** s;
    s += 7;
  }
  return [-1, off];
}

export interface GoBuildInfo {
  goVersion: string;
  main?: { path: string; version: string };
  deps: { path: string; version: string }[];
}

export function readGoBuildInfo(bin: Buffer): GoBuildInfo | undefined {
  for (let i = bin.indexOf(MAGIC); i >= 0; i = bin.indexOf(MAGIC, i + 1)) {
    if (i % 16 !== 0 || i + 32 > bin.length) continue;
    const flags = bin[i + 15]!;
    if ((flags & 2) === 0) return undefined; // pre-1.18 pointer format: not read
    let off = i + 32;
    const [vlen, o1] = uvarint(bin, off);
    if (vlen < 0) return undefined;
    const goVersion = bin.subarray(o1, o1 + vlen).toString('utf8');
    off = o1 + vlen;
    const [mlen, o2] = uvarint(bin, off);
    if (mlen < 0) return undefined;
    let mod = bin.subarray(o2, o2 + mlen).toString('utf8');
    if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, -16);
    const info: GoBuildInfo = { goVersion, deps: [] };
    let last: { path: string; version: string } | undefined;
    for (const line of mod.split('\n')) {
      const f = line.split('\t');
      if (f[0] === 'mod' && f[1]) info.main = last = { path: f[1], version: f[2] ?? '' };
      else if (f[0] === 'dep' && f[1]) info.deps.push((last = { path: f[1], version: f[2] ?? '' }));
      else if (f[0] === '=>' && f[1] && last) {
        last.path = f[1];
        last.version = f[2] ?? '';
      }
    }
    return info;
  }
  return undefined;
}

function goPkg(path: string, version: string, file: string, layer?: string): Package {
  const slash = path.lastIndexOf('/');
  return {
    type: 'golang',
    name: path,
    version,
    purl: purl(
      'golang',
      slash > 0 ? path.slice(0, slash) : undefined,
      slash > 0 ? path.slice(slash + 1) : path,
      version,
    ),
    ecosystem: 'Go',
    location: file,
    ...(layer ? { layer } : {}),
  };
}

export function goBinaryPackages(bin: Buffer, file: string, layer?: string): Package[] {
  const info = readGoBuildInfo(bin);
  if (!info) return [];
  const out: Package[] = [];
  const std = /^go(\d+(?:\.\d+)*)/.exec(info.goVersion);
  if (std) out.push({ ...goPkg('stdlib', std[1]!, file, layer), purl: purl('golang', undefined, 'stdlib', std[1]!) });
  if (info.main && info.main.version && info.main.version !== '(devel)')
    out.push(goPkg(info.main.path, info.main.version, file, layer));
  for (const d of info.deps) if (d.version) out.push(goPkg(d.path, d.version, file, layer));
  return out;
}
