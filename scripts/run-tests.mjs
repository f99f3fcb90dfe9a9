#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner through tsx.
// Node 20's `--test` takes no globs, so the files are collected here.
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
const files = explicit.length > 0 ? explicit : [...collect('src', []), ...collect('test', [])].sort();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...flags, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
