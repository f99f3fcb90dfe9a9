// yum, dnf/microdnf and zypper rules.
import { parsePairs } from '../pairs.ts';
import { fromOf, hasCacheOrTmpfsMountWith, runRule, shellOf, stateful, type Rule } from '../rule.ts';
import type { Instruction } from '../parse.ts';
import * as sh from '../shell.ts';

/** true when `first` runs before `second` in the script (both present). */
const before = (s: sh.ParsedShell, first: (c: sh.Command) => boolean, second: (c: sh.Command) => boolean): boolean => {
  const a = sh.findCommandIndex(first, s);
  const b = sh.findCommandIndex(second, s);
  return a !== undefined && b !== undefined && a < b;
};

export const DL3030 = runRule('DL3030', 'warning', 'Use the -y switch to avoid manual input `yum install -y <package>`', (r) =>
  sh.noCommands((c) => sh.cmdHasArgs('yum', ['install', 'groupinstall', 'localinstall'], c) && !sh.hasAnyFlag(['y', 'assumeyes'], c), r.shell),
);

export const DL3032 = runRule('DL3032', 'warning', '`yum clean all` missing after yum command.', (r) => {
  const install = (c: sh.Command): boolean => sh.cmdHasArgs('yum', ['install'], c);
  const clean = (c: sh.Command): boolean => sh.cmdHasArgs('yum', ['clean', 'all'], c) || sh.cmdHasArgs('rm', ['-rf', '/var/cache/yum/*'], c);
  return sh.noCommands(install, r.shell) || before(r.shell, install, clean);
});

const isVersionLike = (parts: string[]): boolean =>
  parts.length > 0 && parts.every((p) => /^[0-9A-Za-z.~^_:+]*$/.test(p)) && parts.some((p) => /^[0-9]/.test(p));

/** DL3033/DL3041: package names must carry a version (`name-1.2`), variables must be defined by ENV/ARG. */
function versionRule(code: string, message: string, cmds: string[], moduleWords: string[]): Rule {
  return stateful(
    code,
    'warning',
    message,
    (list: Instruction[]) => {
      const out: number[] = [];
      const args = new Set<string>();
      const stageEnvs = new Map<string, Set<string>>();
      let envs = new Set<string>();
      for (const ins of list) {
        const f = fromOf(ins);
        if (f) {
          envs = new Set(stageEnvs.get(f.imageName) ?? []);
          stageEnvs.set(f.alias ?? `\0${ins.line}`, envs);
          continue;
        }
        if (ins.keyword === 'ENV') for (const [k] of parsePairs(ins.args)) envs.add(k);
        if (ins.keyword === 'ARG') args.add((ins.args.split('=')[0] ?? '').trim());
        if (ins.keyword !== 'RUN') continue;
        const s = shellOf(ins);
        const installArgs = (c: sh.Command): string[] =>
          sh.cmdsHaveArgs(cmds, ['install'], c) ? sh.getArgsNoFlags(c).filter((a) => a !== 'install' && a !== 'module') : [];
        const isModule = (c: sh.Command): boolean => sh.cmdsHaveArgs(cmds, ['module'], c);
        const pkgs = s.commands.filter((c) => !sh.cmdsHaveArgs(cmds, moduleWords, c)).flatMap(installArgs);
        const mods = s.commands.filter(isModule).flatMap(installArgs);
        const defined = (p: string): boolean => [...envs, ...args].some((v) => p.includes('${' + v + '}'));
        const fixed = (p: string): boolean => {
          const parts = p.split('-');
          if (parts.length <= 1) return false;
          if (p.endsWith('.rpm')) return true;
          if (p.includes('$')) return defined(p);
          return isVersionLike(parts.slice(1));
        };
        if (!(pkgs.every(fixed) && mods.every((m) => m.includes(':')))) out.push(ins.line);
      }
      return out;
    },
    true,
  );
}

export const DL3033 = versionRule('DL3033', 'Specify version with `yum install -y <package>-<version>`.', ['yum'], ['module']);
export const DL3041 = versionRule('DL3041', 'Specify version with `dnf install -y <package>-<version>`.', ['dnf', 'microdnf'], ['module', 'group']);

export const DL3034 = runRule('DL3034', 'warning', 'Non-interactive switch missing from `zypper` command: `zypper install -y`', (r) =>
  sh.noCommands(
    (c) =>
      sh.cmdHasArgs('zypper', ['install', 'in', 'remove', 'rm', 'source-install', 'si', 'patch'], c) &&
      !sh.hasAnyFlag(['non-interactive', 'n', 'no-confirm', 'y'], c),
    r.shell,
  ),
);

export const DL3035 = runRule('DL3035', 'warning', 'Do not use `zypper dist-upgrade`.', (r) =>
  sh.noCommands((c) => sh.cmdHasArgs('zypper', ['dist-upgrade', 'dup'], c), r.shell),
);

export const DL3036 = runRule('DL3036', 'warning', '`zypper clean` missing after zypper use.', (r) => {
  const install = (c: sh.Command): boolean => sh.cmdHasArgs('zypper', ['install', 'in'], c);
  const clean = (c: sh.Command): boolean => sh.cmdHasArgs('zypper', ['clean', 'cc'], c);
  return sh.noCommands(install, r.shell) || hasCacheOrTmpfsMountWith('/var/cache/zypp', r.ins) || before(r.shell, install, clean);
});

export const DL3037 = runRule('DL3037', 'warning', 'Specify version with `zypper install -y <package>=<version>`.', (r) =>
  r.shell.commands
    .filter((c) => sh.cmdHasArgs('zypper', ['install', 'in'], c))
    .flatMap((c) => sh.getArgsNoFlags(c))
    .filter((a) => a !== 'install' && a !== 'in')
    .every((p) => ['=', '>', '<'].some((x) => p.includes(x)) || p.endsWith('.rpm')),
);

export const DL3038 = runRule('DL3038', 'warning', 'Use the -y switch to avoid manual input `dnf install -y <package>`', (r) =>
  sh.noCommands(
    (c) => sh.cmdsHaveArgs(['dnf', 'microdnf'], ['install', 'groupinstall', 'localinstall'], c) && !sh.hasAnyFlag(['y', 'assumeyes'], c),
    r.shell,
  ),
);

export const DL3040 = runRule('DL3040', 'warning', '`dnf clean all` missing after dnf command.', (r) => {
  const installCmds = ['install', 'in', 'upgrade', 'up', 'upgrade-minimal', 'up-min', 'reinstall', 'rei'];
  const ok = ['dnf', 'microdnf'].every((name) => {
    const install = (c: sh.Command): boolean => sh.cmdHasArgs(name, installCmds, c);
    const clean = (c: sh.Command): boolean => sh.cmdHasArgs(name, ['clean', 'all'], c) || sh.cmdHasArgs('rm', ['-rf', '/var/cache/libdnf5*'], c);
    return sh.noCommands(install, r.shell) || before(r.shell, install, clean);
  });
  return ok || hasCacheOrTmpfsMountWith('/var/cache/libdnf5', r.ins) || hasCacheOrTmpfsMountWith('.cache/libdnf5', r.ins);
});

export const rpmRules: Rule[] = [DL3030, DL3032, DL3033, DL3034, DL3035, DL3036, DL3037, DL3038, DL3040, DL3041];
