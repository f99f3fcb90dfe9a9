// Alpine apk version ordering (apk-tools version.c): digits{.digits}[letter]{_suffix[N]}[-rN].
// Pre-release suffixes (_alpha, _beta, _pre, _rc) sort before the bare version, post-release ones
// (_cvs, _svn, _git, _hg, _p) after.
import { ScanError } from '../errors.ts';

const enum T {
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  Revision = 5,
  End = 6,
}

const PRE = ['alpha', 'beta', 'pre', 'rc'];
const POST = ['cvs', 'svn', 'git', 'hg', 'p'];

interface Tok {
  t: T;
  v: bigint;
}

export function tokenizeApk(version: string): Tok[] {
  const s = version.trim();
  const out: Tok[] = [];
  let i = 0;
  const bad = (): never => {
    throw new ScanError('VERSION_INVALID', `not an apk version: ${JSON.stringify(version)} (at offset ${i})`);
  };
  const digits = (): bigint => {
    const m = /^\d+/.exec(s.slice(i));
    if (!m) return bad();
    i += m[0].length;
    return BigInt(m[0]);
  };
  out.push({ t: T.Digit, v: digits() });
  while (i < s.length && s[i] === '.') {
    i++;
    out.push({ t: T.Digit, v: digits() });
  }
  if (i < s.length && /[a-z]/.test(s[i]!)) {
    out.push({ t: T.Letter, v: BigInt(s.charCodeAt(i)) });
    i++;
  }
  while (i < s.length && s[i] === '_') {
    i++;
    const m = /^[a-z]+/.exec(s.slice(i));
    if (!m) bad();
    const name = m![0];
    const pre = PRE.indexOf(name);
    const post = POST.indexOf(name);
    if (pre < 0 && post < 0) bad();
    out.push({ t: T.Suffix, v: BigInt(pre >= 0 ? pre - PRE.length : post + 1) });
    i += name.length;
    if (i < s.length && /\d/.test(s[i]!)) out.push({ t: T.SuffixNo, v: digits() });
  }
  if (i < s.length && s.startsWith('-r', i)) {
    i += 2;
    out.push({ t: T.Revision, v: digits() });
  }
  if (i !== s.length) bad();
  out.push({ t: T.End, v: 0n });
  return out;
}

export function compareApk(a: string, b: string): number {
  const x = tokenizeApk(a);
  const y = tokenizeApk(b);
  let k = 0;
  for (; ; k++) {
    const p = x[k]!;
    const q = y[k]!;
    if (p.t !== q.t) break;
    if (p.t === T.End) return 0;
    if (p.v !== q.v) return p.v < q.v ? -1 : 1;
  }
  const p = x[k]!;
  const q = y[k]!;
  // equal so far: the longer version is newer unless what follows is a pre-release suffix
  if (p.t === T.Suffix && p.v < 0n) return -1;
  if (q.t === T.Suffix && q.v < 0n) return 1;
  return p.t > q.t ? -1 : 1;
}
