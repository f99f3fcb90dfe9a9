// `build`: Dockerfile → OCI image with src/build's build(). Inputs: context (default .), dockerfile, tags,
// build-args, target, secrets (build secret id → pipeline secret name), push, output (oci:DIR for a layout
// directory, or a tar path), cache-dir, source-date-epoch, network, no-cache. Outputs: digest (manifest),
// config-digest, image (first tag's repository @ digest), cached-steps, steps, provenance (the build's SLSA v1
// predicate as a JSON file, for an `attest` step with type slsaprovenance1).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  gitSource,
  hostPlatformString,
  slsaProvenance,
  type BuildOptions,
  type OutputSpec,
} from '../../build/index.ts';
import { formatReference, parseReference } from '../../oci/index.ts';
import { PipelineError } from '../errors.ts';
import type { StepContext, StepResult } from '../types.ts';
import { Inputs } from './inputs.ts';

export async function buildStep(ctx: StepContext): Promise<StepResult> {
  const build = ctx.services.build;
  if (!build) throw new PipelineError('pipeline_invalid', 'the image builder is not available in this runner');
  const i = new Inputs(ctx);
  const contextDir = i.path('context', '.');
  const tags = i.list('tags');
  const outputs: OutputSpec[] = [];
  const output = i.optStr('output');
  let layoutDir: string | undefined;
  if (output !== undefined) {
    if (output.startsWith('oci:')) {
      const p = output.slice(4);
      layoutDir = isAbsolute(p) ? p : resolve(ctx.workspace, p);
      outputs.push({ type: 'oci', dest: layoutDir, tar: false, ...(tags[0] ? { name: tags[0] } : {}) });
    } else outputs.push({ type: 'oci', dest: i.path('output'), ...(tags[0] ? { name: tags[0] } : {}) });
  }
  const push = i.bool('push', false);
  if (outputs.length === 0 && !push) layoutDir = ctx.artifact('oci');
  if (layoutDir && outputs.length === 0)
    outputs.push({ type: 'oci', dest: layoutDir, tar: false, ...(tags[0] ? { name: tags[0] } : {}) });
  if (push && tags.length === 0) throw new PipelineError('pipeline_invalid', `step ${ctx.step.id}: push needs tags`);

  // build secrets come from pipeline secrets, through files only the build reads
  const secretDir = ctx.artifact('secrets');
  const secrets: BuildOptions['secrets'] = {};
  const secretMap = i.map('secrets');
  if (Object.keys(secretMap).length) mkdirSync(secretDir, { recursive: true, mode: 0o700 });
  for (const [id, name] of Object.entries(secretMap)) {
    const f = join(secretDir, id.replace(/[^A-Za-z0-9_.-]/g, '_'));
    writeFileSync(f, ctx.secret(name), { mode: 0o600 });
    secrets[id] = { src: f };
  }
  const sde = i.optStr('source-date-epoch');
  const network = i.optStr('network');
  if (network !== undefined && network !== 'none' && network !== 'host')
    throw new PipelineError('pipeline_invalid', `build: network must be none or host`);
  const started = Date.now();
  const startedOn = ctx.services.now();
  try {
    const opts: BuildOptions = {
      contextDir,
      ...(i.has('dockerfile') ? { dockerfile: i.path('dockerfile') } : {}),
      tags,
      buildArgs: i.map('build-args'),
      ...(i.has('target') ? { target: i.str('target') } : {}),
      secrets,
      cacheDir: i.optPath('cache-dir') ?? ctx.services.buildCacheDir ?? join(ctx.workspace, '.sekisho', 'build-cache'),
      outputs,
      push,
      noCache: i.bool('no-cache', false),
      ...(sde !== undefined ? { sourceDateEpoch: Number(sde) } : {}),
      ...(network ? { network } : {}),
      ...(ctx.services.buildRegistry ? { registry: ctx.services.buildRegistry } : {}),
      progress: (ev) => {
        if (ev.kind === 'step-start') ctx.log(`#${ev.id} [${ev.stage} ${ev.step}/${ev.steps}] ${ev.text}`);
        else if (ev.kind === 'step-done')
          ctx.log(`#${ev.id} ${ev.cached ? 'CACHED' : `DONE ${(ev.ms / 1000).toFixed(1)}s`}`);
        else if (ev.kind === 'step-error') ctx.log(`#${ev.id} ERROR ${ev.message}`);
        else if (ev.kind === 'log') ctx.log(`#${ev.id} ${ev.data.replace(/\n$/, '')}`);
        else ctx.log(ev.message);
      },
      signal: ctx.signal,
    };
    const r = await build(opts);
    // the build's provenance, for `attest` (type slsaprovenance1) to sign and attach
    const provenance = ctx.artifact('provenance.json');
    const git = await gitSource(contextDir);
    const predicate = slsaProvenance({
      result: r,
      opts,
      names: tags.map((t) => formatReference({ ...parseReference(t), tag: undefined, digest: undefined })),
      platform: hostPlatformString(),
      startedOn,
      finishedOn: ctx.services.now(),
      ...(git ? { git } : {}),
      builderId: 'https://sekisho.dev/builder/pipeline@v1',
      invocationId: `urn:sekisho:pipelinerun:${ctx.runId}:${ctx.step.id}`,
    });
    writeFileSync(provenance, `${JSON.stringify(predicate, null, 2)}\n`);
    const cached = r.steps.filter((s) => s.cached).length;
    const first = tags[0];
    const image = first
      ? `${formatReference({ ...parseReference(first), tag: undefined, digest: undefined })}@${r.manifestDigest}`
      : layoutDir
        ? `oci:${layoutDir}@${r.manifestDigest}`
        : r.manifestDigest;
    const layout = layoutDir ? `oci:${layoutDir}@${r.manifestDigest}` : '';
    ctx.log(
      `built ${r.manifestDigest} in ${((Date.now() - started) / 1000).toFixed(1)}s (${cached}/${r.steps.length} steps cached)`,
    );
    return {
      summary: `${r.manifestDigest} (${cached}/${r.steps.length} steps cached)`,
      outputs: {
        digest: r.manifestDigest,
        'config-digest': r.configDigest,
        image,
        ...(layout ? { layout } : {}),
        steps: String(r.steps.length),
        'cached-steps': String(cached),
        provenance,
      },
    };
  } finally {
    rmSync(secretDir, { recursive: true, force: true });
  }
}
