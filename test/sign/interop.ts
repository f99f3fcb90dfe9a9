// Interop runner (outside CI): reads cosign's and k8s-manifest-sigstore's own test data from a corpus
// folder and checks that Sekisho reads it. Prepare the corpus from the two repositories, e.g.
//   git -C cosign archive HEAD pkg/cosign/keys_test.go | tar -x -C ../corpora/cosign
//   git -C k8s-manifest-sigstore archive HEAD pkg/k8smanifest/testdata | tar -x -C ../corpora/k8s-manifest-sigstore
// and run: node --import tsx test/sign/interop.ts ../corpora
// Prints one line per case and a closing `N passed, N failed` line; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrivateKey, loadPublicKey, verifyManifest, verifySignature } from '../../src/sign/index.ts';

const root = process.argv[2] ?? join('..', 'corpora');
let passed = 0;
let failed = 0;
function check(name: string, fn: () => string | true): void {
  try {
    const r = fn();
    if (r === true) {
      passed++;
      console.log(`ok   ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}: ${r}`);
    }
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${(err as Error).message}`);
  }
}

// cosign: the encrypted keys in pkg/cosign/keys_test.go decrypt with the password the test uses ("hello"),
// and a wrong password is refused.
const keysTest = readFileSync(join(root, 'cosign/pkg/cosign/keys_test.go'), 'utf8');
for (const name of ['pemcosignkey', 'pemcosigneckey', 'pemsigstorekey']) {
  const pem = new RegExp(`const ${name} = \`([^\`]*)\``).exec(keysTest)?.[1];
  check(`cosign ${name} decrypts, signs, verifies`, () => {
    if (!pem) return 'not found in keys_test.go';
    const s = loadPrivateKey(pem, Buffer.from('hello'), name);
    const sig = s.sign(Buffer.from('interop'));
    return verifySignature(s.publicKey, Buffer.from('interop'), sig) || 'own signature does not verify';
  });
  check(`cosign ${name} refuses a wrong password`, () => {
    try {
      loadPrivateKey(pem!, Buffer.from('hellO'), name);
      return 'accepted a wrong password';
    } catch (err) {
      return (err as { code?: string }).code === 'KEY_PASSWORD' || String(err);
    }
  });
}

// k8s-manifest-sigstore: signed fixtures verify with testpub (base64 of a PEM); an edited field fails;
// the deployed copy fails without dry-run exactly as that project's own test expects.
const td = join(root, 'k8s-manifest-sigstore/pkg/k8smanifest/testdata');
const pub = loadPublicKey(Buffer.from(readFileSync(join(td, 'testpub'), 'utf8'), 'base64').toString(), 'testpub');
for (const f of [
  'sample-configmap-signed.yaml',
  'sample-configmap-multi-signed.yaml',
  'sample-deployment-signed.yaml',
]) {
  const text = readFileSync(join(td, f), 'utf8');
  check(`k8s-manifest-sigstore ${f} verifies`, () => {
    const r = verifyManifest(text, [pub], { file: f });
    return r.every((x) => x.verified) || r.map((x) => x.reason).join('; ');
  });
  check(`k8s-manifest-sigstore ${f} with an edited field fails`, () => {
    const edited = text.replace(/(key1: |replicas: |image: )(\S+)/, '$1edited-$2');
    if (edited === text) return 'no field to edit';
    const r = verifyManifest(edited, [pub], { file: f });
    return r.some((x) => x.code === 'MANIFEST_MODIFIED') || JSON.stringify(r);
  });
  check(`k8s-manifest-sigstore ${f} with an ignored field (metadata.resourceVersion) added still verifies`, () => {
    const edited = text.replace(/metadata:\n/, 'metadata:\n  resourceVersion: "999"\n');
    const r = verifyManifest(edited, [pub], { file: f });
    return r.every((x) => x.verified) || r.map((x) => x.reason).join('; ');
  });
}
check('k8s-manifest-sigstore sample-deployment-signed-deployed.yaml fails without dry-run (as upstream)', () => {
  const r = verifyManifest(readFileSync(join(td, 'sample-deployment-signed-deployed.yaml'), 'utf8'), [pub]);
  return r.some((x) => x.code === 'MANIFEST_MODIFIED') || JSON.stringify(r);
});

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
