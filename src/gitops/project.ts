// AppProject rules as Argo CD applies them: source repositories, destinations, cluster and namespace
// resource allow/deny lists, and the namespaces Applications may live in.
import type { KubeObject } from '../kube/index.ts';
import { globToRegExp } from './render/glob.ts';
import type { AppProject, ApplicationDestination, GroupKind } from './types.ts';

export const IN_CLUSTER = 'https://kubernetes.default.svc';

function glob(pattern: string, value: string): boolean {
  if (pattern.startsWith('!')) return !glob(pattern.slice(1), value);
  return pattern === '*' || pattern === value || globToRegExp(pattern).test(value);
}

export function repoPermitted(p: AppProject, repoURL: string): boolean {
  const norm = (u: string) => u.replace(/\.git$/, '').replace(/\/+$/, '');
  const list = p.spec.sourceRepos ?? [];
  const neg = list.filter((s) => s.startsWith('!'));
  if (neg.some((s) => glob(norm(s.slice(1)), norm(repoURL)))) return false;
  return list.some((s) => !s.startsWith('!') && glob(norm(s), norm(repoURL)));
}

export function destinationPermitted(p: AppProject, d: ApplicationDestination): boolean {
  const server = d.server ?? (d.name === 'in-cluster' ? IN_CLUSTER : '');
  const ns = d.namespace ?? '';
  return (p.spec.destinations ?? []).some(
    (pd) =>
      (pd.server
        ? glob(pd.server, server)
        : pd.name
          ? glob(pd.name, d.name ?? (server === IN_CLUSTER ? 'in-cluster' : ''))
          : false) && glob(pd.namespace ?? '*', ns),
  );
}

function gkMatch(list: GroupKind[] | undefined, group: string, kind: string): boolean {
  return (list ?? []).some((gk) => glob(gk.group || '', group) && glob(gk.kind, kind));
}

/** Whether the project lets the app manage a resource of this group/kind (namespaced or not). */
export function resourcePermitted(p: AppProject, obj: KubeObject, namespaced: boolean): boolean {
  const i = obj.apiVersion.indexOf('/');
  const group = i < 0 ? '' : obj.apiVersion.slice(0, i);
  if (namespaced) {
    if (gkMatch(p.spec.namespaceResourceBlacklist, group, obj.kind)) return false;
    const wl = p.spec.namespaceResourceWhitelist;
    return !wl || gkMatch(wl, group, obj.kind);
  }
  if (gkMatch(p.spec.clusterResourceBlacklist, group, obj.kind)) return false;
  return gkMatch(p.spec.clusterResourceWhitelist, group, obj.kind);
}

export function sourceNamespacePermitted(p: AppProject, appNamespace: string, controllerNamespace: string): boolean {
  if (appNamespace === controllerNamespace) return true;
  return (p.spec.sourceNamespaces ?? []).some((s) => glob(s, appNamespace));
}
