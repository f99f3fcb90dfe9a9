// The checkpoints of the reference flow, in order. Each row is a DemoStep; the runner times it, records
// its outcome against the expected one, and stops at the first step that cannot run (an `error`).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { build } from '../../build/index.ts';
import {
  API_VERSION,
  REFRESH_ANNOTATION,
  Renderer,
  spawnRunner,
  type Application,
  type AppProject,
} from '../../gitops/index.ts';
import { KubeError, type KubeObject } from '../../kube/index.ts';
import { lintDockerfile } from '../../lint/index.ts';
import { editKustomization } from '../../pipeline/index.ts';
import { createRepo } from '../../server/index.ts';
import { generateKeyPair, loadPrivateKey, signImage, verifyImage } from '../../sign/index.ts';
import { DemoError } from './errors.ts';
import { bareRepoExists, git, tokenEnv, WorkRepo } from './git.ts';
import { appImage, baseImage, pushImage } from './image.ts';
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
  const note = await recordMerge(ctx, branch, sha);
  if (await getApp(ctx)) await refreshApp(ctx);
  return {
    outcome: 'pass',
    detail: `change request ${crName(branch)} merged into main at ${sha.slice(0, 12)}${note ? ` (${note})` : ''}`,
    look: [`git -C ${repo.dir} log --oneline -3`, crLook(ctx, branch)],
    data: { branch, commit: sha, changeRequest: crName(branch), ...(note ? { note } : {}) },
  };
}

function crLook(ctx: DemoContext, branch: string): string {
  return ctx.kubectl(`-n ${CR_NAMESPACE} get changerequests.ci.sekisho.dev ${crName(branch)} -o yaml`);
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
      const heads: Record<string, string> = {};
      for (const [name, template] of [
        [APP_REPO, join(ctx.examplesDir, 'app')],
        [CONFIG_REPO, join(ctx.examplesDir, 'config')],
      ] as const) {
        if (await ensureRepo(ctx, name)) made.push(name);
        const repo = await workClone(ctx, name);
        // branches left by an earlier run are removed, so the change requests start clean
        for (const b of await repo.remoteBranches('demo/')) await repo.run('push', '--quiet', 'origin', '--delete', b);
        repo.replaceTree(template);
        const { sha, changed } = await repo.commitAll(
          made.includes(name) ? 'Initial commit (sekisho demo)' : 'Reset to the demo template',
        );
        if (changed) await repo.run('push', '--quiet', 'origin', 'main');
        heads[name] = sha;
        ctx.state.set(`head:${name}`, sha);
      }
      // the repositories answer over smart HTTP, as a developer would clone them
      const url = `${ctx.env.gitUrl}/${CONFIG_REPO}.git`;
      const remote = await git(['ls-remote', url, 'refs/heads/main']);
      if (!remote.startsWith(heads[CONFIG_REPO] ?? '-'))
        throw new DemoError('demo_step_failed', `${url} does not serve main at ${heads[CONFIG_REPO]}: ${remote}`);
      const mains = Object.entries(heads)
        .map(([k, v]) => `${k} ${v.slice(0, 12)}`)
        .join(', ');
      const how = ctx.env.token ? 'pushed over smart HTTP with an API token' : `written in ${ctx.env.gitRoot}`;
      return {
        outcome: 'pass',
        detail: `${made.length ? `created ${made.join(', ')}` : 'reused demo-app, demo-config'}; main at ${mains} (${how})`,
        look: [`git clone ${ctx.env.gitUrl}/${APP_REPO}.git`, `git clone ${url}`],
        data: { repositories: heads },
      };
    },
  },
  {
    id: 'lint',
    title: "the app's Dockerfile linted (hadolint rules)",
    async run(ctx) {
      const file = join(ctx.workDir, 'work', APP_REPO, 'Dockerfile');
      const findings = lintDockerfile(readFileSync(file, 'utf8'), file);
      const errors = findings.filter((f) => f.level === 'error');
      return {
        outcome: errors.length === 0 ? 'pass' : 'fail',
        detail:
          findings.length === 0
            ? 'no findings'
            : `${findings.length} finding(s): ${findings.map((f) => `${f.code} line ${f.line} ${f.message}`).join('; ')}`,
        look: [`sekisho lint dockerfile ${file}`],
        data: { findings },
      };
    },
  },
  {
    id: 'image',
    title: "the app's image built into the embedded registry",
    async run(ctx) {
      const appCommit = need(ctx, `head:${APP_REPO}`);
      const src = join(ctx.workDir, 'work', APP_REPO);
      const baseRef = `${ctx.registryHost}/base/busybox:latest`;
      const baseDigest = await pushImage(ctx.registry, 'base/busybox', await baseImage(), ['latest']);
      const tags = [appCommit.slice(0, 12), 'latest'];
      let digest: string;
      let builder: string;
      let steps: string[] = [];
      try {
        // the Dockerfile through the daemonless builder (src/build), pushed by tag
        const r = await build({
          contextDir: src,
          tags: tags.map((t) => `${ctx.registryHost}/demo/app:${t}`),
          buildArgs: { BASE: baseRef, REVISION: appCommit },
          secrets: {},
          cacheDir: join(ctx.workDir, 'build-cache'),
          outputs: [],
          push: true,
          sourceDateEpoch: 0,
          network: 'none',
          progress: (ev) => {
            if (ev.kind === 'step-start') ctx.progress(`build: ${ev.text}`);
          },
        });
        digest = r.manifestDigest;
        builder = 'build()';
        steps = r.steps.map((s) => `${s.text}${s.cached ? ' (cached)' : ''}`);
      } catch (e) {
        // the fallback: the same image assembled with src/oci (the Dockerfile has no RUN step)
        const img = await appImage(src, { 'org.opencontainers.image.revision': appCommit });
        digest = await pushImage(ctx.registry, 'demo/app', img, tags);
        builder = `assembled with src/oci, because build() failed: ${(e as Error).message.split('\n')[0]}`;
      }
      const m = await ctx.registry.getManifest('demo/app', tags[0]!);
      if (m.digest !== digest)
        throw new DemoError('demo_step_failed', `registry has ${m.digest} under ${tags[0]}, the build made ${digest}`);
      ctx.state.set('image:digest', digest);
      const ref = `${ctx.registryHost}/demo/app@${digest}`;
      ctx.state.set('image:ref', ref);
      return {
        outcome: 'pass',
        detail: `${ref} from ${APP_REPO} ${appCommit.slice(0, 12)} on busybox-static base ${baseDigest.slice(7, 19)}; builder: ${builder}`,
        look: [
          `${ctx.env.registryUrl}/v2/demo/app/tags/list`,
          `sekisho image inspect ${ctx.registryHost}/demo/app:latest`,
        ],
        data: { image: ref, digest, tags, builder, steps },
      };
    },
  },
  {
    id: 'sign',
    title: 'image signed (cosign format) and verified',
    async run(ctx) {
      const keyDir = join(ctx.workDir, 'keys');
      mkdirSync(keyDir, { recursive: true, mode: 0o700 });
      const keyFile = join(keyDir, 'cosign.key');
      const pubFile = join(keyDir, 'cosign.pub');
      const password = Buffer.alloc(0);
      if (!existsSync(keyFile)) {
        const kp = generateKeyPair(password, { scrypt: { N: 32768, r: 8, p: 1 } });
        writeFileSync(pubFile, kp.publicKeyPem);
        writeFileSync(keyFile, kp.privateKeyPem, { mode: 0o600 });
      }
      const signer = loadPrivateKey(readFileSync(keyFile, 'utf8'), password, keyFile);
      ctx.state.set('sign:publicKey', readFileSync(pubFile, 'utf8'));
      const digest = need(ctx, 'image:digest');
      const target = { client: ctx.registry, registry: ctx.registryHost, repository: 'demo/app', ref: digest };
      const signed = await signImage(target, signer);
      const verified = await verifyImage(target, [signer.publicKey]);
      if (verified.verified.length === 0)
        throw new DemoError(
          'demo_step_failed',
          `the signature of ${digest} does not verify: ${JSON.stringify(verified.rejected)}`,
        );
      return {
        outcome: 'pass',
        detail: `signature ${signed.signatureTag} (${signed.count} signature(s)), verified with ${pubFile}`,
        look: [`sekisho verify --key ${pubFile} ${ctx.registryHost}/demo/app@${digest}`],
        data: { signatureTag: signed.signatureTag, publicKey: pubFile, verified: verified.verified.length },
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
    id: 'change',
    title: 'change request: new image digest on a branch of the config repo',
    run: (ctx) =>
      branchChange(
        ctx,
        'demo/promote',
        `Promote demo-app to ${need(ctx, 'image:digest').slice(0, 19)}`,
        (dir) => editKustomizationImage(dir, `${ctx.registryHost}/demo/app`, need(ctx, 'image:digest')),
        need(ctx, 'image:ref'),
      ),
  },
  {
    id: 'change-policy',
    title: 'policy check of the change (Conftest on the Kustomize output)',
    run: (ctx) => policyCheck(ctx, 'demo/promote'),
  },
  { id: 'merge', title: 'change request merged', run: (ctx) => merge(ctx, 'demo/promote', 'main:promote') },
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
