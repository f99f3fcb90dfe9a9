import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageFile } from './files.ts';
import type { ImageConfigLike } from './history.ts';
import { failsAt, lintImage, parseDockleIgnore, type ImageLintOptions, type ImageLintReport } from './lint.ts';
import { shlexSplit } from './history.ts';

const file = (data?: string, mode = 0o644): ImageFile => ({
  type: 'file',
  mode,
  ...(data !== undefined ? { data: Buffer.from(data) } : {}),
});

const cleanFiles = (): Map<string, ImageFile> =>
  new Map([
    ['etc/passwd', file('root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n')],
    ['etc/shadow', file('root:*:19000:0:99999:7:::\napp:!:19000::::::\n')],
    ['etc/group', file('root:x:0:\napp:x:1000:\n')],
    ['app/server.js', file()],
  ]);

const cleanConfig = (): ImageConfigLike => ({
  config: { User: 'app', Healthcheck: { Test: ['CMD', 'true'] } },
  history: [{ created_by: '/bin/sh -c #(nop) ADD file:abc in / ' }, { created_by: 'COPY server.js /app/ # buildkit' }],
});

function run(
  files = cleanFiles(),
  config = cleanConfig(),
  opts: ImageLintOptions = { contentTrust: true, reference: 'reg/app:1.0' },
): ImageLintReport {
  return lintImage({ name: 'img', digest: 'sha256:x', config, files }, opts);
}

const level = (r: ImageLintReport, code: string): string => r.results.find((x) => x.code === code)?.level ?? 'missing';
const alerts = (r: ImageLintReport, code: string): string[] =>
  r.results.find((x) => x.code === code)?.alerts.map((a) => a.desc) ?? [];

test('a clean image passes every checkpoint', () => {
  const r = run();
  assert.deepEqual(
    r.results.filter((x) => x.level !== 'PASS').map((x) => `${x.code}:${x.level}`),
    [],
  );
  assert.equal(r.summary.pass, 16);
  assert.equal(failsAt(r, 'info'), false);
});

test('CIS-DI-0001 root or no user; CIS-DI-0006 no healthcheck; DKL-DI-0002 sensitive volumes', () => {
  for (const User of [undefined, 'root', '0', '0:0']) {
    const c = cleanConfig();
    c.config = { ...c.config, ...(User !== undefined ? { User } : { User: '' }) };
    assert.equal(level(run(undefined, c), 'CIS-DI-0001'), 'WARN', `user ${User}`);
  }
  const c = cleanConfig();
  c.config = { User: 'app', Volumes: { '/proc': {}, '/data': {} } };
  const r = run(undefined, c);
  assert.equal(level(r, 'CIS-DI-0006'), 'INFO');
  assert.deepEqual(alerts(r, 'DKL-DI-0002'), ['Avoid mounting sensitive dirs : /proc']);
});

test('history checks: apt, apk, sudo, dist-upgrade, ADD, credentials in ENV', () => {
  const hist = (...lines: string[]): ImageConfigLike => ({
    ...cleanConfig(),
    history: lines.map((created_by) => ({ created_by })),
  });
  assert.equal(level(run(undefined, hist('RUN /bin/sh -c apt-get update')), 'CIS-DI-0007'), 'FATAL');
  assert.equal(
    level(
      run(undefined, hist('RUN /bin/sh -c apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*')),
      'CIS-DI-0007',
    ),
    'PASS',
  );
  assert.equal(
    level(run(undefined, hist('RUN /bin/sh -c apt-get update && apt-get install -y curl')), 'DKL-DI-0005'),
    'FATAL',
  );
  assert.equal(
    level(
      run(undefined, hist('RUN /bin/sh -c apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*')),
      'DKL-DI-0005',
    ),
    'PASS',
  );
  assert.equal(level(run(undefined, hist('RUN /bin/sh -c apk add curl')), 'DKL-DI-0004'), 'FATAL');
  assert.equal(level(run(undefined, hist('RUN /bin/sh -c apk add --no-cache curl')), 'DKL-DI-0004'), 'PASS');
  assert.equal(level(run(undefined, hist('RUN /bin/sh -c sudo ls')), 'DKL-DI-0001'), 'FATAL');
  assert.equal(level(run(undefined, hist('RUN /bin/sh -c apt-get dist-upgrade -y')), 'DKL-DI-0003'), 'WARN');
  // the first ADD (the base rootfs) passes, a later one does not
  assert.equal(level(run(undefined, hist('ADD file:a in /', 'COPY x /x # buildkit')), 'CIS-DI-0009'), 'PASS');
  assert.deepEqual(alerts(run(undefined, hist('ADD file:a in /', 'ADD app.tar /app # buildkit')), 'CIS-DI-0009'), [
    'Use COPY : ADD app.tar /app # buildkit',
  ]);
  const secret = run(undefined, hist('ENV DB_PASSWORD=hunter2 MODE=prod'));
  assert.deepEqual(alerts(secret, 'CIS-DI-0010'), [
    'Suspicious ENV key found : DB_PASSWORD on ENV DB_PASSWORD=******* MODE=prod (You can suppress it with --accept-key)',
  ]);
  assert.equal(
    level(
      run(undefined, hist('ENV DB_PASSWORD=hunter2'), { contentTrust: true, acceptKeys: ['DB_PASSWORD'] }),
      'CIS-DI-0010',
    ),
    'PASS',
  );
  assert.equal(level(run(undefined, hist('ENV GPG_KEY=abc')), 'CIS-DI-0010'), 'PASS');
  assert.equal(
    level(run(undefined, hist('ENV MY_PIN=1234'), { contentTrust: true, sensitiveWords: ['PIN'] }), 'CIS-DI-0010'),
    'FATAL',
  );
});

test('filesystem checks: empty password, duplicate ids, setuid, credential and leftover files', () => {
  const f = cleanFiles();
  f.set('etc/shadow', file('root::19000:0:99999:7:::\n'));
  f.set('etc/passwd', file('root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n'));
  f.set('etc/group', file('root:x:0:\nwheel:x:0:\n'));
  f.set('usr/bin/passwd', file(undefined, 0o4755));
  f.set('usr/bin/wall', file(undefined, 0o2755));
  f.set('root/.ssh/id_rsa', file());
  f.set('app/prod.ovpn', file());
  f.set('app/.git/config', file());
  f.set('app/.git/HEAD', file());
  f.set('app/node_modules/x/.npm/y', file());
  f.set('app/Dockerfile', file());
  const r = run(f);
  assert.deepEqual(alerts(r, 'DKL-LI-0001'), ['No password user found! username : root']);
  assert.deepEqual(alerts(r, 'DKL-LI-0002'), [
    'duplicate UID 0 : username toor',
    'duplicate GroupID 0 : username wheel',
  ]);
  assert.deepEqual(alerts(r, 'CIS-DI-0008'), [
    'setuid file: urwxr-xr-x usr/bin/passwd',
    'setgid file: grwxr-xr-x usr/bin/wall',
  ]);
  assert.deepEqual(alerts(r, 'CIS-DI-0010'), [
    'Suspicious filename found : root/.ssh/id_rsa (You can suppress it with --accept-file id_rsa)',
    'Suspicious file extension found : app/prod.ovpn (You can suppress it with --accept-file-extension ovpn)',
  ]);
  assert.deepEqual(alerts(r, 'DKL-LI-0003'), [
    'Suspicious directory : app/.git ',
    'unnecessary file : app/Dockerfile ',
  ]);
  assert.equal(failsAt(r, 'fatal'), true);
  const accepted = run(f, undefined, { contentTrust: true, acceptFiles: ['id_rsa'], acceptExtensions: ['ovpn'] });
  assert.equal(level(accepted, 'CIS-DI-0010'), 'PASS');
});

test('missing account files are SKIP, ignores are IGNORE, latest tag and content trust are reported', () => {
  const r = run(new Map(), undefined, { reference: 'reg/app', ignore: ['CIS-DI-0006'] });
  assert.equal(level(r, 'DKL-LI-0001'), 'SKIP');
  assert.equal(level(r, 'DKL-LI-0002'), 'SKIP');
  assert.equal(level(r, 'DKL-DI-0006'), 'WARN');
  assert.equal(level(r, 'CIS-DI-0005'), 'INFO');
  assert.equal(
    level(run(undefined, undefined, { reference: 'reg/app:latest', ignore: ['DKL-DI-0006'] }), 'DKL-DI-0006'),
    'IGNORE',
  );
  assert.equal(
    level(run(undefined, undefined, { reference: 'reg/app@sha256:' + 'a'.repeat(64) }), 'DKL-DI-0006'),
    'PASS',
  );
  // a SKIP (nothing to check) never fails a run, even at the lowest exit level
  assert.equal(failsAt(run(new Map(), undefined, { contentTrust: true, reference: 'r/a:1' }), 'info'), false);
  assert.deepEqual(parseDockleIgnore('# comment\nCIS-DI-0001\n\n  DKL-DI-0006  \n'), ['CIS-DI-0001', 'DKL-DI-0006']);
});

test('shlex splitting keeps quoted words whole', () => {
  assert.deepEqual(shlexSplit(`ENV A="x y" B='z w' C=d\\ e`), ['ENV', 'A=x y', 'B=z w', 'C=d e']);
});
