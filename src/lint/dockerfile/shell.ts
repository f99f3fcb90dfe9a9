// A small POSIX-ish shell reader for RUN scripts: splits a script into simple commands (name + words)
// across &&, ||, ;, |, &, newlines, subshells and compound-command keywords, honouring quotes,
// backslash escapes, line continuations, comments, assignments and redirections. Command
// substitutions are rendered as `${...}` in words (like hadolint) and their commands are included.
export interface CmdPart {
  arg: string;
  id: number;
}

export interface Command {
  name: string;
  args: CmdPart[];
  flags: CmdPart[];
}

export interface ParsedShell {
  original: string;
  commands: Command[];
  hasPipes: boolean;
}

type Tok = { kind: 'word'; text: string; quoted: boolean } | { kind: 'op'; text: string };

const RESERVED_PREFIX = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time']);
const RESERVED_END = new Set(['fi', 'done', '}', 'esac']);

let nextId = 0;

export function parseShell(script: string): ParsedShell {
  const commands: Command[] = [];
  const state = { hasPipes: false };
  readCommands(script, commands, state);
  return { original: script, commands, hasPipes: state.hasPipes };
}

function readCommands(script: string, out: Command[], state: { hasPipes: boolean }): void {
  const subs: string[] = [];
  const toks = tokenize(script, subs);
  let words: Tok[] = [];
  const flush = (): void => {
    const cmd = buildCommand(words);
    if (cmd) out.push(cmd);
    words = [];
  };
  let inFor = false;
  let inCase = false;
  for (const t of toks) {
    if (t.kind === 'op') {
      if (t.text === '|') state.hasPipes = true;
      flush();
      if (inFor && (t.text === ';' || t.text === '\n')) inFor = false;
      continue;
    }
    if (inCase) {
      if (t.text === 'esac' && !t.quoted) inCase = false;
      continue;
    }
    if (inFor) continue;
    if (words.length === 0 && !t.quoted) {
      if (RESERVED_PREFIX.has(t.text) || RESERVED_END.has(t.text)) continue;
      if (t.text === 'for' || t.text === 'select') {
        inFor = true;
        continue;
      }
      if (t.text === 'case') {
        inCase = true;
        continue;
      }
      if (/^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(t.text)) continue; // assignment prefix
    }
    words.push(t);
  }
  flush();
  for (const s of subs) readCommands(s, out, state);
}

function buildCommand(words: Tok[]): Command | undefined {
  const filtered: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.kind !== 'word') continue;
    // redirections: >file, 2>&1, > file, <file, >>file
    const r = !w.quoted ? /^(\d*|&)(>>?|<<?<?|>&|<&|>\|)(.*)$/.exec(w.text) : null;
    if (r) {
      if (r[3] === '' && i + 1 < words.length) i++;
      continue;
    }
    filtered.push(w.text);
  }
  if (filtered.length === 0) return undefined;
  const [name, ...rest] = filtered;
  const args = rest.map((arg) => ({ arg, id: nextId++ }));
  return { name: name!, args, flags: allFlags(args) };
}

function allFlags(args: CmdPart[]): CmdPart[] {
  const out: CmdPart[] = [];
  for (const p of args) {
    if (p.arg === '--' || p.arg === '-') continue;
    if (p.arg.startsWith('--')) out.push({ arg: p.arg.slice(2).split('=')[0]!, id: p.id });
    else if (p.arg.startsWith('-')) for (const c of p.arg.slice(1)) out.push({ arg: c, id: p.id });
  }
  return out;
}

function tokenize(src: string, subs: string[]): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let word = '';
  let inWord = false;
  let quoted = false;
  const end = (): void => {
    if (inWord) toks.push({ kind: 'word', text: word, quoted });
    word = '';
    inWord = false;
    quoted = false;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        continue;
      }
      word += src[i + 1] ?? '';
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'") {
      const j = src.indexOf("'", i + 1);
      const stop = j < 0 ? src.length : j;
      word += src.slice(i + 1, stop);
      inWord = true;
      quoted = true;
      i = stop + 1;
      continue;
    }
    if (c === '"') {
      i++;
      inWord = true;
      quoted = true;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < src.length) {
          const n = src[i + 1]!;
          if (n === '\n') {
            i += 2;
            continue;
          }
          word += '$`"\\'.includes(n) ? n : '\\' + n;
          i += 2;
          continue;
        }
        if (src[i] === '$' && src[i + 1] === '(') {
          const [inner, next] = readBalanced(src, i + 2);
          subs.push(inner);
          word += '${' + inner + '}';
          i = next;
          continue;
        }
        if (src[i] === '$') {
          const v = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9@*#?$!-]/.exec(src.slice(i + 1));
          if (v) {
            word += '${' + v[0] + '}';
            i += 1 + v[0].length;
            continue;
          }
        }
        word += src[i];
        i++;
      }
      i++;
      continue;
    }
    if (c === '$' && src[i + 1] === '(') {
      const [inner, next] = readBalanced(src, i + 2);
      if (!inner.startsWith('(')) subs.push(inner);
      word += '${' + inner + '}';
      inWord = true;
      i = next;
      continue;
    }
    if (c === '$') {
      // like ShellCheck/hadolint, a bare parameter `$name` is rendered braced: `${name}`
      const v = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9@*#?$!-]/.exec(src.slice(i + 1));
      if (v) {
        word += '${' + v[0] + '}';
        inWord = true;
        i += 1 + v[0].length;
        continue;
      }
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      const stop = j < 0 ? src.length : j;
      subs.push(src.slice(i + 1, stop));
      word += '${VAR}';
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (c === '#' && !inWord) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === ' ' || c === '\t') {
      end();
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === ';;') {
      end();
      toks.push({ kind: 'op', text: two });
      i += 2;
      continue;
    }
    if (c === '&' && (src[i + 1] === '>' || (inWord && /^\d*$/.test(word) === false && word.endsWith('>')))) {
      word += c;
      inWord = true;
      i++;
      continue;
    }
    if (c === '>' || c === '<') {
      // redirection operator glued into a word token, so buildCommand can drop it (and its target)
      if (inWord && !/^\d+$/.test(word) && word !== '&') end();
      word += c;
      inWord = true;
      i++;
      while (src[i] === '>' || src[i] === '&' || src[i] === '|' || src[i] === '<') {
        if (src[i] === '&' && !/\d|-/.test(src[i + 1] ?? '')) {
          word += src[i];
          i++;
          break;
        }
        word += src[i];
        i++;
      }
      continue;
    }
    if (c === ';' || c === '|' || c === '&' || c === '\n' || c === '(' || c === ')') {
      end();
      toks.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  end();
  return toks;
}

function readBalanced(src: string, start: number): [string, number] {
  let depth = 1;
  let i = start;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === "'") {
      const j = src.indexOf("'", i + 1);
      i = j < 0 ? src.length : j + 1;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')') {
      depth--;
      if (depth === 0) return [src.slice(start, i), i + 1];
    }
    i++;
  }
  return [src.slice(start), src.length];
}

// ---- helpers mirroring hadolint's Shell module ----

export const getArgs = (c: Command): string[] => c.args.map((a) => a.arg);

export function getArgsNoFlags(c: Command): string[] {
  const flagIds = new Set(c.flags.map((f) => f.id));
  return c.args.filter((a) => !flagIds.has(a.id)).map((a) => a.arg);
}

export const cmdHasArgs = (name: string, expected: string[], c: Command): boolean =>
  cmdsHaveArgs([name], expected, c);

export const cmdsHaveArgs = (names: string[], expected: string[], c: Command): boolean =>
  names.includes(c.name) && c.args.some((a) => expected.includes(a.arg));

export const cmdHasPrefixArg = (name: string, prefix: string, c: Command): boolean =>
  c.name === name && c.args.some((a) => a.arg.startsWith(prefix));

export const countFlag = (flag: string, c: Command): number => c.flags.filter((f) => f.arg === flag).length;
export const hasFlag = (flag: string, c: Command): boolean => countFlag(flag, c) > 0;
export const hasAnyFlag = (fs: string[], c: Command): boolean => c.flags.some((f) => fs.includes(f.arg));
export const hasArg = (arg: string, c: Command): boolean => c.args.some((a) => a.arg === arg);

function valueId(flagId: number, args: CmdPart[]): number {
  let best = Number.MAX_SAFE_INTEGER;
  for (const a of args) if (a.id > flagId && a.id < best) best = a.id;
  return best;
}

/** Drops the value argument following each of the given flags (unless given inline with `=`). */
export function dropFlagArg(flags: string[], c: Command): Command {
  const drop = new Set<number>();
  for (const f of c.flags) {
    if (!flags.includes(f.arg)) continue;
    const inline = c.args.some((a) => a.id === f.id && a.arg.includes('='));
    if (!inline) drop.add(valueId(f.id, c.args));
  }
  return { name: c.name, args: c.args.filter((a) => !drop.has(a.id)), flags: c.flags };
}

export function getFlagArg(flag: string, c: Command): string[] {
  const ids = new Set(c.flags.filter((f) => f.arg === flag).map((f) => valueId(f.id, c.args)));
  return c.args.filter((a) => ids.has(a.id)).map((a) => a.arg);
}

export const usingProgram = (prog: string, s: ParsedShell): boolean => s.commands.some((c) => c.name === prog);
export const noCommands = (f: (c: Command) => boolean, s: ParsedShell): boolean => !s.commands.some(f);
export const anyCommands = (f: (c: Command) => boolean, s: ParsedShell): boolean => s.commands.some(f);
export function findCommandIndex(f: (c: Command) => boolean, s: ParsedShell): number | undefined {
  const i = s.commands.findIndex(f);
  return i < 0 ? undefined : i;
}

export function isPipInstall(c: Command): boolean {
  const args = getArgs(c);
  const std = c.name.startsWith('pip') && !c.name.startsWith('pipenv') && args.includes('install');
  const py = c.name.startsWith('python') && isInfix(['-m', 'pip', 'install'], args);
  return std || py;
}

export function isInfix(needle: string[], hay: string[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
