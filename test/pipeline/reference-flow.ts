// The reference flow's fixture, shared by the in-process run (flow.test.ts) and the run as Kubernetes Jobs
// (job-builtin.test.ts): an app repo whose pipeline lints, builds from the busybox test base (a RUN), scans,
// writes an SBOM, signs, attests (SBOM and build provenance) and promotes into a bare config repo with a
// policy; the cosign key pair and an advisory database.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdvisoryDb } from '../../src/scan/index.ts';
import { generateKeyPair, type GeneratedKeyPair } from '../../src/sign/index.ts';
import { git } from './helpers.ts';

export function write(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

export interface ReferenceFlow {
  /** the app checkout (a git repo with sekisho-pipeline.yaml) */
  app: string;
  /** the bare config repo promote steps push to */
  bare: string;
  pair: GeneratedKeyPair;
  /** the key's password (secret key-password reads it from $COSIGN_PASSWORD) */
  password: string;
  dbDir: string;
  /** the pipeline text */
  text: string;
}

/** Writes the fixture under `root`; the base image is `<regHost>/base/busybox:latest`. */
export function referenceFlow(root: string, regHost: string): ReferenceFlow {
  const app = join(root, 'app');
  write(app, {
    Dockerfile: `FROM ${regHost}/base/busybox:latest\nWORKDIR /app\nCOPY package.json package-lock.json ./\nCOPY server.js ./\nRUN echo "built" > /app/BUILD && chown -R app /app\nUSER app\nCMD ["/bin/sh", "-c", "cat /app/BUILD"]\n`,
    'package.json': '{"name":"web","version":"1.0.0","dependencies":{"lodash":"^4.17.21"}}\n',
    'package-lock.json': JSON.stringify({
      name: 'web',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: { '': { name: 'web', version: '1.0.0' }, 'node_modules/lodash': { version: '4.17.21' } },
    }),
    'server.js': 'console.log("hello")\n',
    'sekisho-pipeline.yaml':
      'apiVersion: ci.sekisho.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: web\nspec:\n' +
      `  params:\n    - name: image\n      default: ${regHost}/team/web\n    - name: config-repo\n` +
      '  secrets:\n    - name: key\n      secretRef: {file: ../cosign.key}\n    - name: key-password\n      secretRef: {env: COSIGN_PASSWORD}\n' +
      '  steps:\n' +
      '    - id: lint\n      uses: lint\n      with: {dockerfile: Dockerfile, failure-threshold: error}\n' +
      '    - id: build\n      uses: build\n      with:\n        tags: ["${{ params.image }}:${{ run.id }}"]\n        push: true\n        source-date-epoch: 0\n' +
      '    - id: scan\n      uses: scan\n      needs: build\n      with: {image: "${{ steps.build.outputs.image }}"}\n' +
      '    - id: sbom\n      uses: sbom\n      needs: build\n      with: {image: "${{ steps.build.outputs.image }}"}\n' +
      '    - id: sign\n      uses: sign\n      needs: [build, scan, lint]\n      with: {image: "${{ steps.build.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.key-password }}"}\n' +
      '    - id: attest\n      uses: attest\n      needs: [build, sbom, sign]\n      with: {image: "${{ steps.build.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.key-password }}", type: cyclonedx, predicate: "${{ steps.sbom.outputs.path }}"}\n' +
      '    - id: provenance\n      uses: attest\n      needs: [build, sign]\n      with: {image: "${{ steps.build.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.key-password }}", type: slsaprovenance1, predicate: "${{ steps.build.outputs.provenance }}"}\n' +
      '    - id: promote\n      uses: promote\n      needs: [build, sign]\n      with:\n        repo: "${{ params.config-repo }}"\n        path: apps/web\n        image: "reg.local/web=${{ steps.build.outputs.image }}"\n',
  });
  git(root, 'init', '-q', '-b', 'main', app);
  git(app, 'add', '-A');
  git(app, 'commit', '-q', '-m', 'app');

  const cfg = join(root, 'config');
  write(cfg, {
    'apps/web/kustomization.yaml': 'resources:\n  - deploy.yaml\nimages:\n  - name: reg.local/web\n    newTag: "0.1"\n',
    'apps/web/deploy.yaml':
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: reg.local/web\n',
    'policy/pinned.rego':
      'package main\n\ndeny contains msg if {\n  some c in input.spec.template.spec.containers\n  not contains(c.image, "@sha256:")\n  msg := sprintf("%s is not pinned by digest", [c.image])\n}\n',
  });
  git(root, 'init', '-q', '-b', 'main', cfg);
  git(cfg, 'add', '-A');
  git(cfg, 'commit', '-q', '-m', 'config');
  const bare = join(root, 'config.git');
  git(root, 'clone', '-q', '--bare', cfg, bare);

  const password = 'flow-pw';
  const pair = generateKeyPair(Buffer.from(password), { scrypt: { N: 1024, r: 8, p: 1 } });
  writeFileSync(join(root, 'cosign.key'), pair.privateKeyPem);
  const dbDir = join(root, 'db');
  const db = AdvisoryDb.open(dbDir, { create: true });
  db.importPath(join(import.meta.dirname, '..', 'scan', 'fixtures', 'osv'));
  db.close();
  const text = readFileSync(join(app, 'sekisho-pipeline.yaml'), 'utf8');
  return { app, bare, pair, password, dbDir, text };
}
