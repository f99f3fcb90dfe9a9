// Alpine apk rules.
import { hasCacheOrTmpfsMountWith, runRule, type Rule } from '../rule.ts';
import * as sh from '../shell.ts';

export const DL3018 = runRule(
  'DL3018',
  'warning',
  'Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`',
  (r) =>
    r.shell.commands
      .filter((c) => sh.cmdHasArgs('apk', ['add'], c))
      .flatMap((c) => sh.getArgsNoFlags(sh.dropFlagArg(['t', 'virtual', 'repository', 'X'], c)))
      .filter((a) => a !== 'add')
      .every((p) => ['=', '~', '>', '<'].some((s) => p.includes(s)) || p.endsWith('.apk')),
);

export const DL3019 = runRule(
  'DL3019',
  'info',
  'Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages',
  (r) =>
    hasCacheOrTmpfsMountWith('/var/cache/apk', r.ins) ||
    !r.shell.commands.some((c) => sh.cmdHasArgs('apk', ['add'], c) && !sh.hasFlag('no-cache', c)),
);

export const apkRules: Rule[] = [DL3018, DL3019];
