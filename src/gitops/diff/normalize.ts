// Normalisation before comparing: server-populated metadata and status removed, ignoreDifferences
// applied (JSON pointers, simple jq paths, fields owned by listed managers), Secret values masked.
import { clone, isObject, type KubeObject } from '../../kube/index.ts';
import { GitOpsError } from '../errors.ts';
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

type JqStep =
  | { field: string }
  | { iter: true }
  | { index: number }
  | { recurse: true }
  | { select: { path: string[]; value: unknown; negate: boolean } };

/**
 * Parses the jq path expressions ignoreDifferences uses: field paths (`.spec.replicas`, `."a.b"`,
 * `.metadata.annotations["a"]`), iteration (`.a[]`), indices (`.a[0]`), optional steps (`.x?`),
 * recursive descent (`..`) and `select(.name == "x")` filters, joined with `|`.
 */
function parseJq(expr: string): JqStep[] {
  const steps: JqStep[] = [];
  for (const part of expr.split('|').map((s) => s.trim())) {
    const sel = /^select\(\s*\.([\w.-]+)\s*(==|!=)\s*(.+?)\s*\)$/.exec(part);
    if (sel) {
      let value: unknown;
      try {
        value = JSON.parse(sel[3]!);
      } catch {
        throw new GitOpsError(
          'gitops_invalid_spec',
          `ignoreDifferences jqPathExpression ${JSON.stringify(expr)}: select compares with ${sel[3]}, which is not a JSON value`,
        );
      }
      steps.push({ select: { path: sel[1]!.split('.'), value, negate: sel[2] === '!=' } });
      continue;
    }
    if (part === '..' || part === '.') {
      if (part === '..') steps.push({ recurse: true });
      continue;
    }
    const re = /\.\.|\.(?=\[)|\.(?:"((?:[^"\\]|\\.)+)"|([\w-]+))\??|\[(\d*)\]\??|\["((?:[^"\\]|\\.)+)"\]\??/y;
    let m: RegExpExecArray | null;
    let end = 0;
    while ((m = re.exec(part))) {
      end = re.lastIndex;
      if (m[0] === '..') steps.push({ recurse: true });
      else if (m[0] === '.') continue;
      else if (m[1] !== undefined) steps.push({ field: JSON.parse(`"${m[1]}"`) as string });
      else if (m[2] !== undefined) steps.push({ field: m[2] });
      else if (m[4] !== undefined) steps.push({ field: JSON.parse(`"${m[4]}"`) as string });
      else if (m[3] === '') steps.push({ iter: true });
      else steps.push({ index: Number(m[3]) });
    }
    if (end !== part.length || !part.length)
      throw new GitOpsError(
        'gitops_invalid_spec',
        `ignoreDifferences jqPathExpression ${JSON.stringify(expr)}: ${JSON.stringify(part.slice(end))} is outside the supported jq subset (paths .a."b"["c"][0][], .., ?, select(.f == v) / select(.f != v), joined with |)`,
      );
  }
  return steps;
}

/**
 * The concrete paths (field names and array indices) a jq path expression selects in `obj`, in document
 * order (array elements ascending).
 */
export function jqMatchPaths(obj: unknown, expr: string): (string | number)[][] {
  const steps = parseJq(expr);
  const out: (string | number)[][] = [];
  if (!steps.length) return out;
  const seen = new Set<string>();
  const visit = (cur: unknown, path: (string | number)[], k: number): void => {
    if (k === steps.length) {
      const id = JSON.stringify(path);
      if (path.length && !seen.has(id)) {
        seen.add(id);
        out.push(path);
      }
      return;
    }
    const s = steps[k]!;
    if ('field' in s) {
      if (isObject(cur) && s.field in cur) visit(cur[s.field], [...path, s.field], k + 1);
    } else if ('index' in s) {
      if (Array.isArray(cur) && s.index < cur.length) visit(cur[s.index], [...path, s.index], k + 1);
    } else if ('iter' in s) {
      if (Array.isArray(cur)) cur.forEach((v, i) => visit(v, [...path, i], k + 1));
      else if (isObject(cur)) for (const kk of Object.keys(cur)) visit(cur[kk], [...path, kk], k + 1);
    } else if ('recurse' in s) {
      const walk = (v: unknown, p: (string | number)[], depth: number): void => {
        visit(v, p, k + 1);
        if (depth > 64) return;
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i], depth + 1));
        else if (isObject(v)) for (const kk of Object.keys(v)) walk(v[kk], [...p, kk], depth + 1);
      };
      walk(cur, path, 0);
    } else {
      let v: unknown = cur;
      for (const p of s.select.path) v = isObject(v) ? v[p] : undefined;
      if ((JSON.stringify(v) === JSON.stringify(s.select.value)) !== s.select.negate) visit(cur, path, k + 1);
    }
  };
  visit(obj, [], 0);
  return out;
}

/** Removes the value at a concrete path (no error when absent). */
function removeAtPath(obj: unknown, path: (string | number)[]): void {
  let cur: unknown = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const p = path[i]!;
    if (Array.isArray(cur) && typeof p === 'number') cur = cur[p];
    else if (isObject(cur)) cur = cur[String(p)];
    else return;
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(cur) && typeof last === 'number') {
    if (last < cur.length) cur.splice(last, 1);
  } else if (isObject(cur)) delete cur[String(last)];
}

/** Removes what a jq path expression selects (see parseJq for the supported forms). */
export function removeJqPath(obj: unknown, expr: string): void {
  // deepest and last first, so removing an array element does not shift the others still to remove
  const paths = jqMatchPaths(obj, expr).reverse();
  for (const p of paths) removeAtPath(obj, p);
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
 * A Secret's stringData as the API server stores it (Argo CD's NormalizeSecret): folded into data as base64,
 * its keys winning over data's, and gone. Returns a copy; other objects come back as a copy unchanged.
 */
export function foldSecretStringData(obj: KubeObject): KubeObject {
  const o = structuredClone(obj);
  if (o.kind !== 'Secret' || o.apiVersion !== 'v1' || !isObject(o.stringData)) return o;
  const data = isObject(o.data) ? (o.data as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(o.stringData as Record<string, unknown>))
    data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  o.data = data;
  delete o.stringData;
  return o;
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
 * Copies into `desired` what the live object has at the fields a managedFields entry lists (fieldsV1):
 * `f:` fields, `k:` list items by their key (matched by key in both objects), `v:` set values, `i:` indices.
 */
export function copyManagedFields(desired: unknown, live: unknown, fieldsV1: unknown): void {
  if (!isObject(fieldsV1)) return;
  for (const [k, sub] of Object.entries(fieldsV1)) {
    if (k === '.') continue;
    const leaf = !isObject(sub) || Object.keys(sub).every((x) => x === '.');
    if (k.startsWith('f:') && isObject(desired) && isObject(live)) {
      const f = k.slice(2);
      if (!(f in live)) continue;
      if (leaf || !(isObject(live[f]) || Array.isArray(live[f]))) desired[f] = structuredClone(live[f]);
      else {
        if (!isObject(desired[f]) && !Array.isArray(desired[f])) desired[f] = Array.isArray(live[f]) ? [] : {};
        copyManagedFields(desired[f], live[f], sub);
      }
    } else if (k.startsWith('k:') && Array.isArray(desired) && Array.isArray(live)) {
      const key = JSON.parse(k.slice(2)) as Record<string, unknown>;
      const match = (e: unknown) =>
        isObject(e) && Object.entries(key).every(([kk, vv]) => JSON.stringify(e[kk]) === JSON.stringify(vv));
      const l = live.find(match);
      if (l === undefined) continue;
      const di = desired.findIndex(match);
      if (di < 0) desired.push(structuredClone(l));
      else if (leaf) desired[di] = structuredClone(l);
      else copyManagedFields(desired[di], l, sub);
    } else if (k.startsWith('v:') && Array.isArray(desired)) {
      const v = JSON.parse(k.slice(2)) as unknown;
      if (!desired.some((e) => JSON.stringify(e) === JSON.stringify(v))) desired.push(v);
    } else if (k.startsWith('i:') && Array.isArray(desired) && Array.isArray(live)) {
      const idx = Number(k.slice(2));
      if (idx >= live.length) continue;
      if (leaf || idx >= desired.length) desired[Math.min(idx, desired.length)] = structuredClone(live[idx]);
      else copyManagedFields(desired[idx], live[idx], sub);
    }
  }
}

/**
 * RespectIgnoreDifferences: the fields the app's ignoreDifferences cover keep their live value on
 * sync — the live value at each jsonPointer and at each path a jq expression selects in the live object
 * (iteration and select included) is copied into a copy of the desired object; what an expression
 * selects in the desired object but not in the live one is dropped; fields owned by a
 * managedFieldsManagers manager in the live managedFields keep their live value. Returns the copy, and
 * the expressions that could not be respected (none at present: kept for callers that log them).
 */
export function respectIgnores(
  desired: KubeObject,
  live: KubeObject | undefined,
  rules: ResourceIgnoreDifferences[],
): { object: KubeObject; unsupported: string[] } {
  const matching = matchingIgnores(desired, rules);
  if (!live || !matching.length) return { object: desired, unsupported: [] };
  const out = structuredClone(desired);
  const liveClean = stripServerFields(live);
  const paths: string[][] = [];
  const drop: (string | number)[][] = [];
  for (const r of matching) {
    for (const p of r.jsonPointers ?? []) if (p !== '' && p !== '/') paths.push(pointerParts(p));
    for (const e of r.jqPathExpressions ?? []) {
      const inLive = jqMatchPaths(liveClean, e);
      const seen = new Set(inLive.map((p) => JSON.stringify(p)));
      for (const p of inLive) paths.push(p.map(String));
      for (const p of jqMatchPaths(desired, e)) if (!seen.has(JSON.stringify(p))) drop.push(p);
    }
  }
  for (const p of drop.reverse()) removeAtPath(out, p);
  for (const parts of paths) {
    if (parts[0] === 'metadata' && (parts[1] === 'name' || parts[1] === 'namespace')) continue;
    const l = getAt(liveClean, parts);
    if (l.found) setAt(out, parts, structuredClone(l.value));
    else removePointer(out, '/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/'));
  }
  for (const r of matching)
    for (const mgr of r.managedFieldsManagers ?? [])
      for (const mf of live.metadata.managedFields ?? [])
        if (mf.manager === mgr && !mf.subresource) copyManagedFields(out, liveClean, mf.fieldsV1);
  return { object: out, unsupported: [] };
}
