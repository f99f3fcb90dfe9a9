// What the sync engine needs from a cluster, as an interface (like gitops-engine's kubectl interface),
// and its implementation over the kube client.
import { KubeError, type KubeClient, type KubeObject } from '../../kube/index.ts';
import { FIELD_MANAGER } from '../types.ts';

export interface ClusterOps {
  apply(obj: KubeObject, o?: { dryRun?: boolean; validate?: boolean }): Promise<KubeObject>;
  replace(obj: KubeObject): Promise<KubeObject>;
  create(obj: KubeObject): Promise<KubeObject>;
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined>;
  delete(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
    propagation?: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<void>;
  isNamespaced(apiVersion: string, kind: string): Promise<boolean>;
  /** the objects of a kind (in a namespace); used to find generateName hooks of a resumed operation */
  list?(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]>;
}

export function kubeClusterOps(client: KubeClient, fieldManager = FIELD_MANAGER): ClusterOps {
  return {
    apply: (obj, o = {}) =>
      client.apply(obj, {
        fieldManager,
        force: true,
        ...(o.dryRun ? { dryRun: true } : {}),
        ...(o.validate === false ? { fieldValidation: 'Ignore' as const } : { fieldValidation: 'Strict' as const }),
      }),
    replace: async (obj) => {
      const cur = await client
        .get(obj.apiVersion, obj.kind, obj.metadata.name!, obj.metadata.namespace)
        .catch(() => undefined);
      if (!cur) return client.create(obj, { fieldManager });
      return client.replace(
        { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } },
        { fieldManager },
      );
    },
    create: (obj) => client.create(obj, { fieldManager }),
    get: async (apiVersion, kind, name, namespace) => {
      try {
        return await client.get(apiVersion, kind, name, namespace);
      } catch (err) {
        if (err instanceof KubeError && err.status === 404) return undefined;
        throw err;
      }
    },
    delete: async (apiVersion, kind, name, namespace, propagation = 'Foreground') => {
      try {
        await client.delete(apiVersion, kind, name, namespace, { propagationPolicy: propagation });
      } catch (err) {
        if (err instanceof KubeError && err.status === 404) return;
        throw err;
      }
    },
    isNamespaced: async (apiVersion, kind) => (await client.resourceFor(apiVersion, kind)).namespaced,
    list: async (apiVersion, kind, namespace) =>
      (await client.list(apiVersion, kind, namespace ? { namespace } : {})).items,
  };
}
