// Runs moby/buildkit's own Dockerfile frontend test data against Sekisho's frontend:
//   frontend/dockerfile/parser/testfiles/*/{Dockerfile,result}   AST dumps must match byte for byte
//   frontend/dockerfile/parser/testfiles-negative/*/Dockerfile   must be rejected
//   frontend/dockerfile/parser/testfile-line/Dockerfile          line numbers
//   frontend/dockerfile/parser/parser_heredoc_test.go           the heredocs of TestParseExtractsHeredoc (read as data)
//   frontend/dockerfile/instructions/parse_test.go              TestErrorCases messages; every instruction with odd
//                                                                arguments parses or fails with a BuildError
//   frontend/dockerfile/shell/envVarTest, wordsTest              shell-lex expansion and word splitting
// The data is fetched outside the repo (e.g. `git archive` of a buildkit checkout into ../corpora/buildkit).
// Usage: node --import tsx test/conformance/build-dockerfile.ts [BUILDKIT_DIR]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpNode, parseNodes } from '../../src/build/dockerfile/parser.ts';
import { INSTRUCTION_NAMES, parseDockerfile, selectStages } from '../../src/build/dockerfile/index.ts';
import { BuildError } from '../../src/build/errors.ts';
import { ShellLex } from '../../src/build/dockerfile/shell-lex.ts';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const root = positional[0] ?? process.env.BUILDKIT_DIR ?? join('..', 'corpora', 'buildkit');
// --dockerfiles=DIR: real-world Dockerfiles (every file named `Dockerfile` below DIR) must parse and
// their stage graph must resolve (e.g. docker-library images checked out under ../corpora/dockerfiles).
const realWorld = process.argv.find((a) => a.startsWith('--dockerfiles='))?.slice('--dockerfiles='.length);
const parserDir = join(root, 'frontend/dockerfile/parser');
const shellDir = join(root, 'frontend/dockerfile/shell');
if (!existsSync(parserDir)) {
  console.error(`buildkit test data not found under ${root} (expected frontend/dockerfile/parser)`);
  process.exit(2);
}

let passed = 0;
let failed = 0;
const verbose = process.env.VERBOSE === '1';
function report(group: string, name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  if (!ok || verbose) console.log(`${ok ? 'PASS' : 'FAIL'} ${group}/${name}${detail ? `: ${detail}` : ''}`);
}

const groupCounts = new Map<string, [number, number]>();
function tally(group: string, fn: () => void): void {
  const p0 = passed;
  const f0 = failed;
  fn();
  groupCounts.set(group, [passed - p0, failed - f0]);
}

tally('parser/testfiles', () => {
  for (const d of readdirSync(join(parserDir, 'testfiles')).sort()) {
    const df = readFileSync(join(parserDir, 'testfiles', d, 'Dockerfile'), 'utf8');
    const want = readFileSync(join(parserDir, 'testfiles', d, 'result'), 'utf8');
    try {
      const got = dumpNode(parseNodes(df).ast) + '\n';
      report('testfiles', d, got === want, got === want ? '' : `\n--- got\n${got}--- want\n${want}`);
    } catch (e) {
      report('testfiles', d, false, (e as Error).message);
    }
  }
});

tally('parser/testfiles-negative', () => {
  for (const d of readdirSync(join(parserDir, 'testfiles-negative')).sort()) {
    const df = readFileSync(join(parserDir, 'testfiles-negative', d, 'Dockerfile'), 'utf8');
    try {
      parseNodes(df);
      report('testfiles-negative', d, false, 'parsed without error');
    } catch {
      report('testfiles-negative', d, true);
    }
  }
});

tally('parser/testfile-line', () => {
  const f = join(parserDir, 'testfile-line/Dockerfile');
  if (!existsSync(f)) return;
  const ast = parseNodes(readFileSync(f, 'utf8')).ast;
  const got = [ast.startLine, ast.endLine, ...ast.children.flatMap((c) => [c.startLine, c.endLine])];
  const want = [5, 31, 5, 5, 11, 12, 17, 31]; // parser_test.go TestParseIncludesLineNumbers
  report('testfile-line', 'Dockerfile', JSON.stringify(got) === JSON.stringify(want), `got ${JSON.stringify(got)}`);
});

// parser_heredoc_test.go TestParseExtractsHeredoc: a Dockerfile and the heredocs BuildKit extracts from each
// instruction (Go source, read as data: the backquoted Dockerfile and the `tests := [][]Heredoc{...}` table).
tally('parser/heredocs', () => {
  const f = join(parserDir, 'parser_heredoc_test.go');
  if (!existsSync(f)) return;
  const go = readFileSync(f, 'utf8');
  const m =
    /func TestParseExtractsHeredoc[\s\S]*?bytes\.NewBufferString\(`([\s\S]*?)`\)[\s\S]*?tests := \[\]\[\]Heredoc\{([\s\S]*?)\n\t\}\n/.exec(
      go,
    );
  if (!m) {
    report('heredocs', 'TestParseExtractsHeredoc', false, 'test table not found');
    return;
  }
  const table = (m[2] ?? '').replace(/^\s*\/\/.*$/gm, '');
  // depth 1: `nil` or `{` (a list); depth 2: `{ Name: ..., Content: ..., ... }`
  const expected: Array<Array<Record<string, unknown>> | null> = [];
  let depth = 0;
  let cur: Array<Record<string, unknown>> | null = null;
  for (let i = 0; i < table.length; i++) {
    const c = table[i];
    if (depth === 0 && table.startsWith('nil', i)) {
      expected.push(null);
      i += 2;
    } else if (c === '{') {
      depth++;
      if (depth === 1) cur = [];
      else if (depth === 2) {
        const end = table.indexOf('}', i);
        const body = table.slice(i + 1, end);
        const h: Record<string, unknown> = { name: '', content: '', expand: false, chomp: false, fd: 0 };
        for (const fm of body.matchAll(/(\w+):\s*("(?:[^"\\]|\\.)*"|true|false|\d+)/g)) {
          const key = { Name: 'name', Content: 'content', Expand: 'expand', Chomp: 'chomp', FileDescriptor: 'fd' }[
            fm[1] ?? ''
          ];
          if (key) h[key] = JSON.parse(fm[2] ?? 'null');
        }
        cur?.push(h);
        i = end;
        depth--;
      }
    } else if (c === '}') {
      depth--;
      if (depth === 0 && cur) {
        expected.push(cur);
        cur = null;
      }
    }
  }
  const children = parseNodes(m[1] ?? '').ast.children;
  expected.forEach((want, k) => {
    const child = children[k + 1];
    const got = (child?.heredocs ?? []).map((h) => ({
      name: h.name,
      content: h.content,
      expand: h.expand,
      chomp: h.chomp,
      fd: h.fileDescriptor,
    }));
    const w = want ?? [];
    report(
      'heredocs',
      `instruction ${k + 2}`,
      JSON.stringify(got) === JSON.stringify(w),
      `${child?.original ?? ''}: got ${JSON.stringify(got)}, want ${JSON.stringify(w)}`,
    );
  });
});

// instructions/parse_test.go: TestErrorCases (Dockerfile → error text) and TestNilLinter (every instruction with
// odd arguments must give a result or a proper parse error, never a crash).
tally('instructions (TestErrorCases, no-crash)', () => {
  const f = join(root, 'frontend/dockerfile/instructions/parse_test.go');
  if (!existsSync(f)) return;
  const go = readFileSync(f, 'utf8');
  const block = /func TestErrorCases[\s\S]*?\n\t\}\n/.exec(go)?.[0] ?? '';
  const goString = (lit: string): string => (lit.startsWith('`') ? lit.slice(1, -1) : (JSON.parse(lit) as string));
  for (const cm of block.matchAll(
    /dockerfile:\s*(`[^`]*`|"(?:[^"\\]|\\.)*"),\s*expectedError:\s*("(?:[^"\\]|\\.)*")/g,
  )) {
    const df = goString(cm[1] ?? '""');
    const want = goString(cm[2] ?? '""');
    try {
      parseDockerfile('FROM scratch\n' + df);
      report('instructions/errors', JSON.stringify(df), false, 'no error');
    } catch (e) {
      const msg = e instanceof BuildError ? e.message : String(e);
      report(
        'instructions/errors',
        JSON.stringify(df),
        msg.includes(want),
        `got ${JSON.stringify(msg)}, want …${want}…`,
      );
    }
  }
  for (const cmd of INSTRUCTION_NAMES) {
    for (const tc of [' foo=bar', ' a', ' a b', ' a b c', ' 0 0']) {
      const text = `FROM busybox\n${cmd.toLowerCase()}${tc}`;
      try {
        parseDockerfile(text);
        report('instructions/no-crash', JSON.stringify(text), true);
      } catch (e) {
        report('instructions/no-crash', JSON.stringify(text), e instanceof BuildError, String(e));
      }
    }
  }
});

tally('shell/envVarTest', () => {
  const f = join(shellDir, 'envVarTest');
  if (!existsSync(f)) return;
  const env: Record<string, string> = { PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '' };
  let n = 0;
  for (const raw of readFileSync(f, 'utf8').split('\n')) {
    n++;
    if (raw.startsWith('#')) continue;
    const line = raw.trim();
    if (line === '') continue;
    const [plat, src, want] = line.split('|').map((s) => s.trim());
    if (plat === 'W') continue; // Windows-only expectations
    let got: string;
    try {
      got = new ShellLex('\\').processWord(src ?? '', (k) => env[k]);
    } catch {
      got = 'error';
    }
    report(
      'envVarTest',
      `line ${n}`,
      got === want,
      `${JSON.stringify(src)} → ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
    );
  }
});

tally('shell/wordsTest', () => {
  const f = join(shellDir, 'wordsTest');
  if (!existsSync(f)) return;
  // BuildKit's TestShellParser4Words effectively runs only its first mode (the file reader is spent after it).
  const env = new Map<string, string>();
  let n = 0;
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    n++;
    if (line.startsWith('#') || line === '') continue;
    if (line.startsWith('ENV ')) {
      const kv = line.slice(3).replace(/^ +/, '');
      const i = kv.indexOf('=');
      env.set(i < 0 ? kv : kv.slice(0, i), i < 0 ? '' : kv.slice(i + 1));
      continue;
    }
    const [test, rest] = line.split('|');
    const want = (rest ?? '').replace(/^ +/, '').split(',');
    let got: string[];
    try {
      got = new ShellLex('\\').processWords((test ?? '').trim(), (k) => env.get(k));
    } catch {
      got = ['error'];
    }
    report(
      'wordsTest',
      `line ${n}`,
      JSON.stringify(got) === JSON.stringify(want),
      `${JSON.stringify(test)} → ${JSON.stringify(got)}`,
    );
  }
});

function findDockerfiles(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) findDockerfiles(p, out);
    else if (e.name === 'Dockerfile') out.push(p);
  }
  return out;
}

if (realWorld) {
  tally('real-world Dockerfiles', () => {
    for (const f of findDockerfiles(realWorld, []).sort()) {
      try {
        const df = parseDockerfile(readFileSync(f, 'utf8'), { file: f });
        selectStages(df);
        report('real-world', f.slice(realWorld.length + 1), true);
      } catch (e) {
        report('real-world', f.slice(realWorld.length + 1), false, (e as Error).message);
      }
    }
  });
}

for (const [g, [p, f]] of groupCounts) console.log(`${g}: ${p} passed, ${f} failed`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
