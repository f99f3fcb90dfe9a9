// Issue 12's Go acceptance: with a database imported from golang/vulndb's OSV data, a Go binary built with a
// known-vulnerable module version is reported with the right advisory ids and fixed versions, and one built
// with a fixed version is not. The binaries are built here with Debian's Go (`apt-get install golang-go`)
// from a vendored stand-in of golang.org/x/text (the module proxy is out of reach), which is what their build
// info records: `dep golang.org/x/text v0.3.5` and `v0.39.0`.
//
//   node --import tsx test/conformance/go-vulndb.ts ../corpora/vulndb/data/osv
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AdvisoryDb, collectDir, inventoryOf, matchPackages } from '../../src/scan/index.ts';

const osv = resolve(process.argv[2] ?? join('..', 'corpora', 'vulndb/data/osv'));
const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.error) {
  console.error('go is required (apt-get install golang-go)');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'go-vulndb-'));
let failures = 0;
const expect = (ok: boolean, what: string): void => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};
try {
  const out = join(dir, 'bin');
  mkdirSync(out);
  for (const version of ['v0.3.5', 'v0.39.0']) {
    const mod = join(dir, `app-${version}`);
    mkdirSync(join(mod, 'vendor/golang.org/x/text/language'), { recursive: true });
    writeFileSync(join(mod, 'go.mod'), `module example.com/app\n\ngo 1.19\n\nrequire golang.org/x/text ${version}\n`);
    writeFileSync(
      join(mod, 'vendor/modules.txt'),
      `# golang.org/x/text ${version}\n## explicit\ngolang.org/x/text/language\n`,
    );
    writeFileSync(
      join(mod, 'vendor/golang.org/x/text/language/language.go'),
      'package language\n\nfunc Parse(s string) string { return s }\n',
    );
    writeFileSync(
      join(mod, 'main.go'),
      'package main\n\nimport (\n\t"fmt"\n\t"golang.org/x/text/language"\n)\n\nfunc main() { fmt.Println(language.Parse("en")) }\n',
    );
    const b = spawnSync('go', ['build', '-mod=vendor', '-o', join(out, `app-${version}`), '.'], {
      cwd: mod,
      encoding: 'utf8',
      env: {
        ...process.env,
        CGO_ENABLED: '0',
        GOFLAGS: '',
        GOCACHE: join(dir, 'cache'),
        GOPATH: join(dir, 'gopath'),
        GOPROXY: 'off',
      },
    });
    if (b.status !== 0) throw new Error(`go build ${version}: ${b.stderr}`);
  }
  const t0 = performance.now();
  const db = AdvisoryDb.open(join(dir, 'db'), { create: true });
  const imported = db.importPath(osv);
  console.log(
    `imported ${imported.records} golang/vulndb records in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const inv = inventoryOf(await collectDir(out));
  const findings = matchPackages(db, inv.packages);
  db.close();
  const textFindings = (bin: string): string[] =>
    findings
      .filter((f) => f.pkg.location === bin && f.pkg.name === 'golang.org/x/text')
      .map((f) => `${f.id} fixed ${f.fixed ?? '-'}`)
      .sort();
  const vulnerable = textFindings('app-v0.3.5');
  console.log(`app-v0.3.5 golang.org/x/text: ${vulnerable.join(', ')}`);
  expect(
    inv.packages.some((p) => p.location === 'app-v0.3.5' && p.name === 'golang.org/x/text' && p.version === 'v0.3.5'),
    'build info read: golang.org/x/text v0.3.5',
  );
  expect(vulnerable.includes('GO-2021-0113 fixed 0.3.7'), 'GO-2021-0113 reported with fixed version 0.3.7');
  expect(vulnerable.includes('GO-2022-1059 fixed 0.3.8'), 'GO-2022-1059 reported with fixed version 0.3.8');
  expect(!vulnerable.some((x) => x.startsWith('GO-2020-0015')), 'GO-2020-0015 (fixed in 0.3.3) not reported');
  const fixed = textFindings('app-v0.39.0');
  expect(fixed.length === 0, `app-v0.39.0: no golang.org/x/text finding (${fixed.length})`);
  const stdlib = findings.filter((f) => f.pkg.name === 'stdlib' && f.pkg.location === 'app-v0.3.5').length;
  console.log(`(the ${go.stdout.trim()} toolchain itself: ${stdlib} stdlib advisories per binary)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures === 0 ? 'all checks passed' : `${failures} checks failed`);
process.exitCode = failures === 0 ? 0 : 1;
