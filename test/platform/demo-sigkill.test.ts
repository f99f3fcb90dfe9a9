// Crash safety of the platform under the demo: `sekisho up` runs as a child process, `sekisho demo
// --attach` plays the flow on it, and `up` is killed with SIGKILL as soon as the demo has merged the
// change request and created the Application (the controller is syncing). A new `up` on the same data
// dir must resume: the demo's app reaches Synced and Healthy at the merged commit, and nothing
// half-written is left (registry uploads and blob digests, git fsck, SQLite integrity, temp files).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { integrityProblems, requireTools, spawnCli, type Child } from './demo-helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-demo-kill-'));
const dataDir = path.join(dir, 'data');
const children: Child[] = [];
after(() => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startUp(): Promise<{ child: Child; api: string; password?: string }> {
  const child = spawnCli(['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--audit-interval', '5']);
  children.push(child);
  await child.waitLine(/^ready in /, 90_000);
  const first = child.lines[0] ?? '';
  assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  const pw = child.lines.find((l) => l.startsWith('admin password: '))?.split(' ')[2];
  return { child, api: first.slice('listening on '.length), ...(pw && pw !== 'unchanged' ? { password: pw } : {}) };
}

async function apiToken(api: string, password: string): Promise<string> {
  const s = await fetch(`${api}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  assert.equal(s.status, 200);
  const cookie = (s.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await s.json()) as { csrfToken: string };
  const t = await fetch(`${api}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    body: JSON.stringify({ name: 'demo test' }),
  });
  assert.equal(t.status, 201);
  return ((await t.json()) as { token: string }).token;
}

function kubectlJson(args: string[]): any {
  const out = execFileSync(
    'kubectl',
    ['--kubeconfig', path.join(dataDir, 'kubeconfig'), '--cache-dir', path.join(dir, 'kc'), ...args, '-o', 'json'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return JSON.parse(out);
}

test(
  'SIGKILL of `sekisho up` mid-demo: a new `up` resumes, the app reaches Healthy, nothing half-written',
  { timeout: 240_000 },
  async () => {
    requireTools();
    const up1 = await startUp();
    assert.ok(up1.password, 'the first start prints the admin password');
    const token = await apiToken(up1.api, up1.password!);

    const t0 = Date.now();
    const demo = spawnCli(['demo', '--attach', up1.api, '--data-dir', dataDir], { SEKISHO_TOKEN: token });
    children.push(demo);
    await demo.waitLine(/Application created \/ refreshed .* — ok/, 150_000);
    up1.child.proc.kill('SIGKILL');
    const killedAfter = Date.now() - t0;
    await up1.child.exited;
    // the demo loses its platform; it must end (with a failure), not hang
    demo.proc.kill('SIGKILL');
    await demo.exited;
    assert.ok(!demo.lines.some((l) => /^demo passed/.test(l)));
    const merged = demo.lines.find((l) => /merged into main at [0-9a-f]{12}/.test(l));
    assert.ok(merged, `the demo merged before the kill:\n${demo.lines.join('\n')}`);
    const head = execFileSync('git', ['--git-dir', path.join(dataDir, 'git', 'demo-config.git'), 'rev-parse', 'main'], {
      encoding: 'utf8',
    }).trim();
    assert.ok(merged.includes(head.slice(0, 12)), `main (${head}) is the merge commit the demo printed`);

    const t1 = Date.now();
    const up2 = await startUp();
    const resumeReadyMs = Date.now() - t1;
    let app: any;
    const deadline = Date.now() + 90_000;
    for (;;) {
      app = kubectlJson(['-n', 'sekisho-gitops', 'get', 'applications.gitops.sekisho.dev', 'demo-app']);
      const st = app.status ?? {};
      if (st.sync?.revision === head && st.sync?.status === 'Synced' && st.health?.status === 'Healthy') break;
      if (Date.now() > deadline)
        throw new Error(
          `demo-app did not reach Synced/Healthy at ${head} after the restart: ${JSON.stringify(st).slice(0, 3000)}\nup stderr:\n${up2.child.stderr.text}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
    const healthyMs = Date.now() - t1;
    // the change request merged before the kill is recorded in the cluster with its policy result
    const crName = /change request (promote-demo-app-[0-9a-f]{12}) merged/.exec(merged)?.[1];
    assert.ok(crName, merged);
    const cr = kubectlJson(['-n', 'sekisho-ci', 'get', 'changerequests.ci.sekisho.dev', crName]);
    assert.equal(cr.status.phase, 'Merged');
    assert.equal(cr.status.mergeCommit, head);
    assert.equal(cr.status.policy.result, 'Passed');
    const dep = kubectlJson(['-n', 'sekisho-demo', 'get', 'deployment', 'demo-app']);
    assert.match(dep.spec.template.spec.containers[0].image, /^127\.0\.0\.1:\d+\/demo\/app@sha256:[0-9a-f]{64}$/);
    console.log(
      `# up killed ${killedAfter} ms into the demo (after the merge and the Application); restarted up ready in ${resumeReadyMs} ms; demo-app Synced+Healthy at ${head.slice(0, 12)} ${healthyMs} ms after the restart`,
    );

    up2.child.proc.kill('SIGTERM');
    assert.equal(await up2.child.exited, 0);
    assert.deepEqual(integrityProblems(dataDir), []);
  },
);
