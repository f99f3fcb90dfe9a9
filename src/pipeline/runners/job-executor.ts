// The Kubernetes runner for `run` steps with `image:`: each step runs as a batch/v1 Job in a namespace of a
// real (or sandbox) cluster, with the run's workspace on a PersistentVolumeClaim.
//
//   - workspace: one PVC per run (`<prefix>-ws`), mounted at /workspace in every step Job. It is seeded once,
//     before the first step, by a Job that downloads the checkout as a tar archive from a registry and unpacks
//     it: the checkout is packed on the machine that runs `sekisho ci run` and pushed as an OCI artifact
//     (`<workspaceRepo>:<run>`, one gzip tar layer); the seed Job (`seedImage`, anything with `wget` and `tar`,
//     e.g. busybox) fetches the blob over HTTP(S) from the registry's blob URL. This works on any cluster whose
//     pods reach the registry anonymously (a registry needing credentials is not supported for the seed);
//   - env: every variable of the step (secrets included) goes into a Secret `<job>-env` read with `envFrom`,
//     so no value is in the Job spec; the Secret is deleted with the Job;
//   - outputs: the script appends to $SEKISHO_OUTPUT = /sekisho/outputs, an emptyDir path that is also the
//     container's terminationMessagePath, so the outputs come back in the pod status (4 KiB at most, as
//     Kubernetes allows), and are written to the step's io folder for the runner to parse;
//   - logs: the pod log is followed (pods/log?follow=true) into the step log while the pod runs; when that
//     could not happen (the pod ended before it left Pending for us), the whole log is fetched at the end;
//   - phase: the Job's Complete/Failed condition, exit code from the pod's terminated state;
//   - backoffLimit 0: retries stay with the pipeline runner (each attempt is a new Job); a timeout or a cancel
//     aborts the step's signal, and the Job is deleted with propagationPolicy Foreground (its pod is killed);
//     the step timeout plus 10 s is also the Job's (and its pod's) activeDeadlineSeconds, so the Job ends on
//     its own should the runner die (the runner's timer, which deletes the Job, comes first);
//   - the end of a Job is awaited with a watch on it (re-read and re-watched after `pollMs`, default 250 ms,
//     when the watch breaks).
//   - built-in steps (build, lint, scan, sbom, sign, attest, push, policy-test; `runBuiltin`, with
//     `stepImage`): the Job runs `sekisho ci step` in the Sekisho step image (`sekisho ci step-image`), the
//     request (inputs, env, the secrets the step reads) in its env Secret; the pod answers through its
//     termination message with the digest of a result bundle it pushed to the workspace repository (the
//     record, the report and SARIF files), which is pulled back into the local run folder; `build` Jobs run
//     privileged (a RUN needs a sandbox inside the pod, as with buildah or BuildKit in a pod) unless
//     `privilegedBuild` is false; with a step image the seed Job is `sekisho ci seed` too, so the workspace
//     repository may need credentials: `registrySecret` names a kubernetes.io/dockerconfigjson Secret mounted
//     into the seed and step pods (DOCKER_CONFIG); the advisory database (`scanDb`) is shipped with the seed;
// Changes steps make to the workspace stay on the PVC (later step Jobs see them); they do not come back to
// the local checkout, so steps that run in-process (`promote`, `run` without image) do not see them.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Writable } from 'node:stream';
import type { KubeClient, KubeObject } from '../../kube/index.ts';
import {
  RegistryClient,
  RegistryStore,
  digestOf,
  formatReference,
  pullArtifact,
  pushArtifact,
  parseReference,
  registryApiHost,
} from '../../oci/index.ts';
import { PipelineError } from '../errors.ts';
import type { StepContext, StepExecutor, StepResult } from '../types.ts';
import {
  POD_SCAN_DB,
  POD_WORKSPACE,
  STEP_REQUEST_ENV,
  STEP_RESULT_ARTIFACT,
  STEP_RESULT_MEDIA,
  STEP_RESULT_PATH,
  SCAN_DB_LAYER,
  WORKSPACE_ARTIFACT,
  WORKSPACE_LAYER,
  isStepFileName,
  mapResultPaths,
  secretsRead,
  type StepAnswer,
  type StepRequest,
  type StepResultRecord,
} from './step-request.ts';

export interface JobExecutorOptions {
  client: KubeClient;
  namespace: string;
  /** names every object of this run (lowercase, ≤ 40 characters) */
  runName: string;
  /** where the checkout is pushed for seeding, e.g. `registry.example:5000/sekisho/workspaces` */
  workspaceRepo: string;
  /** image with wget + tar for the seed Job */
  seedImage: string;
  /** registry hosts pushed to / fetched from over plain HTTP besides loopback ones */
  insecureHosts?: string[];
  /** registry credentials for the push */
  credentials?: ConstructorParameters<typeof RegistryClient>[0]['credentials'];
  /** PVC size (default 1Gi) and storage class (default: the cluster's default) */
  storage?: string;
  storageClassName?: string;
  pollMs?: number;
  /** the Sekisho step image built-in steps (and the seed) run in; without it only `run` steps are Jobs */
  stepImage?: string;
  /** a kubernetes.io/dockerconfigjson Secret in the namespace, mounted into the seed and step pods */
  registrySecret?: string;
  /** an advisory database folder on this machine, shipped to the volume with the seed for `scan` steps */
  scanDb?: string;
  /** run `build` step Jobs privileged (default true: a RUN needs a sandbox inside the pod) */
  privilegedBuild?: boolean;
}

/** Where the registrySecret is mounted in the seed and step pods. */
const DOCKER_CONFIG_DIR = '/sekisho-docker';

type Obj = Record<string, unknown>;

/** The Job deadline is the step timeout plus this: the runner's own timer (which deletes the Job) comes first. */
const DEADLINE_GRACE_S = 10;

function dnsName(s: string, max = 63): string {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return n.slice(0, max).replace(/-+$/, '') || 'x';
}

function packCheckout(dir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // the run folders (this run's log is being written) and the build cache are not part of the checkout
    const exclude = ['./.sekisho/runs', './.sekisho/build-cache'].map((p) => `--exclude=${p}`);
    const child = spawn('tar', ['-C', dir, ...exclude, '-czf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new PipelineError('pipeline_step_failed', `packing the checkout ${dir} failed: ${err.trim()}`)),
    );
  });
}

export interface JobExecutor extends StepExecutor {
  /** Runs a built-in step as a Job in the step image; resolves with its result, its files in ctx.runDir. */
  runBuiltin(ctx: StepContext): Promise<StepResult>;
  /** Waits for the Jobs of aborted steps to be deleted, then deletes the run's workspace PVC. */
  cleanup(): Promise<void>;
}

export function jobExecutor(o: JobExecutorOptions): JobExecutor {
  const ns = o.namespace;
  const prefix = dnsName(`sekisho-${o.runName}`, 40);
  const pvcName = `${prefix}-ws`;
  const poll = o.pollMs ?? 250;
  let seeded: Promise<void> | undefined;
  let seq = 0;
  const c = o.client;
  const wait = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });

  const ended = (job: KubeObject): 'Complete' | 'Failed' | undefined => {
    const conds = ((job.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [];
    const d = conds.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
    return d ? (d.type as 'Complete' | 'Failed') : undefined;
  };

  /** Watches the Job (from the resourceVersion it was read at) until its Complete or Failed condition. */
  const waitForEnd = async (name: string, signal: AbortSignal): Promise<'Complete' | 'Failed'> => {
    for (;;) {
      signal.throwIfAborted();
      const job = await c.get('batch/v1', 'Job', name, ns);
      const now = ended(job);
      if (now) return now;
      const ac = new AbortController();
      const stop = () => ac.abort(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const ev of c.watch('batch/v1', 'Job', {
          namespace: ns,
          fieldSelector: `metadata.name=${name}`,
          ...(job.metadata.resourceVersion ? { resourceVersion: job.metadata.resourceVersion } : {}),
          timeoutSeconds: 300,
          signal: ac.signal,
        })) {
          if (ev.type === 'DELETED')
            throw new PipelineError('pipeline_step_failed', `Job ${ns}/${name} was deleted before it ended`);
          if (ev.type === 'ERROR') break; // e.g. 410 Gone: read it again and watch from there
          const e = ended(ev.object);
          if (e) return e;
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (err instanceof PipelineError) throw err;
        // the watch broke (connection closed): read the Job again and watch from there
        await wait(poll, signal);
      } finally {
        signal.removeEventListener('abort', stop);
        ac.abort();
      }
    }
  };

  /**
   * Streams the log of the Job's pod into `out` while it runs (pods/log?follow=true, once the pod has left
   * Pending); resolves with the number of bytes streamed (0: the caller fetches the log at the end instead).
   */
  const followLog = async (
    name: string,
    out: Writable,
    signal: AbortSignal,
    searching: AbortSignal,
  ): Promise<number> => {
    let bytes = 0;
    try {
      for (;;) {
        const pods = await c.list('v1', 'Pod', { namespace: ns, labelSelector: `job-name=${name}` });
        const pod = pods.items.find((p) => ((p.status as Obj | undefined)?.phase ?? 'Pending') !== 'Pending');
        if (pod) {
          const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod.metadata.name ?? '')}/log?follow=true`;
          for await (const chunk of c.streamText(path, signal)) {
            bytes += chunk.length;
            out.write(chunk);
          }
          return bytes;
        }
        if (searching.aborted) return bytes;
        await wait(poll, AbortSignal.any([signal, searching]));
      }
    } catch {
      // the log is fetched whole at the end when following it did not work
      return bytes;
    }
  };

  const removeJob = async (name: string) => {
    for (const [av, kind, n, pol] of [
      ['batch/v1', 'Job', name, 'Foreground'],
      ['v1', 'Secret', `${name}-env`, undefined],
    ] as const) {
      try {
        await c.delete(av, kind, n, ns, pol ? { propagationPolicy: pol } : {});
      } catch (err) {
        if (!((err as { status?: number }).status === 404)) throw err;
      }
    }
  };

  /** Creates the Job (and its env Secret), waits for its end; returns the exit code, the message and the log. */
  const runJob = async (
    name: string,
    container: Obj,
    env: Record<string, string>,
    extraVolumes: Obj[],
    signal: AbortSignal,
    timeoutMs?: number,
    output?: Writable,
  ): Promise<{ exitCode: number; message: string; log: string }> => {
    // the runner's timer deletes the Job at the timeout; the deadline also ends it should the runner die
    const deadline =
      timeoutMs !== undefined ? { activeDeadlineSeconds: Math.ceil(timeoutMs / 1000) + DEADLINE_GRACE_S } : {};
    await c.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-env`, namespace: ns, labels: { 'sekisho.dev/run': prefix } },
      type: 'Opaque',
      // `data`, not `stringData`: the sandbox (unlike kube-apiserver) does not fold stringData into data
      data: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    } as KubeObject);
    try {
      await c.create({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, namespace: ns, labels: { 'sekisho.dev/run': prefix } },
        spec: {
          backoffLimit: 0,
          ...deadline,
          template: {
            metadata: { labels: { 'sekisho.dev/run': prefix } },
            spec: {
              restartPolicy: 'Never',
              ...deadline,
              volumes: [{ name: 'workspace', persistentVolumeClaim: { claimName: pvcName } }, ...extraVolumes],
              containers: [{ ...container, envFrom: [{ secretRef: { name: `${name}-env` } }] }],
            },
          },
        },
      } as KubeObject);
      // the search for the pod stops when the Job ends (a stream already open runs to the log's end)
      const searching = new AbortController();
      const follow = output ? followLog(name, output, signal, searching.signal) : Promise.resolve(0);
      let done: 'Complete' | 'Failed';
      try {
        done = await waitForEnd(name, signal);
      } finally {
        searching.abort();
      }
      const streamed = await follow;
      const pods = await c.list('v1', 'Pod', { namespace: ns, labelSelector: `job-name=${name}` });
      const pod = pods.items[pods.items.length - 1];
      let exitCode = done === 'Complete' ? 0 : 1;
      let message = '';
      let log = '';
      if (pod) {
        const term = (
          ((pod.status as Obj | undefined)?.containerStatuses as Obj[] | undefined)?.[0]?.state as Obj | undefined
        )?.terminated as Obj | undefined;
        if (typeof term?.exitCode === 'number') exitCode = term.exitCode;
        message = String(term?.message ?? '');
        if (!streamed)
          log = await c.requestText(
            `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod.metadata.name ?? '')}/log`,
          );
      }
      if (exitCode === 0 && done === 'Failed') exitCode = 1;
      return { exitCode, message, log };
    } finally {
      await removeJob(name);
    }
  };

  const wsRef = parseReference(o.workspaceRepo);
  const wsHost = registryApiHost(wsRef.registry);
  const wsClient = new RegistryClient({
    host: wsHost,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.insecureHosts?.includes(wsHost) ? { scheme: 'http' as const } : {}),
  });
  const wsStore = new RegistryStore(wsClient, wsRef.repository);
  const wsAt = (target: { tag: string } | { digest: string }) =>
    formatReference({ ...wsRef, tag: undefined, digest: undefined, ...target });
  const insecureArgs = (o.insecureHosts ?? []).flatMap((h) => ['--insecure-registry', h]);
  // pods that talk to registries (the step image's seed and steps) get the registry Secret as DOCKER_CONFIG
  const access: { volumes: Obj[]; mounts: Obj[]; env: Record<string, string> } = o.registrySecret
    ? {
        volumes: [
          {
            name: 'docker-config',
            secret: { secretName: o.registrySecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }] },
          },
        ],
        mounts: [{ name: 'docker-config', mountPath: DOCKER_CONFIG_DIR, readOnly: true }],
        env: { DOCKER_CONFIG: DOCKER_CONFIG_DIR },
      }
    : { volumes: [], mounts: [], env: {} };

  const seed = async (workspace: string, signal: AbortSignal) => {
    await c.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: pvcName, namespace: ns, labels: { 'sekisho.dev/run': prefix } },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: o.storage ?? '1Gi' } },
        ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}),
      },
    } as KubeObject);
    const layer = 'application/vnd.oci.image.layer.v1.tar+gzip';
    const title = 'org.opencontainers.image.title';
    const blobs = [
      { bytes: await packCheckout(workspace), mediaType: layer, annotations: { [title]: WORKSPACE_LAYER } },
    ];
    if (o.scanDb)
      blobs.push({ bytes: await packCheckout(o.scanDb), mediaType: layer, annotations: { [title]: SCAN_DB_LAYER } });
    const manifest = await pushArtifact(wsStore, { artifactType: WORKSPACE_ARTIFACT, blobs, tag: prefix });
    const blobUrl = (b: Buffer) => `${wsClient.baseUrl}/v2/${wsRef.repository}/blobs/${digestOf(b)}`;
    const r = await runJob(
      `${prefix}-seed`,
      o.stepImage
        ? {
            name: 'seed',
            image: o.stepImage,
            args: ['ci', 'seed', wsAt({ digest: manifest.digest }), '--into', POD_WORKSPACE, ...insecureArgs],
            volumeMounts: [{ name: 'workspace', mountPath: POD_WORKSPACE }, ...access.mounts],
          }
        : {
            name: 'seed',
            image: o.seedImage,
            command: [
              'sh',
              '-c',
              'set -e; wget -q -O /tmp/ws.tgz "$WS_URL"; tar -xzf /tmp/ws.tgz -C /workspace; ' +
                'if [ -n "$DB_URL" ]; then mkdir -p "$DB_DIR"; wget -q -O /tmp/db.tgz "$DB_URL"; tar -xzf /tmp/db.tgz -C "$DB_DIR"; fi',
            ],
            volumeMounts: [{ name: 'workspace', mountPath: POD_WORKSPACE }],
          },
      o.stepImage
        ? access.env
        : {
            WS_URL: blobUrl(blobs[0]!.bytes),
            ...(blobs[1] ? { DB_URL: blobUrl(blobs[1].bytes), DB_DIR: POD_SCAN_DB } : {}),
          },
      o.stepImage ? access.volumes : [],
      signal,
    );
    if (r.exitCode !== 0)
      throw new PipelineError(
        'pipeline_step_failed',
        `seeding the workspace volume ${ns}/${pvcName} failed (exit ${r.exitCode}): ${(r.message || r.log).trim()}`,
      );
  };
  const ensureSeeded = async (workspace: string, signal: AbortSignal) => {
    seeded ??= seed(workspace, signal);
    try {
      await seeded;
    } catch (err) {
      seeded = undefined;
      throw err;
    }
  };

  // the runner does not wait for a step it aborted (timeout, cancel): cleanup() waits for those Jobs' deletion
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const drop = () => inFlight.delete(p);
    p.then(drop, drop);
    return p;
  };

  return {
    run: (r) => track(runStep(r)),
    runBuiltin: (ctx) => track(runBuiltin(ctx)),
    async cleanup() {
      await Promise.allSettled([...inFlight]);
      try {
        await c.delete('v1', 'PersistentVolumeClaim', pvcName, ns);
      } catch (err) {
        if (!((err as { status?: number }).status === 404)) throw err;
      }
    },
  };

  async function runStep(r: Parameters<StepExecutor['run']>[0]): Promise<{ exitCode: number }> {
    await ensureSeeded(r.workspace, r.signal);
    const rel = relative(r.workspace, r.cwd);
    if (rel.startsWith('..'))
      throw new PipelineError('pipeline_invalid', `working-directory ${r.cwd} is outside the checkout`);
    const name = dnsName(`${prefix}-${++seq}`, 63);
    const res = await runJob(
      name,
      {
        name: 'step',
        image: r.image,
        workingDir: rel ? `${POD_WORKSPACE}/${rel}` : POD_WORKSPACE,
        command: [r.shell, '-c', `: > /sekisho/outputs; ${r.shell} -e -c "$1"`, 'sekisho-step', r.script],
        terminationMessagePath: '/sekisho/outputs',
        volumeMounts: [
          { name: 'workspace', mountPath: POD_WORKSPACE },
          { name: 'io', mountPath: '/sekisho' },
        ],
      },
      { ...r.env, SEKISHO_WORKSPACE: POD_WORKSPACE },
      [{ name: 'io', emptyDir: {} }],
      r.signal,
      r.timeoutMs,
      r.stdout,
    );
    if (res.log) r.stdout.write(res.log);
    writeFileSync(join(r.ioDir, 'outputs'), res.message);
    return { exitCode: res.exitCode };
  }

  async function runBuiltin(ctx: StepContext): Promise<StepResult> {
    const id = ctx.step.id;
    if (!o.stepImage)
      throw new PipelineError(
        'pipeline_invalid',
        `step ${id} (uses: ${ctx.step.uses}) runs as a Job only in the Sekisho step image: pass --step-image`,
      );
    await ensureSeeded(ctx.workspace, ctx.signal);
    const name = dnsName(`${prefix}-${++seq}-${id}`, 63);
    const secrets: Record<string, string> = {};
    for (const n of secretsRead(ctx.step.uses, ctx.inputs)) secrets[n] = ctx.secret(n);
    const request: StepRequest = {
      uses: ctx.step.uses,
      step: ctx.step,
      inputs: ctx.inputs,
      env: ctx.env,
      secrets,
      runId: ctx.runId,
      attempt: ctx.attempt,
      insecureHosts: o.insecureHosts ?? [],
      result: wsAt({ tag: name }),
      ...(o.scanDb ? { scanDb: POD_SCAN_DB } : {}),
    };
    const out = ctx.logStream();
    const privileged = ctx.step.uses === 'build' && o.privilegedBuild !== false;
    ctx.log(`step Job ${ns}/${name} in ${o.stepImage}${privileged ? ' (privileged)' : ''}`);
    const res = await runJob(
      name,
      {
        name: 'step',
        image: o.stepImage,
        args: ['ci', 'step'],
        workingDir: POD_WORKSPACE,
        terminationMessagePath: STEP_RESULT_PATH,
        volumeMounts: [
          { name: 'workspace', mountPath: POD_WORKSPACE },
          { name: 'io', mountPath: '/sekisho' },
          ...access.mounts,
        ],
        ...(privileged ? { securityContext: { privileged: true } } : {}),
      },
      { [STEP_REQUEST_ENV]: JSON.stringify(request), ...access.env },
      [{ name: 'io', emptyDir: {} }, ...access.volumes],
      ctx.signal,
      ctx.step.timeoutMs,
      out,
    );
    if (res.log) out.write(res.log);
    let answer: StepAnswer | undefined;
    try {
      answer = JSON.parse(res.message) as StepAnswer;
    } catch {
      answer = undefined;
    }
    if (!answer || (!('bundle' in answer) && !('error' in answer)))
      throw new PipelineError(
        'pipeline_step_failed',
        `step Job ${ns}/${name} ended (exit ${res.exitCode}) without a result${res.message ? `: ${res.message.trim().slice(0, 500)}` : ''}`,
      );
    if ('error' in answer) throw new PipelineError('pipeline_step_failed', answer.error);
    return readBundle(ctx, answer.bundle);
  }

  /** Pulls a step's result bundle: its files into the local run folder, the record as a StepResult. */
  async function readBundle(ctx: StepContext, digest: string): Promise<StepResult> {
    const id = ctx.step.id;
    const { blobs } = await pullArtifact(wsStore, digest, { artifactType: STEP_RESULT_ARTIFACT });
    const recordBlob = blobs.find((b) => b.mediaType === STEP_RESULT_MEDIA);
    if (!recordBlob)
      throw new PipelineError('pipeline_step_failed', `step ${id}: the result bundle ${digest} has no result record`);
    const record = JSON.parse(recordBlob.bytes.toString('utf8')) as StepResultRecord;
    const local = (name: string) => {
      if (!isStepFileName(id, name))
        throw new PipelineError(
          'pipeline_step_failed',
          `step ${id}: the result bundle names a file ${JSON.stringify(name)}`,
        );
      return join(ctx.runDir, name);
    };
    for (const b of blobs) {
      const name = b.annotations?.['org.opencontainers.image.title'];
      if (b === recordBlob || name === undefined) continue;
      writeFileSync(local(name), b.bytes);
    }
    return mapResultPaths(record, local);
  }
}
