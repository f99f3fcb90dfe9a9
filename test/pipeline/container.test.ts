// `run` steps with `image:` run inside the image under runc/bwrap, with the checkout at /workspace;
// outputs come back, files written to /workspace land in the checkout, and a timeout kills the container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerExecutor } from '../../src/pipeline/index.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { HEAD, runText, services, stepOf, tempDir } from './helpers.ts';

test('run steps in an image: outputs, workspace mount, timeout kills the container', async (t) => {
  const ws = tempDir(t, 'pipe-container');
  const reg = await startEmbedded();
  t.after(() => reg.close());
  await pushFixture(reg.host, 'base/busybox', 'latest');
  const svc = services();
  svc.executor = containerExecutor({ services: svc });
  const r = await runText(
    ws,
    HEAD +
      `  params:\n    - name: image\n      default: ${reg.host}/base/busybox:latest\n` +
      '  steps:\n' +
      '    - id: inside\n      image: "${{ params.image }}"\n      run: |\n        grep -c "^app:" /etc/passwd\n        echo "user=$(id -u)" >> "$SEKISHO_OUTPUT"\n        echo "pwd=$(pwd)" >> "$SEKISHO_OUTPUT"\n        echo made-inside > /workspace/from-container.txt\n' +
      '    - id: stuck\n      image: "${{ params.image }}"\n      timeout: 1500ms\n      run: echo started; sleep 60\n' +
      '    - id: failing\n      image: "${{ params.image }}"\n      run: exit 7\n',
    { services: svc },
  );
  const inside = stepOf(r, 'inside');
  assert.equal(inside.phase, 'Succeeded', readFileSync(inside.logPath, 'utf8'));
  assert.deepEqual(inside.outputs, { user: '0', pwd: '/workspace' });
  assert.match(readFileSync(inside.logPath, 'utf8'), /^1$/m);
  assert.ok(existsSync(join(ws, 'from-container.txt')));
  const stuck = stepOf(r, 'stuck');
  assert.equal(stuck.phase, 'Failed');
  assert.match(stuck.message!, /timed out after 1\.5s/);
  const failing = stepOf(r, 'failing');
  assert.equal(failing.phase, 'Failed');
  assert.equal(failing.exitCode, 7);
});
