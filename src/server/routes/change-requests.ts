// ChangeRequest routes: change requests recorded in the cluster (ci.sekisho.dev/v1alpha1, namespace
// CI_NAMESPACE) listed newest first, one with the config-repo diff base...head read from the platform's git
// repositories (Secret values masked), and approve / merge / close (developer role, and a binding that covers
// the AppProjects of the Applications deploying the changed repo paths; merge is a real git merge done by
// the pipeline area's mergeChangeRequest, conflicts reported on the change request).
import { existsSync, realpathSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { isAbsolute, join, relative, sep } from 'node:path';
import { parseAllDocuments, isMap, isScalar, type Node as YamlNode } from 'yaml';
import { unifiedDiff } from '../../gitops/index.ts';
import {
  CI_NAMESPACE,
  KubeChangeRequestStore,
  PipelineError,
  approveChangeRequest,
  closeChangeRequest,
  mergeChangeRequest,
  type ChangeRequest,
  type ChangeRequestStore,
} from '../../pipeline/index.ts';
import { canAccessProject, coversAll, roleAtLeast } from '../auth.ts';
import { ServerError } from '../errors.ts';
import { checkRepoName } from '../git-server.ts';
import {
  checkName,
  enumParam,
  needKube,
  upstream,
  type ApiDeps,
  type Ctx,
  type RouteEnv,
  type RouteSpec,
  type Schema,
} from '../route.ts';
import { listChangeRequests, loadScope, projectsOf, visibleTo } from './scope.ts';

export { projectsOf };

type Obj = Record<string, unknown>;

export const CR_PHASES = ['Open', 'Merged', 'Closed'] as const;
const MAX_DIFF_LINES = 4000;
const MAX_FILES = 200;

function git(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', args, {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: err }));
  });
}

/** Shared masks of one answer: the same value gets the same mask on both sides, another value another mask. */
export class Masks {
  private readonly m = new Map<string, string>();
  of(v: string): string {
    let s = this.m.get(v);
    if (!s) {
      s = '+'.repeat(8 + this.m.size);
      this.m.set(v, s);
    }
    return s;
  }
}

/**
 * The YAML text with the values under data/stringData of every Secret (and kubectl's last-applied copy)
 * replaced by masks, in place, so the rest of the file diffs as written. Text that mentions a Secret but
 * does not parse is hidden whole.
 */
export function maskSecretsInYaml(text: string, masks: Masks): string {
  if (!/\bSecret\b/.test(text)) return text;
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch {
    return '# (contents hidden: the file mentions a Secret and does not parse as YAML)\n';
  }
  const list = Array.isArray(docs) ? docs : [docs];
  const cuts: { from: number; to: number; mask: string }[] = [];
  for (const doc of list) {
    if (doc.errors.length) return '# (contents hidden: the file mentions a Secret and does not parse as YAML)\n';
    const root = doc.contents;
    if (!isMap(root)) continue;
    const kind = root.get('kind');
    if ((isScalar(kind) ? kind.value : kind) !== 'Secret') continue;
    const hide = (n: unknown) => {
      const node = n as YamlNode | undefined;
      if (!node?.range) return;
      const raw = text.slice(node.range[0], node.range[1]);
      cuts.push({ from: node.range[0], to: node.range[1], mask: masks.of(raw) });
    };
    for (const key of ['data', 'stringData']) {
      const m = root.get(key, true);
      if (isMap(m)) for (const p of m.items) hide(p.value);
      else if (m) hide(m);
    }
    const anns = (root.getIn(['metadata', 'annotations'], true) as unknown) ?? undefined;
    if (isMap(anns))
      for (const p of anns.items)
        if (isScalar(p.key) && p.key.value === 'kubectl.kubernetes.io/last-applied-configuration') hide(p.value);
  }
  cuts.sort((a, b) => b.from - a.from);
  let out = text;
  for (const c of cuts) out = out.slice(0, c.from) + c.mask + out.slice(c.to);
  return out;
}

export function summarizeCr(cr: ChangeRequest): Obj {
  const st = cr.status;
  return {
    name: cr.metadata.name,
    title: cr.spec?.title ?? '',
    phase: st?.phase ?? 'Open',
    repo: cr.spec?.repo ?? '',
    base: cr.spec?.base ?? '',
    head: cr.spec?.head ?? '',
    ...(cr.metadata.creationTimestamp ? { createdAt: cr.metadata.creationTimestamp } : {}),
    ...(st?.updatedAt ? { updatedAt: st.updatedAt } : {}),
    ...(cr.spec?.pipelineRun ? { pipelineRun: cr.spec.pipelineRun } : {}),
    images: (cr.spec?.images ?? []).map((i) => i.image),
    approvals: st?.approvals?.length ?? 0,
    ...(st?.policy ? { policy: st.policy.result } : {}),
    ...(st?.whatIf ? { whatIf: st.whatIf.result } : {}),
    conflicts: st?.conflicts?.length ?? 0,
    ...(st?.mergeCommit ? { mergeCommit: st.mergeCommit } : {}),
  };
}

const crSummarySchema: Schema = {
  type: 'object',
  required: ['name', 'title', 'phase', 'repo', 'base', 'head', 'images', 'approvals', 'conflicts'],
  properties: {
    name: { type: 'string' },
    title: { type: 'string' },
    phase: { type: 'string', enum: [...CR_PHASES] },
    repo: { type: 'string' },
    base: { type: 'string' },
    head: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    pipelineRun: { type: 'string' },
    images: { type: 'array', items: { type: 'string' } },
    approvals: { type: 'integer' },
    policy: { type: 'string', description: 'Passed, Failed, Error or NotRun' },
    whatIf: { type: 'string', description: 'Passed, Denied or Error' },
    conflicts: { type: 'integer' },
    mergeCommit: { type: 'string' },
  },
};

const crAnswerSchema: Schema = {
  type: 'object',
  required: ['name', 'phase', 'changeRequest'],
  properties: { ...(crSummarySchema.properties as Obj), changeRequest: { type: 'object' } },
};

/** The bare repository on this platform's git server a change request's repo names, if it is one. */
function localRepo(d: ApiDeps, repo: string): string | undefined {
  if (!d.gitRoot) return undefined;
  let name: string | undefined;
  if (d.gitUrl && repo.startsWith(`${d.gitUrl.replace(/\/$/, '')}/`))
    name = repo.slice(d.gitUrl.replace(/\/$/, '').length + 1);
  else if (isAbsolute(repo) && existsSync(repo)) {
    try {
      const rel = relative(realpathSync(d.gitRoot), realpathSync(repo));
      if (rel && !rel.startsWith('..') && !isAbsolute(rel)) name = rel.split(sep).join('/');
    } catch {
      return undefined;
    }
  }
  if (!name) return undefined;
  let n: string;
  try {
    n = checkRepoName(name.replace(/\/$/, ''));
  } catch {
    return undefined;
  }
  const dir = join(d.gitRoot, `${n}.git`);
  return existsSync(dir) ? dir : undefined;
}

interface FileDiff {
  path: string;
  status: string;
  oldPath?: string;
  diff: string;
  note?: string;
}

async function repoDiff(
  dir: string,
  cr: ChangeRequest,
): Promise<{ base: string; head: string; mergeBase: string; files: FileDiff[] }> {
  const rev = async (cands: (string | undefined)[]): Promise<string> => {
    for (const c of cands) {
      if (!c || !/^[A-Za-z0-9._/-]+$/.test(c) || c.startsWith('-')) continue;
      const r = await git(['rev-parse', '--verify', '-q', `${c}^{commit}`], dir);
      if (r.code === 0) return r.stdout.trim();
    }
    throw new Error(`none of ${cands.filter(Boolean).join(', ')} is a commit in the repository`);
  };
  const st = cr.status;
  const head = await rev([st?.headCommit, `refs/heads/${cr.spec.head}`]);
  const base = await rev(
    st?.phase === 'Merged' ? [st.baseCommit, `${st.mergeCommit}^1`] : [`refs/heads/${cr.spec.base}`, st?.baseCommit],
  );
  const mb = await git(['merge-base', base, head], dir);
  const mergeBase = mb.code === 0 ? mb.stdout.trim() : base;
  const ns = await git(['diff', '--name-status', '-z', '-M', mergeBase, head], dir);
  if (ns.code !== 0) throw new Error(`git diff: ${ns.stderr.trim()}`);
  const parts = ns.stdout.split('\0').filter((x) => x !== '');
  const entries: { status: string; path: string; oldPath?: string }[] = [];
  for (let i = 0; i < parts.length;) {
    const status = parts[i++]!;
    if (/^[RC]/.test(status)) {
      const oldPath = parts[i++]!;
      entries.push({ status: status[0]!, oldPath, path: parts[i++]! });
    } else entries.push({ status, path: parts[i++]! });
  }
  const masks = new Masks();
  const show = async (c: string, p: string): Promise<string | null> => {
    const r = await git(['show', `${c}:${p}`], dir);
    return r.code === 0 ? r.stdout : null;
  };
  const files: FileDiff[] = [];
  for (const e of entries.slice(0, MAX_FILES)) {
    const a = e.status === 'A' ? '' : ((await show(mergeBase, e.oldPath ?? e.path)) ?? '');
    const b = e.status === 'D' ? '' : ((await show(head, e.path)) ?? '');
    const f: FileDiff = { path: e.path, status: e.status, diff: '', ...(e.oldPath ? { oldPath: e.oldPath } : {}) };
    if (a.includes('\0') || b.includes('\0')) f.note = 'binary file';
    else if (a.split('\n').length + b.split('\n').length > MAX_DIFF_LINES)
      f.note = `too large to show here (over ${MAX_DIFF_LINES} lines)`;
    else
      f.diff = unifiedDiff(
        maskSecretsInYaml(a, masks),
        maskSecretsInYaml(b, masks),
        `a/${e.oldPath ?? e.path}`,
        `b/${e.path}`,
      );
    files.push(f);
  }
  return { base, head, mergeBase, files };
}

/** The store, reading each change request's repo as the local bare repository when the platform hosts it. */
class LocalRepoStore implements ChangeRequestStore {
  readonly name: string;
  private readonly original = new Map<string, string>();
  constructor(
    private readonly inner: ChangeRequestStore,
    private readonly map: (repo: string) => string | undefined,
  ) {
    this.name = inner.name;
  }
  private local(cr: ChangeRequest | undefined): ChangeRequest | undefined {
    if (!cr) return cr;
    const l = this.map(cr.spec.repo);
    if (!l) return cr;
    this.original.set(cr.metadata.name, cr.spec.repo);
    return { ...cr, spec: { ...cr.spec, repo: l } };
  }
  private back(cr: ChangeRequest): ChangeRequest {
    const o = this.original.get(cr.metadata.name);
    return o ? { ...cr, spec: { ...cr.spec, repo: o } } : cr;
  }
  async get(name: string) {
    return this.local(await this.inner.get(name));
  }
  async list() {
    return this.inner.list();
  }
  create(cr: ChangeRequest) {
    return this.inner.create(this.back(cr));
  }
  async update(cr: ChangeRequest) {
    return (await this.inner.update(this.back(cr))) as ChangeRequest;
  }
}

function pipelineFailure(e: unknown, name: string): ServerError {
  if (e instanceof ServerError) return e;
  if (e instanceof PipelineError) {
    if (e.code === 'cr_not_found') return new ServerError('server_not_found', e.message, { cause: e });
    if (e.code === 'cr_state' || e.code === 'cr_merge_conflict')
      return new ServerError('server_conflict', e.message, { cause: e });
  }
  return upstream(e, `change request ${name}`);
}

export function changeRequestRoutes({ d, apps }: RouteEnv): RouteSpec[] {
  const store = (): ChangeRequestStore => new KubeChangeRequestStore(needKube(d), CI_NAMESPACE);
  const load = async (name: string): Promise<ChangeRequest> => {
    checkName('change request name', name);
    let cr: ChangeRequest | undefined;
    try {
      cr = await store().get(name);
    } catch (e) {
      throw upstream(e, `change request ${name}`);
    }
    if (!cr) throw new ServerError('server_not_found', `change request ${name} not found`);
    return cr;
  };
  const crPath = '/api/v1/changerequests/{name}';
  const action = (
    verb: 'approve' | 'close' | 'merge',
    summary: string,
    run: (ctx: Ctx, name: string) => Promise<ChangeRequest>,
    extra: Partial<RouteSpec> = {},
  ): RouteSpec => ({
    method: 'POST',
    path: `${crPath}/${verb}`,
    role: 'developer',
    tag: 'changerequests',
    projectScoped: true,
    status: 200,
    summary,
    response: crAnswerSchema,
    ...extra,
    handler: async (ctx) => {
      const name = ctx.params.name!;
      ctx.target = `changerequest/${name}`;
      const cr = await load(name);
      // a change request changes what Applications deploy: the caller's binding must cover their projects
      const p = ctx.principal!;
      if (!coversAll(p)) {
        if (d.kube) await apps.ready();
        const denied = projectsOf(cr, d.kube ? apps.all() : []).filter((x) => !canAccessProject(p, x));
        if (denied.length)
          throw new ServerError(
            'server_forbidden',
            `${p.user} (${p.role} of project${p.projects.length === 1 ? '' : 's'} ${p.projects.join(', ')}) may not ${verb} change request ${name}: it changes what project${denied.length === 1 ? '' : 's'} ${denied.join(', ')} deploy${denied.length === 1 ? 's' : ''}`,
          );
      }
      let out: ChangeRequest;
      try {
        out = await run(ctx, name);
      } catch (e) {
        throw pipelineFailure(e, name);
      }
      ctx.res.statusCode = 200;
      return { ...summarizeCr(out), changeRequest: out };
    },
  });

  return [
    {
      method: 'GET',
      path: '/api/v1/changerequests',
      role: 'viewer',
      tag: 'changerequests',
      projectScoped: true,
      summary: `ChangeRequests recorded in the cluster (namespace ${CI_NAMESPACE}), newest first`,
      query: [
        { name: 'phase', description: `only change requests in this phase (${CR_PHASES.join(', ')})` },
        { name: 'repo', description: 'only change requests on this config repo' },
      ],
      response: {
        type: 'object',
        required: ['items'],
        properties: { items: { type: 'array', items: crSummarySchema } },
      },
      handler: async (ctx) => {
        const phase = enumParam(ctx.url, 'phase', CR_PHASES);
        const repo = ctx.url.searchParams.get('repo');
        const items = await listChangeRequests(needKube(d));
        const scope = await loadScope({ d, apps }, ctx.principal!, items);
        const when = (c: ChangeRequest) => c.metadata.creationTimestamp ?? '';
        return {
          items: items
            .sort((a, b) => when(b).localeCompare(when(a)) || b.metadata.name.localeCompare(a.metadata.name))
            .filter((c) => !phase || (c.status?.phase ?? 'Open') === phase)
            .filter((c) => !repo || c.spec?.repo === repo)
            .filter((c) => scope.canSeeChangeRequest(c))
            .map(summarizeCr),
        };
      },
    },
    {
      method: 'GET',
      path: crPath,
      role: 'viewer',
      tag: 'changerequests',
      projectScoped: true,
      summary:
        'One ChangeRequest: the object (policy results, what-if preview, approvals, conflicts) and the config-repo diff base...head per file, Secret values masked',
      response: {
        type: 'object',
        required: ['name', 'phase', 'changeRequest', 'projects', 'diff'],
        properties: {
          ...(crAnswerSchema.properties as Obj),
          projects: {
            type: 'array',
            items: { type: 'string' },
            description: 'AppProjects of the Applications deploying the changed paths (acting needs them all)',
          },
          diff: {
            type: 'object',
            required: ['files'],
            properties: {
              base: { type: 'string' },
              head: { type: 'string' },
              mergeBase: { type: 'string' },
              error: { type: 'string', description: 'why the diff could not be read' },
              files: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['path', 'status', 'diff'],
                  properties: {
                    path: { type: 'string' },
                    oldPath: { type: 'string' },
                    status: { type: 'string', description: 'A, M, D or R (git name-status)' },
                    diff: { type: 'string' },
                    note: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
      handler: async (ctx) => {
        const name = ctx.params.name!;
        const cr = await load(name);
        if (d.kube) await apps.ready();
        const projects = projectsOf(cr, d.kube ? apps.all() : []);
        // a change request of projects the caller's binding does not cover is "not found", as a missing one
        if (!visibleTo(ctx.principal!, projects))
          throw new ServerError('server_not_found', `change request ${name} not found`);
        const dir = localRepo(d, cr.spec?.repo ?? '');
        let diff: Obj;
        if (!dir)
          diff = { files: [], error: `config repo ${cr.spec?.repo} is not hosted on this platform's git server` };
        else {
          try {
            diff = await repoDiff(dir, cr);
          } catch (e) {
            diff = { files: [], error: (e as Error).message };
          }
        }
        return { ...summarizeCr(cr), changeRequest: cr, projects, diff };
      },
    },
    action('approve', 'Approve an open change request (once per user)', (ctx, name) =>
      approveChangeRequest(store(), name, ctx.principal!.user),
    ),
    action(
      'merge',
      'Merge the head branch into the base (git merge --no-ff, pushed to the config repo); refused (409) when the policy check failed (admins may override), the change request is not Open, or the merge conflicts (status.conflicts lists the files)',
      async (ctx, name) => {
        const override = (ctx.body as { overridePolicy?: boolean } | undefined)?.overridePolicy === true;
        if (override && !roleAtLeast(ctx.principal!.role, 'admin'))
          throw new ServerError(
            'server_forbidden',
            `overridePolicy needs role admin; ${ctx.principal!.user} has ${ctx.principal!.role}`,
          );
        const user = ctx.principal!.user;
        if (!d.cacheDir) throw new ServerError('server_upstream_error', 'this server has no cache folder for merges');
        return mergeChangeRequest(name, {
          store: new LocalRepoStore(store(), (r) => localRepo(d, r)),
          dataDir: join(d.cacheDir, 'changerequests'),
          overridePolicy: override,
          gitEnv: {
            GIT_AUTHOR_NAME: user,
            GIT_AUTHOR_EMAIL: `${user}@sekisho.local`,
            GIT_COMMITTER_NAME: user,
            GIT_COMMITTER_EMAIL: `${user}@sekisho.local`,
          },
        });
      },
      {
        body: {
          required: [],
          properties: {
            overridePolicy: { type: 'boolean', description: 'merge although the policy check failed (admin only)' },
          },
        },
      },
    ),
    action('close', 'Close a change request without merging', (_ctx, name) => closeChangeRequest(store(), name)),
  ];
}
