// .dockerignore patterns with the semantics of moby/patternmatcher (used by docker and BuildKit):
// Go filepath.Match syntax per path segment, `**` for any number of directories, `!` to re-include,
// later patterns win, and a pattern that matches a parent directory matches everything under it.

/** Go's path.Clean for slash-separated paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const parts = p.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const s = (rooted ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

/** Checks a pattern the way Go's filepath.Match(pattern, ".") would report ErrBadPattern. */
export function validateGlob(pattern: string): void {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 >= pattern.length) throw new PatternError('syntax error in pattern');
      i++;
    } else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      let first = true;
      for (;;) {
        if (j >= pattern.length) throw new PatternError('syntax error in pattern');
        const d = pattern[j];
        if (d === ']' && !first) break;
        if (d === '\\') j++;
        if (j >= pattern.length) throw new PatternError('syntax error in pattern');
        if (pattern[j + 1] === '-' && pattern[j + 2] !== ']' && pattern[j + 2] !== undefined) {
          j += 2;
          if (pattern[j] === '\\') j++;
          if (j >= pattern.length) throw new PatternError('syntax error in pattern');
        }
        first = false;
        j++;
      }
      i = j;
    }
  }
}

/** Go filepath.Match for one pattern against a slash-separated name (`*` does not cross `/`). */
export function globMatch(pattern: string, name: string): boolean {
  validateGlob(pattern);
  return globToRegExp(pattern).test(name);
}

function globToRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      re += escapeRe(pattern[i] ?? '');
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let first = true;
      while (j < pattern.length && (pattern[j] !== ']' || first)) {
        let d = pattern[j] ?? '';
        if (d === '\\') {
          j++;
          d = pattern[j] ?? '';
        }
        cls += d === ']' || d === '\\' || d === '[' || d === '^' ? '\\' + d : d;
        first = false;
        j++;
      }
      re += cls + ']';
      i = j;
    } else re += escapeRe(c);
  }
  return new RegExp(re + '$', 's');
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface Pattern {
  cleaned: string;
  dirs: string[];
  exclusion: boolean;
  type?: MatchType;
  re?: RegExp;
}

const shouldEscape = (c: string): boolean => '.+()|{}$'.includes(c) && c.length === 1;

function compile(p: Pattern): void {
  let reStr = '^';
  let type: MatchType = 'exact';
  const s = Array.from(p.cleaned);
  for (let k = 0, i = 0; k < s.length; k++, i++) {
    const ch = s[k] ?? '';
    if (ch === '*') {
      if (s[k + 1] === '*') {
        k++;
        if (s[k + 1] === '/') k++;
        if (k + 1 >= s.length) {
          if (type === 'exact') type = 'prefix';
          else {
            reStr += '.*';
            type = 'regexp';
          }
        } else {
          reStr += '(.*/)?';
          type = 'regexp';
        }
        if (i === 0) type = 'suffix';
      } else {
        reStr += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      reStr += '[^/]';
      type = 'regexp';
    } else if (shouldEscape(ch)) {
      reStr += '\\' + ch;
    } else if (ch === '\\') {
      if (k + 1 < s.length) {
        k++;
        reStr += '\\' + (s[k] ?? '');
        type = 'regexp';
      } else reStr += '\\\\';
    } else if (ch === '[' || ch === ']') {
      reStr += ch;
      type = 'regexp';
    } else reStr += ch;
  }
  if (type === 'regexp') {
    try {
      p.re = new RegExp(reStr + '$', 's');
    } catch {
      throw new PatternError(`syntax error in pattern ${JSON.stringify(p.cleaned)}`);
    }
  }
  p.type = type;
}

function matchPattern(p: Pattern, path: string): boolean {
  if (!p.type) compile(p);
  switch (p.type) {
    case 'exact':
      return path === p.cleaned;
    case 'prefix':
      return path.startsWith(p.cleaned.slice(0, -2));
    case 'suffix': {
      const suffix = p.cleaned.slice(2);
      if (path.endsWith(suffix)) return true;
      return suffix.startsWith('/') && path === suffix.slice(1);
    }
    case 'regexp':
      return p.re?.test(path) ?? false;
    default:
      return false;
  }
}

/** A compiled list of .dockerignore-style patterns. */
export class PatternMatcher {
  private readonly patterns: Pattern[] = [];
  readonly exclusions: boolean;

  constructor(patterns: string[]) {
    let exclusions = false;
    for (let raw of patterns) {
      raw = raw.trim();
      if (raw === '') continue;
      let p = cleanPath(raw);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new PatternError('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
        exclusions = true;
      }
      validateGlob(p);
      const pat: Pattern = { cleaned: p, dirs: p.split('/'), exclusion };
      compile(pat);
      this.patterns.push(pat);
    }
    this.exclusions = exclusions;
  }

  get size(): number {
    return this.patterns.length;
  }

  /** True when `file` (relative, slash-separated) or one of its parent directories is matched (MatchesOrParentMatches). */
  matches(file: string): boolean {
    file = cleanPath(file);
    if (file === '.') return false;
    let matched = false;
    const slash = file.lastIndexOf('/');
    const parentPath = slash < 0 ? '.' : file.slice(0, slash);
    const parentDirs = parentPath.split('/');
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let m = matchPattern(p, file);
      if (!m && parentPath !== '.') {
        for (let i = 0; i < parentDirs.length; i++) {
          if (matchPattern(p, parentDirs.slice(0, i + 1).join('/'))) {
            m = true;
            break;
          }
        }
      }
      if (m) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * Can anything under directory `dir` be re-included by a `!` pattern? When false and the directory is
   * matched, a walker may skip it entirely.
   */
  mayReinclude(dir: string): boolean {
    if (!this.exclusions) return false;
    const d = cleanPath(dir);
    for (const p of this.patterns) {
      if (!p.exclusion) continue;
      // a re-include pattern can only apply inside `dir` if its literal prefix is compatible
      const lit = p.cleaned.split(/[*?[\\]/)[0] ?? '';
      if (lit === '' || lit.startsWith(d + '/') || (d + '/').startsWith(lit) || lit === d) return true;
    }
    return false;
  }
}

/** Reads a .dockerignore file (moby/patternmatcher/ignorefile.ReadAll). */
export function readIgnoreFile(text: string): string[] {
  const out: string[] = [];
  let first = true;
  for (let line of text.split(/\r?\n/)) {
    if (first && line.startsWith('\ufeff')) line = line.slice(1);
    first = false;
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? '!' + p : p);
  }
  return out;
}
