// npm, yarn and gem rules.
import type { BaseImage } from '../parse.ts';
import { fromOf, hasCacheOrTmpfsMountWith, runRule, shellOf, stateful, type Rule } from '../rule.ts';
import * as sh from '../shell.ts';

const stripInstallPrefix = (xs: string[]): string[] => {
  const i = xs.indexOf('install');
  if (i < 0) return [];
  let j = i;
  while (xs[j] === 'install') j++;
  return xs.slice(j);
};

const npmVersionFixed = (p: string): boolean => {
  if (['git://', 'git+ssh://', 'git+http://', 'git+https://'].some((g) => p.startsWith(g))) return p.includes('#');
  if (['.tar', '.tar.gz', '.tgz'].some((s) => p.endsWith(s))) return true;
  if (['/', './', '../', '~/'].some((s) => p.startsWith(s))) return true;

  return (p.startsWith("@") ? dropScope(p) : p).includes("@");
};
// Like hadolint: drop the leading characters that sort above '/' (the @scope) before looking for '@version'.
const dropScope = (p: string): string => {
  let i = 0;
  while (i < p.length && '/' < p[i]!) i++;
  return p.slice(i);
};

export const DL3016 = runRule(
  'DL3016',
  'warning',
  'Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`',
  (r) =>
    !r.shell.commands.some((c) => {
      if (!sh.cmdHasArgs('npm', ['install'], c)) return false;
      const args = sh.getArgsNoFlags(sh.dropFlagArg(['loglevel', 'registry'], c));
      if (args[0] !== 'install') return false;
      return !stripInstallPrefix(args).every(npmVersionFixed);
    }),
);

export const DL3028 = runRule(
  'DL3028',
  'warning',
  'Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`',
  (r) => {
    const gems: string[] = [];
    for (const c of r.shell.commands) {
      if (!sh.cmdHasArgs('gem', ['install', 'i'], c)) continue;
      if (sh.cmdHasArgs('gem', ['-v'], c) || sh.cmdHasArgs('gem', ['--version'], c) || sh.cmdHasPrefixArg('gem', '--version=', c)) continue;
      const args = sh.getArgs(c);
      const untilDash = args.indexOf('--') >= 0 ? args.slice(0, args.indexOf('--')) : args;
      for (let i = 0; i < untilDash.length; i++) {
        const x = untilDash[i]!;
        if (x.startsWith('-')) {
          i++;
          continue;
        }
        if (x !== 'install' && x !== 'i') gems.push(x);
      }
    }
    return gems.every((g) => g.includes(':'));
  },
);

const SCRATCH: BaseImage = { image: 'scratch', registry: undefined, imageName: 'scratch', tag: undefined, digest: undefined, alias: undefined, platform: undefined };

export const DL3060: Rule = stateful(
  'DL3060',
  'info',
  '`yarn cache clean` missing after `yarn install` was run.',
  (list) => {
    let current: BaseImage | undefined;
    const active = new Set<string>();
    const inactive: Array<[number, BaseImage]> = [];
    const install = (c: sh.Command): boolean => sh.cmdHasArgs('yarn', ['install'], c);
    const clean = (c: sh.Command): boolean => sh.cmdHasArgs('yarn', ['cache', 'clean'], c);
    for (const ins of list) {
      const f = fromOf(ins);
      if (f) {
        current = f;
        active.add(f.imageName);
        continue;
      }
      if (ins.keyword !== 'RUN') continue;
      const s = shellOf(ins);
      if (!sh.anyCommands(install, s)) continue;
      const hasClean = sh.anyCommands(clean, s);
      if (!hasClean && !hasCacheOrTmpfsMountWith('.cache/yarn', ins)) inactive.push([ins.line, current ?? SCRATCH]);
      else if (hasClean) {
        const ci = sh.findCommandIndex(clean, s)!;
        const ii = sh.findCommandIndex(install, s)!;
        if (ci < ii) inactive.push([ins.line, current ?? SCRATCH]);
      }
    }
    const key = JSON.stringify(current ?? SCRATCH);
    return inactive
      .filter(([, from]) => JSON.stringify(from) === key || (from.alias !== undefined && active.has(from.alias)))
      .map(([l]) => l)
      .sort((a, b) => a - b);
  },
  true,
);

export const nodeRubyRules: Rule[] = [DL3016, DL3028, DL3060];
