// Debian/Ubuntu apt rules.
import type { BaseImage } from '../parse.ts';
import { fromOf, hasCacheOrTmpfsMountWith, runRule, shellOf, stateful, type Rule } from '../rule.ts';
import * as sh from '../shell.ts';

const aptGetPackages = (s: sh.ParsedShell): string[] =>
  s.commands
    .filter((c) => sh.cmdHasArgs('apt-get', ['install'], c))
    .flatMap((c) => sh.getArgsNoFlags(sh.dropFlagArg(['t', 'target-release'], c)))
    .filter((a) => a !== 'install');

export const DL3008 = runRule(
  'DL3008',
  'warning',
  'Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`',
  (r) => aptGetPackages(r.shell).every((p) => p.includes('=') || p.includes('/') || p.endsWith('.deb')),
);

const hasUpdate = (s: sh.ParsedShell): boolean =>
  s.commands.some(
    (c) => sh.cmdHasArgs('apt', ['update'], c) || sh.cmdHasArgs('apt-get', ['update'], c) || sh.cmdHasArgs('aptitude', ['update'], c),
  );
const hasCleanup = (s: sh.ParsedShell): boolean =>
  s.commands.some((c) => sh.cmdHasArgs('rm', ['-rf', '/var/lib/apt/lists/*'], c));

const SCRATCH: BaseImage = { image: 'scratch', registry: undefined, imageName: 'scratch', tag: undefined, digest: undefined, alias: undefined, platform: undefined };

export const DL3009: Rule = stateful(
  'DL3009',
  'info',
  'Delete the apt lists (/var/lib/apt/lists) after installing something',
  (list) => {
    let last: BaseImage | undefined;
    const stages = new Set<string>();
    const forgets: Array<[number, BaseImage]> = [];
    for (const ins of list) {
      const f = fromOf(ins);
      if (f) {
        last = f;
        stages.add(f.imageName);
        continue;
      }
      if (ins.keyword !== 'RUN') continue;
      const s = shellOf(ins);
      if (!(hasUpdate(s) && !hasCleanup(s))) continue;
      if (hasCacheOrTmpfsMountWith('/var/lib/apt/lists', ins)) continue;
      if (hasCacheOrTmpfsMountWith('/var/lib/apt', ins) && hasCacheOrTmpfsMountWith('/var/cache/apt', ins)) continue;
      forgets.push([ins.line, last ?? SCRATCH]);
    }
    if (forgets.length === 0) return [];
    const lastKey = JSON.stringify(last ?? SCRATCH);
    return forgets
      .filter(([, from]) => JSON.stringify(from) === lastKey || (from.alias !== undefined && stages.has(from.alias)))
      .map(([line]) => line)
      .sort((a, b) => a - b);
  },
  true,
);

export const DL3014 = runRule(
  'DL3014',
  'warning',
  'Use the `-y` switch to avoid manual input `apt-get -y install <package>`',
  (r) =>
    !r.shell.commands.some(
      (c) =>
        sh.cmdHasArgs('apt-get', ['install'], c) &&
        !(
          sh.hasAnyFlag(['y', 'yes', 'qq', 'assume-yes'], c) ||
          sh.countFlag('q', c) === 2 ||
          sh.countFlag('quiet', c) === 2 ||
          sh.getArgs(c).includes('-q=2')
        ),
    ),
);

export const DL3015 = runRule(
  'DL3015',
  'info',
  'Avoid additional packages by specifying `--no-install-recommends`',
  (r) =>
    !r.shell.commands.some(
      (c) =>
        sh.cmdHasArgs('apt-get', ['install'], c) &&
        !(sh.hasFlag('no-install-recommends', c) || sh.hasArg('APT::Install-Recommends=false', c)),
    ),
);

export const DL3027 = runRule(
  'DL3027',
  'warning',
  'Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead',
  (r) => !sh.usingProgram('apt', r.shell),
);

export const aptRules: Rule[] = [DL3008, DL3009, DL3014, DL3015, DL3027];
