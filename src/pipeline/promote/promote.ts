// Promotion: update image references by digest in a config repo on a branch, push it, open (or reuse) a
// ChangeRequest, and check the rendered manifests of the promoted paths with Conftest semantics. Merging is
// a real `git merge`; a conflict aborts it and is reported, never left half-merged. Re-running with the
// same inputs finds the same branch and change request (no duplicates).
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { stringify } from 'yaml';
import { Renderer, spawnRunner } from '../../gitops/index.ts';
import { runTest } from '../../policy/index.ts';
import { PipelineError } from '../errors.ts';
import { API_VERSION } from '../model.ts';
import {
  changeRequestName,
  type ChangeRequest,
  type ChangeRequestStore,
  type PolicyCheck,
  type PolicyFinding,
} from './change-request.ts';
import { editHelmValues, editKustomization, editManifests, type ImageUpdate } from './edit.ts';
import { Git } from './git.ts';
import { withLock } from './lock.ts';
import { whatIfAtHead } from './whatif.ts';
import type { KubeClient } from '../../kube/index.ts';

/** The cluster a what-if preview dry-runs against (see whatif.ts). */
export interface WhatIfTarget {
  client: KubeClient;
  fieldManager?: string;
  /** namespace of the GitOps controller (for Application instance names) */
  controllerNamespace?: string;
}

export interface PromoteOptions {
  /** config repo: a local path or a git URL */
  repo: string;
  /** folder inside the repo holding the manifests (kustomization, values file or plain YAML) */
  path: string;
  images: ImageUpdate[];
  /** a Helm values file (relative to `path`, else to the repo root) and the keys to set */
  valuesFile?: string;
  keys?: { repository?: string; digest?: string; image?: string };
  /** target branch (default: the repo's default branch) */
  base?: string;
  /** pipeline run this promotion comes from (linked in the commit message and the change request) */
  run?: string;
  title?: string;
  dataDir: string;
  store: ChangeRequestStore;
  /** policies (host paths) for the check; default: `policy/` in the config repo when present */
  policy?: string[];
  namespaces?: string[];
  /** data files or folders (JSON/YAML) loaded under `data` for the check, as Conftest's --data */
  data?: string[];
  /** extra environment for git (e.g. credentials helpers); never logged */
  gitEnv?: Record<string, string>;
  kubectl?: string;
  now?: () => Date;
  log?: (line: string) => void;
  /** record a what-if preview (server-side dry-run of the head render) against this cluster */
  whatIf?: WhatIfTarget;
}

export interface PromoteResult {
  outcome: 'created' | 'updated' | 'unchanged' | 'up-to-date';
  branch: string;
  commit?: string;
  files: string[];
  changeRequest?: ChangeRequest;
}

/** A git URL (scheme:// or scp-like user@host:path) rather than a local path. */
export function isRemote(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^:]+:/.test(repo);
}

const shortDigest = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

export function promoteBranch(images: ImageUpdate[]): string {
  const part = images
    .map((u) => `${changeRequestName(u.name.split('/').pop() ?? u.name)}-${shortDigest(u.digest)}`)
    .join('-');
  return `sekisho/promote-${part}`;
}

/** The work clone of a config repo under the data dir (one per repo), fetched fresh. */
export async function workClone(repo: string, dataDir: string, env: Record<string, string> = {}): Promise<Git> {
  const key = createHash('sha256').update(repo).digest('hex').slice(0, 16);
  const dir = join(dataDir, 'promote', 'repos', key);
  const source = isRemote(repo) ? repo : resolve(repo);
  if (!existsSync(join(dir, '.git'))) {
    mkdirSync(join(dataDir, 'promote', 'repos'), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    await new Git(join(dataDir, 'promote', 'repos'), env).run(['clone', '--quiet', '--no-checkout', source, key]);
  } else {
    const g = new Git(dir, env);
    await g.run(['remote', 'set-url', 'origin', source]);
    await g.run(['fetch', '--quiet', '--prune', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  }
  return new Git(dir, env);
}

async function defaultBranch(g: Git): Promise<string> {
  const r = await g.run(['symbolic-ref', '--short', 'refs/remotes/origin/HEAD'], { allowFail: true });
  if (r.code === 0 && r.stdout.trim().startsWith('origin/')) return r.stdout.trim().slice(7);
  const ls = await g.run(['ls-remote', '--symref', 'origin', 'HEAD'], { allowFail: true });
  const m = /ref: refs\/heads\/(\S+)\s+HEAD/.exec(ls.stdout);
  return m?.[1] ?? 'main';
}

function insideRepo(root: string, p: string, what: string): string {
  const abs = resolve(root, p);
  if (abs !== root && !abs.startsWith(root + sep))
    throw new PipelineError('promote_invalid', `${what} ${p} leaves the repository`);
  return abs;
}

const KUSTOMIZATIONS = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Applies the image updates to the checked-out tree; returns the files changed (repo-relative). */
export function editTree(root: string, o: Pick<PromoteOptions, 'path' | 'images' | 'valuesFile' | 'keys'>): string[] {
  const dir = insideRepo(root, o.path, 'path');
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new PipelineError('promote_no_target', `path ${o.path} is not a folder in the config repo`);
  const changed = new Set<string>();
  const write = (file: string, text: string) => {
    writeFileSync(file, text);
    changed.add(relative(root, file));
  };
  if (o.valuesFile !== undefined) {
    const inPath = resolve(dir, o.valuesFile);
    const file = existsSync(inPath) ? inPath : insideRepo(root, o.valuesFile, 'values file');
    insideRepo(root, relative(root, file), 'values file');
    if (!existsSync(file))
      throw new PipelineError('promote_no_target', `values file ${o.valuesFile} not found under ${o.path}`);
    const keys = o.keys ?? { repository: 'image.repository', digest: 'image.digest' };
    if (o.images.length !== 1)
      throw new PipelineError('promote_invalid', 'a values file promotion takes exactly one --image');
    let text = readFileSync(file, 'utf8');
    const r = editHelmValues(text, o.images[0]!, keys, relative(root, file));
    text = r.text;
    if (r.changed) write(file, text);
    return [...changed];
  }
  const kfile = KUSTOMIZATIONS.map((k) => join(dir, k)).find((f) => existsSync(f));
  if (kfile) {
    let text = readFileSync(kfile, 'utf8');
    let any = false;
    for (const u of o.images) {
      const r = editKustomization(text, u, relative(root, kfile));
      text = r.text;
      any ||= r.changed;
    }
    if (any) write(kfile, text);
    return [...changed];
  }
  const files = yamlFiles(dir);
  for (const u of o.images) {
    let matches = 0;
    for (const f of files) {
      const before = readFileSync(f, 'utf8');
      const r = editManifests(before, u, relative(root, f));
      matches += r.matches;
      if (r.changed) write(f, r.text);
    }
    if (matches === 0)
      throw new PipelineError(
        'promote_no_target',
        `no container image ${u.name} in the manifests under ${o.path} (and no kustomization or values file)`,
      );
  }
  return [...changed];
}

function lockFor(repo: string, dataDir: string): string {
  return join(dataDir, 'promote', 'locks', createHash('sha256').update(repo).digest('hex').slice(0, 16));
}

/** Promotes (see the file comment); promotions and merges of one config repo run one at a time. */
export async function promote(o: PromoteOptions): Promise<PromoteResult> {
  const repo = isRemote(o.repo) ? o.repo : resolve(o.repo);
  return withLock(lockFor(repo, o.dataDir), () => promoteLocked(o));
}

async function promoteLocked(o: PromoteOptions): Promise<PromoteResult> {
  if (o.images.length === 0) throw new PipelineError('promote_invalid', 'nothing to promote: give at least one image');
  const log = o.log ?? (() => undefined);
  const now = o.now ?? (() => new Date());
  const repo = isRemote(o.repo) ? o.repo : resolve(o.repo);
  const g = await workClone(repo, o.dataDir, o.gitEnv);
  const base = o.base ?? (await defaultBranch(g));
  const baseRef = `refs/remotes/origin/${base}`;
  if ((await g.run(['rev-parse', '--verify', '-q', baseRef], { allowFail: true })).code !== 0)
    throw new PipelineError('promote_git_error', `the config repo has no branch ${base}`);
  const branch = promoteBranch(o.images);
  const name = changeRequestName(branch.replace(/^sekisho\//, ''));
  await g.run(['checkout', '--quiet', '-f', '-B', branch, baseRef]);
  await g.run(['clean', '-fdxq']);
  let files = editTree(g.cwd, o);
  const existing = await o.store.get(name);
  if (files.length === 0) {
    log(`${o.path}: already at ${o.images.map((u) => `${u.name}@${shortDigest(u.digest)}`).join(', ')} on ${base}`);
    return { outcome: 'up-to-date', branch, files, ...(existing ? { changeRequest: existing } : {}) };
  }
  const title = o.title ?? `Promote ${o.images.map((u) => `${u.name} to ${shortDigest(u.digest)}`).join(', ')}`;
  const body = [
    ...o.images.map((u) => `Image: ${u.name} -> ${u.repository}@${u.digest}`),
    `Path: ${o.path}`,
    ...(o.run ? [`Pipeline-Run: ${o.run}`] : []),
    'Promoted-By: sekisho',
  ].join('\n');
  const remoteRef = `refs/remotes/origin/${branch}`;
  const remoteExists = (await g.run(['rev-parse', '--verify', '-q', remoteRef], { allowFail: true })).code === 0;
  // a branch that is still on top of the base is built on (a second path of the same promotion adds a
  // commit to it); a stale one is rebuilt from the base
  const current =
    remoteExists && (await g.run(['merge-base', '--is-ancestor', baseRef, remoteRef], { allowFail: true })).code === 0;
  if (current) {
    await g.run(['checkout', '--quiet', '-f', '-B', branch, remoteRef]);
    await g.run(['clean', '-fdxq']);
    files = editTree(g.cwd, o);
  }
  let commit: string;
  let pushed = false;
  if (current && files.length === 0) {
    // the branch already holds this change on top of the current base: keep it as it is
    commit = await g.out(['rev-parse', remoteRef]);
    files = existing?.status?.changedFiles ?? [];
    log(`branch ${branch} already holds this change (${commit.slice(0, 12)})`);
  } else {
    await g.run(['add', '-A', '--', ...files]);
    await g.run(['commit', '--quiet', '-m', `${title}\n\n${body}`]);
    commit = await g.out(['rev-parse', 'HEAD']);
    await g.run(['push', '--quiet', ...(current ? [] : ['--force']), 'origin', `HEAD:refs/heads/${branch}`]);
    await g.run(['fetch', '--quiet', 'origin', `+refs/heads/${branch}:${remoteRef}`]);
    pushed = true;
    log(`pushed ${branch} (${commit.slice(0, 12)})`);
    files = (await g.out(['diff', '--name-only', `${baseRef}...HEAD`])).split('\n').filter(Boolean);
  }
  const baseCommit = await g.out(['rev-parse', baseRef]);
  let cr: ChangeRequest;
  const images = o.images.map((u) => ({ name: u.name, image: `${u.repository}@${u.digest}` }));
  if (existing && existing.status?.phase === 'Open') {
    cr = existing;
    if (!cr.spec.paths.includes(o.path)) cr.spec.paths.push(o.path);
    for (const im of images) if (!cr.spec.images.some((x) => x.name === im.name)) cr.spec.images.push(im);
    if (cr.status!.headCommit !== commit) {
      cr.status!.headCommit = commit;
      cr.status!.baseCommit = baseCommit;
      cr.status!.changedFiles = files;
      cr.status!.updatedAt = now().toISOString();
    }
    if (o.run) cr.spec.pipelineRun = o.run;
  } else {
    cr = {
      apiVersion: API_VERSION,
      kind: 'ChangeRequest',
      metadata: {
        name,
        creationTimestamp: now().toISOString(),
        labels: { 'ci.sekisho.dev/promote': 'true' },
      },
      spec: {
        repo,
        base,
        head: branch,
        title,
        description: body,
        images,
        paths: [o.path],
        ...(o.run ? { pipelineRun: o.run } : {}),
        ...(o.policy?.length || o.namespaces?.length || o.data?.length
          ? {
              policy: {
                paths: (o.policy ?? []).map((p) => resolve(p)),
                namespaces: o.namespaces ?? ['main'],
                ...(o.data?.length ? { data: o.data.map((p) => resolve(p)) } : {}),
              },
            }
          : {}),
      },
      status: {
        phase: 'Open',
        headCommit: commit,
        baseCommit,
        changedFiles: files,
        approvals: [],
        updatedAt: now().toISOString(),
      },
    };
    if (existing) {
      // a merged or closed one of the same name: reopen it for the new change
      cr.metadata = { ...existing.metadata, ...cr.metadata };
    }
  }
  // the policy check runs on the head commit (again only if the head moved)
  if (!cr.status!.policy || cr.status!.policy.commit !== commit) cr.status!.policy = await checkPolicy(g, cr, o);
  // the what-if preview likewise (`sekisho cr whatif` refreshes it when the cluster changed)
  if (o.whatIf && (!cr.status!.whatIf || cr.status!.whatIf.commit !== commit)) {
    cr.status!.whatIf = await whatIfAtHead(g, cr, { ...whatIfOpts(o.whatIf, o), dataDir: o.dataDir });
    log(`what-if on ${cr.status!.whatIf.cluster}: ${cr.status!.whatIf.result}`);
  }
  const reused = existing?.status?.phase === 'Open';
  const saved = existing ? await o.store.update(cr) : await o.store.create(cr);
  const outcome: PromoteResult['outcome'] = !reused ? 'created' : pushed ? 'updated' : 'unchanged';
  log(`change request ${name}: ${saved.status?.policy?.result ?? 'NotRun'}`);
  return { outcome, branch, commit, files, changeRequest: saved };
}

/** Renders the change request's paths at its head commit and checks them with the policies. */
export async function checkPolicy(
  g: Git,
  cr: ChangeRequest,
  o: { dataDir: string; kubectl?: string; now?: () => Date },
): Promise<PolicyCheck> {
  const now = o.now ?? (() => new Date());
  const commit = cr.status!.headCommit;
  const tree = mkdtempSync(join(o.dataDir, 'promote', 'tree-'));
  const renderedDir = join(o.dataDir, 'changerequests', `${cr.metadata.name}.rendered`);
  try {
    await g.run(['worktree', 'add', '--quiet', '--detach', '--force', tree, commit]);
    let policies = cr.spec.policy?.paths ?? [];
    if (policies.length === 0 && existsSync(join(tree, 'policy'))) policies = [join(tree, 'policy')];
    const check: PolicyCheck = { result: 'NotRun', commit, checkedAt: now().toISOString(), results: [], files: [] };
    if (policies.length === 0) {
      check.message = 'no policy: give --policy or add policy/ to the config repo';
      return check;
    }
    const renderer = new Renderer({ run: spawnRunner, ...(o.kubectl ? { kubectl: o.kubectl } : {}) });
    const inputs: Array<{ file: string; shown: string }> = [];
    rmSync(renderedDir, { recursive: true, force: true });
    for (const p of cr.spec.paths) {
      const r = await renderer.render(tree, commit, { repoURL: cr.spec.repo, path: p });
      if (r.sourceType === 'Directory') {
        for (const f of readdirSync(join(tree, p)).sort())
          if (/\.(ya?ml|json)$/.test(f) && !f.startsWith('.'))
            inputs.push({ file: join(tree, p, f), shown: join(p, f) });
      } else {
        mkdirSync(renderedDir, { recursive: true });
        const out = join(renderedDir, `${changeRequestName(p) || 'root'}.yaml`);
        writeFileSync(out, r.objects.map((x) => stringify(x)).join('---\n'));
        inputs.push({ file: out, shown: `${p} (${r.sourceType.toLowerCase()} render)` });
      }
    }
    check.files = inputs.map((i) => i.shown);
    if (inputs.length === 0) {
      check.message = 'nothing to check: the paths rendered no files';
      return check;
    }
    const shownOf = new Map(inputs.map((i) => [i.file, i.shown]));
    const run = await runTest(
      inputs.map((i) => i.file),
      {
        policyPaths: policies,
        namespaces: cr.spec.policy?.namespaces ?? ['main'],
        ...(cr.spec.policy?.data?.length ? { dataPaths: cr.spec.policy.data } : {}),
      },
    );
    const results: PolicyFinding[] = [];
    for (const r of run.results) {
      const file = shownOf.get(r.filename) ?? r.filename;
      const add = (level: PolicyFinding['level'], list: typeof r.failures) => {
        for (const x of list ?? [])
          results.push({
            level,
            file,
            ...(x.loc?.line !== undefined && Number(x.loc.line) > 0 ? { line: Number(x.loc.line) } : {}),
            message: x.msg,
            namespace: r.namespace,
          });
      };
      add('failure', r.failures);
      add('warning', r.warnings);
    }
    check.results = results;
    check.result = run.errors.length > 0 ? 'Error' : results.some((r) => r.level === 'failure') ? 'Failed' : 'Passed';
    if (run.errors.length) check.message = run.errors.map((e) => e.message).join('; ');
    return check;
  } catch (e) {
    return {
      result: 'Error',
      commit,
      checkedAt: now().toISOString(),
      results: [],
      files: [],
      message: e instanceof Error ? e.message : String(e),
    };
  } finally {
    await g.run(['worktree', 'remove', '--force', tree], { allowFail: true });
    rmSync(tree, { recursive: true, force: true });
    await g.run(['worktree', 'prune'], { allowFail: true });
  }
}

function whatIfOpts(t: WhatIfTarget, o: { kubectl?: string; now?: () => Date }) {
  return {
    client: t.client,
    ...(t.fieldManager ? { fieldManager: t.fieldManager } : {}),
    ...(t.controllerNamespace ? { controllerNamespace: t.controllerNamespace } : {}),
    ...(o.kubectl ? { kubectl: o.kubectl } : {}),
    ...(o.now ? { now: o.now } : {}),
  };
}

/** Runs the what-if preview of a change request's head commit again and records it (e.g. after the cluster changed). */
export async function refreshWhatIf(
  name: string,
  o: WhatIfTarget & {
    store: ChangeRequestStore;
    dataDir: string;
    gitEnv?: Record<string, string>;
    kubectl?: string;
    now?: () => Date;
  },
): Promise<ChangeRequest> {
  const first = await load(o.store, name);
  return withLock(lockFor(first.spec.repo, o.dataDir), async () => {
    const cr = await load(o.store, name);
    const g = await workClone(cr.spec.repo, o.dataDir, o.gitEnv);
    cr.status!.whatIf = await whatIfAtHead(g, cr, { ...whatIfOpts(o, o), dataDir: o.dataDir });
    return o.store.update(cr);
  });
}

async function load(store: ChangeRequestStore, name: string): Promise<ChangeRequest> {
  const cr = await store.get(name);
  if (!cr || !cr.status) throw new PipelineError('cr_not_found', `no change request ${name} in ${store.name}`);
  return cr;
}

export async function approveChangeRequest(
  store: ChangeRequestStore,
  name: string,
  by: string,
  now = new Date(),
): Promise<ChangeRequest> {
  const cr = await load(store, name);
  if (cr.status!.phase !== 'Open')
    throw new PipelineError('cr_state', `change request ${name} is ${cr.status!.phase}, not Open`);
  if (!cr.status!.approvals.some((a) => a.by === by)) cr.status!.approvals.push({ by, at: now.toISOString() });
  cr.status!.updatedAt = now.toISOString();
  return store.update(cr);
}

export async function closeChangeRequest(
  store: ChangeRequestStore,
  name: string,
  now = new Date(),
): Promise<ChangeRequest> {
  const cr = await load(store, name);
  if (cr.status!.phase === 'Merged') throw new PipelineError('cr_state', `change request ${name} is already merged`);
  cr.status!.phase = 'Closed';
  cr.status!.updatedAt = now.toISOString();
  return store.update(cr);
}

export interface MergeOptions {
  store: ChangeRequestStore;
  dataDir: string;
  /** merge even though the policy check did not pass */
  overridePolicy?: boolean;
  /** approvals needed (default 0) */
  requiredApprovals?: number;
  gitEnv?: Record<string, string>;
  kubectl?: string;
  now?: () => Date;
}

/** Re-checks the head, then `git merge --no-ff` into the base and pushes. Conflicts abort the merge. */
export async function mergeChangeRequest(name: string, o: MergeOptions): Promise<ChangeRequest> {
  const cr = await load(o.store, name);
  return withLock(lockFor(cr.spec.repo, o.dataDir), () => mergeLocked(name, o));
}

async function mergeLocked(name: string, o: MergeOptions): Promise<ChangeRequest> {
  const now = o.now ?? (() => new Date());
  const cr = await load(o.store, name);
  const st = cr.status!;
  if (st.phase === 'Merged') return cr;
  if (st.phase !== 'Open') throw new PipelineError('cr_state', `change request ${name} is ${st.phase}, not Open`);
  if (st.approvals.length < (o.requiredApprovals ?? 0))
    throw new PipelineError(
      'cr_state',
      `change request ${name} has ${st.approvals.length} approval(s), ${o.requiredApprovals} needed`,
    );
  const g = await workClone(cr.spec.repo, o.dataDir, o.gitEnv);
  const headRef = `refs/remotes/origin/${cr.spec.head}`;
  const baseRef = `refs/remotes/origin/${cr.spec.base}`;
  if ((await g.run(['rev-parse', '--verify', '-q', headRef], { allowFail: true })).code !== 0)
    throw new PipelineError('cr_state', `branch ${cr.spec.head} is gone from the config repo`);
  const head = await g.out(['rev-parse', headRef]);
  if (head !== st.headCommit || !st.policy || st.policy.commit !== head) {
    st.headCommit = head;
    st.policy = await checkPolicy(g, cr, o);
  }
  if (st.policy.result !== 'Passed' && st.policy.result !== 'NotRun' && !o.overridePolicy) {
    await o.store.update(cr);
    throw new PipelineError(
      'cr_state',
      `change request ${name}: policy check ${st.policy.result}${
        st.policy.results.length
          ? `: ${st.policy.results
              .filter((r) => r.level === 'failure')
              .map((r) => `${r.file}${r.line ? `:${r.line}` : ''}: ${r.message}`)
              .join('; ')}`
          : st.policy.message
            ? `: ${st.policy.message}`
            : ''
      }`,
    );
  }
  await g.run(['checkout', '--quiet', '-f', '-B', cr.spec.base, baseRef]);
  await g.run(['clean', '-fdxq']);
  const m = await g.run(
    ['merge', '--no-ff', '-m', `Merge change request ${name}: ${cr.spec.title}\n\nBranch: ${cr.spec.head}`, headRef],
    {
      allowFail: true,
    },
  );
  if (m.code !== 0) {
    const conflicts = (await g.run(['diff', '--name-only', '--diff-filter=U'], { allowFail: true })).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
    await g.run(['merge', '--abort'], { allowFail: true });
    await g.run(['reset', '--quiet', '--hard', baseRef]);
    st.conflicts = conflicts;
    st.message = `merge conflict in ${conflicts.join(', ') || '(unknown files)'}; update the branch and retry`;
    st.updatedAt = now().toISOString();
    await o.store.update(cr);
    throw new PipelineError('cr_merge_conflict', `change request ${name}: ${st.message}`);
  }
  const merged = await g.out(['rev-parse', 'HEAD']);
  const push = await g.run(['push', '--quiet', 'origin', `HEAD:refs/heads/${cr.spec.base}`], { allowFail: true });
  if (push.code !== 0) {
    await g.run(['reset', '--quiet', '--hard', baseRef]);
    throw new PipelineError(
      'promote_git_error',
      `change request ${name}: push to ${cr.spec.base} refused: ${push.stderr.trim()}`,
    );
  }
  delete st.conflicts;
  st.phase = 'Merged';
  st.mergeCommit = merged;
  st.mergedAt = now().toISOString();
  st.message = `merged into ${cr.spec.base} as ${merged.slice(0, 12)}`;
  st.updatedAt = st.mergedAt;
  return o.store.update(cr);
}
