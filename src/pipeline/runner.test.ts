import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { parsePipeline } from './model.ts';
import { readRun, runPipeline } from './runner.ts';
import { runStep } from './steps/run.ts';
import type { PipelineRun, Services, StepHandler } from './types.ts';

const services: Services = {
  registry: () => {
    throw new Error('no registry in this test');
  },
  env: { PATH: process.env.PATH, SEKISHO_TEST_TOKEN: 's3cr3t-t0ken-value' },
  now: () => new Date(),
};

function pipelineOf(steps: string, extra = ''): string {
  return `apiVersion: ci.sekisho.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: t\nspec:\n${extra}  steps:\n${steps}`;
}

async function run(
  text: string,
  o: {
    params?: Record<string, string>;
    signal?: AbortSignal;
    handlers?: Record<string, StepHandler>;
    onLog?: (id: string, t: string) => void;
  } = {},
): Promise<{ run: PipelineRun; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-pipe-'));
  const loaded = parsePipeline(text, join(dir, 'pipeline.yaml'));
  const r = await runPipeline({
    loaded,
    workspace: dir,
    services,
    handlers: { run: runStep, ...o.handlers },
    ...(o.params ? { params: o.params } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onEvent: (ev) => {
      if (ev.type === 'step-log') o.onLog?.(ev.id, ev.text);
    },
  });
  return { run: r, dir };
}

const step = (r: PipelineRun, id: string) => r.status.steps.find((s) => s.id === id)!;

test('independent steps run in parallel and outputs flow to dependants', async (t) => {
  // b and c each wait for the other's marker: they only finish if they run at the same time
  const { run: r, dir } = await run(
    pipelineOf(
      `    - id: a\n      run: echo "greeting=hello \${{ params.who }}" >> "$SEKISHO_OUTPUT"\n` +
        `    - id: b\n      needs: a\n      timeout: 20s\n      run: touch b.ready; i=0; while [ ! -e c.ready ] && [ $i -lt 2000 ]; do i=$((i+1)); sleep 0.01; done; test -e c.ready\n` +
        `    - id: c\n      needs: a\n      timeout: 20s\n      run: touch c.ready; i=0; while [ ! -e b.ready ] && [ $i -lt 2000 ]; do i=$((i+1)); sleep 0.01; done; test -e b.ready\n` +
        `    - id: d\n      needs: [b, c]\n      run: echo "got \${{ steps.a.outputs.greeting }}"\n`,
      '  params:\n    - name: who\n      default: nobody\n',
    ),
    { params: { who: 'world' } },
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(r.status.phase, 'Succeeded', JSON.stringify(r.status, null, 1));
  assert.deepEqual(step(r, 'a').outputs, { greeting: 'hello world' });
  assert.match(readFileSync(step(r, 'd').logPath, 'utf8'), /got hello world/);
  const saved = JSON.parse(readFileSync(join(r.status.runDir, 'status.json'), 'utf8')) as PipelineRun;
  assert.equal(saved.status.phase, 'Succeeded');
  assert.deepEqual(saved.spec.params, { who: 'world' });
});

test('a failing step skips its dependants; independent steps still run; the run fails', async (t) => {
  const { run: r, dir } = await run(
    pipelineOf(
      `    - id: a\n      run: echo broken >&2; exit 3\n` +
        `    - id: b\n      needs: a\n      run: echo never\n` +
        `    - id: c\n      needs: b\n      run: echo never\n` +
        `    - id: d\n      run: echo independent\n` +
        `    - id: notify\n      needs: c\n      when: failure()\n      run: echo notified\n`,
    ),
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(r.status.phase, 'Failed');
  assert.equal(step(r, 'a').phase, 'Failed');
  assert.equal(step(r, 'a').exitCode, 3);
  assert.match(step(r, 'a').message!, /exited with code 3/);
  assert.match(readFileSync(step(r, 'a').logPath, 'utf8'), /broken/);
  assert.equal(step(r, 'b').phase, 'Skipped');
  assert.match(step(r, 'b').message!, /needs a \(failed\)/);
  assert.equal(step(r, 'c').phase, 'Skipped');
  assert.equal(step(r, 'd').phase, 'Succeeded');
  // failure() sees a skipped chain as no failure of its own needs: c was skipped, not failed
  assert.equal(step(r, 'notify').phase, 'Skipped');
});

test('when conditions and failure() handlers', async (t) => {
  const { run: r, dir } = await run(
    pipelineOf(
      `    - id: a\n      run: exit 1\n` +
        `    - id: on-fail\n      needs: a\n      when: failure()\n      run: echo cleaning up\n` +
        `    - id: prod-only\n      when: params.env == 'prod'\n      run: echo deploying\n` +
        `    - id: dev-only\n      when: \${{ params.env != 'prod' }}\n      run: echo dev\n`,
      '  params:\n    - name: env\n      default: dev\n',
    ),
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(step(r, 'on-fail').phase, 'Succeeded');
  assert.equal(step(r, 'prod-only').phase, 'Skipped');
  assert.match(step(r, 'prod-only').message!, /when condition is false/);
  assert.equal(step(r, 'dev-only').phase, 'Succeeded');
});

test('a timeout kills the whole process group and fails the step', async (t) => {
  const { run: r, dir } = await run(
    pipelineOf(`    - id: slow\n      timeout: 700ms\n      run: sleep 60 & echo $! > bg.pid; echo started; wait\n`),
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = step(r, 'slow');
  assert.equal(s.phase, 'Failed');
  assert.match(s.message!, /timed out after 700ms/);
  const pid = Number(readFileSync(join(dir, 'bg.pid'), 'utf8'));
  // the background sleep belonged to the step's group and is gone (or a zombie being reaped)
  const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  assert.ok(ps.stdout.trim() === '' || ps.stdout.trim().startsWith('Z'), `sleep ${pid} still running: ${ps.stdout}`);
});

test('retries re-run a failed step', async (t) => {
  const { run: r, dir } = await run(
    pipelineOf(
      `    - id: flaky\n      retries: 2\n      run: n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; [ $n -ge 1 ]\n`,
    ),
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(step(r, 'flaky').phase, 'Succeeded');
  assert.equal(step(r, 'flaky').attempts, 2);
  assert.match(readFileSync(step(r, 'flaky').logPath, 'utf8'), /attempt 2 of 3/);
});

test('aborting the run fails the running step and skips the rest; the record on disk says so', async (t) => {
  const ac = new AbortController();
  const { run: r, dir } = await run(
    pipelineOf(
      `    - id: long\n      run: echo started; sleep 60\n    - id: after\n      needs: long\n      run: echo never\n`,
    ),
    { signal: ac.signal, onLog: (id, text) => id === 'long' && text.includes('started') && ac.abort() },
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(r.status.phase, 'Failed');
  assert.equal(step(r, 'long').phase, 'Failed');
  assert.match(step(r, 'long').message!, /cancelled/);
  assert.equal(step(r, 'after').phase, 'Skipped');
  const saved = readRun(r.status.runDir);
  assert.equal(saved.status.steps[0]!.phase, 'Failed');
});

test('secrets: values never reach logs or the record; a missing secret fails only its step', async (t) => {
  const secretFile = join(tmpdir(), `sekisho-secret-${process.pid}`);
  writeFileSync(secretFile, 'file-secret-value-123\n');
  t.after(() => rmSync(secretFile, { force: true }));
  const { run: r, dir } = await run(
    pipelineOf(
      `    - id: leak\n      env:\n        TOKEN: {secretRef: {env: SEKISHO_TEST_TOKEN}}\n        F: \${{ secrets.file }}\n` +
        `      run: echo "token=$TOKEN"; echo "file=$F"; printf 's3cr3t-'; printf 't0ken-value\\n'; echo "out=$TOKEN" >> $SEKISHO_OUTPUT\n` +
        `    - id: reads\n      needs: leak\n      run: test "\${{ steps.leak.outputs.out }}" = "s3cr3t-t0ken-value"\n` +
        `    - id: missing\n      run: echo \${{ secrets.absent }}\n`,
      `  secrets:\n    - name: file\n      secretRef: {file: ${secretFile}}\n    - name: absent\n      secretRef: {env: SEKISHO_NOT_SET}\n`,
    ),
  );
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = readFileSync(step(r, 'leak').logPath, 'utf8');
  assert.match(log, /token=\*\*\*/);
  assert.match(log, /file=\*\*\*/);
  assert.doesNotMatch(log, /s3cr3t|file-secret/);
  assert.equal(step(r, 'leak').phase, 'Succeeded');
  // the record shows the output masked; the next step still reads the real value
  assert.equal(step(r, 'leak').outputs.out, '***');
  assert.equal(step(r, 'reads').phase, 'Succeeded');
  assert.equal(step(r, 'missing').phase, 'Failed');
  assert.match(step(r, 'missing').message!, /SEKISHO_NOT_SET is not set/);
  const record = readFileSync(join(r.status.runDir, 'status.json'), 'utf8');
  assert.doesNotMatch(record, /s3cr3t|file-secret/);
});

test('a record left Running by a runner that died is read back as Failed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-run-'));
  try {
    const dead = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    mkdirSync(dir, { recursive: true });
    const rec = {
      apiVersion: 'ci.sekisho.dev/v1alpha1',
      kind: 'PipelineRun',
      metadata: { name: 'x', creationTimestamp: '' },
      spec: { pipelineRef: { name: 'x' }, pipelineFile: '', params: {}, workspace: dir },
      status: {
        phase: 'Running',
        runner: { pid, hostname: hostname() },
        runDir: dir,
        steps: [
          { id: 'a', uses: 'run', phase: 'Running', attempts: 1, outputs: {}, logPath: '' },
          { id: 'b', uses: 'run', phase: 'Pending', attempts: 0, outputs: {}, logPath: '' },
        ],
      },
    };
    writeFileSync(join(dir, 'status.json'), JSON.stringify(rec));
    const r = readRun(dir);
    assert.equal(r.status.phase, 'Failed');
    assert.equal(r.status.steps[0]!.phase, 'Failed');
    assert.equal(r.status.steps[1]!.phase, 'Skipped');
    assert.ok(existsSync(join(dir, 'status.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
