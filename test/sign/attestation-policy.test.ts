// `verify-attestation --policy` with cosign's Rego semantics (the cases of cosign's own rego_test.go:
// passing, undefined, false), the sigstore.isCompliant form, v0 and `import rego.v1` modules, located
// compile errors; and through the CLI: a policy over the predicate admits or refuses, and keys come from
// a Kubernetes Secret (`k8s://namespace/secret`) of the sandbox cluster through KUBECONFIG.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../src/oci/index.ts';
import { KubeClient } from '../../src/kube/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { attestImage, compileAttestationPolicy, SignError } from '../../src/sign/index.ts';
import { startEmbedded, type EmbeddedRegistry } from '../oci/helpers.ts';
import { pushImage, runCli, testKey } from './helpers.ts';

const statement = {
  _type: 'https://in-toto.io/Statement/v0.1',
  predicateType: 'https://slsa.dev/provenance/v0.2',
  predicate: { builder: { id: 'https://sekisho.dev/builder' } },
};
const policy = (text: string) => compileAttestationPolicy([{ file: 'policy.rego', text }]);

test("cosign's rego cases: passing, undefined, false", () => {
  assert.deepEqual(
    policy('package signature\n\nallow {\n  input.predicateType == "https://slsa.dev/provenance/v0.2"\n}\n').evaluate(
      statement,
    ),
    { allowed: true, errors: [], warnings: [] },
  );
  assert.deepEqual(
    policy('package signature\n\nallow {\n  input.predicateType == "https://slsa.dev/provenance/v99.9"\n}\n').evaluate(
      statement,
    ).errors,
    ["result is undefined for query 'data.signature.allow'"],
  );
  assert.deepEqual(policy('package signature\n\ndefault allow = false\n').evaluate(statement).errors, [
    'expression value, false, is not true',
  ]);
  // a non-boolean allow is refused too
  assert.equal(policy('package signature\nallow = "yes"\n').evaluate(statement).allowed, false);
});

test('v1 syntax through import rego.v1; the predicate is reachable; sigstore.isCompliant', () => {
  const p = policy(
    'package signature\nimport rego.v1\ndefault allow := false\nallow if startswith(input.predicate.builder.id, "https://sekisho.dev/")\n',
  );
  assert.equal(p.evaluate(statement).allowed, true);
  assert.equal(p.evaluate({ ...statement, predicate: { builder: { id: 'https://evil/' } } }).allowed, false);
  const s = policy(
    'package sigstore\nisCompliant = {"result": ok, "warning": "old builder", "error": msg} {\n  ok := input.predicate.builder.id == "https://sekisho.dev/builder"\n  msg := "builder not trusted"\n}\n',
  );
  assert.deepEqual(s.evaluate(statement), { allowed: true, errors: [], warnings: ['old builder'] });
  assert.deepEqual(s.evaluate({ ...statement, predicate: { builder: { id: 'x' } } }), {
    allowed: false,
    errors: ['builder not trusted'],
    warnings: ['old builder'],
  });
});

test('a policy that does not parse is POLICY_INVALID with its location', () => {
  assert.throws(
    () => policy('package signature\n\nallow {\n  input.x ==\n}\n'),
    (e: unknown) =>
      e instanceof SignError && e.code === 'POLICY_INVALID' && e.location?.file === 'policy.rego' && e.location.row > 0,
  );
});

let reg: EmbeddedRegistry;
let sandbox: Sandbox;
let dir: string;
before(async () => {
  reg = await startEmbedded();
  dir = await mkdtemp(join(tmpdir(), 'sekisho-att-policy-'));
  sandbox = await startSandbox({ dataDir: join(dir, 'cluster'), listen: '127.0.0.1:0', durability: 'normal' });
});
after(async () => {
  await sandbox?.close();
  await reg?.close();
  await rm(dir, { recursive: true, force: true });
});

test('CLI: verify-attestation --policy admits or refuses; --key k8s://namespace/secret', async () => {
  const key = testKey();
  const client = new RegistryClient({ host: reg.host });
  await pushImage(client, 'app', 'v1', 'att');
  await attestImage(
    { client, registry: reg.host, repository: 'app', ref: 'v1' },
    key.signer,
    'https://slsa.dev/provenance/v1',
    {
      buildDefinition: { buildType: 'https://sekisho.dev/build/v1' },
    },
  );
  const kube = await KubeClient.fromKubeconfig({ path: sandbox.kubeconfigPath });
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'signing' } });
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'release', namespace: 'signing' },
    data: { 'cosign.pub': Buffer.from(key.publicKeyPem).toString('base64') },
  });
  kube.close();
  await writeFile(
    join(dir, 'good.rego'),
    'package signature\n\nallow {\n  input.predicate.buildDefinition.buildType == "https://sekisho.dev/build/v1"\n}\n',
  );
  await writeFile(join(dir, 'bad.rego'), 'package signature\n\ndefault allow = false\n');
  const env = { KUBECONFIG: sandbox.kubeconfigPath };
  const image = `${reg.host}/app:v1`;
  const args = ['verify-attestation', '--key', 'k8s://signing/release', '--type', 'slsaprovenance1', image];
  const ok = await runCli([...args, '--policy', 'good.rego'], { cwd: dir, env });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).predicateType, 'https://slsa.dev/provenance/v1');
  const no = await runCli([...args, '--policy', 'bad.rego'], { cwd: dir, env });
  assert.equal(no.status, 1);
  assert.equal(no.stdout, '');
  assert.match(
    no.stderr,
    /^Error: POLICY_DENIED: 1 validation error occurred: attestation 0 \(https:\/\/slsa\.dev\/provenance\/v1\): policy bad\.rego: expression value, false, is not true/m,
  );
  const missing = await runCli(['verify-attestation', '--key', 'k8s://signing/nope', image], { cwd: dir, env });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^Error: KEY_INVALID: k8s:\/\/signing\/nope: secret signing\/nope not found/m);
});
