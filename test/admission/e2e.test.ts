// End to end: the sandbox cluster, `sekisho admission serve --kubeconfig` as a process, and real kubectl.
// Templates and constraints are applied with kubectl; the webhook registers itself; kubectl sees
// Gatekeeper's denial message and warnings; audit fills constraint status; a broken template is reported
// in its status without taking the webhook down; a restart with all of that in the cluster comes up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import https from 'node:https';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', '..', 'bin', 'sekisho.js');
const fixtures = path.join(here, 'fixtures');
const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-admission-e2e-'));
let sb: Sandbox;
let proc: ChildProcess;
let stderr = '';
let hookUrl = '';

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', sb.kubeconfigPath, '--cache-dir', path.join(dir, 'kubectl-cache'), ...args],
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Polls a condition (bounded); for state that settles through watches, not for timing. */
async function until<T>(what: string, f: () => Promise<T | undefined>, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; server stderr:\n${stderr}`);
}

const constraint = (name: string, action: string, labels: string[]) => `apiVersion: constraints.gatekeeper.sh/v1beta1
kind: TestRequiredLabels
metadata:
  name: ${name}
spec:
  enforcementAction: ${action}
  match:
    kinds: [{apiGroups: [""], kinds: ["Pod"]}]
  parameters:
    labels: ${JSON.stringify(labels)}
`;

const pod = (name: string, ns: string, labels: Record<string, string>) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  });

/** Starts `admission serve` against the sandbox; resolves with its URL once it prints `listening on`. */
async function startServe(): Promise<string> {
  stderr = '';
  proc = spawn(
    process.execPath,
    [
      bin,
      'admission',
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      path.join(dir, 'admission'),
      '--kubeconfig',
      sb.kubeconfigPath,
      '--audit-interval',
      '1',
      '--exempt-namespace',
      'kube-*',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const p = proc;
  const first = await new Promise<string>((resolve, reject) => {
    // A bound on start-up, so that a server that never starts fails the test instead of hanging it.
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`admission serve did not print "listening on" within 30 s; stderr:\n${stderr.slice(-4000)}`));
    }, 30_000);
    const rl = createInterface({ input: p.stdout! });
    rl.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    p.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`admission serve exited (${code}):\n${stderr}`));
    });
  });
  assert.match(first, /^listening on https:\/\/127\.0\.0\.1:\d+$/);
  return first.slice('listening on '.length);
}

async function stopServe(): Promise<void> {
  const p = proc;
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

before(async () => {
  if (!existsSync(KUBECTL))
    throw new Error(
      `kubectl is required for the admission e2e test and was not found at ${KUBECTL} (set KUBECTL or install kubernetes-client)`,
    );
  sb = await startSandbox({ dataDir: path.join(dir, 'cluster'), durability: 'normal' });
  hookUrl = await startServe();
});

after(async () => {
  if (proc) await stopServe();
  await sb?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('kubectl: deny with Gatekeeper message, warn as warning, dryrun only in audit, exempt namespace, audit status, broken template status, mutation, inventory', async () => {
  await ok(['apply', '-f', path.join(fixtures, 'requiredlabels', 'template.yaml')]);
  // The template controller creates the constraint kind's CRD.
  await until('constraint CRD', async () =>
    (await kubectl(['get', 'crd', 'testrequiredlabels.constraints.gatekeeper.sh'])).code === 0 ? true : undefined,
  );
  await ok(
    ['apply', '-f', '-'],
    [
      constraint('must-have-owner', 'deny', ['owner', 'team']),
      constraint('warn-cost-center', 'warn', ['cost-center']),
      constraint('dry-tier', 'dryrun', ['tier']),
    ].join('---\n'),
  );
  await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } }));
  // The constraint CRD carries the template's parameters schema.
  const badParams = await kubectl(
    ['apply', '-f', '-'],
    constraint('bad-params', 'deny', ['x']).replace('labels: ["x"]', 'labels: "not-a-list"'),
  );
  assert.notEqual(badParams.code, 0, `accepted: ${badParams.stdout}\n${stderr}`);
  assert.match(badParams.stderr, /spec\.parameters\.labels/);

  // Denied: the constraint is in effect once the webhook's watch has seen it.
  const denied = await until('deny', async () => {
    const r = await kubectl(['apply', '-f', '-'], pod('bad', 'apps', { owner: 'me' }));
    return r.code !== 0 ? r : undefined;
  });
  assert.match(
    denied.stderr,
    /admission webhook "validation\.gatekeeper\.sh" denied the request: \[must-have-owner\] rego: missing labels: team/,
  );
  assert.doesNotMatch(denied.stderr, /dry-tier/);
  assert.equal((await kubectl(['get', 'pod', 'bad', '-n', 'apps'])).code, 1);

  // Allowed with a warning from the warn constraint.
  const warned = await kubectl(['apply', '-f', '-'], pod('good', 'apps', { owner: 'me', team: 't' }));
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /Warning: \[warn-cost-center\] rego: missing labels: cost-center/);

  // Exempt namespaces are not reviewed.
  await ok(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-extra' } }),
  );
  assert.equal((await kubectl(['apply', '-f', '-'], pod('free', 'kube-extra', {}))).code, 0);

  // Audit writes violations into the constraints' status (dryrun included).
  const dry = await until('audit status', async () => {
    const o = JSON.parse(
      await ok(['get', 'testrequiredlabels.constraints.gatekeeper.sh', 'dry-tier', '-o', 'json']),
    ) as {
      status?: {
        auditTimestamp?: string;
        totalViolations?: number;
        violations?: { name: string; namespace: string; enforcementAction: string; message: string }[];
      };
    };
    return o.status?.auditTimestamp ? o.status : undefined;
  });
  assert.ok((dry.totalViolations ?? 0) >= 1);
  assert.ok(
    dry.violations?.some(
      (v) =>
        v.name === 'good' &&
        v.namespace === 'apps' &&
        v.enforcementAction === 'dryrun' &&
        /missing labels: tier/.test(v.message),
    ),
    JSON.stringify(dry),
  );

  // A template with a Rego error: reported in its status; the webhook keeps working.
  await ok(['apply', '-f', path.join(fixtures, 'broken', 'template.yaml')]);
  const status = await until('broken template status, mutation, inventory', async () => {
    const o = JSON.parse(
      await ok(['get', 'constrainttemplates.templates.gatekeeper.sh', 'testbroken', '-o', 'json']),
    ) as { status?: { byPod?: { errors?: { message: string; location?: string }[] }[] } };
    const errs = o.status?.byPod?.[0]?.errors;
    return errs && errs.length > 0 ? errs : undefined;
  });
  assert.match(status[0]?.message ?? '', /unexpected } token/);
  const again = await kubectl(['apply', '-f', '-'], pod('bad2', 'apps', {}));
  assert.match(again.stderr, /denied the request: \[must-have-owner\] rego: missing labels: owner, team/);

  // Mutation: AssignMetadata and Assign applied by the mutating webhook before validation.
  for (const mutator of [
    {
      apiVersion: 'mutations.gatekeeper.sh/v1',
      kind: 'AssignMetadata',
      metadata: { name: 'add-team' },
      spec: {
        match: { namespaces: ['mut'] },
        location: 'metadata.labels.team',
        parameters: { assign: { value: 'platform' } },
      },
    },
    {
      apiVersion: 'mutations.gatekeeper.sh/v1',
      kind: 'Assign',
      metadata: { name: 'pull-always' },
      spec: {
        applyTo: [{ groups: [''], versions: ['v1'], kinds: ['Pod'] }],
        match: { namespaces: ['mut'] },
        location: 'spec.containers[name: *].imagePullPolicy',
        parameters: { assign: { value: 'Always' } },
      },
    },
  ])
    await ok(['apply', '-f', '-'], JSON.stringify(mutator));
  await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mut' } }));
  // Only `owner` given: the mutation adds `team`, so validation admits it.
  const mutated = await until('mutation', async () => {
    const r = await kubectl(['apply', '-f', '-'], pod('m', 'mut', { owner: 'me' }));
    return r.code === 0 ? r : undefined;
  });
  assert.equal(mutated.code, 0);
  const m = JSON.parse(await ok(['get', 'pod', 'm', '-n', 'mut', '-o', 'json'])) as {
    metadata: { labels: Record<string, string> };
    spec: { containers: { imagePullPolicy?: string }[] };
  };
  assert.equal(m.metadata.labels.team, 'platform');
  assert.equal(m.spec.containers[0]?.imagePullPolicy, 'Always');

  // Referential data: Config syncs Services into data.inventory; a duplicate app label is refused.
  await ok(['apply', '-f', path.join(fixtures, 'uniquename', 'template.yaml')]);
  await until('unique CRD', async () =>
    (await kubectl(['get', 'crd', 'testuniquelabel.constraints.gatekeeper.sh'])).code === 0 ? true : undefined,
  );
  await ok(['apply', '-f', path.join(fixtures, 'uniquename', 'constraint.yaml')]);
  for (const o of [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gatekeeper-system' } },
    {
      apiVersion: 'config.gatekeeper.sh/v1alpha1',
      kind: 'Config',
      metadata: { name: 'config', namespace: 'gatekeeper-system' },
      spec: { sync: { syncOnly: [{ group: '', version: 'v1', kind: 'Service' }] } },
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod', labels: { enforce: 'yes' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'existing', namespace: 'other', labels: { app: 'shop' } },
      spec: { ports: [{ port: 80 }] },
    },
  ])
    await ok(['apply', '-f', '-'], JSON.stringify(o));
  const svc = (name: string, app: string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'prod', labels: { app } },
      spec: { ports: [{ port: 80 }] },
    });
  const dup = await until('inventory deny', async () => {
    const r = await kubectl(['apply', '-f', '-'], svc('new', 'shop'));
    return r.code !== 0 ? r : undefined;
  });
  assert.match(dup.stderr, /denied the request: \[unique-app\] app label shop already used in other/);
  assert.equal((await kubectl(['apply', '-f', '-'], svc('cart', 'cart'))).code, 0);

  // Metrics over HTTPS with the generated CA.
  const ca = readFileSync(path.join(dir, 'admission', 'webhook-ca.crt'), 'utf8');
  const metrics = await new Promise<string>((resolve, reject) => {
    https
      .get(`${hookUrl}/metrics`, { ca }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
  assert.match(metrics, /gatekeeper_validation_request_duration_seconds_count\{admission_status="deny"\} [1-9]/);
  assert.match(
    metrics,
    /gatekeeper_violations\{constraint_kind="TestRequiredLabels",constraint_name="warn-cost-center",enforcement_action="warn"\} [1-9]/,
  );
});

test('restart with templates, constraints, mutators and Config in the cluster: comes up, writes nothing, still denies', async () => {
  const rv = async (what: string[]) =>
    (await ok(['get', ...what, '-o', 'jsonpath={.metadata.resourceVersion}'])).trim();
  const watched = [
    ['constrainttemplates.templates.gatekeeper.sh', 'testrequiredlabels'],
    ['constrainttemplates.templates.gatekeeper.sh', 'testbroken'],
    ['constrainttemplates.templates.gatekeeper.sh', 'testuniquelabel'],
    ['crd', 'testrequiredlabels.constraints.gatekeeper.sh'],
    ['crd', 'constrainttemplates.templates.gatekeeper.sh'],
  ];
  const before = await Promise.all(watched.map(rv));
  await stopServe();
  // The previous process's registration stays behind (failurePolicy Fail, a port nobody listens on).
  const stale = await ok([
    'get',
    'validatingwebhookconfiguration',
    'gatekeeper-validating-webhook-configuration',
    '-o',
    'jsonpath={.webhooks[0].clientConfig.url} {.webhooks[0].failurePolicy}',
  ]);
  assert.equal(stale, `${hookUrl}/v1/admit Fail`);

  const url = await startServe();
  assert.notEqual(url, hookUrl);
  // Nothing was rewritten: the templates' status and the CRDs were already as this process would write
  // them (writes of its own would also feed back into its watch).
  assert.deepEqual(await Promise.all(watched.map(rv)), before);
  assert.equal(
    await ok([
      'get',
      'validatingwebhookconfiguration',
      'gatekeeper-validating-webhook-configuration',
      '-o',
      'jsonpath={.webhooks[0].clientConfig.url}',
    ]),
    `${url}/v1/admit`,
  );
  // The constraints were loaded before `listening on`: the first bad Pod is denied.
  const denied = await kubectl(['apply', '-f', '-'], pod('bad-after-restart', 'apps', { owner: 'me' }));
  assert.notEqual(denied.code, 0, denied.stdout);
  assert.match(
    denied.stderr,
    /admission webhook "validation\.gatekeeper\.sh" denied the request: \[must-have-owner\] rego: missing labels: team/,
  );
  const dup = await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'new2', namespace: 'prod', labels: { app: 'shop' } },
      spec: { ports: [{ port: 80 }] },
    }),
  );
  assert.match(dup.stderr, /denied the request: \[unique-app\] app label shop already used in other/);
  // A template edited after the restart is picked up (its generation changed), and its status follows.
  await ok(
    ['apply', '-f', '-'],
    readFileSync(path.join(fixtures, 'requiredlabels', 'template.yaml'), 'utf8').replace(
      'rego: missing labels',
      'rego (edited): missing labels',
    ),
  );
  const edited = await until('edited template in effect', async () => {
    const r = await kubectl(['apply', '-f', '-'], pod('bad-edited', 'apps', { owner: 'me' }));
    return /rego \(edited\): missing labels: team/.test(r.stderr) ? r : undefined;
  });
  assert.notEqual(edited.code, 0);
  const st = await until('observedGeneration', async () => {
    const o = JSON.parse(
      await ok(['get', 'constrainttemplates.templates.gatekeeper.sh', 'testrequiredlabels', '-o', 'json']),
    ) as { metadata: { generation: number }; status?: { byPod?: { observedGeneration?: number }[] } };
    return o.status?.byPod?.[0]?.observedGeneration === o.metadata.generation ? o : undefined;
  });
  assert.ok(st.metadata.generation >= 2);
});
