// The inventory's lockfile and database parsers beyond dpkg/apk/npm/pip, on small files in each format,
// and through `collectDir` + `inventoryOf` as a scan sees them.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ScanError, collectDir, inventoryOf } from '../../src/scan/index.ts';
import { zipOf } from '../support/zip.ts';

async function scanFiles(files: Record<string, string | Buffer>): Promise<ReturnType<typeof inventoryOf>> {
  const dir = await mkdtemp(join(tmpdir(), 'scan-eco-'));
  try {
    for (const [p, content] of Object.entries(files)) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      await writeFile(join(dir, p), content);
    }
    return inventoryOf(await collectDir(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ids = (inv: ReturnType<typeof inventoryOf>, type?: string): string[] =>
  inv.packages
    .filter((p) => !type || p.type === type)
    .map((p) => `${p.name}@${p.version}`)
    .sort();

test('yarn v1 and berry, pnpm v6 and v9 lockfiles', async () => {
  const inv = await scanFiles({
    'v1/yarn.lock': `# yarn lockfile v1\n\n"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":\n  version "7.12.13"\n  resolved "https://r/x.tgz"\n\nlodash@^4.17.20:\n  version "4.17.21"\n`,
    'berry/yarn.lock': `__metadata:\n  version: 6\n\n"left-pad@npm:^1.3.0":\n  version: 1.3.0\n  resolution: "left-pad@npm:1.3.0"\n\n"app@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "app@workspace:."\n`,
    'p6/pnpm-lock.yaml': `lockfileVersion: '6.0'\npackages:\n  /ms@2.1.3:\n    resolution: {integrity: sha512-x}\n    dev: true\n  /@types/node@20.1.0:\n    resolution: {integrity: sha512-y}\n    dev: false\n`,
    'p9/pnpm-lock.yaml': `lockfileVersion: '9.0'\npackages:\n  react-dom@18.2.0(react@18.2.0):\n    resolution: {integrity: sha512-z}\n  debug@4.3.4:\n    resolution: {integrity: sha512-w}\n`,
  });
  assert.deepEqual(ids(inv), [
    '@babel/code-frame@7.12.13',
    '@types/node@20.1.0',
    'debug@4.3.4',
    'left-pad@1.3.0',
    'lodash@4.17.21',
    'ms@2.1.3',
    'react-dom@18.2.0',
  ]);
  assert.equal(inv.packages.find((p) => p.name === 'ms')?.dev, true);
  assert.equal(inv.packages.find((p) => p.name === '@babel/code-frame')?.purl, 'pkg:npm/%40babel/code-frame@7.12.13');
});

test('poetry, uv and Pipfile locks; Cargo.lock; go.mod with replace; Gemfile.lock; composer.lock; pom.xml', async () => {
  const inv = await scanFiles({
    'py/poetry.lock': `[[package]]\nname = "requests"\nversion = "2.31.0"\ncategory = "main"\n\n[[package]]\nname = "pytest"\nversion = "7.4.0"\ncategory = "dev"\n`,
    'uv/uv.lock': `version = 1\n[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n\n[[package]]\nname = "Flask"\nversion = "3.0.0"\nsource = { registry = "https://pypi.org/simple" }\n`,
    'pipenv/Pipfile.lock': JSON.stringify({
      default: { django: { version: '==4.2.1' }, mylib: { path: '.' } },
      develop: { black: { version: '==23.1.0' } },
    }),
    'rs/Cargo.lock': `version = 3\n[[package]]\nname = "myapp"\nversion = "0.1.0"\n\n[[package]]\nname = "serde"\nversion = "1.0.188"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n`,
    'go/go.mod': `module example.com/app\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/text v0.3.7\n\tgithub.com/pkg/errors v0.9.1 // indirect\n\texample.com/local v1.0.0\n)\n\nrequire golang.org/x/net v0.0.1\n\nreplace golang.org/x/net => golang.org/x/net v0.17.0\nreplace example.com/local => ../local\n`,
    'rb/Gemfile.lock': `GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.15.4-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.7.1)\n    rails (7.0.8)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  rails\n`,
    'php/composer.lock': JSON.stringify({
      packages: [{ name: 'monolog/monolog', version: 'v3.4.0', license: ['MIT'] }],
      'packages-dev': [{ name: 'phpunit/phpunit', version: '10.3.2' }],
    }),
    'java/pom.xml': `<?xml version="1.0"?>\n<project><groupId>com.ex</groupId><artifactId>app</artifactId><version>1.2.0</version>\n<properties><jackson.version>2.15.2</jackson.version></properties>\n<dependencies>\n<dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>\${jackson.version}</version></dependency>\n<dependency><groupId>com.ex</groupId><artifactId>core</artifactId><version>\${project.version}</version></dependency>\n<dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>\n<dependency><groupId>x</groupId><artifactId>unresolved</artifactId><version>\${nope}</version></dependency>\n</dependencies></project>`,
  });
  assert.deepEqual(ids(inv, 'pypi'), [
    'Flask@3.0.0',
    'black@23.1.0',
    'django@4.2.1',
    'pytest@7.4.0',
    'requests@2.31.0',
  ]);
  assert.deepEqual(ids(inv, 'cargo'), ['serde@1.0.188']);
  assert.deepEqual(ids(inv, 'golang'), [
    'github.com/pkg/errors@v0.9.1',
    'golang.org/x/net@v0.17.0',
    'golang.org/x/text@v0.3.7',
  ]);
  assert.deepEqual(ids(inv, 'gem'), ['nokogiri@1.15.4', 'racc@1.7.1', 'rails@7.0.8']);
  assert.deepEqual(ids(inv, 'composer'), ['monolog/monolog@3.4.0', 'phpunit/phpunit@10.3.2']);
  assert.equal(inv.packages.find((p) => p.name === 'monolog/monolog')?.purl, 'pkg:composer/monolog/monolog@3.4.0');
  assert.deepEqual(ids(inv, 'maven'), [
    'com.ex:core@1.2.0',
    'com.fasterxml.jackson.core:jackson-databind@2.15.2',
    'junit:junit@4.13.2',
  ]);
  assert.equal(inv.packages.find((p) => p.name === 'junit:junit')?.dev, true);
  assert.equal(
    inv.packages.find((p) => p.name.endsWith('jackson-databind'))?.purl,
    'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2',
  );
  assert.equal(inv.packages.find((p) => p.name === 'rails')?.ecosystem, 'RubyGems');
});

test('jar files: Maven coordinates from META-INF/maven/**/pom.properties', async () => {
  const jar = zipOf(
    Object.entries({
      'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\n',
      'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties':
        '#Generated\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n',
      'org/apache/Foo.class': 'x'.repeat(100),
    }).map(([name, content]): [string, Buffer] => [name, Buffer.from(content)]),
  );
  const inv = await scanFiles({ 'app/lib/log4j-core-2.14.1.jar': jar });
  assert.deepEqual(ids(inv, 'maven'), ['org.apache.logging.log4j:log4j-core@2.14.1']);
  assert.equal(inv.packages[0]?.location, 'app/lib/log4j-core-2.14.1.jar');
});

/** An rpm header blob with string and int32 tags. */
function rpmHeader(tags: Record<number, string | number>): Buffer {
  const entries: Buffer[] = [];
  const data: Buffer[] = [];
  let off = 0;
  for (const [tag, v] of Object.entries(tags)) {
    const e = Buffer.alloc(16);
    e.writeUInt32BE(Number(tag), 0);
    let d: Buffer;
    if (typeof v === 'number') {
      while (off % 4) {
        data.push(Buffer.alloc(1));
        off++;
      }
      d = Buffer.alloc(4);
      d.writeUInt32BE(v, 0);
      e.writeUInt32BE(4, 4);
    } else {
      d = Buffer.from(v + '\0');
      e.writeUInt32BE(6, 4);
    }
    e.writeUInt32BE(off, 8);
    e.writeUInt32BE(1, 12);
    entries.push(e);
    data.push(d);
    off += d.length;
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(off, 4);
  return Buffer.concat([head, ...entries, ...data]);
}

test('rpm sqlite database (rpmdb.sqlite) with epochs, source rpms and gpg-pubkey left out', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-rpm-'));
  try {
    const dbPath = join(dir, 'rpmdb.sqlite');
    const db = new Database(dbPath);
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const ins = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    ins.run(
      rpmHeader({
        1000: 'openssl-libs',
        1001: '3.0.7',
        1002: '24.el9',
        1003: 1,
        1022: 'x86_64',
        1014: 'ASL 2.0',
        1044: 'openssl-3.0.7-24.el9.src.rpm',
      }),
    );
    ins.run(
      rpmHeader({ 1000: 'bash', 1001: '5.1.8', 1002: '6.el9_1', 1022: 'x86_64', 1044: 'bash-5.1.8-6.el9_1.src.rpm' }),
    );
    ins.run(rpmHeader({ 1000: 'gpg-pubkey', 1001: '5a6340b3', 1002: '6229229e' }));
    db.close();
    const { readFile } = await import('node:fs/promises');
    const inv = await scanFiles({
      'etc/os-release': 'ID="rocky"\nVERSION_ID="9.2"\n',
      'var/lib/rpm/rpmdb.sqlite': await readFile(dbPath),
    });
    assert.deepEqual(ids(inv), ['bash@5.1.8-6.el9_1', 'openssl-libs@1:3.0.7-24.el9']);
    const ssl = inv.packages.find((p) => p.name === 'openssl-libs');
    assert.equal(ssl?.purl, 'pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rocky-9.2&epoch=1');
    assert.equal(ssl?.ecosystem, 'Rocky Linux:9');
    assert.deepEqual(ssl?.source, { name: 'openssl', version: '1:3.0.7-24.el9' });
    await assert.rejects(
      scanFiles({ 'var/lib/rpm/rpmdb.sqlite': 'not a database at all'.repeat(10) }),
      (e: unknown) => e instanceof ScanError && e.code === 'PARSE_ERROR' && /rpmdb\.sqlite/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('rpm Berkeley DB database (Packages) written by db_load, with inline and overflow values', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-bdb-'));
  try {
    const esc = (b: Buffer): string => [...b].map((x) => '\\' + x.toString(16).padStart(2, '0')).join('');
    const key = (n: number): Buffer => Buffer.from([n, 0, 0, 0]);
    const rows = [
      rpmHeader({ 1000: 'bash', 1001: '4.4.19', 1002: '10.el8', 1022: 'x86_64', 1044: 'bash-4.4.19-10.el8.src.rpm' }),
      // larger than a page: stored on a chain of overflow pages
      rpmHeader({
        1000: 'openssl-libs',
        1001: '1.1.1k',
        1002: '7.el8_6',
        1003: 1,
        1022: 'x86_64',
        1014: 'OpenSSL ' + 'x'.repeat(9000),
        1044: 'openssl-1.1.1k-7.el8_6.src.rpm',
      }),
      rpmHeader({ 1000: 'gpg-pubkey', 1001: 'fd431d51', 1002: '4ae0493b' }),
    ];
    await writeFile(join(dir, 'dump.txt'), rows.map((r, i) => `${esc(key(i + 1))}\n${esc(r)}\n`).join(''));
    const { spawnSync } = await import('node:child_process');
    const load = spawnSync('db_load', ['-T', '-t', 'hash', '-f', join(dir, 'dump.txt'), join(dir, 'Packages')], {
      encoding: 'utf8',
    });
    assert.equal(load.error, undefined, 'db_load (Debian package db-util) is needed for this test');
    assert.equal(load.status, 0, load.stderr);
    const { readFile } = await import('node:fs/promises');
    const inv = await scanFiles({
      'etc/os-release': 'ID="rhel"\nVERSION_ID="8.6"\n',
      'var/lib/rpm/Packages': await readFile(join(dir, 'Packages')),
    });
    assert.deepEqual(ids(inv), ['bash@4.4.19-10.el8', 'openssl-libs@1:1.1.1k-7.el8_6']);
    assert.equal(inv.packages.find((p) => p.name === 'openssl-libs')?.licenses?.[0]?.length, 9008);
    assert.equal(inv.packages[0]?.ecosystem, 'Red Hat');
    await assert.rejects(
      scanFiles({ 'var/lib/rpm/Packages': Buffer.alloc(4096, 7) }),
      (e: unknown) => e instanceof ScanError && /not a Berkeley DB hash database: bad magic/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('malformed lockfiles are errors that name the file and position', async () => {
  await assert.rejects(
    scanFiles({ 'Cargo.lock': '[[package]\nname = "x"\n' }),
    (e: unknown) => e instanceof ScanError && /^Cargo\.lock:1:\d+: invalid TOML/.test(e.message),
  );
  await assert.rejects(
    scanFiles({ 'pnpm-lock.yaml': 'packages:\n  - a\n - b\n' }),
    (e: unknown) => e instanceof ScanError && /^pnpm-lock\.yaml:\d+:\d+: invalid YAML/.test(e.message),
  );
  await assert.rejects(
    scanFiles({ 'yarn.lock': 'lodash@^4\n  version "1"\n' }),
    (e: unknown) => e instanceof ScanError && /^yarn\.lock:1:1: expected/.test(e.message),
  );
  await assert.rejects(
    scanFiles({ 'go.mod': 'module x\nrequire golang.org/x/text\n' }),
    (e: unknown) => e instanceof ScanError && /^go\.mod:2:1: require needs/.test(e.message),
  );
});
