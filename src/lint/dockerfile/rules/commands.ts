// Rules about programs invoked from RUN: interactive tools, cd, sudo, archives, useradd, wget/curl,
// /bin/sh replacement and pipefail.
import { parseShell } from '../shell.ts';
import { ARCHIVE_EXTENSIONS, dropQuotes, runRule, shellOf, stateful, type Rule } from '../rule.ts';
import { splitWords } from '../pairs.ts';
import * as sh from '../shell.ts';

const INVALID = new Set(['free', 'kill', 'mount', 'ps', 'service', 'shutdown', 'ssh', 'top', 'vim']);

export const DL3001 = runRule(
  'DL3001',
  'info',
  'For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`',
  (r) => !r.shell.commands.some((c) => INVALID.has(c.name)),
);

export const DL3003: Rule = {
  ...runRule('DL3003', 'warning', 'Use WORKDIR to switch to a directory', (r) => !sh.usingProgram('cd', r.shell)),
};
// DL3003 is not applied inside ONBUILD by hadolint.
DL3003.check = (ctx) => {
  const out: number[] = [];
  for (const ins of ctx.file.instructions) if (ins.keyword === 'RUN' && sh.usingProgram('cd', shellOf(ins))) out.push(ins.line);
  return out;
};

export const DL3004 = runRule(
  'DL3004',
  'error',
  'Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root',
  (r) => !sh.usingProgram('sudo', r.shell),
);

const basename = (p: string): string => dropQuotes(p).replace(/^.*[/\\]/, '');
const isArchive = (p: string): boolean => ARCHIVE_EXTENSIONS.some((e) => dropQuotes(p).endsWith(e));
const UNZIP = ['unzip', 'gunzip', 'bunzip2', 'unlzma', 'unxz', 'zgz', 'uncompress', 'zcat', 'gzcat'];

export const DL3010: Rule = {
  code: 'DL3010',
  severity: 'info',
  message: 'Use `ADD` for extracting archives into an image',
  check(ctx) {
    let archives: Array<[number, string]> = [];
    const extracted = new Map<string, number>();
    for (const ins of ctx.file.instructions) {
      if (ins.keyword === 'FROM') {
        archives = [];
        continue;
      }
      if (ins.keyword === 'COPY' && !ins.flags.some((f) => f.name === 'from')) {
        const words = ins.json ?? splitWords(ins.args, false);
        const target = words[words.length - 1] ?? '';
        if (isArchive(target)) archives.push([ins.line, basename(target)]);
        else for (const s of words.slice(0, -1)) if (isArchive(basename(s))) archives.push([ins.line, basename(s)]);
        continue;
      }
      if (ins.keyword === 'RUN' && archives.length > 0) {
        const cmds = shellOf(ins).commands;
        for (const a of archives) {
          const hit = cmds.some((c) => {
            const args = sh.getArgs(c);
            const tarX = c.name === 'tar' && args.some((f) => f === '--extract' || f === '--get' || (f.startsWith('-') && f.includes('x')));
            return (tarX || UNZIP.includes(c.name)) && sh.getArgsNoFlags(c).map(basename).includes(a[1]);
          });
          if (hit) extracted.set(`${a[0]}\0${a[1]}`, a[0]);
        }
      }
    }
    return [...new Set(extracted.values())].sort((a, b) => a - b);
  },
};

export const DL3046 = runRule(
  'DL3046',
  'warning',
  '`useradd` without flag `-l` and high UID will result in excessively large Image.',
  (r) =>
    !r.shell.commands.some(
      (c) =>
        c.name === 'useradd' &&
        !sh.hasAnyFlag(['l', 'no-log-init'], c) &&
        sh.hasAnyFlag(['u', 'uid'], c) &&
        sh.getFlagArg('u', c).some((u) => u.length > 5),
    ),
);

export const DL3047 = runRule(
  'DL3047',
  'info',
  'Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`. Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).',
  (r) =>
    !r.shell.commands.some(
      (c) =>
        c.name === 'wget' &&
        !sh.hasFlag('progress', c) &&
        !(
          sh.hasAnyFlag(['q', 'quiet', 'o', 'output-file', 'a', 'append-output', 'no-verbose'], c) ||
          sh.cmdHasArgs('wget', ['-nv'], c)
        ),
    ),
);

export const DL4001: Rule = stateful(
  'DL4001',
  'warning',
  'Either use Wget or Curl but not both',
  (list) => {
    const out: number[] = [];
    let seen = new Set<string>();
    for (const ins of list) {
      if (ins.keyword === 'FROM') seen = new Set();
      if (ins.keyword !== 'RUN') continue;
      const now = shellOf(ins).commands.map((c) => c.name).filter((n) => n === 'curl' || n === 'wget');
      for (const n of now) seen.add(n);
      if (now.length > 0 && seen.size >= 2) out.push(ins.line);
    }
    return out;
  },
  true,
);

export const DL4005 = runRule('DL4005', 'warning', 'Use SHELL to change the default shell', (r) =>
  sh.noCommands((c) => sh.cmdHasArgs('ln', ['/bin/sh'], c), r.shell),
);

const NON_POSIX = ['pwsh', 'powershell', 'cmd'];

export const DL4006: Rule = {
  code: 'DL4006',
  severity: 'warning',
  message:
    'Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an alpine image or if your shell is symlinked to busybox then consider explicitly setting your SHELL to /bin/ash, or disable this check',
  check(ctx) {
    const out: number[] = [];
    let ok = false;
    for (const ins of ctx.file.instructions) {
      if (ins.keyword === 'FROM') ok = false;
      else if (ins.keyword === 'SHELL') {
        const text = ins.json ? ins.json.join(' ') : ins.args;
        if (NON_POSIX.some((p) => text.startsWith(p))) ok = true;
        else {
          const s = parseShell(text);
          ok = s.commands.some(
            (c) =>
              ['bash', 'zsh', 'ash'].includes(c.name.split('/').pop() ?? '') &&
              sh.hasFlag('o', c) &&
              sh.getArgs(c).includes('pipefail'),
          );
        }
      } else if (ins.keyword === 'RUN' && !ok && shellOf(ins).hasPipes) out.push(ins.line);
    }
    return out;
  },
};

export const commandRules: Rule[] = [DL3001, DL3003, DL3004, DL3010, DL3046, DL3047, DL4001, DL4005, DL4006];
