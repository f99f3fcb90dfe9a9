// Inventory: which files each ecosystem reads, and the packages found in a set of those files.
import { parseApkInstalled } from './apk.ts';
import { parseDpkgStatus } from './dpkg.ts';
import { parseInstalledPackageJson, parsePackageLock } from './npm.ts';
import { goBinaryPackages, looksExecutable } from './gobinary.ts';
import { parseOsRelease } from './os-release.ts';
import { parsePythonMetadata, parseRequirements } from './pip.ts';
import type { Distro, FileSet, Inventory, Package } from './types.ts';

export type { Distro, FileSet, Inventory, Package, PackageType } from './types.ts';
export { purl } from './purl.ts';
export { goBinaryPackages, looksExecutable, readGoBuildInfo } from './gobinary.ts';

/** Inventory entry for an executable: the JSON of its Go packages, or undefined if it has no build info. */
export function goBinaryEntry(bin: Buffer, path: string): Buffer | undefined {
  if (!looksExecutable(bin)) return undefined;
  const pkgs = goBinaryPackages(bin, path);
  return pkgs.length ? Buffer.from(JSON.stringify(pkgs)) : undefined;
}

/** Whether a path (relative, slash-separated) is one the inventory reads. */
export function isInterestingPath(p: string): boolean {
  if (p === 'etc/os-release' || p === 'usr/lib/os-release') return true;
  if (p === 'var/lib/dpkg/status' || p === 'lib/apk/db/installed') return true;
  if (p.startsWith('var/lib/dpkg/status.d/') && !p.endsWith('.md5sums') && !p.slice(22).includes('/')) return true;
  const base = p.slice(p.lastIndexOf('/') + 1);
  if (base === 'package-lock.json' && !p.includes('node_modules/')) return true;
  if (base === 'package.json' && /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*\/package\.json$/.test(p)) return true;
  if (base === 'METADATA' && /\.dist-info\/METADATA$/.test(p)) return true;
  if (base === 'PKG-INFO' && /\.egg-info\/PKG-INFO$/.test(p)) return true;
  if (/^requirements[\w.-]*\.txt$/.test(base) && !p.includes('site-packages/')) return true;
  return false;
}

export function inventoryOf(set: FileSet): Inventory {
  const files = set.files;
  const osr = files.get('etc/os-release') ?? files.get('usr/lib/os-release');
  const distro: Distro | undefined = osr ? parseOsRelease(osr.data.toString('utf8')) : undefined;
  const packages: Package[] = [];
  const npmSeen = new Set<string>();
  const paths = [...files.keys()].sort();
  // lockfiles before installed package.json files, so a package listed in both is reported once
  const rank = (p: string): number => (p.endsWith('package-lock.json') ? 0 : 1);
  paths.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const p of paths) {
    const f = files.get(p)!;
    const text = f.data.toString('utf8');
    if (f.kind === 'gobinary') {
      packages.push(...(JSON.parse(text) as Package[]).map((p) => ({ ...p, ...(f.layer ? { layer: f.layer } : {}) })));
      continue;
    }
    if (p === 'var/lib/dpkg/status' || p.startsWith('var/lib/dpkg/status.d/')) {
      packages.push(...parseDpkgStatus(text, p, distro, f.layer));
    } else if (p === 'lib/apk/db/installed') {
      packages.push(...parseApkInstalled(text, p, distro, f.layer));
    } else if (p.endsWith('package-lock.json')) {
      for (const pkg of parsePackageLock(text, p, f.layer)) {
        npmSeen.add(`${pkg.name}@${pkg.version}`);
        packages.push(pkg);
      }
    } else if (p.endsWith('/package.json') || p.endsWith('package.json')) {
      const pkg = parseInstalledPackageJson(text, p, f.layer);
      if (pkg && !npmSeen.has(`${pkg.name}@${pkg.version}`)) {
        npmSeen.add(`${pkg.name}@${pkg.version}`);
        packages.push(pkg);
      }
    } else if (p.endsWith('/METADATA') || p.endsWith('/PKG-INFO')) {
      const pkg = parsePythonMetadata(text, p, f.layer);
      if (pkg) packages.push(pkg);
    } else if (/requirements[\w.-]*\.txt$/.test(p)) {
      packages.push(...parseRequirements(text, p, f.layer));
    }
  }
  return { ...(distro ? { distro } : {}), packages };
}
