// GitLab REST (v4) for change requests: a merge request, a note with the policy results and a commit
// status on the head commit, as documented at docs.gitlab.com/ee/api. The token travels only in the
// PRIVATE-TOKEN header and is redacted from errors.
import { PipelineError } from '../errors.ts';
import type { ChangeRequest } from './change-request.ts';
import { RestClient, type FetchLike } from './rest-client.ts';

export interface GitLabOptions {
  token: string;
  /** default https://gitlab.com/api/v4 */
  apiUrl?: string;
  fetch?: FetchLike;
}

export interface MergeRequest {
  iid: number;
  web_url: string;
  state: string;
  source_branch: string;
  target_branch: string;
}

export class GitLabClient {
  private readonly rest: RestClient;
  constructor(o: GitLabOptions) {
    this.rest = new RestClient({
      api: (o.apiUrl ?? 'https://gitlab.com/api/v4').replace(/\/+$/, ''),
      token: o.token,
      headers: { 'PRIVATE-TOKEN': o.token, Accept: 'application/json' },
      ...(o.fetch ? { fetch: o.fetch } : {}),
      code: 'gitlab_api_error',
      errorMessage: (j) =>
        typeof j.message === 'string'
          ? j.message
          : j.message
            ? JSON.stringify(j.message)
            : (j.error as string | undefined),
    });
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.rest.call<T>(method, path, body);
  }

  /** GET /projects/:id/merge_requests?state=opened&source_branch=&target_branch= */
  async findMergeRequest(project: string, source: string, target: string): Promise<MergeRequest | undefined> {
    const q = new URLSearchParams({ state: 'opened', source_branch: source, target_branch: target });
    return (await this.call<MergeRequest[]>('GET', `/projects/${encodeURIComponent(project)}/merge_requests?${q}`))[0];
  }

  /** POST /projects/:id/merge_requests */
  createMergeRequest(
    project: string,
    m: { source_branch: string; target_branch: string; title: string; description: string },
  ): Promise<MergeRequest> {
    return this.call('POST', `/projects/${encodeURIComponent(project)}/merge_requests`, m);
  }

  /** POST /projects/:id/merge_requests/:iid/notes */
  note(project: string, iid: number, body: string): Promise<{ id: number }> {
    return this.call('POST', `/projects/${encodeURIComponent(project)}/merge_requests/${iid}/notes`, { body });
  }

  /** POST /projects/:id/statuses/:sha */
  commitStatus(
    project: string,
    sha: string,
    s: { state: 'success' | 'failed' | 'pending' | 'canceled'; name: string; description: string },
  ): Promise<{ id: number }> {
    return this.call('POST', `/projects/${encodeURIComponent(project)}/statuses/${sha}`, s);
  }
}

/** Opens (or finds) the merge request of a change request and posts its policy check once per head commit. */
export async function publishToGitLab(
  cr: ChangeRequest,
  gl: GitLabClient,
  project: string,
): Promise<{ mergeRequest: MergeRequest; created: boolean }> {
  const st = cr.status;
  if (!st) throw new PipelineError('cr_state', `change request ${cr.metadata.name} has no status`);
  let mr = await gl.findMergeRequest(project, cr.spec.head, cr.spec.base);
  let created = false;
  if (!mr) {
    mr = await gl.createMergeRequest(project, {
      source_branch: cr.spec.head,
      target_branch: cr.spec.base,
      title: cr.spec.title,
      description: `${cr.spec.description}\n\nChange request: \`${cr.metadata.name}\` (opened by Sekisho)`,
    });
    created = true;
  }
  const prev = st.external?.provider === 'gitlab' && st.external.number === mr.iid ? st.external : undefined;
  st.external = {
    provider: 'gitlab',
    url: mr.web_url,
    number: mr.iid,
    ...(prev?.checkedCommit ? { checkedCommit: prev.checkedCommit } : {}),
  };
  const p = st.policy;
  if (!p || prev?.checkedCommit === p.commit) return { mergeRequest: mr, created };
  const failures = p.results.filter((r) => r.level === 'failure').length;
  const list = p.results
    .map((r) => `- ${r.level === 'failure' ? '❌' : '⚠️'} \`${r.file}${r.line ? `:${r.line}` : ''}\` ${r.message}`)
    .join('\n');
  const n = await gl.note(
    project,
    mr.iid,
    `Policy check **${p.result}** on \`${p.commit.slice(0, 12)}\`: ${failures} failure(s)${list ? `\n\n${list}` : ''}`,
  );
  await gl.commitStatus(project, p.commit, {
    state: p.result === 'Passed' || p.result === 'NotRun' ? 'success' : 'failed',
    name: 'sekisho/policy',
    description: `Policy ${p.result}: ${failures} failure(s)`.slice(0, 255),
  });
  st.external = { ...st.external, checkedCommit: p.commit, commentId: n.id };
  return { mergeRequest: mr, created };
}
