// A commit to the app repo starts a PipelineRun (polling); the same commit is not run twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinSteps, pollOnce } from '../../src/pipeline/index.ts';
import { git, HEAD, tempDir, services } from './helpers.ts';

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
