// The demo's CI part: a commit to the app repo (Dockerfile, app, .sekisho/pipeline.yaml) pushed to the
// platform's git server starts a PipelineRun (the platform's push trigger, recorded in sekisho-ci) that
// lints, builds, scans, makes an SBOM, pushes, signs, attests and promotes the image into a change request
// on the config repo. The demo prepares what the run reads (the base image in the registry, the signing key,
// an advisory database), pushes the commit, and waits for the run the push started.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubeError } from '../../kube/index.ts';
import {
  API_VERSION as CI_API_VERSION,
  CI_NAMESPACE,
  KubeChangeRequestStore,
  type ChangeRequest,
  type PipelineRun,
  type StepStatus,
} from '../../pipeline/index.ts';
import { AdvisoryDb } from '../../scan/index.ts';
import { generateKeyPair, loadPublicKey, verifyImage } from '../../sign/index.ts';
import { DemoError } from './errors.ts';
import { baseImage, pushImage } from './image.ts';
import type { DemoContext } from './types.ts';

/** The steps the demo's pipeline runs, in the order of the graph. */
export const PIPELINE_STEPS = ['lint', 'build', 'scan', 'sbom', 'push', 'sign', 'attest', 'promote'] as const;
export const PIPELINE_NAME = 'demo-app';
const COMMIT_LABEL = 'ci.sekisho.dev/commit';

/** What the run reads, made before the commit is pushed: key pair, advisory db, base image. */
export async function preparePipeline(
  ctx: DemoContext,
): Promise<{ keyFile: string; pubFile: string; db: string; advisories: number; baseDigest: string }> {
  const keyDir = join(ctx.workDir, 'keys');
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const keyFile = join(keyDir, 'cosign.key');
  const pubFile = join(keyDir, 'cosign.pub');
  if (!existsSync(keyFile) || !existsSync(pubFile)) {
    // an empty password: the pipeline reads the key file as a secret (secretRef file) and signs with it
    const kp = generateKeyPair(Buffer.alloc(0), { scrypt: { N: 32768, r: 8, p: 1 } });
    writeFileSync(pubFile, kp.publicKeyPem);
    writeFileSync(keyFile, kp.privateKeyPem, { mode: 0o600 });
  }
  ctx.state.set('sign:publicKey', readFileSync(pubFile, 'utf8'));
  ctx.state.set('sign:publicKeyFile', pubFile);
  // the scan step's advisory database: the one of this data dir (empty unless advisories were imported into it
  // with `sekisho scan db import --db <dir>`); the demo never downloads one
  const db = join(ctx.workDir, 'advisory-db');
  const d = AdvisoryDb.open(db, { create: true });
  const advisories = d.count();
  d.close();
  const baseDigest = await pushImage(ctx.registry, 'base/busybox', await baseImage(), ['latest']);
  return { keyFile, pubFile, db, advisories, baseDigest };
}

/** .sekisho/pipeline.yaml of the app repo. Paths are of this machine: the runner is the platform next to it. */
export function pipelineYaml(o: { keyFile: string; db: string; configRepo: string; kubeconfig: string }): string {
  const e = (s: string) => '${{ ' + s + ' }}';
  const image = `${e('params.registry')}/demo/app:${e('params.commit')}`;
  const doc = {
    apiVersion: CI_API_VERSION,
    kind: 'Pipeline',
    metadata: { name: PIPELINE_NAME },
    spec: {
      params: [
        { name: 'commit' },
        { name: 'registry' },
        // not the well-known configRepo param, so a `sekisho up --config-repo X` does not redirect the demo
        { name: 'demoConfigRepo', default: o.configRepo },
      ],
      secrets: [{ name: 'key', secretRef: { file: o.keyFile } }],
      steps: [
        { id: 'lint', uses: 'lint', with: { dockerfile: 'Dockerfile', 'failure-threshold': 'error' } },
        {
          id: 'build',
          uses: 'build',
          needs: ['lint'],
          with: {
            tags: [image],
            'build-args': { BASE: `${e('params.registry')}/base/busybox:latest`, REVISION: e('params.commit') },
            'source-date-epoch': 0,
            network: 'none',
          },
        },
        {
          id: 'scan',
          uses: 'scan',
          needs: ['build'],
          with: { image: e('steps.build.outputs.layout'), db: o.db, 'fail-on': 'HIGH,CRITICAL' },
        },
        { id: 'sbom', uses: 'sbom', needs: ['build'], with: { image: e('steps.build.outputs.layout') } },
        {
          id: 'push',
          uses: 'push',
          needs: ['scan', 'sbom'],
          with: { from: e('steps.build.outputs.layout'), to: image },
        },
        {
          id: 'sign',
          uses: 'sign',
          needs: ['push'],
          with: { image: e('steps.push.outputs.image'), key: e('secrets.key') },
        },
        {
          id: 'attest',
          uses: 'attest',
          needs: ['push'],
          with: {
            image: e('steps.push.outputs.image'),
            key: e('secrets.key'),
            type: 'cyclonedx',
            predicate: e('steps.sbom.outputs.path'),
          },
        },
        {
          id: 'promote',
          uses: 'promote',
          needs: ['sign', 'attest'],
          with: {
            repo: e('params.demoConfigRepo'),
            path: 'app',
            image: `demo-app=${e('steps.push.outputs.image')}`,
            title: `Promote demo-app built from ${e('params.commit')}`,
            // the what-if preview: the change's render dry-run against the platform's cluster (admission
            // included); a denial fails the step
            whatif: true,
            kubeconfig: o.kubeconfig,
          },
        },
      ],
    },
  };
  return stringify(doc, { lineWidth: 0 });
}

/** The PipelineRuns recorded in sekisho-ci for `commit` (label ci.sekisho.dev/commit). */
export async function runsOf(ctx: DemoContext, commit: string): Promise<PipelineRun[]> {
  try {
    const l = await ctx.kube.list(CI_API_VERSION, 'PipelineRun', {
      namespace: CI_NAMESPACE,
      labelSelector: `${COMMIT_LABEL}=${commit}`,
    });
    return l.items as unknown as PipelineRun[];
  } catch (e) {
    // the kind is not served yet (the runner installs it as it starts)
    if (e instanceof KubeError && e.status === 404) return [];
    throw e;
  }
}

export function stepOf(run: PipelineRun, id: string): StepStatus {
  const s = run.status.steps.find((x) => x.id === id);
  if (!s) throw new DemoError('demo_step_failed', `PipelineRun ${run.metadata.name} has no step ${id}`);
  return s;
}

/** The ChangeRequest a run's promote step opened, from sekisho-ci. */
export async function changeRequestOf(ctx: DemoContext, name: string): Promise<ChangeRequest> {
  const cr = await new KubeChangeRequestStore(ctx.kube, CI_NAMESPACE).get(name);
  if (!cr) throw new DemoError('demo_step_failed', `no ChangeRequest ${CI_NAMESPACE}/${name}`);
  return cr;
}

/** Verifies the image's cosign signature with the demo's public key; the count of verified signatures. */
export async function verifyWithDemoKey(ctx: DemoContext, digest: string): Promise<number> {
  const key = loadPublicKey(ctx.state.get('sign:publicKey') ?? '', ctx.state.get('sign:publicKeyFile') ?? 'cosign.pub');
  const r = await verifyImage(
    { client: ctx.registry, registry: ctx.registryHost, repository: 'demo/app', ref: digest },
    [key],
  );
  return r.verified.length;
}
