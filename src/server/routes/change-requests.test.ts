// Secret masking of config-repo files for the change-request diff: values under data/stringData of every
// Secret (block, flow, multi-line, several documents) and kubectl's last-applied copy are replaced in place;
// other kinds and keys stay as written; the same value gets the same mask; unparseable text is hidden.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Masks, maskSecretsInYaml } from './change-requests.ts';

test('masks Secret values in place, keeps the rest of the file as written', () => {
  const text = `# comment kept
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data:
  password: not-a-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"p":"c2VjcmV0"}}'
data: {p: c2VjcmV0, q: c2VjcmV0}
stringData:
  cert: |
    -----BEGIN-----
    hidden body
  user: admin
---
kind: Secret
apiVersion: v1
stringData:
  other: admin
`;
  const out = maskSecretsInYaml(text, new Masks());
  assert.match(out, /^# comment kept$/m);
  assert.match(out, /password: not-a-secret/, 'ConfigMaps are not masked');
  for (const s of ['c2VjcmV0', 'hidden body', 'BEGIN', 'admin']) assert.ok(!out.includes(s), `${s} is masked`);
  const m = /data: \{p: (\++), q: (\++)\}/.exec(out);
  assert.ok(m, out);
  assert.equal(m[1], m[2], 'the same value, the same mask');
  const user = /user: (\++)/.exec(out)![1]!;
  const other = /other: (\++)/.exec(out)![1]!;
  assert.equal(user, other, 'masks are shared across documents');
  assert.notEqual(user, m[1]);
  assert.match(out, /last-applied-configuration: \+{8,}/);
  assert.match(out, /name: db/);
});

test('text without a Secret is returned unchanged; a broken file that mentions one is hidden', () => {
  const plain = 'kind: Deployment\nmetadata: {name: web}\n';
  assert.equal(maskSecretsInYaml(plain, new Masks()), plain);
  const broken = 'kind: Secret\ndata:\n  p: "unterminated\n  : : :\n';
  const out = maskSecretsInYaml(broken, new Masks());
  assert.doesNotMatch(out, /unterminated/);
  assert.match(out, /contents hidden/);
});
