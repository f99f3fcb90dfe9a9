// Rego builtins of the "object" category: object.get, object.keys, object.union, object.union_n,
// object.filter, object.remove, object.subset. (json.filter/remove/patch live in json.ts.)
import { compare, equal, isNumber, RObject, RSet, toBigInt, typeName, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';
import { arr, obj } from './operands.ts';

/** Descends into a value along a path of keys (ast.Value.Find); undefined when the path does not exist. */
export function findPath(v: Value, path: readonly Value[], from = 0): Value | undefined {
  let cur: Value = v;
  for (let i = from; i < path.length; i++) {
    const k = path[i] as Value;
    if (cur instanceof RObject) {
      const next = cur.get(k);
      if (next === undefined) return undefined;
      cur = next;
    } else if (Array.isArray(cur)) {
      if (!isNumber(k)) return undefined;
      const b = toBigInt(k);
      if (b === undefined || b < 0n || b >= BigInt(cur.length)) return undefined;
      cur = cur[Number(b)] as Value;
    } else if (cur instanceof RSet) {
      if (!cur.has(k)) return undefined;
      cur = k;
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Recursive merge where b wins, except that two objects under the same key are merged. */
export function mergeWithOverwrite(a: RObject, b: RObject): RObject {
  const out = a.clone();
  for (const [k, v2] of b.unorderedEntries()) {
    const v1 = a.get(k);
    if (v1 instanceof RObject && v2 instanceof RObject) out.set(k, mergeWithOverwrite(v1, v2));
    else out.set(k, v2);
  }
  return out;
}

/** The keys given as the second operand of object.filter / object.remove. */
function keysParam(v: Value): RSet {
  if (Array.isArray(v)) return RSet.from(v);
  if (v instanceof RSet) return v;
  if (v instanceof RObject) return RSet.from(v.keys());
  throw new OperandError(2, `operand 2 must be one of {object, set, array} but got ${typeName(v)}`);
}

/** OPA's object filter: `filter` is an object tree whose null leaves keep the whole value below them. */
export function filterValue(v: Value, filter: Value): Value {
  if (filter === null) return v;
  if (!(filter instanceof RObject)) return v;
  if (Array.isArray(v)) {
    const out: Value[] = [];
    for (let i = 0; i < v.length; i++) {
      const sub = filter.getStr(String(i));
      if (sub !== undefined) out.push(filterValue(v[i] as Value, sub));
    }
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v.unorderedValues()) {
      const sub = filter.get(x);
      if (sub !== undefined) out.add(filterValue(x, sub));
    }
    return out;
  }
  if (v instanceof RObject) {
    const out = new RObject();
    const [iter, other] = v.size < filter.size ? [v, filter] : [filter, v];
    for (const [k] of iter.unorderedEntries()) {
      if (other.has(k)) out.set(k, filterValue(v.get(k) as Value, filter.get(k) as Value));
    }
    return out;
  }
  return v;
}

function arraySubset(sup: Value[], sub: Value[]): boolean {
  if (sub.length > sup.length) return false;
  let supCur = 0;
  let subCur = 0;
  for (;;) {
    if (subCur === sub.length) return true;
    if (supCur + subCur === sup.length) return false;
    if (compare(sup[supCur + subCur] as Value, sub[subCur] as Value) === 0) subCur++;
    else {
      supCur++;
      subCur = 0;
    }
  }
}

function setSubset(sup: RSet, sub: RSet): boolean {
  for (const v of sub.unorderedValues()) if (!sup.has(v)) return false;
  return true;
}

function objectSubset(sup: RObject, sub: RObject): boolean {
  for (const [k, subV] of sub.unorderedEntries()) {
    const supV = sup.get(k);
    if (supV === undefined) return false;
    if (equal(subV, supV)) continue;
    if (supV instanceof RObject && subV instanceof RObject) {
      if (!objectSubset(supV, subV)) return false;
    } else if (supV instanceof RSet && subV instanceof RSet) {
      if (!setSubset(supV, subV)) return false;
    } else if (Array.isArray(supV) && Array.isArray(subV)) {
      if (!arraySubset(supV, subV)) return false;
    } else return false;
  }
  return true;
}

export const builtins: BuiltinGroup = {
  'object.get': (args) => {
    const o = obj(args, 0);
    const key = args[1] as Value;
    const dflt = args[2] as Value;
    if (!Array.isArray(key)) return o.get(key) ?? dflt;
    if (key.length === 0) return o;
    return findPath(o, key) ?? dflt;
  },
  'object.keys': (args) => RSet.from(obj(args, 0).keys()),
  'object.union': (args) => {
    const a = obj(args, 0);
    const b = obj(args, 1);
    return mergeWithOverwrite(a, b);
  },
  'object.union_n': (args) => {
    const list = arr(args, 0);
    let out = new RObject();
    for (const x of list) {
      if (!(x instanceof RObject))
        throw new OperandError(1, `operand 1 must be array of objects but got array containing ${typeName(x)}`);
      out = mergeWithOverwrite(out, x);
    }
    return out;
  },
  'object.filter': (args) => {
    const o = obj(args, 0);
    const keys = keysParam(args[1] as Value);
    const out = new RObject();
    for (const k of keys.values()) {
      const v = o.get(k);
      if (v !== undefined) out.set(k, v);
    }
    return out;
  },
  'object.remove': (args) => {
    const o = obj(args, 0);
    const keys = keysParam(args[1] as Value);
    const out = new RObject();
    for (const [k, v] of o.unorderedEntries()) if (!keys.has(k)) out.set(k, v);
    return out;
  },
  'object.subset': (args) => {
    const sup = args[0] as Value;
    const sub = args[1] as Value;
    if (sup instanceof RObject && sub instanceof RObject) return objectSubset(sup, sub);
    if (sup instanceof RSet && sub instanceof RSet) return setSubset(sup, sub);
    if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub);
    if (Array.isArray(sup) && sub instanceof RSet) {
      let unmatched = sub.size;
      for (const x of sup) {
        if (sub.has(x)) unmatched--;
        if (unmatched <= 0) return true;
      }
      return false;
    }
    throw new OperandError(1, 'both arguments object.subset must be of the same type or array and set');
  },
};
