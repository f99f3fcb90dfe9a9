// `sekisho cluster serve`: runs the embedded Kubernetes-API-compatible sandbox cluster.
import type { Command } from 'commander';
import { podRuntime } from '../../pipeline/runners/index.ts';
import { startSandbox } from '../../sandbox/index.ts';

export function register(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('The embedded sandbox cluster (a Kubernetes API server for one machine)');
  cluster
    .command('serve')
    .description('Serve the sandbox cluster over HTTPS; writes <data-dir>/kubeconfig for kubectl')
    .option('--listen <host:port>', 'address to listen on (port 0 picks a free port)', '127.0.0.1:6443')
    .option(
      '--data-dir <dir>',
      'directory for the SQLite store, certificates, token and kubeconfig',
      '.sekisho/cluster',
    )
    .option('--durability <mode>', 'full: fsync every write; normal: survive process crashes only', 'full')
    .option('--no-controllers', 'do not run the simulated workload controllers')
    .option(
      '--execute-pods',
      'really run Job pods and pods annotated sekisho.dev/execute="true" under runc (else bubblewrap)',
    )
    .option(
      '--insecure-registry <host>',
      'pull pod images from this registry over plain HTTP (loopback hosts always are; repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(
      async (opts: {
        listen: string;
        dataDir: string;
        durability: string;
        controllers: boolean;
        executePods?: boolean;
        insecureRegistry: string[];
      }) => {
        if (opts.durability !== 'full' && opts.durability !== 'normal')
          throw Object.assign(new Error(`--durability must be full or normal, got "${opts.durability}"`), {
            code: 'usage',
          });
        const sb = await startSandbox({
          dataDir: opts.dataDir,
          listen: opts.listen,
          durability: opts.durability,
          controllers: opts.controllers,
          ...(opts.executePods
            ? { executePods: { runtime: podRuntime({ insecureHosts: opts.insecureRegistry }) } }
            : {}),
        });
        process.stdout.write(`listening on ${sb.url}\n`);
        process.stdout.write(`kubeconfig: ${sb.kubeconfigPath}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void sb.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
}
