// Scan timing outside CI: node --import tsx test/scan/conformance/bench-scan.ts ROOTFS [advisories=100000]
// Builds a database of N synthetic OSV records (Debian:<version> source packages of the rootfs plus
// unrelated names), then times inventory + matching of ROOTFS (median of 5 warm runs) and peak RSS.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdvisoryDb, collectDir, inventoryOf, matchPackages } from '../../../src/scan/index.ts';

const root = process.argv[2];
if (!root) throw new Error('usage: bench-scan.ts ROOTFS [advisories]');
const N = Number(process.argv[3] ?? 100000);
const dir = await mkdtemp(join(tmpdir(), 'scan-bench-'));
try {
  const inv = inventoryOf(await collectDir(root));
  const eco = inv.packages[0]?.ecosystem ?? 'Debian:12';
  const names = [...new Set(inv.packages.map((p) => p.source?.name ?? p.name))];
  await mkdir(join(dir, 'osv'));
  const t0 = performance.now();
  const db = AdvisoryDb.open(join(dir, 'db'), { create: true });
  const recs = [];
  for (let i = 0; i < N; i++) {
    const name = i % 4 === 0 ? names[i % names.length]! : `synthetic-${i}`;
    recs.push({
      id: `BENCH-${i}`,
      affected: [
        {
          package: { ecosystem: eco, name },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `${i % 7}.${i % 13}-1` }] }],
        },
      ],
    });
  }
  await writeFile(join(dir, 'osv', 'all.json'), JSON.stringify(recs));
  db.importPath(join(dir, 'osv', 'all.json'));
  db.close();
  const importS = (performance.now() - t0) / 1000;
  const times: number[] = [];
  let findings = 0;
  for (let r = 0; r < 6; r++) {
    const s = performance.now();
    const d = AdvisoryDb.open(join(dir, 'db'), { readonly: true });
    const i2 = inventoryOf(await collectDir(root));
    findings = matchPackages(d, i2.packages).length;
    d.close();
    if (r > 0) times.push((performance.now() - s) / 1000);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${inv.packages.length} packages, ${N} advisories (import ${importS.toFixed(1)} s), ${findings} findings`,
  );
  console.log(
    `scan median ${times[2]!.toFixed(3)} s warm, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
