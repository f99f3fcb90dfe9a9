// `sekisho app ...`: the argocd CLI's app verbs against Applications in a cluster (create, list, get,
// diff, sync, history, rollback, wait, delete, import). Talks to the API server only; the controller
// does the work (sync and rollback set the Application's `operation`, as argocd does).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import {
  API_VERSION,
  appSources,
  diffObjects,
  GitCache,
  GitOpsError,
  importArgoApplication,
  instanceName,
  kubeClusterOps,
  Renderer,
  spawnRunner,
  trackingId,
  TRACKING_ANNOTATION,
  type Application,
} from '../../gitops/index.ts';
import { KubeClient, KubeError, type KubeObject } from '../../kube/index.ts';

interface Common {
  kubeconfig?: string;
  context?: string;
  appNamespace: string;
  output?: string;
}

function common(c: Command): Command {
  return c
    .option('--kubeconfig <path>', 'kubeconfig of the cluster')
    .option('--context <name>', 'kubeconfig context')
    .option('-N, --app-namespace <ns>', 'namespace of the Application', 'sekisho-gitops')
    .option('-o, --output <format>', 'output format: wide (default), json or yaml');
}

async function clientOf(o: Common): Promise<KubeClient> {
  const path = o.kubeconfig ?? process.env.KUBECONFIG;
  return KubeClient.fromKubeconfig({ ...(path ? { path } : {}), ...(o.context ? { context: o.context } : {}) });
}

async function getApp(client: KubeClient, name: string, ns: string): Promise<Application> {
  try {
    return await client.get<Application>(API_VERSION, 'Application', name, ns);
  } catch (err) {
    if (err instanceof KubeError && err.status === 404)
      throw new GitOpsError('gitops_not_found', `application "${name}" not found in namespace ${ns}`);
    throw err;
  }
}

function print(o: Common, value: unknown, text: () => string): void {
  if (o.output === 'json') process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else if (o.output === 'yaml') process.stdout.write(stringify(value));
  else process.stdout.write(text());
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function summary(a: Application): string {
  const s = a.status ?? {};
  const src = appSources(a)[0];
  const lines = [
    `Name:               ${a.metadata.namespace}/${a.metadata.name}`,
    `Project:            ${a.spec.project}`,
    `Server:             ${a.spec.destination.server ?? a.spec.destination.name ?? ''}`,
    `Namespace:          ${a.spec.destination.namespace ?? ''}`,
    `Repo:               ${src?.repoURL ?? ''}`,
    `Target:             ${src?.targetRevision ?? 'HEAD'}`,
    `Path:               ${src?.path ?? ''}`,
    `SyncWindow:         Sync Allowed`,
    `Sync Policy:        ${a.spec.syncPolicy?.automated ? `Automated${a.spec.syncPolicy.automated.prune ? ' (Prune)' : ''}` : 'Manual'}`,
    `Sync Status:        ${s.sync?.status ?? 'Unknown'} to ${src?.targetRevision ?? 'HEAD'} (${(s.sync?.revision ?? '').slice(0, 7)})`,
    `Health Status:      ${s.health?.status ?? 'Unknown'}`,
  ];
  for (const c of s.conditions ?? []) lines.push(`Condition:          ${c.type}: ${c.message}`);
  if (s.operationState)
    lines.push(
      `Operation:          Sync ${s.operationState.phase}${s.operationState.message ? ': ' + s.operationState.message : ''}`,
    );
  const rows = [['GROUP', 'KIND', 'NAMESPACE', 'NAME', 'STATUS', 'HEALTH', 'HOOK', 'MESSAGE']];
  const results = new Map(
    (s.operationState?.syncResult?.resources ?? []).map((r) => [`${r.kind}/${r.namespace}/${r.name}`, r]),
  );
  for (const r of s.resources ?? [])
    rows.push([
      r.group,
      r.kind,
      r.namespace,
      r.name,
      r.status,
      r.health?.status ?? '',
      '',
      results.get(`${r.kind}/${r.namespace}/${r.name}`)?.message ?? '',
    ]);
  return lines.join('\n') + '\n\n' + table(rows);
}

async function waitFor(
  client: KubeClient,
  name: string,
  ns: string,
  pred: (a: Application) => boolean,
  timeoutS: number,
): Promise<Application> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const a = await getApp(client, name, ns);
    if (pred(a)) return a;
    const left = deadline - Date.now();
    if (left <= 0)
      throw new GitOpsError('gitops_timeout', `timed out after ${timeoutS}s waiting for application "${name}"`);
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), Math.min(left, 10_000));
    try {
      for await (const ev of client.watch<Application>(API_VERSION, 'Application', {
        namespace: ns,
        fieldSelector: `metadata.name=${name}`,
        resourceVersion: a.metadata.resourceVersion!,
        signal: ac.signal,
      })) {
        if ((ev.type === 'MODIFIED' || ev.type === 'ADDED') && pred(ev.object)) return ev.object;
      }
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    } finally {
      clearTimeout(t);
    }
  }
}

async function runOperation(
  client: KubeClient,
  o: Common,
  name: string,
  revision: string | undefined,
  extra: { prune?: boolean; dryRun?: boolean; async?: boolean; timeout: number },
): Promise<void> {
  const before = await getApp(client, name, o.appNamespace);
  const prevStarted = before.status?.operationState?.startedAt;
  await client.patch(
    API_VERSION,
    'Application',
    name,
    o.appNamespace,
    {
      operation: {
        sync: {
          ...(revision ? { revision } : {}),
          ...(extra.prune ? { prune: true } : {}),
          ...(extra.dryRun ? { dryRun: true } : {}),
        },
        initiatedBy: { username: process.env.USER ?? 'sekisho' },
      },
    },
    'merge',
  );
  if (extra.async) return;
  const a = await waitFor(
    client,
    name,
    o.appNamespace,
    (x) =>
      !x.operation &&
      !!x.status?.operationState &&
      x.status.operationState.startedAt !== undefined &&
      x.status.operationState.phase !== 'Running' &&
      (x.status.operationState.startedAt !== prevStarted ||
        x.status.operationState.finishedAt !== before.status?.operationState?.finishedAt),
    extra.timeout,
  );
  print(o, a, () => summary(a));
  if (a.status?.operationState?.phase !== 'Succeeded') process.exitCode = 1;
}

export function register(program: Command): void {
  const app = program
    .command('app')
    .description('Manage Applications (Argo CD compatible) reconciled by `sekisho controller`');

  common(app.command('create [name]'))
    .description('Create an application from flags or from a file (-f)')
    .option('-f, --file <path>', "Application YAML (ours or Argo CD's)")
    .option('--repo <url>', 'repository URL')
    .option('--path <path>', 'path in the repository', '.')
    .option('--revision <rev>', 'target revision', 'HEAD')
    .option('--dest-server <url>', 'destination cluster', 'https://kubernetes.default.svc')
    .option('--dest-namespace <ns>', 'destination namespace')
    .option('--project <name>', 'project', 'default')
    .option('--sync-policy <policy>', 'manual or automated', 'manual')
    .option('--auto-prune', 'prune when syncing automatically')
    .option('--self-heal', 'revert drift automatically')
    .option('--sync-option <opt...>', 'sync options, e.g. CreateNamespace=true')
    .option('--directory-recurse', 'read the directory recursively')
    .action(async (name: string | undefined, o: Common & Record<string, unknown>) => {
      const client = await clientOf(o);
      try {
        let objs;
        if (o.file)
          objs = importArgoApplication(readFileSync(o.file as string, 'utf8'), o.file as string, {
            controllerNamespace: o.appNamespace,
          });
        else {
          if (!name || !o.repo)
            throw Object.assign(new Error('app create needs a name and --repo (or -f FILE)'), { code: 'usage' });
          objs = [
            {
              apiVersion: API_VERSION,
              kind: 'Application',
              metadata: { name, namespace: o.appNamespace },
              spec: {
                project: o.project,
                source: {
                  repoURL: o.repo,
                  path: o.path,
                  targetRevision: o.revision,
                  ...(o.directoryRecurse ? { directory: { recurse: true } } : {}),
                },
                destination: { server: o.destServer, ...(o.destNamespace ? { namespace: o.destNamespace } : {}) },
                ...(o.syncPolicy === 'automated' || o.syncOption
                  ? {
                      syncPolicy: {
                        ...(o.syncPolicy === 'automated'
                          ? { automated: { prune: !!o.autoPrune, selfHeal: !!o.selfHeal } }
                          : {}),
                        ...(o.syncOption ? { syncOptions: o.syncOption } : {}),
                      },
                    }
                  : {}),
              },
            },
          ];
        }
        const created: KubeObject[] = [];
        for (const obj of objs) created.push(await client.create(obj));
        print(o, created.length === 1 ? created[0] : created, () =>
          created.map((c) => `${c.kind.toLowerCase()} '${c.metadata.name}' created\n`).join(''),
        );
      } finally {
        client.close();
      }
    });

  common(app.command('list'))
    .description('List applications')
    .option('-A, --all-namespaces', 'every namespace')
    .action(async (o: Common & { allNamespaces?: boolean }) => {
      const client = await clientOf(o);
      try {
        const list = await client.listAll<Application>(API_VERSION, 'Application', {
          namespace: o.allNamespaces ? '' : o.appNamespace,
        });
        print(o, list.items, () =>
          table([
            ['NAME', 'CLUSTER', 'NAMESPACE', 'PROJECT', 'STATUS', 'HEALTH', 'SYNCPOLICY', 'REPO', 'PATH', 'TARGET'],
            ...list.items.map((a) => {
              const src = appSources(a)[0];
              return [
                `${a.metadata.namespace}/${a.metadata.name}`,
                a.spec.destination.server ?? a.spec.destination.name ?? '',
                a.spec.destination.namespace ?? '',
                a.spec.project,
                a.status?.sync?.status ?? 'Unknown',
                a.status?.health?.status ?? 'Unknown',
                a.spec.syncPolicy?.automated ? 'Auto' + (a.spec.syncPolicy.automated.prune ? '-Prune' : '') : 'Manual',
                src?.repoURL ?? '',
                src?.path ?? '',
                src?.targetRevision ?? 'HEAD',
              ];
            }),
          ]),
        );
      } finally {
        client.close();
      }
    });

  common(app.command('get <name>'))
    .description('Show an application: sync, health, resources, last operation')
    .option('--refresh', 'ask the controller for a refresh first (argocd.argoproj.io/refresh)')
    .option('--hard-refresh', 'a hard refresh')
    .action(async (name: string, o: Common & { refresh?: boolean; hardRefresh?: boolean }) => {
      const client = await clientOf(o);
      try {
        if (o.refresh || o.hardRefresh) {
          const before = await getApp(client, name, o.appNamespace);
          await client.patch(
            API_VERSION,
            'Application',
            name,
            o.appNamespace,
            { metadata: { annotations: { 'argocd.argoproj.io/refresh': o.hardRefresh ? 'hard' : 'normal' } } },
            'merge',
          );
          await waitFor(
            client,
            name,
            o.appNamespace,
            (a) =>
              !a.metadata.annotations?.['argocd.argoproj.io/refresh'] &&
              a.status?.reconciledAt !== before.status?.reconciledAt,
            60,
          );
        }
        const a = await getApp(client, name, o.appNamespace);
        print(o, a, () => summary(a));
      } finally {
        client.close();
      }
    });

  common(app.command('diff <name>'))
    .description(
      'Show what a sync would change (server-side dry-run apply, normalised, Secrets masked); exit 1 when there are differences',
    )
    .option('--revision <rev>', 'compare this revision instead of the target revision')
    .action(async (name: string, o: Common & { revision?: string }) => {
      const client = await clientOf(o);
      const cache = mkdtempSync(join(tmpdir(), 'sekisho-app-diff-'));
      try {
        const a = await getApp(client, name, o.appNamespace);
        const git = new GitCache({ dir: join(cache, 'repos'), run: spawnRunner });
        const renderer = new Renderer({ run: spawnRunner });
        const ops = kubeClusterOps(client);
        const ctlNs = a.status?.controllerNamespace ?? o.appNamespace;
        const inst = instanceName(a, ctlNs);
        const out: { kind: string; namespace: string; name: string; modified: boolean; diff: string }[] = [];
        const sources = appSources(a);
        for (const [i, src] of sources.entries()) {
          const sha = await git.resolve(src.repoURL, i === 0 && o.revision ? o.revision : src.targetRevision);
          const root = await git.export(src.repoURL, sha, join(cache, 'tree-' + i));
          const { objects } = await renderer.render(root, sha, src);
          for (const t of objects) {
            if (t.metadata.annotations?.['argocd.argoproj.io/hook']) continue;
            if (await ops.isNamespaced(t.apiVersion, t.kind).catch(() => true))
              t.metadata.namespace ??= a.spec.destination.namespace || 'default';
            else delete t.metadata.namespace;
            t.metadata.annotations = { ...(t.metadata.annotations ?? {}), [TRACKING_ANNOTATION]: trackingId(inst, t) };
            const live = await ops.get(t.apiVersion, t.kind, t.metadata.name!, t.metadata.namespace);
            const predicted = live ? await ops.apply(t, { dryRun: true }).catch(() => undefined) : undefined;
            const d = diffObjects(t, live, {
              ...(predicted ? { predictedLive: predicted } : {}),
              ignoreDifferences: a.spec.ignoreDifferences ?? [],
            });
            out.push({
              kind: t.kind,
              namespace: t.metadata.namespace ?? '',
              name: t.metadata.name!,
              modified: d.modified,
              diff: d.diff,
            });
          }
        }
        for (const r of a.status?.resources ?? [])
          if (r.requiresPruning)
            out.push({
              kind: r.kind,
              namespace: r.namespace,
              name: r.name,
              modified: true,
              diff: `--- live ${r.kind}/${r.namespace}/${r.name}\n+++ (pruned)\n`,
            });
        const changed = out.filter((d) => d.modified);
        print(o, changed, () =>
          changed.map((d) => `===== ${d.kind} ${d.namespace}/${d.name} ======\n${d.diff}`).join('\n'),
        );
        if (changed.length) process.exitCode = 1;
      } finally {
        rmSync(cache, { recursive: true, force: true });
        client.close();
      }
    });

  common(app.command('sync <name>'))
    .description('Sync an application to its target revision (or --revision) and wait for the result')
    .option('--revision <rev>', 'revision to sync')
    .option('--prune', 'delete resources no longer in git')
    .option('--dry-run', 'preview the apply')
    .option('--async', 'do not wait for the operation')
    .option('--timeout <s>', 'seconds to wait', '300')
    .action(
      async (
        name: string,
        o: Common & { revision?: string; prune?: boolean; dryRun?: boolean; async?: boolean; timeout: string },
      ) => {
        const client = await clientOf(o);
        try {
          await runOperation(client, o, name, o.revision, {
            ...(o.prune ? { prune: true } : {}),
            ...(o.dryRun ? { dryRun: true } : {}),
            ...(o.async ? { async: true } : {}),
            timeout: Number(o.timeout),
          });
        } finally {
          client.close();
        }
      },
    );

  common(app.command('history <name>'))
    .description('Deployment history of an application')
    .action(async (name: string, o: Common) => {
      const client = await clientOf(o);
      try {
        const a = await getApp(client, name, o.appNamespace);
        const h = a.status?.history ?? [];
        print(o, h, () =>
          table([
            ['ID', 'DATE', 'REVISION'],
            ...h.map((x) => [
              String(x.id),
              x.deployedAt,
              `${x.source?.targetRevision ?? 'HEAD'} (${x.revision.slice(0, 7)})`,
            ]),
          ]),
        );
      } finally {
        client.close();
      }
    });

  common(app.command('rollback <name> [id]'))
    .description('Sync the revision of a history entry (default: the one before the latest); needs auto-sync off')
    .option('--timeout <s>', 'seconds to wait', '300')
    .option('--prune', 'delete resources not in that revision')
    .action(async (name: string, id: string | undefined, o: Common & { timeout: string; prune?: boolean }) => {
      const client = await clientOf(o);
      try {
        const a = await getApp(client, name, o.appNamespace);
        if (a.spec.syncPolicy?.automated)
          throw new GitOpsError(
            'gitops_invalid_spec',
            `rollback cannot be initiated when auto-sync is enabled (application "${name}")`,
          );
        const h = a.status?.history ?? [];
        const entry = id !== undefined ? h.find((x) => x.id === Number(id)) : h[h.length - 2];
        if (!entry)
          throw new GitOpsError(
            'gitops_not_found',
            id !== undefined
              ? `application "${name}" has no history entry ${id}`
              : `application "${name}" has no earlier deployment to roll back to`,
          );
        await runOperation(client, o, name, entry.revision, {
          ...(o.prune ? { prune: true } : {}),
          timeout: Number(o.timeout),
        });
      } finally {
        client.close();
      }
    });

  common(app.command('wait <name>'))
    .description('Wait until the application is synced and healthy (or only one of them)')
    .option('--sync', 'wait for Synced only')
    .option('--health', 'wait for Healthy only')
    .option('--operation', 'wait for the running operation to finish')
    .option('--timeout <s>', 'seconds to wait', '300')
    .action(
      async (name: string, o: Common & { sync?: boolean; health?: boolean; operation?: boolean; timeout: string }) => {
        const client = await clientOf(o);
        try {
          const all = !o.sync && !o.health && !o.operation;
          const a = await waitFor(
            client,
            name,
            o.appNamespace,
            (x) =>
              (!(all || o.sync) || x.status?.sync?.status === 'Synced') &&
              (!(all || o.health) || x.status?.health?.status === 'Healthy') &&
              (!(all || o.operation) || (!x.operation && x.status?.operationState?.phase !== 'Running')),
            Number(o.timeout),
          );
          print(o, a, () => summary(a));
        } finally {
          client.close();
        }
      },
    );

  common(app.command('delete <name>'))
    .description('Delete an application; with --cascade (default) the controller deletes its resources first')
    .option('--no-cascade', 'keep the resources')
    .action(async (name: string, o: Common & { cascade: boolean }) => {
      const client = await clientOf(o);
      try {
        const a = await getApp(client, name, o.appNamespace);
        if (o.cascade && !(a.metadata.finalizers ?? []).includes('resources-finalizer.argocd.argoproj.io'))
          await client.patch(
            API_VERSION,
            'Application',
            name,
            o.appNamespace,
            { metadata: { finalizers: [...(a.metadata.finalizers ?? []), 'resources-finalizer.argocd.argoproj.io'] } },
            'merge',
          );
        await client.delete(API_VERSION, 'Application', name, o.appNamespace);
        print(o, { deleted: name }, () => `application '${name}' deleted\n`);
      } finally {
        client.close();
      }
    });

  app
    .command('import <file>')
    .description(
      'Convert Argo CD Application/AppProject YAML to gitops.sekisho.dev (spec unchanged); --apply creates them',
    )
    .option('-N, --app-namespace <ns>', 'control-plane namespace replacing argocd', 'sekisho-gitops')
    .option('--argo-namespace <ns>', "Argo CD's namespace in the input", 'argocd')
    .option('--apply', 'create the objects in the cluster')
    .option('--kubeconfig <path>', 'kubeconfig of the cluster')
    .option('--context <name>', 'kubeconfig context')
    .option('-o, --output <format>', 'yaml (default) or json')
    .action(async (file: string, o: Common & { argoNamespace: string; apply?: boolean }) => {
      const objs = importArgoApplication(readFileSync(file, 'utf8'), file, {
        controllerNamespace: o.appNamespace,
        argoNamespace: o.argoNamespace,
      });
      if (o.apply) {
        const client = await clientOf(o);
        try {
          for (const obj of objs) await client.apply(obj, { fieldManager: 'sekisho-cli', force: true });
        } finally {
          client.close();
        }
      }
      if (o.output === 'json') process.stdout.write(JSON.stringify(objs, null, 2) + '\n');
      else process.stdout.write(objs.map((x) => stringify(x)).join('---\n'));
    });
}
