// The pipeline-run, change-request and image supply-chain routes against a started API server on a sandbox
// holding fixture PipelineRun/ChangeRequest objects (namespace sekisho-ci), step logs and reports under the
// CI folder, a config repo (bare, on the fixture's git root) with a base and head branch, and an image with
// a cosign signature, a DSSE attestation and a scan report referrer. No UI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { KubeObject } from '../../src/kube/index.ts';
import type { RegistryStorage } from '../../src/oci/index.ts';
import { API_VERSION, CI_NAMESPACE } from '../../src/pipeline/index.ts';
import { installCiCrds } from '../support/ci-crds.ts';
import { app, checkEndpoint, startFixture, type Fixture } from './api-fixture.ts';

let f: Fixture;
let ci = '';
let bare = '';
const SECRET = 's3cr3t-value-never-shown';
const SECRET2 = 'an0ther-s3cr3t-value';

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@x',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@x',
    },
    encoding: 'utf8',
  }).trim();
}

async function putRun(name: string, status: Record<string, unknown>, labels: Record<string, string> = {}) {
  const created = await f.kube.create({
    apiVersion: API_VERSION,
    kind: 'PipelineRun',
    metadata: { name, namespace: CI_NAMESPACE, labels: { 'ci.sekisho.dev/pipeline': 'app', ...labels } },
    spec: { pipelineRef: { name: 'app' }, pipelineFile: join(ci, 'none.yaml'), params: {}, workspace: ci },
  } as KubeObject);
  return f.kube.replace({ ...created, status } as KubeObject, { subresource: 'status' });
}

async function setStatus(name: string, edit: (s: any) => void) {
  const o = await f.kube.get(API_VERSION, 'PipelineRun', name, CI_NAMESPACE);
  edit(o.status);
  await f.kube.replace(o, { subresource: 'status' });
}

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
async function blob(s: RegistryStorage, repo: string, bytes: Buffer): Promise<string> {
  const d = sha(bytes);
  await s.putBlob(repo, d, Readable.from([bytes]), bytes.length);
  return d;
}
async function manifest(s: RegistryStorage, repo: string, m: Record<string, unknown>, tag?: string, subject?: string) {
  const bytes = Buffer.from(JSON.stringify(m));
  const mediaType = m.mediaType as string;
  const digest = sha(bytes);
  const artifactType = m.artifactType as string | undefined;
  await s.putManifest(
    repo,
    { digest, mediaType, bytes },
    tag,
    subject ? { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: 0 } : undefined,
    subject
      ? {
          mediaType,
          digest,
          size: bytes.length,
          ...(artifactType ? { artifactType } : {}),
          annotations: { 'org.opencontainers.image.created': '2026-11-26T10:00:00Z' },
        }
      : undefined,
  );
  return digest;
}

let runDir = '';
let headCommit = '';
let baseCommit = '';

before(async () => {
  // the CI folder the API server may serve files from
  ci = mkdtempSync(join(tmpdir(), 'sekisho-api-ci-'));
  f = await startFixture({ ciDir: ci });
  await installCiCrds(f.kube);

  // runs: an older finished one with a failed lint step, a newer running one
  runDir = join(ci, 'runs', 'app-1');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'lint.log'), 'Dockerfile:3 DL3007 error: Using latest\n');
  writeFileSync(
    join(runDir, 'lint.report.json'),
    JSON.stringify([{ file: 'Dockerfile', line: 3, code: 'DL3007', level: 'error', message: 'Using latest' }]),
  );
  writeFileSync(join(runDir, 'lint.sarif'), JSON.stringify({ version: '2.1.0', runs: [] }));
  writeFileSync(join(runDir, 'build.log'), '');
  writeFileSync(join(ci, 'outside-target.txt'), 'x');
  writeFileSync(join(f.dir, 'not-ci.txt'), 'private');
  symlinkSync(join(f.dir, 'not-ci.txt'), join(runDir, 'escape.log'));
  const step = (id: string, extra: Record<string, unknown>) => ({
    id,
    uses: id,
    attempts: 1,
    outputs: {},
    logPath: join(runDir, `${id}.log`),
    ...extra,
  });
  await putRun(
    'app-1',
    {
      phase: 'Failed',
      startTime: '2026-11-26T10:00:00Z',
      completionTime: '2026-11-26T10:00:05Z',
      runDir,
      steps: [
        step('lint', {
          phase: 'Failed',
          startTime: '2026-11-26T10:00:00Z',
          finishTime: '2026-11-26T10:00:01.500Z',
          reportPath: join(runDir, 'lint.report.json'),
          sarif: [join(runDir, 'lint.sarif')],
          message: 'lint: 1 finding(s) at or above error',
          annotations: [{ level: 'error', file: 'Dockerfile', line: 3, message: 'DL3007: Using latest' }],
        }),
        step('build', { phase: 'Skipped', needs: ['lint'] }),
        step('scan', { phase: 'Skipped', needs: ['build'] }),
        step('sbom', { phase: 'Skipped', needs: ['build'] }),
        step('promote', { phase: 'Skipped', needs: ['scan', 'sbom'] }),
        { ...step('evil', { phase: 'Failed' }), logPath: '/etc/passwd', reportPath: join(f.dir, 'not-ci.txt') },
        { ...step('sneaky', { phase: 'Failed' }), logPath: join(runDir, 'escape.log') },
      ],
    },
    { 'ci.sekisho.dev/repo': 'app', 'ci.sekisho.dev/commit': 'aaaa' },
  );
  await putRun(
    'app-2',
    {
      phase: 'Running',
      startTime: '2026-11-26T11:00:00Z',
      runDir,
      steps: [step('build', { phase: 'Running', startTime: '2026-11-26T11:00:00Z' })],
    },
    { 'ci.sekisho.dev/repo': 'other' },
  );

  // the config repo: base main, head branch bumping the image and changing a Secret value
  const gitRoot = join(f.dir, 'git');
  mkdirSync(gitRoot, { recursive: true });
  bare = join(gitRoot, 'config.git');
  git(['init', '-q', '--bare', '-b', 'main', bare], gitRoot);
  const work = join(f.dir, 'work');
  git(['clone', '-q', bare, work], f.dir);
  const deploy = (img: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ${img}\n`;
  const secret = (v: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${v}\n  user: admin-user\n`;
  mkdirSync(join(work, 'app'));
  writeFileSync(join(work, 'app', 'deployment.yaml'), deploy('demo/app:v1'));
  writeFileSync(join(work, 'app', 'secret.yaml'), secret(SECRET));
  writeFileSync(join(work, 'notes.txt'), 'one\n');
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', 'base'], work);
  git(['push', '-q', 'origin', 'HEAD:main'], work);
  baseCommit = git(['rev-parse', 'HEAD'], work);
  git(['checkout', '-q', '-b', 'promote-1'], work);
  writeFileSync(join(work, 'app', 'deployment.yaml'), deploy('demo/app@sha256:' + 'b'.repeat(64)));
  writeFileSync(join(work, 'app', 'secret.yaml'), secret(SECRET2));
  git(['commit', '-qam', 'promote'], work);
  git(['push', '-q', 'origin', 'promote-1'], work);
  headCommit = git(['rev-parse', 'HEAD'], work);
  // a second branch that conflicts with a change landing on main later
  git(['checkout', '-q', '-b', 'promote-2', baseCommit], work);
  writeFileSync(join(work, 'notes.txt'), 'two\n');
  git(['commit', '-qam', 'notes two'], work);
  git(['push', '-q', 'origin', 'promote-2'], work);
  const head2 = git(['rev-parse', 'HEAD'], work);

  const cr = (name: string, head: string, commit: string, created: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: API_VERSION,
    kind: 'ChangeRequest',
    metadata: { name, namespace: CI_NAMESPACE, creationTimestamp: created },
    spec: {
      repo: 'http://127.0.0.1:9/git/config.git',
      base: 'main',
      head,
      title: `promote ${name}`,
      description: '',
      images: [{ name: 'demo/app', image: 'demo/app@sha256:' + 'b'.repeat(64) }],
      paths: ['app'],
      pipelineRun: 'app-1',
    },
    status: {
      phase: 'Open',
      headCommit: commit,
      baseCommit,
      changedFiles: [],
      approvals: [],
      policy: {
        result: 'Passed',
        commit,
        checkedAt: created,
        files: ['app/deployment.yaml'],
        results: [
          { level: 'warning', file: 'app/deployment.yaml', line: 9, message: 'image has no tag', namespace: 'main' },
        ],
      },
      ...extra,
    },
  });
  const { KubeChangeRequestStore } = await import('../../src/pipeline/index.ts');
  const store = new KubeChangeRequestStore(f.kube, CI_NAMESPACE);
  await store.create(cr('promote-1', 'promote-1', headCommit, '2026-11-26T10:00:00Z') as never);
  await store.create(cr('promote-2', 'promote-2', head2, '2026-11-26T11:00:00Z') as never);
  await store.create(cr('promote-3', 'promote-1', headCommit, '2026-11-26T09:00:00Z') as never);

  // the image's attachments: an attestation under .att, a scan report referrer
  const repo = f.image.repo;
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'demo/app', digest: { sha256: f.image.digest.slice(7) } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {},
  };
  const env = Buffer.from(
    JSON.stringify({
      payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
      payloadType: 'application/vnd.in-toto+json',
      signatures: [{ sig: 'AAAA', keyid: 'key-1' }],
    }),
  );
  const envDigest = await blob(f.storage, repo, env);
  const empty = await blob(f.storage, repo, Buffer.from('{}'));
  await manifest(
    f.storage,
    repo,
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: empty, size: 2 },
      layers: [
        {
          mediaType: 'application/vnd.dsse.envelope.v1+json',
          digest: envDigest,
          size: env.length,
          annotations: { predicateType: 'https://slsa.dev/provenance/v1' },
        },
      ],
    },
    `sha256-${f.image.digest.slice(7)}.att`,
  );
  const report = Buffer.from(
    JSON.stringify({
      SchemaVersion: 2,
      Results: [
        {
          Target: 'app',
          Vulnerabilities: [
            { VulnerabilityID: 'CVE-1', Severity: 'HIGH', FixedVersion: '1.2' },
            { VulnerabilityID: 'CVE-2', Severity: 'CRITICAL' },
            { VulnerabilityID: 'CVE-3', Severity: 'HIGH' },
          ],
        },
      ],
    }),
  );
  const reportDigest = await blob(f.storage, repo, report);
  await manifest(
    f.storage,
    repo,
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.sekisho.scan-report.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
      layers: [{ mediaType: 'application/vnd.sekisho.scan-report.v1+json', digest: reportDigest, size: report.length }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: f.image.digest, size: 0 },
    },
    undefined,
    f.image.digest,
  );
});

after(async () => {
  await f?.close();
  if (ci) rmSync(ci, { recursive: true, force: true });
});

test('pipeline runs: list newest first with filters, one run as a graph, 401/400/404', async () => {
  await checkEndpoint(f, {
    name: 'list runs',
    method: 'GET',
    path: '/api/v1/pipelineruns',
    ok: {
      as: 'viewerA',
      check: (r) => {
        assert.deepEqual(
          r.body.items.map((x: { name: string }) => x.name),
          ['app-2', 'app-1'],
        );
        assert.equal(r.body.total, 2);
        assert.equal(r.body.items[1].phase, 'Failed');
        assert.equal(r.body.items[1].durationMs, 5000);
        assert.equal(r.body.items[1].repo, 'app');
        assert.equal(r.body.items[1].steps.Skipped, 4);
      },
    },
    bad: [
      { path: '/api/v1/pipelineruns?phase=Done', reason: /phase must be one of/ },
      { path: '/api/v1/pipelineruns?limit=0', reason: /limit/ },
    ],
  });
  const byRepo = await f.call('GET', '/api/v1/pipelineruns?repo=app', { as: 'viewer' });
  assert.deepEqual(
    byRepo.body.items.map((x: { name: string }) => x.name),
    ['app-1'],
  );
  const running = await f.call('GET', '/api/v1/pipelineruns?phase=Running&pipeline=app', { as: 'viewer' });
  assert.deepEqual(
    running.body.items.map((x: { name: string }) => x.name),
    ['app-2'],
  );

  const one = await f.call('GET', '/api/v1/pipelineruns/app-1', { as: 'viewer' });
  assert.equal(one.status, 200, JSON.stringify(one.body));
  await f.validate('GET', '/api/v1/pipelineruns/app-1', one);
  const lv = Object.fromEntries(one.body.steps.map((s: { id: string; level: number }) => [s.id, s.level]));
  assert.deepEqual(lv, { lint: 0, build: 1, scan: 2, sbom: 2, promote: 3, evil: 0, sneaky: 0 });
  const lint = one.body.steps.find((s: { id: string }) => s.id === 'lint');
  assert.equal(lint.durationMs, 1500);
  assert.deepEqual(lint.files, { log: true, report: 'lint.report.json', sarif: 1 });
  const evil = one.body.steps.find((s: { id: string }) => s.id === 'evil');
  assert.deepEqual(evil.files, { log: false, report: null, sarif: 0 }, 'files outside the CI folder are not offered');
  assert.deepEqual(one.body.changeRequests, ['promote-1', 'promote-2', 'promote-3'], 'the change requests it opened');
  assert.equal((await f.call('GET', '/api/v1/pipelineruns/nope', { as: 'viewer' })).status, 404);
  assert.equal((await f.call('GET', '/api/v1/pipelineruns/Bad_Name', { as: 'viewer' })).status, 400);
});

test('step logs and reports: served from the record only, never outside the CI folder', async () => {
  const base = '/api/v1/pipelineruns/app-1/steps';
  const log = await f.call('GET', `${base}/lint/log`, { as: 'viewer' });
  assert.equal(log.status, 200);
  assert.match(log.headers.get('content-type')!, /text\/plain/);
  assert.equal(log.body, 'Dockerfile:3 DL3007 error: Using latest\n');
  assert.equal((await f.call('GET', `${base}/lint/log`)).status, 401);
  // an empty log (a step that has not written yet) is an empty answer
  writeFileSync(join(runDir, 'build.log'), '');
  const empty = await f.call('GET', `${base}/build/log`, { as: 'viewer' });
  assert.equal(empty.status, 200);
  assert.equal(empty.body, '');

  const rep = await f.call('GET', `${base}/lint/report`, { as: 'viewer' });
  assert.equal(rep.status, 200);
  assert.equal(rep.body[0].code, 'DL3007');
  const sarif = await f.call('GET', `${base}/lint/report?sarif=0`, { as: 'viewer' });
  assert.equal(sarif.status, 200);
  assert.match(sarif.headers.get('content-type')!, /sarif/);
  assert.equal(sarif.body.version, '2.1.0');
  assert.equal((await f.call('GET', `${base}/lint/report?sarif=3`, { as: 'viewer' })).status, 404);
  assert.equal((await f.call('GET', `${base}/build/report`, { as: 'viewer' })).status, 404);

  // traversal through the step name: refused before any file is looked at
  for (const bad of ['..%2F..%2Fetc%2Fpasswd', '..', 'lint%00']) {
    const r = await f.call('GET', `${base}/${bad}/log`, { as: 'viewer' });
    assert.ok(r.status === 400 || r.status === 404, `${bad}: ${r.status}`);
    assert.doesNotMatch(String(r.body), /root:/);
  }
  assert.equal((await f.call('GET', `${base}/nostep/log`, { as: 'viewer' })).status, 404);
  // a forged record pointing elsewhere, and a symlink out of the CI folder
  const evil = await f.call('GET', `${base}/evil/log`, { as: 'viewer' });
  assert.equal(evil.status, 403, JSON.stringify(evil.body));
  assert.doesNotMatch(JSON.stringify(evil.body), /root:/);
  assert.equal((await f.call('GET', `${base}/evil/report`, { as: 'viewer' })).status, 403);
  assert.equal((await f.call('GET', `${base}/evil/log?follow=1`, { as: 'viewer' })).status, 403);
  const sneaky = await f.call('GET', `${base}/sneaky/log`, { as: 'viewer' });
  assert.equal(sneaky.status, 403);
  assert.doesNotMatch(JSON.stringify(sneaky.body), /private/);
});

test('log follow: server-sent events carry new lines while the step runs, then end', async () => {
  const logFile = join(runDir, 'build.log');
  writeFileSync(logFile, 'step 1\n');
  const ac = new AbortController();
  const r = await fetch(`${f.url}/api/v1/pipelineruns/app-2/steps/build/log?follow=1`, {
    headers: { authorization: `Bearer ${f.tokens.viewer}` },
    signal: ac.signal,
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type')!, /text\/event-stream/);
  const reader = r.body!.getReader();
  let buf = '';
  const dec = new TextDecoder();
  const until = async (re: RegExp) => {
    const end = Date.now() + 15_000;
    while (!re.test(buf)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${buf}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${re}:\n${buf}`);
      buf += dec.decode(value, { stream: true });
    }
  };
  await until(/step 1/);
  appendFileSync(logFile, 'step 2 half');
  appendFileSync(logFile, ' done\n');
  await until(/step 2 half done/);
  assert.match(buf, /id: \d+\nevent: log/);
  await setStatus('app-2', (s) => {
    s.steps[0].phase = 'Succeeded';
    s.phase = 'Succeeded';
  });
  appendFileSync(logFile, 'last words\n');
  await until(/event: end\ndata: \{"phase":"Succeeded"\}/);
  assert.match(buf, /last words/);
  assert.equal(buf.match(/step 1/g)!.length, 1, 'no line is sent twice');
  ac.abort();

  // Last-Event-ID resumes after the offset it names
  const offset = Buffer.byteLength('step 1\n');
  const again = await fetch(`${f.url}/api/v1/pipelineruns/app-2/steps/build/log?follow=true`, {
    headers: { authorization: `Bearer ${f.tokens.viewer}`, 'last-event-id': String(offset) },
  });
  const text = await again.text();
  assert.doesNotMatch(text, /step 1/);
  assert.match(text, /step 2 half done/);
  assert.match(text, /event: end/);
  assert.equal(
    (await f.call('GET', '/api/v1/pipelineruns/app-2/steps/build/log?follow=maybe', { as: 'viewer' })).status,
    400,
  );
});

test('ci stream: changes of runs and change requests as server-sent events', async () => {
  const ac = new AbortController();
  const r = await fetch(`${f.url}/api/v1/ci/stream`, {
    headers: { authorization: `Bearer ${f.tokens.viewerA}` },
    signal: ac.signal,
  });
  assert.equal(r.status, 200);
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const until = async (re: RegExp) => {
    const end = Date.now() + 15_000;
    while (!re.test(buf)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${buf}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${re}:\n${buf}`);
      buf += dec.decode(value, { stream: true });
    }
  };
  await until(/event: ready/);
  await putRun('app-live-0', { phase: 'Running', runDir, steps: [] }, {});
  await until(/event: pipelinerun\ndata: \{"type":"ADDED","run":\{"name":"app-live-0"/);
  assert.doesNotMatch(buf, /event: pipelinerun\ndata: \{"type":"ADDED","run":\{"name":"app-1"/, 'changes only');
  await setStatus('app-live-0', (s) => {
    s.phase = 'Succeeded';
  });
  await until(/"type":"MODIFIED","run":\{"name":"app-live-0","pipeline":"app","phase":"Succeeded"/);
  const o = await f.kube.get(API_VERSION, 'ChangeRequest', 'promote-3', CI_NAMESPACE);
  (o.status as { message?: string }).message = 'touched';
  await f.kube.replace(o, { subresource: 'status' });
  await until(/event: changerequest\ndata: \{"type":"MODIFIED","changeRequest":\{"name":"promote-3"/);
  ac.abort();
  await f.kube.delete(API_VERSION, 'PipelineRun', 'app-live-0', CI_NAMESPACE);
});

test('change requests: list, the config-repo diff with Secret values masked', async () => {
  await checkEndpoint(f, {
    name: 'list change requests',
    method: 'GET',
    path: '/api/v1/changerequests',
    ok: {
      as: 'viewerA',
      check: (r) => {
        const items = r.body.items as { name: string; createdAt: string; policy: string }[];
        assert.deepEqual(items.map((x) => x.name).sort(), ['promote-1', 'promote-2', 'promote-3']);
        for (let i = 1; i < items.length; i++)
          assert.ok(items[i - 1]!.createdAt >= items[i]!.createdAt, 'newest first');
        assert.ok(items.every((x) => x.policy === 'Passed'));
      },
    },
    bad: [{ path: '/api/v1/changerequests?phase=Pending', reason: /phase must be one of/ }],
  });
  const r = await f.call('GET', '/api/v1/changerequests/promote-1', { as: 'viewer' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await f.validate('GET', '/api/v1/changerequests/promote-1', r);
  const text = JSON.stringify(r.body);
  assert.ok(!text.includes(SECRET) && !text.includes(SECRET2), 'no Secret value in the answer');
  assert.equal(r.body.diff.head, headCommit);
  const files = Object.fromEntries(r.body.diff.files.map((x: { path: string; diff: string }) => [x.path, x.diff]));
  assert.deepEqual(Object.keys(files).sort(), ['app/deployment.yaml', 'app/secret.yaml']);
  assert.match(files['app/deployment.yaml'], /^-\s+image: demo\/app:v1$/m);
  assert.match(files['app/deployment.yaml'], /^\+\s+image: demo\/app@sha256:b{64}$/m);
  // the changed password shows as a changed mask; the unchanged user value is masked and unchanged
  assert.match(files['app/secret.yaml'], /^-\s+password: \+{8,}$/m);
  assert.match(files['app/secret.yaml'], /^\+\s+password: \+{8,}$/m);
  assert.match(files['app/secret.yaml'], /^ \s+user: \+{8,}$/m);
  assert.equal((await f.call('GET', '/api/v1/changerequests/none', { as: 'viewer' })).status, 404);
});

test('change requests: approve, merge (a real merge commit), close; roles, projects, conflicts, audit', async () => {
  const p = '/api/v1/changerequests/promote-1';
  // an Application of team-a deploys the config repo's app/ folder: only team-a (and admins) may act on it
  await f.kube.create(
    app('web', 'team-a', {
      spec: {
        project: 'team-a',
        source: { repoURL: 'http://127.0.0.1:9/git/config.git/', path: 'app', targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
      },
    }),
  );
  const other = await f.call('POST', `${p}/approve`, { as: 'devB' });
  assert.equal(other.status, 403);
  assert.match(
    other.body.error.message,
    /dev-b .*team-b.* may not approve change request promote-1: it changes what project team-a deploys/,
  );
  await checkEndpoint(f, {
    name: 'approve',
    method: 'POST',
    path: `${p}/approve`,
    lower: 'viewer',
    otherProject: 'devB',
    ok: {
      as: 'devA',
      check: (r) =>
        assert.deepEqual(
          r.body.changeRequest.status.approvals.map((a: { by: string }) => a.by),
          ['dev-a'],
        ),
    },
  });
  const m = await f.call('POST', `${p}/merge`, { as: 'viewer', body: {} });
  assert.equal(m.status, 403);
  const over = await f.call('POST', `${p}/merge`, { as: 'devA', body: { overridePolicy: true } });
  assert.equal(over.status, 403, 'overriding the policy check needs admin');
  assert.equal((await f.call('POST', `${p}/merge`, { as: 'devA', body: { force: true } })).status, 400);
  const merged = await f.call('POST', `${p}/merge`, { as: 'devA', body: {} });
  assert.equal(merged.status, 200, JSON.stringify(merged.body));
  await f.validate('POST', `${p}/merge`, merged);
  assert.equal(merged.body.phase, 'Merged');
  const mc = merged.body.mergeCommit as string;
  assert.equal(git(['rev-parse', 'refs/heads/main'], bare), mc, 'the config repo main is the merge commit');
  assert.deepEqual(git(['rev-list', '--parents', '-n', '1', mc], bare).split(' ').slice(1), [baseCommit, headCommit]);
  assert.equal(git(['log', '-1', '--format=%an', mc], bare), 'dev-a');
  assert.equal(merged.body.changeRequest.spec.repo, 'http://127.0.0.1:9/git/config.git', 'the stored repo is kept');
  // the merged change request still shows its diff
  const after = await f.call('GET', p, { as: 'viewer' });
  assert.equal(after.body.diff.files.length, 2, JSON.stringify(after.body.diff));
  assert.equal((await f.call('POST', `${p}/close`, { as: 'devA' })).status, 409);
  assert.equal((await f.call('POST', `${p}/approve`, { as: 'devA' })).status, 409);

  // promote-2 changes notes.txt; land a conflicting change on main first
  const work = join(f.dir, 'work');
  git(['fetch', '-q', 'origin'], work);
  git(['checkout', '-q', '-B', 'main', 'origin/main'], work);
  writeFileSync(join(work, 'notes.txt'), 'three\n');
  git(['commit', '-qam', 'notes three'], work);
  git(['push', '-q', 'origin', 'main'], work);
  const conflict = await f.call('POST', '/api/v1/changerequests/promote-2/merge', { as: 'admin', body: {} });
  assert.equal(conflict.status, 409, JSON.stringify(conflict.body));
  await f.validate('POST', '/api/v1/changerequests/promote-2/merge', conflict);
  assert.match(conflict.body.error.message, /conflict in notes\.txt/);
  const c2 = await f.call('GET', '/api/v1/changerequests/promote-2', { as: 'viewer' });
  assert.deepEqual(c2.body.changeRequest.status.conflicts, ['notes.txt']);
  assert.equal(c2.body.conflicts, 1);
  // a cookie session needs its CSRF token, as on every state-changing route
  const login = await f.call('POST', '/api/v1/session', {
    body: { username: 'dev-a', password: 'dev-a-long-password' },
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const noCsrf = await f.call('POST', '/api/v1/changerequests/promote-2/close', { headers: { cookie } });
  assert.equal(noCsrf.status, 403);
  assert.match(noCsrf.body.error.message, /X-CSRF-Token/);
  const closed = await f.call('POST', '/api/v1/changerequests/promote-2/close', {
    headers: { cookie, 'x-csrf-token': login.body.csrfToken },
  });
  assert.equal(closed.status, 200);
  assert.equal(closed.body.phase, 'Closed');

  const audit = readFileSync(join(f.dir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { path: string; status: number; user?: string; target?: string });
  assert.ok(
    audit.some(
      (a) =>
        a.path === `${p}/merge` && a.status === 200 && a.user === 'dev-a' && a.target === 'changerequest/promote-1',
    ),
    'the merge is audited',
  );
  assert.ok(audit.some((a) => a.path === `${p}/merge` && a.status === 403 && a.user === 'viewer'));
});

test('images: signatures, attestations and the vulnerability summary of an attached scan report', async () => {
  // a key the platform cannot read is reported, not thrown; the fixture's signature is by no known key
  await f.kube.create({
    apiVersion: 'gitops.sekisho.dev/v1alpha1',
    kind: 'AppProject',
    metadata: { name: 'gated', namespace: 'sekisho-gitops' },
    spec: { imageVerification: [{ glob: '**', keys: ['k8s://sekisho-gitops/no-such-key'] }] },
  } as KubeObject);
  const path = `/api/v1/registry/repositories/demo%2Fapp/manifests/v1/supply-chain`;
  await checkEndpoint(f, {
    name: 'supply chain',
    method: 'GET',
    path,
    bad: [{ path: '/api/v1/registry/repositories/demo%2Fapp/manifests/v%20x/supply-chain', reason: /neither a tag/ }],
    ok: {
      as: 'viewerA',
      check: (r) => {
        assert.equal(r.body.digest, f.image.digest);
        assert.equal(r.body.signatures.length, 1);
        assert.deepEqual(
          { kind: r.body.signatures[0].kind, via: r.body.signatures[0].via, match: r.body.signatures[0].matchesImage },
          { kind: 'cosign', via: 'tag', match: true },
        );
        assert.equal(r.body.signatures[0].source, f.image.sigTag);
        assert.equal(r.body.signatures[0].verifiedBy, undefined);
        assert.match(r.body.errors.join('\n'), /AppProject gated: .*no-such-key.*not found/);
        assert.deepEqual(
          r.body.attestations.map((a: { predicateType: string; keyId?: string }) => [a.predicateType, a.keyId]),
          [['https://slsa.dev/provenance/v1', 'key-1']],
        );
        assert.equal(r.body.vulnerabilities.total, 3);
        assert.equal(r.body.vulnerabilities.bySeverity.HIGH, 2);
        assert.equal(r.body.vulnerabilities.bySeverity.CRITICAL, 1);
        assert.equal(r.body.vulnerabilities.fixable, 1);
        assert.equal(r.body.vulnerabilities.source.via, 'referrers');
      },
    },
  });
  assert.equal(
    (await f.call('GET', '/api/v1/registry/repositories/demo%2Fapp/manifests/v9/supply-chain', { as: 'viewer' }))
      .status,
    404,
  );
});
