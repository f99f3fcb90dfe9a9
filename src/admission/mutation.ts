// Mutation (mutations.gatekeeper.sh): Assign, AssignMetadata and ModifySet with Gatekeeper's location paths
// (`spec.containers[name: *].securityContext.privileged`, quoted keys, list elements selected by key),
// `pathTests` (MustExist / MustNotExist), `applyTo` and the `match` block. Mutators run in a stable order
// (kind, name) until the object stops changing (at most 3 passes), as Gatekeeper's mutation system does.

import { AdmissionError } from './errors.ts';
import { matches } from './match.ts';
import { splitApiVersion } from './review.ts';
import { isObj, str, type Obj } from './yaml-load.ts';

export const MUTATION_GROUP = 'mutations.gatekeeper.sh';
export const MUTATOR_KINDS = ['Assign', 'AssignMetadata', 'ModifySet'] as const;

type Segment =
  { type: 'field'; name: string } | { type: 'list'; name: string; key: string; value: string; glob: boolean };

/** Parses a location path. */
export function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  const fail = (m: string): never => {
    throw new AdmissionError('admission_constraint_error', `invalid location "${path}": ${m} at offset ${i}`);
  };
  const ident = (): string => {
    if (path[i] === '"' || path[i] === "'") {
      const q = path[i++];
      let s = '';
      while (i < path.length && path[i] !== q) {
        if (path[i] === '\\') i++;
        s += path[i++];
      }
      if (path[i] !== q) fail('unterminated quote');
      i++;
      return s;
    }
    const start = i;
    while (i < path.length && !'.[]:'.includes(path[i] as string) && path[i] !== ' ') i++;
    if (i === start) fail('expected a name');
    return path.slice(start, i);
  };
  while (i < path.length) {
    const name = ident();
    if (path[i] === '[') {
      i++;
      while (path[i] === ' ') i++;
      const key = ident();
      while (path[i] === ' ') i++;
      if (path[i] !== ':') fail('expected ":"');
      i++;
      while (path[i] === ' ') i++;
      const glob = path[i] === '*';
      const value = glob ? (i++, '*') : ident();
      while (path[i] === ' ') i++;
      if (path[i] !== ']') fail('expected "]"');
      i++;
      out.push({ type: 'list', name, key, value, glob });
    } else out.push({ type: 'field', name });
    if (i < path.length) {
      if (path[i] !== '.') fail('expected "."');
      i++;
    }
  }
  if (out.length === 0) fail('empty path');
  return out;
}

export interface Mutator {
  kind: (typeof MUTATOR_KINDS)[number];
  name: string;
  source: Obj;
  path: Segment[];
  location: string;
}

export function parseMutator(obj: Obj): Mutator {
  const kind = str(obj.kind) as Mutator['kind'];
  if (!MUTATOR_KINDS.includes(kind))
    throw new AdmissionError('admission_constraint_error', `unknown mutator kind ${String(obj.kind)}`);
  const name = str(isObj(obj.metadata) ? obj.metadata.name : undefined) ?? '';
  const spec = isObj(obj.spec) ? obj.spec : {};
  const location = str(spec.location) ?? '';
  const path = parsePath(location);
  if (kind === 'AssignMetadata') {
    const first = path[0];
    const second = path[1];
    if (
      path.length !== 3 ||
      first?.type !== 'field' ||
      first.name !== 'metadata' ||
      !second ||
      second.type !== 'field' ||
      (second.name !== 'labels' && second.name !== 'annotations')
    ) {
      throw new AdmissionError(
        'admission_constraint_error',
        `AssignMetadata ${name}: location must be metadata.labels.<key> or metadata.annotations.<key>`,
      );
    }
  }
  if (kind === 'Assign' && path[0]?.type === 'field' && path[0].name === 'metadata') {
    throw new AdmissionError(
      'admission_constraint_error',
      `Assign ${name}: cannot mutate metadata (use AssignMetadata)`,
    );
  }
  return { kind, name, source: obj, path, location };
}

function getAt(obj: unknown, segs: Segment[]): unknown[] {
  let cur: unknown[] = [obj];
  for (const s of segs) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (!isObj(c) || !(s.name in c)) continue;
      const v = c[s.name];
      if (s.type === 'field') next.push(v);
      else if (Array.isArray(v))
        for (const e of v) if (isObj(e) && (s.glob || String(e[s.key]) === s.value)) next.push(e);
    }
    cur = next;
  }
  return cur;
}

/** Sets (or, with `update`, transforms) the value at the path, creating missing parents. */
function setAt(obj: Obj, segs: Segment[], update: (old: unknown) => unknown): void {
  const rec = (node: Obj, i: number): void => {
    const s = segs[i] as Segment;
    const last = i === segs.length - 1;
    if (s.type === 'field') {
      if (last) {
        node[s.name] = update(node[s.name]);
        return;
      }
      if (!isObj(node[s.name])) node[s.name] = {};
      rec(node[s.name] as Obj, i + 1);
      return;
    }
    if (!Array.isArray(node[s.name])) node[s.name] = [];
    const list = node[s.name] as unknown[];
    const hits = list.filter((e): e is Obj => isObj(e) && (s.glob || String(e[s.key]) === s.value));
    if (hits.length === 0 && !s.glob) {
      const created: Obj = { [s.key]: s.value };
      list.push(created);
      hits.push(created);
    }
    for (const h of hits) {
      if (last) {
        const v = update(h);
        if (isObj(v)) {
          for (const k of Object.keys(h)) delete h[k];
          Object.assign(h, v, { [s.key]: h[s.key] ?? s.value });
        }
      } else rec(h, i + 1);
    }
  };
  rec(obj, 0);
}

function pathTestsPass(obj: Obj, m: Mutator, tests: unknown): boolean {
  if (!Array.isArray(tests)) return true;
  for (const t of tests) {
    if (!isObj(t)) continue;
    const sub = parsePath(str(t.subPath) ?? '');
    const exists = getAt(obj, sub).length > 0;
    if (t.condition === 'MustExist' && !exists) return false;
    if (t.condition === 'MustNotExist' && exists) return false;
  }
  void m;
  return true;
}

function appliesTo(m: Mutator, group: string, version: string, kind: string): boolean {
  if (m.kind === 'AssignMetadata') return true;
  const spec = isObj(m.source.spec) ? m.source.spec : {};
  const applyTo = Array.isArray(spec.applyTo) ? spec.applyTo : [];
  return applyTo.some((a) => {
    if (!isObj(a)) return false;
    const has = (l: unknown, v: string) => Array.isArray(l) && (l.includes(v) || l.includes('*'));
    return has(a.groups, group) && has(a.versions, version) && has(a.kinds, kind);
  });
}

function valueOf(m: Mutator, obj: Obj, namespace: string): unknown {
  const params = isObj(m.source.spec) && isObj(m.source.spec.parameters) ? m.source.spec.parameters : {};
  const assign = isObj(params.assign) ? params.assign : {};
  if (isObj(assign.fromMetadata)) {
    const meta = isObj(obj.metadata) ? obj.metadata : {};
    return assign.fromMetadata.field === 'namespace' ? namespace : meta.name;
  }
  return structuredClone(assign.value);
}

/** Applies one mutator in place; returns whether it applied (match, applyTo and pathTests passed). */
export function applyMutator(
  m: Mutator,
  obj: Obj,
  ctx: { namespace: string; namespaceObject: Obj | undefined },
): boolean {
  const { group, version } = splitApiVersion(str(obj.apiVersion) ?? '');
  const kind = str(obj.kind) ?? '';
  if (!appliesTo(m, group, version, kind)) return false;
  const spec = isObj(m.source.spec) ? m.source.spec : {};
  const target = {
    object: obj,
    group,
    kind,
    namespace: ctx.namespace,
    namespaceObject: ctx.namespaceObject,
    source: 'Original' as const,
  };
  if (!matches(spec.match, target).matched) return false;
  const params = isObj(spec.parameters) ? spec.parameters : {};
  if (!pathTestsPass(obj, m, params.pathTests)) return false;
  if (m.kind === 'AssignMetadata') {
    // Never changes a label or annotation that is already set.
    const [, group2, key] = m.path as [Segment, Segment, Segment];
    const meta = (obj.metadata = isObj(obj.metadata) ? obj.metadata : {}) as Obj;
    const bag = (meta[group2.name] = isObj(meta[group2.name]) ? meta[group2.name] : {}) as Obj;
    if (key.name in bag) return false;
    bag[key.name] = String(valueOf(m, obj, ctx.namespace));
    return true;
  }
  if (m.kind === 'Assign') {
    const v = valueOf(m, obj, ctx.namespace);
    setAt(obj, m.path, () => structuredClone(v));
    return true;
  }
  // ModifySet
  const op = str(params.operation) ?? 'merge';
  const values = isObj(params.values) && Array.isArray(params.values.fromList) ? params.values.fromList : [];
  setAt(obj, m.path, (old) => {
    const list = Array.isArray(old) ? old.slice() : [];
    const eq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (op === 'prune') return list.filter((x) => !values.some((v) => eq(v, x)));
    for (const v of values) if (!list.some((x) => eq(x, v))) list.push(structuredClone(v));
    return list;
  });
  return true;
}

export class MutationSystem {
  private readonly mutators = new Map<string, Mutator>();

  upsert(obj: Obj): Mutator {
    const m = parseMutator(obj);
    this.mutators.set(`${m.kind}/${m.name}`, m);
    return m;
  }

  remove(kind: string, name: string): void {
    this.mutators.delete(`${kind}/${name}`);
  }

  get size(): number {
    return this.mutators.size;
  }

  /** Returns the mutated copy of `obj` (or undefined when nothing changed). */
  mutate(obj: Obj, ctx: { namespace: string; namespaceObject: Obj | undefined }): Obj | undefined {
    const ordered = [...this.mutators.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
    const out = structuredClone(obj);
    let before = JSON.stringify(out);
    const original = before;
    for (let pass = 0; pass < 3; pass++) {
      for (const m of ordered) applyMutator(m, out, ctx);
      const after = JSON.stringify(out);
      if (after === before) break;
      before = after;
    }
    return before === original ? undefined : out;
  }
}

/** A JSONPatch turning `a` into `b`: one add/replace/remove per changed top-level field. */
export function topLevelPatch(a: Obj, b: Obj): unknown[] {
  const ops: unknown[] = [];
  const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  for (const k of Object.keys(b)) {
    if (!(k in a)) ops.push({ op: 'add', path: `/${esc(k)}`, value: b[k] });
    else if (JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      ops.push({ op: 'replace', path: `/${esc(k)}`, value: b[k] });
  }
  for (const k of Object.keys(a)) if (!(k in b)) ops.push({ op: 'remove', path: `/${esc(k)}` });
  return ops;
}
