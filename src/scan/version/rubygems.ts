// RubyGems version ordering (Gem::Version#<=>): the version is split into numbers and letter runs, a
// `-` reads as `.pre.`, trailing zeros of the release and of the prerelease part are dropped, and a letter
// segment (a prerelease) sorts before any number.
import { ScanError } from '../errors.ts';

type Seg = number | string;

function canonical(v: string): Seg[] {
  if (v.trim() === '') return [];
  const s = v.trim().replaceAll('-', '.pre.');
  if (!/^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/.test(v.trim()) && !/^[0-9]/.test(s))
    throw new ScanError('VERSION_INVALID', `not a RubyGems version: ${JSON.stringify(v)}`);
  const segs: Seg[] = (s.match(/[0-9]+|[a-z]+/gi) ?? []).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const firstString = segs.findIndex((x) => typeof x === 'string');
  const release = firstString < 0 ? segs : segs.slice(0, firstString);
  const pre = firstString < 0 ? [] : segs.slice(firstString);
  const trim = (a: Seg[]): Seg[] => {
    let n = a.length;
    while (n > 0 && a[n - 1] === 0) n--;
    return a.slice(0, n);
  };
  return [...trim(release), ...trim(pre)];
}

export function compareRubyGems(a: string, b: string): number {
  const x = canonical(a);
  const y = canonical(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const l = x[i] ?? 0;
    const r = y[i] ?? 0;
    if (l === r) continue;
    if (typeof l === 'string' && typeof r === 'number') return -1;
    if (typeof l === 'number' && typeof r === 'string') return 1;
    return l < r ? -1 : 1;
  }
  return 0;
}
