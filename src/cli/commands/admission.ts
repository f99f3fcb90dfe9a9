// `sekisho admission verify|serve` — Gatekeeper-compatible admission control: `verify` is a drop-in for
// `gator verify`; `serve` runs the validating (and mutating) webhook. The work is done in src/admission.
import { Command } from 'commander';
import {
  AdmissionError,
  gatorTest,
  startAdmissionServer,
  suiteFailed,
  verify,
  type SuiteResult,
} from '../../admission/index.ts';
import { parseListen } from '../../sandbox/index.ts';
import { ImageVerifier } from '../../sign/index.ts';
import { dockerConfigCredentials } from '../../oci/index.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatError } from '../report-error.ts';

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/** gator's go-test-like report. */
function printSuites(results: SuiteResult[], verbose: boolean): void {
  for (const s of results) {
    const failed = suiteFailed(s);
    if (s.error) process.stdout.write(`    ${s.error}\n`);
    for (const t of s.tests) {
      const tFailed = t.error !== undefined || t.cases.some((c) => c.error !== undefined);
      if (verbose || tFailed) {
        const word = t.skipped ? 'SKIP' : tFailed ? 'FAIL' : 'PASS';
        if (verbose) process.stdout.write(`=== RUN   ${t.name}\n`);
        for (const c of t.cases) {
          if (!verbose && c.error === undefined) continue;
          if (verbose) process.stdout.write(`    === RUN   ${c.name}\n`);
          const cw = c.skipped ? 'SKIP' : c.error !== undefined ? 'FAIL' : 'PASS';
          process.stdout.write(`    --- ${cw}: ${c.name}\t(${secs(c.durationMs)})\n`);
          if (c.error !== undefined) process.stdout.write(`        ${c.error}\n`);
        }
        process.stdout.write(`--- ${word}: ${t.name}\t(${secs(t.durationMs)})\n`);
        if (t.error !== undefined) process.stdout.write(`    ${t.error}\n`);
      }
    }
    process.stdout.write(`${failed ? 'FAIL' : 'ok'}\t${s.path}\t${secs(s.durationMs)}\n`);
  }
}

export function register(program: Command): void {
  const admission = program
    .command('admission')
    .description('Gatekeeper-compatible admission control (webhook, audit, gator verify)');

  admission
    .command('verify')
    .description('run gator Suite files (drop-in for `gator verify`); paths ending in /... are searched recursively')
    .argument('<paths...>', 'suite files or directories')
    .option('--run <regex>', 'only run tests (or test//case) matching the regex')
    .option('-v, --verbose', 'print every test and case')
    .option('--enable-k8s-native-validation', 'use K8sNativeValidation (CEL) code when a template has it', false)
    .option('-o, --output <format>', 'text or json', 'text')
    .action(
      async (
        paths: string[],
        opts: { run?: string; verbose?: boolean; enableK8sNativeValidation: boolean; output: string },
      ) => {
        try {
          const results = await verify(paths, {
            ...(opts.run !== undefined ? { run: opts.run } : {}),
            enableCel: opts.enableK8sNativeValidation,
          });
          const failed = results.filter(suiteFailed).length;
          if (opts.output === 'json') {
            process.stdout.write(
              JSON.stringify({ suites: results, passed: results.length - failed, failed }, null, 2) + '\n',
            );
          } else {
            printSuites(results, opts.verbose ?? false);
            const cases = results.reduce((n, s) => n + s.tests.reduce((m, t) => m + t.cases.length, 0), 0);
            const failedCases = results.reduce(
              (n, s) => n + s.tests.reduce((m, t) => m + t.cases.filter((c) => c.error !== undefined).length, 0),
              0,
            );
            process.stdout.write(
              `${results.length - failed} passed, ${failed} failed (suites); ${cases - failedCases} passed, ${failedCases} failed (cases)\n`,
            );
          }
          process.exitCode = failed > 0 ? 1 : 0;
        } catch (e) {
          if (e instanceof AdmissionError) {
            process.stderr.write(formatError(e) + '\n');
            process.exitCode = 2;
            return;
          }
          throw e;
        }
      },
    );

  admission
    .command('test')
    .description('review objects against the templates and constraints among them (drop-in for `gator test`)')
    .requiredOption(
      '-f, --filename <path...>',
      'files or directories (dir/... recursive) with templates, constraints and objects',
    )
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--enable-k8s-native-validation', 'use K8sNativeValidation (CEL) code when a template has it', false)
    .action(async (opts: { filename: string[]; output: string; enableK8sNativeValidation: boolean }) => {
      try {
        const { results, errors } = await gatorTest(opts.filename, { enableCel: opts.enableK8sNativeValidation });
        if (opts.output === 'json') process.stdout.write(JSON.stringify(results, null, 2) + '\n');
        else {
          for (const r of results) {
            const where = `${r.object.apiVersion}/${r.object.kind} ${r.object.namespace ? r.object.namespace + '/' : ''}${r.object.name}`;
            process.stdout.write(
              `${where}: [${JSON.stringify(r.constraint.name)}] Message: ${JSON.stringify(r.msg)}${r.enforcementAction !== 'deny' ? ` (${r.enforcementAction})` : ''}\n`,
            );
          }
        }
        for (const e of errors) process.stderr.write(`error: ${e}\n`);
        process.exitCode = errors.length > 0 || results.some((r) => r.enforcementAction === 'deny') ? 1 : 0;
      } catch (e) {
        if (e instanceof AdmissionError) {
          process.stderr.write(formatError(e) + '\n');
          process.exitCode = 2;
          return;
        }
        throw e;
      }
    });

  admission
    .command('serve')
    .description('run the validating admission webhook (HTTPS, AdmissionReview v1) with periodic audit')
    .option('--listen <host:port>', 'address to listen on (port 0 picks a free port)', '127.0.0.1:0')
    .option('--data-dir <dir>', 'where the serving certificate is kept', '.sekisho/admission')
    .option(
      '--kubeconfig <file>',
      'load templates and constraints from this cluster, register the webhook there and audit it',
    )
    .option('-f, --filename <path...>', 'templates, constraints and inventory objects from files (dir/... recursive)')
    .option('--exempt-namespace <ns...>', 'namespaces never reviewed (wildcards as Gatekeeper: kube-*)')
    .option('--enable-k8s-native-validation', 'use K8sNativeValidation (CEL) code when a template has it', false)
    .option('--failure-policy <policy>', 'Fail (deny on evaluation errors and timeouts) or Ignore', 'Fail')
    .option('--timeout <ms>', 'evaluation deadline per request in ms', '3000')
    .option('--audit-interval <seconds>', 'seconds between audits (0 disables)', '60')
    .option('--no-register-webhook', 'do not create the ValidatingWebhookConfiguration in the cluster')
    .option('--image-cache-ttl <seconds>', 'how long a verified image signature verdict is cached', '300')
    .option(
      '--registry-failure-policy <policy>',
      'ClusterImagePolicy checks when the registry cannot be asked: Fail (deny) or Ignore (admit with a warning)',
      'Fail',
    )
    .action(
      async (opts: {
        imageCacheTtl: string;
        registryFailurePolicy: string;
        listen: string;
        dataDir: string;
        kubeconfig?: string;
        filename?: string[];
        exemptNamespace?: string[];
        enableK8sNativeValidation: boolean;
        failurePolicy: string;
        timeout: string;
        auditInterval: string;
        registerWebhook: boolean;
      }) => {
        try {
          if (opts.failurePolicy !== 'Fail' && opts.failurePolicy !== 'Ignore')
            throw new AdmissionError('admission_usage_error', '--failure-policy must be Fail or Ignore');
          if (opts.registryFailurePolicy !== 'Fail' && opts.registryFailurePolicy !== 'Ignore')
            throw new AdmissionError('admission_usage_error', '--registry-failure-policy must be Fail or Ignore');
          const ttl = Number(opts.imageCacheTtl);
          if (!Number.isFinite(ttl) || ttl < 0)
            throw new AdmissionError('admission_usage_error', '--image-cache-ttl must be a number of seconds');
          const { host, port } = parseListen(opts.listen);
          const json = !process.stderr.isTTY;
          const srv = await startAdmissionServer({
            dataDir: opts.dataDir,
            host,
            port,
            ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
            files: opts.filename ?? [],
            exemptNamespaces: opts.exemptNamespace ?? [],
            enableCel: opts.enableK8sNativeValidation,
            failurePolicy: opts.failurePolicy,
            timeoutMs: Number(opts.timeout),
            auditIntervalMs: Number(opts.auditInterval) * 1000,
            registerWebhook: opts.registerWebhook,
            imageVerification: {
              registryFailurePolicy: opts.registryFailurePolicy,
              // Docker's config.json logins, after the Pod's imagePullSecrets
              verifier: new ImageVerifier({
                ttlMs: ttl * 1000,
                credentials: dockerConfigCredentials(
                  join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json'),
                ),
              }),
            },
            log: (e) =>
              process.stderr.write(
                json
                  ? JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n'
                  : `${e.level}: ${e.msg} ${JSON.stringify({ ...e, level: undefined, msg: undefined })}\n`,
              ),
          });
          process.stdout.write(`listening on ${srv.url}\n`);
          await new Promise<void>((resolve) => {
            const stop = () => {
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
              void srv.close().then(resolve);
            };
            process.on('SIGINT', stop);
            process.on('SIGTERM', stop);
          });
        } catch (e) {
          if (e instanceof AdmissionError) {
            process.stderr.write(formatError(e) + '\n');
            process.exitCode = 2;
            return;
          }
          throw e;
        }
      },
    );
}
