// A hard refresh of every app lists each repository's refs once (one `git ls-remote` per repo, not per app),
// and the listing is fresh: a commit pushed just before the refresh is what every app syncs to.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnRunner, startController, type Controller, type ProcessRunner } from '../../src/gitops/index.ts';
import { application, configMap, Repo, startEnv, waitApp, type Env } from './helpers.ts';

const IN_CLUSTER = 'https://kubernetes.default.svc';
const APPS = 12;

describe('gitops hard refresh cycle', () => {
  let env: Env;
  let ctl: Controller;
  /** cache repo dir → ls-remote calls */
  const lsRemotes = new Map<string, number>();
  const count = () => [...lsRemotes.values()].reduce((a, b) => a + b, 0);
  const run: ProcessRunner = (cmd, args, opts) => {
    if (args.includes('ls-remote')) lsRemotes.set(opts?.cwd ?? '', (lsRemotes.get(opts?.cwd ?? '') ?? 0) + 1);
    return spawnRunner(cmd, args, opts);
  };

  before(async () => {
    env = await startEnv();
    // polling far away: only the refreshes of the test list refs
    ctl = await startController({ client: env.client, dataDir: join(env.dir, 'controller'), resync: 600_000, run });
  });
  after(async () => {
    await ctl?.close();
    await env?.close();
  });

  it('one ls-remote per repository per hard refresh of all apps', async () => {
    const ns = ctl.namespace;
    const a = new Repo(env.dir, 'many');
    for (let i = 0; i < APPS; i++) a.write(`app${i}/cm.yaml`, configMap(`cm${i}`, { v: '1' }));
    const revA1 = a.commit('first');
    const b = new Repo(env.dir, 'other');
    b.write('cm.yaml', configMap('other', { v: '1' }));
    const revB1 = b.commit('first');
    const apps: [string, string][] = [];
    for (let i = 0; i < APPS; i++) {
      await env.client.create(
        application(`cycle${i}`, ns, {
          project: 'default',
          source: { repoURL: a.url, path: `app${i}`, targetRevision: 'main' },
          destination: { server: IN_CLUSTER, namespace: 'cycle' },
          syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
        }),
      );
      apps.push([`cycle${i}`, revA1]);
    }
    await env.client.create(
      application('cycle-other', ns, {
        project: 'default',
        source: { repoURL: b.url, path: '.', targetRevision: 'main' },
        destination: { server: IN_CLUSTER, namespace: 'cycle' },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    apps.push(['cycle-other', revB1]);
    for (const [name, rev] of apps)
      await waitApp(
        env.client,
        ns,
        name,
        (x) => x.status?.sync?.status === 'Synced' && x.status.sync.revision === rev,
        'synced',
      );
    await ctl.idle();

    // a new commit in each repo, then one hard refresh of everything
    for (let i = 0; i < APPS; i++) a.write(`app${i}/cm.yaml`, configMap(`cm${i}`, { v: '2' }));
    const revA2 = a.commit('second');
    b.write('cm.yaml', configMap('other', { v: '2' }));
    const revB2 = b.commit('second');
    lsRemotes.clear();
    ctl.refresh();
    for (const [name, rev] of apps.map(([n]) => [n, n === 'cycle-other' ? revB2 : revA2] as const))
      await waitApp(
        env.client,
        ns,
        name,
        (x) => x.status?.sync?.status === 'Synced' && x.status.sync.revision === rev,
        `synced to the new commit`,
      );
    await ctl.idle();
    assert.equal(lsRemotes.size, 2, 'both repositories listed');
    assert.deepEqual(
      [...lsRemotes.values()],
      [1, 1],
      `ls-remote calls per repo: ${[...lsRemotes.values()].join(', ')}`,
    );
    for (let i = 0; i < APPS; i++)
      assert.equal(
        ((await env.client.get('v1', 'ConfigMap', `cm${i}`, 'cycle')).data as Record<string, string>).v,
        '2',
      );

    // a second cycle lists again (once per repo)
    lsRemotes.clear();
    ctl.refresh();
    await ctl.idle();
    assert.equal(count(), 2);
  });
});
