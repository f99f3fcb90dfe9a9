// `app import`: Argo CD Application and AppProject YAML (argoproj.io/v1alpha1) converted to ours —
// the spec is kept unchanged; the group, the control-plane namespace and Argo CD-only metadata change.
import { parseAllDocuments } from 'yaml';
import { isObject, type KubeObject } from '../kube/index.ts';
import { GitOpsError } from './errors.ts';
import { API_VERSION, ARGO_API_VERSION } from './types.ts';

export function importArgoApplication(
  text: string,
  file: string,
  o: { controllerNamespace: string; argoNamespace?: string },
): KubeObject[] {
  const out: KubeObject[] = [];
  const argoNs = o.argoNamespace ?? 'argocd';
  for (const doc of parseAllDocuments(text)) {
    const err = doc.errors[0];
    if (err) {
      const lp = err.linePos?.[0];
      throw new GitOpsError('gitops_import_error', `${file}:${lp?.line ?? 0}:${lp?.col ?? 0}: ${err.message}`, {
        location: { file, row: lp?.line ?? 0, col: lp?.col ?? 0 },
      });
    }
    const v: unknown = doc.toJS();
    if (v == null) continue;
    if (
      !isObject(v) ||
      (v.apiVersion !== ARGO_API_VERSION && v.apiVersion !== API_VERSION) ||
      (v.kind !== 'Application' && v.kind !== 'AppProject')
    )
      throw new GitOpsError(
        'gitops_import_error',
        `${file}: expected an argoproj.io/v1alpha1 Application or AppProject, got ${String((v as { apiVersion?: unknown })?.apiVersion)} ${String((v as { kind?: unknown })?.kind)}`,
        {
          location: { file, row: 1, col: 1 },
        },
      );
    const obj = structuredClone(v) as KubeObject;
    obj.apiVersion = API_VERSION;
    const md = obj.metadata ?? {};
    obj.metadata = {
      name: md.name,
      namespace: !md.namespace || md.namespace === argoNs ? o.controllerNamespace : md.namespace,
      ...(md.labels ? { labels: md.labels } : {}),
      ...(md.annotations ? { annotations: md.annotations } : {}),
      // Argo CD's resources-finalizer is honoured the same way: listed finalizers are kept
      ...(md.finalizers ? { finalizers: md.finalizers } : {}),
    };
    delete obj.status;
    delete obj.operation;
    out.push(obj);
  }
  return out;
}
