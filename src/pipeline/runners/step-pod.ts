// The step pod's side of a built-in step run as a Kubernetes Job (`sekisho ci step` in the Sekisho step image):
// runs the step's handler on the workspace volume with the request from the env Secret, streams its log
// (masked) to stdout, the pod log the runner follows, and pushes the result with the files the step wrote
// next to its log as an OCI artifact the runner pulls back. Files go to `.sekisho/runs/<run>/` on the volume,
// the folder the local runner uses in a checkout, so a later step Job finds what an earlier one wrote (an OCI
// layout from `build`, a provenance file for `attest`) at the path its outputs name.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import {
  pullArtifact,
  pushArtifact,
  parseReference,
  registryApiHost,
  RegistryStore,
  referenceTarget,
  type ArtifactBlob,
} from '../../oci/index.ts';
import { PipelineError, describeError } from '../errors.ts';
import { Masker, MaskedLineWriter } from '../mask.ts';
import type { Services, StepContext, StepHandler, StepResult } from '../types.ts';
import {
  POD_WORKSPACE,
  SCAN_DB_DIR,
  SCAN_DB_LAYER,
  STEP_RESULT_ARTIFACT,
  STEP_RESULT_MEDIA,
  WORKSPACE_ARTIFACT,
  WORKSPACE_LAYER,
  isStepFileName,
  mapResultPaths,
  type StepAnswer,
  type StepRequest,
  type StepResultRecord,
} from './step-request.ts';

export function parseStepRequest(text: string | undefined, from: string): StepRequest {
  if (!text) throw new PipelineError('pipeline_invalid', `${from} is not set: this command runs inside a step Job`);
  let r: StepRequest;
  try {
    r = JSON.parse(text) as StepRequest;
  } catch (e) {
    throw new PipelineError('pipeline_invalid', `${from}: invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  for (const k of ['uses', 'runId', 'result'] as const)
    if (typeof r[k] !== 'string' || !r[k]) throw new PipelineError('pipeline_invalid', `${from}: ${k} is missing`);
  if (!r.step || typeof r.step.id !== 'string') throw new PipelineError('pipeline_invalid', `${from}: step is missing`);
  return r;
}

/** The answer is a termination message: Kubernetes keeps 4 KiB of it. */
const clip = (s: string) => (s.length > 3000 ? `${s.slice(0, 3000)}…` : s);

export interface PodStepOptions {
  request: StepRequest;
  handlers: Record<string, StepHandler>;
  /** the pod's services (registry credentials from the mounted Docker config, the builder) */
  services: Services;
  /** the workspace volume (default /workspace) */
  workspace?: string;
  /** the step log (the container's stdout) */
  out: Writable;
  signal: AbortSignal;
}

/** Runs the step and pushes its bundle; resolves with the termination message (it does not throw). */
export async function runStepInPod(o: PodStepOptions): Promise<StepAnswer> {
  const r = o.request;
  const workspace = o.workspace ?? POD_WORKSPACE;
  const runDir = join(workspace, '.sekisho', 'runs', r.runId);
  mkdirSync(runDir, { recursive: true });
  const masker = new Masker();
  for (const v of Object.values(r.secrets)) masker.add(v);
  const streams: MaskedLineWriter[] = [];
  const stream = () => {
    const w = new MaskedLineWriter(masker, (t) => o.out.write(t));
    streams.push(w);
    return w;
  };
  const log = stream();
  const handler = o.handlers[r.uses];
  let result: StepResult;
  try {
    if (!handler) throw new PipelineError('pipeline_invalid', `no implementation for uses: ${r.uses} in this image`);
    const ctx: StepContext = {
      step: r.step,
      inputs: r.inputs,
      env: r.env,
      workspace,
      runDir,
      runId: r.runId,
      attempt: r.attempt,
      log: (line) => log.write(line.endsWith('\n') ? line : line + '\n'),
      logStream: stream,
      artifact: (name) => join(runDir, `${r.step.id}.${name}`),
      mask: (v) => masker.add(v),
      secret: (name) => {
        const v = r.secrets[name];
        if (v === undefined)
          throw new PipelineError('pipeline_secret_missing', `secret ${name} was not passed to the step pod`);
        return v;
      },
      signal: o.signal,
      services: o.services,
    };
    result = await handler(ctx);
  } catch (e) {
    for (const w of streams) w.flushPartial();
    return { error: clip(masker.mask(describeError(e))) };
  }
  for (const w of streams) w.flushPartial();
  try {
    return { bundle: await pushBundle(r, runDir, result, masker, o.services) };
  } catch (e) {
    return { error: clip(`pushing the step result to ${r.result}: ${masker.mask(describeError(e))}`) };
  }
}

/** The bundle: the result record, then every regular file `<step>.<name>` in the run folder (not the build's secrets). */
async function pushBundle(
  r: StepRequest,
  runDir: string,
  result: StepResult,
  masker: Masker,
  services: Services,
): Promise<string> {
  const { summary, failure, annotations } = result;
  const record: StepResultRecord = mapResultPaths(
    {
      ...result,
      ...(summary !== undefined ? { summary: masker.mask(summary) } : {}),
      ...(failure !== undefined ? { failure: masker.mask(failure) } : {}),
      ...(annotations ? { annotations: annotations.map((a) => ({ ...a, message: masker.mask(a.message) })) } : {}),
    },
    (p) => relative(runDir, p),
  );
  const blobs: ArtifactBlob[] = [{ bytes: Buffer.from(JSON.stringify(record)), mediaType: STEP_RESULT_MEDIA }];
  const secretsDir = `${r.step.id}.secrets`;
  for (const name of existsSync(runDir) ? readdirSync(runDir).sort() : []) {
    if (!isStepFileName(r.step.id, name) || name === secretsDir) continue;
    const p = join(runDir, name);
    if (!statSync(p).isFile()) continue; // folders (an OCI layout) stay on the volume for later step Jobs
    blobs.push({
      bytes: readFileSync(p),
      mediaType: 'application/octet-stream',
      annotations: { 'org.opencontainers.image.title': name },
    });
  }
  const ref = parseReference(r.result);
  const host = registryApiHost(ref.registry);
  const client = services.registry(host, r.insecureHosts.includes(host) ? { insecure: true } : {});
  const desc = await pushArtifact(new RegistryStore(client, ref.repository), {
    artifactType: STEP_RESULT_ARTIFACT,
    blobs,
    tag: referenceTarget(ref),
  });
  return desc.digest;
}

/**
 * The seed Job in the step image (`sekisho ci seed REF --into DIR`): pulls the run's workspace artifact with the
 * pod's registry credentials and unpacks the checkout into DIR (and the advisory database, when shipped, under
 * it), refusing entries that leave the folder as image layers are.
 */
export async function seedInPod(o: {
  ref: string;
  into: string;
  services: Services;
  insecureHosts: string[];
}): Promise<{ layers: string[] }> {
  const ref = parseReference(o.ref);
  const host = registryApiHost(ref.registry);
  const client = o.services.registry(host, o.insecureHosts.includes(host) ? { insecure: true } : {});
  const { blobs } = await pullArtifact(new RegistryStore(client, ref.repository), referenceTarget(ref), {
    artifactType: WORKSPACE_ARTIFACT,
  });
  const { applyLayer } = await import('../../build/fs/index.ts');
  const done: string[] = [];
  for (const b of blobs) {
    const title = b.annotations?.['org.opencontainers.image.title'];
    const dest = title === WORKSPACE_LAYER ? o.into : title === SCAN_DB_LAYER ? join(o.into, SCAN_DB_DIR) : undefined;
    if (!dest || !title) continue;
    mkdirSync(dest, { recursive: true });
    await applyLayer(dest, Readable.from([b.bytes]), { name: `${o.ref} ${title}` });
    done.push(title);
  }
  if (!done.includes(WORKSPACE_LAYER))
    throw new PipelineError('pipeline_invalid', `${o.ref} has no ${WORKSPACE_LAYER} layer`);
  return { layers: done };
}
