// Python pip rules.
import { hasCacheOrTmpfsMountWith, shellOf, stateful, runRule, type Rule } from '../rule.ts';
import { parsePairs } from '../pairs.ts';
import * as sh from '../shell.ts';
import { StageFlags } from './instructions.ts';

const VCS = ['git+file', 'git+https', 'git+ssh', 'git+http', 'git+git', 'git', 'hg+file', 'hg+http', 'hg+https', 'hg+ssh', 'hg+static-http', 'svn', 'svn+svn', 'svn+http', 'svn+https', 'svn+ssh', 'bzr+http', 'bzr+https', 'bzr+ssh', 'bzr+sftp', 'bzr+ftp', 'bzr+lp'];
const PIP_VALUE_FLAGS = ['abi', 'b', 'build', 'e', 'editable', 'extra-index-url', 'f', 'find-links', 'i', 'index-url', 'implementation', 'no-binary', 'only-binary', 'platform', 'prefix', 'progress-bar', 'proxy', 'python', 'python-version', 'root', 'root-user-action', 'src', 't', 'target', 'trusted-host', 'upgrade-strategy'];

const stripInstallPrefix = (xs: string[]): string[] => {
  const i = xs.indexOf('install');
  if (i < 0) return [];
  let j = i;
  while (xs[j] === 'install') j++;
  return xs.slice(j);
};

const isVcs = (p: string): boolean => VCS.some((v) => p.startsWith(v));
const pipVersionFixed = (p: string): boolean =>
  ['==', '>=', '<=', '>', '<', '!=', '~=', '==='].some((s) => p.includes(s)) ||
  (isVcs(p) && p.includes('@')) ||
  ['.whl', '.tar.gz'].some((s) => p.endsWith(s)) ||
  (!isVcs(p) && p.includes('/'));

export const DL3013 = runRule(
  'DL3013',
  'warning',
  'Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip install --requirement <requirements file>`',
  (r) =>
    !r.shell.commands.some((c) => {
      if (!sh.isPipInstall(c)) return false;
      if (sh.hasFlag('constraint', c) || sh.hasFlag('c', c)) return false;
      const args = sh.getArgs(c);
      if (args.includes('--requirement') || args.includes('-r') || args.includes('.')) return false;
      return !stripInstallPrefix(sh.getArgsNoFlags(sh.dropFlagArg(PIP_VALUE_FLAGS, c))).every(pipVersionFixed);
    }),
);

const TRUTHY = new Set(['1', 'true', 'True', 'TRUE', 'on', 'On', 'ON', 'yes', 'Yes', 'YES']);

export const DL3042: Rule = stateful(
  'DL3042',
  'warning',
  'Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`',
  (list) => {
    const out: number[] = [];
    const st = new StageFlags();
    for (const ins of list) {
      if (ins.keyword === 'FROM') st.from(ins);
      else if (ins.keyword === 'ENV') {
        const v = parsePairs(ins.args).find(([k]) => k === 'PIP_NO_CACHE_DIR');
        if (v && TRUTHY.has(v[1])) st.mark();
      } else if (ins.keyword === 'RUN') {
        if (st.get()) continue;
        const s = shellOf(ins);
        const idx = s.original.indexOf('PIP_NO_CACHE_DIR=');
        if (idx >= 0) {
          const after = s.original.slice(idx + 'PIP_NO_CACHE_DIR='.length);
          if ([...TRUTHY].some((t) => after.startsWith(t))) continue;
        }
        const forgot = s.commands.some((c) => {
          if (!sh.isPipInstall(c) || sh.getArgs(c).includes('--no-cache-dir')) return false;
          const wrapper = (w: string): boolean =>
            c.name.includes(w) || (c.name.startsWith('python') && sh.isInfix(['-m', w], sh.getArgs(c)));
          return !(wrapper('pipx') || wrapper('pipenv'));
        });
        if (!forgot || hasCacheOrTmpfsMountWith('.cache/pip', ins)) continue;
        out.push(ins.line);
      }
    }
    return out;
  },
  true,
);

export const pipRules: Rule[] = [DL3013, DL3042];
