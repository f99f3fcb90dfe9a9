// Label selectors (string form `a=b,c!=d,e in (x,y),!f` and the LabelSelector object form) and field
// selectors (`metadata.name=x,status.phase!=Running`), parsed and matched as kube-apiserver does.
import { KubeError } from './errors.ts';
import { getPath } from './object.ts';

export type Requirement = { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!' };

export type Selector = Requirement[];

export function parseLabelSelector(text: string): Selector {
  const out: Selector = [];
  let i = 0;
  const s = text.trim();
  const fail = (msg: string): never => {
    throw new KubeError('BadRequest', 400, `unable to parse requirement: ${msg} in label selector "${text}"`);
  };
  const skipWs = () => {
    while (s[i] === ' ') i++;
  };
  const readKey = (): string => {
    skipWs();
    const m = /^[A-Za-z0-9._\-/]+/.exec(s.slice(i));
    if (!m) fail(`expected a key at position ${i}`);
    i += m![0].length;
    return m![0];
  };
  while (i < s.length) {
    skipWs();
    if (s[i] === '!') {
      i++;
      out.push({ key: readKey(), op: '!' });
    } else {
      const key = readKey();
      skipWs();
      const rest = s.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^(==|=|!=)\s*([A-Za-z0-9._\-]*)/.exec(rest))) {
        i += m[0].length;
        out.push({ key, op: m[1] === '!=' ? 'notin' : 'in', values: [m[2]!] });
      } else if ((m = /^(in|notin)\s*\(([^)]*)\)/.exec(rest))) {
        i += m[0].length;
        const values = m[2]!
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '' || m![2]!.trim() === '');
        out.push({ key, op: m[1] as 'in' | 'notin', values });
      } else if (rest === '' || rest.startsWith(',')) {
        out.push({ key, op: 'exists' });
      } else fail(`unexpected "${rest}"`);
    }
    skipWs();
    if (i < s.length) {
      if (s[i] !== ',') fail(`expected "," at position ${i}`);
      i++;
    }
  }
  return out;
}

export function matchesSelector(sel: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(l[r.key]!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(l[r.key]!)) return false;
        break;
    }
  }
  return true;
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Converts a LabelSelector object; `null`/undefined selects nothing, `{}` selects everything. */
export function selectorFromObject(sel: LabelSelectorObject | undefined | null): Selector | null {
  if (!sel) return null;
  const out: Selector = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) out.push({ key: k, op: 'in', values: [v] });
  for (const e of sel.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        out.push({ key: e.key, op: 'in', values: e.values ?? [] });
        break;
      case 'NotIn':
        out.push({ key: e.key, op: 'notin', values: e.values ?? [] });
        break;
      case 'Exists':
        out.push({ key: e.key, op: 'exists' });
        break;
      case 'DoesNotExist':
        out.push({ key: e.key, op: '!' });
        break;
      default:
        throw new KubeError('BadRequest', 400, `invalid label selector operator "${e.operator}"`);
    }
  }
  return out;
}

export function matchesLabelSelectorObject(
  sel: LabelSelectorObject | undefined | null,
  labels: Record<string, string> | undefined,
): boolean {
  const s = selectorFromObject(sel);
  return s === null ? false : matchesSelector(s, labels);
}

export function formatSelector(sel: LabelSelectorObject | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push('!' + e.key);
    else parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',');
}

export interface FieldRequirement {
  path: string[];
  field: string;
  op: '=' | '!=';
  value: string;
}

export function parseFieldSelector(text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([A-Za-z0-9._\-]+)\s*(==|=|!=)\s*(.*)$/.exec(p);
    if (!m) throw new KubeError('BadRequest', 400, `invalid field selector: "${p}"`);
    out.push({ field: m[1]!, path: m[1]!.split('.'), op: m[2] === '!=' ? '!=' : '=', value: m[3]! });
  }
  return out;
}

export function matchesFieldSelector(reqs: FieldRequirement[], obj: unknown): boolean {
  for (const r of reqs) {
    const v = getPath(obj, r.path);
    const s = v === undefined || v === null ? '' : String(v);
    if (r.op === '=' ? s !== r.value : s === r.value) return false;
  }
  return true;
}
