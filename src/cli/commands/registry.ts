// `sekisho registry serve|gc|htpasswd`: the embedded OCI registry.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  OciError,
  RegistryAuth,
  RegistryServer,
  htpasswdLine,
  openFsStorage,
  parseHtpasswd,
  type AccessRule,
  type Action,
} from '../../oci/index.ts';

function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  if (!m) throw new OciError('REGISTRY_ERROR', `--listen must be HOST:PORT, got ${JSON.stringify(s)}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) };
}

function loadRules(file: string): AccessRule[] {
  const doc = parseYaml(readFileSync(file, 'utf8')) as unknown;
  const list = (
    doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { access?: unknown }).access : doc
  ) as unknown;
  if (!Array.isArray(list))
    throw new OciError('REGISTRY_ERROR', `${file}: expected a list of {account, repository, actions}`);
  return list.map((r: unknown, i: number) => {
    const o = r as Record<string, unknown>;
    const actions = o.actions;
    if (
      typeof o.account !== 'string' ||
      typeof o.repository !== 'string' ||
      !Array.isArray(actions) ||
      actions.some((a) => !['pull', 'push', 'delete'].includes(a as string))
    ) {
      throw new OciError(
        'REGISTRY_ERROR',
        `${file}: rule ${i + 1} needs account, repository and actions (pull, push, delete)`,
      );
    }
    return { account: o.account, repository: o.repository, actions: actions as Action[] };
  });
}

function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(s);
  if (!m) throw new OciError('REGISTRY_ERROR', `invalid duration ${JSON.stringify(s)} (e.g. 30s, 10m, 24h)`);
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

export function register(program: Command): void {
  const reg = program.command('registry').description('The embedded OCI registry (distribution-spec v1.1)');

  reg
    .command('serve')
    .description('Serve an OCI registry from a data directory')
    .option('--listen <host:port>', 'address to listen on (port 0 picks a free port)', '127.0.0.1:5000')
    .requiredOption('--data-dir <dir>', 'where blobs, manifests and uploads are stored')
    .option('--tls-cert <file>', 'PEM certificate (serves HTTPS with --tls-key)')
    .option('--tls-key <file>', 'PEM private key')
    .option('--htpasswd <file>', 'bcrypt htpasswd file; enables authentication')
    .option(
      '--auth <mode>',
      'basic (check credentials on each request) or token (bearer token service at /token)',
      'basic',
    )
    .option('--access <file>', 'YAML list of {account, repository, actions} rules (default: users may do everything)')
    .option('--upload-ttl <duration>', 'drop upload sessions older than this', '24h')
    .option('--log', 'log each request as JSON on stderr')
    .action(
      async (o: {
        listen: string;
        dataDir: string;
        tlsCert?: string;
        tlsKey?: string;
        htpasswd?: string;
        auth: string;
        access?: string;
        uploadTtl: string;
        log?: boolean;
      }) => {
        const { host, port } = parseListen(o.listen);
        if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
          throw new OciError('REGISTRY_ERROR', '--tls-cert and --tls-key go together');
        if (o.auth !== 'basic' && o.auth !== 'token')
          throw new OciError('REGISTRY_ERROR', `--auth must be basic or token, got ${o.auth}`);
        const storage = await openFsStorage(o.dataDir);
        let auth: RegistryAuth | undefined;
        if (o.htpasswd !== undefined) {
          const users = parseHtpasswd(readFileSync(o.htpasswd, 'utf8'), o.htpasswd);
          const opts: ConstructorParameters<typeof RegistryAuth>[0] = { mode: o.auth, users };
          if (o.access !== undefined) opts.rules = loadRules(o.access);
          auth = new RegistryAuth(opts);
        } else if (o.access !== undefined) {
          throw new OciError('REGISTRY_ERROR', '--access needs --htpasswd');
        }
        const server = new RegistryServer({
          storage,
          ...(auth ? { auth } : {}),
          uploadTtlMs: parseDuration(o.uploadTtl),
          ...(o.log
            ? {
                onRequest: (i: { method: string; path: string; status: number; ms: number }) =>
                  process.stderr.write(JSON.stringify({ level: 'info', msg: 'request', ...i }) + '\n'),
              }
            : {}),
        });
        const tls =
          o.tlsCert !== undefined && o.tlsKey !== undefined
            ? { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) }
            : undefined;
        const url = await server.listen({ host, port, ...(tls ? { tls } : {}) });
        process.stdout.write(`listening on ${url}\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void server.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );

  reg
    .command('gc')
    .description('Delete blobs no manifest references and expired upload sessions (run while the registry is stopped)')
    .requiredOption('--data-dir <dir>', 'the registry data directory')
    .option('--upload-ttl <duration>', 'upload sessions older than this are removed', '24h')
    .option('--dry-run', 'only report what would be deleted')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (o: { dataDir: string; uploadTtl: string; dryRun?: boolean; output: string }) => {
      const storage = await openFsStorage(o.dataDir);
      const r = await storage.gc({ uploadTtlMs: parseDuration(o.uploadTtl), dryRun: o.dryRun === true });
      if (o.output === 'json') process.stdout.write(JSON.stringify({ ...r, dryRun: o.dryRun === true }) + '\n');
      else {
        process.stdout.write(
          `${o.dryRun ? 'would delete' : 'deleted'} ${r.blobsDeleted} blobs (${r.bytesFreed} bytes), ${r.uploadsExpired} expired uploads\n`,
        );
      }
    });

  reg
    .command('htpasswd')
    .description('Print an htpasswd line (bcrypt) for a user; the password is read from stdin')
    .argument('<user>')
    .action(async (user: string) => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      const password = Buffer.concat(chunks)
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (password === '') throw new OciError('REGISTRY_ERROR', 'empty password on stdin');
      process.stdout.write(htpasswdLine(user, password) + '\n');
    });
}
