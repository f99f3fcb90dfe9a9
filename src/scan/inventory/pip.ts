// Python: installed distributions (*.dist-info/METADATA, *.egg-info/PKG-INFO — email-header format with
// Name/Version/License) and pinned requirements files (`name==version`).
import { purl } from './purl.ts';
import type { Package } from './types.ts';

/** PEP 503 normalized name. */
export function normalizePyName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function pyPkg(name: string, version: string, file: string, layer?: string): Package {
  return {
    type: 'pypi',
    name,
    version,
    purl: purl('pypi', undefined, normalizePyName(name), version),
    ecosystem: 'PyPI',
    location: file,
    ...(layer ? { layer } : {}),
  };
}

export function parsePythonMetadata(text: string, file: string, layer?: string): Package | undefined {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const l = line.replace(/\r$/, '');
    if (l === '') break; // the body (long description) follows the first blank line
    const m = /^([A-Za-z-]+):\s?(.*)$/.exec(l);
    if (m && !(m[1]! in headers)) headers[m[1]!] = m[2]!;
  }
  if (!headers.Name || !headers.Version) return undefined;
  const p = pyPkg(headers.Name, headers.Version, file, layer);
  const lic = headers['License-Expression'] ?? headers.License;
  if (lic && lic !== 'UNKNOWN') p.licenses = [lic];
  return p;
}

export function parseRequirements(text: string, file: string, layer?: string): Package[] {
  const out: Package[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '' || line.startsWith('-')) continue;
    // name[extras]==version ; markers
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9!+._-]+)\s*(?:;.*)?(?:\\)?$/.exec(
      line,
    );
    if (m) out.push(pyPkg(m[1]!, m[2]!, file, layer));
  }
  return out;
}
