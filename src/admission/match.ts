// Gatekeeper's `match` block: kinds, scope, namespaces / excludedNamespaces (with prefix `abc-*` and suffix
// `*-abc` wildcards), labelSelector, namespaceSelector, name (with wildcards) and source.

import { matchesLabelSelectorObject, type LabelSelectorObject } from '../kube/index.ts';
import { isObj, str, type Obj } from './yaml-load.ts';

export interface Matchable {
  /** The object under review (oldObject for DELETE). */
  object: Obj;
  group: string;
  kind: string;
  /** The object's namespace ("" for cluster-scoped objects). */
  namespace: string;
  /** The Namespace object of `namespace`, when known. */
  namespaceObject: Obj | undefined;
  /** "Original" for user requests, "Generated" for objects expanded by Gatekeeper. */
  source: 'Original' | 'Generated';
}

/** Gatekeeper's wildcard: a single `*` at the start or end of the pattern, or the whole pattern. */
export function wildcardMatch(pattern: string, s: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return s.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return s.endsWith(pattern.slice(1));
  return pattern === s;
}

function isNamespaceKind(t: Matchable): boolean {
  return t.group === '' && t.kind === 'Namespace';
}

/** The namespace name used for matching: a Namespace object's own name, else its metadata.namespace. */
function nsName(t: Matchable): string | undefined {
  if (isNamespaceKind(t)) return str(meta(t.object).name) ?? '';
  return t.namespace === '' ? undefined : t.namespace;
}

function meta(o: Obj): Obj {
  return isObj(o.metadata) ? o.metadata : {};
}

function labels(o: Obj | undefined): Record<string, string> {
  const l = o ? meta(o).labels : undefined;
  return isObj(l) ? (l as Record<string, string>) : {};
}

function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export interface MatchResult {
  matched: boolean;
  /** Why matching could not decide (e.g. namespaceSelector without the Namespace object). */
  error?: string;
}

/** Whether the constraint's `match` block selects the target. */
export function matches(match: unknown, t: Matchable): MatchResult {
  if (!isObj(match)) return { matched: true };
  // kinds
  if (Array.isArray(match.kinds) && match.kinds.length > 0) {
    const ok = match.kinds.some((k) => {
      if (!isObj(k)) return false;
      const groups = strs(k.apiGroups);
      const kinds = strs(k.kinds);
      const g = groups.length === 0 || groups.includes('*') || groups.includes(t.group);
      const kd = kinds.length === 0 || kinds.includes('*') || kinds.includes(t.kind);
      return g && kd;
    });
    if (!ok) return { matched: false };
  }
  // scope
  const scope = str(match.scope) ?? '*';
  const clusterScoped = t.namespace === '' || isNamespaceKind(t);
  if (scope === 'Cluster' && !clusterScoped) return { matched: false };
  if (scope === 'Namespaced' && clusterScoped) return { matched: false };
  // namespaces / excludedNamespaces: cluster-scoped objects other than Namespaces are not filtered.
  const ns = nsName(t);
  const namespaces = strs(match.namespaces);
  if (namespaces.length > 0 && ns !== undefined && !namespaces.some((p) => wildcardMatch(p, ns)))
    return { matched: false };
  const excluded = strs(match.excludedNamespaces);
  if (ns !== undefined && excluded.some((p) => wildcardMatch(p, ns))) return { matched: false };
  // name
  const name = str(match.name);
  if (name !== undefined && name !== '' && !wildcardMatch(name, str(meta(t.object).name) ?? ''))
    return { matched: false };
  // labelSelector
  if (
    isObj(match.labelSelector) &&
    !matchesLabelSelectorObject(match.labelSelector as LabelSelectorObject, labels(t.object))
  ) {
    return { matched: false };
  }
  // namespaceSelector
  if (isObj(match.namespaceSelector)) {
    const sel = match.namespaceSelector as LabelSelectorObject;
    if (isNamespaceKind(t)) {
      if (!matchesLabelSelectorObject(sel, labels(t.object))) return { matched: false };
    } else if (t.namespace !== '') {
      if (!t.namespaceObject)
        return { matched: false, error: `namespace ${t.namespace} is unknown, cannot evaluate namespaceSelector` };
      if (!matchesLabelSelectorObject(sel, labels(t.namespaceObject))) return { matched: false };
    }
  }
  // source
  const source = str(match.source) ?? 'All';
  if (source !== 'All' && source !== t.source) return { matched: false };
  return { matched: true };
}
