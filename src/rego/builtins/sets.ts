// Rego builtins of the "sets" category: and (&), or (|), intersection, union, set_diff. (`minus` on sets lives
// in numbers.ts, since the name is shared with numeric subtraction.)
import { RSet, typeName, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';
import { set } from './operands.ts';

export function setIntersect(a: RSet, b: RSet): RSet {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  const out = new RSet();
  for (const v of small.unorderedValues()) if (big.has(v)) out.add(v);
  return out;
}

export function setUnion(a: RSet, b: RSet): RSet {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const out = a.clone();
  for (const v of b.unorderedValues()) out.add(v);
  return out;
}

export function setDiff(a: RSet, b: RSet): RSet {
  const out = new RSet();
  for (const v of a.unorderedValues()) if (!b.has(v)) out.add(v);
  return out;
}

function innerSet(v: Value): RSet {
  if (v instanceof RSet) return v;
  throw new OperandError(1, `operand 1 must be set but got ${typeName(v)}`);
}

export const builtins: BuiltinGroup = {
  and: (args) => setIntersect(set(args, 0), set(args, 1)),
  or: (args) => setUnion(set(args, 0), set(args, 1)),
  set_diff: (args) => setDiff(set(args, 0), set(args, 1)),
  intersection: (args) => {
    const input = set(args, 0);
    let result: RSet | undefined;
    for (const x of input.values()) {
      const s = innerSet(x);
      result = result === undefined ? s : setIntersect(result, s);
    }
    return result ?? new RSet();
  },
  union: (args) => {
    const input = set(args, 0);
    const out = new RSet();
    for (const x of input.values()) for (const v of innerSet(x).unorderedValues()) out.add(v);
    return out;
  },
};
