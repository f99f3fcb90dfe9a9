#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner through tsx.
// Node 20's `--test` takes no globs, so the files are collected here.
// Arguments that are files or directories choose what runs (a directory means every *.test.ts under it);
// other arguments are passed to `node --test` (e.g. --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) collect(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const explicit = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
// a directory given on the command line stands for the test files under it (Node 20's --test would run none)
const expand = (p) => {
  try {
    return statSync(p).isDirectory() ? collect(p, []).sort() : [p];
  } catch {
    return [p];
  }
};
const files = explicit.length > 0 ? explicit.flatMap(expand) : [...collect('src', []), ...collect('test', [])].sort();
if (explicit.length > 0 && files.length === 0) {
  console.error(`no *.test.ts files under ${explicit.join(' ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...flags, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
