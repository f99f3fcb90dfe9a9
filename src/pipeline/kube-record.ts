// Mirrors a PipelineRun record into a cluster as a ci.sekisho.dev/v1alpha1 PipelineRun object (the CRD from
// `sekisho ci crds`), so `kubectl get pipelineruns` shows runs started anywhere. Writes are serialised and
// the last state always wins; a cluster error never fails the run (it is reported through onError).
import type { KubeClient, KubeObject } from '../kube/index.ts';
import { API_VERSION } from './model.ts';
import type { PipelineRun } from './types.ts';

/** The cluster object's name of a run (a run id made a valid Kubernetes name). */
export function pipelineRunObjectName(runId: string): string {
  return runId
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 253);
}

export function kubeRunRecorder(
  client: KubeClient,
  namespace: string,
  onError: (e: unknown) => void = () => undefined,
): (run: PipelineRun) => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  let created: KubeObject | undefined;
  const write = async (run: PipelineRun) => {
    const name = pipelineRunObjectName(run.metadata.name);
    const spec = { ...run.spec };
    if (!created) {
      try {
        created = await client.create({
          apiVersion: API_VERSION,
          kind: 'PipelineRun',
          metadata: { name, namespace, labels: run.metadata.labels ?? {} },
          spec,
        });
      } catch (e) {
        // recorded before (e.g. a run marked failed after a restart): update that object
        if ((e as { status?: number }).status !== 409) throw e;
        created = await client.get(API_VERSION, 'PipelineRun', name, namespace);
      }
    }
    created = await client.replace({ ...created, status: run.status }, { subresource: 'status' });
  };
  return (run) => {
    const snapshot = structuredClone(run);
    chain = chain.then(() => write(snapshot)).catch(onError);
    return chain;
  };
}
