// The platform's pipeline runner against the sandbox cluster: pushed commits run once each (another ref
// to the same commit, a tag or a deletion starts nothing), commits without a pipeline are skipped, the
// well-known params reach the pipeline, runs of one branch queue behind each other, every run is a
// PipelineRun in sekisho-ci; and after a SIGKILL of the process running them, the next start marks the
// interrupted run Failed in the cluster and runs the commit that was still queued.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeClient } from '../../src/kube/index.ts';
import {
  API_VERSION,
  CI_NAMESPACE,
  PipelineTrigger,
  builtinSteps,
  kubeRunRecorder,
  pollOnce,
  type PipelineRun,
} from '../../src/pipeline/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { git, HEAD, services } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'sekisho-trigger-'));
let sb: Sandbox;
let kube: KubeClient;

before(async () => {
  sb = await startSandbox({ dataDir: join(dir, 'cluster'), durability: 'normal' });
  kube = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
});
after(async () => {
  kube.close();
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

function commit(repo: string, files: Record<string, string | null>, msg: string): string {
  for (const [f, text] of Object.entries(files)) {
    if (text === null) git(repo, 'rm', '-q', f);
    else writeFileSync(join(repo, f), text);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '--allow-empty', '-m', msg);
  return git(repo, 'rev-parse', 'HEAD');
}

const ZERO = '0'.repeat(40);
const main = (old: string, sha: string) => ({ ref: 'refs/heads/main', old, new: sha });

async function runsOf(commit: string): Promise<PipelineRun[]> {
  const l = await kube.list(API_VERSION, 'PipelineRun', {
    namespace: CI_NAMESPACE,
    labelSelector: `ci.sekisho.dev/commit=${commit}`,
  });
  return l.items as unknown as PipelineRun[];
}

test('each pushed commit runs once, in order per branch, recorded in sekisho-ci', async () => {
  const repo = join(dir, 'app');
  git(dir, 'init', '-q', '-b', 'main', repo);
  const pipeline =
    HEAD +
    '  params:\n    - name: commit\n    - name: branch\n    - name: repo\n    - name: greeting\n      default: hi\n' +
    '  steps:\n    - id: show\n      run: echo "${{ params.greeting }} $(cat VERSION) ${{ params.commit }} ${{ params.branch }} ${{ params.repo }}"\n';
  const c1 = commit(repo, { VERSION: '1\n', 'sekisho-pipeline.yaml': pipeline }, 'v1');
  const dataDir = join(dir, 'data1');
  const t = new PipelineTrigger({ dataDir, kube, services: () => services(), params: () => ({ greeting: 'hello' }) });
  await t.start();
  const url = 'http://git.example/app.git';
  const first = t.push({ repo: url, source: repo, trigger: 'push', updates: [main(ZERO, c1)] });
  assert.deepEqual(
    first.map((o) => o.outcome),
    ['queued'],
  );
  // the same commit under another branch, a tag, a deleted branch: nothing more
  const again = t.push({
    repo: url,
    source: repo,
    trigger: 'webhook',
    updates: [
      { ref: 'refs/heads/other', old: ZERO, new: c1 },
      { ref: 'refs/tags/v1', old: ZERO, new: c1 },
      { ref: 'refs/heads/gone', old: c1, new: ZERO },
    ],
  });
  assert.deepEqual(
    again.map((o) => o.outcome),
    ['duplicate', 'ignored', 'ignored'],
  );
  await t.idle();
  const [run1, ...more] = await runsOf(c1);
  assert.equal(more.length, 0, 'one PipelineRun for the commit');
  assert.equal(run1?.status.phase, 'Succeeded');
  assert.equal(run1?.metadata.labels?.['ci.sekisho.dev/repo'], 'app');
  assert.equal(run1?.metadata.labels?.['ci.sekisho.dev/trigger'], 'push');
  const log = readFileSync(run1!.status.steps[0]!.logPath, 'utf8');
  assert.match(log, new RegExp(`hello 1 ${c1} main ${url}`));
  assert.ok(run1!.status.runDir.startsWith(join(dataDir, 'ci', 'runs')));

  // a commit without a pipeline file: claimed, no run
  const c2 = commit(repo, { 'sekisho-pipeline.yaml': null }, 'no pipeline');
  // two commits of one branch pushed at once run one after the other
  const c3 = commit(repo, { VERSION: '3\n', 'sekisho-pipeline.yaml': pipeline }, 'v3');
  const c4 = commit(repo, { VERSION: '4\n' }, 'v4');
  t.push({ repo: url, source: repo, trigger: 'push', updates: [main(c1, c2)] });
  t.push({ repo: url, source: repo, trigger: 'push', updates: [main(c2, c3)] });
  t.push({ repo: url, source: repo, trigger: 'push', updates: [main(c3, c4)] });
  await t.idle();
  assert.equal((await runsOf(c2)).length, 0);
  assert.equal(t.lookup(url, c2)?.state, 'skipped');
  const [r3] = await runsOf(c3);
  const [r4] = await runsOf(c4);
  assert.equal(r3?.status.phase, 'Succeeded');
  assert.equal(r4?.status.phase, 'Succeeded');
  assert.ok(Date.parse(r4!.status.startTime!) >= Date.parse(r3!.status.completionTime!), 'c4 waited for c3');

  // a pipeline that cannot run (a YAML error; a param nobody fills) is a Failed run saying why, where runs are seen
  const c5 = commit(repo, { 'sekisho-pipeline.yaml': HEAD + '  steps:\n    - id: [broken\n' }, 'broken');
  const c6 = commit(
    repo,
    {
      'sekisho-pipeline.yaml':
        HEAD + '  params:\n    - name: greeting\n    - name: target\n  steps:\n    - id: show\n      run: echo hi\n',
    },
    'needs a param',
  );
  t.push({ repo: url, source: repo, trigger: 'push', updates: [main(c4, c5)] });
  t.push({ repo: url, source: repo, trigger: 'push', updates: [main(c5, c6)] });
  await t.idle();
  const [r5] = await runsOf(c5);
  assert.equal(r5?.status.phase, 'Failed');
  assert.match(r5!.status.message ?? '', /^sekisho-pipeline\.yaml cannot run: sekisho-pipeline\.yaml:\d+:\d+: /);
  const [r6] = await runsOf(c6);
  assert.equal(r6?.status.phase, 'Failed');
  assert.match(r6!.status.message ?? '', /param target has no default/);
  // a commit whose fetch failed (the repository was not there) is tried again when pushed again
  const c7 = commit(repo, { 'sekisho-pipeline.yaml': pipeline, VERSION: '7\n' }, 'v7');
  t.push({ repo: url, source: join(dir, 'missing'), trigger: 'push', updates: [main(c6, c7)] });
  await t.idle();
  assert.equal(t.lookup(url, c7)?.state, 'error');
  assert.match(t.lookup(url, c7)?.message ?? '', /clone .*missing/);
  const retried = t.push({ repo: url, source: repo, trigger: 'push', updates: [main(c6, c7)] });
  assert.deepEqual(
    retried.map((o) => o.outcome),
    ['queued'],
  );
  await t.idle();
  assert.equal((await runsOf(c7))[0]?.status.phase, 'Succeeded');
  await t.close();

  // a new runner on the same data dir remembers what ran
  const t2 = new PipelineTrigger({ dataDir, kube, services: () => services() });
  await t2.start();
  assert.deepEqual(
    t2.push({ repo: url, source: repo, trigger: 'push', updates: [main(c5, c6)] }).map((o) => o.outcome),
    ['duplicate'],
  );
  await t2.close();
});

test('a run killed with its process is marked Failed at the next start; the queued commit then runs', async () => {
  const repo = join(dir, 'crash');
  git(dir, 'init', '-q', '-b', 'main', repo);
  // the step lasts as long as the process that started it
  const slow = commit(
    repo,
    {
      'sekisho-pipeline.yaml':
        HEAD + '  steps:\n    - id: wait\n      run: p=$PPID; while kill -0 $p 2>/dev/null; do sleep 0.1; done\n',
    },
    'slow',
  );
  const fast = commit(
    repo,
    { 'sekisho-pipeline.yaml': HEAD + '  steps:\n    - id: quick\n      run: echo done\n' },
    'fast',
  );
  const dataDir = join(dir, 'data2');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'trigger-child.ts'), dataDir, sb.kubeconfigPath, repo, slow, fast],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const lines = createInterface({ input: child.stdout! });
    for await (const l of lines) if (l === 'queued') break;
    // wait until the cluster shows the slow step running
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [r] = await runsOf(slow);
      if (r?.status.steps[0]?.phase === 'Running') break;
      assert.ok(Date.now() < deadline, 'the slow step never showed Running in the cluster');
      await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  assert.equal((await runsOf(slow))[0]?.status.phase, 'Running', 'the cluster copy is stale before the restart');
  const t = new PipelineTrigger({ dataDir, kube, services: () => services() });
  await t.start();
  const [killed] = await runsOf(slow);
  assert.equal(killed?.status.phase, 'Failed');
  assert.match(killed!.status.message ?? '', /(exited|stopped) while the run was in progress/);
  assert.equal(killed!.status.steps[0]?.phase, 'Failed');
  const onDisk = JSON.parse(readFileSync(join(killed!.status.runDir, 'status.json'), 'utf8')) as PipelineRun;
  assert.equal(onDisk.status.phase, 'Failed');
  await t.idle();
  const [next] = await runsOf(fast);
  assert.equal(next?.status.phase, 'Succeeded', 'the commit left queued ran after the restart');
  assert.equal((await runsOf(slow)).length, 1, 'the interrupted commit is not run again');
  await t.close();
});

test('polled repositories: each new branch head runs once, through the same queue', async () => {
  const repo = join(dir, 'polled');
  git(dir, 'init', '-q', '-b', 'main', repo);
  const c1 = commit(
    repo,
    { 'sekisho-pipeline.yaml': HEAD + '  steps:\n    - id: hi\n      run: echo polled\n' },
    'one',
  );
  const t = new PipelineTrigger({
    dataDir: join(dir, 'data3'),
    kube,
    services: () => services(),
    poll: [{ repo, branches: ['main'], intervalMs: 50 }],
  });
  await t.start();
  const ran = async (c: string): Promise<PipelineRun> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (t.lookup(repo, c)) {
        await t.idle();
        const [r] = await runsOf(c);
        if (r && r.status.phase !== 'Running') return r;
      }
      assert.ok(Date.now() < deadline, `commit ${c} was never run by polling`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  const r1 = await ran(c1);
  assert.equal(r1.status.phase, 'Succeeded');
  assert.equal(r1.metadata.labels?.['ci.sekisho.dev/trigger'], 'poll');
  const c2 = commit(repo, { VERSION: '2\n' }, 'two');
  assert.equal((await ran(c2)).status.phase, 'Succeeded');
  // polled again and again: still one run each
  assert.equal((await runsOf(c1)).length, 1);
  await t.close();
});

test('ci watch (pollOnce) records each run in a cluster through a recorder made per run', async () => {
  const repo = join(dir, 'watched');
  git(dir, 'init', '-q', '-b', 'main', repo);
  const c1 = commit(repo, { 'sekisho-pipeline.yaml': HEAD + '  steps:\n    - id: hi\n      run: echo one\n' }, 'one');
  const o = {
    repo,
    dataDir: join(dir, 'data4'),
    services: services(),
    handlers: builtinSteps(),
    recorder: () => kubeRunRecorder(kube, CI_NAMESPACE),
  };
  const first = await pollOnce(o);
  const c2 = commit(repo, { VERSION: '2\n' }, 'two');
  const second = await pollOnce(o);
  assert.equal(first.commit, c1);
  assert.equal(second.commit, c2);
  for (const c of [c1, c2]) {
    const [r, ...more] = await runsOf(c);
    assert.equal(more.length, 0);
    assert.equal(r?.status.phase, 'Succeeded', `the run of ${c} in the cluster`);
    assert.equal(r?.metadata.labels?.['ci.sekisho.dev/trigger'], 'poll');
  }
});
