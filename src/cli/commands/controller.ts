// `sekisho controller`: runs the GitOps controller against a cluster (any kubeconfig, or the sandbox's),
// with an HTTP endpoint for git host webhooks and health.
import http from 'node:http';
import type { Command } from 'commander';
import { startController, webhookRepoURLs } from '../../gitops/index.ts';
import { parseListen } from '../../sandbox/index.ts';
import { dockerConfigCredentials } from '../../oci/index.ts';
import { ImageVerifier } from '../../sign/index.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s.trim());
  if (!m) throw Object.assign(new Error(`a duration like 5s, 2m or 500ms is required, got "${s}"`), { code: 'usage' });
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export function register(program: Command): void {
  program
    .command('controller')
    .description('Run the GitOps controller: reconcile Applications (gitops.sekisho.dev) in every namespace')
    .option('--kubeconfig <path>', 'kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--resync <duration>', 'git polling period (plus up to 10% jitter)', '120s')
    .option('--namespace <ns>', 'control-plane namespace (projects, imported Argo CD apps)', 'sekisho-gitops')
    .option(
      '--listen <host:port>',
      'address of the webhook and health endpoint (port 0 picks a free port)',
      '127.0.0.1:8089',
    )
    .option('--data-dir <dir>', 'git cache and rendered trees', '.sekisho/controller')
    .action(
      async (opts: {
        kubeconfig?: string;
        context?: string;
        resync: string;
        namespace: string;
        listen: string;
        dataDir: string;
      }) => {
        const resync = parseDuration(opts.resync);
        // the image-signature gate reads registries with Docker's config.json logins
        ImageVerifier.useDefaultCredentials(
          dockerConfigCredentials(join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json')),
        );
        const json = !process.stdout.isTTY;
        const ctl = await startController({
          kubeconfig: {
            ...((opts.kubeconfig ?? process.env.KUBECONFIG) ? { path: opts.kubeconfig ?? process.env.KUBECONFIG } : {}),
            ...(opts.context ? { context: opts.context } : {}),
          },
          dataDir: opts.dataDir,
          resync,
          namespace: opts.namespace,
          log: (level, msg, fields) => {
            const line = json
              ? JSON.stringify({ time: new Date().toISOString(), level, msg, ...(fields ?? {}) })
              : `${level} ${msg}${
                  fields
                    ? ' ' +
                      Object.entries(fields)
                        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
                        .join(' ')
                    : ''
                }`;
            process.stderr.write(line + '\n');
          },
        });
        const server = http.createServer((req, res) => {
          if (req.method === 'GET' && req.url === '/healthz') {
            res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
            return;
          }
          if (req.method === 'POST' && req.url?.startsWith('/api/webhook')) {
            let body = '';
            req.on('data', (d: Buffer) => {
              body += d.toString();
              if (body.length > 4 << 20) req.destroy();
            });
            req.on('end', () => {
              let parsed: unknown;
              try {
                parsed = JSON.parse(body);
              } catch {
                res.writeHead(400).end('invalid JSON\n');
                return;
              }
              let n = 0;
              for (const u of webhookRepoURLs(req.headers, parsed)) n += ctl.refreshRepo(u);
              res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ refreshed: n }) + '\n');
            });
            return;
          }
          res.writeHead(404).end();
        });
        const { host, port } = parseListen(opts.listen);
        await new Promise<void>((r) => server.listen(port, host, r));
        const addr = server.address() as { address: string; port: number };
        const h = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
        process.stdout.write(`listening on http://${h}:${addr.port}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            server.close();
            void ctl.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
}
