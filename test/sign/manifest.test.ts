// Manifest signatures in k8s-manifest-sigstore's annotation format: round trip, the default ignored fields,
// edits caught with the field path, wrong keys and altered messages refused, and the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  MANIFEST_SIGNATURE_ANNOTATION,
  MESSAGE_ANNOTATION,
  SignError,
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  requireManifestVerified,
  signManifest,
  verifyManifest,
  verifySignature,
} from '../../src/sign/index.ts';

const PW = Buffer.from('pw');
const pair = generateKeyPair(PW, { scrypt: { N: 1024, r: 8, p: 1 } });
const other = generateKeyPair(PW, { scrypt: { N: 1024, r: 8, p: 1 } });
const signer = loadPrivateKey(pair.privateKeyPem, PW);
const pub = loadPublicKey(pair.publicKeyPem);

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  key1: val1
---
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  ports:
    - port: 80
`;

type Obj = Record<string, any>;
const docs = (y: string): Obj[] => parseAllDocuments(y).map((d) => d.toJS() as Obj);
const dump = (objs: Obj[]): string => objs.map((o) => stringify(o)).join('---\n');

test('sign writes the message (gzip+base64 of the YAML) and a signature over it on every object', () => {
  const signed = signManifest(MANIFEST, signer);
  const objs = docs(signed);
  assert.equal(objs.length, 2);
  const ann = objs[0]!.metadata.annotations as Record<string, string>;
  const message = gunzipSync(Buffer.from(ann[MESSAGE_ANNOTATION]!, 'base64'));
  assert.deepEqual(
    parseAllDocuments(message.toString()).map((d) => d.toJS()),
    docs(MANIFEST),
  );
  assert.ok(verifySignature(pub, message, Buffer.from(ann[MANIFEST_SIGNATURE_ANNOTATION]!, 'base64')));
  assert.deepEqual(objs[1]!.metadata.annotations, ann);
  const results = verifyManifest(signed, [pub]);
  assert.deepEqual(
    results.map((r) => r.verified),
    [true, true],
  );
  // re-signing a signed file replaces the annotations rather than signing them
  assert.deepEqual(
    verifyManifest(signManifest(signed, signer), [pub]).map((r) => r.verified),
    [true, true],
  );
});

test('ignored fields may change; any other edit fails naming the field', () => {
  const signed = docs(signManifest(MANIFEST, signer));
  const live = structuredClone(signed);
  live[0]!.metadata.resourceVersion = '123';
  live[0]!.metadata.uid = 'abc';
  live[0]!.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = '{}';
  live[0]!.status = { x: 1 };
  live[1]!.spec.clusterIP = '10.0.0.1';
  live[1]!.spec.ports[0].nodePort = 30080;
  assert.deepEqual(
    verifyManifest(dump(live), [pub]).map((r) => r.verified),
    [true, true],
  );

  const edited = structuredClone(signed);
  edited[0]!.data.key1 = 'val2';
  edited[1]!.spec.clusterIP = '10.0.0.9'; // ignored for Services
  edited[1]!.metadata.labels = { added: 'yes' };
  const r = verifyManifest(dump(edited), [pub]);
  assert.equal(r[0]!.code, 'MANIFEST_MODIFIED');
  assert.deepEqual(r[0]!.diff, ['data.key1']);
  assert.deepEqual(r[1]!.diff, ['metadata.labels.added']);
  assert.throws(
    () => requireManifestVerified(r),
    (e: unknown) =>
      e instanceof SignError && /v1\/ConfigMap\/cm differs from the signed manifest at data\.key1/.test(e.message),
  );
});

test('wrong key, altered message, altered signature and unsigned objects are refused', () => {
  const signed = docs(signManifest(MANIFEST, signer));
  assert.equal(verifyManifest(dump(signed), [loadPublicKey(other.publicKeyPem)])[0]!.code, 'SIGNATURE_INVALID');

  const msgEdit = structuredClone(signed);
  const ann = msgEdit[0]!.metadata.annotations;
  const msg = gunzipSync(Buffer.from(ann[MESSAGE_ANNOTATION], 'base64')).toString().replace('val1', 'valX');
  ann[MESSAGE_ANNOTATION] = gzipSync(Buffer.from(msg)).toString('base64');
  msgEdit[0]!.data.key1 = 'valX';
  const r = verifyManifest(dump(msgEdit), [pub]);
  assert.equal(r[0]!.code, 'SIGNATURE_INVALID');
  assert.match(r[0]!.reason!, /none of 1 signature\(s\) verifies/);

  const sigEdit = structuredClone(signed);
  const sig = Buffer.from(sigEdit[0]!.metadata.annotations[MANIFEST_SIGNATURE_ANNOTATION], 'base64');
  sig[sig.length - 2] = sig[sig.length - 2]! ^ 1;
  sigEdit[0]!.metadata.annotations[MANIFEST_SIGNATURE_ANNOTATION] = sig.toString('base64');
  assert.equal(verifyManifest(dump(sigEdit), [pub])[0]!.code, 'SIGNATURE_INVALID');

  assert.equal(verifyManifest(MANIFEST, [pub])[0]!.code, 'NO_SIGNATURES');
  assert.throws(() => verifyManifest('a: [', [pub], { file: 'bad.yaml' }), /bad\.yaml/);
});

test('CLI: manifest sign -f -k -o, manifest verify exits 1 on an edit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sekisho-msign-'));
  try {
    await writeFile(join(dir, 'cosign.key'), pair.privateKeyPem);
    await writeFile(join(dir, 'cosign.pub'), pair.publicKeyPem);
    await writeFile(join(dir, 'm.yaml'), MANIFEST);
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
    const s = await run(['manifest', 'sign', '-f', 'm.yaml', '-k', 'cosign.key', '-o', 'm.yaml.signed']);
    assert.equal(s.status, 0, s.stderr);
    const signedText = await readFile(join(dir, 'm.yaml.signed'), 'utf8');
    await writeFile(join(dir, 'edited.yaml'), signedText.replace('key1: val1', 'key1: evil'));
    const [ok, bad] = await Promise.all([
      run(['manifest', 'verify', '-f', 'm.yaml.signed', '-k', 'cosign.pub']),
      run(['manifest', 'verify', '-f', 'edited.yaml', '-k', 'cosign.pub']),
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^verified v1\/ConfigMap\/cm$/m);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /MANIFEST_MODIFIED: v1\/ConfigMap\/cm differs from the signed manifest at data\.key1/);
    assert.ok(parse(signedText.split('---')[0]!));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
