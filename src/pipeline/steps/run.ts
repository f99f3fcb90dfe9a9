// `run` steps: a shell script on the host (in its own process group, killed as a group on timeout or
// cancel) or, with `image:`, in a container through the injected executor. Outputs are `name=value`
// lines (or `name<<DELIM` ... `DELIM` blocks) written to the file named by $SEKISHO_OUTPUT.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { PipelineError } from '../errors.ts';
import type { StepContext, StepResult } from '../types.ts';

/** Parses a $SEKISHO_OUTPUT file (the GitHub Actions $GITHUB_OUTPUT format). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const heredoc = /^([A-Za-z_][A-Za-z0-9_-]*)<<(.+)$/.exec(line);
    if (heredoc) {
      const delim = heredoc[2]!;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && lines[j] !== delim; j++) body.push(lines[j]!);
      if (j >= lines.length)
        throw new PipelineError('pipeline_step_failed', `output ${heredoc[1]}: missing closing delimiter ${delim}`);
      out[heredoc[1]!] = body.join('\n');
      i = j;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0)
      throw new PipelineError(
        'pipeline_step_failed',
        `output line ${i + 1} is not name=value: ${JSON.stringify(line.slice(0, 40))}`,
      );
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export async function runStep(ctx: StepContext): Promise<StepResult> {
  const script = ctx.step.run ?? '';
  const shell = ctx.step.shell ?? 'sh';
  let outFile = ctx.artifact('outputs');
  const ioDir = ctx.artifact('io');
  if (ctx.step.image !== undefined) {
    mkdirSync(ioDir, { recursive: true });
    outFile = join(ioDir, 'outputs');
  }
  writeFileSync(outFile, '');
  const wd = ctx.step.workingDirectory;
  const cwd = wd === undefined ? ctx.workspace : isAbsolute(wd) ? wd : resolve(ctx.workspace, wd);
  if (!existsSync(cwd)) throw new PipelineError('pipeline_step_failed', `working-directory ${wd} does not exist`);
  let exitCode: number;
  if (ctx.step.image !== undefined) {
    const ex = ctx.services.executor;
    if (!ex)
      throw new PipelineError(
        'pipeline_step_failed',
        `step ${ctx.step.id} asks for image ${ctx.step.image} but no container executor is available (runc or bwrap)`,
      );
    ({ exitCode } = await ex.run({
      image: ctx.step.image,
      script,
      shell,
      env: { ...ctx.env, CI: 'true', SEKISHO_OUTPUT: '/sekisho/outputs' },
      workspace: ctx.workspace,
      cwd,
      ioDir,
      stdout: ctx.logStream(),
      stderr: ctx.logStream(),
      signal: ctx.signal,
      ...(ctx.step.timeoutMs !== undefined ? { timeoutMs: ctx.step.timeoutMs } : {}),
    }));
  } else {
    exitCode = await new Promise<number>((res, rej) => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(ctx.services.env)) if (v !== undefined) env[k] = v;
      Object.assign(env, ctx.env, {
        CI: 'true',
        SEKISHO_OUTPUT: outFile,
        SEKISHO_RUN_ID: ctx.runId,
        SEKISHO_RUN_DIR: ctx.runDir,
        SEKISHO_WORKSPACE: ctx.workspace,
      });
      const child = spawn(shell, ['-e', '-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = ctx.logStream();
      const err = ctx.logStream();
      child.stdout.pipe(out, { end: false });
      child.stderr.pipe(err, { end: false });
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (child.pid === undefined) return;
        killGroup(child.pid, 'SIGTERM');
        // a grace period, then the whole group goes
        killTimer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 3000);
        killTimer.unref();
      };
      if (ctx.signal.aborted) onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => {
        ctx.signal.removeEventListener('abort', onAbort);
        rej(new PipelineError('pipeline_step_failed', `start ${shell}: ${e.message}`, { cause: e }));
      });
      let status = 1;
      child.on('exit', (code, signal) => {
        ctx.signal.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        status = code ?? (signal ? 128 + (signalNumber[signal] ?? 1) : 1);
        // nothing the step started outlives it (and the output pipes close once the group is gone)
        if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
      });
      child.on('close', () => res(status));
    });
  }
  const outputs = parseOutputFile(readFileSync(outFile, 'utf8'));
  for (const [k, v] of Object.entries(outputs)) if (/^(password|token|secret)/i.test(k)) ctx.mask(v);
  return exitCode === 0
    ? { outputs, exitCode }
    : { outputs, exitCode, failure: `${shell} exited with code ${exitCode}` };
}

const signalNumber: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
