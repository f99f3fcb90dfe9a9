// Go toolchain rules.
import { runRule, type Rule } from '../rule.ts';
import * as sh from '../shell.ts';

const goPackages = (s: sh.ParsedShell): string[] => {
  const run = s.commands
    .filter((c) => sh.cmdsHaveArgs(['go'], ['run'], c))
    .flatMap((c) => sh.getArgsNoFlags(c).filter((a, idx) => a !== 'run' && idx <= 1));
  if (run.length > 0) return run;
  return s.commands
    .filter((c) => sh.cmdsHaveArgs(['go'], ['install', 'get'], c))
    .flatMap((c) => sh.getArgsNoFlags(c))
    .filter((a) => !['install', 'get', 'tool'].includes(a));
};

const pinned = (p: string): boolean =>
  p === '.' || p.startsWith('/') || p.startsWith('.') || (p.includes('@') && !p.endsWith('@latest') && !p.endsWith('@none'));

export const DL3062 = runRule(
  'DL3062',
  'warning',
  'Pin versions in go. Instead of `go install <package>` use `go install <package>@<version>`',
  (r) => goPackages(r.shell).every(pinned),
);

export const goRules: Rule[] = [DL3062];
