// The built-in resource registry: for every kind the sandbox serves (and the client knows without
// discovery) its group/version, plural and singular names, scope, short names, verbs, subresources and
// categories, as kube-apiserver's discovery documents them.
import type { GroupVersionKind } from './gvk.ts';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** plural, lower case: `deployments` */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  subresources: string[];
  categories: string[];
  /** the List kind, `DeploymentList` */
  listKind: string;
}

export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

// group/version | Kind | plural | namespaced | shortNames | subresources | categories
type Row = [string, string, string, boolean, string, string, string];
const ROWS: Row[] = [
  ['v1', 'Namespace', 'namespaces', false, 'ns', 'status,finalize', ''],
  ['v1', 'Pod', 'pods', true, 'po', 'status,log', 'all'],
  ['v1', 'Service', 'services', true, 'svc', 'status', 'all'],
  ['v1', 'Endpoints', 'endpoints', true, 'ep', '', ''],
  ['v1', 'ConfigMap', 'configmaps', true, 'cm', '', ''],
  ['v1', 'Secret', 'secrets', true, '', '', ''],
  ['v1', 'ServiceAccount', 'serviceaccounts', true, 'sa', '', ''],
  ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, 'pvc', 'status', ''],
  ['v1', 'PersistentVolume', 'persistentvolumes', false, 'pv', 'status', ''],
  ['v1', 'Node', 'nodes', false, 'no', 'status', ''],
  ['v1', 'Event', 'events', true, 'ev', '', ''],
  ['v1', 'LimitRange', 'limitranges', true, 'limits', '', ''],
  ['v1', 'ResourceQuota', 'resourcequotas', true, 'quota', 'status', ''],
  ['v1', 'ReplicationController', 'replicationcontrollers', true, 'rc', 'status,scale', 'all'],
  ['v1', 'PodTemplate', 'podtemplates', true, '', '', ''],
  ['apps/v1', 'Deployment', 'deployments', true, 'deploy', 'status,scale', 'all'],
  ['apps/v1', 'ReplicaSet', 'replicasets', true, 'rs', 'status,scale', 'all'],
  ['apps/v1', 'StatefulSet', 'statefulsets', true, 'sts', 'status,scale', 'all'],
  ['apps/v1', 'DaemonSet', 'daemonsets', true, 'ds', 'status', 'all'],
  ['apps/v1', 'ControllerRevision', 'controllerrevisions', true, '', '', ''],
  ['batch/v1', 'Job', 'jobs', true, '', 'status', 'all'],
  ['batch/v1', 'CronJob', 'cronjobs', true, 'cj', 'status', 'all'],
  ['networking.k8s.io/v1', 'Ingress', 'ingresses', true, 'ing', 'status', ''],
  ['networking.k8s.io/v1', 'IngressClass', 'ingressclasses', false, '', '', ''],
  ['networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true, 'netpol', '', ''],
  ['rbac.authorization.k8s.io/v1', 'Role', 'roles', true, '', '', ''],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true, '', '', ''],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false, '', '', ''],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false, '', '', ''],
  ['coordination.k8s.io/v1', 'Lease', 'leases', true, '', '', ''],
  ['policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, 'pdb', 'status', ''],
  ['storage.k8s.io/v1', 'StorageClass', 'storageclasses', false, 'sc', '', ''],
  ['storage.k8s.io/v1', 'CSIDriver', 'csidrivers', false, '', '', ''],
  ['storage.k8s.io/v1', 'CSINode', 'csinodes', false, '', '', ''],
  ['storage.k8s.io/v1', 'VolumeAttachment', 'volumeattachments', false, '', 'status', ''],
  [
    'admissionregistration.k8s.io/v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    false,
    '',
    '',
    'api-extensions',
  ],
  [
    'admissionregistration.k8s.io/v1',
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    false,
    '',
    '',
    'api-extensions',
  ],
  [
    'admissionregistration.k8s.io/v1',
    'ValidatingAdmissionPolicy',
    'validatingadmissionpolicies',
    false,
    '',
    'status',
    'api-extensions',
  ],
  [
    'admissionregistration.k8s.io/v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
    false,
    '',
    '',
    'api-extensions',
  ],
  ['authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, '', '', ''],
  ['authentication.k8s.io/v1', 'SelfSubjectReview', 'selfsubjectreviews', false, '', '', ''],
  [
    'apiextensions.k8s.io/v1',
    'CustomResourceDefinition',
    'customresourcedefinitions',
    false,
    'crd,crds',
    'status',
    'api-extensions',
  ],
];

function rowToInfo([gv, kind, resource, namespaced, short, subs, cats]: Row): ResourceInfo {
  const i = gv.indexOf('/');
  return {
    group: i < 0 ? '' : gv.slice(0, i),
    version: i < 0 ? gv : gv.slice(i + 1),
    kind,
    resource,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: short ? short.split(',') : [],
    // reviews are create-only virtual resources (nothing is stored)
    verbs: kind.endsWith('Review') ? ['create'] : STANDARD_VERBS,
    subresources: subs ? subs.split(',') : [],
    categories: cats ? cats.split(',') : [],
    listKind: kind + 'List',
  };
}

export const BUILTIN_RESOURCES: readonly ResourceInfo[] = ROWS.map(rowToInfo);

/** A lookup table over resources, built-in plus any registered later (custom resources). */
export class ResourceRegistry {
  private readonly byGvr = new Map<string, ResourceInfo>();
  private readonly byGvk = new Map<string, ResourceInfo>();

  constructor(initial: readonly ResourceInfo[] = BUILTIN_RESOURCES) {
    for (const r of initial) this.add(r);
  }

  add(r: ResourceInfo): void {
    this.byGvr.set(`${r.group}/${r.version}/${r.resource}`, r);
    this.byGvk.set(`${r.group}/${r.version}/${r.kind}`, r);
  }

  remove(group: string, version: string, resource: string): void {
    const r = this.byGvr.get(`${group}/${version}/${resource}`);
    if (!r) return;
    this.byGvr.delete(`${group}/${version}/${resource}`);
    this.byGvk.delete(`${group}/${version}/${r.kind}`);
  }

  byResource(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byGvr.get(`${group}/${version}/${resource}`);
  }

  byKind(gvk: GroupVersionKind): ResourceInfo | undefined {
    return this.byGvk.get(`${gvk.group}/${gvk.version}/${gvk.kind}`);
  }

  /** Resolves what a user types (`deploy`, `deployments.apps`, `Deployment`) to a resource. */
  resolve(name: string): ResourceInfo | undefined {
    const lower = name.toLowerCase();
    const dot = lower.indexOf('.');
    const base = dot < 0 ? lower : lower.slice(0, dot);
    const group = dot < 0 ? undefined : lower.slice(dot + 1);
    for (const r of this.byGvr.values()) {
      if (group !== undefined && r.group !== group) continue;
      if (r.resource === base || r.singular === base || r.kind.toLowerCase() === base || r.shortNames.includes(base))
        return r;
    }
    return undefined;
  }

  all(): ResourceInfo[] {
    return [...this.byGvr.values()];
  }

  /** Group → versions served, in registration order. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.byGvr.values()) {
      const vs = out.get(r.group) ?? [];
      if (!vs.includes(r.version)) vs.push(r.version);
      out.set(r.group, vs);
    }
    return out;
  }
}
