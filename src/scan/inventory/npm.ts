// npm: package-lock.json (lockfileVersion 1: nested `dependencies`; 2 and 3: flat `packages` keyed by
// install path) and installed node_modules/**/package.json.
import { ScanError } from '../errors.ts';
import { isObj, parseJson, type Obj } from './parse-json.ts';
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

/** npm's `os`/`cpu`/`libc` fields: a list of allowed values, or of `!excluded` ones; absent allows all. */
function installableOn(field: unknown, value: string): boolean {
  if (!Array.isArray(field) || field.length === 0) return true;
  const list = field.filter((x): x is string => typeof x === 'string');
  if (list.includes(`!${value}`)) return false;
  const allowed = list.filter((x) => !x.startsWith('!'));
  return allowed.length === 0 || allowed.includes(value);
}

/** The platform images are scanned for: what npm would install there. */
const PLATFORM = { os: 'linux', cpu: 'x64', libc: 'glibc' };

/**
 * The entries of a v2/v3 lockfile's `packages` that npm installs on the platform: packages whose
 * `os`/`cpu`/`libc` exclude it are left out (esbuild's or rollup's binaries for other systems), and so is
 * whatever only such packages need (their wasm helpers): a package whose every dependent is left out goes
 * too. Dependencies resolve the way Node does (the nearest `node_modules/<name>` up the tree). Entries no
 * package depends on stay: the lockfile says they are installed.
 */
function installedPackages(packages: Obj): Array<[string, Obj]> {
  const entry = (p: string): Obj | undefined => (isObj(packages[p]) ? (packages[p] as Obj) : undefined);
  const resolveFrom = (from: string, name: string): string | undefined => {
    for (let p = from; ;) {
      const candidate = p === '' ? `node_modules/${name}` : `${p}/node_modules/${name}`;
      if (entry(candidate)) return candidate;
      if (p === '') return undefined;
      const i = p.lastIndexOf('/node_modules/');
      p = i < 0 ? '' : p.slice(0, i);
    }
  };
  const dependents = new Map<string, Set<string>>();
  for (const [path, v] of Object.entries(packages)) {
    if (!isObj(v)) continue;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies']) {
      const deps = v[field];
      if (!isObj(deps)) continue;
      for (const name of Object.keys(deps)) {
        const target = resolveFrom(path, name);
        if (target === undefined) continue;
        let set = dependents.get(target);
        if (!set) dependents.set(target, (set = new Set()));
        set.add(path);
      }
    }
  }
  const dropped = new Set<string>();
  for (const [path, v] of Object.entries(packages))
    if (
      path !== '' &&
      isObj(v) &&
      !(installableOn(v.os, PLATFORM.os) && installableOn(v.cpu, PLATFORM.cpu) && installableOn(v.libc, PLATFORM.libc))
    )
      dropped.add(path);
  for (let changed = dropped.size > 0; changed;) {
    changed = false;
    for (const [target, from] of dependents) {
      if (dropped.has(target) || target === '') continue;
      if ([...from].every((d) => dropped.has(d))) {
        dropped.add(target);
        changed = true;
      }
    }
  }
  return Object.entries(packages).filter(
    (e): e is [string, Obj] => e[0] !== '' && !dropped.has(e[0]) && isObj(e[1]) && e[1].link !== true,
  );
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
    for (const [path, v] of installedPackages(doc.packages)) {
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
