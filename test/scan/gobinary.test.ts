import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdvisoryDb, collectDir, inventoryOf, matchPackages } from '../../src/scan/index.ts';

/** A fake ELF file with a Go 1.18+ build info blob at a 16-byte-aligned offset. */
function fakeGoBinary(goVersion: string, mod: string): Buffer {
  const varstr = (s: string): Buffer => {
    const b = Buffer.from(s);
    const len: number[] = [];
    let n = b.length;
    while (n >= 0x80) {
      len.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    len.push(n);
    return Buffer.concat([Buffer.from(len), b]);
  };
  const header = Buffer.alloc(32);
  header.write('\xff Go buildinf:', 0, 'latin1');
  header[14] = 8;
  header[15] = 2;
  const sentinel = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
  const modinfo = Buffer.concat([sentinel, Buffer.from(mod), sentinel]).toString('latin1');
  const elf = Buffer.alloc(64);
  elf.writeUInt32BE(0x7f454c46, 0);
  return Buffer.concat([
    elf,
    header,
    varstr(goVersion),
    Buffer.from(varstr(modinfo).toString('latin1'), 'latin1'),
    Buffer.alloc(100),
  ]);
}

test('Go binaries: build info read from executables, replacements applied, matched by Go semver', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-go-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const mod = [
    'path\texample.com/app',
    'mod\texample.com/app\tv1.0.0\th1:x=',
    'dep\tgolang.org/x/text\tv0.3.7\th1:y=',
    'dep\texample.com/old\tv1.0.0\th1:z=',
    '=>\texample.com/new\tv1.5.0\th1:w=',
    'build\t-compiler=gc',
    '',
  ].join('\n');
  await writeFile(join(dir, 'app'), fakeGoBinary('go1.21.3', mod));
  await chmod(join(dir, 'app'), 0o755);
  await writeFile(join(dir, 'not-exec'), fakeGoBinary('go1.21.3', mod)); // mode 644: not read
  const inv = inventoryOf(await collectDir(dir));
  assert.deepEqual(
    inv.packages.map((p) => `${p.name}@${p.version} ${p.purl}`),
    [
      'stdlib@1.21.3 pkg:golang/stdlib@1.21.3',
      'example.com/app@v1.0.0 pkg:golang/example.com/app@v1.0.0',
      'golang.org/x/text@v0.3.7 pkg:golang/golang.org/x/text@v0.3.7',
      'example.com/new@v1.5.0 pkg:golang/example.com/new@v1.5.0',
    ],
  );
  const dbDir = join(dir, 'db');
  const db = AdvisoryDb.open(dbDir, { create: true });
  t.after(() => db.close());
  await writeFile(
    join(dir, 'GO-2022-1059.json'),
    JSON.stringify({
      id: 'GO-2022-1059',
      aliases: ['CVE-2022-32149'],
      affected: [
        {
          package: { ecosystem: 'Go', name: 'golang.org/x/text' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.3.8' }] }],
        },
      ],
    }),
  );
  db.importPath(join(dir, 'GO-2022-1059.json'));
  assert.deepEqual(
    matchPackages(db, inv.packages).map((f) => [f.id, f.pkg.name, f.installed, f.fixed]),
    [['GO-2022-1059', 'golang.org/x/text', 'v0.3.7', '0.3.8']],
  );
});
