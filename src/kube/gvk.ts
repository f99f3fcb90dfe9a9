// Group/Version/Kind and Group/Version/Resource identities and their string forms.
export interface GroupVersion {
  group: string;
  version: string;
}
export interface GroupVersionKind extends GroupVersion {
  kind: string;
}
export interface GroupVersionResource extends GroupVersion {
  resource: string;
}

/** Splits `apps/v1` into {group:'apps', version:'v1'} and `v1` into {group:'', version:'v1'}. */
export function parseApiVersion(apiVersion: string): GroupVersion {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function formatApiVersion(gv: GroupVersion): string {
  return gv.group ? `${gv.group}/${gv.version}` : gv.version;
}

export function gvkOf(obj: { apiVersion?: unknown; kind?: unknown }): GroupVersionKind {
  const gv = parseApiVersion(typeof obj.apiVersion === 'string' ? obj.apiVersion : '');
  return { ...gv, kind: typeof obj.kind === 'string' ? obj.kind : '' };
}

export function gvkString(gvk: GroupVersionKind): string {
  return `${formatApiVersion(gvk)}, Kind=${gvk.kind}`;
}

/** `deployments.apps` style name of a group resource (core resources have no suffix). */
export function groupResourceString(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}
