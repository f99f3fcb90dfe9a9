// Maven version ordering (org.apache.maven.artifact.versioning.ComparableVersion): a version is a list of
// items split at `.`, `-` and digit/letter transitions; numbers compare numerically, known qualifiers in the
// order alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp, unknown qualifiers
// after those and lexically; `-` starts a sub-list, and trailing "null" items (0, "", ga, final) are dropped.
type Item = { kind: 'int'; v: bigint } | { kind: 'str'; v: string } | { kind: 'list'; v: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };

function qualifierKey(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${q}`;
}

function strItem(s: string, followedByDigit: boolean): Item {
  let v = s;
  if (followedByDigit && s.length === 1) v = s === 'a' ? 'alpha' : s === 'b' ? 'beta' : s === 'm' ? 'milestone' : s;
  return { kind: 'str', v: ALIASES[v] ?? v };
}

const isNull = (it: Item): boolean =>
  (it.kind === 'int' && it.v === 0n) || (it.kind === 'str' && it.v === '') || (it.kind === 'list' && it.v.length === 0);

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const it = list[i]!;
    if (isNull(it)) list.splice(i, 1);
    else if (it.kind !== 'list') break;
  }
}

function parse(version: string): Item[] {
  const v = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let start = 0;
  let isDigit = false;
  const item = (digit: boolean, buf: string): Item =>
    digit ? { kind: 'int', v: BigInt(buf.replace(/^0+(?=.)/, '')) } : strItem(buf, false);
  const sublist = (): void => {
    const sub: Item[] = [];
    list.push({ kind: 'list', v: sub });
    list = sub;
    stack.push(sub);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '.' || c === '-') {
      list.push(i === start ? { kind: 'int', v: 0n } : item(isDigit, v.slice(start, i)));
      start = i + 1;
      if (c === '-') sublist();
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        list.push(strItem(v.slice(start, i), true));
        start = i;
        sublist();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(item(true, v.slice(start, i)));
        start = i;
        sublist();
      }
      isDigit = false;
    }
  }
  if (v.length > start) list.push(item(isDigit, v.slice(start)));
  for (let k = stack.length - 1; k >= 0; k--) normalize(stack[k]!);
  return root;
}

function cmpItem(a: Item | undefined, b: Item | undefined): number {
  if (a === undefined) {
    if (b === undefined) return 0;
    return -cmpItem(b, undefined);
  }
  switch (a.kind) {
    case 'int':
      if (b === undefined) return a.v === 0n ? 0 : 1;
      if (b.kind === 'int') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
      return 1; // a number is newer than a qualifier or a sub-list
    case 'str': {
      if (b === undefined)
        return qualifierKey(a.v) < qualifierKey('') ? -1 : qualifierKey(a.v) > qualifierKey('') ? 1 : 0;
      if (b.kind === 'int') return -1;
      if (b.kind === 'list') return -1;
      const x = qualifierKey(a.v);
      const y = qualifierKey(b.v);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'list': {
      if (b === undefined) return a.v.length === 0 ? 0 : cmpItem(a.v[0], undefined);
      if (b.kind === 'int') return -1;
      if (b.kind === 'str') return 1;
      for (let i = 0; i < Math.max(a.v.length, b.v.length); i++) {
        const r = cmpItem(a.v[i], b.v[i]);
        if (r !== 0) return r;
      }
      return 0;
    }
  }
}

export function compareMaven(a: string, b: string): number {
  return cmpItem({ kind: 'list', v: parse(a) }, { kind: 'list', v: parse(b) });
}
