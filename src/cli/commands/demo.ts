// `sekisho demo`: starts the platform in this process and plays the reference flow on it — repos,
// image, signature, policies, a change request with its policy check, merge, sync, admission, and the
// failing root-container variant — printing each checkpoint with its result, timing and where to look.
import type { Command } from 'commander';
import { startDemo, type Checkpoint, type DemoReport } from '../../platform/demo/index.ts';

const MARK: Record<string, string> = { pass: 'passed', fail: 'failed', error: 'error', skipped: 'skipped' };

function line(c: Checkpoint, i: number): string {
  const verdict = c.ok
    ? c.expected === 'fail'
      ? 'ok (stopped, as expected)'
      : 'ok'
    : `UNEXPECTED (${MARK[c.outcome]}, expected ${c.expected === 'fail' ? 'a failure' : 'success'})`;
  const head = `${String(i + 1).padStart(2)}. ${c.title} — ${verdict} [${(c.ms / 1000).toFixed(1)} s]`;
  return [head, `    ${c.detail}`, ...c.look.map((l) => `    → ${l}`)].join('\n');
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Start the platform and play the secure GitOps flow end to end: repos, image, signature, policies, change request, policy check, merge, sync, admission, and a root container stopped twice',
    )
    .option('--data-dir <dir>', 'directory holding all state (as for `sekisho up`)', './.sekisho')
    .option('--listen <host:port>', 'address of the API server (port 0 picks a free port)', '127.0.0.1:0')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--keep-running', 'keep the platform running after the flow (Ctrl-C stops it)')
    .option('-v, --verbose', 'log the platform’s warnings on stderr')
    .action(
      async (o: { dataDir: string; listen: string; output: string; keepRunning?: boolean; verbose?: boolean }) => {
        if (o.output !== 'text' && o.output !== 'json')
          throw Object.assign(new Error(`--output must be text or json, got "${o.output}"`), { code: 'usage' });
        const json = o.output === 'json';
        const out = (s: string): boolean => process.stdout.write(s + '\n');
        let n = 0;
        const run = await startDemo({
          dataDir: o.dataDir,
          listen: o.listen,
          ...(o.keepRunning ? { keepRunning: true } : {}),
          log: (level, msg, fields) => {
            if (o.verbose && level !== 'debug')
              process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
          },
          // text: each checkpoint as soon as it is known; json: progress on stderr, one document at the end
          progress: (msg) => {
            if (!json && process.stderr.isTTY) process.stderr.write(`… ${msg}\n`);
          },
          onCheckpoint: (c) => {
            if (!json) out(line(c, n));
            n++;
          },
        });
        const r: DemoReport = run.report;
        if (json) out(JSON.stringify(r, null, 2));
        else {
          const good = r.checkpoints.filter((c) => c.ok).length;
          out('');
          out(
            `${r.ok ? 'demo passed' : 'demo FAILED'}: ${good}/${r.checkpoints.length} checkpoints as expected in ${(r.durationMs / 1000).toFixed(1)} s (platform start ${(r.platformStartMs / 1000).toFixed(1)} s)`,
          );
          out(`where to look:`);
          out(
            `  web UI and API: ${r.where.ui} (user admin; ${run.platform.admin.password ? `password ${run.platform.admin.password}` : 'password as printed by the first `sekisho up`/`demo` on this data dir'})`,
          );
          out(`  kubectl:        kubectl --kubeconfig ${r.where.kubeconfig} get applications.gitops.sekisho.dev -A`);
          out(`  registry:       ${r.where.registry}/v2/_catalog`);
          out(`  git:            ${r.where.git}/demo-config.git`);
          out(`  state:          ${r.where.dataDir} (\`sekisho up --data-dir ${o.dataDir}\` resumes it)`);
        }
        if (!r.ok) process.exitCode = 1;
        if (o.keepRunning) {
          if (!json) out(`listening on ${run.platform.apiUrl} — Ctrl-C stops the platform`);
          await new Promise<void>((resolve) => {
            const stop = (): void => {
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
              void run.close().then(resolve);
            };
            process.on('SIGINT', stop);
            process.on('SIGTERM', stop);
          });
        }
      },
    );
}
