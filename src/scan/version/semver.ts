// Semantic Versioning 2.0.0 precedence (npm and OSV `SEMVER` ranges). A leading `v` and `=` are accepted,
// build metadata is ignored.
import { ScanError } from '../errors.ts';

interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string[];
}

const RE = /^[=v]*(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseSemver(v: string): SemVer {
  const m = RE.exec(v.trim());
  if (!m) throw new ScanError('VERSION_INVALID', `not a semantic version: ${JSON.stringify(v)}`);
  return {
    major: BigInt(m[1]!),
    minor: BigInt(m[2] ?? '0'),
    patch: BigInt(m[3] ?? '0'),
    pre: m[4] ? m[4].split('.') : [],
  };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  const c = cmpBig(x.major, y.major) || cmpBig(x.minor, y.minor) || cmpBig(x.patch, y.patch);
  if (c) return c;
  if (x.pre.length === 0 || y.pre.length === 0) return x.pre.length === y.pre.length ? 0 : x.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) {
      const d = cmpBig(BigInt(p), BigInt(q));
      if (d) return d;
    } else if (pn !== qn) return pn ? -1 : 1;
    else if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}
