// Shared plumbing for pipeline tests: temp dirs, services over an embedded registry, running a pipeline text.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../src/oci/index.ts';
import {
  parsePipeline,
  runPipeline,
  builtinSteps,
  type PipelineRun,
  type Services,
  type StepHandler,
} from '../../src/pipeline/index.ts';

/** git in `cwd` with a fixed identity; throws with git's stderr on failure, returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@x',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@x',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export function tempDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sekisho-${prefix}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function services(extra: Partial<Services> = {}): Services {
  return {
    registry: (host) => new RegistryClient({ host }),
    env: { PATH: process.env.PATH },
    now: () => new Date(),
    ...extra,
  };
}

export const HEAD = 'apiVersion: ci.sekisho.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: t\nspec:\n';

export async function runText(
  workspace: string,
  text: string,
  o: { services?: Services; params?: Record<string, string>; handlers?: Record<string, StepHandler> } = {},
): Promise<PipelineRun> {
  const file = join(workspace, 'sekisho-pipeline.yaml');
  writeFileSync(file, text);
  return runPipeline({
    loaded: parsePipeline(text, file),
    workspace,
    services: o.services ?? services(),
    handlers: { ...builtinSteps(), ...o.handlers },
    ...(o.params ? { params: o.params } : {}),
  });
}

export const stepOf = (r: PipelineRun, id: string) => {
  const s = r.status.steps.find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id}`);
  return s;
};

/** Runs `sekisho ARGS` (bin/sekisho.js) to its end; resolves with its exit code and output. */
export function sekisho(
  args: string[],
  o: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'sekisho.js');
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...args], {
      ...(o.cwd ? { cwd: o.cwd } : {}),
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
