// How lists merge, per field path: associative lists keyed by fields (containers by name, ports by
// containerPort+protocol...), sets of scalars (finalizers), or atomic lists replaced whole. This is the
// information kube-apiserver takes from x-kubernetes-list-type / patchMergeKey in its OpenAPI schemas;
// for built-in kinds it is tabled here, for custom resources it is read from the CRD's schema.
import { isObject } from '../kube/index.ts';

export type ListKind =
  { type: 'map'; keys: string[]; defaults?: Record<string, unknown> } | { type: 'set' } | { type: 'atomic' };

/** Path of field names from the object root; list items appear as '[]'. */
export type SchemaPath = readonly string[];
export type ListTypeResolver = (path: SchemaPath) => ListKind;

const BY_NAME: Record<string, ListKind> = {
  containers: { type: 'map', keys: ['name'] },
  initContainers: { type: 'map', keys: ['name'] },
  ephemeralContainers: { type: 'map', keys: ['name'] },
  env: { type: 'map', keys: ['name'] },
  volumes: { type: 'map', keys: ['name'] },
  volumeMounts: { type: 'map', keys: ['mountPath'] },
  volumeDevices: { type: 'map', keys: ['devicePath'] },
  imagePullSecrets: { type: 'map', keys: ['name'] },
  hostAliases: { type: 'map', keys: ['ip'] },
  ownerReferences: { type: 'map', keys: ['uid'] },
  conditions: { type: 'map', keys: ['type'] },
  resourceClaims: { type: 'map', keys: ['name'] },
  topologySpreadConstraints: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] },
  containerStatuses: { type: 'atomic' },
  finalizers: { type: 'set' },
};

/** The resolver for built-in kinds. */
export const builtinListTypes: ListTypeResolver = (path) => {
  const name = path[path.length - 1] ?? '';
  if (name === 'ports') {
    // container ports (…containers[].ports) are keyed by containerPort; Service ports by port
    if (path[path.length - 3]?.endsWith('ontainers'))
      return { type: 'map', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } };
    if (path[0] === 'spec' && path.length === 2)
      return { type: 'map', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } };
    return { type: 'atomic' };
  }
  if (name === 'finalizers' && path.length === 2 && path[0] === 'spec') return { type: 'atomic' };
  return BY_NAME[name] ?? { type: 'atomic' };
};

/** A resolver for a custom resource from its openAPIV3Schema, with metadata handled as built-in. */
export function schemaListTypes(schema: unknown): ListTypeResolver {
  return (path) => {
    if (path[0] === 'metadata') return builtinListTypes(path);
    let s: unknown = schema;
    for (const p of path) {
      if (!isObject(s)) return { type: 'atomic' };
      if (p === '[]') s = s.items;
      else s = isObject(s.properties) ? s.properties[p] : s.additionalProperties;
    }
    if (!isObject(s)) return { type: 'atomic' };
    const lt = s['x-kubernetes-list-type'];
    if (lt === 'map' && Array.isArray(s['x-kubernetes-list-map-keys']))
      return { type: 'map', keys: s['x-kubernetes-list-map-keys'] as string[] };
    if (lt === 'set') return { type: 'set' };
    return { type: 'atomic' };
  };
}

/** The key of a list-map item as kube's fieldsV1 writes it: `{"name":"web"}` (keys in sorted order). */
export function itemKey(
  item: unknown,
  kind: { keys: string[]; defaults?: Record<string, unknown> },
): string | undefined {
  if (!isObject(item)) return undefined;
  const parts: string[] = [];
  for (const k of [...kind.keys].sort()) {
    const v = item[k] ?? kind.defaults?.[k];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  }
  return parts.length ? `{${parts.join(',')}}` : undefined;
}
