// Rego builtins json.filter, json.remove and json.patch (catalogue category "object").
import { equal, isNumber, RObject, RSet, toBigInt, typeName, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';
import { filterValue } from './objects.ts';
import { arr, obj } from './operands.ts';

/** A JSON pointer ("/a/b~1c") or an array of path segments, as json.filter/remove/patch take them. */
function parsePath(p: Value): Value[] {
  if (typeof p === 'string') {
    if (p === '') return [];
    return p
      .replace(/^\/+/, '')
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  if (Array.isArray(p)) return p;
  throw new OperandError(
    2,
    `operand 2 must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`,
  );
}

function jsonPaths(v: Value): Value[][] {
  if (Array.isArray(v)) return v.map(parsePath);
  if (v instanceof RSet) return v.values().map(parsePath);
  throw new OperandError(2, `operand 2 must be one of {set, array} but got ${typeName(v)}`);
}

/** Paths as a tree of objects whose null leaves mark the selected values. */
function pathsToObject(paths: Value[][]): RObject {
  const root = new RObject();
  for (const path of paths) {
    if (path.length === 0) continue;
    let node = root;
    let done = false;
    for (let i = 0; i < path.length - 1 && !done; i++) {
      const k = path[i] as Value;
      const child = node.get(k);
      if (child === undefined) {
        const o = new RObject();
        node.set(k, o);
        node = o;
      } else if (child === null) {
        done = true;
      } else {
        node = child as RObject;
      }
    }
    if (!done) node.set(path[path.length - 1] as Value, null);
  }
  return root;
}

function jsonRemove(a: Value, b: Value | undefined): Value | undefined {
  if (b === undefined) return a;
  if (b === null) return undefined;
  if (!(b instanceof RObject)) return a;
  if (a instanceof RObject) {
    const out = new RObject();
    for (const [k, v] of a.unorderedEntries()) {
      const d = jsonRemove(v, b.get(k));
      if (d !== undefined) out.set(k, d);
    }
    return out;
  }
  if (a instanceof RSet) {
    const out = new RSet();
    for (const v of a.unorderedValues()) {
      const d = jsonRemove(v, b.get(v));
      if (d !== undefined) out.add(d);
    }
    return out;
  }
  if (Array.isArray(a)) {
    const out: Value[] = [];
    for (let i = 0; i < a.length; i++) {
      const d = jsonRemove(a[i] as Value, b.getStr(String(i)));
      if (d !== undefined) out.push(d);
    }
    return out;
  }
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// json.patch (RFC 6902, with OPA's extensions: sets are addressed by their elements)

class PatchError extends Error {}

function arrayIndex(seg: Value, length: number, forInsert: boolean): number {
  let i: number | undefined;
  if (typeof seg === 'string') {
    if (forInsert && seg === '-') return length;
    if (/^(0|[1-9]\d*)$/.test(seg)) i = Number(seg);
  } else if (isNumber(seg)) {
    const b = toBigInt(seg);
    if (b !== undefined && b >= 0n) i = Number(b);
  }
  if (i === undefined) throw new PatchError('invalid array index');
  if (forInsert ? i > length : i >= length) throw new PatchError('array index out of range');
  return i;
}

function getAt(doc: Value, path: Value[]): Value {
  let cur = doc;
  for (const seg of path) {
    if (cur instanceof RObject) {
      const v = cur.get(seg);
      if (v === undefined) throw new PatchError('missing key');
      cur = v;
    } else if (Array.isArray(cur)) {
      cur = cur[arrayIndex(seg, cur.length, false)] as Value;
    } else if (cur instanceof RSet) {
      if (!cur.has(seg)) throw new PatchError('missing set element');
      cur = seg;
    } else throw new PatchError('path through a scalar');
  }
  return cur;
}

/** Rebuilds doc with `edit` applied to the container at path[0..n-1] and the last segment. */
function update(doc: Value, path: Value[], i: number, edit: (parent: Value, last: Value) => Value): Value {
  if (i === path.length - 1) return edit(doc, path[i] as Value);
  const seg = path[i] as Value;
  if (doc instanceof RObject) {
    const child = doc.get(seg);
    if (child === undefined) throw new PatchError('missing key');
    return doc.clone().set(seg, update(child, path, i + 1, edit));
  }
  if (Array.isArray(doc)) {
    const idx = arrayIndex(seg, doc.length, false);
    const out = doc.slice();
    out[idx] = update(doc[idx] as Value, path, i + 1, edit);
    return out;
  }
  if (doc instanceof RSet) {
    if (!doc.has(seg)) throw new PatchError('missing set element');
    const out = doc.clone().delete(seg);
    return out.add(update(seg, path, i + 1, edit));
  }
  throw new PatchError('path through a scalar');
}

function insertAt(doc: Value, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  return update(doc, path, 0, (parent, last) => {
    if (parent instanceof RObject) return parent.clone().set(last, value);
    if (Array.isArray(parent)) {
      const idx = arrayIndex(last, parent.length, true);
      const out = parent.slice();
      out.splice(idx, 0, value);
      return out;
    }
    if (parent instanceof RSet) {
      if (!equal(last, value)) throw new PatchError('set element and value differ');
      return parent.clone().add(value);
    }
    throw new PatchError('insert into a scalar');
  });
}

function deleteAt(doc: Value, path: Value[]): Value {
  if (path.length === 0) return null;
  return update(doc, path, 0, (parent, last) => {
    if (parent instanceof RObject) {
      if (!parent.has(last)) throw new PatchError('missing key');
      return parent.clone().delete(last);
    }
    if (Array.isArray(parent)) {
      const idx = arrayIndex(last, parent.length, false);
      const out = parent.slice();
      out.splice(idx, 1);
      return out;
    }
    if (parent instanceof RSet) {
      if (!parent.has(last)) throw new PatchError('missing set element');
      return parent.clone().delete(last);
    }
    throw new PatchError('delete from a scalar');
  });
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function applyPatch(doc: Value, ops: Value[]): Value {
  let cur = doc;
  for (const o of ops) {
    if (!(o instanceof RObject)) throw new PatchError('not an object');
    const op = o.getStr('op');
    if (typeof op !== 'string' || !OPS.has(op)) throw new PatchError('bad op');
    const pathTerm = o.getStr('path');
    if (pathTerm === undefined) throw new PatchError("missing 'path' attribute");
    let from: Value | undefined;
    if (op === 'move' || op === 'copy') {
      from = o.getStr('from');
      if (from === undefined) throw new PatchError("missing 'from' attribute");
    }
    let value: Value | undefined;
    if (op === 'add' || op === 'replace' || op === 'test') {
      value = o.getStr('value');
      if (value === undefined) throw new PatchError("missing 'value' attribute");
    }
    let path: Value[];
    try {
      path = parsePath(pathTerm);
    } catch {
      throw new PatchError('bad path');
    }
    switch (op) {
      case 'add':
        cur = insertAt(cur, path, value as Value);
        break;
      case 'remove':
        cur = deleteAt(cur, path);
        break;
      case 'replace':
        cur = insertAt(deleteAt(cur, path), path, value as Value);
        break;
      case 'move': {
        const fromPath = parsePathOrFail(from as Value);
        const chunk = getAt(cur, fromPath);
        cur = insertAt(deleteAt(cur, fromPath), path, chunk);
        break;
      }
      case 'copy': {
        const fromPath = parsePathOrFail(from as Value);
        cur = insertAt(cur, path, getAt(cur, fromPath));
        break;
      }
      case 'test':
        if (!equal(getAt(cur, path), value as Value)) throw new PatchError('test failed');
        break;
    }
  }
  return cur;
}

function parsePathOrFail(p: Value): Value[] {
  try {
    return parsePath(p);
  } catch {
    throw new PatchError('bad path');
  }
}

export const builtins: BuiltinGroup = {
  'json.filter': (args) => {
    const o = obj(args, 0);
    const filter = pathsToObject(jsonPaths(args[1] as Value));
    return filterValue(o, filter);
  },
  'json.remove': (args) => {
    const o = obj(args, 0);
    const paths = pathsToObject(jsonPaths(args[1] as Value));
    return jsonRemove(o, paths);
  },
  'json.patch': (args) => {
    const doc = args[0] as Value;
    const ops = arr(args, 1);
    try {
      return applyPatch(doc, ops);
    } catch (e) {
      if (e instanceof PatchError) return undefined;
      throw e;
    }
  },
};
