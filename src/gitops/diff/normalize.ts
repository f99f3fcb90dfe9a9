// Normalisation before comparing: server-populated metadata and status removed, ignoreDifferences
// applied (JSON pointers, simple jq paths, fields owned by listed managers), Secret values masked.
import { clone, isObject, type KubeObject } from '../../kube/index.ts';
import type { ResourceIgnoreDifferences } from '../types.ts';

const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink'];

export function stripServerFields(obj: KubeObject): KubeObject {
  const o = clone(obj);
  for (const k of SERVER_METADATA) delete (o.metadata as Record<string, unknown>)[k];
  delete o.status;
  if (o.metadata.annotations) {
    delete o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    if (!Object.keys(o.metadata.annotations).length) delete o.metadata.annotations;
  }
  if (o.metadata.labels && !Object.keys(o.metadata.labels).length) delete o.metadata.labels;
  return o;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function matchingIgnores(obj: KubeObject, rules: ResourceIgnoreDifferences[] = []): ResourceIgnoreDifferences[] {
  return rules.filter(
    (r) =>
      (r.kind === '*' || r.kind === obj.kind) &&
      (r.group === undefined || r.group === '*' || r.group === groupOf(obj.apiVersion)) &&
      (!r.name || r.name === obj.metadata.name) &&
      (!r.namespace || r.namespace === obj.metadata.namespace),
  );
}

/** Removes the value at an RFC 6901 pointer (no error when absent). */
export function removePointer(obj: unknown, pointer: string): void {
  if (pointer === '' || pointer === '/') return;
  const parts = pointer
    .replace(/^\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else return;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(cur)) {
    const n = Number(last);
    if (Number.isInteger(n) && n < cur.length) cur.splice(n, 1);
  } else if (isObject(cur)) delete cur[last];
}

/**
 * Removes what a jq path expression selects. Supported: field paths (`.spec.replicas`), iteration
 * (`.a[]`), indices (`.a[0]`) and `select(.name == "x")` filters joined with `|`.
 */
export function removeJqPath(obj: unknown, expr: string): void {
  type Step = { field: string } | { iter: true } | { index: number } | { select: { path: string[]; value: unknown } };
  const steps: Step[] = [];
  for (const part of expr.split('|').map((s) => s.trim())) {
    const sel = /^select\(\s*\.([\w.-]+)\s*==\s*(.+?)\s*\)$/.exec(part);
    if (sel) {
      steps.push({ select: { path: sel[1]!.split('.'), value: JSON.parse(sel[2]!) as unknown } });
      continue;
    }
    const re = /\.(?:"([^"]+)"|([\w-]+))|\[(\d*)\]\??/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(part))) {
      if (m[1] !== undefined || m[2] !== undefined) steps.push({ field: (m[1] ?? m[2])! });
      else if (m[3] === '') steps.push({ iter: true });
      else steps.push({ index: Number(m[3]) });
    }
  }
  if (!steps.length) return;
  const visit = (parent: unknown, key: string | number | undefined, cur: unknown, k: number): void => {
    if (k === steps.length) {
      if (key === undefined) return;
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else if (isObject(parent)) delete parent[key as string];
      return;
    }
    const s = steps[k]!;
    if ('field' in s) {
      if (isObject(cur) && s.field in cur) visit(cur, s.field, cur[s.field], k + 1);
    } else if ('index' in s) {
      if (Array.isArray(cur) && s.index < cur.length) visit(cur, s.index, cur[s.index], k + 1);
    } else if ('iter' in s) {
      if (Array.isArray(cur)) for (let i = cur.length - 1; i >= 0; i--) visit(cur, i, cur[i], k + 1);
      else if (isObject(cur)) for (const kk of Object.keys(cur)) visit(cur, kk, cur[kk], k + 1);
    } else {
      let v: unknown = cur;
      for (const p of s.select.path) v = isObject(v) ? v[p] : undefined;
      if (JSON.stringify(v) === JSON.stringify(s.select.value)) visit(parent, key, cur, k + 1);
    }
  };
  visit(undefined, undefined, obj, 0);
}

/** Removes, from `target`, every field that `fieldsV1` (a managedFields entry) lists. */
export function removeManagedFields(target: unknown, fieldsV1: unknown): void {
  if (!isObject(fieldsV1)) return;
  for (const [k, sub] of Object.entries(fieldsV1)) {
    if (k === '.') continue;
    const leaf = !isObject(sub) || Object.keys(sub).every((x) => x === '.');
    if (k.startsWith('f:') && isObject(target)) {
      const f = k.slice(2);
      if (!(f in target)) continue;
      if (leaf) delete target[f];
      else removeManagedFields(target[f], sub);
    } else if (k.startsWith('k:') && Array.isArray(target)) {
      const key = JSON.parse(k.slice(2)) as Record<string, unknown>;
      const idx = target.findIndex((e) => isObject(e) && Object.entries(key).every(([kk, vv]) => e[kk] === vv));
      if (idx < 0) continue;
      if (leaf) target.splice(idx, 1);
      else removeManagedFields(target[idx], sub);
    } else if (k.startsWith('v:') && Array.isArray(target)) {
      const v = JSON.stringify(JSON.parse(k.slice(2)));
      const idx = target.findIndex((e) => JSON.stringify(e) === v);
      if (idx >= 0) target.splice(idx, 1);
    } else if (k.startsWith('i:') && Array.isArray(target)) {
      const idx = Number(k.slice(2));
      if (leaf) target.splice(idx, 1);
      else removeManagedFields(target[idx], sub);
    }
  }
}

export function applyIgnores(obj: KubeObject, rules: ResourceIgnoreDifferences[], live?: KubeObject): void {
  for (const r of rules) {
    for (const p of r.jsonPointers ?? []) removePointer(obj, p);
    for (const e of r.jqPathExpressions ?? []) removeJqPath(obj, e);
    for (const mgr of r.managedFieldsManagers ?? [])
      for (const mf of live?.metadata.managedFields ?? [])
        if (mf.manager === mgr && !mf.subresource) removeManagedFields(obj, mf.fieldsV1);
  }
}

/**
 * Masks Secret values in both objects as Argo CD does: each distinct value becomes a run of `+`,
 * equal values alike, so a changed value still shows as changed without showing either value.
 */
export function maskSecrets(a: KubeObject | undefined, b: KubeObject | undefined): void {
  const objs = [a, b].filter((o): o is KubeObject => !!o && o.kind === 'Secret' && !o.apiVersion.includes('/'));
  if (!objs.length) return;
  const masks = new Map<string, string>();
  for (const o of objs)
    for (const f of ['data', 'stringData'])
      if (isObject(o[f]))
        for (const [k, v] of Object.entries(o[f] as Record<string, unknown>)) {
          const key = JSON.stringify(v);
          if (!masks.has(key)) masks.set(key, '+'.repeat(8 + masks.size));
          (o[f] as Record<string, unknown>)[k] = masks.get(key);
        }
  for (const o of objs) {
    const anns = o.metadata.annotations;
    if (anns?.['kubectl.kubernetes.io/last-applied-configuration'])
      anns['kubectl.kubernetes.io/last-applied-configuration'] = '++++++++';
  }
}

function pointerParts(pointer: string): string[] {
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A jq path made only of fields and indices (`.spec.replicas`, `.a[0].b`) as pointer parts; else undefined. */
export function jqPathParts(expr: string): string[] | undefined {
  const e = expr.trim();
  const re = /\.(?:"([^"]+)"|([\w-]+))|\[(\d+)\]/gy;
  const parts: string[] = [];
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(e))) {
    parts.push(m[1] ?? m[2] ?? m[3]!);
    end = re.lastIndex;
  }
  return parts.length && end === e.length ? parts : undefined;
}

function getAt(obj: unknown, parts: string[]): { found: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const p of parts) {
    if (Array.isArray(cur) && /^\d+$/.test(p) && Number(p) < cur.length) cur = cur[Number(p)];
    else if (isObject(cur) && p in cur) cur = cur[p];
    else return { found: false };
  }
  return { found: true, value: cur };
}

function setAt(obj: unknown, parts: string[], value: unknown): void {
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (Array.isArray(cur)) {
      cur = cur[Number(p)];
    } else if (isObject(cur)) {
      if (!isObject(cur[p]) && !Array.isArray(cur[p])) cur[p] = /^\d+$/.test(parts[i + 1]!) ? [] : {};
      cur = cur[p];
    } else return;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(cur)) {
    const n = Number(last);
    if (Number.isInteger(n) && n <= cur.length) cur[n] = value;
  } else if (isObject(cur)) cur[last] = value;
}

/**
 * RespectIgnoreDifferences: the fields the app's ignoreDifferences cover keep their live value on
 * sync — the live value at each jsonPointer (and each jq path of plain fields and indices) is copied
 * into a copy of the desired object, or the field is dropped from it when the live object has none.
 * Returns the copy, and the expressions that could not be respected (jq iteration/select).
 */
export function respectIgnores(
  desired: KubeObject,
  live: KubeObject | undefined,
  rules: ResourceIgnoreDifferences[],
): { object: KubeObject; unsupported: string[] } {
  const matching = matchingIgnores(desired, rules);
  if (!live || !matching.length) return { object: desired, unsupported: [] };
  const out = structuredClone(desired);
  const unsupported: string[] = [];
  const paths: string[][] = [];
  for (const r of matching) {
    for (const p of r.jsonPointers ?? []) if (p !== '' && p !== '/') paths.push(pointerParts(p));
    for (const e of r.jqPathExpressions ?? []) {
      const parts = jqPathParts(e);
      if (parts) paths.push(parts);
      else unsupported.push(e);
    }
  }
  for (const parts of paths) {
    if (parts[0] === 'metadata' && (parts[1] === 'name' || parts[1] === 'namespace')) continue;
    const l = getAt(live, parts);
    if (l.found) setAt(out, parts, structuredClone(l.value));
    else removePointer(out, '/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/'));
  }
  return { object: out, unsupported };
}
