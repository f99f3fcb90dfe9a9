// CVSS v3.x base score from a vector (FIRST's CVSS v3.1 specification, section 7) and the qualitative
// severity rating, for OSV records that carry only a vector.
const W: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};

function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

export function cvss3BaseScore(vector: string): number | undefined {
  if (!/^CVSS:3\.[01]\//.test(vector)) return undefined;
  const m: Record<string, string> = {};
  for (const part of vector.split('/').slice(1)) {
    const [k, v] = part.split(':');
    if (k && v) m[k] = v;
  }
  const scope = m.S;
  const pr = m.PR;
  const av = W.AV![m.AV ?? ''];
  const ac = W.AC![m.AC ?? ''];
  const ui = W.UI![m.UI ?? ''];
  const c = W.C![m.C ?? ''];
  const i = W.I![m.I ?? ''];
  const a = W.A![m.A ?? ''];
  if (av === undefined || ac === undefined || ui === undefined || c === undefined || i === undefined || a === undefined)
    return undefined;
  if (scope !== 'U' && scope !== 'C') return undefined;
  const prW =
    pr === 'N'
      ? 0.85
      : pr === 'L'
        ? scope === 'C'
          ? 0.68
          : 0.62
        : pr === 'H'
          ? scope === 'C'
            ? 0.5
            : 0.27
          : undefined;
  if (prW === undefined) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploit = 8.22 * av * ac * prW * ui;
  if (impact <= 0) return 0;
  return scope === 'U' ? roundup(Math.min(impact + exploit, 10)) : roundup(Math.min(1.08 * (impact + exploit), 10));
}

export function ratingOf(score: number): 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' {
  if (score === 0) return 'NONE';
  if (score < 4) return 'LOW';
  if (score < 7) return 'MEDIUM';
  if (score < 9) return 'HIGH';
  return 'CRITICAL';
}
