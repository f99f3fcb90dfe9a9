// Installs the ci.sekisho.dev CRDs (PipelineRun, ChangeRequest) and the CI namespace in a cluster and waits
// until discovery serves the kinds, for tests that put fixture runs and change requests there.
import type { KubeClient } from '../../src/kube/index.ts';
import { API_VERSION, CI_NAMESPACE, changeRequestCrd, pipelineRunCrd } from '../../src/pipeline/index.ts';

export async function installCiCrds(kube: KubeClient): Promise<void> {
  for (const crd of [pipelineRunCrd(), changeRequestCrd()])
    await kube.apply(crd, { fieldManager: 'test', force: true });
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: CI_NAMESPACE } }).catch(() => undefined);
  const end = Date.now() + 15_000;
  for (;;) {
    try {
      await kube.discover(true);
      await kube.resourceFor(API_VERSION, 'PipelineRun');
      await kube.resourceFor(API_VERSION, 'ChangeRequest');
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
