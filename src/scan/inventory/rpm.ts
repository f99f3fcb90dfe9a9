// rpm package databases: sqlite (`var/lib/rpm/rpmdb.sqlite`, Fedora 33+, RHEL/Rocky/Alma 9, openSUSE), whose
// `Packages` table holds one rpm header blob per package, and Berkeley DB hash files (`var/lib/rpm/Packages`,
// RHEL/CentOS 7 and 8, Amazon Linux 2), whose values are the same blobs. A header blob is [index count][data
// length][index entries: tag, type, offset, count — 16 bytes each][data], big-endian. The ndb format
// (`Packages.db`, SUSE) is not read.
import type Database from 'better-sqlite3';
import { openSqliteImage } from '../sqlite-image.ts';
import { ScanError } from '../errors.ts';
import { purl } from './purl.ts';
import type { Distro, Package } from './types.ts';

const TAG = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  license: 1014,
  arch: 1022,
  sourcerpm: 1044,
} as const;
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_I18NSTRING = 9;

/** The string and int32 tags of one header blob. */
export function parseRpmHeader(blob: Buffer, what: string): Map<number, string | number> {
  const fail = (why: string): never => {
    throw new ScanError('PARSE_ERROR', `${what}: bad rpm header: ${why}`);
  };
  if (blob.length < 8) fail('too short');
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il > 100_000 || dataStart + dl > blob.length)
    fail(`${il} entries and ${dl} data bytes do not fit in ${blob.length} bytes`);
  const tags = new Map<number, string | number>();
  for (let i = 0; i < il; i++) {
    const e = 8 + i * 16;
    const tag = blob.readUInt32BE(e);
    const type = blob.readUInt32BE(e + 4);
    const offset = blob.readUInt32BE(e + 8);
    if (offset >= dl) continue;
    const at = dataStart + offset;
    if (type === TYPE_STRING || type === TYPE_I18NSTRING) {
      const end = blob.indexOf(0, at);
      if (end < 0 || end > dataStart + dl) fail(`unterminated string for tag ${tag}`);
      tags.set(tag, blob.toString('utf8', at, end));
    } else if (type === TYPE_INT32 && at + 4 <= dataStart + dl) {
      tags.set(tag, blob.readUInt32BE(at));
    }
  }
  return tags;
}

function ecosystemOf(distro: Distro | undefined): string {
  const major = distro?.versionId?.split('.')[0] ?? '';
  switch (distro?.id) {
    case 'rocky':
      return major ? `Rocky Linux:${major}` : 'Rocky Linux';
    case 'almalinux':
      return major ? `AlmaLinux:${major}` : 'AlmaLinux';
    case 'opensuse-leap':
    case 'opensuse-tumbleweed':
      return 'openSUSE';
    case 'sles':
      return 'SUSE';
    case 'rhel':
      return 'Red Hat';
    default:
      return distro?.id ? `${distro.id}:rpm` : 'rpm';
  }
}

/** The package a header describes, or undefined for gpg-pubkey pseudo-packages and incomplete headers. */
function rpmPackage(
  t: Map<number, string | number>,
  file: string,
  distro: Distro | undefined,
  layer?: string,
): Package | undefined {
  const name = t.get(TAG.name);
  const version = t.get(TAG.version);
  const release = t.get(TAG.release);
  if (typeof name !== 'string' || typeof version !== 'string' || name === 'gpg-pubkey') return undefined;
  const epoch = t.get(TAG.epoch);
  const arch = t.get(TAG.arch);
  const full = `${typeof epoch === 'number' && epoch > 0 ? `${epoch}:` : ''}${version}${typeof release === 'string' ? `-${release}` : ''}`;
  const srpm = t.get(TAG.sourcerpm);
  const src = typeof srpm === 'string' ? /^(.+)-([^-]+)-([^-]+)\.(no)?src\.rpm$/.exec(srpm) : null;
  const license = t.get(TAG.license);
  return {
    type: 'rpm',
    name,
    version: full,
    purl: purl('rpm', distro?.id, name, `${version}${typeof release === 'string' ? `-${release}` : ''}`, {
      arch: typeof arch === 'string' ? arch : undefined,
      epoch: typeof epoch === 'number' && epoch > 0 ? String(epoch) : undefined,
      distro: distro?.id && distro.versionId ? `${distro.id}-${distro.versionId}` : undefined,
    }),
    ecosystem: ecosystemOf(distro),
    ...(src
      ? {
          source: {
            name: src[1]!,
            version: `${typeof epoch === 'number' && epoch > 0 ? `${epoch}:` : ''}${src[2]}-${src[3]}`,
          },
        }
      : {}),
    ...(typeof arch === 'string' ? { arch } : {}),
    ...(typeof license === 'string' ? { licenses: [license] } : {}),
    location: file,
    ...(layer ? { layer } : {}),
  };
}

export function parseRpmSqlite(db: Buffer, file: string, distro: Distro | undefined, layer?: string): Package[] {
  let conn: Database.Database;
  try {
    conn = openSqliteImage(db);
  } catch (e) {
    throw new ScanError('PARSE_ERROR', `${file}: not an sqlite database: ${(e as Error).message}`, { cause: e });
  }
  try {
    const rows = conn.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all() as Array<{
      hnum: number;
      blob: Buffer;
    }>;
    const out: Package[] = [];
    for (const r of rows) {
      const pkg = rpmPackage(parseRpmHeader(r.blob, `${file} package ${r.hnum}`), file, distro, layer);
      if (pkg) out.push(pkg);
    }
    return out;
  } catch (e) {
    if (e instanceof ScanError) throw e;
    throw new ScanError('PARSE_ERROR', `${file}: not an rpm database: ${(e as Error).message}`, { cause: e });
  } finally {
    conn.close();
  }
}

// Berkeley DB hash databases (db 4.x/5.x on-disk format): page 0 is the metadata page (magic 0x061561 at
// byte 12, the page size at 20), every other page starts with a 26-byte header (next page at 16, entry count
// at 20, free-space offset at 22, page type at 25) followed by 16-bit entry offsets. On hash pages the
// entries alternate key/value; a value is stored inline (H_KEYDATA) or on a chain of overflow pages
// (H_OFFPAGE: first page at 4, total length at 8). Byte order is the writer's; the magic tells which.
const BDB_HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;

/** The values of a Berkeley DB hash file (for rpm's Packages: one header blob per package). */
export function bdbHashValues(db: Buffer, file: string): Buffer[] {
  const fail = (why: string): never => {
    throw new ScanError('PARSE_ERROR', `${file}: not a Berkeley DB hash database: ${why}`);
  };
  if (db.length < 512) fail('too short');
  const le = db.readUInt32LE(12) === BDB_HASH_MAGIC;
  if (!le && db.readUInt32BE(12) !== BDB_HASH_MAGIC) fail('bad magic');
  const u32 = (at: number): number => (le ? db.readUInt32LE(at) : db.readUInt32BE(at));
  const u16 = (at: number): number => (le ? db.readUInt16LE(at) : db.readUInt16BE(at));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) fail(`page size ${pageSize}`);
  const pages = Math.floor(db.length / pageSize);
  const overflow = (first: number, total: number): Buffer => {
    const parts: Buffer[] = [];
    let got = 0;
    const seen = new Set<number>();
    for (let pg = first; pg !== 0 && got < total;) {
      if (pg >= pages || seen.has(pg)) fail(`overflow chain at page ${pg} leaves the file or loops`);
      seen.add(pg);
      const base = pg * pageSize;
      if (db[base + 25] !== P_OVERFLOW) fail(`page ${pg} is not an overflow page`);
      // on overflow pages the free-space offset field holds the number of bytes used
      const used = Math.min(u16(base + 22), pageSize - PAGE_HEADER, total - got);
      parts.push(db.subarray(base + PAGE_HEADER, base + PAGE_HEADER + used));
      got += used;
      pg = u32(base + 16);
    }
    if (got !== total) fail(`overflow item is ${got} of ${total} bytes`);
    return Buffer.concat(parts);
  };
  const values: Buffer[] = [];
  for (let pg = 1; pg < pages; pg++) {
    const base = pg * pageSize;
    const type = db[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    // entries come in key/value pairs; the values are the odd ones
    for (let i = 1; i < entries; i += 2) {
      const off = u16(base + PAGE_HEADER + i * 2);
      if (off < PAGE_HEADER || off >= pageSize) fail(`entry ${i} of page ${pg} points outside the page`);
      const item = base + off;
      const itemType = db[item];
      if (itemType === H_KEYDATA) {
        // an inline item runs to the start of the previous entry's data (entries are stored from the page end)
        const end = u16(base + PAGE_HEADER + (i - 1) * 2);
        if (end <= off || end > pageSize) fail(`entry ${i} of page ${pg} has a bad length`);
        values.push(db.subarray(item + 1, base + end));
      } else if (itemType === H_OFFPAGE) {
        values.push(overflow(u32(item + 4), u32(item + 8)));
      }
    }
  }
  return values;
}

export function parseRpmBdb(db: Buffer, file: string, distro: Distro | undefined, layer?: string): Package[] {
  const out: Package[] = [];
  bdbHashValues(db, file).forEach((blob, i) => {
    const pkg = rpmPackage(parseRpmHeader(blob, `${file} value ${i + 1}`), file, distro, layer);
    if (pkg) out.push(pkg);
  });
  return out;
}
