// rpm: the sqlite package database (`var/lib/rpm/rpmdb.sqlite`, Fedora 33+, RHEL/Rocky/Alma 9,
// openSUSE), whose `Packages` table holds one rpm header blob per package. A header blob is
// [index count][data length][index entries: tag, type, offset, count — 16 bytes each][data], big-endian.
// The Berkeley DB (`Packages`) and ndb (`Packages.db`) databases of older and SUSE systems are not read.
import Database from 'better-sqlite3';
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

export function parseRpmSqlite(db: Buffer, file: string, distro: Distro | undefined, layer?: string): Package[] {
  let conn: Database.Database;
  try {
    conn = new Database(db, { readonly: true });
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
      const t = parseRpmHeader(r.blob, `${file} package ${r.hnum}`);
      const name = t.get(TAG.name);
      const version = t.get(TAG.version);
      const release = t.get(TAG.release);
      if (typeof name !== 'string' || typeof version !== 'string' || name === 'gpg-pubkey') continue;
      const epoch = t.get(TAG.epoch);
      const arch = t.get(TAG.arch);
      const full = `${typeof epoch === 'number' && epoch > 0 ? `${epoch}:` : ''}${version}${typeof release === 'string' ? `-${release}` : ''}`;
      const srpm = t.get(TAG.sourcerpm);
      const src = typeof srpm === 'string' ? /^(.+)-([^-]+)-([^-]+)\.(no)?src\.rpm$/.exec(srpm) : null;
      const license = t.get(TAG.license);
      out.push({
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
      });
    }
    return out;
  } catch (e) {
    if (e instanceof ScanError) throw e;
    throw new ScanError('PARSE_ERROR', `${file}: not an rpm database: ${(e as Error).message}`, { cause: e });
  } finally {
    conn.close();
  }
}
