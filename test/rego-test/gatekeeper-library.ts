// Acceptance run (outside CI): gatekeeper-library's unit tests the way its test.sh runs OPA —
// `opa check --strict src`, then `opa test <folder>/*.rego` for every src/*/* folder (the library is Rego v0,
// tested with OPA 0.x, hence --v0-compatible). Usage:
//   node --import tsx test/rego-test/gatekeeper-library.ts ../corpora/gatekeeper-library
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCheckCommand } from '../../src/cli/rego/check.ts';
import { runTestCommand } from '../../src/cli/rego/test.ts';

const root = process.argv[2];
if (!root) {
  console.error('usage: gatekeeper-library.ts <gatekeeper-library checkout>');
  process.exit(1);
}
const quiet = { stdout: () => {}, stderr: (s: string) => process.stderr.write(s) };
const src = join(root, 'src');
const check = runCheckCommand([src], { strict: true, v0Compatible: true, format: 'pretty', ignore: [] }, quiet);
console.log(`check --strict src: exit ${check}`);
let pass = 0;
let total = 0;
let failedFolders = 0;
const t0 = performance.now();
for (const group of readdirSync(src).sort()) {
  for (const folder of readdirSync(join(src, group)).sort()) {
    const dir = join(src, group, folder);
    if (!statSync(dir).isDirectory()) continue;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.rego'))
      .map((f) => join(dir, f));
    if (files.length === 0) continue;
    let out = '';
    const code = runTestCommand(
      files,
      { format: 'json', ignore: [], data: [], v0Compatible: true },
      { stdout: (s) => void (out += s), stderr: (s) => void (out += s) },
    );
    let results: { fail?: boolean; error?: unknown; skip?: boolean; name: string; package: string }[] = [];
    try {
      results = JSON.parse(out);
    } catch {
      console.log(`${dir}: exit ${code}\n${out}`);
      failedFolders++;
      continue;
    }
    const ok = results.filter((r) => !r.fail && !r.error && !r.skip).length;
    pass += ok;
    total += results.length;
    if (code !== 0) {
      failedFolders++;
      for (const r of results)
        if (r.fail || r.error)
          console.log(`  ${r.package}.${r.name}: ${r.fail ? 'FAIL' : 'ERROR ' + JSON.stringify(r.error)}`);
    }
  }
}
console.log(
  `test rules passing: ${pass}/${total}; folders failing: ${failedFolders}; ${Math.round(performance.now() - t0)} ms`,
);
process.exitCode = check !== 0 || pass !== total || failedFolders > 0 ? 1 : 0;
