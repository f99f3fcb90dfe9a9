// `sekisho promote` and `sekisho cr list|show|whatif|approve|merge|close`: image promotion into a config repo by
// digest and the change requests it opens. The work is done in src/pipeline; this file reads argv and prints.
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { KubeClient } from '../../kube/index.ts';
import {
  FileChangeRequestStore,
  KubeChangeRequestStore,
  PipelineError,
  approveChangeRequest,
  closeChangeRequest,
  mergeChangeRequest,
  parseImageUpdate,
  promote,
  refreshWhatIf,
  type ChangeRequest,
  type ChangeRequestStore,
  GitHubClient,
  githubRepo,
  gitTokenEnv,
  publishToGitHub,
  GitLabClient,
  publishToGitLab,
} from '../../pipeline/index.ts';
import { reportError } from '../report-error.ts';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

interface StoreOpts {
  dataDir: string;
  kubeconfig?: string;
  context?: string;
  crNamespace?: string;
}

async function openStore(o: StoreOpts): Promise<{ store: ChangeRequestStore; close: () => void }> {
  if (o.kubeconfig) {
    const client = await KubeClient.fromKubeconfig({
      path: o.kubeconfig,
      ...(o.context ? { context: o.context } : {}),
    });
    return { store: new KubeChangeRequestStore(client, o.crNamespace ?? 'default'), close: () => client.close() };
  }
  return { store: new FileChangeRequestStore(resolve(o.dataDir, 'changerequests')), close: () => undefined };
}

function storeOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data dir (change requests as files, config repo clones)', '.sekisho')
    .option('--kubeconfig <file>', 'keep change requests in this cluster instead (ChangeRequest objects)')
    .option('--context <name>', 'kubeconfig context')
    .option('--cr-namespace <ns>', 'namespace of the ChangeRequest objects', 'default');
}

/** `--key image.repository/image.digest`: repository and digest key paths; one path (no /) takes repo@digest. */
export function parseKeys(
  spec: string | undefined,
): { repository?: string; digest?: string; image?: string } | undefined {
  if (spec === undefined) return undefined;
  const slash = spec.indexOf('/');
  if (slash < 0) return { image: spec };
  const repository = spec.slice(0, slash);
  const digest = spec.slice(slash + 1);
  if (!digest)
    throw new PipelineError('promote_invalid', `--key ${spec}: the digest key is missing (want REPO_KEY/DIGEST_KEY)`);
  return { ...(repository ? { repository } : {}), digest };
}

function policyLines(cr: ChangeRequest): string {
  const p = cr.status?.policy;
  if (!p) return '';
  const lines = p.results.map(
    (r) => `  ${r.level === 'failure' ? 'FAIL' : 'WARN'} ${r.file}${r.line ? `:${r.line}` : ''}: ${r.message}`,
  );
  return [`policy: ${p.result}${p.message ? ` (${p.message})` : ''}`, ...lines].join('\n') + '\n';
}

function whatIfLines(cr: ChangeRequest, diffs: boolean): string {
  const w = cr.status?.whatIf;
  if (!w) return '';
  const out = [
    `what-if:  ${w.result} on ${w.cluster} at ${w.commit.slice(0, 12)} (${w.checkedAt})${w.message ? ` (${w.message})` : ''}`,
  ];
  for (const r of w.resources)
    out.push(`  ${r.action.padEnd(9)} ${r.kind} ${r.namespace ? r.namespace + '/' : ''}${r.name}`);
  for (const d of w.denials)
    out.push(
      `  DENIED    ${d.kind} ${d.namespace ? d.namespace + '/' : ''}${d.name}${d.webhook ? ` by ${d.webhook}` : ''}: ${d.message}`,
    );
  if (diffs) for (const r of w.resources) if (r.diff) out.push(r.diff.replace(/\n$/, ''));
  return out.join('\n') + '\n';
}

/** The what-if target: --target-kubeconfig, else the cluster of --kubeconfig. */
async function targetClient(o: StoreOpts & { targetKubeconfig?: string; targetContext?: string }): Promise<KubeClient> {
  const path = o.targetKubeconfig ?? o.kubeconfig;
  if (!path)
    throw new PipelineError(
      'promote_invalid',
      'a what-if needs the target cluster: --target-kubeconfig or --kubeconfig',
    );
  const context = o.targetKubeconfig ? o.targetContext : (o.targetContext ?? o.context);
  return KubeClient.fromKubeconfig({ path, ...(context ? { context } : {}) });
}

function describe(cr: ChangeRequest): string {
  const s = cr.status;
  return (
    [
      `name:     ${cr.metadata.name}`,
      `title:    ${cr.spec.title}`,
      `phase:    ${s?.phase ?? '-'}`,
      `repo:     ${cr.spec.repo}`,
      `branch:   ${cr.spec.head} -> ${cr.spec.base}`,
      `head:     ${s?.headCommit ?? '-'}`,
      `images:   ${cr.spec.images.map((i) => `${i.name}=${i.image}`).join(', ')}`,
      `files:    ${(s?.changedFiles ?? []).join(', ')}`,
      ...(cr.spec.pipelineRun ? [`run:      ${cr.spec.pipelineRun}`] : []),
      `approved: ${(s?.approvals ?? []).map((a) => a.by).join(', ') || '-'}`,
      ...(s?.mergeCommit ? [`merged:   ${s.mergeCommit}`] : []),
      ...(s?.conflicts?.length ? [`conflicts: ${s.conflicts.join(', ')}`] : []),
      ...(s?.message ? [`message:  ${s.message}`] : []),
    ].join('\n') +
    '\n' +
    policyLines(cr) +
    whatIfLines(cr, true)
  );
}

function print(cr: ChangeRequest, output: string): void {
  if (output === 'json') process.stdout.write(JSON.stringify(cr, null, 2) + '\n');
  else if (output === 'yaml') process.stdout.write(stringify(cr));
  else process.stdout.write(describe(cr));
}

const outputOption = () =>
  new Option('-o, --output <format>', 'output').choices(['text', 'json', 'yaml']).default('text');

interface PromoteOpts extends StoreOpts {
  repo: string;
  path: string;
  image: string[];
  valuesFile?: string;
  key?: string;
  base?: string;
  run?: string;
  title?: string;
  policy?: string[];
  namespace?: string[];
  data?: string[];
  github?: string;
  githubApi?: string;
  gitlab?: string;
  gitlabApi?: string;
  whatif?: boolean;
  targetKubeconfig?: string;
  targetContext?: string;
  output: string;
}

export function register(program: Command): void {
  storeOptions(
    program
      .command('promote')
      .description('update an image reference by digest in a config repo on a branch and open a change request')
      .requiredOption('--repo <path|url>', 'config repo (a local path or a git URL)')
      .requiredOption(
        '--path <dir>',
        'folder in the config repo: a kustomization, a values file folder or plain manifests',
      )
      .requiredOption(
        '--image <name=ref@sha256:...>',
        'image name as the config refers to it = new reference by digest (repeatable)',
        collect,
      )
      .option('--values-file <file>', 'Helm values file (relative to --path) instead of kustomization/manifests')
      .option(
        '--key <repoKey/digestKey>',
        'values keys to set (default image.repository/image.digest; one key gets repo@digest)',
      )
      .option('--base <branch>', 'branch to merge into (default: the repo default branch)')
      .option('--run <id>', 'pipeline run to link in the commit message and change request')
      .option('--title <text>', 'change request title')
      .option(
        '--policy <path>',
        'policy folder for the check (repeatable; default: policy/ in the config repo)',
        collect,
      )
      .option('--namespace <ns>', 'policy namespace (repeatable; default main)', collect)
      .option('-d, --data <path>', 'data file or folder for the policy check, as conftest --data (repeatable)', collect)
      .option(
        '--github <owner/repo>',
        'also open a GitHub pull request with a policy comment and check run (token: $GITHUB_TOKEN)',
      )
      .option(
        '--github-api <url>',
        'GitHub API base URL (GitHub Enterprise: https://HOST/api/v3)',
        'https://api.github.com',
      )
      .option('--whatif', 'record a what-if preview: server-side dry-run of the head render on the target cluster')
      .option('--target-kubeconfig <file>', 'the what-if target cluster (default: the cluster of --kubeconfig)')
      .option('--target-context <name>', 'kubeconfig context of the what-if target')
      .addOption(outputOption()),
  ).action(async (o: PromoteOpts) => {
    try {
      const { store, close } = await openStore(o);
      const target = o.whatif || o.targetKubeconfig ? await targetClient(o) : undefined;
      try {
        const keys = parseKeys(o.key);
        const token = o.github ? process.env.GITHUB_TOKEN : undefined;
        if (o.github && !token) throw new PipelineError('promote_invalid', '--github needs a token in $GITHUB_TOKEN');
        const glToken = o.gitlab ? process.env.GITLAB_TOKEN : undefined;
        if (o.gitlab && !glToken) throw new PipelineError('promote_invalid', '--gitlab needs a token in $GITLAB_TOKEN');
        const r = await promote({
          repo: o.repo,
          path: o.path,
          images: o.image.map(parseImageUpdate),
          ...(o.valuesFile ? { valuesFile: o.valuesFile } : {}),
          ...(keys ? { keys } : {}),
          ...(o.base ? { base: o.base } : {}),
          ...(o.run ? { run: o.run } : {}),
          ...(o.title ? { title: o.title } : {}),
          ...(o.policy ? { policy: o.policy } : {}),
          ...(o.namespace ? { namespaces: o.namespace } : {}),
          ...(o.data ? { data: o.data } : {}),
          dataDir: resolve(o.dataDir),
          store,
          // HTTPS pushes to GitHub authenticate with the token in a header, never in the URL
          ...(token && /^https:/.test(o.repo) ? { gitEnv: gitTokenEnv(token) } : {}),
          ...(glToken && /^https:/.test(o.repo) ? { gitEnv: gitTokenEnv(glToken, 'oauth2') } : {}),
          log: o.output === 'text' ? (l) => process.stderr.write(l + '\n') : undefined,
          ...(target ? { whatIf: { client: target } } : {}),
        });
        if (o.github && token && r.changeRequest) {
          const gh = new GitHubClient({ token, apiUrl: o.githubApi ?? 'https://api.github.com' });
          const pub = await publishToGitHub(r.changeRequest, gh, githubRepo(o.github));
          r.changeRequest = await store.update(r.changeRequest);
          if (o.output === 'text')
            process.stderr.write(
              `pull request #${pub.pull.number} ${pub.created ? 'opened' : 'found'}: ${pub.pull.html_url}\n`,
            );
        }
        if (o.gitlab && glToken && r.changeRequest) {
          const gl = new GitLabClient({ token: glToken, apiUrl: o.gitlabApi ?? 'https://gitlab.com/api/v4' });
          const pub = await publishToGitLab(r.changeRequest, gl, o.gitlab);
          r.changeRequest = await store.update(r.changeRequest);
          if (o.output === 'text')
            process.stderr.write(
              `merge request !${pub.mergeRequest.iid} ${pub.created ? 'opened' : 'found'}: ${pub.mergeRequest.web_url}\n`,
            );
        }
        if (o.output === 'json') process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else if (o.output === 'yaml') process.stdout.write(stringify(r));
        else {
          process.stdout.write(`${r.outcome}: branch ${r.branch}${r.commit ? ` at ${r.commit.slice(0, 12)}` : ''}\n`);
          if (r.changeRequest) process.stdout.write(describe(r.changeRequest));
        }
        const policy = r.changeRequest?.status?.policy?.result;
        const whatIf = r.changeRequest?.status?.whatIf?.result;
        process.exitCode = policy === 'Failed' || policy === 'Error' || (whatIf && whatIf !== 'Passed') ? 1 : 0;
      } finally {
        target?.close();
        close();
      }
    } catch (err) {
      process.exitCode = reportError(err);
    }
  });

  const cr = program
    .command('cr')
    .description('change requests opened by promotion: list, show, approve, merge, close');
  // commander calls actions with (...arguments, options, command)
  const withStore =
    <A extends unknown[]>(fn: (store: ChangeRequestStore, ...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        const { store, close } = await openStore(args[args.length - 2] as StoreOpts);
        try {
          await fn(store, ...args);
        } finally {
          close();
        }
      } catch (err) {
        process.exitCode = reportError(err);
      }
    };
  storeOptions(cr.command('list').description('list change requests').addOption(outputOption())).action(
    withStore(async (store, o: { output: string }) => {
      const all = await store.list();
      if (o.output === 'json') process.stdout.write(JSON.stringify(all, null, 2) + '\n');
      else if (o.output === 'yaml') process.stdout.write(stringify(all));
      else
        for (const c of all)
          process.stdout.write(
            `${c.metadata.name}  ${c.status?.phase ?? '-'}  policy=${c.status?.policy?.result ?? 'NotRun'}  ${c.spec.head}  ${c.spec.title}\n`,
          );
    }),
  );
  storeOptions(
    cr
      .command('show')
      .description('show a change request with its policy results and what-if preview')
      .argument('<name>')
      .addOption(outputOption()),
  ).action(
    withStore(async (store, name: string, o: { output: string }) => {
      const c = await store.get(name);
      if (!c) throw new PipelineError('cr_not_found', `no change request ${name} in ${store.name}`);
      print(c, o.output);
    }),
  );
  storeOptions(
    cr
      .command('whatif')
      .description(
        'preview the change request on the target cluster again (server-side dry-run of its head) and record it',
      )
      .argument('<name>')
      .option('--target-kubeconfig <file>', 'the target cluster (default: the cluster of --kubeconfig)')
      .option('--target-context <name>', 'kubeconfig context of the target')
      .addOption(outputOption()),
  ).action(
    withStore(
      async (
        store,
        name: string,
        o: StoreOpts & { targetKubeconfig?: string; targetContext?: string; output: string },
      ) => {
        const client = await targetClient(o);
        try {
          const c = await refreshWhatIf(name, { store, dataDir: resolve(o.dataDir), client });
          if (o.output === 'text') process.stdout.write(whatIfLines(c, true));
          else print(c, o.output);
          process.exitCode = c.status?.whatIf?.result === 'Passed' ? 0 : 1;
        } finally {
          client.close();
        }
      },
    ),
  );
  storeOptions(
    cr
      .command('approve')
      .description('approve a change request')
      .argument('<name>')
      .option('--by <who>', 'approver (default: the current user)')
      .addOption(outputOption()),
  ).action(
    withStore(async (store, name: string, o: { by?: string; output: string }) => {
      print(await approveChangeRequest(store, name, o.by ?? userInfo().username), o.output);
    }),
  );
  storeOptions(
    cr
      .command('merge')
      .description('merge the branch into its base (a real git merge; conflicts are reported and nothing is merged)')
      .argument('<name>')
      .option('--override-policy', 'merge even though the policy check failed')
      .option('--required-approvals <n>', 'approvals needed', '0')
      .addOption(outputOption()),
  ).action(
    withStore(
      async (
        store,
        name: string,
        o: StoreOpts & { overridePolicy?: boolean; requiredApprovals: string; output: string },
      ) => {
        const merged = await mergeChangeRequest(name, {
          store,
          dataDir: resolve(o.dataDir),
          overridePolicy: o.overridePolicy === true,
          requiredApprovals: Number(o.requiredApprovals),
        });
        print(merged, o.output);
      },
    ),
  );
  storeOptions(
    cr
      .command('close')
      .description('close a change request without merging')
      .argument('<name>')
      .addOption(outputOption()),
  ).action(
    withStore(async (store, name: string, o: { output: string }) => {
      print(await closeChangeRequest(store, name), o.output);
    }),
  );
}
