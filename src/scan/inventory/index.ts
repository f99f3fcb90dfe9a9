// Inventory: which files each ecosystem reads, and the packages found in a set of those files.
import { parseApkInstalled } from './apk.ts';
import { parseCargoLock } from './cargo.ts';
import { parseComposerLock } from './composer.ts';
import { parseDpkgStatus } from './dpkg.ts';
import { parseGemfileLock } from './gemfile.ts';
import { goBinaryPackages, looksExecutable } from './gobinary.ts';
import { parseGoMod } from './gomod.ts';
import { jarPackages, parsePom } from './maven.ts';
import { parseInstalledPackageJson, parsePackageLock } from './npm.ts';
import { parseOsRelease } from './os-release.ts';
import { parsePythonMetadata, parseRequirements } from './pip.ts';
import { parsePnpmLock } from './pnpm.ts';
import { parsePipfileLock, parsePoetryLock, parseUvLock } from './python-locks.ts';
import { parseRpmBdb, parseRpmSqlite } from './rpm.ts';
import type { Analyzer, Distro, FileSet, Inventory, Package } from './types.ts';
import { parseYarnLock } from './yarn.ts';

export type { Analyzer, Distro, FileSet, Inventory, Package, PackageType } from './types.ts';
export { purl } from './purl.ts';
export { goBinaryPackages, looksExecutable, readGoBuildInfo } from './gobinary.ts';

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const named =
  (...names: string[]) =>
  (p: string): boolean =>
    names.includes(base(p)) && !p.includes('node_modules/');
const text =
  (f: (text: string, file: string, distro: Distro | undefined, layer?: string) => Package[]): Analyzer['parse'] =>
  (data, path, ctx) =>
    f(data.toString('utf8'), path, ctx.distro, ctx.layer);
const lang = (f: (text: string, file: string, layer?: string) => Package[]): Analyzer['parse'] =>
  text((t, p, _d, l) => f(t, p, l));

/** Every file kind the inventory reads, in no particular order (lockfiles are read first). */
export const ANALYZERS: readonly Analyzer[] = [
  {
    matches: (p) =>
      p === 'var/lib/dpkg/status' ||
      (p.startsWith('var/lib/dpkg/status.d/') && !p.endsWith('.md5sums') && !p.slice(22).includes('/')),
    parse: text(parseDpkgStatus),
  },
  { matches: (p) => p === 'lib/apk/db/installed', parse: text(parseApkInstalled) },
  {
    matches: (p) => p === 'var/lib/rpm/rpmdb.sqlite' || p === 'usr/lib/sysimage/rpm/rpmdb.sqlite',
    parse: (data, p, ctx) => parseRpmSqlite(data, p, ctx.distro, ctx.layer),
  },
  {
    matches: (p) => p === 'var/lib/rpm/Packages' || p === 'usr/lib/sysimage/rpm/Packages',
    parse: (data, p, ctx) => parseRpmBdb(data, p, ctx.distro, ctx.layer),
  },
  { matches: named('package-lock.json'), parse: lang(parsePackageLock), lockfile: true },
  { matches: named('yarn.lock'), parse: lang(parseYarnLock), lockfile: true },
  { matches: named('pnpm-lock.yaml'), parse: lang(parsePnpmLock), lockfile: true },
  {
    matches: (p) => base(p) === 'package.json' && /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*\/package\.json$/.test(p),
    parse: lang((t, p, l) => {
      const pkg = parseInstalledPackageJson(t, p, l);
      return pkg ? [pkg] : [];
    }),
    installed: true,
  },
  {
    matches: (p) => /\.dist-info\/METADATA$/.test(p) || /\.egg-info\/PKG-INFO$/.test(p),
    parse: lang((t, p, l) => {
      const pkg = parsePythonMetadata(t, p, l);
      return pkg ? [pkg] : [];
    }),
  },
  {
    matches: (p) => /^requirements[\w.-]*\.txt$/.test(base(p)) && !p.includes('site-packages/'),
    parse: lang(parseRequirements),
  },
  { matches: named('poetry.lock'), parse: lang(parsePoetryLock), lockfile: true },
  { matches: named('uv.lock'), parse: lang(parseUvLock), lockfile: true },
  { matches: named('Pipfile.lock'), parse: lang(parsePipfileLock), lockfile: true },
  { matches: named('go.mod'), parse: lang(parseGoMod), lockfile: true },
  { matches: named('Cargo.lock'), parse: lang(parseCargoLock), lockfile: true },
  { matches: named('Gemfile.lock'), parse: lang(parseGemfileLock), lockfile: true },
  { matches: named('composer.lock'), parse: lang(parseComposerLock), lockfile: true },
  { matches: (p) => base(p) === 'pom.xml' && !p.includes('/META-INF/'), parse: lang(parsePom), lockfile: true },
];

/** Java archives, read for the Maven coordinates they carry. */
export const isJavaArchive = (p: string): boolean => /\.(jar|war|ear)$/i.test(p);

/** Whether a path (relative, slash-separated) is one the inventory reads. */
export function isInterestingPath(p: string): boolean {
  if (p === 'etc/os-release' || p === 'usr/lib/os-release') return true;
  return ANALYZERS.some((a) => a.matches(p));
}

/**
 * A binary reduced to the JSON of the packages it carries (a Go executable's build info, a Java archive's
 * pom.properties), or undefined when it carries none.
 */
export function binaryEntry(bin: Buffer, path: string): Buffer | undefined {
  let pkgs: Package[] = [];
  if (isJavaArchive(path)) pkgs = jarPackages(bin, path);
  else if (looksExecutable(bin)) pkgs = goBinaryPackages(bin, path);
  return pkgs.length ? Buffer.from(JSON.stringify(pkgs)) : undefined;
}

export function inventoryOf(set: FileSet): Inventory {
  const files = set.files;
  const osr = files.get('etc/os-release') ?? files.get('usr/lib/os-release');
  const distro: Distro | undefined = osr ? parseOsRelease(osr.data.toString('utf8')) : undefined;
  const packages: Package[] = [];
  const locked = new Set<string>();
  const key = (p: Package): string => `${p.type}:${p.name}@${p.version}`;
  const analyzerOf = (p: string): Analyzer | undefined => ANALYZERS.find((a) => a.matches(p));
  const rank = (p: string): number => (analyzerOf(p)?.lockfile ? 0 : 1);
  const paths = [...files.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const p of paths) {
    const f = files.get(p)!;
    if (f.kind === 'packages') {
      packages.push(
        ...(JSON.parse(f.data.toString('utf8')) as Package[]).map((x) => ({
          ...x,
          ...(f.layer ? { layer: f.layer } : {}),
        })),
      );
      continue;
    }
    const a = analyzerOf(p);
    if (!a) continue;
    for (const pkg of a.parse(f.data, p, { ...(distro ? { distro } : {}), ...(f.layer ? { layer: f.layer } : {}) })) {
      if (a.installed && locked.has(key(pkg))) continue;
      locked.add(key(pkg));
      packages.push(pkg);
    }
  }
  return { ...(distro ? { distro } : {}), packages };
}
