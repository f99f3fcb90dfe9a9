import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, parseAllDocuments } from 'yaml';
import { editHelmValues, editKustomization, editManifests, imageName, parseImageUpdate } from './edit.ts';

const D = 'sha256:' + 'ab'.repeat(32);

test('--image parsing: by digest only, tag dropped', () => {
  assert.deepEqual(parseImageUpdate(`reg/app=127.0.0.1:5000/team/app:1.2@${D}`), {
    name: 'reg/app',
    repository: '127.0.0.1:5000/team/app',
    digest: D,
  });
  assert.throws(() => parseImageUpdate('reg/app=reg/app:1.2'), /no sha256 digest/);
  assert.throws(() => parseImageUpdate('reg/app'), /NAME=REPOSITORY@sha256/);
  assert.equal(imageName(`reg:5000/a/b:1@${D}`), 'reg:5000/a/b');
});

test('kustomization: newName and digest set, newTag dropped, comments kept; an entry is added when missing', () => {
  const text =
    '# the app\nresources:\n  - deploy.yaml # main\nimages:\n  - name: app\n    newTag: "1.0" # old\n  - name: other\n    newTag: x\n';
  const r = editKustomization(text, { name: 'app', repository: 'reg:5000/team/app', digest: D }, 'k.yaml');
  assert.ok(r.changed);
  assert.match(r.text, /^# the app\n/);
  assert.match(r.text, /- deploy.yaml # main/);
  const v = parse(r.text) as { images: Array<Record<string, string>> };
  assert.deepEqual(v.images[0], { name: 'app', newName: 'reg:5000/team/app', digest: D });
  assert.deepEqual(v.images[1], { name: 'other', newTag: 'x' });
  const again = editKustomization(r.text, { name: 'app', repository: 'reg:5000/team/app', digest: D }, 'k.yaml');
  assert.equal(again.changed, false);
  const added = editKustomization('resources: [a.yaml]\n', { name: 'app', repository: 'app', digest: D }, 'k.yaml');
  assert.deepEqual((parse(added.text) as { images: unknown[] }).images, [{ name: 'app', digest: D }]);
});

test('helm values: repository and digest keys, or one image key', () => {
  const text = 'replicas: 2\nimage:\n  repository: old/app # repo\n  tag: "1.0"\n';
  const r = editHelmValues(
    text,
    { name: 'app', repository: 'reg/app', digest: D },
    { repository: 'image.repository', digest: 'image.digest' },
    'v.yaml',
  );
  const v = parse(r.text) as { image: Record<string, string> };
  assert.equal(v.image.repository, 'reg/app');
  assert.equal(v.image.digest, D);
  assert.match(r.text, /# repo/);
  const one = editHelmValues(text, { name: 'app', repository: 'reg/app', digest: D }, { image: 'app.image' }, 'v.yaml');
  assert.equal((parse(one.text) as { app: { image: string } }).app.image, `reg/app@${D}`);
  assert.throws(
    () =>
      editHelmValues(
        'replicas: 2\n',
        { name: 'a', repository: 'r', digest: D },
        { digest: 'replicas.digest' },
        'v.yaml',
      ),
    /replicas is not a mapping/,
  );
});

test('plain manifests: matching containers in every document, others untouched', () => {
  const text =
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: init\n          image: reg/app:old\n      containers:\n        - name: app\n          image: reg/app:1.0 # pinned later\n        - name: side\n          image: reg/sidecar:1\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers:\n        - name: j\n          image: docker.io/reg/app\n';
  const r = editManifests(text, { name: 'reg/app', repository: 'reg/app', digest: D }, 'm.yaml');
  assert.equal(r.matches, 3);
  const docs = parseAllDocuments(r.text).map(
    (d) =>
      d.toJS() as {
        spec: {
          template: { spec: { containers: Array<{ image: string }>; initContainers?: Array<{ image: string }> } };
        };
      },
  );
  assert.equal(docs[0]!.spec.template.spec.containers[0]!.image, `reg/app@${D}`);
  assert.equal(docs[0]!.spec.template.spec.containers[1]!.image, 'reg/sidecar:1');
  assert.equal(docs[0]!.spec.template.spec.initContainers![0]!.image, `reg/app@${D}`);
  assert.equal(docs[1]!.spec.template.spec.containers[0]!.image, `reg/app@${D}`);
  assert.match(r.text, /# pinned later/);
  assert.match(r.text, /\n---\n/);
  assert.equal(editManifests(text, { name: 'nomatch', repository: 'x', digest: D }, 'm.yaml').matches, 0);
});
