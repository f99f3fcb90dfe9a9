// `sekisho demo`: starts the platform in this process and plays the reference flow on it — repos,
// image, signature, policies, a change request with its policy check, merge, sync, admission, and the
// failing root-container variant — printing each checkpoint with its result, timing and where to look.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { attachDemo, startDemo, type Checkpoint, type DemoReport } from '../../platform/demo/index.ts';

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
    .option(
      '--attach <api-url>',
      'play the flow on a running `sekisho up` (its --data-dir; API token in SEKISHO_TOKEN or --token-file)',
    )
    .option('--token-file <file>', 'file holding the API token for --attach')
    .option('-v, --verbose', 'log the platform’s warnings on stderr')
    .action(
      async (o: {
        dataDir: string;
        listen: string;
        output: string;
        keepRunning?: boolean;
        verbose?: boolean;
        attach?: string;
        tokenFile?: string;
      }) => {
        if (o.output !== 'text' && o.output !== 'json')
          throw Object.assign(new Error(`--output must be text or json, got "${o.output}"`), { code: 'usage' });
        const json = o.output === 'json';
        const out = (s: string): boolean => process.stdout.write(s + '\n');
        let n = 0;
        const progress = (msg: string): void => {
          // text: each checkpoint as soon as it is known; json: one document at the end
          if (!json && process.stderr.isTTY) process.stderr.write(`… ${msg}\n`);
        };
        const onCheckpoint = (c: Checkpoint): void => {
          if (!json) out(line(c, n));
          n++;
        };
        let run: { report: DemoReport; adminPassword?: string; apiUrl: string; close: () => Promise<void> };
        if (o.attach) {
          if (o.keepRunning)
            throw Object.assign(new Error('--keep-running and --attach do not go together'), { code: 'usage' });
          const token = o.tokenFile ? readFileSync(o.tokenFile, 'utf8').trim() : process.env.SEKISHO_TOKEN;
          if (!token)
            throw Object.assign(new Error('--attach needs an API token in SEKISHO_TOKEN or --token-file'), {
              code: 'usage',
            });
          const report = await attachDemo({ apiUrl: o.attach, token, dataDir: o.dataDir, progress, onCheckpoint });
          run = { report, apiUrl: o.attach, close: async () => {} };
        } else {
          const started = await startDemo({
            dataDir: o.dataDir,
            listen: o.listen,
            ...(o.keepRunning ? { keepRunning: true } : {}),
            log: (level, msg, fields) => {
              if (o.verbose && level !== 'debug')
                process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
            },
            progress,
            onCheckpoint,
            // as every server command: the API's URL first, once it accepts connections
            onStarted: (p) => {
              if (!json) out(`listening on ${p.apiUrl}`);
            },
          });
          run = {
            report: started.report,
            apiUrl: started.platform.apiUrl,
            close: started.close,
            ...(started.adminPassword ? { adminPassword: started.adminPassword } : {}),
          };
        }
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
            `  web UI and API: ${r.where.ui} (user admin; ${run.adminPassword ? `password ${run.adminPassword}` : 'password as printed by the first `sekisho up`/`demo` on this data dir'})`,
          );
          out(`  kubectl:        kubectl --kubeconfig ${r.where.kubeconfig} get applications.gitops.sekisho.dev -A`);
          out(`  registry:       ${r.where.registry}/v2/_catalog`);
          out(`  git:            ${r.where.git}/demo-config.git`);
          out(`  state:          ${r.where.dataDir} (\`sekisho up --data-dir ${o.dataDir}\` resumes it)`);
        }
        if (!r.ok) process.exitCode = 1;
        if (o.keepRunning) {
          if (!json) out(`platform still running at ${run.apiUrl}; Ctrl-C stops it`);
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
