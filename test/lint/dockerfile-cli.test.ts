// Parser details, pragmas, configuration, output formats and the `sekisho lint dockerfile` CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../src/cli/commands/lint.ts';
import { formatFindings, lintDockerfile, LintError, parseHadolintConfig } from '../../src/lint/index.ts';
import { parseDockerfile } from '../../src/lint/dockerfile/parse.ts';
import { parseShell } from '../../src/lint/dockerfile/shell.ts';

const codes = (
  text: string,
  ...args: Parameters<typeof lintDockerfile> extends [string, string, ...infer R] ? R : never
) => lintDockerfile(text, 'Dockerfile', ...args).map((f) => `${f.line}:${f.code}`);

test('parser: continuations with comments, escape directive, heredocs, line numbers', () => {
  const p = parseDockerfile(
    '# escape=`\nFROM alpine:3.20\nRUN echo a `\n# inside\n  && echo b\nRUN <<EOF\napt-get install x\nEOF\nUSER app\n',
  );
  assert.equal(p.escape, '`');
  assert.deepEqual(
    p.instructions.map((i) => `${i.line}:${i.keyword}`),
    ['2:FROM', '3:RUN', '6:RUN', '9:USER'],
  );
  assert.equal(p.instructions[1]!.args, 'echo a    && echo b');
  assert.deepEqual(p.instructions[2]!.heredocs, ['apt-get install x']);
  // the heredoc body is linted as the RUN's script
  assert.ok(codes('FROM debian:12\nRUN <<EOF\napt-get install -y x\nEOF\n').includes('2:DL3015'));
});

test('shell splitter: operators, quotes, substitutions, assignments, redirections', () => {
  const s = parseShell(
    'A=1 apt-get install -y \'a b\' "c$(which d)" 2>&1 >/dev/null && (cd /x; make) | tee log || true',
  );
  assert.deepEqual(
    s.commands.map((c) => [c.name, ...c.args.map((a) => a.arg)]),
    [
      ['apt-get', 'install', '-y', 'a b', 'c${which d}'],
      ['cd', '/x'],
      ['make'],
      ['tee', 'log'],
      ['true'],
      ['which', 'd'],
    ],
  );
  assert.equal(s.hasPipes, true);
  assert.equal(parseShell('a || b').hasPipes, false);
  assert.deepEqual(
    parseShell('if [ -f x ]; then rm -rf y; fi').commands.map((c) => c.name),
    ['[', 'rm'],
  );
});

test('inline pragmas: next line, global, sekisho spelling', () => {
  const df = 'FROM debian\n# hadolint ignore=DL3008,DL3015\nRUN apt-get install -y x\nRUN apt-get install -y y\n';
  assert.deepEqual(
    codes(df).filter((c) => c.endsWith('DL3008')),
    ['4:DL3008'],
  );
  assert.deepEqual(codes('# hadolint global ignore=DL3006\nFROM debian\n'), []);
  assert.deepEqual(codes('# sekisho ignore=DL3006\nFROM debian\n'), []);
  // a stage pragma above FROM covers that stage only
  assert.deepEqual(codes('# hadolint stage ignore=DL3006,DL3047\nFROM debian\nRUN wget x\nFROM ubuntu\nRUN wget y\n'), [
    '4:DL3006',
    '5:DL3047',
  ]);
  // a pragma two lines above does not apply
  assert.deepEqual(codes('# hadolint ignore=DL3006\n\nFROM debian\n'), ['3:DL3006']);
});

test('.hadolint.yaml: ignored, override, trustedRegistries, failure-threshold; bad config is a LintError', () => {
  const cfg = parseHadolintConfig(
    'ignored: [DL3006]\noverride:\n  error: [DL3008]\ntrustedRegistries: [docker.io]\nfailure-threshold: warning\n',
    '.hadolint.yaml',
  );
  assert.equal(cfg.failureThreshold, 'warning');
  const f = lintDockerfile('FROM debian\nRUN apt-get install -y --no-install-recommends x\n', 'Dockerfile', cfg);
  assert.deepEqual(
    f.map((x) => `${x.code}:${x.level}`),
    ['DL3008:error'],
  );
  assert.throws(
    () => parseHadolintConfig('failure-threshold: loud\n', 'c.yaml'),
    (e: unknown) => e instanceof LintError && e.code === 'lint_config_error',
  );
  assert.throws(() => parseHadolintConfig('ignored: DL3006\n', 'c.yaml'), LintError);
});

test('formats: tty, json (hadolint shape), sarif, checkstyle, junit', () => {
  const f = lintDockerfile('FROM debian\n', 'Dockerfile');
  assert.equal(
    formatFindings(f, 'tty', ['Dockerfile']),
    'Dockerfile:1 DL3006 warning: Always tag the version of an image explicitly\n',
  );
  assert.deepEqual(JSON.parse(formatFindings(f, 'json', ['Dockerfile'])), [
    {
      code: 'DL3006',
      column: 1,
      file: 'Dockerfile',
      level: 'warning',
      line: 1,
      message: 'Always tag the version of an image explicitly',
    },
  ]);
  const sarif = JSON.parse(formatFindings(f, 'sarif', ['Dockerfile'])) as {
    version: string;
    runs: Array<{ results: Array<{ ruleId: string; level: string }> }>;
  };
  assert.equal(sarif.version, '2.1.0');
  assert.deepEqual(
    sarif.runs[0]!.results.map((r) => [r.ruleId, r.level]),
    [['DL3006', 'warning']],
  );
  assert.match(
    formatFindings(f, 'checkstyle', ['Dockerfile']),
    /<file name='Dockerfile' ><error line='1' column='1' severity='warning' message='Always tag the version of an image explicitly' source='DL3006' \/><\/file>/,
  );
  const junit = formatFindings(f, 'junit', ['Dockerfile', 'clean/Dockerfile']);
  assert.match(
    junit,
    /<testsuite name="Dockerfile" tests="1" failures="1">\n<testcase classname="Dockerfile" name="DL3006 line 1"><failure type="warning" message="Always tag the version of an image explicitly">Dockerfile:1:1 DL3006 /,
  );
  assert.match(
    junit,
    /<testsuite name="clean\/Dockerfile" tests="1" failures="0">\n<testcase classname="clean\/Dockerfile" name="no findings"\/>/,
  );
});

/** Runs `sekisho lint dockerfile ...` in-process (the command group registered on a fresh program). */
async function run(args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  register(program);
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  const prevCwd = process.cwd();
  const prevCode = process.exitCode;
  process.stdout.write = ((c: string) => (out.push(String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => (err.push(String(c)), true)) as typeof process.stderr.write;
  process.chdir(cwd);
  process.exitCode = 0;
  try {
    await program.parseAsync(['lint', 'dockerfile', ...args], { from: 'user' });
    return { status: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.chdir(prevCwd);
    process.exitCode = prevCode;
  }
}

test('CLI: exit codes by threshold, --ignore, -c config, json output, missing file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-lint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'Dockerfile'),
    'FROM debian:12\nRUN apt-get install -y --no-install-recommends curl=8\nRUN echo done\n',
  );
  let r = await run(['Dockerfile'], dir);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(
    r.stdout,
    'Dockerfile:3 DL3059 info: Multiple consecutive `RUN` instructions. Consider consolidation.\n',
  );
  r = await run(['-t', 'warning', 'Dockerfile'], dir);
  assert.equal(r.status, 0, r.stderr);
  r = await run(['--ignore', 'DL3059', '-f', 'json', 'Dockerfile'], dir);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '[]\n');
  writeFileSync(join(dir, 'lint.yaml'), 'ignored: [DL3059]\n');
  r = await run(['-c', 'lint.yaml', 'Dockerfile'], dir);
  assert.equal(r.status, 0, r.stderr);
  r = await run(['--no-fail', 'Dockerfile'], dir);
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(join(dir, '.hadolint.yaml'), 'failure-threshold: error\n');
  r = await run(['Dockerfile'], dir);
  assert.equal(r.status, 0, 'picks up ./.hadolint.yaml');
  r = await run(['missing'], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /lint_io_error: read missing/);
});

test('CLI end to end through bin/sekisho.js: findings printed, exit 1', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-lint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM debian\n');
  const r = spawnSync(
    process.execPath,
    [join(import.meta.dirname, '../../bin/sekisho.js'), 'lint', 'dockerfile', '-f', 'checkstyle', 'Dockerfile'],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /source='DL3006'/);
});
