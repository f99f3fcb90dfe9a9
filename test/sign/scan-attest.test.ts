// `sekisho scan image --attest --key`: the CycloneDX and SPDX SBOMs and the vulnerability report (cosign's
// vuln predicate) attached as signed attestations, read back with `verify-attestation --type
// cyclonedx|spdxjson|vuln`, a policy over the vuln predicate, and the bundle-referrer variant.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MediaType, RegistryClient, type ImageManifest } from '../../src/oci/index.ts';
import { startEmbedded, tempDir, type EmbeddedRegistry } from '../oci/helpers.ts';
import { tarOf } from '../support/oci-image.ts';
import { pushBlob, runCli, testKey } from './helpers.ts';

const FIX = join(import.meta.dirname, '..', 'scan', 'fixtures');
let reg: EmbeddedRegistry;
let client: RegistryClient;
let dir: string;
let cleanup: () => Promise<void>;
const env = { COSIGN_PASSWORD: 'pw', SEKISHO_DB: '' };

/** An Alpine-looking image with one apk package the fixture advisories know (ALPINE-CVE-2099-0004). */
async function pushAlpine(repo: string, tag: string): Promise<string> {
  const tar = await tarOf([
    { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
    { name: 'lib/apk/db/installed', content: 'P:libcrypto3\nV:3.1.4-r2\nA:x86_64\no:openssl\n' },
  ]);
  const gz = gzipSync(tar);
  const layer = await pushBlob(client, repo, gz);
  const { createHash } = await import('node:crypto');
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const config = await pushBlob(
    client,
    repo,
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } })),
  );
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, ...config },
    layers: [{ mediaType: MediaType.OciLayerGzip, ...layer }],
  };
  return client.putManifest(repo, tag, Buffer.from(JSON.stringify(m)), MediaType.OciManifest);
}

before(async () => {
  reg = await startEmbedded();
  client = new RegistryClient({ host: reg.host });
  ({ dir, cleanup } = await tempDir('scan-attest'));
  const k = testKey();
  await writeFile(join(dir, 'cosign.key'), k.privateKeyPem);
  await writeFile(join(dir, 'cosign.pub'), k.publicKeyPem);
  await writeFile(join(dir, 'other.pub'), testKey().publicKeyPem);
  const imp = await runCli(['scan', 'db', 'import', '--db', join(dir, 'db'), join(FIX, 'osv')], { cwd: dir, env });
  assert.equal(imp.status, 0, imp.stderr);
  await writeFile(
    join(dir, 'no-critical.rego'),
    'package signature\n\nallow {\n  count([v | v := input.predicate.scanner.result.Results[_].Vulnerabilities[_]; v.Severity == "CRITICAL"]) == 0\n}\n',
  );
  await writeFile(
    join(dir, 'no-vulns.rego'),
    'package signature\n\nallow {\n  count([v | v := input.predicate.scanner.result.Results[_].Vulnerabilities[_]]) == 0\n}\n',
  );
});
after(async () => {
  await reg.close();
  await cleanup();
});

interface Statement {
  predicateType: string;
  subject: { digest: { sha256: string } }[];
  predicate: Record<string, unknown>;
}

function statements(stdout: string): Statement[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Statement);
}

test('scan image --attest: CycloneDX, SPDX and vuln attestations verify by type', async () => {
  const digest = await pushAlpine('scanned', 'v1');
  const image = `${reg.host}/scanned:v1`;
  const s = await runCli(
    ['scan', 'image', '--db', join(dir, 'db'), '-f', 'json', '--attest', '--key', 'cosign.key', image],
    {
      cwd: dir,
      env,
    },
  );
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stderr, /attested https:\/\/cyclonedx.org\/bom to .*sha256-[0-9a-f]{64}\.att \(1 attestation\)/);
  assert.match(s.stderr, /attested https:\/\/cosign.sigstore.dev\/attestation\/vuln\/v1 to .*\(3 attestations\)/);
  const att = JSON.parse(
    (await client.getManifest('scanned', `sha256-${digest.slice(7)}.att`)).bytes.toString(),
  ) as ImageManifest;
  assert.deepEqual(
    att.layers.map((l) => l.annotations?.predicateType),
    ['https://cyclonedx.org/bom', 'https://spdx.dev/Document', 'https://cosign.sigstore.dev/attestation/vuln/v1'],
  );
  const verify = (type: string, key = 'cosign.pub', extra: string[] = []) =>
    runCli(['verify-attestation', '--key', key, '--type', type, ...extra, image], { cwd: dir });
  const [cdx, spdx, vuln, wrong, policyOk, policyNo] = await Promise.all([
    verify('cyclonedx'),
    verify('spdxjson'),
    verify('vuln'),
    verify('vuln', 'other.pub'),
    verify('vuln', 'cosign.pub', ['--policy', 'no-critical.rego']),
    verify('vuln', 'cosign.pub', ['--policy', 'no-vulns.rego']),
  ]);
  for (const r of [cdx, spdx, vuln, policyOk]) assert.equal(r.status, 0, r.stderr);
  const [c] = statements(cdx.stdout);
  assert.equal(c!.subject[0]!.digest.sha256, digest.slice(7));
  assert.equal(c!.predicate.bomFormat, 'CycloneDX');
  assert.ok(
    (c!.predicate.components as { purl?: string }[]).some((x) =>
      x.purl?.startsWith('pkg:apk/alpine/libcrypto3@3.1.4-r2'),
    ),
  );
  const [p] = statements(spdx.stdout);
  assert.equal(p!.predicate.spdxVersion, 'SPDX-2.3');
  const [v] = statements(vuln.stdout);
  const pred = v!.predicate as {
    scanner: {
      uri: string;
      db: { version: string };
      result: { Results: { Vulnerabilities: { VulnerabilityID: string }[] }[] };
    };
    metadata: { scanStartedOn: string; scanFinishedOn: string };
    invocation: Record<string, unknown>;
  };
  assert.equal(pred.scanner.uri, 'https://sekisho.dev/scan');
  assert.equal(pred.scanner.db.version, '8 advisories');
  assert.deepEqual(
    pred.scanner.result.Results.flatMap((r) => r.Vulnerabilities.map((x) => x.VulnerabilityID)),
    ['ALPINE-CVE-2099-0004'],
  );
  assert.match(pred.metadata.scanStartedOn, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(Object.keys(pred.invocation), ['parameters', 'uri', 'event_id', 'builder.id']);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /SIGNATURE_INVALID/);
  assert.equal(policyNo.status, 1);
  assert.match(policyNo.stderr, /POLICY_DENIED/);
});

test('scan image --attest -f cyclonedx without a db: SBOMs only; --new-bundle-format uses referrers', async () => {
  const digest = await pushAlpine('bundled', 'v1');
  const image = `${reg.host}/bundled:v1`;
  const s = await runCli(
    ['scan', 'image', '-f', 'cyclonedx', '--attest', '--key', 'cosign.key', '--new-bundle-format', image],
    { cwd: dir, env },
  );
  assert.equal(s.status, 0, s.stderr);
  const refs = await client.referrers('bundled', digest);
  assert.equal(refs.manifests.length, 2);
  const [cdx, vuln] = await Promise.all([
    runCli(['verify-attestation', '--key', 'cosign.pub', '--type', 'cyclonedx', image], { cwd: dir }),
    runCli(['verify-attestation', '--key', 'cosign.pub', '--type', 'vuln', image], { cwd: dir }),
  ]);
  assert.equal(cdx.status, 0, cdx.stderr);
  assert.equal(statements(cdx.stdout)[0]!.predicate.bomFormat, 'CycloneDX');
  assert.equal(vuln.status, 1);
  assert.match(
    vuln.stderr,
    /NO_SIGNATURES: no attestations of type https:\/\/cosign.sigstore.dev\/attestation\/vuln\/v1/,
  );
});

test('scan --attest refuses local layouts and a missing key', async () => {
  const [layout, nokey] = await Promise.all([
    runCli(['scan', 'image', '--attest', '--key', 'cosign.key', `oci:${dir}/nothing`], { cwd: dir, env }),
    runCli(['scan', 'image', '--attest', `${reg.host}/scanned:v1`], { cwd: dir, env }),
  ]);
  assert.equal(layout.status, 2);
  assert.match(layout.stderr, /--attest attaches to an image in a registry/);
  assert.equal(nokey.status, 2);
  assert.match(nokey.stderr, /give --key/);
});
