// Packagist (Composer) version ordering, as PHP's version_compare(): `-`, `_` and `+` read as `.`, a
// `.` is put between digit and letter runs, then parts compare as numbers or as special forms in the
// order any-other-string < dev < alpha = a < beta = b < RC = rc < # (a number) < pl = p. A leading `v` is
// dropped, as Composer does.
function canon(v: string): string[] {
  const s = v
    .trim()
    .replace(/^v(?=\d)/i, '')
    .replace(/[-_+]/g, '.')
    .replace(/(\d)(?=[^\d.])/g, '$1.')
    .replace(/([^\d.])(?=\d)/g, '$1.');
  return s.split('.').filter((x) => x !== '');
}

function special(s: string): number {
  const order: Array<[string, number]> = [
    ['dev', 0],
    ['alpha', 1],
    ['a', 1],
    ['beta', 2],
    ['b', 2],
    ['RC', 3],
    ['rc', 3],
    ['#', 4],
    ['pl', 5],
    ['p', 5],
  ];
  for (const [k, n] of order) if (s.startsWith(k)) return n;
  return -1;
}

export function comparePackagist(a: string, b: string): number {
  const x = canon(a);
  const y = canon(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const l = x[i];
    const r = y[i];
    const ln = l !== undefined && /^\d+$/.test(l);
    const rn = r !== undefined && /^\d+$/.test(r);
    let c: number;
    // the longer version's extra part compares as a special form against a number ('#')
    if (l === undefined) c = rn ? -1 : Math.sign(special('#') - special(r!));
    else if (r === undefined) c = ln ? 1 : Math.sign(special(l) - special('#'));
    else if (ln && rn) c = Math.sign(Number(l) - Number(r));
    else if (!ln && !rn) c = Math.sign(special(l) - special(r));
    else c = ln ? Math.sign(special('#') - special(r)) : Math.sign(special(l) - special('#'));
    if (c !== 0) return c;
  }
  return 0;
}
