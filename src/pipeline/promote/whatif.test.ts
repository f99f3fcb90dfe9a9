// Which Application a what-if takes its source options and destination from: the one whose source (or one
// of its sources) is the change request's repo and path, with file:// and .git and trailing slashes ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Application } from '../../gitops/index.ts';
import { trackingApplication } from './whatif.ts';

const app = (name: string, spec: Record<string, unknown>): Application =>
  ({
    apiVersion: 'gitops.sekisho.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'sekisho-gitops' },
    spec,
  }) as unknown as Application;

const apps = [
  app('other', { source: { repoURL: '/srv/config', path: 'apps/api' }, destination: { namespace: 'api' } }),
  app('web', {
    source: { repoURL: 'file:///srv/config.git', path: './apps/web/' },
    destination: { namespace: 'shop' },
  }),
  app('multi', {
    sources: [
      { repoURL: 'https://example.test/charts', path: 'chart' },
      { repoURL: '/srv/config', path: 'apps/jobs' },
    ],
    destination: { namespace: 'jobs' },
  }),
];

test('the Application tracking a repo and path is found whatever the spelling of the repo and path', () => {
  assert.equal(trackingApplication(apps, '/srv/config', 'apps/web')?.metadata.name, 'web');
  assert.equal(trackingApplication(apps, '/srv/config/', './apps/api')?.metadata.name, 'other');
  assert.equal(trackingApplication(apps, 'file:///srv/config', 'apps/jobs/')?.metadata.name, 'multi');
});

test('no Application for another path or repo', () => {
  assert.equal(trackingApplication(apps, '/srv/config', 'apps'), undefined);
  assert.equal(trackingApplication(apps, '/srv/other', 'apps/web'), undefined);
  assert.equal(trackingApplication([], '/srv/config', 'apps/web'), undefined);
});
