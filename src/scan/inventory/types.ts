// The package model shared by every inventory parser, the SBOM writers and the matcher.
export type PackageType = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang' | 'cargo' | 'gem' | 'composer' | 'maven';

export interface Package {
  type: PackageType;
  name: string;
  version: string;
  /** Package URL (https://github.com/package-url/purl-spec). */
  purl: string;
  /** OSV ecosystem this package is matched in (`Debian:12`, `Alpine:v3.19`, `npm`, `PyPI`). */
  ecosystem: string;
  /** Source package name and version (dpkg `Source:`), which distro advisories name. */
  source?: { name: string; version: string };
  arch?: string;
  licenses?: string[];
  /** The file the package was read from, relative to the scanned root. */
  location: string;
  /** Digest of the image layer the file came from. */
  layer?: string;
  dev?: boolean;
}

export interface Distro {
  id: string;
  versionId: string;
  prettyName?: string;
}

/** The files of interest of a target, keyed by slash-separated path relative to its root. */
export interface FileSet {
  /** `packages` entries hold the JSON of the packages read from a binary (a Go executable, a Java archive),
   *  not the binary itself. */
  files: Map<string, { data: Buffer; layer?: string; kind?: 'packages' }>;
}

export interface Inventory {
  distro?: Distro;
  packages: Package[];
}

/** One kind of file the inventory reads, and how. */
export interface Analyzer {
  /** Whether the inventory reads this path (relative, slash-separated). */
  matches(path: string): boolean;
  parse(data: Buffer, path: string, ctx: { distro?: Distro; layer?: string }): Package[];
  /** Lockfiles come first, so that a package both locked and installed is reported once. */
  lockfile?: boolean;
  /** Installed-package records: skipped when a lockfile already listed the same package. */
  installed?: boolean;
}
