// pnpm-lock.yaml: lockfile v5 (`/name/1.0.0` keys), v6 (`/name@1.0.0`) and v9 (`name@1.0.0`, with the
// dev flag moved to the importers). Peer-dependency suffixes (`_react@18` or `(react@18)`) are dropped;
// `link:` and `file:` entries are the project's own code.
import { ScanError } from '../errors.ts';
import { npmPackage } from './npm.ts';
import { isObj } from './parse-json.ts';
import { parseYaml } from './parse-yaml.ts';
import type { Package } from './types.ts';

function splitKey(key: string, lockVersion: number): { name: string; version: string } | undefined {
  let k = key.replace(/\(.*$/, '');
  if (k.startsWith('/')) k = k.slice(1);
  if (lockVersion < 6 && !k.includes('@', k.startsWith('@') ? 1 : 0)) {
    // v5: name/version, the name may be scoped (@scope/name/version)
    const parts = k.split('/');
    const version = (parts.pop() ?? '').replace(/_.*$/, '');
    return { name: parts.join('/'), version };
  }
  const at = k.lastIndexOf('@');
  if (at <= 0) return undefined;
  return { name: k.slice(0, at), version: k.slice(at + 1).replace(/_.*$/, '') };
}

export function parsePnpmLock(text: string, file: string, layer?: string): Package[] {
  const doc = parseYaml(text, file);
  if (!isObj(doc)) throw new ScanError('PARSE_ERROR', `${file}: not a pnpm lockfile`);
  const lockVersion = Number.parseFloat(String(doc.lockfileVersion ?? '5'));
  const out: Package[] = [];
  const packages = isObj(doc.packages) ? doc.packages : {};
  for (const [key, v] of Object.entries(packages)) {
    if (/^(link|file):/.test(key) || key.includes('@file:') || key.includes('@link:')) continue;
    const nv = splitKey(key, lockVersion);
    if (!nv || nv.name === '' || nv.version === '') continue;
    const meta = isObj(v) ? v : {};
    const name = typeof meta.name === 'string' ? meta.name : nv.name;
    const version = typeof meta.version === 'string' ? meta.version : nv.version;
    out.push(npmPackage(name, version, file, meta.dev === true, layer));
  }
  return out;
}
