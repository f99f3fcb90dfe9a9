// Server-side apply and field management, after structured-merge-diff (the library behind
// kube-apiserver's managedFields): field sets in the FieldsV1 encoding (`f:` fields, `k:` list-map keys,
// `v:` set values, `.` for the node itself), merge of an applied configuration into the live object,
// conflicts with other managers (409 unless forced), removal of fields a manager stopped applying and no
// one else owns, and ownership updates for ordinary writes (operation Update).
// Reference: https://kubernetes.io/docs/reference/using-api/server-side-apply/
import {
  KubeError,
  clone,
  deepEqual,
  isObject,
  type JsonObject,
  type KubeObject,
  type ManagedFieldsEntry,
} from '../kube/index.ts';
import { itemKey, type ListTypeResolver } from './list-types.ts';

/** A set of field paths; each path is its elements (`f:spec`, `k:{"name":"x"}`, `v:"a"`) joined by NUL. */
export type FieldSet = Set<string>;
const SEP = '\u0000';

const IGNORED_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

/** The parts of an object that field management tracks (no identity metadata, apiVersion or kind). */
function managedView(obj: unknown, withStatus: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObject(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'status' && !withStatus) continue;
    if (k === 'metadata' && isObject(v)) {
      const m: Record<string, unknown> = {};
      for (const [mk, mv] of Object.entries(v)) if (!IGNORED_META.has(mk)) m[mk] = mv;
      if (Object.keys(m).length) out.metadata = m;
      continue;
    }
    out[k] = v;
  }
  return out;
}

function schemaPathOf(elems: string[]): string[] {
  return elems.map((e) => (e.startsWith('f:') ? e.slice(2) : '[]'));
}

/** Every field path an applied configuration sets (SMD's ToFieldSet): leaves and list items. */
export function fieldSetOf(value: unknown, lists: ListTypeResolver, mapsAsMembers = false): FieldSet {
  const out: FieldSet = new Set();
  walkSet(managedView(value, true), [], lists, out, mapsAsMembers);
  return out;
}

function walkSet(v: unknown, elems: string[], lists: ListTypeResolver, out: FieldSet, mapsAsMembers: boolean): void {
  if (isObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (elems.length && (keys.length === 0 || (mapsAsMembers && !elems[elems.length - 1]!.startsWith('k:'))))
      out.add(elems.join(SEP));
    for (const k of keys) walkSet(v[k], [...elems, 'f:' + k], lists, out, mapsAsMembers);
    return;
  }
  if (Array.isArray(v) && elems.length) {
    const lt = lists(schemaPathOf(elems));
    if (lt.type === 'map') {
      for (const item of v) {
        const key = itemKey(item, lt);
        if (key === undefined) continue;
        const p = [...elems, 'k:' + key];
        out.add(p.join(SEP));
        walkSet(item, p, lists, out, mapsAsMembers);
        out.add(p.join(SEP));
      }
      if (v.length === 0) out.add(elems.join(SEP));
      return;
    }
    if (lt.type === 'set') {
      for (const item of v) out.add([...elems, 'v:' + JSON.stringify(item)].join(SEP));
      if (v.length === 0) out.add(elems.join(SEP));
      return;
    }
  }
  if (elems.length) out.add(elems.join(SEP));
}

/** Paths whose value differs between `a` and `b` or that exist only in `b` (added or modified). */
export function changedPaths(a: unknown, b: unknown, lists: ListTypeResolver, withStatus = true): FieldSet {
  const out: FieldSet = new Set();
  diffWalk(managedView(a, withStatus), managedView(b, withStatus), [], lists, out);
  return out;
}

function diffWalk(a: unknown, b: unknown, elems: string[], lists: ListTypeResolver, out: FieldSet): void {
  if (isObject(b)) {
    if (!isObject(a)) {
      walkSet(b, elems, lists, out, true);
      if (elems.length) out.add(elems.join(SEP));
      return;
    }
    for (const k of Object.keys(b)) {
      if (b[k] === undefined) continue;
      if (!(k in a) || a[k] === undefined) walkSet(b[k], [...elems, 'f:' + k], lists, out, true);
      else diffWalk(a[k], b[k], [...elems, 'f:' + k], lists, out);
    }
    return;
  }
  if (Array.isArray(b) && elems.length) {
    const lt = lists(schemaPathOf(elems));
    if (lt.type === 'map' && Array.isArray(a)) {
      for (const item of b) {
        const key = itemKey(item, lt);
        if (key === undefined) continue;
        const old = a.find((x) => itemKey(x, lt) === key);
        const p = [...elems, 'k:' + key];
        if (old === undefined) {
          out.add(p.join(SEP));
          walkSet(item, p, lists, out, true);
        } else diffWalk(old, item, p, lists, out);
      }
      return;
    }
    if (lt.type === 'set' && Array.isArray(a)) {
      for (const item of b)
        if (!a.some((x) => deepEqual(x, item))) out.add([...elems, 'v:' + JSON.stringify(item)].join(SEP));
      return;
    }
  }
  if (!deepEqual(a, b) && elems.length) out.add(elems.join(SEP));
}

/** Paths present in `a` but gone from `b`. */
export function removedPaths(a: unknown, b: unknown, lists: ListTypeResolver, withStatus = true): FieldSet {
  const all = fieldSetOf(isObject(a) ? managedView(a, withStatus) : {}, lists, true);
  const still = fieldSetOf(isObject(b) ? managedView(b, withStatus) : {}, lists, true);
  for (const p of still) all.delete(p);
  return all;
}

export function fieldsV1ToSet(f: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, elems: string[]) => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && elems.length) out.add(elems.join(SEP));
    for (const k of keys) {
      if (k === '.') out.add(elems.join(SEP));
      else walk(node[k], [...elems, k]);
    }
  };
  walk(f, []);
  return out;
}

export function setToFieldsV1(set: FieldSet): JsonObject {
  interface N {
    member: boolean;
    children: Map<string, N>;
  }
  const root: N = { member: false, children: new Map() };
  for (const p of [...set].sort()) {
    let n = root;
    for (const e of p.split(SEP)) {
      let c = n.children.get(e);
      if (!c) n.children.set(e, (c = { member: false, children: new Map() }));
      n = c;
    }
    n.member = true;
  }
  const toJson = (n: N): JsonObject => {
    const o: JsonObject = {};
    if (n.member && n.children.size) o['.'] = {};
    for (const [k, c] of n.children) o[k] = toJson(c);
    return o;
  };
  return toJson(root);
}

/** `.spec.template.spec.containers[name="web"].image` */
export function formatPath(p: string): string {
  let s = '';
  for (const e of p.split(SEP)) {
    if (e.startsWith('f:')) s += '.' + e.slice(2);
    else if (e.startsWith('k:')) {
      const k = JSON.parse(e.slice(2)) as Record<string, unknown>;
      s +=
        '[' +
        Object.entries(k)
          .map(([a, b]) => `${a}=${JSON.stringify(b)}`)
          .join(',') +
        ']';
    } else if (e.startsWith('v:')) s += `[${e.slice(2)}]`;
    else s += '.' + e;
  }
  return s;
}

function hasDescendantIn(set: FieldSet, p: string): boolean {
  const prefix = p + SEP;
  for (const q of set) if (q.startsWith(prefix)) return true;
  return false;
}

function hasDescendant(set: FieldSet, p: string): boolean {
  if (set.has(p)) return true;
  const prefix = p + SEP;
  for (const q of set) if (q.startsWith(prefix)) return true;
  return false;
}

/** Merges an applied configuration into the live object (list-maps by key, sets by value, the rest replaced). */
export function mergeApplied(live: unknown, config: unknown, lists: ListTypeResolver, elems: string[] = []): unknown {
  if (isObject(config)) {
    const out: Record<string, unknown> = isObject(live) ? clone(live) : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === undefined) continue;
      out[k] = mergeApplied(out[k], v, lists, [...elems, 'f:' + k]);
    }
    return out;
  }
  if (Array.isArray(config) && elems.length) {
    const lt = lists(schemaPathOf(elems));
    if (lt.type === 'map') {
      const out = Array.isArray(live) ? clone(live) : [];
      for (const item of config) {
        const key = itemKey(item, lt);
        const i = out.findIndex((x) => itemKey(x, lt) === key);
        if (i >= 0) out[i] = mergeApplied(out[i], item, lists, [...elems, 'k:' + key]);
        else out.push(clone(item));
      }
      return out;
    }
    if (lt.type === 'set') {
      const out = Array.isArray(live) ? clone(live) : [];
      for (const item of config) if (!out.some((x) => deepEqual(x, item))) out.push(clone(item));
      return out;
    }
  }
  return clone(config);
}

/** Removes one path (field, list-map item or set value) from an object in place. */
export function removePath(obj: unknown, p: string, lists: ListTypeResolver): void {
  const elems = p.split(SEP);
  let cur: unknown = obj;
  for (let i = 0; i < elems.length; i++) {
    const e = elems[i]!;
    const last = i === elems.length - 1;
    if (e.startsWith('f:')) {
      if (!isObject(cur)) return;
      if (last) {
        delete cur[e.slice(2)];
        return;
      }
      cur = cur[e.slice(2)];
    } else if (e.startsWith('k:') || e.startsWith('v:')) {
      if (!Array.isArray(cur)) return;
      const lt = lists(schemaPathOf(elems.slice(0, i)));
      const idx =
        e.startsWith('k:') && lt.type === 'map'
          ? cur.findIndex((x) => itemKey(x, lt) === e.slice(2))
          : cur.findIndex((x) => JSON.stringify(x) === e.slice(2));
      if (idx < 0) return;
      if (last) {
        cur.splice(idx, 1);
        return;
      }
      cur = cur[idx];
    } else return;
  }
}

export interface Manager {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

export function readManagers(obj: KubeObject | undefined): Manager[] {
  return (obj?.metadata.managedFields ?? []).map((e) => ({ entry: clone(e), set: fieldsV1ToSet(e.fieldsV1) }));
}

function writeManagers(obj: KubeObject, managers: Manager[]): void {
  const entries = managers
    .filter((m) => m.set.size > 0)
    .map((m) => ({ ...m.entry, fieldsType: 'FieldsV1' as const, fieldsV1: setToFieldsV1(m.set) }));
  if (entries.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  now: string;
  lists: ListTypeResolver;
  subresource?: string;
}

/**
 * Server-side apply of `config` onto `live` (undefined on create). Returns the new object with
 * managedFields updated; throws a 409 Conflict listing every conflicting field unless `force`.
 */
export function serverSideApply(live: KubeObject | undefined, config: KubeObject, o: ApplyOptions): KubeObject {
  const lists = o.lists;
  const managers = readManagers(live);
  const applied = fieldSetOf(config, lists);
  const base: Record<string, unknown> = live
    ? clone(live)
    : { apiVersion: config.apiVersion, kind: config.kind, metadata: {} };
  const cfgView = managedView(config, true);
  const merged = mergeApplied(base, cfgView, lists) as KubeObject;
  merged.apiVersion = config.apiVersion;
  merged.kind = config.kind;
  if (!live) {
    for (const k of ['name', 'namespace', 'generateName'] as const)
      if (config.metadata[k] !== undefined) merged.metadata[k] = config.metadata[k];
  }
  const changed = changedPaths(live ?? {}, merged, lists);
  const isSelf = (m: Manager) =>
    m.entry.manager === o.manager &&
    m.entry.operation === 'Apply' &&
    (m.entry.subresource ?? '') === (o.subresource ?? '');
  const conflicts: { manager: string; path: string }[] = [];
  for (const m of managers) {
    if (isSelf(m)) continue;
    if ((m.entry.subresource ?? '') !== (o.subresource ?? '')) continue;
    for (const p of changed) if (m.set.has(p) && applied.has(p)) conflicts.push({ manager: m.entry.manager, path: p });
  }
  if (conflicts.length && !o.force) {
    const causes = conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}": ${formatPath(c.path)}`,
      field: formatPath(c.path),
    }));
    const list = conflicts.map((c) => `- ${formatPath(c.path)}`).join('\n');
    const mgrs = [...new Set(conflicts.map((c) => `"${c.manager}"`))].join(', ');
    throw new KubeError(
      'Conflict',
      409,
      `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: conflict with ${mgrs}${conflicts.length === 1 ? ': ' + formatPath(conflicts[0]!.path) : ':\n' + list}`,
      {
        causes,
      },
    );
  }
  if (o.force)
    for (const c of conflicts)
      for (const m of managers) if (m.entry.manager === c.manager && !isSelf(m)) m.set.delete(c.path);
  // fields this manager applied before and no longer applies are removed when nobody else owns them
  const self = managers.find(isSelf);
  if (self) {
    const others = managers.filter((m) => m !== self);
    // outermost first: removing a list item removes its fields with it (and its key stays findable)
    const dropped = [...self.set].filter((p) => !applied.has(p)).sort((a, b) => a.length - b.length);
    const removed: string[] = [];
    for (const p of dropped) {
      if (removed.some((r) => p.startsWith(r + SEP))) continue;
      if (others.some((m) => hasDescendant(m.set, p))) continue;
      if (hasDescendantIn(applied, p)) continue;
      removePath(merged, p, lists);
      removed.push(p);
    }
    self.set = applied;
    self.entry.time = o.now;
    self.entry.apiVersion = o.apiVersion;
  } else {
    managers.push({
      entry: {
        manager: o.manager,
        operation: 'Apply',
        apiVersion: o.apiVersion,
        time: o.now,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
        ...(o.subresource ? { subresource: o.subresource } : {}),
      },
      set: applied,
    });
  }
  pruneEmpty(merged.metadata as Record<string, unknown>);
  writeManagers(merged, managers);
  return merged;
}

function pruneEmpty(meta: Record<string, unknown>): void {
  for (const k of ['labels', 'annotations']) if (isObject(meta[k]) && Object.keys(meta[k]).length === 0) delete meta[k];
}

export interface UpdateOptions {
  manager: string;
  apiVersion: string;
  now: string;
  lists: ListTypeResolver;
  subresource?: string;
  /** whether this write can change status (status subresource, or kinds without one) */
  withStatus: boolean;
}

/** Ownership after an ordinary write (create, update, patch): the writer owns what it changed. */
export function updateManagedFields(old: KubeObject | undefined, next: KubeObject, o: UpdateOptions): void {
  const managers = readManagers(old);
  const changed = changedPaths(old ?? {}, next, o.lists, o.withStatus);
  const removed = removedPaths(old ?? {}, next, o.lists, o.withStatus);
  for (const m of managers) {
    for (const p of removed) m.set.delete(p);
  }
  if (changed.size === 0) {
    writeManagers(next, managers);
    return;
  }
  for (const m of managers)
    if (!(m.entry.manager === o.manager && m.entry.operation === 'Update')) for (const p of changed) m.set.delete(p);
  let mine = managers.find(
    (m) =>
      m.entry.manager === o.manager &&
      m.entry.operation === 'Update' &&
      (m.entry.subresource ?? '') === (o.subresource ?? ''),
  );
  if (!mine) {
    mine = {
      entry: {
        manager: o.manager,
        operation: 'Update',
        apiVersion: o.apiVersion,
        time: o.now,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
        ...(o.subresource ? { subresource: o.subresource } : {}),
      },
      set: new Set(),
    };
    managers.push(mine);
  }
  for (const p of changed) mine.set.add(p);
  mine.entry.time = o.now;
  mine.entry.apiVersion = o.apiVersion;
  writeManagers(next, managers);
}
