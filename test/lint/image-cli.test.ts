// End-to-end: `sekisho lint image` (dockle's checkpoints) through bin/sekisho.js on OCI layouts built here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeImage } from '../support/oci-image.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

async function sekisho(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(ROOT, 'bin', 'sekisho.js'), ...args], {
      cwd,
      env: { ...process.env, DOCKER_CONTENT_TRUST: '' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const accounts = [
  { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n' },
  { name: 'etc/shadow', content: 'root:*:19000:0:99999:7:::\n' },
  { name: 'etc/group', content: 'root:x:0:\napp:x:1000:\n' },
];

test('lint image: a careless image fails with dockle-shaped findings; a careful one passes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lint-image-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeImage(
    join(dir, 'bad'),
    [
      [...accounts, { name: 'bin/su', content: 'x', mode: 0o4755 }, { name: 'app/.git/HEAD', content: 'ref' }],
      [
        { name: 'etc/shadow', content: 'root::19000:0:99999:7:::\n' },
        { name: 'root/.aws/credentials', content: 'k' },
      ],
    ],
    'latest',
    {
      config: { Env: ['PATH=/bin'], Volumes: { '/dev': {} } },
      history: [
        { created_by: '/bin/sh -c #(nop) ADD file:1 in / ' },
        { created_by: 'RUN /bin/sh -c apt-get update # buildkit' },
        { created_by: 'ENV API_TOKEN=s3cr3t' },
      ],
    },
  );
  const bad = await sekisho(['lint', 'image', '-f', 'json', '--exit-code', '3', `oci:${join(dir, 'bad')}:latest`]);
  assert.equal(bad.code, 3, bad.stderr);
  const report = JSON.parse(bad.stdout) as {
    summary: Record<string, number>;
    details: Array<{ code: string; level: string; alerts: string[] }>;
  };
  const codes = Object.fromEntries(report.details.map((d) => [d.code, d.level]));
  assert.deepEqual(codes, {
    'CIS-DI-0007': 'FATAL',
    'CIS-DI-0010': 'FATAL',
    'DKL-DI-0002': 'FATAL',
    'DKL-DI-0005': 'FATAL',
    'DKL-LI-0001': 'FATAL',
    'CIS-DI-0001': 'WARN',
    'DKL-DI-0006': 'WARN',
    'CIS-DI-0005': 'INFO',
    'CIS-DI-0006': 'INFO',
    'CIS-DI-0008': 'INFO',
    'DKL-LI-0003': 'INFO',
  });
  const secret = report.details.find((d) => d.code === 'CIS-DI-0010')?.alerts ?? [];
  assert.ok(
    secret.some((a) => a.includes('API_TOKEN=*******')) && !secret.some((a) => a.includes('s3cr3t')),
    'ENV secrets are masked',
  );
  assert.ok(secret.some((a) => a.includes('root/.aws/credentials')));

  // .dockleignore in the working directory and --ignore remove checkpoints; the list format shows IGNORE
  await writeFile(join(dir, '.dockleignore'), '# accepted\nCIS-DI-0007\n');
  const list = await sekisho(['lint', 'image', '--ignore', 'DKL-LI-0001', `oci:${join(dir, 'bad')}:latest`], dir);
  assert.equal(list.code, 0, 'the default exit code is 0, as in dockle');
  assert.match(list.stdout, /^FATAL\t- CIS-DI-0010: Do not store credential in environment variables\/files$/m);
  assert.match(list.stdout, /^IGNORE\t- CIS-DI-0007: /m);
  assert.match(list.stdout, /^IGNORE\t- DKL-LI-0001: /m);
  assert.match(list.stdout, /^\t\* setuid file: urwxr-xr-x bin\/su$/m);

  await writeImage(join(dir, 'good'), [[...accounts, { name: 'app/server', content: 'bin', mode: 0o755 }]], '1.0', {
    config: { User: 'app', Healthcheck: { Test: ['CMD', '/app/server', '--check'] } },
    history: [{ created_by: '/bin/sh -c #(nop) ADD file:1 in / ' }, { created_by: 'COPY server /app/ # buildkit' }],
  });
  const sarifFile = join(dir, 'good.sarif');
  const good = await sekisho([
    'lint',
    'image',
    '--exit-code',
    '1',
    '-f',
    'sarif',
    '-o',
    sarifFile,
    `oci:${join(dir, 'good')}:1.0`,
  ]);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const sarif = JSON.parse(await readFile(sarifFile, 'utf8')) as {
    runs: Array<{ results: Array<{ ruleId: string; level: string }> }>;
  };
  // only the host's content-trust setting is reported, as a note
  assert.deepEqual(
    sarif.runs[0]?.results.map((r) => `${r.ruleId}:${r.level}`),
    ['CIS-DI-0005:note'],
  );
});

test('lint image: a layer escaping the root is refused with a clear error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lint-image-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeImage(dir, [[{ name: 'a/../../etc/passwd', content: 'x' }]]);
  const r = await sekisho(['lint', 'image', `oci:${dir}:latest`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /escapes the root/);
});
