// GitHub REST for change requests: pull requests, issue comments and check runs with annotations, as
// documented at docs.github.com/rest (API version 2022-11-28). The token goes only into the Authorization
// header; it is never part of an error message or log line.
import { PipelineError } from '../errors.ts';
import type { ChangeRequest } from './change-request.ts';
import { RestClient, type FetchLike } from './rest-client.ts';

export type { FetchLike } from './rest-client.ts';

export interface GitHubOptions {
  token: string;
  /** default https://api.github.com (GitHub Enterprise: https://HOST/api/v3) */
  apiUrl?: string;
  fetch?: FetchLike;
  userAgent?: string;
}

export interface PullRequest {
  number: number;
  html_url: string;
  state: string;
  head: { ref: string; sha: string };
  base: { ref: string };
}

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
}

/** GitHub accepts at most 50 annotations per check-run request. */
const ANNOTATIONS_PER_REQUEST = 50;

export class GitHubClient {
  private readonly rest: RestClient;
  constructor(o: GitHubOptions) {
    this.rest = new RestClient({
      api: (o.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
      token: o.token,
      headers: {
        Accept: 'application/vnd.github+json',
        Authorization: `Bearer ${o.token}`,
        'X-GitHub-Api-Version': '2022-11-28',
        'User-Agent': o.userAgent ?? 'sekisho',
      },
      ...(o.fetch ? { fetch: o.fetch } : {}),
      code: 'github_api_error',
      errorMessage: (j) =>
        [j.message, ...((j.errors as Array<{ message?: string }> | undefined) ?? []).map((e) => e.message)]
          .filter(Boolean)
          .join(': '),
    });
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.rest.call<T>(method, path, body);
  }

  /** GET /repos/{owner}/{repo}/pulls?head=owner:branch&base=base&state=open */
  async findPull(owner: string, repo: string, head: string, base: string): Promise<PullRequest | undefined> {
    const q = new URLSearchParams({ head: `${owner}:${head}`, base, state: 'open' });
    const list = await this.call<PullRequest[]>('GET', `/repos/${enc(owner)}/${enc(repo)}/pulls?${q}`);
    return list[0];
  }

  /** POST /repos/{owner}/{repo}/pulls */
  createPull(
    owner: string,
    repo: string,
    p: { title: string; head: string; base: string; body: string },
  ): Promise<PullRequest> {
    return this.call('POST', `/repos/${enc(owner)}/${enc(repo)}/pulls`, p);
  }

  /** POST /repos/{owner}/{repo}/issues/{issue_number}/comments */
  comment(owner: string, repo: string, issue: number, body: string): Promise<{ id: number; html_url: string }> {
    return this.call('POST', `/repos/${enc(owner)}/${enc(repo)}/issues/${issue}/comments`, { body });
  }

  /** POST /repos/{owner}/{repo}/check-runs, then PATCH /check-runs/{id} for annotations past the first 50. */
  async checkRun(
    owner: string,
    repo: string,
    c: {
      name: string;
      head_sha: string;
      conclusion: 'success' | 'failure' | 'neutral' | 'action_required';
      title: string;
      summary: string;
      annotations: CheckAnnotation[];
      details_url?: string;
    },
  ): Promise<{ id: number; html_url?: string }> {
    const chunks: CheckAnnotation[][] = [];
    for (let i = 0; i < c.annotations.length; i += ANNOTATIONS_PER_REQUEST)
      chunks.push(c.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
    const output = (annotations: CheckAnnotation[]) => ({
      title: c.title,
      summary: c.summary,
      ...(annotations.length ? { annotations } : {}),
    });
    const run = await this.call<{ id: number; html_url?: string }>(
      'POST',
      `/repos/${enc(owner)}/${enc(repo)}/check-runs`,
      {
        name: c.name,
        head_sha: c.head_sha,
        status: 'completed',
        conclusion: c.conclusion,
        ...(c.details_url ? { details_url: c.details_url } : {}),
        output: output(chunks[0] ?? []),
      },
    );
    for (const more of chunks.slice(1))
      await this.call('PATCH', `/repos/${enc(owner)}/${enc(repo)}/check-runs/${run.id}`, { output: output(more) });
    return run;
  }
}

const enc = encodeURIComponent;

/** `owner/repo` from a GitHub remote URL or an `owner/repo` string. */
export function githubRepo(spec: string): { owner: string; repo: string } {
  const m = /(?:^|[/:])([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(spec);
  if (!m) throw new PipelineError('promote_invalid', `cannot tell the GitHub owner/repo from ${JSON.stringify(spec)}`);
  return { owner: m[1]!, repo: m[2]! };
}

export interface PublishResult {
  pull: PullRequest;
  created: boolean;
  commentId?: number;
  checkRunId?: number;
}

/**
 * Opens (or finds) the pull request for a change request, and posts its policy check once per head commit:
 * a comment with the results and a check run on the head commit with one annotation per finding. Records
 * the pull request in `status.external` (the caller saves the change request).
 */
export async function publishToGitHub(
  cr: ChangeRequest,
  gh: GitHubClient,
  target: { owner: string; repo: string },
): Promise<PublishResult> {
  const st = cr.status;
  if (!st) throw new PipelineError('cr_state', `change request ${cr.metadata.name} has no status`);
  let pull = await gh.findPull(target.owner, target.repo, cr.spec.head, cr.spec.base);
  let created = false;
  if (!pull) {
    pull = await gh.createPull(target.owner, target.repo, {
      title: cr.spec.title,
      head: cr.spec.head,
      base: cr.spec.base,
      body: `${cr.spec.description}\n\nChange request: \`${cr.metadata.name}\` (opened by Sekisho)`,
    });
    created = true;
  }
  const out: PublishResult = { pull, created };
  const prev = st.external?.provider === 'github' && st.external.number === pull.number ? st.external : undefined;
  st.external = {
    provider: 'github',
    url: pull.html_url,
    number: pull.number,
    ...(prev?.checkedCommit ? { checkedCommit: prev.checkedCommit } : {}),
  };
  const p = st.policy;
  if (!p || prev?.checkedCommit === p.commit) return out;
  const failures = p.results.filter((r) => r.level === 'failure');
  const warnings = p.results.filter((r) => r.level === 'warning');
  const summary =
    `Policy check **${p.result}** on \`${p.commit.slice(0, 12)}\`: ${failures.length} failure(s), ${warnings.length} warning(s)` +
    (p.files.length ? `\n\nChecked: ${p.files.map((f) => `\`${f}\``).join(', ')}` : '') +
    (p.message ? `\n\n${p.message}` : '');
  const list = p.results
    .map((r) => `- ${r.level === 'failure' ? '❌' : '⚠️'} \`${r.file}${r.line ? `:${r.line}` : ''}\` ${r.message}`)
    .join('\n');
  const c = await gh.comment(target.owner, target.repo, pull.number, `${summary}${list ? `\n\n${list}` : ''}`);
  out.commentId = c.id;
  const annotations: CheckAnnotation[] = p.results.map((r) => ({
    // annotations need a path in the repo: a rendered output is reported on the folder's kustomization/values
    path: r.file.replace(/ \((kustomize|helm) render\)$/, (_m, k: string) =>
      k === 'kustomize' ? '/kustomization.yaml' : '/values.yaml',
    ),
    start_line: r.line ?? 1,
    end_line: r.line ?? 1,
    annotation_level: r.level === 'failure' ? 'failure' : 'warning',
    message: r.message,
    title: `policy ${r.namespace}`,
  }));
  const run = await gh.checkRun(target.owner, target.repo, {
    name: 'sekisho/policy',
    head_sha: p.commit,
    conclusion: p.result === 'Passed' ? 'success' : p.result === 'NotRun' ? 'neutral' : 'failure',
    title: `Policy ${p.result}`,
    summary,
    annotations,
  });
  out.checkRunId = run.id;
  st.external = { ...st.external, checkedCommit: p.commit, checkRunId: run.id, commentId: c.id };
  return out;
}

/** Git environment that authenticates HTTPS pushes with a token through a header (never in the URL). */
export function gitTokenEnv(token: string, user = 'x-access-token'): Record<string, string> {
  const basic = Buffer.from(`${user}:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}
