// Extended attributes of root filesystem entries, and their form in a layer tar: one PAX record
// `SCHILY.xattr.<name>=<raw bytes>` per attribute (as BuildKit, containerd, buildah and GNU tar write them).
//
// Which attributes are carried (read from the rootfs into layers, and restored from layers):
//  - `security.*` (security.capability — what `setcap` writes — security.ima, ...), except
//    `security.selinux`: that is the host's label, not the image's (moby and containerd leave it out too);
//  - `user.*` and `trusted.*`, except the overlay filesystem's own bookkeeping (`trusted.overlay.*`,
//    `user.overlay.*`), which must never leave the build machine;
//  - not `system.*` (POSIX ACLs, `system.posix_acl_*`, live there; tar carries them differently and image
//    tools ignore them).
// Values are raw bytes (security.capability is a binary struct), so the PAX records are written and read
// here byte for byte; tar-stream's own PAX handling decodes values as UTF-8 and would corrupt them.
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';

/** Attributes of one entry, sorted by name bytes (the order they are written in, so digests are stable). */
export type Xattrs = Array<[name: string, value: Buffer]>;

export const PAX_XATTR = 'SCHILY.xattr.';

/** Whether an attribute is carried in layers (see the rule at the top of this file). */
export function carriedXattr(name: string): boolean {
  if (name.startsWith('security.')) return name !== 'security.selinux';
  if (name.startsWith('user.')) return !name.startsWith('user.overlay.');
  if (name.startsWith('trusted.')) return !name.startsWith('trusted.overlay.');
  return false;
}

const byName = (x: [string, Buffer], y: [string, Buffer]): number =>
  Buffer.compare(Buffer.from(x[0]), Buffer.from(y[0]));

/**
 * The carried attributes of `host` (never following a symlink), or undefined when it has none or the
 * filesystem has no xattr support. One llistxattr per path; getxattr only for the (rare) names found.
 */
export function readXattrs(host: string): Xattrs | undefined {
  let names: string[];
  try {
    names = listAttributesSync(host);
  } catch {
    return undefined; // vanished, or no xattr support on this filesystem: nothing to carry
  }
  if (names.length === 0) return undefined;
  const out: Xattrs = [];
  for (const n of names) {
    if (!carriedXattr(n)) continue;
    let v: Buffer | null;
    try {
      v = getAttributeSync(host, n);
    } catch {
      continue;
    }
    if (v !== null) out.push([n, Buffer.from(v)]);
  }
  return out.length === 0 ? undefined : out.sort(byName);
}

export function sameXattrs(a: Xattrs | undefined, b: Xattrs | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every(([n, v], i) => y[i]![0] === n && y[i]![1].equals(v));
}

/** Error numbers the napi binding reports as `(os error N)`. */
function osErrno(e: unknown): number | undefined {
  const m = /\(os error (\d+)\)/.exec((e as Error)?.message ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Sets the attributes on `host` (no symlink following). Must run after chown/chmod (chown clears
 * security.capability). A `user.*`/`trusted.*` attribute the filesystem refuses (EOPNOTSUPP, e.g. user.* on
 * an older tmpfs; EPERM) is reported through `onSkip` and left out; a refused `security.*` attribute is an
 * error (`fail` is thrown): dropping a file capability would silently change what the image can do.
 */
export function writeXattrs(
  host: string,
  xattrs: Xattrs,
  onSkip: (message: string) => void,
  fail: (message: string, cause: unknown) => Error,
): void {
  for (const [n, v] of xattrs) {
    if (!carriedXattr(n)) continue;
    try {
      setAttributeSync(host, n, v);
    } catch (e) {
      const errno = osErrno(e);
      const why = (e as Error).message;
      if (n.startsWith('security.')) throw fail(`cannot set extended attribute ${n}: ${why}`, e);
      if (errno === 95 || errno === 1 || errno === 61) onSkip(`extended attribute ${n} not set: ${why}`);
      else throw fail(`cannot set extended attribute ${n}: ${why}`, e);
    }
  }
}

/** One PAX record `<len> <key>=<value>\n`, byte exact (the length counts itself). */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** The PAX extended header body for an entry: `path`/`linkpath` when given, then the xattrs in order. */
export function encodePaxRecords(xattrs: Xattrs, extra: { path?: string; linkpath?: string } = {}): Buffer {
  const parts: Buffer[] = [];
  if (extra.linkpath !== undefined) parts.push(paxRecord('linkpath', Buffer.from(extra.linkpath)));
  if (extra.path !== undefined) parts.push(paxRecord('path', Buffer.from(extra.path)));
  for (const [n, v] of xattrs) parts.push(paxRecord(PAX_XATTR + n, v));
  return Buffer.concat(parts);
}

/** The `SCHILY.xattr.*` records of a PAX extended header body, values as raw bytes, sorted by name. */
export function decodePaxXattrs(buf: Buffer): Xattrs {
  const out: Xattrs = [];
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(buf.subarray(off, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > buf.length) break;
    const rec = buf.subarray(sp + 1, off + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq > 0) {
      const key = rec.subarray(0, eq).toString('utf8');
      if (key.startsWith(PAX_XATTR)) out.push([key.slice(PAX_XATTR.length), Buffer.from(rec.subarray(eq + 1))]);
    }
    off += len;
  }
  return out.sort(byName);
}
