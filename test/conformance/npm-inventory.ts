// Compares the scanner's npm inventory of a project's package-lock.json with `npm ls --all --json` run in
// that project (the packages npm itself says are installed), as issue 12's acceptance asks:
//
//   node --import tsx test/conformance/npm-inventory.ts [project-dir]     (default: this repository)
//
// Prints the counts, every package only one side has, and exits 1 when they differ.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inventoryOf } from '../../src/scan/index.ts';

const dir = resolve(process.argv[2] ?? '.');
const ls = spawnSync('npm', ['ls', '--all', '--json'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
if (ls.error) throw ls.error;
interface Node {
  version?: string;
  dependencies?: Record<string, Node>;
  missing?: boolean;
}
const fromNpm = new Set<string>();
const walk = (deps: Record<string, Node> | undefined): void => {
  for (const [name, n] of Object.entries(deps ?? {})) {
    if (n.version && !n.missing) fromNpm.add(`${name}@${n.version}`);
    walk(n.dependencies);
  }
};
walk((JSON.parse(ls.stdout) as Node).dependencies);

const lock = readFileSync(join(dir, 'package-lock.json'));
const inv = inventoryOf({ files: new Map([['package-lock.json', { data: lock }]]) });
const ours = new Set(inv.packages.map((p) => `${p.name}@${p.version}`));

const onlyNpm = [...fromNpm].filter((x) => !ours.has(x)).sort();
const onlyOurs = [...ours].filter((x) => !fromNpm.has(x)).sort();
console.log(`npm ls: ${fromNpm.size} packages; sekisho inventory of package-lock.json: ${ours.size}`);
for (const x of onlyNpm) console.log(`  only in npm ls: ${x}`);
for (const x of onlyOurs) console.log(`  only in the inventory: ${x}`);
console.log(onlyNpm.length + onlyOurs.length === 0 ? 'identical' : `${onlyNpm.length + onlyOurs.length} differences`);
process.exitCode = onlyNpm.length + onlyOurs.length === 0 ? 0 : 1;
