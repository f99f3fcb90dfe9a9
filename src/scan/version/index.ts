// One comparator per ecosystem, chosen by the OSV ecosystem name or the package type.
import { compareApk } from './apk.ts';
import { compareDpkg } from './dpkg.ts';
import { comparePep440 } from './pep440.ts';
import { compareSemver } from './semver.ts';
import { compareRpm } from './rpm.ts';
import { compareRubyGems } from './rubygems.ts';
import { compareMaven } from './maven.ts';
import { comparePackagist } from './packagist.ts';

export {
  compareApk,
  compareDpkg,
  comparePep440,
  compareSemver,
  compareRpm,
  compareRubyGems,
  compareMaven,
  comparePackagist,
};

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
    case 'rubygems':
      return compareRubyGems;
    case 'maven':
      return compareMaven;
    case 'packagist':
      return comparePackagist;
    case 'red hat':
    case 'rocky linux':
    case 'almalinux':
    case 'opensuse':
    case 'suse':
      return compareRpm;
    default:
      return undefined;
  }
}
