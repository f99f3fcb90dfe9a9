// The checks dockle makes on the image config and its history (the `created_by` of every step), with
// dockle's tokenisation: a history line is split at `&&` and then at spaces, and keywords are looked for
// in each command, so the results agree with dockle's on the same image.
import type { Assessment } from './checkpoints.ts';

export interface ImageConfigLike {
  config?: {
    User?: string;
    Healthcheck?: unknown;
    Volumes?: Record<string, unknown> | null;
  };
  history?: Array<{ created_by?: string }>;
}

export interface HistoryCheckOptions {
  /** Extra words that make an ENV key suspicious (dockle's --sensitive-word). */
  sensitiveWords?: string[];
  /** ENV keys accepted even when they look suspicious (dockle's --accept-key). */
  acceptKeys?: string[];
}

const CONFIG_FILE = 'metadata';
const SENSITIVE_DIRS = new Set(['/sys', '/dev', '/proc']);
const SUSPICIOUS_ENV_KEY = ['PASS', 'PASSWD', 'PASSWORD', 'SECRET', 'KEY', 'ACCESS', 'TOKEN'];
const ACCEPTED_ENV_KEY = ['GPG_KEY', 'GPG_KEYS'];
const REMOVE_APT_LISTS = [
  'rm',
  '-rf',
  '-fr',
  '-r',
  '-fR',
  '/var/lib/apt/lists',
  '/var/lib/apt/lists/*',
  '/var/lib/apt/lists/*;',
];

function splitByCommands(line: string): string[][] {
  return line.split('&&').map((c) =>
    c
      .split(' ')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

function containsAll(haystack: string[], needles: string[]): boolean {
  const want = new Set(needles);
  for (const v of haystack) if (want.delete(v) && want.size === 0) return true;
  return false;
}

function containsThreshold(haystack: string[], needles: string[], threshold: number): boolean {
  const want = new Set(needles);
  let n = 0;
  for (const v of haystack) if (want.delete(v) && ++n >= threshold) return true;
  return false;
}

const aptCommand = (cmd: string[], sub: string): boolean => containsThreshold(cmd, ['apt-get', 'apt', sub], 2);

/** Words of a command line as a POSIX-ish lexer (google/shlex, which dockle uses) splits them. */
export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur += end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1] as string)) j++;
        cur += line[j];
      }
      i = j;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function sensitiveVar(cmd: string, pattern: RegExp, accepted: Set<string>): { name: string; value: string } | null {
  if (!cmd.includes('=')) return null;
  for (const word of shlexSplit(cmd.replaceAll('#', ''))) {
    if (!word.includes('=')) continue;
    const [name = '', value = ''] = word.split('=');
    if (name.includes(' ') || value === '' || accepted.has(name)) continue;
    if (pattern.test(name)) return { name, value };
  }
  return null;
}

function assessHistory(createdBy: string, pattern: RegExp, accepted: Set<string>): Assessment[] {
  const out: Assessment[] = [];
  const add = (code: string, desc: string): void => void out.push({ code, filename: CONFIG_FILE, desc });
  const cmds = splitByCommands(createdBy);
  const secret = sensitiveVar(createdBy, pattern, accepted);
  if (secret)
    add(
      'CIS-DI-0010',
      `Suspicious ENV key found : ${secret.name} on ${createdBy.replaceAll(secret.value, '*******')} (You can suppress it with --accept-key)`,
    );
  if (cmds.some((c) => containsAll(c, ['apk', 'add']) && !c.includes('--no-cache')))
    add('DKL-DI-0004', `Use --no-cache option if use 'apk add': ${createdBy}`);
  let aptChanged = false;
  let aptCleaned = false;
  for (const c of cmds) {
    if (!aptChanged && (aptCommand(c, 'update') || aptCommand(c, 'install'))) aptChanged = true;
    if (
      aptChanged &&
      (containsThreshold(c, REMOVE_APT_LISTS, 3) || aptCommand(c, 'dist-clean') || aptCommand(c, 'distclean'))
    ) {
      aptCleaned = true;
      break;
    }
  }
  if (aptChanged && !aptCleaned)
    add('DKL-DI-0005', `Use 'rm -rf /var/lib/apt/lists' after 'apt-get install|update' : ${createdBy}`);
  let updated = false;
  let installed = false;
  for (const c of cmds) {
    if (!updated && aptCommand(c, 'update')) updated = true;
    if (updated && (aptCommand(c, 'install') || aptCommand(c, 'upgrade'))) {
      installed = true;
      break;
    }
  }
  if (updated && !installed)
    add('CIS-DI-0007', `Always combine 'apt-get update' with 'apt-get install|upgrade' : ${createdBy}`);
  if (cmds.some((c) => containsAll(c, ['ADD', 'in']) || containsAll(c, ['ADD', 'buildkit'])))
    add('CIS-DI-0009', `Use COPY : ${createdBy}`);
  if (cmds.some((c) => aptCommand(c, 'dist-upgrade')))
    add('DKL-DI-0003', `Avoid dist-upgrade in container : ${createdBy}`);
  if (cmds.some((c) => c.includes('sudo'))) add('DKL-DI-0001', `Avoid sudo in container : ${createdBy}`);
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** dockle's manifest assessor: history lines, the last USER, HEALTHCHECK and VOLUMEs. */
export function assessConfig(image: ImageConfigLike, opts: HistoryCheckOptions = {}): Assessment[] {
  const words = [...SUSPICIOUS_ENV_KEY, ...(opts.sensitiveWords ?? [])].map(escapeRegExp);
  const pattern = new RegExp(words.join('|'), 'i');
  const accepted = new Set([...ACCEPTED_ENV_KEY, ...(opts.acceptKeys ?? [])]);
  const out: Assessment[] = [];
  let firstAdd = -1;
  (image.history ?? []).forEach((h, i) => {
    for (const a of assessHistory(h.created_by ?? '', pattern, accepted)) {
      // the first ADD is usually the base image's rootfs (`ADD file:... in /`), which dockle lets pass
      if (a.code === 'CIS-DI-0009' && firstAdd < 0) {
        firstAdd = i;
        continue;
      }
      out.push(a);
    }
  });
  const cfg = image.config ?? {};
  if (!cfg.User || cfg.User === 'root' || cfg.User === '0' || cfg.User.startsWith('0:') || cfg.User.startsWith('root:'))
    out.push({ code: 'CIS-DI-0001', filename: CONFIG_FILE, desc: 'Last user should not be root' });
  if (cfg.Healthcheck === undefined || cfg.Healthcheck === null)
    out.push({ code: 'CIS-DI-0006', filename: CONFIG_FILE, desc: 'not found HEALTHCHECK statement' });
  for (const v of Object.keys(cfg.Volumes ?? {}))
    if (SENSITIVE_DIRS.has(v))
      out.push({ code: 'DKL-DI-0002', filename: CONFIG_FILE, desc: `Avoid mounting sensitive dirs : ${v}` });
  return out;
}
