// `sekisho ci step` and `sekisho ci seed`: what the Job runner (`ci run --runner kubernetes --step-image`) runs
// inside its pods, in the Sekisho step image. `step` runs one built-in step from the request in
// $SEKISHO_STEP_REQUEST on the workspace volume and writes its answer to the termination message file;
// `seed` unpacks the run's workspace artifact onto the volume. Registry credentials come from the Docker
// config in $DOCKER_CONFIG (the runner mounts its --registry-secret there).
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { dockerConfigCredentials } from '../../oci/index.ts';
import { builtinSteps, cacheDefaults, pipelineServices, type Services } from '../../pipeline/index.ts';
import {
  POD_WORKSPACE,
  STEP_REQUEST_ENV,
  STEP_RESULT_PATH,
  parseStepRequest,
  runStepInPod,
  seedInPod,
} from '../../pipeline/runners/index.ts';
import { reportError } from '../report-error.ts';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function podServices(o: { insecureHosts: string[]; workspace: string; scanDb?: string }): Services {
  const configDir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  return pipelineServices({
    env: process.env,
    credentials: dockerConfigCredentials(join(configDir, 'config.json')),
    insecureHosts: o.insecureHosts,
    // the build cache lives on the workspace volume: later build steps of the run reuse it
    buildCacheDir: join(o.workspace, '.sekisho', 'build-cache'),
    scanDb: o.scanDb ?? cacheDefaults(join(homedir(), '.cache')).scanDb,
  });
}

/** Aborts on SIGTERM (the Job deleted, the deadline reached), so the step's processes are killed. */
function terminationSignal(): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const stop = () => ac.abort(new Error('the step pod was terminated'));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return {
    signal: ac.signal,
    done: () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    },
  };
}

export function registerStepCommands(ci: Command): void {
  ci.command('step')
    .description(
      `run one built-in step inside a step Job (the Job runner starts it; the request is in $${STEP_REQUEST_ENV})`,
    )
    .option('--workspace <dir>', 'the workspace volume', POD_WORKSPACE)
    .option('--result-file <file>', 'where the answer goes (the container terminationMessagePath)', STEP_RESULT_PATH)
    .action(async (o: { workspace: string; resultFile: string }) => {
      const t = terminationSignal();
      try {
        const request = parseStepRequest(process.env[STEP_REQUEST_ENV], `$${STEP_REQUEST_ENV}`);
        const workspace = resolve(o.workspace);
        const answer = await runStepInPod({
          request,
          handlers: builtinSteps(),
          services: podServices({
            insecureHosts: request.insecureHosts,
            workspace,
            ...(request.scanDb ? { scanDb: request.scanDb } : {}),
          }),
          workspace,
          out: process.stdout,
          signal: t.signal,
        });
        writeFileSync(o.resultFile, JSON.stringify(answer));
        if ('error' in answer) {
          process.stderr.write(`error: ${answer.error}\n`);
          process.exitCode = 1;
        }
      } catch (err) {
        process.exitCode = reportError(err);
      } finally {
        t.done();
      }
    });
  ci.command('seed')
    .description('unpack a run workspace artifact (the checkout, and the advisory database when shipped) into a folder')
    .argument('<ref>', 'the artifact, repository@digest or repository:tag')
    .option('--into <dir>', 'the workspace volume', POD_WORKSPACE)
    .option('--insecure-registry <host>', 'plain HTTP to this registry (repeatable; loopback ones always are)', collect)
    .action(async (ref: string, o: { into: string; insecureRegistry?: string[] }) => {
      try {
        const into = resolve(o.into);
        const insecureHosts = o.insecureRegistry ?? [];
        const r = await seedInPod({
          ref,
          into,
          insecureHosts,
          services: podServices({ insecureHosts, workspace: into }),
        });
        process.stdout.write(`seeded ${into} from ${ref} (${r.layers.join(', ')})\n`);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
