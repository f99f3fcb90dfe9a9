// `sekisho cluster serve` itself: first stdout line, kubeconfig written into the data directory,
// kubectl works with it, and the server stops on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ok, requireKubectl, startServer } from './helpers.ts';

test(
  'cluster serve prints listening on <url>, writes a kubeconfig kubectl can use, stops on SIGTERM',
  { timeout: 60_000 },
  async () => {
    requireKubectl();
    const srv = await startServer(undefined, { viaCli: true });
    try {
      assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      for (const f of ['kubeconfig', 'ca.crt', 'server.crt', 'token', 'cluster.db'])
        assert.ok(existsSync(join(srv.dataDir, f)), `${f} in the data dir`);
      assert.match(await ok(srv.kubeconfig, ['get', 'nodes']), /^sandbox-node\s+Ready\s/m);
    } finally {
      assert.equal(await srv.stop('SIGTERM'), 0);
      rmSync(srv.dataDir, { recursive: true, force: true });
    }
  },
);
