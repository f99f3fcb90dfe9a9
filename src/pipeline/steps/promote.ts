// `promote`: update the image reference by digest in the config repo, on a branch, with a change request.
// Inputs: repo, path, image (NAME=REF@sha256:...) or images (list / mapping NAME: REF), values-file, keys
// (mapping repository/digest/image), base, policy (list of host paths), namespace, data (data files or folders
// for the policy check, as conftest --data), title,
// fail-on-policy (default true), github (owner/repo: also open a pull request), github-token, github-api,
// gitlab (project: also open a merge request), gitlab-token, gitlab-api, whatif (true: record a what-if
// preview, server-side dry-run against the cluster of `kubeconfig`, context `context`; fail-on-whatif,
// default true, fails the step when admission denies or the preview errs).
// Outputs: branch, commit, change-request, outcome, policy, whatif, pull-request(-url), merge-request(-url).
import { join } from 'node:path';
import { KubeClient } from '../../kube/index.ts';
import { PipelineError } from '../errors.ts';
import { FileChangeRequestStore } from '../promote/change-request.ts';
import { parseImageUpdate, type ImageUpdate } from '../promote/edit.ts';
import { GitHubClient, githubRepo, gitTokenEnv, publishToGitHub } from '../promote/github.ts';
import { GitLabClient, publishToGitLab } from '../promote/gitlab.ts';
import { promote } from '../promote/promote.ts';
import type { Annotation, StepContext, StepResult } from '../types.ts';
import { Inputs } from './inputs.ts';

export async function promoteStep(ctx: StepContext): Promise<StepResult> {
  const i = new Inputs(ctx);
  const dataDir = ctx.services.dataDir;
  if (!dataDir)
    throw new PipelineError('pipeline_invalid', `step ${ctx.step.id}: promote needs a data dir (--data-dir)`);
  const images: ImageUpdate[] = [];
  if (i.has('image')) images.push(parseImageUpdate(i.str('image')));
  const many = ctx.inputs.images;
  if (many && typeof many === 'object' && !Array.isArray(many))
    for (const [k, v] of Object.entries(i.map('images'))) images.push(parseImageUpdate(`${k}=${v}`));
  else for (const s of i.list('images')) images.push(parseImageUpdate(s));
  const keys = i.map('keys');
  const repoInput = i.str('repo');
  const repo =
    /^[a-z][a-z0-9+.-]*:\/\//i.test(repoInput) || /^[^/]+@[^:]+:/.test(repoInput) ? repoInput : i.path('repo');
  const store = ctx.services.changeRequests ?? new FileChangeRequestStore(join(dataDir, 'changerequests'));
  const ghToken = i.optStr('github-token');
  if (ghToken) ctx.mask(ghToken);
  const wantWhatIf = i.bool('whatif', false);
  if (wantWhatIf && !i.has('kubeconfig'))
    throw new PipelineError('pipeline_invalid', `step ${ctx.step.id}: whatif needs the target cluster's kubeconfig`);
  const kube = wantWhatIf
    ? await KubeClient.fromKubeconfig({
        path: i.path('kubeconfig'),
        ...(i.has('context') ? { context: i.str('context') } : {}),
      })
    : undefined;
  const r = await promote({
    repo,
    path: i.str('path', '.'),
    images,
    ...(i.has('values-file') ? { valuesFile: i.str('values-file') } : {}),
    ...(Object.keys(keys).length ? { keys } : {}),
    ...(i.has('base') ? { base: i.str('base') } : {}),
    ...(i.has('title') ? { title: i.str('title') } : {}),
    run: ctx.runId,
    dataDir,
    store,
    ...(i.has('policy') ? { policy: i.list('policy').map((p) => i.path('__none__', p)) } : {}),
    ...(i.has('namespace') ? { namespaces: i.list('namespace') } : {}),
    ...(i.has('data') ? { data: i.list('data').map((p) => i.path('__none__', p)) } : {}),
    ...(ghToken && /^https:/.test(repo) ? { gitEnv: gitTokenEnv(ghToken) } : {}),
    now: ctx.services.now,
    log: (l) => ctx.log(l),
    ...(kube ? { whatIf: { client: kube } } : {}),
  }).finally(() => kube?.close());
  let cr = r.changeRequest;
  const outputs: Record<string, string> = {};
  if (i.has('github') && cr) {
    const token = i.str('github-token');
    ctx.mask(token);
    const gh = new GitHubClient({ token, apiUrl: i.str('github-api', 'https://api.github.com') });
    const pub = await publishToGitHub(cr, gh, githubRepo(i.str('github')));
    cr = await store.update(cr);
    ctx.log(`pull request #${pub.pull.number} ${pub.created ? 'opened' : 'found'}: ${pub.pull.html_url}`);
    outputs['pull-request'] = String(pub.pull.number);
    outputs['pull-request-url'] = pub.pull.html_url;
  }
  if (i.has('gitlab') && cr) {
    const token = i.str('gitlab-token');
    ctx.mask(token);
    const gl = new GitLabClient({ token, apiUrl: i.str('gitlab-api', 'https://gitlab.com/api/v4') });
    const pub = await publishToGitLab(cr, gl, i.str('gitlab'));
    cr = await store.update(cr);
    ctx.log(`merge request !${pub.mergeRequest.iid} ${pub.created ? 'opened' : 'found'}: ${pub.mergeRequest.web_url}`);
    outputs['merge-request'] = String(pub.mergeRequest.iid);
    outputs['merge-request-url'] = pub.mergeRequest.web_url;
  }
  const policy = cr?.status?.policy;
  const annotations: Annotation[] = (policy?.results ?? []).map((x) => ({
    level: x.level === 'failure' ? 'error' : 'warning',
    file: x.file,
    ...(x.line ? { line: x.line } : {}),
    message: x.message,
  }));
  const whatIf = cr?.status?.whatIf;
  for (const d of whatIf?.denials ?? [])
    annotations.push({
      level: 'error',
      file: cr!.spec.paths.join(', '),
      message: `what-if: ${d.kind} ${d.namespace ? d.namespace + '/' : ''}${d.name} denied${d.webhook ? ` by ${d.webhook}` : ''}: ${d.message}`,
    });
  const failed = policy && (policy.result === 'Failed' || policy.result === 'Error') && i.bool('fail-on-policy', true);
  const whatIfFailed =
    !failed && wantWhatIf && whatIf && whatIf.result !== 'Passed' && i.bool('fail-on-whatif', true)
      ? `what-if ${whatIf.result} on change request ${cr!.metadata.name}: ${
          whatIf.denials
            .slice(0, 3)
            .map((d) => `${d.kind} ${d.name}: ${d.message}`)
            .join('; ') ||
          whatIf.message ||
          ''
        }`
      : undefined;
  return {
    summary: `${r.outcome}: ${r.branch}${cr ? `, change request ${cr.metadata.name} (policy ${policy?.result ?? 'NotRun'})` : ''}`,
    annotations,
    outputs: {
      ...outputs,
      branch: r.branch,
      outcome: r.outcome,
      ...(r.commit ? { commit: r.commit } : {}),
      ...(cr ? { 'change-request': cr.metadata.name } : {}),
      policy: policy?.result ?? 'NotRun',
      ...(whatIf ? { whatif: whatIf.result } : {}),
    },
    ...(whatIfFailed ? { failure: whatIfFailed } : {}),
    ...(failed
      ? {
          failure: `policy check ${policy.result} on change request ${cr!.metadata.name}: ${
            policy.results
              .filter((x) => x.level === 'failure')
              .slice(0, 3)
              .map((x) => `${x.file}${x.line ? `:${x.line}` : ''} ${x.message}`)
              .join('; ') || policy.message
          }`,
        }
      : {}),
  };
}
