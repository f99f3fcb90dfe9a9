// `sekisho ci ...` as a user runs it: exit codes, -o json, params, GitHub Actions output, and a run
// stopped by SIGTERM leaves its step Failed (not Running) with the step's processes gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineRun } from '../../src/pipeline/index.ts';
import { HEAD, tempDir } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sekisho.js');

/** Runs the CLI (asynchronously: CLI start-up dominates, so independent calls run together). */
function cli(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, GITHUB_ACTIONS: '', ...env } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => res({ code, stdout, stderr }));
  });
}

test('ci run: params, exit codes, -o json record; ci validate points at file:line:col', async (t) => {
  const ws = tempDir(t, 'ci-cli');
  writeFileSync(
    join(ws, 'sekisho-pipeline.yaml'),
    HEAD +
      '  params:\n    - name: who\n      default: nobody\n' +
      '  steps:\n    - id: hello\n      run: echo "hello ${{ params.who }}" && echo "n=${{ params.who }}" >> $SEKISHO_OUTPUT\n' +
      '    - id: check\n      needs: hello\n      run: test "${{ steps.hello.outputs.n }}" = ok\n',
  );
  writeFileSync(join(ws, 'broken.yaml'), HEAD + '  steps:\n    - id: a\n      uses: nope\n');
  const [ok, bad, unknown, v] = await Promise.all([
    cli(ws, ['ci', 'run', '-p', 'who=ok', '-o', 'json']),
    cli(ws, ['ci', 'run', '--param', 'who=else']),
    cli(ws, ['ci', 'run', '-p', 'nope=1']),
    cli(ws, ['ci', 'validate', 'broken.yaml']),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  const run = JSON.parse(ok.stdout) as PipelineRun;
  assert.equal(run.status.phase, 'Succeeded');
  assert.equal(ok.stderr, '');
  assert.match(readFileSync(run.status.steps[0]!.logPath, 'utf8'), /hello ok/);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /check\s+run\s+Failed/);
  assert.match(bad.stderr, /✗ check failed/);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown param "nope"/);
  const [runs, show] = await Promise.all([
    cli(ws, ['ci', 'runs']),
    cli(ws, ['ci', 'show', run.metadata.name, '--log', 'hello']),
  ]);
  assert.equal(runs.stdout.trim().split('\n').length, 2);
  assert.match(show.stdout, /hello ok/);

  assert.equal(v.code, 2);
  assert.match(v.stderr, /broken\.yaml:8:13: pipeline_invalid: .*unknown uses "nope"/);
  assert.match(v.stderr, /\n\s+uses: nope\n\s+\^/);
});

test('ci run under GitHub Actions: ::error annotations, step summary, SARIF files, outputs', async (t) => {
  const ws = tempDir(t, 'ci-gh');
  writeFileSync(join(ws, 'Dockerfile'), 'FROM busybox\nRUN cd /tmp && echo hi\n');
  writeFileSync(
    join(ws, 'sekisho-pipeline.yaml'),
    HEAD + '  steps:\n    - id: lint\n      uses: lint\n      with: {failure-threshold: warning}\n',
  );
  const summary = join(ws, 'summary.md');
  const output = join(ws, 'gh-output');
  const r = await cli(ws, ['ci', 'run'], {
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^::warning file=Dockerfile,line=1,col=1,title=lint DL3006::DL3006: /m);
  assert.match(r.stdout, /^::warning file=Dockerfile,line=2,col=1,title=lint DL3003::DL3003: /m);
  assert.match(r.stdout, /^::error title=lint::step lint failed: lint: 2 finding/m);
  assert.match(r.stdout, /::group::lint log/);
  assert.match(readFileSync(summary, 'utf8'), /\| lint \| lint \| ❌ Failed \|/);
  assert.match(readFileSync(output, 'utf8'), /^phase=Failed$/m);
  assert.deepEqual(readdirSync(join(ws, '.sekisho', 'sarif')), ['lint.sarif']);
});

test('SIGTERM stops the run: the running step is recorded Failed and its processes are killed', async (t) => {
  const ws = tempDir(t, 'ci-kill');
  writeFileSync(
    join(ws, 'sekisho-pipeline.yaml'),
    HEAD +
      '  steps:\n    - id: long\n      run: sleep 120 & echo $! > bg.pid; echo started; wait\n    - id: next\n      needs: long\n      run: echo never\n',
  );
  const child = spawn(process.execPath, [BIN, 'ci', 'run', '--run-id', 'killed'], {
    cwd: ws,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const log = join(ws, '.sekisho', 'runs', 'killed', 'long.log');
  // wait until the step has started its work (its log says so)
  await new Promise<void>((res, rej) => {
    const check = () => {
      if (existsSync(log) && readFileSync(log, 'utf8').includes('started')) return res();
      if (child.exitCode !== null) return rej(new Error(`ci run exited early: ${err}`));
      setTimeout(check, 25);
    };
    check();
  });
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  assert.equal(code, 143, err);
  const run = JSON.parse(readFileSync(join(ws, '.sekisho', 'runs', 'killed', 'status.json'), 'utf8')) as PipelineRun;
  assert.equal(run.status.phase, 'Failed');
  assert.equal(run.status.steps[0]!.phase, 'Failed');
  assert.match(run.status.steps[0]!.message!, /cancelled/);
  assert.equal(run.status.steps[1]!.phase, 'Skipped');
  const pid = readFileSync(join(ws, 'bg.pid'), 'utf8').trim();
  const ps = spawnSync('ps', ['-o', 'stat=', '-p', pid], { encoding: 'utf8' });
  assert.ok(ps.stdout.trim() === '' || ps.stdout.trim().startsWith('Z'), `sleep ${pid} still running`);
});
