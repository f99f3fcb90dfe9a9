// End to end: `sekisho demo --data-dir tmp -o json` on a fresh data dir plays every checkpoint of the
// reference flow (a commit pushed to the app repo starts a PipelineRun in sekisho-ci whose promote step
// opens the ChangeRequest; the root container stopped by the policy check and by admission, the unsigned
// image by the signature gate, as expected), exits 0, and a second run on the same data dir does the same
// (reusing the repos, the key and the Application; a new commit, so a new run).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, integrityProblems, requireTools, spawnCli } from './demo-helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-demo-'));
const dataDir = path.join(dir, 'data');
after(() => rmSync(dir, { recursive: true, force: true }));

const EXPECTED: Array<[string, 'pass' | 'fail']> = [
  ['repos', 'pass'],
  ['policies', 'pass'],
  ['commit', 'pass'],
  ['pipeline', 'pass'],
  ['lint', 'pass'],
  ['image', 'pass'],
  ['sign', 'pass'],
  ['change', 'pass'],
  ['change-policy', 'pass'],
  ['merge', 'pass'],
  ['application', 'pass'],
  ['synced', 'pass'],
  ['root-change', 'pass'],
  ['root-policy', 'fail'],
  ['root-merge', 'pass'],
  ['root-denied', 'fail'],
  ['revert', 'pass'],
  ['unsigned-change', 'pass'],
  ['unsigned-denied', 'fail'],
  ['unsigned-revert', 'pass'],
];

interface Report {
  ok: boolean;
  durationMs: number;
  platformStartMs: number;
  checkpoints: Array<{
    id: string;
    expected: string;
    outcome: string;
    ok: boolean;
    ms: number;
    detail: string;
    look: string[];
    data?: any;
  }>;
}

async function runDemo(label: string): Promise<Report> {
  const t0 = Date.now();
  const child = spawnCli(['demo', '--data-dir', dataDir, '-o', 'json']);
  const code = await child.exited;
  const wall = Date.now() - t0;
  const stdout = child.lines.join('\n');
  let report: Report;
  try {
    report = JSON.parse(stdout) as Report;
  } catch {
    throw new Error(
      `demo (${label}) printed no JSON report (exit ${code}); stdout:\n${stdout}\nstderr:\n${child.stderr.text}`,
    );
  }
  const bad = report.checkpoints.filter((c) => !c.ok);
  assert.equal(
    code,
    0,
    `demo (${label}) exit code; unexpected checkpoints: ${JSON.stringify(bad, null, 1)}\nstderr:\n${child.stderr.text}`,
  );
  assert.equal(report.ok, true);
  assert.deepEqual(
    report.checkpoints.map((c) => [c.id, c.outcome]),
    EXPECTED,
  );
  for (const c of report.checkpoints) {
    assert.ok(c.ok && c.expected === c.outcome, `${c.id}: ${c.detail}`);
    assert.ok(c.detail.length > 0 && !c.detail.includes('\n'), `${c.id} has a one-line detail`);
  }
  console.log(
    `# demo (${label}): ${report.durationMs} ms in the command (platform start ${report.platformStartMs} ms), ${wall} ms wall-clock; ` +
      report.checkpoints.map((c) => `${c.id} ${c.ms}`).join(', '),
  );
  return report;
}

test("the README's first command is the demo this test runs", () => {
  const readme = readFileSync(path.join(path.dirname(BIN), '..', 'README.md'), 'utf8');
  const block = /```sh\n([^\n]*)\n([^\n]*)\n```/.exec(readme);
  assert.ok(block, 'the README starts with a sh block of two commands');
  assert.equal(block[1], 'npm ci && node bin/sekisho.js demo');
  assert.equal(block[2], 'npm test');
});

const by = (r: Report, id: string) => r.checkpoints.find((c) => c.id === id)!;

test(
  'sekisho demo plays every checkpoint on a fresh data dir (json), then again on the same one (text)',
  { timeout: 240_000 },
  async () => {
    requireTools();
    const first = await runDemo('fresh data dir');
    // the image is in the registry by digest, signed, and the synced Deployment runs exactly it
    const image = by(first, 'image').data.image as string;
    assert.match(image, /^127\.0\.0\.1:\d+\/demo\/app@sha256:[0-9a-f]{64}$/);
    // the push started the run (trigger push), every step of the pipeline Succeeded, in the graph's order
    const run = by(first, 'pipeline').data;
    assert.equal(run.trigger, 'push');
    assert.equal(run.phase, 'Succeeded');
    assert.deepEqual(
      run.steps.map((s: { id: string; phase: string }) => `${s.id} ${s.phase}`),
      ['lint', 'build', 'scan', 'sbom', 'push', 'sign', 'attest', 'promote'].map((id) => `${id} Succeeded`),
    );
    assert.ok(by(first, 'commit').data.files.includes('.sekisho/pipeline.yaml'));
    // the run is the PipelineRun object the checkpoint read back from sekisho-ci, for the pushed commit
    assert.match(run.run, new RegExp(`^demo-app-${by(first, 'commit').data.commit.slice(0, 12)}-`));
    assert.equal(by(first, 'sign').data.verified, 1);
    assert.equal(by(first, 'sign').data.predicateType, 'https://cyclonedx.org/bom');
    assert.equal(by(first, 'synced').data.image, image);
    assert.equal(by(first, 'synced').data.health, 'Healthy');
    assert.equal(by(first, 'revert').data.image, image);
    // the policy check names the rule and admission's denial message reaches the Application
    assert.ok(by(first, 'root-policy').data.failures.some((m: string) => m.includes('[demo-run-as-non-root]')));
    assert.match(
      by(first, 'root-denied').data.message,
      /admission webhook .* denied the request: \[demo-run-as-non-root\]/,
    );
    assert.match(by(first, 'policies').data.probeDenial, /demo-run-as-non-root/);
    // the change requests are ChangeRequest objects; the forced one says it went past a failed check
    const crName = by(first, 'change').data.changeRequest as string;
    assert.equal(crName, `promote-demo-app-${image.split('@sha256:')[1]!.slice(0, 12)}`);
    assert.equal(by(first, 'change').data.pipelineRun, run.run);
    // the what-if preview (server-side dry run of the change, admission included) is on the change request
    const whatIf = by(first, 'change').data.whatIf;
    assert.equal(whatIf.result, 'Passed');
    assert.ok(
      whatIf.resources.some((r: { kind: string; action: string }) => r.kind === 'Deployment' && r.action === 'create'),
      JSON.stringify(whatIf.resources),
    );
    // read back from sekisho-ci after the merge: Merged, with the policy result and the run that opened it
    assert.equal(by(first, 'merge').data.changeRequest, crName);
    assert.equal(by(first, 'merge').data.phase, 'Merged');
    assert.equal(by(first, 'merge').data.policy, 'Passed');
    assert.equal(by(first, 'merge').data.pipelineRun, run.run);
    assert.equal(by(first, 'merge').data.note, undefined);
    assert.equal(by(first, 'root-merge').data.note, 'merged over a failed policy check');
    assert.equal(by(first, 'application').data.created, true);
    // the Application reads the config repo from the platform's git server (smart HTTP), and its
    // AppProject's signature gate covers the demo's images: the signed one passed, the unsigned one did not
    const repoURL = by(first, 'application').data.repoURL as string;
    assert.match(repoURL, /^http:\/\/127\.0\.0\.1:\d+\/demo-config\.git$/);
    assert.equal(by(first, 'application').data.project, 'sekisho-demo');
    assert.match(by(first, 'application').data.imageVerification, /^127\.0\.0\.1:\d+\/demo\/\*\*$/);
    const unsigned = by(first, 'unsigned-denied').data;
    assert.notEqual(`${image.split('@')[0]}@${unsigned.digest}`, image);
    assert.match(unsigned.condition, /NO_SIGNATURES/);
    assert.ok(unsigned.condition.includes(unsigned.digest), unsigned.condition);
    assert.equal(unsigned.liveImage, image, 'the live Deployment keeps the signed image');
    assert.equal(by(first, 'unsigned-revert').data.image, image);
    // the repos were created through the API and pushed over smart HTTP with the demo's token
    assert.match(by(first, 'repos').detail, /pushed over smart HTTP with an API token/);
    const audit = readFileSync(path.join(dataDir, 'audit', 'api.jsonl'), 'utf8');
    assert.match(audit, /"path":"\/api\/v1\/git\/repositories","status":201/);
    assert.ok(!audit.includes('skt_'), 'no token in the audit log');
    assert.deepEqual(integrityProblems(dataDir), []);

    // again on the same data dir, in text mode: the URL first, one numbered line per checkpoint as it
    // is known (detail and where to look below it), then the verdict
    const t0 = Date.now();
    const again = spawnCli(['demo', '--data-dir', dataDir]);
    const code = await again.exited;
    const text = again.lines.join('\n');
    assert.equal(code, 0, `second run:\n${text}\nstderr:\n${again.stderr.text}`);
    assert.match(again.lines[0] ?? '', /^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const numbered = again.lines.filter((l) => /^\s*\d+\. /.test(l));
    assert.equal(numbered.length, EXPECTED.length, text);
    numbered.forEach((l, i) => assert.match(l, new RegExp(`^\\s*${i + 1}\\. .* — ok`), l));
    assert.match(numbered[EXPECTED.findIndex(([id]) => id === 'root-policy')]!, /ok \(stopped, as expected\)/);
    assert.match(text, /\n {4}reused demo-app, demo-config/);
    assert.match(text, /refreshed Application sekisho-gitops\/demo-app/);
    // the platform restarted on the same data dir with the same git port, so the recorded repoURL still works
    assert.ok(text.includes(`automated sync of ${repoURL} main`), text);
    assert.match(text, /\n {4}→ kubectl --kubeconfig \S+\/kubeconfig -n sekisho-demo get deploy,rs,pods,svc/);
    assert.match(text, new RegExp(`\\ndemo passed: ${EXPECTED.length}/${EXPECTED.length} checkpoints as expected`));
    console.log(
      `# demo (same data dir again, text output): ${Date.now() - t0} ms wall-clock; ${again.lines.find((l) => l.startsWith('demo passed'))}`,
    );
    assert.deepEqual(integrityProblems(dataDir), []);
  },
);
