// `sekisho up --kubeconfig`: no sandbox of its own; the admission webhook registers with the given
// cluster, the controller installs its CRDs there, and the API reads Applications from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', '..', 'bin', 'sekisho.js');
const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-up-kc-'));
let sb: Sandbox;
let proc: ChildProcess;
const lines: string[] = [];
let stderr = '';

function kubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      KUBECTL,
      ['--kubeconfig', sb.kubeconfigPath, '--cache-dir', path.join(dir, 'kc'), ...args],
      (err, out, e) => (err ? reject(new Error(`kubectl ${args.join(' ')}: ${e}`)) : resolve(out)),
    ),
  );
}

before(async () => {
  if (!existsSync(KUBECTL)) throw new Error(`kubectl is required by this test and was not found at ${KUBECTL}`);
  sb = await startSandbox({ dataDir: path.join(dir, 'cluster'), durability: 'normal' });
  proc = spawn(process.execPath, [bin, 'up', '--data-dir', path.join(dir, 'data'), '--kubeconfig', sb.kubeconfigPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      lines.push(l);
      if (l.startsWith('ready in ')) resolve();
    });
    proc.on('exit', (c) => reject(new Error(`up exited ${c}:\n${lines.join('\n')}\n${stderr}`)));
  });
});

after(async () => {
  if (proc.exitCode === null) {
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await done;
  }
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

test('up --kubeconfig uses the given cluster instead of starting a sandbox', async () => {
  assert.match(lines[0] ?? '', /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(!lines.some((l) => l.startsWith('cluster:')), lines.join('\n'));
  assert.ok(lines.includes(`kubeconfig: ${sb.kubeconfigPath}`), lines.join('\n'));
  const admission = lines.find((l) => l.startsWith('admission:'))!.split(/\s+/)[1]!;
  const hooks = await kubectl([
    'get',
    'validatingwebhookconfigurations',
    '-o',
    'jsonpath={.items[*].webhooks[*].clientConfig.url}',
  ]);
  assert.ok(hooks.startsWith(admission), hooks);
  await kubectl(['get', 'crd', 'applications.gitops.sekisho.dev']);
  const api = (lines[0] ?? '').slice('listening on '.length);
  const ready = await fetch(`${api}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(((await ready.json()) as { checks: { cluster: string } }).checks.cluster, 'ok');
});
