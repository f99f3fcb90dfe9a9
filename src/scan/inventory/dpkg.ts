// dpkg databases: var/lib/dpkg/status (all packages) and var/lib/dpkg/status.d/* (distroless images,
// one file per package). RFC 822-style stanzas separated by blank lines; continuation lines start with
// a space.
import { ScanError } from '../errors.ts';
import { purl } from './purl.ts';
import type { Distro, Package } from './types.ts';

export function parseControlStanzas(text: string, file: string): { fields: Record<string, string>; row: number }[] {
  const out: { fields: Record<string, string>; row: number }[] = [];
  let cur: Record<string, string> | null = null;
  let start = 0;
  let last = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') {
      if (cur) out.push({ fields: cur, row: start });
      cur = null;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!cur || !last)
        throw new ScanError('PARSE_ERROR', `${file}:${i + 1}: continuation line outside a field`, {
          location: { file, row: i + 1, col: 1 },
        });
      cur[last] += '\n' + line.slice(1);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new ScanError('PARSE_ERROR', `${file}:${i + 1}: expected "Field: value"`, {
        location: { file, row: i + 1, col: 1 },
      });
    if (!cur) {
      cur = {};
      start = i + 1;
    }
    last = line.slice(0, colon);
    cur[last] = line.slice(colon + 1).trim();
  }
  if (cur) out.push({ fields: cur, row: start });
  return out;
}

export function parseDpkgStatus(text: string, file: string, distro: Distro | undefined, layer?: string): Package[] {
  const pkgs: Package[] = [];
  for (const { fields, row } of parseControlStanzas(text, file)) {
    const name = fields.Package;
    const version = fields.Version;
    if (!name || !version) {
      if (name || version)
        throw new ScanError('PARSE_ERROR', `${file}:${row}: stanza without Package or Version`, {
          location: { file, row, col: 1 },
        });
      continue;
    }
    // status files keep removed packages with "deinstall ok config-files"; only installed ones count
    const status = fields.Status;
    if (status !== undefined && !/\binstalled$/.test(status.trim())) continue;
    const arch = fields.Architecture;
    let source: Package['source'];
    if (fields.Source) {
      const m = /^(\S+)(?:\s+\((.+)\))?$/.exec(fields.Source.trim());
      if (m) source = { name: m[1]!, version: m[2] ?? version };
    }
    const distroId = distro?.id ?? 'debian';
    const ecoName = distroId === 'ubuntu' ? 'Ubuntu' : 'Debian';
    const eco = distro?.versionId ? `${ecoName}:${distro.versionId.split('.')[0]}` : ecoName;
    pkgs.push({
      type: 'deb',
      name,
      version,
      purl: purl('deb', distroId, name, version, {
        arch,
        distro: distro?.versionId ? `${distroId}-${distro.versionId}` : undefined,
        upstream: source && source.name !== name ? source.name : undefined,
      }),
      ecosystem: eco,
      ...(source ? { source } : {}),
      ...(arch ? { arch } : {}),
      location: file,
      ...(layer ? { layer } : {}),
    });
  }
  return pkgs;
}
