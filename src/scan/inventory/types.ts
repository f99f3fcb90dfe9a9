// The package model shared by every inventory parser, the SBOM writers and the matcher.
export type PackageType = 'deb' | 'apk' | 'npm' | 'pypi' | 'golang';

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
  /** `gobinary` entries hold the JSON of the packages read from an executable, not the executable. */
  files: Map<string, { data: Buffer; layer?: string; kind?: 'gobinary' }>;
}

export interface Inventory {
  distro?: Distro;
  packages: Package[];
}
