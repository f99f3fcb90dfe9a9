// The checkpoints of the reference flow, in order. Each row is a DemoStep; the runner times it, records
// its outcome against the expected one, and stops at the first step that cannot run (an `error`).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  API_VERSION,
  REFRESH_ANNOTATION,
  Renderer,
  spawnRunner,
  type Application,
  type AppProject,
} from '../../gitops/index.ts';
import { KubeError, type KubeObject } from '../../kube/index.ts';
import { CI_NAMESPACE, editKustomization, type PipelineRun } from '../../pipeline/index.ts';
import { createRepo } from '../../server/index.ts';
import { DemoError } from './errors.ts';
import { bareRepoExists, git, tokenEnv, WorkRepo } from './git.ts';
import { appImage, pushImage } from './image.ts';
import {
  changeRequestOf,
  pipelineYaml,
  PIPELINE_STEPS,
  preparePipeline,
  runsOf,
  stepOf,
  verifyWithDemoKey,
} from './pipeline.ts';
import { checkManifests } from './policies.ts';
import { CR_NAMESPACE, crName, openChangeRequest, recordMerge, recordPolicy } from './change-request.ts';
import type { DemoContext, DemoStep, StepResult } from './types.ts';

export const APP_REPO = 'demo-app';
export const CONFIG_REPO = 'demo-config';
export const APP_NAME = 'demo-app';
export const APP_NAMESPACE = 'sekisho-demo';
export const DEMO_PROJECT = 'sekisho-demo';
const IN_CLUSTER = 'https://kubernetes.default.svc';
const FIELD_MANAGER = 'sekisho-demo';

function repoPath(ctx: DemoContext, name: string): string {
  return join(ctx.env.gitRoot, `${name}.git`);
}

/** The remote the demo pushes to: the git server over HTTP with the token, else the bare repo's path. */
function remoteOf(ctx: DemoContext, name: string): { url: string; env: Record<string, string> } {
  return ctx.env.token
    ? { url: `${ctx.env.gitUrl}/${name}.git`, env: tokenEnv(ctx.env.token) }
    : { url: repoPath(ctx, name), env: {} };
}

async function workClone(ctx: DemoContext, name: string): Promise<WorkRepo> {
  const dir = join(ctx.workDir, 'work', name);
  const { url, env } = remoteOf(ctx, name);
  if (existsSync(join(dir, '.git'))) {
    const r = new WorkRepo(dir, url, env);
    // the git server listens on a new port at each start
    await r.run('remote', 'set-url', 'origin', url);
    await r.run('fetch', '--quiet', '--prune', 'origin');
    await r.run('checkout', '--quiet', '-B', 'main', 'origin/main');
    await r.run('reset', '--quiet', '--hard', 'origin/main');
    await r.run('clean', '-fdxq');
    return r;
  }
  return WorkRepo.clone(url, dir, env);
}

/** Creates a repository on the git server: through the API with the token, else in its folder. */
async function ensureRepo(ctx: DemoContext, name: string): Promise<boolean> {
  if (!ctx.env.token) {
    if (bareRepoExists(ctx.env.gitRoot, name)) return false;
    await createRepo(ctx.env.gitRoot, name);
    return true;
  }
  const r = await fetch(`${ctx.env.apiUrl}/api/v1/git/repositories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.env.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const text = await r.text();
  if (r.status === 201) return true;
  if (r.status === 409) return false;
  throw new DemoError(
    'demo_step_failed',
    `POST /api/v1/git/repositories ${name} answered ${r.status}: ${text.slice(0, 300)}`,
  );
}

function need(ctx: DemoContext, key: string): string {
  const v = ctx.state.get(key);
  if (v === undefined) throw new DemoError('demo_step_failed', `internal: no ${key} from an earlier step`);
  return v;
}

/** Polls `f` until it returns a value (the platform's loops settle it); fails after ctx.waitMs. */
async function until<T>(ctx: DemoContext, what: string, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ctx.waitMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new DemoError(
        'demo_timeout',
        `timed out after ${ctx.waitMs / 1000}s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
        {
          ...(last ? { cause: last } : {}),
        },
      );
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function getApp(ctx: DemoContext): Promise<Application | undefined> {
  try {
    return await ctx.kube.get<Application>(API_VERSION, 'Application', APP_NAME, ctx.env.appNamespace);
  } catch (e) {
    if (e instanceof KubeError && e.status === 404) return undefined;
    throw e;
  }
}

async function refreshApp(ctx: DemoContext): Promise<void> {
  await ctx.kube.patch(
    API_VERSION,
    'Application',
    APP_NAME,
    ctx.env.appNamespace,
    { metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } } },
    'merge',
  );
}

/** Renders `ref` of the config repo (Kustomize, as the controller does) and runs the policy check on it. */
async function policyCheck(ctx: DemoContext, ref: string): Promise<StepResult> {
  const repo = await workClone(ctx, CONFIG_REPO);
  await repo.run('checkout', '--quiet', '--detach', `origin/${ref}`);
  const sha = await repo.head();
  const rendered = await new Renderer({ run: spawnRunner }).render(repo.dir, sha, {
    repoURL: repo.remote,
    path: 'app',
  });
  const dir = join(ctx.workDir, 'checks');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${ref.replace(/[^\w.-]+/g, '_')}-${sha.slice(0, 12)}.yaml`);
  writeFileSync(file, rendered.objects.map((o) => stringify(o)).join('---\n'));
  const check = await checkManifests(ctx.policies, [file]);
  await recordPolicy(ctx, ref, { ...check, commit: sha, file });
  const cmd = `sekisho policy test -p ${ctx.policies.regoDir} -d ${ctx.policies.dataDir} ${file}`;
  return {
    outcome: check.passed ? 'pass' : 'fail',
    detail: check.passed
      ? `${rendered.objects.length} rendered objects of ${ref} pass ${ctx.policies.constraints.length} constraints`
      : `${check.failures.length} violation(s) in ${ref}: ${check.failures.join('; ')}`,
    look: [file, cmd, crLook(ctx, ref)],
    data: { ref, commit: sha, file, failures: check.failures, warnings: check.warnings },
  };
}

/** Commits the edit on a fresh branch `demo/<name>` from main and pushes it (replacing an older one). */
async function branchChange(
  ctx: DemoContext,
  branch: string,
  message: string,
  edit: (dir: string) => void,
  image?: string,
): Promise<StepResult> {
  const repo = await workClone(ctx, CONFIG_REPO);
  await repo.run('checkout', '--quiet', '-B', branch);
  edit(repo.dir);
  const { sha } = await repo.commitAll(message);
  await repo.run('push', '--quiet', '--force', 'origin', `${branch}:refs/heads/${branch}`);
  const diff = await repo.run('diff', '--stat', 'origin/main', sha);
  const files = (await repo.run('diff', '--name-only', 'origin/main', sha)).split('\n').filter((f) => f !== '');
  ctx.state.set(`branch:${branch}`, sha);
  const cr = await openChangeRequest(ctx, {
    branch,
    title: message,
    head: sha,
    base: await repo.run('rev-parse', 'origin/main'),
    files,
    repo: `${ctx.env.gitUrl}/${CONFIG_REPO}.git`,
    ...(image ? { image } : {}),
  });
  return {
    outcome: 'pass',
    detail: `change request ${CR_NAMESPACE}/${cr.metadata.name}: branch ${branch} at ${sha.slice(0, 12)} (${diff.split('\n').at(-1)?.trim() ?? ''})`,
    look: [
      `git -C ${repo.dir} show ${sha.slice(0, 12)}`,
      `${ctx.env.gitUrl}/${CONFIG_REPO}.git (branch ${branch})`,
      crLook(ctx, branch),
    ],
    data: { branch, commit: sha, changeRequest: cr.metadata.name, files },
  };
}

/** Merges `branch` into main with a merge commit (whatever the policy check said) and pushes main. */
async function merge(ctx: DemoContext, branch: string, key: string): Promise<StepResult> {
  const repo = await workClone(ctx, CONFIG_REPO);
  await repo.run('merge', '--quiet', '--no-ff', '-m', `Merge ${branch}`, `origin/${branch}`);
  const sha = await repo.head();
  await repo.run('push', '--quiet', 'origin', 'main');
  await repo.run('push', '--quiet', 'origin', '--delete', branch);
  ctx.state.set(key, sha);
  const { note, cr } = await recordMerge(ctx, branch, sha);
  if (!cr)
    throw new DemoError('demo_step_failed', `no ChangeRequest ${CR_NAMESPACE}/${crName(branch, ctx)} to mark merged`);
  if (await getApp(ctx)) await refreshApp(ctx);
  return {
    outcome: 'pass',
    detail: `change request ${crName(branch, ctx)} merged into main at ${sha.slice(0, 12)}${note ? ` (${note})` : ''}`,
    look: [`git -C ${repo.dir} log --oneline -3`, crLook(ctx, branch)],
    data: {
      branch,
      commit: sha,
      changeRequest: cr.metadata.name,
      phase: cr.status?.phase,
      policy: cr.status?.policy?.result,
      ...(cr.spec.pipelineRun ? { pipelineRun: cr.spec.pipelineRun } : {}),
      ...(note ? { note } : {}),
    },
  };
}

/** The PipelineRun the push started (the 'pipeline' checkpoint found it). */
async function runOf(ctx: DemoContext): Promise<PipelineRun> {
  const name = need(ctx, 'run:name');
  const [run] = (await runsOf(ctx, need(ctx, `head:${APP_REPO}`))).filter((r) => r.metadata.name === name);
  if (!run) throw new DemoError('demo_step_failed', `PipelineRun ${CI_NAMESPACE}/${name} is gone`);
  return run;
}

function crLook(ctx: DemoContext, branch: string): string {
  return ctx.kubectl(`-n ${CR_NAMESPACE} get changerequests.ci.sekisho.dev ${crName(branch, ctx)} -o yaml`);
}

function appLook(ctx: DemoContext): string[] {
  return [
    `${ctx.env.apiUrl}/api/v1/applications/${ctx.env.appNamespace}/${APP_NAME}`,
    ctx.kubectl(`-n ${ctx.env.appNamespace} get applications.gitops.sekisho.dev ${APP_NAME} -o yaml`),
    ctx.kubectl(`-n ${APP_NAMESPACE} get deploy,rs,pods,svc`),
  ];
}

/** Waits until the app has synced `revision` and is Healthy. */
async function waitHealthy(ctx: DemoContext, revision: string): Promise<StepResult> {
  const app = await until(ctx, `Application ${APP_NAME} Synced and Healthy at ${revision.slice(0, 12)}`, async () => {
    const a = await getApp(ctx);
    const st = a?.status;
    if (
      st?.sync?.revision === revision &&
      st.sync.status === 'Synced' &&
      st.health?.status === 'Healthy' &&
      st.operationState?.phase !== 'Running'
    )
      return a;
    return undefined;
  });
  const dep = await ctx.kube.get('apps/v1', 'Deployment', APP_NAME, APP_NAMESPACE);
  const image = (dep as { spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } } }).spec?.template
    ?.spec?.containers?.[0]?.image;
  const status = (dep as { status?: { readyReplicas?: number; replicas?: number } }).status;
  return {
    outcome: 'pass',
    detail: `Synced and Healthy at ${revision.slice(0, 12)}; Deployment ${APP_NAME} admitted with ${image ?? '?'} (${status?.readyReplicas ?? 0}/${status?.replicas ?? 0} ready)`,
    look: appLook(ctx),
    data: {
      revision,
      sync: app.status?.sync?.status,
      health: app.status?.health?.status,
      image,
      operation: app.status?.operationState?.phase,
    },
  };
}

function editKustomizationImage(dir: string, repository: string, digest: string): void {
  const file = join(dir, 'app', 'kustomization.yaml');
  const r = editKustomization(
    readFileSync(file, 'utf8'),
    { name: 'demo-app', repository, digest },
    'app/kustomization.yaml',
  );
  writeFileSync(file, r.text);
}

export const DEMO_STEPS: DemoStep[] = [
  {
    id: 'repos',
    title: 'app repo and config repo on the platform git server',
    async run(ctx) {
      const made: string[] = [];
      for (const name of [APP_REPO, CONFIG_REPO]) if (await ensureRepo(ctx, name)) made.push(name);
      const repo = await workClone(ctx, CONFIG_REPO);
      // branches left by an earlier run (the demo's and the pipeline's promotions) are removed, so the change
      // requests start clean
      for (const prefix of ['demo/', 'sekisho/'])
        for (const b of await repo.remoteBranches(prefix)) await repo.run('push', '--quiet', 'origin', '--delete', b);
      repo.replaceTree(join(ctx.examplesDir, 'config'));
      const { sha, changed } = await repo.commitAll(
        made.includes(CONFIG_REPO) ? 'Initial commit (sekisho demo)' : 'Reset to the demo template',
      );
      if (changed) await repo.run('push', '--quiet', 'origin', 'main');
      ctx.state.set(`head:${CONFIG_REPO}`, sha);
      // the repositories answer over smart HTTP, as a developer would clone them
      const url = `${ctx.env.gitUrl}/${CONFIG_REPO}.git`;
      const remote = await git(['ls-remote', url, 'refs/heads/main']);
      if (!remote.startsWith(sha))
        throw new DemoError('demo_step_failed', `${url} does not serve main at ${sha}: ${remote}`);
      const how = ctx.env.token ? 'pushed over smart HTTP with an API token' : `written in ${ctx.env.gitRoot}`;
      return {
        outcome: 'pass',
        detail: `${made.length ? `created ${made.join(', ')}` : 'reused demo-app, demo-config'}; ${CONFIG_REPO} main at ${sha.slice(0, 12)} (${how})`,
        look: [`git clone ${ctx.env.gitUrl}/${APP_REPO}.git`, `git clone ${url}`],
        data: { created: made, configMain: sha },
      };
    },
  },
  {
    id: 'policies',
    title: 'policies installed: ConstraintTemplates and constraints enforced by admission',
    async run(ctx) {
      for (const t of ctx.policies.templates) await ctx.kube.apply(t, { fieldManager: FIELD_MANAGER, force: true });
      // the namespace the constraints match, so the probe below reaches admission
      await ctx.kube.apply(
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: APP_NAMESPACE,
            labels: { 'app.kubernetes.io/name': APP_NAME, 'app.kubernetes.io/part-of': 'sekisho-demo' },
          },
        },
        { fieldManager: FIELD_MANAGER, force: true },
      );
      for (const c of ctx.policies.constraints)
        await until(ctx, `the CRD of ${c.kind} (template compiled)`, async () => {
          await ctx.kube.discover(true);
          return ctx.kube.apply(c, { fieldManager: FIELD_MANAGER, force: true });
        });
      // a server-side dry run of a root Deployment must be denied once the webhook holds the constraints
      const probe: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'demo-admission-probe',
          namespace: APP_NAMESPACE,
          labels: { 'app.kubernetes.io/name': 'probe', 'app.kubernetes.io/part-of': 'sekisho-demo' },
        },
        spec: {
          selector: { matchLabels: { app: 'probe' } },
          template: {
            metadata: { labels: { app: 'probe' } },
            spec: {
              securityContext: { runAsUser: 0 },
              containers: [{ name: 'c', image: `${ctx.registryHost}/demo/app:latest` }],
            },
          },
        },
      };
      const denial = await until(ctx, 'admission to deny a root container (dry run)', async () => {
        try {
          await ctx.kube.create(probe, { dryRun: true, fieldManager: FIELD_MANAGER });
          return undefined;
        } catch (e) {
          if (e instanceof KubeError && /denied/.test(e.message) && /demo-run-as-non-root/.test(e.message))
            return e.message;
          throw e;
        }
      });
      return {
        outcome: 'pass',
        detail: `${ctx.policies.templates.length} templates, ${ctx.policies.constraints.length} constraints; a root Deployment (dry run) is denied`,
        look: [
          ctx.kubectl('get constrainttemplates'),
          ctx.kubectl('get constraints'),
          `${ctx.env.apiUrl}/api/v1/policies/constraints`,
          ctx.policies.dir,
        ],
        data: {
          templates: ctx.policies.templates.map((t) => t.metadata.name),
          constraints: ctx.policies.constraints.map((c) => `${c.kind}/${c.metadata.name}`),
          probeDenial: denial,
        },
      };
    },
  },
  {
    id: 'commit',
    title: 'a commit to the app repo (Dockerfile, app, .sekisho/pipeline.yaml) pushed to the git server',
    async run(ctx) {
      const prep = await preparePipeline(ctx);
      const repo = await workClone(ctx, APP_REPO);
      repo.replaceTree(join(ctx.examplesDir, 'app'));
      mkdirSync(join(repo.dir, '.sekisho'), { recursive: true });
      writeFileSync(
        join(repo.dir, '.sekisho', 'pipeline.yaml'),
        pipelineYaml({
          keyFile: prep.keyFile,
          db: prep.db,
          configRepo: repoPath(ctx, CONFIG_REPO),
          kubeconfig: ctx.env.kubeconfigPath,
        }),
      );
      // always a new commit: the push trigger runs each commit once, and each demo run wants its own run
      await repo.run('add', '-A');
      await repo.run('commit', '--quiet', '--allow-empty', '-m', `demo-app (sekisho demo ${new Date().toISOString()})`);
      const sha = await repo.head();
      await repo.run('push', '--quiet', 'origin', 'main');
      const url = `${ctx.env.gitUrl}/${APP_REPO}.git`;
      const remote = await git(['ls-remote', url, 'refs/heads/main']);
      if (!remote.startsWith(sha))
        throw new DemoError('demo_step_failed', `${url} does not serve main at ${sha}: ${remote}`);
      ctx.state.set(`head:${APP_REPO}`, sha);
      ctx.state.set('pushed:at', String(Date.now()));
      const files = (await repo.run('ls-files')).split('\n').filter((f) => f !== '');
      return {
        outcome: 'pass',
        detail: `${APP_REPO} main at ${sha.slice(0, 12)} (${files.join(', ')}); the run reads base image base/busybox@${prep.baseDigest.slice(7, 19)}, the key ${prep.keyFile} and an advisory database of ${prep.advisories} advisories (${prep.db})`,
        look: [`git -C ${repo.dir} show --stat ${sha.slice(0, 12)}`, join(repo.dir, '.sekisho', 'pipeline.yaml')],
        data: { commit: sha, files, keyFile: prep.keyFile, advisoryDb: prep.db, advisories: prep.advisories },
      };
    },
  },
  {
    id: 'pipeline',
    title: `the push started a PipelineRun in ${CI_NAMESPACE} (${PIPELINE_STEPS.join(', ')}): Succeeded`,
    async run(ctx) {
      const commit = need(ctx, `head:${APP_REPO}`);
      const pushedAt = Number(need(ctx, 'pushed:at'));
      const what = `the PipelineRun of ${APP_REPO} ${commit.slice(0, 12)} in ${CI_NAMESPACE} to finish (the platform's pipeline runner starts it on the push; \`sekisho up --no-ci\` has none)`;
      const run = await until(ctx, what, async () => {
        const [r] = await runsOf(ctx, commit);
        const phase = r?.status?.phase;
        return r && phase !== 'Running' && phase !== 'Pending' ? r : undefined;
      });
      const waitedMs = Date.now() - pushedAt;
      ctx.state.set('run:name', run.metadata.name);
      const steps = run.status.steps.map((st) => ({
        id: st.id,
        phase: st.phase,
        ms: st.durationMs ?? 0,
        ...(st.message ? { message: st.message } : {}),
      }));
      const ids = steps.map((st) => st.id).join(',');
      const succeeded =
        run.status.phase === 'Succeeded' &&
        ids === PIPELINE_STEPS.join(',') &&
        steps.every((st) => st.phase === 'Succeeded');
      const trigger = run.metadata.labels?.['ci.sekisho.dev/trigger'] ?? 'unknown';
      const look = [
        ctx.kubectl(`-n ${CI_NAMESPACE} get pipelineruns.ci.sekisho.dev ${run.metadata.name} -o yaml`),
        `${ctx.env.apiUrl}/api/v1/pipelineruns/${run.metadata.name}`,
        run.status.runDir,
      ];
      const data = { run: run.metadata.name, trigger, phase: run.status.phase, steps, pushToFinishMs: waitedMs };
      if (!succeeded)
        return {
          outcome: 'fail',
          detail: `PipelineRun ${run.metadata.name} ${run.status.phase}${run.status.message ? `: ${run.status.message}` : ''}; ${steps.map((st) => `${st.id} ${st.phase}${st.message ? ` (${st.message})` : ''}`).join(', ')}`,
          look,
          data,
        };
      if (trigger !== 'push')
        throw new DemoError(
          'demo_step_failed',
          `PipelineRun ${run.metadata.name} was started by ${trigger}, not by the push`,
        );
      return {
        outcome: 'pass',
        detail: `PipelineRun ${CI_NAMESPACE}/${run.metadata.name} (trigger push) Succeeded ${waitedMs} ms after the push: ${steps.map((st) => `${st.id} ${st.ms} ms`).join(', ')}`,
        look,
        data,
      };
    },
  },
  {
    id: 'lint',
    title: "the run's lint step: the app's Dockerfile passes the hadolint rules (threshold error)",
    async run(ctx) {
      const run = await runOf(ctx);
      const st = stepOf(run, 'lint');
      const report = st.reportPath && existsSync(st.reportPath) ? readFileSync(st.reportPath, 'utf8') : undefined;
      if (report === undefined)
        throw new DemoError('demo_step_failed', `the lint step of ${run.metadata.name} kept no report`);
      return {
        outcome: st.phase === 'Succeeded' ? 'pass' : 'fail',
        detail: `lint ${st.phase}: ${st.message ?? 'no findings'}`,
        look: [st.reportPath!, st.logPath],
        data: { phase: st.phase, report: st.reportPath, message: st.message },
      };
    },
  },
  {
    id: 'image',
    title: "the run built the app's image, scanned it, made its SBOM and pushed it to the embedded registry",
    async run(ctx) {
      const run = await runOf(ctx);
      const commit = need(ctx, `head:${APP_REPO}`);
      const push = stepOf(run, 'push');
      const digest = push.outputs.digest ?? '';
      if (!/^sha256:[0-9a-f]{64}$/.test(digest))
        throw new DemoError('demo_step_failed', `the push step of ${run.metadata.name} gave no digest`);
      const built = stepOf(run, 'build').outputs.digest;
      if (built !== digest)
        throw new DemoError('demo_step_failed', `the build made ${built ?? '?'}, the push step pushed ${digest}`);
      // the registry serves the commit's tag at the pushed digest
      const m = await ctx.registry.getManifest('demo/app', commit);
      if (m.digest !== digest)
        return {
          outcome: 'fail',
          detail: `registry has ${m.digest} under demo/app:${commit}, the run pushed ${digest}`,
          look: [`${ctx.env.registryUrl}/v2/demo/app/tags/list`],
        };
      const ref = `${ctx.registryHost}/demo/app@${digest}`;
      ctx.state.set('image:digest', digest);
      ctx.state.set('image:ref', ref);
      const scan = stepOf(run, 'scan');
      const sbom = stepOf(run, 'sbom');
      return {
        outcome: 'pass',
        detail: `${ref} (tag ${commit.slice(0, 12)}…) built by the run (${stepOf(run, 'build').message ?? ''}); scan: ${scan.message ?? scan.phase}; sbom: ${sbom.message ?? sbom.phase}`,
        look: [
          `${ctx.env.registryUrl}/v2/demo/app/tags/list`,
          `sekisho image inspect ${ref}`,
          ...(scan.reportPath ? [scan.reportPath] : []),
          ...(sbom.outputs.path ? [sbom.outputs.path] : []),
        ],
        data: { image: ref, digest, scan: scan.message, sbom: sbom.outputs.path, packages: sbom.outputs.packages },
      };
    },
  },
  {
    id: 'sign',
    title: "the run signed and attested the image (cosign format): verified with the demo's public key",
    async run(ctx) {
      const run = await runOf(ctx);
      const digest = need(ctx, 'image:digest');
      const sign = stepOf(run, 'sign');
      const attest = stepOf(run, 'attest');
      const verified = await verifyWithDemoKey(ctx, digest);
      // the attestation is an image under the .att tag the attest step named
      const attTag = attest.outputs.tag ?? '';
      const att = attTag ? await ctx.registry.getManifest('demo/app', attTag).catch(() => undefined) : undefined;
      const pubFile = need(ctx, 'sign:publicKeyFile');
      const ok = verified > 0 && att !== undefined;
      return {
        outcome: ok ? 'pass' : 'fail',
        detail: ok
          ? `signature ${sign.outputs['signature-tag']} verified with ${pubFile}; ${attest.outputs['predicate-type']} attestation at ${attTag}`
          : `signature verified: ${verified}; attestation ${attTag || 'none'}: ${att ? 'present' : 'missing'}`,
        look: [
          `sekisho verify --key ${pubFile} ${ctx.registryHost}/demo/app@${digest}`,
          `sekisho verify-attestation --key ${pubFile} --type cyclonedx ${ctx.registryHost}/demo/app@${digest}`,
        ],
        data: {
          signatureTag: sign.outputs['signature-tag'],
          attestationTag: attTag,
          predicateType: attest.outputs['predicate-type'],
          verified,
        },
      };
    },
  },
  {
    id: 'change',
    title: `the run's promote step opened a ChangeRequest in ${CI_NAMESPACE}: the new digest on a branch of the config repo, what-if preview Passed`,
    async run(ctx) {
      const run = await runOf(ctx);
      const promote = stepOf(run, 'promote');
      const name = promote.outputs['change-request'];
      const branch = promote.outputs.branch;
      if (!name || !branch)
        throw new DemoError('demo_step_failed', `the promote step of ${run.metadata.name} opened no change request`);
      const cr = await changeRequestOf(ctx, name);
      const digest = need(ctx, 'image:digest');
      ctx.state.set(`cr:${branch}`, name);
      ctx.state.set('promote:branch', branch);
      const imageOk = cr.spec.images.some((i) => i.image.endsWith(`@${digest}`));
      const head = (await git(['ls-remote', `${ctx.env.gitUrl}/${CONFIG_REPO}.git`, `refs/heads/${branch}`])).split(
        '\t',
      )[0];
      const whatIf = cr.status?.whatIf;
      const ok =
        imageOk &&
        cr.spec.pipelineRun === run.metadata.name &&
        head === cr.status?.headCommit &&
        whatIf?.result === 'Passed' &&
        whatIf.commit === head;
      const actions = (whatIf?.resources ?? []).map((r) => `${r.kind}/${r.name} ${r.action}`).join(', ');
      return {
        outcome: ok ? 'pass' : 'fail',
        detail: ok
          ? `change request ${CI_NAMESPACE}/${name} from run ${run.metadata.name}: branch ${branch} at ${head!.slice(0, 12)} sets ${cr.spec.images.map((i) => i.image).join(', ')} (${(cr.status?.changedFiles ?? []).join(', ')}); what-if on ${whatIf!.cluster} Passed: ${actions}`
          : `change request ${name}: images ${JSON.stringify(cr.spec.images)}, run ${cr.spec.pipelineRun}, head ${cr.status?.headCommit} vs branch ${head}, what-if ${whatIf ? `${whatIf.result} at ${whatIf.commit.slice(0, 12)}${whatIf.message ? `: ${whatIf.message}` : ''}` : 'not recorded'}`,
        look: [crLook(ctx, branch), `${ctx.env.apiUrl}/api/v1/changerequests/${name}`],
        data: {
          changeRequest: name,
          branch,
          commit: head,
          pipelineRun: cr.spec.pipelineRun,
          files: cr.status?.changedFiles ?? [],
          whatIf: whatIf
            ? {
                result: whatIf.result,
                cluster: whatIf.cluster,
                resources: whatIf.resources.map((r) => ({ kind: r.kind, name: r.name, action: r.action })),
                denials: whatIf.denials,
              }
            : null,
        },
      };
    },
  },
  {
    id: 'change-policy',
    title: 'policy check of the change (Conftest on the Kustomize output), recorded on the change request',
    run: (ctx) => policyCheck(ctx, need(ctx, 'promote:branch')),
  },
  {
    id: 'merge',
    title: 'change request merged',
    run: (ctx) => merge(ctx, need(ctx, 'promote:branch'), 'main:promote'),
  },
  {
    id: 'application',
    title: 'Application created / refreshed for the config repo',
    async run(ctx) {
      // the demo's AppProject: the default project's reach, plus the signature gate for the demo's images
      const glob = `${ctx.registryHost}/demo/**`;
      const project: AppProject = {
        apiVersion: API_VERSION,
        kind: 'AppProject',
        metadata: { name: DEMO_PROJECT, namespace: ctx.env.appNamespace },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          clusterResourceWhitelist: [{ group: '*', kind: '*' }],
          sourceNamespaces: ['*'],
          imageVerification: [{ glob, keys: [need(ctx, 'sign:publicKey')] }],
        },
      };
      await ctx.kube.apply(project, { fieldManager: FIELD_MANAGER, force: true });
      const repoURL = `${ctx.env.gitUrl}/${CONFIG_REPO}.git`;
      const app: Application = {
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: APP_NAME, namespace: ctx.env.appNamespace, annotations: { [REFRESH_ANNOTATION]: 'normal' } },
        spec: {
          project: DEMO_PROJECT,
          source: { repoURL, path: 'app', targetRevision: 'main' },
          destination: { server: IN_CLUSTER, namespace: APP_NAMESPACE },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
        },
      };
      const existed = (await getApp(ctx)) !== undefined;
      await ctx.kube.apply(app, { fieldManager: FIELD_MANAGER, force: true });
      return {
        outcome: 'pass',
        detail: `${existed ? 'refreshed' : 'created'} Application ${ctx.env.appNamespace}/${APP_NAME} (automated sync of ${repoURL} main, path app) in AppProject ${DEMO_PROJECT}, whose imageVerification gate wants images matching ${glob} signed by the demo's key`,
        look: [...appLook(ctx), `kubectl -n ${ctx.env.appNamespace} get appproject ${DEMO_PROJECT} -o yaml`],
        data: { repoURL, project: DEMO_PROJECT, imageVerification: glob, created: !existed },
      };
    },
  },
  {
    id: 'synced',
    title: 'signature gate passed the signed image, controller synced, admission admitted: Synced and Healthy',
    run: (ctx) => waitHealthy(ctx, need(ctx, 'main:promote')),
  },
  {
    id: 'root-change',
    title: 'failing variant: a root container on a branch',
    run: (ctx) =>
      branchChange(ctx, 'demo/run-as-root', 'Run demo-app as root', (dir) => {
        const file = join(dir, 'app', 'deployment.yaml');
        const text = readFileSync(file, 'utf8');
        const out = text
          .replace('runAsNonRoot: true', 'runAsNonRoot: false')
          .replace('runAsUser: 1000', 'runAsUser: 0');
        if (out === text)
          throw new DemoError('demo_bad_example', `${file}:1:1: no runAsNonRoot/runAsUser to change`, {
            location: { file, row: 1, col: 1 },
          });
        writeFileSync(file, out);
      }),
  },
  {
    id: 'root-policy',
    title: 'policy check stops the root container',
    expect: 'fail',
    run: (ctx) => policyCheck(ctx, 'demo/run-as-root'),
  },
  {
    id: 'root-merge',
    title: 'forced past the policy check: merged anyway',
    run: (ctx) => merge(ctx, 'demo/run-as-root', 'main:root'),
  },
  {
    id: 'root-denied',
    title: 'the sync fails: admission denies the root container',
    expect: 'fail',
    async run(ctx) {
      const rev = need(ctx, 'main:root');
      const app = await until(ctx, `a sync of ${rev.slice(0, 12)} to finish`, async () => {
        const a = await getApp(ctx);
        const op = a?.status?.operationState;
        if (
          op &&
          op.syncResult?.revision === rev &&
          (op.phase === 'Failed' || op.phase === 'Error' || op.phase === 'Succeeded')
        )
          return a;
        return undefined;
      });
      const op = app.status?.operationState;
      const denied = (op?.syncResult?.resources ?? []).filter((r) => /denied/.test(r.message));
      const message = (denied[0]?.message ?? op?.message ?? '').replace(/\s*\n\s*/g, '; ');
      const ok = op?.phase !== 'Succeeded' && /denied/.test(message);
      return {
        outcome: ok ? 'fail' : 'pass',
        detail: ok ? `sync ${op?.phase}: ${message}` : `sync of the root container ${op?.phase}: ${op?.message ?? ''}`,
        look: appLook(ctx),
        data: { revision: rev, phase: op?.phase, message, operationMessage: op?.message },
      };
    },
  },
  {
    id: 'revert',
    title: 'forced merge reverted: Synced and Healthy again',
    async run(ctx) {
      const repo = await workClone(ctx, CONFIG_REPO);
      await repo.run('revert', '--no-edit', '-m', '1', need(ctx, 'main:root'));
      const sha = await repo.head();
      await repo.run('push', '--quiet', 'origin', 'main');
      await refreshApp(ctx);
      return waitHealthy(ctx, sha);
    },
  },
  {
    id: 'unsigned-change',
    title: 'failing variant: an unsigned image merged into the config repo',
    async run(ctx) {
      // the app's image with one more label: another digest, which nobody signed
      const img = await appImage(join(ctx.workDir, 'work', APP_REPO), { 'dev.sekisho.demo/variant': 'unsigned' });
      const digest = await pushImage(ctx.registry, 'demo/app', img, ['unsigned']);
      if (digest === need(ctx, 'image:digest'))
        throw new DemoError('demo_step_failed', `the unsigned image has the signed image's digest ${digest}`);
      ctx.state.set('unsigned:digest', digest);
      const change = await branchChange(
        ctx,
        'demo/unsigned-image',
        `Deploy the unsigned image ${digest.slice(0, 19)}`,
        (dir) => editKustomizationImage(dir, `${ctx.registryHost}/demo/app`, digest),
        `${ctx.registryHost}/demo/app@${digest}`,
      );
      const merged = await merge(ctx, 'demo/unsigned-image', 'main:unsigned');
      return {
        outcome: 'pass',
        detail: `${ctx.registryHost}/demo/app@${digest} (tag unsigned, no signature); ${change.detail}; ${merged.detail}`,
        look: [...(change.look ?? []), ...(merged.look ?? [])],
        data: { digest, ...change.data, merge: need(ctx, 'main:unsigned') },
      };
    },
  },
  {
    id: 'unsigned-denied',
    title: 'the sync is denied: the signature gate stops the unsigned image',
    expect: 'fail',
    async run(ctx) {
      const digest = need(ctx, 'unsigned:digest');
      const app = await until(ctx, `the signature gate to judge ${digest.slice(0, 19)}`, async () => {
        const a = await getApp(ctx);
        const c = a?.status?.conditions?.find((x) => x.type === 'SignatureVerificationFailed');
        if (c && c.message.includes(digest)) return a;
        // a sync that went through is an answer too (the gate failed to stop it)
        const op = a?.status?.operationState;
        if (op?.phase === 'Succeeded' && op.syncResult?.revision === need(ctx, 'main:unsigned')) return a;
        return undefined;
      });
      const c = app.status?.conditions?.find((x) => x.type === 'SignatureVerificationFailed');
      const live = await ctx.kube
        .get<KubeObject & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }>(
          'apps/v1',
          'Deployment',
          APP_NAME,
          APP_NAMESPACE,
        )
        .catch(() => undefined);
      const liveImage = live?.spec?.template?.spec?.containers?.[0]?.image ?? '';
      const stopped = c !== undefined && !liveImage.includes(digest);
      return {
        outcome: stopped ? 'fail' : 'pass',
        detail: stopped
          ? `${c.message.replace(/\s*\n\s*/g, '; ')}; the live Deployment still runs ${liveImage}`
          : `the unsigned image was not stopped (live image ${liveImage})`,
        look: appLook(ctx),
        data: { digest, condition: c?.message, liveImage },
      };
    },
  },
  {
    id: 'unsigned-revert',
    title: 'unsigned image reverted: Synced and Healthy again',
    async run(ctx) {
      const repo = await workClone(ctx, CONFIG_REPO);
      await repo.run('revert', '--no-edit', '-m', '1', need(ctx, 'main:unsigned'));
      const sha = await repo.head();
      await repo.run('push', '--quiet', 'origin', 'main');
      await refreshApp(ctx);
      return waitHealthy(ctx, sha);
    },
  },
];
