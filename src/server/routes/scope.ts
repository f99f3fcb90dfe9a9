// AppProject scope of reads: the one place that decides which objects a caller's role binding lets them see.
// Every route that filters by project goes through `visibleTo` / `scopeFilter` / `ProjectScope`, and the
// rules that tie an object to projects live here too:
// - an Application is in its spec.project ("default" when empty);
// - a ChangeRequest is in the projects of the Applications deploying the repo paths it changes (`projectsOf`);
// - a PipelineRun is in the projects of the ChangeRequests it opened (spec.pipelineRun);
// - an image repository is in the projects of the Applications whose status.summary.images name an image
//   from it, and of the ChangeRequests that promote an image from it (spec.images).
// Admins and bindings with "*" see everything. An object tied to no project (a run that opened no change
// request, a repository nothing deploys or promotes) is visible to every authenticated user, unless the
// caller asks for `unowned: 'hidden'` (policy violations of objects no Application owns).
import type { KubeClient, KubeObject } from '../../kube/index.ts';
import { CI_NAMESPACE, KubeChangeRequestStore, type ChangeRequest } from '../../pipeline/index.ts';
import { canAccessProject, coversAll, type Principal } from '../auth.ts';
import { appProject, kubeStatus, upstream, type RouteEnv } from '../route.ts';

type Binding = Pick<Principal, 'role' | 'projects'>;

export { coversAll };

export interface VisibleOptions {
  /** an object tied to no project: visible to everyone authenticated (default) or only to unscoped callers */
  unowned?: 'visible' | 'hidden';
}

/**
 * true when the caller may see an object tied to `projects` (a name, a list, or null/[] for none): the
 * binding covers all projects, or at least one of the object's projects, or the object has none and
 * `unowned` is "visible".
 */
export function visibleTo(p: Binding, projects: string | readonly string[] | null, o: VisibleOptions = {}): boolean {
  if (coversAll(p)) return true;
  const list = projects === null ? [] : typeof projects === 'string' ? [projects] : projects;
  if (list.length === 0) return (o.unowned ?? 'visible') === 'visible';
  return list.some((x) => canAccessProject(p, x));
}

/** The items the caller may see, `projectsOf` telling each one's projects; unscoped callers get them all. */
export function scopeFilter<T>(
  p: Binding,
  items: readonly T[],
  projectsOf: (item: T) => string | readonly string[] | null,
  o: VisibleOptions = {},
): T[] {
  if (coversAll(p)) return [...items];
  return items.filter((i) => visibleTo(p, projectsOf(i), o));
}

/** A repo URL or path without the trailing "/" or ".git", for comparing. */
export function sameRepo(a: string, b: string): boolean {
  const n = (x: string) =>
    x
      .trim()
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
  return n(a) === n(b);
}

/** true when an Application path and a promoted path overlap (one contains the other). */
export function pathsOverlap(a: string, b: string): boolean {
  const n = (x: string) => x.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  const x = n(a);
  const y = n(b);
  return x === '' || x === '.' || y === '' || x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/** The AppProjects of the Applications that deploy what a change request changes (repo + paths). */
export function projectsOf(cr: Pick<ChangeRequest, 'spec'>, apps: readonly KubeObject[]): string[] {
  const out = new Set<string>();
  const spec = cr.spec ?? ({} as ChangeRequest['spec']);
  for (const a of apps) {
    const as = (a.spec ?? {}) as {
      source?: { repoURL?: string; path?: string };
      sources?: { repoURL?: string; path?: string }[];
    };
    const sources = as.sources?.length ? as.sources : as.source ? [as.source] : [];
    const hit = sources.some(
      (s) =>
        typeof s.repoURL === 'string' &&
        typeof spec.repo === 'string' &&
        sameRepo(s.repoURL, spec.repo) &&
        (!spec.paths?.length || spec.paths.some((p) => pathsOverlap(s.path ?? '', p))),
    );
    if (hit) out.add(appProject(a));
  }
  return [...out].sort();
}

/**
 * The repository of an image reference: without the tag or digest, and without the registry host when the
 * first segment names one (has a "." or ":", or is "localhost"), e.g. 127.0.0.1:5000/demo/app@sha256:… → demo/app.
 */
export function imageRepository(ref: string): string {
  let r = ref.trim();
  const at = r.indexOf('@');
  if (at >= 0) r = r.slice(0, at);
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon > slash) r = r.slice(0, colon);
  const first = r.split('/')[0] ?? '';
  if (r.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost'))
    r = r.slice(first.length + 1);
  return r;
}

/** The images an Application reports running (status.summary.images, as Argo CD fills it). */
function appImages(a: KubeObject): string[] {
  const imgs = ((a.status ?? {}) as { summary?: { images?: unknown } }).summary?.images;
  return Array.isArray(imgs) ? imgs.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Which projects own which runs, change requests and repositories, computed once per request from the
 * Applications and the ChangeRequests.
 */
export class ProjectScope {
  private readonly crProjects = new Map<string, string[]>();
  private readonly runProjects = new Map<string, Set<string>>();
  private readonly repoProjects = new Map<string, Set<string>>();

  constructor(
    private readonly p: Binding,
    apps: readonly KubeObject[],
    changeRequests: readonly ChangeRequest[],
  ) {
    const add = (m: Map<string, Set<string>>, k: string, v: readonly string[]) => {
      if (!v.length) return;
      const s = m.get(k) ?? new Set<string>();
      for (const x of v) s.add(x);
      m.set(k, s);
    };
    for (const a of apps) for (const i of appImages(a)) add(this.repoProjects, imageRepository(i), [appProject(a)]);
    for (const cr of changeRequests) {
      const ps = projectsOf(cr, apps);
      this.crProjects.set(cr.metadata.name, ps);
      if (cr.spec?.pipelineRun) add(this.runProjects, cr.spec.pipelineRun, ps);
      for (const i of cr.spec?.images ?? [])
        if (typeof i.image === 'string') add(this.repoProjects, imageRepository(i.image), ps);
    }
  }

  get unscoped(): boolean {
    return coversAll(this.p);
  }
  changeRequestProjects(cr: ChangeRequest): string[] {
    return this.crProjects.get(cr.metadata.name) ?? [];
  }
  runProjectsOf(run: string): string[] {
    return [...(this.runProjects.get(run) ?? [])].sort();
  }
  repositoryProjects(repo: string): string[] {
    return [...(this.repoProjects.get(repo) ?? [])].sort();
  }
  canSeeChangeRequest(cr: ChangeRequest): boolean {
    return visibleTo(this.p, this.changeRequestProjects(cr));
  }
  canSeeRun(run: string): boolean {
    return visibleTo(this.p, this.runProjectsOf(run));
  }
  canSeeRepository(repo: string): boolean {
    return visibleTo(this.p, this.repositoryProjects(repo));
  }
}

/** Lists the ChangeRequests of the CI namespace; none when the kind is not installed. */
export async function listChangeRequests(kube: KubeClient): Promise<ChangeRequest[]> {
  try {
    return await new KubeChangeRequestStore(kube, CI_NAMESPACE).list();
  } catch (e) {
    if (kubeStatus(e) === 404 || /no resource|not found|unknown kind/i.test((e as Error).message)) return [];
    throw upstream(e, 'change requests');
  }
}

/**
 * The caller's scope for this request: for an unscoped caller an empty one (nothing is read); otherwise the
 * Applications (from the cache) and the ChangeRequests (from the cluster, unless the caller has listed them).
 */
export async function loadScope(
  env: Pick<RouteEnv, 'd' | 'apps'>,
  p: Binding,
  changeRequests?: readonly ChangeRequest[],
): Promise<ProjectScope> {
  if (coversAll(p) || !env.d.kube) return new ProjectScope(p, [], []);
  await env.apps.ready().catch(() => undefined);
  return new ProjectScope(p, env.apps.all(), changeRequests ?? (await listChangeRequests(env.d.kube)));
}
