// `sekisho ci seed` and `sekisho ci step`, the commands step Jobs run in the Sekisho step image, run here as
// plain processes against the embedded registry: the seed unpacks the workspace artifact (and refuses a tar
// entry that leaves the folder); a step answers with a result bundle whose record and files the Job runner
// reads back, or with an error; secrets never reach the log or the bundle.
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RegistryClient, RegistryStore, pullArtifact, pushArtifact } from '../../src/oci/index.ts';
import type { StepRequest } from '../../src/pipeline/runners/index.ts';
import {
  STEP_RESULT_ARTIFACT,
  STEP_RESULT_MEDIA,
  WORKSPACE_ARTIFACT,
} from '../../src/pipeline/runners/step-request.ts';
import { makeTar } from '../oci/fixtures.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { sekisho, tempDir } from './helpers.ts';

/** A tar.gz of a folder (GNU tar). */
function targz(dir: string): Buffer {
  const r = spawnSync('tar', ['-C', dir, '-czf', '-', '.'], { maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}
test('ci seed unpacks the workspace artifact and refuses entries that leave the folder', async (t) => {
  const dir = tempDir(t, 'step-seed');
  const reg = await startEmbedded();
  t.after(() => reg.close());
  const store = new RegistryStore(new RegistryClient({ host: reg.host }), 'sekisho/workspaces');
  const src = join(dir, 'src');
  mkdirSync(join(src, 'app'), { recursive: true });
  writeFileSync(join(src, 'app', 'main.js'), 'console.log(1)\n');
  const db = join(dir, 'db');
  mkdirSync(db);
  writeFileSync(join(db, 'advisories.sqlite'), 'not really a db');
  const title = 'org.opencontainers.image.title';
  const layer = 'application/vnd.oci.image.layer.v1.tar+gzip';
  const good = await pushArtifact(store, {
    artifactType: WORKSPACE_ARTIFACT,
    blobs: [
      { bytes: targz(src), mediaType: layer, annotations: { [title]: 'workspace' } },
      { bytes: targz(db), mediaType: layer, annotations: { [title]: 'scan-db' } },
    ],
    tag: 'good',
  });
  const into = join(dir, 'ws');
  const r = await sekisho(['ci', 'seed', `${reg.host}/sekisho/workspaces@${good.digest}`, '--into', into]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /seeded .* \(workspace, scan-db\)/);
  assert.equal(readFileSync(join(into, 'app', 'main.js'), 'utf8'), 'console.log(1)\n');
  assert.equal(readFileSync(join(into, '.sekisho', 'scan-db', 'advisories.sqlite'), 'utf8'), 'not really a db');

  await pushArtifact(store, {
    artifactType: WORKSPACE_ARTIFACT,
    blobs: [
      {
        bytes: gzipSync(makeTar([{ name: '../escaped.txt', data: Buffer.from('pwn\n') }])),
        mediaType: layer,
        annotations: { [title]: 'workspace' },
      },
    ],
    tag: 'hostile',
  });
  const into2 = join(dir, 'inner', 'ws');
  const bad = await sekisho(['ci', 'seed', `${reg.host}/sekisho/workspaces:hostile`, '--into', into2]);
  assert.notEqual(bad.code, 0, bad.stdout);
  assert.match(bad.stderr, /escaped\.txt/);
  assert.ok(!existsSync(join(dir, 'inner', 'escaped.txt')), 'nothing is written outside the folder');

  const wrong = await sekisho(['ci', 'seed', `${reg.host}/sekisho/workspaces:nope`, '--into', into2]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /nope|not found|unknown/i);
});

test('ci step runs a built-in step and answers with a result bundle, or with an error', async (t) => {
  const dir = tempDir(t, 'step-run');
  const reg = await startEmbedded();
  t.after(() => reg.close());
  const ws = join(dir, 'ws');
  mkdirSync(ws);
  writeFileSync(join(ws, 'Dockerfile'), 'FROM debian\nRUN apt-get install -y curl\n');
  const request = (over: Partial<StepRequest>): StepRequest => ({
    uses: 'lint',
    step: {
      id: 'lint',
      uses: 'lint',
      with: {},
      needs: [],
      retries: 0,
      continueOnError: false,
      env: {},
    },
    inputs: { dockerfile: 'Dockerfile' },
    env: {},
    secrets: { token: 'hunter2-very-secret' },
    runId: 'r1',
    attempt: 1,
    insecureHosts: [],
    result: `${reg.host}/sekisho/workspaces:r1-lint`,
    ...over,
  });
  const resultFile = join(dir, 'result');
  const r = await sekisho(['ci', 'step', '--workspace', ws, '--result-file', resultFile], {
    env: { SEKISHO_STEP_REQUEST: JSON.stringify(request({})) },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /DL3006|DL3008|DL3015/, 'the findings are in the step log');
  const answer = JSON.parse(readFileSync(resultFile, 'utf8')) as { bundle?: string };
  assert.match(answer.bundle ?? '', /^sha256:[0-9a-f]{64}$/);
  const store = new RegistryStore(new RegistryClient({ host: reg.host }), 'sekisho/workspaces');
  const { blobs } = await pullArtifact(store, answer.bundle!, { artifactType: STEP_RESULT_ARTIFACT });
  const record = JSON.parse(blobs.find((b) => b.mediaType === STEP_RESULT_MEDIA)!.bytes.toString()) as {
    report?: string;
    sarif?: string[];
    failure?: string;
    outputs?: Record<string, string>;
    annotations?: unknown[];
  };
  assert.equal(record.report, 'lint.report.json');
  assert.deepEqual(record.sarif, ['lint.sarif']);
  assert.match(record.failure ?? '', /^lint: \d+ finding/);
  assert.ok(Number(record.outputs?.findings) > 0);
  assert.ok((record.annotations ?? []).length > 0);
  const titles = blobs.map((b) => b.annotations?.['org.opencontainers.image.title']).filter(Boolean);
  assert.deepEqual(titles.sort(), ['lint.report.json', 'lint.sarif']);
  assert.ok(existsSync(join(ws, '.sekisho', 'runs', 'r1', 'lint.report.json')), 'files stay on the volume too');

  // a step that throws answers with its error (masked), exit 1
  const bad = await sekisho(['ci', 'step', '--workspace', ws, '--result-file', resultFile], {
    env: {
      SEKISHO_STEP_REQUEST: JSON.stringify(request({ inputs: { dockerfile: 'hunter2-very-secret/Dockerfile' } })),
    },
  });
  assert.equal(bad.code, 1);
  const err = JSON.parse(readFileSync(resultFile, 'utf8')) as { error?: string };
  assert.match(err.error ?? '', /lint: read \*\*\*\/Dockerfile/);
  assert.doesNotMatch(bad.stdout + bad.stderr + JSON.stringify(err), /hunter2/);

  // no request: a clear error
  const none = await sekisho(['ci', 'step', '--workspace', ws, '--result-file', resultFile], {
    env: { SEKISHO_STEP_REQUEST: '' },
  });
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /SEKISHO_STEP_REQUEST is not set/);
});
