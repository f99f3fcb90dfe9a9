// PHP: composer.lock (`packages` and `packages-dev`, names `vendor/package`).
import { ScanError } from '../errors.ts';
import { isObj, parseJson } from './parse-json.ts';
import { purl } from './purl.ts';
import type { Package } from './types.ts';

export function parseComposerLock(text: string, file: string, layer?: string): Package[] {
  const doc = parseJson(text, file);
  if (!isObj(doc)) throw new ScanError('PARSE_ERROR', `${file}: not a composer.lock object`);
  const out: Package[] = [];
  for (const [section, dev] of [
    ['packages', false],
    ['packages-dev', true],
  ] as const) {
    const list = doc[section];
    for (const p of Array.isArray(list) ? list : []) {
      if (!isObj(p) || typeof p.name !== 'string' || typeof p.version !== 'string') continue;
      const [vendor, name] = p.name.includes('/') ? (p.name.split('/', 2) as [string, string]) : [undefined, p.name];
      const version = p.version.replace(/^v(?=\d)/, '');
      const licenses = Array.isArray(p.license) ? p.license.filter((l): l is string => typeof l === 'string') : [];
      out.push({
        type: 'composer',
        name: p.name,
        version,
        purl: purl('composer', vendor, name, version),
        ecosystem: 'Packagist',
        location: file,
        ...(dev ? { dev } : {}),
        ...(licenses.length ? { licenses } : {}),
        ...(layer ? { layer } : {}),
      });
    }
  }
  return out;
}
