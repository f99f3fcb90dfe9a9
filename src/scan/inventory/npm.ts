// npm: package-lock.json (lockfileVersion 1: nested `dependencies`; 2 and 3: flat `packages` keyed by
// install path) and installed node_modules/**/package.json.
import { ScanError } from '../errors.ts';
import { isObj, parseJson } from './parse-json.ts';
import { purl } from './purl.ts';
import type { Package } from './types.ts';

export function npmPurl(name: string, version: string): string {
  if (name.startsWith('@')) {
    const [ns, n] = name.split('/');
    return purl('npm', ns, n ?? '', version);
  }
  return purl('npm', undefined, name, version);
}

export function npmPackage(name: string, version: string, file: string, dev: boolean, layer?: string): Package {
  return {
    type: 'npm',
    name,
    version,
    purl: npmPurl(name, version),
    ecosystem: 'npm',
    location: file,
    ...(dev ? { dev } : {}),
    ...(layer ? { layer } : {}),
  };
}

export function parsePackageLock(text: string, file: string, layer?: string): Package[] {
  const doc = parseJson(text, file);
  if (!isObj(doc)) throw new ScanError('PARSE_ERROR', `${file}: not a package-lock object`);
  const out: Package[] = [];
  const seen = new Set<string>();
  const add = (name: string, version: unknown, dev: boolean): void => {
    if (typeof version !== 'string' || version === '') return;
    // v1 records git/file/alias dependencies with a URL in `version`
    if (/^(file:|git|github:|https?:|link:|npm:)/.test(version)) return;
    const key = `${name}@${version}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(npmPackage(name, version, file, dev, layer));
  };
  if (isObj(doc.packages)) {
    for (const [path, v] of Object.entries(doc.packages)) {
      if (path === '' || !isObj(v) || v.link === true) continue;
      const idx = path.lastIndexOf('node_modules/');
      if (idx < 0) continue; // workspace folders, not installed packages
      const name = typeof v.name === 'string' ? v.name : path.slice(idx + 'node_modules/'.length);
      add(name, v.version, v.dev === true);
    }
    return out;
  }
  const walk = (deps: unknown): void => {
    if (!isObj(deps)) return;
    for (const [name, v] of Object.entries(deps)) {
      if (!isObj(v)) continue;
      add(name, v.version, v.dev === true);
      walk(v.dependencies);
    }
  };
  walk(doc.dependencies);
  return out;
}

export function parseInstalledPackageJson(text: string, file: string, layer?: string): Package | undefined {
  const doc = parseJson(text, file);
  if (!isObj(doc) || typeof doc.name !== 'string' || typeof doc.version !== 'string') return undefined;
  const p = npmPackage(doc.name, doc.version, file, false, layer);
  if (typeof doc.license === 'string') p.licenses = [doc.license];
  return p;
}
