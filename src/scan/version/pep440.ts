// PEP 440 version ordering (as the `packaging` library sorts): epoch, release (trailing zeros ignored),
// pre-release, post-release, dev-release, local version label.
import { ScanError } from '../errors.ts';

const RE =
  /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;

type Key = [number, number[], number[], number[], number[], (number | string)[] | null];

const NEG = -Infinity;
const POS = Infinity;

export function pep440Key(version: string): Key {
  const m = RE.exec(version.trim());
  if (!m) throw new ScanError('VERSION_INVALID', `not a PEP 440 version: ${JSON.stringify(version)}`);
  const epoch = m[1] ? Number(m[1]) : 0;
  const release = m[2]!.split('.').map(Number);
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  let pre: number[] | null = null;
  if (m[3]) {
    const l = m[3].toLowerCase();
    const phase = l === 'a' || l === 'alpha' ? 0 : l === 'b' || l === 'beta' ? 1 : 2;
    pre = [phase, Number(m[4] ?? 0)];
  }
  const postN = m[5] ?? (m[6] ? (m[7] ?? '0') : undefined);
  const dev = m[8] ? Number(m[9] ?? 0) : null;
  const post = postN === undefined ? [NEG] : [Number(postN)];
  const preKey = pre ?? (postN === undefined && dev !== null ? [NEG] : [POS]);
  const devKey = dev === null ? [POS] : [dev];
  const local = m[10]
    ? m[10]
        .toLowerCase()
        .split(/[-_.]/)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    : null;
  return [epoch, release, preKey, post, devKey, local];
}

function cmpNums(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function cmpLocal(a: (number | string)[] | null, b: (number | string)[] | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x !== typeof y) return typeof x === 'number' ? 1 : -1; // numeric segments sort after strings
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function comparePep440(a: string, b: string): number {
  const x = pep440Key(a);
  const y = pep440Key(b);
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  return (
    cmpNums(x[1], y[1]) || cmpNums(x[2], y[2]) || cmpNums(x[3], y[3]) || cmpNums(x[4], y[4]) || cmpLocal(x[5], y[5])
  );
}
