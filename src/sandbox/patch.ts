// The three patch types of the Kubernetes API: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and
// strategic merge patch (merge-key lists, `$patch`, `$retainKeys`, `$setElementOrder`,
// `$deleteFromPrimitiveList` directives, as apimachinery's strategicpatch package applies them).
import { KubeError, clone, deepEqual, isObject } from '../kube/index.ts';
import { type ListTypeResolver, type SchemaPath } from './list-types.ts';

const bad = (msg: string) => new KubeError('BadRequest', 400, msg);

function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw bad(`invalid JSON pointer "${p}"`);
  return p.slice(1).split('/').map(unescapePointer);
}

export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw bad('json patch must be an array of operations');
  let root = clone(doc);
  const resolve = (path: string[]): { parent: unknown; key: string } => {
    let cur: unknown = root;
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i]!;
      if (Array.isArray(cur)) cur = cur[Number(seg)];
      else if (isObject(cur)) cur = cur[seg];
      else cur = undefined;
      if (cur === undefined)
        throw new KubeError(
          'Invalid',
          422,
          `the server rejected our request due to an error in our request: doc is missing path: "/${path.join('/')}"`,
        );
    }
    return { parent: cur, key: path[path.length - 1]! };
  };
  const getAt = (path: string[]): unknown => {
    let cur: unknown = root;
    for (const seg of path) {
      if (Array.isArray(cur)) cur = cur[Number(seg)];
      else if (isObject(cur)) cur = cur[seg];
      else return undefined;
    }
    return cur;
  };
  const add = (path: string[], value: unknown) => {
    if (path.length === 0) {
      root = value;
      return;
    }
    const { parent, key } = resolve(path);
    if (Array.isArray(parent)) {
      const idx = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(idx) || idx < 0 || idx > parent.length) throw bad(`invalid array index "${key}"`);
      parent.splice(idx, 0, value);
    } else if (isObject(parent)) parent[key] = value;
    else throw bad(`cannot add at /${path.join('/')}`);
  };
  const remove = (path: string[]): unknown => {
    const { parent, key } = resolve(path);
    if (Array.isArray(parent)) {
      const idx = Number(key);
      if (!(idx >= 0 && idx < parent.length))
        throw new KubeError('Invalid', 422, `unable to remove nonexistent index /${path.join('/')}`);
      return parent.splice(idx, 1)[0];
    }
    if (isObject(parent) && key in parent) {
      const v = parent[key];
      delete parent[key];
      return v;
    }
    throw new KubeError(
      'Invalid',
      422,
      `the server rejected our request due to an error in our request: unable to remove nonexistent key: ${key}: missing value`,
    );
  };
  for (const op of patch as unknown[]) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string')
      throw bad('invalid json patch operation');
    const path = parsePointer(op.path);
    switch (op.op) {
      case 'add':
        add(path, clone(op.value));
        break;
      case 'remove':
        remove(path);
        break;
      case 'replace':
        remove(path);
        add(path, clone(op.value));
        break;
      case 'move': {
        const v = remove(parsePointer(String(op.from)));
        add(path, v);
        break;
      }
      case 'copy':
        add(path, clone(getAt(parsePointer(String(op.from)))));
        break;
      case 'test':
        if (!deepEqual(getAt(path), op.value))
          throw new KubeError('Invalid', 422, `testing value /${path.join('/')} failed`);
        break;
      default:
        throw bad(`unknown json patch operation "${op.op}"`);
    }
  }
  return root;
}

export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(doc) ? clone(doc) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

const DELETE = Symbol('delete');

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isObject(x) && x.$patch === 'delete')).map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

export function applyStrategicMergePatch(doc: unknown, patch: unknown, lists: ListTypeResolver): unknown {
  const r = smpMap(doc, patch, [], lists);
  return r === DELETE ? {} : r;
}

function smpMap(orig: unknown, patch: unknown, path: SchemaPath, lists: ListTypeResolver): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'delete') return DELETE;
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const out: Record<string, unknown> = isObject(orig) ? clone(orig) : {};
  const orders = new Map<string, unknown[]>();
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      if (Array.isArray(v)) orders.set(k.slice('$setElementOrder/'.length), v);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const sub = [...path, k];
    if (Array.isArray(v)) {
      const lt = lists(sub);
      if (lt.type === 'map')
        out[k] = smpList(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, lt.keys[0]!, sub, lists);
      else if (lt.type === 'set') {
        const base = Array.isArray(out[k]) ? [...(out[k] as unknown[])] : [];
        for (const x of v) if (!base.some((b) => deepEqual(b, x))) base.push(x);
        out[k] = base;
      } else out[k] = stripDirectives(v);
    } else if (isObject(v)) {
      const r = smpMap(out[k], v, sub, lists);
      if (r === DELETE) delete out[k];
      else out[k] = r;
    } else out[k] = v;
  }
  for (const [field, order] of orders) {
    const cur = out[field];
    const lt = lists([...path, field]);
    if (!Array.isArray(cur) || lt.type !== 'map') continue;
    const key = lt.keys[0]!;
    const idx = (x: unknown) => order.findIndex((o) => isObject(o) && isObject(x) && deepEqual(o[key], x[key]));
    out[field] = [...cur].sort((a, b) => {
      const ia = idx(a);
      const ib = idx(b);
      return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
    });
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

function smpList(orig: unknown[], patch: unknown[], key: string, path: SchemaPath, lists: ListTypeResolver): unknown[] {
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map(stripDirectives);
  }
  const out = clone(orig);
  for (const item of patch) {
    if (!isObject(item)) {
      out.push(item);
      continue;
    }
    const i = out.findIndex((o) => isObject(o) && deepEqual(o[key], item[key]));
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) {
      const r = smpMap(out[i], item, [...path, '[]'], lists);
      if (r === DELETE) out.splice(i, 1);
      else out[i] = r;
    } else out.push(stripDirectives(item));
  }
  return out;
}
