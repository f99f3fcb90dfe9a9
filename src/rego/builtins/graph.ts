// Rego builtins of the "graph" category: graph.reachable and graph.reachable_paths over an adjacency object
// whose values are arrays or sets of neighbours (walk is the evaluator's, as a relation).
import { RObject, RSet, typeName, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';
import { obj } from './operands.ts';

function vertices(v: Value | undefined): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.values();
  return [];
}

function initialOperand(v: Value | undefined): Value[] {
  if (Array.isArray(v) || v instanceof RSet) return vertices(v);
  throw new OperandError(2, `operand 2 must be {array, set} but got ${v === undefined ? 'undefined' : typeName(v)}`);
}

export function reachable(graph: RObject, initial: Value[]): RSet {
  const reached = new RSet();
  const queue = [...initial];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as Value;
    const edges = graph.get(node);
    if (edges === undefined) continue;
    for (const n of vertices(edges)) if (!reached.has(n)) queue.push(n);
    reached.add(node);
  }
  return reached;
}

/**
 * Depth-first path building as OPA does it: `reached` is shared by the whole walk from one starting edge, so
 * a node already visited on an earlier branch ends later paths that lead to it.
 */
function buildPaths(graph: RObject, root: Value, path: Value[], out: RSet, reached: RSet): void {
  const edges = graph.get(root);
  if (edges === undefined) {
    out.add(path);
    return;
  }
  const here = [...path, root];
  const next = vertices(edges);
  if (next.length === 0) {
    out.add(here);
    return;
  }
  for (const n of next) {
    if (reached.has(n)) out.add(here);
    else {
      reached.add(root);
      buildPaths(graph, n, here, out, reached);
    }
  }
}

export function reachablePaths(graph: RObject, initial: Value[]): RSet {
  const out = new RSet();
  for (const node of initial) {
    const edges = graph.get(node);
    if (edges === undefined) continue;
    const next = vertices(edges);
    if (next.length === 0) out.add([node]);
    else for (const n of next) buildPaths(graph, n, [node], out, RSet.from([node]));
  }
  return out;
}

export const builtins: BuiltinGroup = {
  'graph.reachable': (a) => {
    const g = obj(a, 0);
    return reachable(g, initialOperand(a[1]));
  },
  'graph.reachable_paths': (a) => {
    const g = obj(a, 0);
    return reachablePaths(g, initialOperand(a[1]));
  },
};
