// DSSE/in-toto attestations attached as cosign does (`.att` tag), against the embedded registry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaType, RegistryClient, digestOf, type ImageManifest } from '../../src/oci/index.ts';
import {
  DSSE_MEDIA_TYPE,
  SignError,
  attestImage,
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  pae,
  verifyAttestations,
  type DsseEnvelope,
  type ImageTarget,
} from '../../src/sign/index.ts';
import { startEmbedded, type EmbeddedRegistry } from '../oci/helpers.ts';

const PW = Buffer.from('pw');
const pair = generateKeyPair(PW, { scrypt: { N: 1024, r: 8, p: 1 } });
const other = generateKeyPair(PW, { scrypt: { N: 1024, r: 8, p: 1 } });
const signer = loadPrivateKey(pair.privateKeyPem, PW);
const pub = loadPublicKey(pair.publicKeyPem);

let reg: EmbeddedRegistry;
let client: RegistryClient;
before(async () => {
  reg = await startEmbedded();
  client = new RegistryClient({ host: reg.host });
});
after(async () => {
  await reg.close();
});

async function pushImage(repo: string, tag: string): Promise<string> {
  const blob = async (b: Buffer) => {
    const d = { digest: digestOf(b), size: b.length };
    await client.pushBlob(repo, d, () => Readable.from([b]));
    return d;
  };
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, ...(await blob(Buffer.from(`{"tag":"${tag}"}`))) },
    layers: [{ mediaType: MediaType.OciLayer, ...(await blob(Buffer.from(tag))) }],
  };
  return client.putManifest(repo, tag, Buffer.from(JSON.stringify(m)), MediaType.OciManifest);
}

test('PAE matches the DSSE spec example', () => {
  assert.equal(
    pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString(),
    'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
  );
});

test('attest appends DSSE envelopes under .att; verify-attestation checks key, subject and type', async () => {
  const digest = await pushImage('att', 'v1');
  const t: ImageTarget = { client, registry: reg.host, repository: 'att', ref: 'v1' };
  await attestImage(t, signer, 'https://slsa.dev/provenance/v1', { buildDefinition: { buildType: 'sekisho' } });
  const r = await attestImage(t, signer, 'https://cyclonedx.org/bom', { bomFormat: 'CycloneDX' });
  assert.equal(r.tag, `sha256-${digest.slice(7)}.att`);
  assert.equal(r.count, 2);
  const m = JSON.parse((await client.getManifest('att', r.tag)).bytes.toString()) as ImageManifest;
  assert.deepEqual(
    m.layers.map((l) => l.mediaType),
    [DSSE_MEDIA_TYPE, DSSE_MEDIA_TYPE],
  );

  const slsa = await verifyAttestations(t, [pub], 'https://slsa.dev/provenance/v1');
  assert.equal(slsa.length, 1);
  assert.deepEqual(slsa[0]!.subject[0]!.digest, { sha256: digest.slice(7) });
  assert.equal((await verifyAttestations(t, [pub])).length, 2);

  await assert.rejects(verifyAttestations(t, [loadPublicKey(other.publicKeyPem)]), (e: unknown) => {
    return e instanceof SignError && e.code === 'SIGNATURE_INVALID' && /DSSE signature does not verify/.test(e.message);
  });
  await assert.rejects(verifyAttestations(t, [pub], 'https://example.com/none'), { code: 'NO_SIGNATURES' });

  // a flipped byte in the statement (re-encoded envelope, old signature) is refused
  const layer = m.layers[0]!;
  const env = JSON.parse((await client.getBlobBytes('att', layer.digest)).toString()) as DsseEnvelope;
  const payload = Buffer.from(env.payload, 'base64');
  payload[payload.length - 5] = payload[payload.length - 5]! ^ 1;
  const forged = Buffer.from(JSON.stringify({ ...env, payload: payload.toString('base64') }));
  const d = { digest: digestOf(forged), size: forged.length };
  await client.pushBlob('att', d, () => Readable.from([forged]));
  const digest2 = await pushImage('att', 'v2');
  await client.putManifest(
    'att',
    `sha256-${digest2.slice(7)}.att`,
    Buffer.from(JSON.stringify({ ...m, layers: [{ ...layer, ...d }] })),
    MediaType.OciManifest,
  );
  await assert.rejects(verifyAttestations({ ...t, ref: 'v2' }, [pub]), /DSSE signature does not verify/);
  // a valid attestation of another image is refused for this one
  await client.putManifest(
    'att',
    `sha256-${digest2.slice(7)}.att`,
    Buffer.from(JSON.stringify(m)),
    MediaType.OciManifest,
  );
  await assert.rejects(verifyAttestations({ ...t, ref: 'v2' }, [pub]), /statement subject is not/);
});

test('CLI: attest --type slsaprovenance1, verify-attestation prints the statement; wrong key exits 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sekisho-att-'));
  try {
    await writeFile(join(dir, 'cosign.key'), pair.privateKeyPem);
    await writeFile(join(dir, 'cosign.pub'), pair.publicKeyPem);
    await writeFile(join(dir, 'other.pub'), other.publicKeyPem);
    await writeFile(join(dir, 'prov.json'), JSON.stringify({ buildDefinition: { buildType: 'cli' } }));
    const digest = await pushImage('attcli', 'v1');
    const image = `${reg.host}/attcli:v1`;
    const run = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const c = spawn(process.execPath, [join(process.cwd(), 'bin/sekisho.js'), ...args], {
          cwd: dir,
          env: { ...process.env, COSIGN_PASSWORD: 'pw' },
        });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('error', reject);
        c.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const a = await run([
      'attest',
      '--key',
      'cosign.key',
      '--predicate',
      'prov.json',
      '--type',
      'slsaprovenance1',
      image,
    ]);
    assert.equal(a.status, 0, a.stderr);
    const [ok, bad] = await Promise.all([
      run(['verify-attestation', '--key', 'cosign.pub', '--type', 'slsaprovenance1', image]),
      run(['verify-attestation', '--key', 'other.pub', image]),
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    const st = JSON.parse(ok.stdout) as { predicateType: string; subject: { digest: { sha256: string } }[] };
    assert.equal(st.predicateType, 'https://slsa.dev/provenance/v1');
    assert.equal(st.subject[0]!.digest.sha256, digest.slice(7));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /Error: SIGNATURE_INVALID: .*DSSE signature does not verify/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
