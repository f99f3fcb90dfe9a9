// A commit to the app repo starts a PipelineRun (polling); the same commit is not run twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinSteps, pollOnce } from '../../src/pipeline/index.ts';
import { HEAD, services, tempDir } from './helpers.ts';

function git(cwd: string, ...args: string[]): string {
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

test('each new commit of the branch gets one run, from the pipeline in that commit', async (t) => {
  const root = tempDir(t, 'watch');
  const app = join(root, 'app');
  git(root, 'init', '-q', '-b', 'main', app);
  writeFileSync(join(app, 'VERSION'), '1\n');
  writeFileSync(
    join(app, 'sekisho-pipeline.yaml'),
    HEAD + '  steps:\n    - id: show\n      run: echo "version $(cat VERSION)"\n',
  );
  git(app, 'add', '-A');
  git(app, 'commit', '-q', '-m', 'v1');
  const o = { repo: app, dataDir: join(root, 'data'), services: services(), handlers: builtinSteps() };
  const first = await pollOnce(o);
  assert.equal(first.commit, git(app, 'rev-parse', 'HEAD'));
  assert.equal(first.run?.status.phase, 'Succeeded');
  assert.equal(first.run?.metadata.labels?.['ci.sekisho.dev/commit'], first.commit);
  assert.match(readFileSync(first.run!.status.steps[0]!.logPath, 'utf8'), /version 1/);
  const again = await pollOnce(o);
  assert.equal(again.run, undefined);
  writeFileSync(join(app, 'VERSION'), '2\n');
  git(app, 'commit', '-q', '-am', 'v2');
  const second = await pollOnce(o);
  assert.notEqual(second.commit, first.commit);
  assert.match(readFileSync(second.run!.status.steps[0]!.logPath, 'utf8'), /version 2/);
});
