// Small helpers for showing manifests: a YAML rendering of plain JSON values (for display only) and a
// line diff (longest common subsequence) between the live and the desired rendering.

const PLAIN = /^[A-Za-z_/][\w./-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~|-?\d[\d_.eE+-]*)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
  return String(v);
}

function emit(v: unknown, indent: string, out: string[], prefix: string): void {
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(`${prefix}[]`);
      return;
    }
    if (prefix) out.push(prefix.trimEnd());
    for (const x of v) {
      if (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length > 0) {
        const lines: string[] = [];
        emit(x, `${indent}  `, lines, '');
        lines[0] = `${indent}- ${lines[0]!.slice(indent.length + 2)}`;
        out.push(...lines);
      } else emit(x, `${indent}  `, out, `${indent}- `);
    }
    return;
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) {
      out.push(`${prefix}{}`);
      return;
    }
    if (prefix) out.push(prefix.trimEnd());
    for (const [k, x] of entries) {
      const kk = `${indent}${scalar(k)}:`;
      if (x !== null && typeof x === 'object' && (Array.isArray(x) ? x.length : Object.keys(x).length))
        emit(x, Array.isArray(x) ? indent : `${indent}  `, out, kk);
      else emit(x, indent, out, `${kk} `);
    }
    return;
  }
  if (typeof v === 'string' && v.includes('\n')) {
    out.push(`${prefix}${v.endsWith('\n') ? '|' : '|-'}`);
    for (const l of v.replace(/\n$/, '').split('\n')) out.push(`${indent}  ${l}`);
    return;
  }
  out.push(`${prefix}${scalar(v)}`);
}

/** A YAML-looking text of a JSON value; strings already in YAML are returned as they are. */
export function toYaml(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  const out: string[] = [];
  emit(v, '', out, '');
  return out.join('\n');
}

export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
  /** line numbers in the old (live) and new (desired) text */
  a?: number;
  b?: number;
}

/** Line diff of `a` (live) against `b` (desired). Large inputs fall back to "all removed, all added". */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a ? a.split('\n') : [];
  const y = b ? b.split('\n') : [];
  // trim the common head and tail, then LCS on the middle
  let s = 0;
  while (s < x.length && s < y.length && x[s] === y[s]) s++;
  let ex = x.length;
  let ey = y.length;
  while (ex > s && ey > s && x[ex - 1] === y[ey - 1]) {
    ex--;
    ey--;
  }
  const out: DiffLine[] = [];
  for (let i = 0; i < s; i++) out.push({ op: ' ', text: x[i]!, a: i + 1, b: i + 1 });
  const n = ex - s;
  const m = ey - s;
  if (n * m > 4_000_000) {
    for (let i = s; i < ex; i++) out.push({ op: '-', text: x[i]!, a: i + 1 });
    for (let j = s; j < ey; j++) out.push({ op: '+', text: y[j]!, b: j + 1 });
  } else {
    const w = m + 1;
    const L = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        L[i * w + j] =
          x[s + i] === y[s + j] ? L[(i + 1) * w + j + 1]! + 1 : Math.max(L[(i + 1) * w + j]!, L[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[s + i] === y[s + j]) {
        out.push({ op: ' ', text: x[s + i]!, a: s + i + 1, b: s + j + 1 });
        i++;
        j++;
      } else if (i < n && (j >= m || L[(i + 1) * w + j]! >= L[i * w + j + 1]!)) {
        out.push({ op: '-', text: x[s + i]!, a: s + i + 1 });
        i++;
      } else {
        out.push({ op: '+', text: y[s + j]!, b: s + j + 1 });
        j++;
      }
    }
  }
  for (let i = ex, j = ey; i < x.length; i++, j++) out.push({ op: ' ', text: x[i]!, a: i + 1, b: j + 1 });
  return out;
}

/** Parses a unified diff text (as a server may send it) into lines. */
export function parseUnified(text: string): DiffLine[] {
  const out: DiffLine[] = [];
  for (const l of text.split('\n')) {
    if (l.startsWith('+++') || l.startsWith('---') || l.startsWith('@@')) continue;
    const op = l[0] === '+' ? '+' : l[0] === '-' ? '-' : ' ';
    out.push({ op, text: op === ' ' && l[0] !== ' ' ? l : l.slice(1) });
  }
  return out;
}

const MASK = '++++++++';

/** Secret values never reach the screen: data/stringData values are masked unless already masked. */
export function maskSecret(obj: unknown): unknown {
  if (!obj || typeof obj !== 'object') return obj;
  const o = obj as Record<string, unknown>;
  if (o.kind !== 'Secret') return obj;
  const copy: Record<string, unknown> = { ...o };
  for (const f of ['data', 'stringData']) {
    const d = o[f];
    if (d && typeof d === 'object')
      copy[f] = Object.fromEntries(
        Object.entries(d as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === 'string' && /^\++$/.test(v) ? v : MASK,
        ]),
      );
  }
  const ann = (o.metadata as Record<string, unknown> | undefined)?.annotations as Record<string, string> | undefined;
  if (ann?.['kubectl.kubernetes.io/last-applied-configuration']) {
    copy.metadata = {
      ...(o.metadata as object),
      annotations: { ...ann, 'kubectl.kubernetes.io/last-applied-configuration': MASK },
    };
  }
  return copy;
}

/** The field paths where two JSON values differ (leaves), e.g. ["spec.replicas", "metadata.labels.tier"]. */
export function changedPaths(a: unknown, b: unknown, max = 20, path = ''): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string): void => {
    if (out.length >= max) return;
    if (x === y) return;
    const ox = x !== null && typeof x === 'object';
    const oy = y !== null && typeof y === 'object';
    if (ox && oy && Array.isArray(x) === Array.isArray(y)) {
      if (Array.isArray(x) && Array.isArray(y)) {
        if (x.length !== y.length) {
          out.push(p || '(root)');
          return;
        }
        x.forEach((v, i) => walk(v, y[i], `${p}[${i}]`));
        return;
      }
      const xr = x as Record<string, unknown>;
      const yr = y as Record<string, unknown>;
      for (const k of new Set([...Object.keys(xr), ...Object.keys(yr)])) walk(xr[k], yr[k], p ? `${p}.${k}` : k);
      return;
    }
    out.push(p || '(root)');
  };
  walk(a, b, path);
  return out;
}
