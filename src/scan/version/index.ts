// One comparator per ecosystem, chosen by the OSV ecosystem name or the package type.
import { compareApk } from './apk.ts';
import { compareDpkg } from './dpkg.ts';
import { comparePep440 } from './pep440.ts';
import { compareSemver } from './semver.ts';

export { compareApk, compareDpkg, comparePep440, compareSemver };

export type Comparator = (a: string, b: string) => number;

/** Comparator for an OSV ecosystem (`Debian:12` → dpkg, `Alpine:v3.19` → apk, `PyPI`, `npm`, `Go`...). */
export function comparatorFor(ecosystem: string): Comparator | undefined {
  const base = ecosystem.split(':')[0]!.toLowerCase();
  switch (base) {
    case 'debian':
    case 'ubuntu':
      return compareDpkg;
    case 'alpine':
      return compareApk;
    case 'pypi':
      return comparePep440;
    case 'npm':
    case 'go':
    case 'crates.io':
      return compareSemver;
    default:
      return undefined;
  }
}
