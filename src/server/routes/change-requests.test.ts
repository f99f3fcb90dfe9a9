// Secret masking of config-repo files for the change-request diff: values under data/stringData of every
// Secret (block, flow, multi-line, several documents) and kubectl's last-applied copy are replaced in place;
// other kinds and keys stay as written; the same value gets the same mask; unparseable text is hidden.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Masks, maskSecretsInYaml, projectsOf } from './change-requests.ts';

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

test('the projects a change request touches: Applications on the same repo whose path overlaps a promoted path', () => {
  const app = (name: string, project: string, repoURL: string, path: string, multi = false) => ({
    apiVersion: 'gitops.sekisho.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'sekisho-gitops' },
    spec: multi
      ? {
          project,
          sources: [
            { repoURL: 'http://x/other.git', path },
            { repoURL, path },
          ],
        }
      : { project, source: { repoURL, path } },
  });
  const cr = { spec: { repo: 'http://127.0.0.1:9/git/config.git', paths: ['envs/prod/web'] } } as never;
  const apps = [
    app('a', 'team-a', 'http://127.0.0.1:9/git/config', 'envs/prod'),
    app('b', 'team-b', 'http://127.0.0.1:9/git/config.git/', 'envs/prod/web/'),
    app('c', 'team-c', 'http://127.0.0.1:9/git/config.git', 'envs/prod/api'),
    app('d', 'team-d', 'http://127.0.0.1:9/git/other.git', 'envs/prod/web'),
    app('e', 'team-e', 'http://127.0.0.1:9/git/config.git', '.', true),
    {
      ...app('f', '', 'http://127.0.0.1:9/git/config.git', 'envs'),
      spec: { source: { repoURL: 'http://127.0.0.1:9/git/config.git', path: 'envs' } },
    },
  ];
  assert.deepEqual(projectsOf(cr, apps as never), ['default', 'team-a', 'team-b', 'team-e']);
  assert.deepEqual(
    projectsOf({ spec: { repo: 'http://127.0.0.1:9/git/none.git', paths: [] } } as never, apps as never),
    [],
  );
});
