// `sekisho up`: starts the whole platform on one machine under a data directory and runs until
// SIGINT/SIGTERM, then stops every service.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { dockerConfigCredentials } from '../../oci/index.ts';
import { cacheDefaults } from '../../pipeline/index.ts';
import { startPlatform } from '../../platform/index.ts';

export function register(program: Command): void {
  program
    .command('up')
    .description(
      'Start the platform on this machine: sandbox cluster, registry, git server, admission webhook, GitOps controller and API server',
    )
    .option(
      '--data-dir <dir>',
      'directory holding all state (cluster, registry, git repos, users, audit log)',
      './.sekisho',
    )
    .option('--listen <host:port>', 'address of the API server (port 0 picks a free port)', '127.0.0.1:0')
    .option('--kubeconfig <file>', 'use this cluster instead of the sandbox')
    .option(
      '--registry <url>',
      "use this registry (e.g. http://127.0.0.1:5000) instead of the embedded one; credentials from Docker's config.json",
    )
    .option('--reset-admin-password', 'generate and print a new password for the admin user')
    .option('--no-controller', 'do not run the GitOps controller')
    .option('--tls-cert <file>', 'PEM certificate: serve the API over HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('-v, --verbose', 'log debug messages on stderr')
    .option('--audit-interval <seconds>', 'period of the admission audit (0 disables)', '60')
    .option('--no-ci', 'do not run the pipeline runner (PipelineRuns for pushes and webhooks)')
    .option(
      '--config-repo <name|path|url>',
      'config repo of promote steps (the configRepo param): a git server repo name',
    )
    .option('--scan-db <dir>', 'advisory database of scan steps (default $SEKISHO_DB or ~/.cache/sekisho/db)')
    .option(
      '--signing-key <file|secret:ns/name>',
      'key of sign steps ($SEKISHO_SIGNING_KEY in runs): a PEM file (password from $SEKISHO_SIGNING_PASSWORD) or a Secret',
    )
    .option(
      '--poll <repo>',
      'also poll this app repo (git URL) for new commits every 30s (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(
      async (o: {
        dataDir: string;
        listen: string;
        kubeconfig?: string;
        registry?: string;
        resetAdminPassword?: boolean;
        controller: boolean;
        auditInterval: string;
        verbose?: boolean;
        tlsCert?: string;
        tlsKey?: string;
        ci: boolean;
        configRepo?: string;
        scanDb?: string;
        signingKey?: string;
        poll?: string[];
      }) => {
        if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
          throw Object.assign(new Error('--tls-cert and --tls-key go together'), { code: 'usage' });
        const audit = Number(o.auditInterval);
        if (!Number.isFinite(audit) || audit < 0)
          throw Object.assign(new Error(`--audit-interval must be a number of seconds, got "${o.auditInterval}"`), {
            code: 'usage',
          });
        const t0 = Date.now();
        const p = await startPlatform({
          dataDir: o.dataDir,
          listen: o.listen,
          ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
          ...(o.registry
            ? {
                registry: o.registry,
                // credentials for it as `docker login` stored them
                registryCredentials: dockerConfigCredentials(
                  join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json'),
                ),
              }
            : {}),
          resetAdminPassword: o.resetAdminPassword ?? false,
          controller: o.controller,
          auditIntervalMs: audit * 1000,
          ci: o.ci
            ? {
                ...(o.configRepo ? { configRepo: o.configRepo } : {}),
                scanDb:
                  o.scanDb ??
                  process.env.SEKISHO_DB ??
                  cacheDefaults(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache')).scanDb,
                ...(o.signingKey
                  ? {
                      signingKey: o.signingKey.startsWith('secret:')
                        ? { secret: o.signingKey.slice('secret:'.length) }
                        : {
                            file: o.signingKey,
                            ...(process.env.SEKISHO_SIGNING_PASSWORD !== undefined
                              ? { password: process.env.SEKISHO_SIGNING_PASSWORD }
                              : {}),
                          },
                    }
                  : {}),
                // the secret of POST /api/v1/webhooks/git, from the environment (never on a command line)
                ...(process.env.SEKISHO_WEBHOOK_SECRET
                  ? { webhook: { secret: process.env.SEKISHO_WEBHOOK_SECRET } }
                  : {}),
                ...(process.env.PATH ? { env: { PATH: process.env.PATH } } : {}),
                ...(o.poll?.length ? { poll: o.poll.map((repo) => ({ repo, intervalMs: 30_000 })) } : {}),
              }
            : false,
          ...(o.tlsCert && o.tlsKey
            ? { tls: { cert: readFileSync(o.tlsCert, 'utf8'), key: readFileSync(o.tlsKey, 'utf8') } }
            : {}),
          log: (level, msg, fields) =>
            (level !== 'debug' || o.verbose) &&
            process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n'),
        });
        const w = (s: string): boolean => process.stdout.write(s + '\n');
        w(`listening on ${p.apiUrl}`);
        if (p.clusterUrl) w(`cluster:    ${p.clusterUrl}`);
        w(`kubeconfig: ${p.kubeconfigPath}`);
        w(`registry:   ${p.registryUrl}${p.registryEmbedded ? '' : ' (external)'}`);
        w(`git:        ${p.gitUrl}/<repo>.git (repositories in ${p.dataDir}/git)`);
        w(`admission:  ${p.admissionUrl}`);
        w(`controller: ${p.controller ? `running (Applications in namespace ${p.controller.namespace})` : 'off'}`);
        w(`pipelines:  ${p.pipelines ? 'a run per pushed commit (PipelineRuns in namespace sekisho-ci)' : 'off'}`);
        w(`admin user: ${p.admin.user}`);
        if (p.admin.password)
          w(`admin password: ${p.admin.password} (shown once; --reset-admin-password makes a new one)`);
        else w('admin password: unchanged (--reset-admin-password makes a new one)');
        w(
          `ready in ${Date.now() - t0} ms (${Object.entries(p.timings)
            .map(([k, v]) => `${k} ${v} ms`)
            .join(', ')})`,
        );
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void p.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        w('stopped');
      },
    );
}
