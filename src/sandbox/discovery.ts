// Discovery documents: /api, /apis, /api/v1, /apis/<group>/<version> and aggregated discovery
// (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) as kubectl 1.26+ asks for it.
import { formatApiVersion, type ResourceInfo, type ResourceRegistry } from '../kube/index.ts';

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

const SUB_VERBS = ['get', 'patch', 'update'];

function preferred(versions: string[]): string {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return 0;
    return Number(m[1]) * 1000 + (m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 300 : 600) + Number(m[3] ?? 0);
  };
  return [...versions].sort((a, b) => rank(b) - rank(a))[0]!;
}

export function apiVersions(host: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
  };
}

export function apiGroupList(reg: ResourceRegistry): Record<string, unknown> {
  const groups = [...reg.groups()].filter(([g]) => g !== '').map(([name, versions]) => groupDoc(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

function groupDoc(name: string, versions: string[]): Record<string, unknown> {
  const pv = preferred(versions);
  return {
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${pv}`, version: pv },
  };
}

export function apiGroup(reg: ResourceRegistry, name: string): Record<string, unknown> | undefined {
  const versions = reg.groups().get(name);
  if (!versions || name === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(name, versions) };
}

function scaleKind(): { group: string; version: string; kind: string } {
  return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
}

export function apiResourceList(
  reg: ResourceRegistry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const rs = reg.all().filter((r) => r.group === group && r.version === version);
  if (!rs.length) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of rs) {
    resources.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
      storageVersionHash: Buffer.from(`${r.group}/${r.version}/${r.kind}`).toString('base64').slice(0, 11),
    });
    for (const sub of r.subresources) {
      if (sub === 'scale')
        resources.push({
          name: `${r.resource}/scale`,
          singularName: '',
          namespaced: r.namespaced,
          ...scaleKind(),
          verbs: SUB_VERBS,
        });
      else if (sub === 'log')
        resources.push({
          name: `${r.resource}/log`,
          singularName: '',
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['get'],
        });
      else if (sub === 'finalize')
        resources.push({
          name: `${r.resource}/finalize`,
          singularName: '',
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['update'],
        });
      else
        resources.push({
          name: `${r.resource}/${sub}`,
          singularName: '',
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: SUB_VERBS,
        });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: formatApiVersion({ group, version }), resources };
}

function discoveryResource(r: ResourceInfo): Record<string, unknown> {
  return {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    ...(r.subresources.length
      ? {
          subresources: r.subresources.map((s) => ({
            subresource: s,
            responseKind: s === 'scale' ? scaleKind() : { group: r.group, version: r.version, kind: r.kind },
            verbs: s === 'log' ? ['get'] : s === 'finalize' ? ['update'] : SUB_VERBS,
          })),
        }
      : {}),
  };
}

/** The aggregated discovery document for /api (legacy = true) or /apis. */
export function aggregatedDiscovery(reg: ResourceRegistry, legacy: boolean): Record<string, unknown> {
  const items: Record<string, unknown>[] = [];
  for (const [group, versions] of reg.groups()) {
    if ((group === '') !== legacy) continue;
    const ordered = [preferred(versions), ...versions.filter((v) => v !== preferred(versions))];
    items.push({
      metadata: { name: group, creationTimestamp: null },
      versions: ordered.map((v) => ({
        version: v,
        resources: reg
          .all()
          .filter((r) => r.group === group && r.version === v)
          .map(discoveryResource),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
