// Runs Conftest's own acceptance suite (acceptance.bats of open-policy-agent/conftest, whose cases drive
// the examples/ folders) against `sekisho policy`, by interpreting the small subset of bats it uses:
// `run ./conftest ...` (or `run bash -c "..."`), `cd`, variable assignments, and assertions on
// `$status`, `$output` and `${lines[N]}`. Not part of CI: the Conftest checkout lives outside the repo.
//
//   node --import tsx test/conformance/policy-examples.ts ../corpora/conftest [--verbose] [--filter RE]
//
// Prints one line per case, a per-folder table, and a closing `N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../../bin/sekisho.js');
const args = process.argv.slice(2);
const root = resolve(args.find((a) => !a.startsWith('--')) ?? join('..', 'corpora', 'conftest'));
const verbose = args.includes('--verbose');
const filterIdx = args.indexOf('--filter');
const filter = filterIdx >= 0 ? new RegExp(args[filterIdx + 1] ?? '') : undefined;
const CMD = `node ${bin} policy`;

if (!existsSync(join(root, 'acceptance.bats'))) {
  console.error(`no acceptance.bats under ${root}: fetch open-policy-agent/conftest there first`);
  process.exit(2);
}

interface Case {
  name: string;
  body: string[];
}

function parseBats(text: string): Case[] {
  const cases: Case[] = [];
  let cur: Case | undefined;
  for (const line of text.split('\n')) {
    const m = /^@test "(.*)" \{\s*$/.exec(line);
    if (m) {
      cur = { name: m[1] ?? '', body: [] };
      continue;
    }
    if (cur && line === '}') {
      cases.push(cur);
      cur = undefined;
      continue;
    }
    if (cur) {
      const prev = cur.body[cur.body.length - 1];
      // a `run bash -c "...` whose quote is still open continues on this line (heredocs)
      if (
        prev !== undefined &&
        /^\s*run bash -c "/.test(prev) &&
        !/"\s*$/.test(prev.trim().slice('run bash -c "'.length))
      ) {
        cur.body[cur.body.length - 1] = prev + '\n' + line;
      } else cur.body.push(line);
    }
  }
  return cases;
}

/** Shell-like word splitting with quotes, `$VAR` expansion and a `< file` redirect. */
function words(s: string, vars: Map<string, string>): { argv: string[]; stdin?: string } {
  const out: string[] = [];
  let stdin: string | undefined;
  let cur = '';
  let any = false;
  let redirect = false;
  const expand = (name: string) => vars.get(name) ?? process.env[name] ?? '';
  const push = () => {
    if (!any) return;
    if (redirect) {
      stdin = cur;
      redirect = false;
    } else out.push(cur);
    cur = '';
    any = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      cur += s.slice(i + 1, end);
      i = end;
      any = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length) cur += s[++j];
        else if (s[j] === '$') {
          const m = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/.exec(s.slice(j));
          if (m) {
            cur += expand(m[1] ?? '');
            j += (m[0]?.length ?? 1) - 1;
          } else cur += '$';
        } else cur += s[j];
      }
      i = j;
      any = true;
    } else if (c === '$') {
      const m = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/.exec(s.slice(i));
      if (m) {
        cur += expand(m[1] ?? '');
        i += (m[0]?.length ?? 1) - 1;
        any = true;
      } else {
        cur += c;
        any = true;
      }
    } else if (c === '<') {
      push();
      redirect = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      any = true;
    } else if (/\s/.test(c)) push();
    else {
      cur += c;
      any = true;
    }
  }
  push();
  return stdin !== undefined ? { argv: out, stdin } : { argv: out };
}

/** The literal text of a bats assertion operand ("..." or '...' or *"..."*). */
function literal(s: string): string {
  const t = s.trim().replace(/^\*/, '').replace(/\*$/, '');
  if (t.startsWith('"')) return JSON.parse(t.replace(/\\`/g, '`').replace(/\\\$/g, '$')) as string;
  if (t.startsWith("'")) return t.slice(1, -1);
  return t;
}

interface Outcome {
  ok: boolean;
  skipped?: string;
  why?: string;
  output?: string;
}

function runCase(c: Case): Outcome {
  let cwd = root;
  const vars = new Map<string, string>();
  let status = -1;
  let output = '';
  let lines: string[] = [];
  for (const raw of c.body) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let m: RegExpExecArray | null;
    const env = { ...process.env, ...Object.fromEntries(vars) };
    if ((m = /^([A-Z_]+)="\$\((.+)\)"$/.exec(line))) {
      const r = spawnSync('bash', ['-c', m[2] ?? ''], { cwd, encoding: 'utf8', env });
      vars.set(m[1] ?? '', (r.stdout ?? '').trim());
    } else if (/^(ln|rm|mkdir|cp) /.test(line)) {
      spawnSync('bash', ['-c', line], { cwd, encoding: 'utf8', env });
    } else if ((m = /^cd (.+)$/.exec(line))) {
      cwd = resolve(cwd, m[1] ?? '.');
    } else if ((m = /^([A-Z_]+)="?([^"$]*)"?$/.exec(line))) {
      vars.set(m[1] ?? '', m[2] ?? '');
    } else if ((m = /^run bash -c "(.*)"$/s.exec(line))) {
      const script = (m[1] ?? '').replace(/\\"/g, '"').replace(/(\.\.\/\.\.\/|\.\/)conftest\b/g, CMD);
      const r = spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env } });
      status = r.status ?? -1;
      output = (r.stdout ?? '') + (r.stderr ?? '');
      lines = output.split('\n').filter((l) => l !== '');
    } else if ((m = /^run (\.\.\/\.\.\/|\.\/)conftest(.*)$/.exec(line))) {
      const { argv, stdin } = words(m[2] ?? '', vars);
      // Conftest's root flags: -c FILE before the verb; --version / --help at the root
      const cfg: string[] = [];
      while (argv[0] === '-c' || argv[0] === '--config-file') cfg.push(...argv.splice(0, 2));
      if (argv[0] === '--version' || argv[0] === '--help') argv.unshift(argv[0] === '--help' ? '' : 'test');
      const full =
        argv[0] === ''
          ? ['--help']
          : argv[0] === 'test' && argv[1] === '--version'
            ? ['--version']
            : [...argv.slice(0, 1), ...cfg, ...argv.slice(1)];
      const policyArgs = full[0] === '--version' ? ['--version'] : ['policy', ...full];
      const r = spawnSync(process.execPath, [bin, ...policyArgs], {
        cwd,
        encoding: 'utf8',
        input: stdin !== undefined ? readFileSync(resolve(cwd, stdin)) : '',
        env: { ...process.env, NO_COLOR: undefined },
      });
      status = r.status ?? -1;
      output = (r.stdout ?? '') + (r.stderr ?? '');
      lines = output.split('\n').filter((l) => l !== '');
    } else if ((m = /^\[ "\$status" -eq (\d+) \]$/.exec(line))) {
      if (status !== Number(m[1])) return { ok: false, why: `status ${status}, want ${m[1]}`, output };
    } else if ((m = /^\[\[ (!)? ?"\$output" =~ (.+) \]\]$/.exec(line))) {
      const want = literal(m[2] ?? '');
      const has = output.includes(want);
      if (m[1] ? has : !has)
        return { ok: false, why: `output ${m[1] ? 'contains' : 'lacks'} ${JSON.stringify(want)}`, output };
    } else if ((m = /^\[\[ "\$output" != (.+) \]\]$/.exec(line))) {
      const want = literal(m[2] ?? m[1] ?? '');
      if (output.includes(want)) return { ok: false, why: `output contains ${JSON.stringify(want)}`, output };
    } else if ((m = /^\[\[? "\$output" = (.+?) \]\]?$/.exec(line))) {
      const want = literal(m[1] ?? '');
      if (output.trim() !== want) return { ok: false, why: `output is not ${JSON.stringify(want)}`, output };
    } else if ((m = /^\[\[? "\$\{lines\[(\d+)\]\}" (==?|=~) (.+?) \]\]?$/.exec(line))) {
      const got = lines[Number(m[1])] ?? '';
      const want = literal(m[3] ?? '');
      const ok = m[2] === '=~' ? got.includes(want) : got === want;
      if (!ok)
        return { ok: false, why: `lines[${m[1]}] is ${JSON.stringify(got)}, want ${JSON.stringify(want)}`, output };
    } else if (/^count="\$\{#lines\[@\]\}"$/.test(line)) {
      vars.set('count', String(lines.length));
    } else if ((m = /^\[ "\$count" -eq (\d+) \]$/.exec(line))) {
      if (lines.length !== Number(m[1])) return { ok: false, why: `${lines.length} lines, want ${m[1]}`, output };
    } else {
      return { ok: false, skipped: `unsupported bats line: ${line}` };
    }
  }
  return { ok: true };
}

function folderOf(c: Case): string {
  const m = /examples\/([a-z0-9-]+)/.exec(c.body.join('\n'));
  return m ? (m[1] ?? '(none)') : '(cli)';
}

const cases = parseBats(readFileSync(join(root, 'acceptance.bats'), 'utf8')).filter(
  (c) => !filter || filter.test(c.name),
);
let passed = 0;
let failed = 0;
let skipped = 0;
const folders = new Map<string, { pass: number; fail: number }>();
for (const c of cases) {
  const r = runCase(c);
  const f = folders.get(folderOf(c)) ?? { pass: 0, fail: 0 };
  folders.set(folderOf(c), f);
  if (r.skipped) {
    skipped++;
    console.log(`SKIP ${c.name}: ${r.skipped}`);
  } else if (r.ok) {
    passed++;
    f.pass++;
    console.log(`PASS ${c.name}`);
  } else {
    failed++;
    f.fail++;
    console.log(`FAIL ${c.name}: ${r.why ?? ''}`);
    if (verbose && r.output)
      console.log(
        r.output
          .split('\n')
          .map((l) => '     | ' + l)
          .join('\n'),
      );
  }
}
console.log('\nper examples/ folder (cases passing / total):');
for (const [folder, f] of [...folders].sort())
  console.log(`  ${folder.padEnd(16)} ${f.pass}/${f.pass + f.fail}${f.fail === 0 ? '' : '  <-'}`);
const fullFolders = [...folders].filter(([n, f]) => n !== '(cli)' && f.fail === 0).length;
const allFolders = [...folders].filter(([n]) => n !== '(cli)').length;
console.log(`\nexample folders fully matching: ${fullFolders}/${allFolders}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
