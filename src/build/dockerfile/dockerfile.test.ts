import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildError } from '../errors.ts';
import {
  dumpNode,
  envLookup,
  expandInstruction,
  expandWord,
  expandWords,
  parseDockerfile,
  parseNodes,
  resolveMetaArgs,
  runCommand,
  selectStages,
  stageDependencies,
  type Instruction,
} from './index.ts';

function only(text: string): Instruction {
  const df = parseDockerfile(`FROM scratch\n${text}`);
  const i = df.stages[0]?.instructions[0];
  assert.ok(i, 'one instruction');
  return i;
}

function parseErr(text: string): BuildError {
  try {
    parseDockerfile(text);
  } catch (e) {
    assert.ok(e instanceof BuildError, `BuildError expected, got ${String(e)}`);
    return e;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

test('directives at the top: syntax, escape, check; not after an instruction', () => {
  const df = parseDockerfile(
    '# syntax=docker/dockerfile:1.7\n# escape=`\n# check=skip=all\nFROM busybox\nRUN echo a `\n  b\n',
  );
  assert.deepEqual(df.directives, { escape: '`', syntax: 'docker/dockerfile:1.7', check: 'skip=all' });
  const run = df.stages[0]?.instructions[0];
  assert.equal(run?.kind, 'RUN');
  if (run?.kind === 'RUN') assert.deepEqual(run.command.args, ['echo a   b']);
  const late = parseDockerfile('FROM busybox\n# escape=`\nRUN echo a \\\n b\n');
  assert.equal(late.directives.escape, '\\');
});

test('a repeated directive is an error with its line', () => {
  const e = parseErr('# escape=\\\n# escape=`\nFROM a\n');
  assert.equal(e.code, 'DOCKERFILE_PARSE');
  assert.match(e.message, /only one escape parser directive can be used/);
  assert.equal(e.location?.row, 2);
});

test('continuations keep line numbers; comments and blank lines inside continuations are dropped', () => {
  const df = parseDockerfile('FROM busybox\nRUN echo a \\\n# a comment\n  && echo b \\\n\n  && echo c\nUSER app\n');
  const [run, user] = df.stages[0]?.instructions ?? [];
  assert.equal(run?.line, 2);
  assert.equal(run?.endLine, 6);
  assert.equal(user?.line, 7);
  if (run?.kind === 'RUN') assert.equal(run.command.args[0], 'echo a   && echo b   && echo c');
  assert.equal(df.warnings.length, 1);
  assert.match(df.warnings[0]?.message ?? '', /Empty continuation line/);
});

test('exec form vs shell form for RUN, CMD, ENTRYPOINT', () => {
  const run = only('RUN ["echo", "a b"]');
  assert.ok(run.kind === 'RUN');
  assert.deepEqual(run.command, { args: ['echo', 'a b'], prependShell: false });
  const cmd = only('CMD echo $HOME');
  assert.ok(cmd.kind === 'CMD');
  assert.deepEqual(cmd.command, { args: ['echo $HOME'], prependShell: true });
  const bad = only('CMD ["echo", unquoted]');
  assert.ok(bad.kind === 'CMD');
  assert.deepEqual(bad.command.args, ['["echo", unquoted]'], 'invalid JSON falls back to shell form');
  const e = parseErr('FROM a\nCMD ["echo", 1]\n');
  assert.match(e.message, /arrays must be comprised of strings only/);
  const ep = only('ENTRYPOINT []');
  assert.ok(ep.kind === 'ENTRYPOINT');
  assert.deepEqual(ep.command.args, []);
});

test('ARG before FROM are meta args; FROM AS names are lower-cased; --platform kept', () => {
  const df = parseDockerfile(
    'ARG V=1.36\nARG OTHER\nFROM --platform=$BUILDPLATFORM busybox:${V} AS Build\nARG V\nRUN true\n',
  );
  assert.deepEqual(df.metaArgs, [{ key: 'V', value: '1.36' }, { key: 'OTHER' }]);
  const st = df.stages[0];
  assert.equal(st?.name, 'build');
  assert.equal(st?.from.image, 'busybox:${V}');
  assert.equal(st?.from.platform, '$BUILDPLATFORM');
  assert.equal(st?.instructions[0]?.kind, 'ARG');
  const meta = resolveMetaArgs(df, { OTHER: 'x' });
  assert.equal(meta.get('V'), '1.36');
  assert.equal(meta.get('OTHER'), 'x');
  assert.equal(resolveMetaArgs(df, { V: '9' }).get('V'), '9');
});

test('invalid stage names and FROM argument counts', () => {
  assert.match(parseErr('FROM a AS 1x\n').message, /invalid name for build stage: "1x"/);
  assert.match(parseErr('FROM a b\n').message, /FROM requires either one or three arguments/);
  assert.match(parseErr('FROM a AS x\nFROM b AS X\n').message, /duplicate stage name "x"/);
});

test('unknown instruction suggests the closest one, with file:line:col', () => {
  const e = parseErr('FROM busybox\n  RUNN echo hi\n');
  assert.equal(e.code, 'DOCKERFILE_PARSE');
  assert.deepEqual(e.location, { file: 'Dockerfile', row: 2, col: 3 });
  assert.equal(e.message, 'unknown instruction: RUNN (did you mean RUN?)');
  assert.equal(e.describe(), 'Dockerfile:2:3: unknown instruction: RUNN (did you mean RUN?)');
  assert.equal(
    parseErr('FROM a\ncopyy a b\n').describe(),
    'Dockerfile:2:1: unknown instruction: copyy (did you mean copy?)',
  );
  assert.equal(parseErr('FROM a\nFOOBAR x\n').message, 'unknown instruction: FOOBAR');
});

test('unknown and malformed flags are reported like BuildKit', () => {
  const e = parseErr('FROM a\nCOPY --chmon=755 a b\n');
  assert.equal(e.describe(), 'Dockerfile:2:6: unknown flag: --chmon (did you mean chmod?)');
  assert.match(parseErr('FROM a\nCOPY --from a b\n').message, /missing a value on flag: --from/);
  assert.match(
    parseErr('FROM a\nCOPY --link=maybe a b\n').message,
    /expecting boolean value for flag --link, not: maybe/,
  );
  assert.match(parseErr('FROM a\nCOPY --chown=1 --chown=2 a b\n').message, /duplicate flag specified: --chown/);
  assert.match(parseErr('FROM a\nENV --x=1 A=b\n').message, /unknown flag: --x/);
});

test('argument count errors', () => {
  assert.match(
    parseErr('FROM a\nCOPY onlyone\n').message,
    /COPY requires at least two arguments, but only one was provided/,
  );
  assert.match(parseErr('FROM a\nWORKDIR\n').message, /WORKDIR requires exactly one argument/);
  assert.match(parseErr('FROM a\nUSER\n').message, /USER requires exactly one argument/);
  assert.match(parseErr('FROM a\nEXPOSE\n').message, /EXPOSE requires at least one argument/);
  assert.match(parseErr('FROM a\nSHELL /bin/sh -c\n').message, /SHELL requires the arguments to be in JSON form/);
  assert.match(parseErr('FROM a\nENV A\n').message, /ENV must have two arguments/);
  assert.match(parseErr('FROM a\nLABEL a=b c\n').message, /can't find = in "c"/);
  assert.match(parseErr('RUN true\n').message, /no build stage in current context/);
  assert.match(parseErr('# just a comment\n').message, /file with no instructions/);
});

test('COPY and ADD flags', () => {
  const c = only(
    'COPY --from=build --chown=app:app --chmod=0644 --link --exclude=*.md --exclude=tmp --parents a b* /dst/',
  );
  assert.ok(c.kind === 'COPY');
  assert.equal(c.from, 'build');
  assert.equal(c.chown, 'app:app');
  assert.equal(c.chmod, '0644');
  assert.equal(c.link, true);
  assert.equal(c.parents, true);
  assert.deepEqual(c.exclude, ['*.md', 'tmp']);
  assert.deepEqual(c.sources, ['a', 'b*']);
  assert.equal(c.dest, '/dst/');
  const a = only('ADD --keep-git-dir=false --checksum=sha256:abc --unpack=true ["x y.tar", "/opt/"]');
  assert.ok(a.kind === 'ADD');
  assert.equal(a.keepGitDir, false);
  assert.equal(a.checksum, 'sha256:abc');
  assert.equal(a.unpack, true);
  assert.equal(a.json, true);
  assert.deepEqual(a.sources, ['x y.tar']);
});

test('RUN --mount is parsed with BuildKit defaults; bad mounts are errors', () => {
  const r = only(
    'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt --mount=type=secret,id=tok,required --mount=type=bind,from=build,source=/out,target=/in --mount=type=tmpfs,target=/t,size=64m --network=none --security=sandbox make',
  );
  assert.ok(r.kind === 'RUN');
  assert.equal(r.mounts.length, 4);
  assert.deepEqual(
    r.mounts.map((m) => [m.type, m.target, m.readonly]),
    [
      ['cache', '/var/cache/apt', false],
      ['secret', undefined, true],
      ['bind', '/in', true],
      ['tmpfs', '/t', false],
    ],
  );
  assert.equal(r.mounts[0]?.sharing, 'locked');
  assert.equal(r.mounts[1]?.id, 'tok');
  assert.equal(r.mounts[1]?.required, true);
  assert.equal(r.mounts[2]?.from, 'build');
  assert.equal(r.mounts[3]?.size, 64 * 1024 * 1024);
  assert.equal(r.network, 'none');
  assert.match(
    parseErr('FROM a\nRUN --mount=type=cahce,target=/x true\n').message,
    /unsupported mount type "cahce" \(did you mean cache\?\)/,
  );
  assert.match(
    parseErr('FROM a\nRUN --mount=type=bind,mode=0600,target=/x true\n').message,
    /mode not allowed for "bind" type mounts/,
  );
  assert.match(parseErr('FROM a\nRUN --mount=type=secret true\n').message, /invalid secret mount/);
  assert.match(parseErr('FROM a\nRUN --mount=target=/x,from=$X true\n').message, /doesn't support variable expansion/);
  assert.match(parseErr('FROM a\nRUN --network=bridge true\n').message, /invalid network mode "bridge"/);
});

test('heredocs: RUN script, COPY file, quoted delimiter, <<- tab stripping, several per line', () => {
  const df = parseDockerfile(
    'FROM busybox\nRUN <<EOF\necho $HOME\nEOF\nCOPY <<"A" <<-B /dst/\nraw $X\nA\n\tchomped $X\n\tB\nRUN 3<<X cat /dev/fd/3\nfd three\nX\nUSER app\n',
  );
  const [run, copy, run3, user] = df.stages[0]?.instructions ?? [];
  assert.ok(run?.kind === 'RUN' && copy?.kind === 'COPY' && run3?.kind === 'RUN');
  assert.deepEqual(run.files, [{ name: 'EOF', data: 'echo $HOME\n', chomp: false }]);
  assert.deepEqual(runCommand(run), { argv: ['echo $HOME\n'], prependShell: true });
  assert.deepEqual(copy.sourceContents, [
    { path: 'A', data: 'raw $X\n', expand: false },
    { path: 'B', data: 'chomped $X\n', expand: true },
  ]);
  const expanded = expandInstruction(copy, envLookup({ X: 'x!' }));
  assert.deepEqual(
    expanded.sourceContents.map((s) => s.data),
    ['raw $X\n', 'chomped x!\n'],
  );
  assert.equal(run3.heredocs[0]?.fd, 3);
  assert.equal(runCommand(run3).argv[0], '3<<X cat /dev/fd/3\nfd three\nX');
  assert.equal(user?.line, 13);
});

test('heredoc with a shebang becomes a script file', () => {
  const r = only('RUN <<EOF\n#!/bin/sh\necho hi\nEOF');
  assert.ok(r.kind === 'RUN');
  const c = runCommand(r);
  assert.deepEqual(c.argv, ['/dev/pipes/EOF']);
  assert.equal(c.scriptFile?.data, '#!/bin/sh\necho hi\n');
  assert.equal(c.scriptFile?.mode, 0o755);
});

test('unterminated heredoc and heredoc as COPY destination are errors', () => {
  assert.match(parseErr('FROM a\nRUN <<EOF\necho\n').message, /unterminated heredoc/);
  assert.match(parseErr('FROM a\nCOPY a <<EOF\nx\nEOF\n').message, /COPY cannot accept a heredoc as a destination/);
});

test('ENV and LABEL: both forms, quotes kept until expansion', () => {
  const env = only('ENV A=1 B="two words" C=a\\ b');
  assert.ok(env.kind === 'ENV');
  assert.deepEqual(
    env.env.map((e) => [e.key, e.value]),
    [
      ['A', '1'],
      ['B', '"two words"'],
      ['C', 'a\\ b'],
    ],
  );
  const exp = expandInstruction(env, () => undefined);
  assert.deepEqual(
    exp.env.map((e) => e.value),
    ['1', 'two words', 'a b'],
  );
  const legacy = only('ENV PATH /usr/local/bin:$PATH');
  assert.ok(legacy.kind === 'ENV');
  assert.deepEqual(legacy.env, [{ key: 'PATH', value: '/usr/local/bin:$PATH', noDelim: true }]);
  assert.equal(expandInstruction(legacy, envLookup(['PATH=/bin'])).env[0]?.value, '/usr/local/bin:/bin');
  const label = only('LABEL "com.example.vendor"="ACME Inc" version=1.0');
  assert.ok(label.kind === 'LABEL');
  assert.deepEqual(
    expandInstruction(label, () => undefined).labels.map((l) => [l.key, l.value]),
    [
      ['com.example.vendor', 'ACME Inc'],
      ['version', '1.0'],
    ],
  );
});

test('HEALTHCHECK options and forms', () => {
  const h = only(
    'HEALTHCHECK --interval=30s --timeout=1m30s --start-period=5s --start-interval=500ms --retries=3 CMD ["wget", "-q", "localhost"]',
  );
  assert.ok(h.kind === 'HEALTHCHECK');
  assert.deepEqual(h.health, {
    test: ['CMD', 'wget', '-q', 'localhost'],
    interval: 30e9,
    timeout: 90e9,
    startPeriod: 5e9,
    startInterval: 500e6,
    retries: 3,
  });
  const s = only('HEALTHCHECK CMD curl -f http://localhost/ || exit 1');
  assert.ok(s.kind === 'HEALTHCHECK');
  assert.deepEqual(s.health.test, ['CMD-SHELL', 'curl -f http://localhost/ || exit 1']);
  const n = only('HEALTHCHECK NONE');
  assert.ok(n.kind === 'HEALTHCHECK');
  assert.deepEqual(n.health.test, ['NONE']);
  assert.match(parseErr('FROM a\nHEALTHCHECK --interval=5 CMD x\n').message, /missing unit in duration "5"/);
  assert.match(parseErr('FROM a\nHEALTHCHECK --retries=-1 CMD x\n').message, /--retries cannot be negative/);
  assert.match(parseErr('FROM a\nHEALTHCHECK FOO x\n').message, /Unknown type "FOO" in HEALTHCHECK/);
});

test('ONBUILD stores its trigger; chaining and FROM triggers are refused', () => {
  const o = only('ONBUILD RUN echo built');
  assert.ok(o.kind === 'ONBUILD');
  assert.equal(o.expression, 'RUN echo built');
  assert.equal(o.trigger.kind, 'RUN');
  assert.match(parseErr('FROM a\nONBUILD ONBUILD RUN x\n').message, /Chaining ONBUILD/);
  assert.match(parseErr('FROM a\nONBUILD FROM x\n').message, /FROM isn't allowed as an ONBUILD trigger/);
});

test('EXPOSE, VOLUME, STOPSIGNAL, USER, WORKDIR, SHELL, MAINTAINER are expanded the BuildKit way', () => {
  const look = envLookup({ P: '8080 9090', D: '/data', S: 'SIGTERM', U: 'app', W: '/srv' });
  const ex = expandInstruction(only('EXPOSE $P 53/udp'), look);
  assert.ok(ex.kind === 'EXPOSE');
  assert.deepEqual(ex.ports, ['8080', '9090', '53/udp']);
  const vol = expandInstruction(only('VOLUME ["$D", "/b"]'), look);
  assert.ok(vol.kind === 'VOLUME');
  assert.deepEqual(vol.volumes, ['/data', '/b']);
  const ss = expandInstruction(only('STOPSIGNAL $S'), look);
  assert.ok(ss.kind === 'STOPSIGNAL' && ss.signal === 'SIGTERM');
  const u = expandInstruction(only('USER ${U}:${G:-app}'), look);
  assert.ok(u.kind === 'USER' && u.user === 'app:app');
  const w = expandInstruction(only('WORKDIR $W/x'), look);
  assert.ok(w.kind === 'WORKDIR' && w.path === '/srv/x');
  const run = expandInstruction(only('RUN echo $W'), look);
  assert.ok(run.kind === 'RUN' && run.command.args[0] === 'echo $W', 'RUN is left to the shell');
  const sh = only('SHELL ["/bin/sh", "-ec"]');
  assert.ok(sh.kind === 'SHELL');
  assert.deepEqual(sh.shell, ['/bin/sh', '-ec']);
  const m = only('MAINTAINER Jane <j@example.com>');
  assert.ok(m.kind === 'MAINTAINER' && m.maintainer === 'Jane <j@example.com>');
});

test('expandWord: defaults, alternatives, required, pattern trims, quotes and escapes', () => {
  const l = envLookup({ A: 'a', E: '', P: 'dir/sub/file.tar.gz' });
  assert.equal(expandWord('${A:-x}${U:-y}${E:-z}${E-w}', l), 'ayz');
  assert.equal(expandWord('${A:+set}${U:+no}${E+empty-set}', l), 'setempty-set');
  assert.equal(
    expandWord('${P#*/}|${P##*/}|${P%.*}|${P%%.*}', l),
    'sub/file.tar.gz|file.tar.gz|dir/sub/file.tar|dir/sub/file',
  );
  assert.equal(expandWord('${P/sub/SUB}', l), 'dir/SUB/file.tar.gz');
  assert.equal(expandWord(`'$A'"$A"\\$A`, l), '$aa$A'.replace('$a', '$A'));
  assert.throws(() => expandWord('${U:?must be set}', l), /U: must be set/);
  assert.throws(
    () => expandWord('${A:-x', l),
    (e: unknown) => e instanceof BuildError && /missing '}'/.test(e.message),
  );
  assert.deepEqual(expandWords('a "b c" $A', l), ['a', 'b c', 'a']);
  assert.equal(expandWord('a`$A', l, { escape: '`' }), 'a$A');
});

test('stage selection: target, dependencies through FROM, COPY --from and RUN --mount from, unused stages skipped', () => {
  const df = parseDockerfile(
    [
      'ARG BASE=busybox',
      'FROM ${BASE} AS base',
      'FROM base AS deps',
      'RUN true',
      'FROM busybox AS unused',
      'FROM busybox AS assets',
      'FROM alpine AS tool',
      'FROM base AS final',
      'COPY --from=deps /a /a',
      'COPY --from=3 /b /b',
      'RUN --mount=from=tool,target=/t true',
      'COPY --from=docker.io/library/nginx /etc/nginx /etc/nginx',
    ].join('\n'),
  );
  assert.deepEqual(selectStages(df), [0, 1, 3, 4, 5]);
  assert.deepEqual(selectStages(df, 'deps'), [0, 1]);
  assert.deepEqual(stageDependencies(df, 5), { stages: [0, 1, 3, 4], images: ['docker.io/library/nginx'] });
  assert.throws(() => selectStages(df, 'nope'), /target stage "nope" could not be found/);
  assert.throws(() => selectStages(df, 'finl'), /did you mean final\?/);
});

test('circular stage dependencies are refused; --from does not expand variables', () => {
  const df = parseDockerfile('FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n');
  assert.throws(() => selectStages(df), /circular dependency detected on stage: /);
  const df2 = parseDockerfile('FROM busybox\nARG S=x\nCOPY --from=$S /a /a\n');
  assert.throws(() => selectStages(df2), /variable expansion is not supported for --from/);
});

test('the low-level tree dumps in BuildKit format', () => {
  const r = parseNodes('FROM busybox\nONBUILD RUN echo "hi"\nCOPY --chown=1:1 ["a", "b"]\nENV A 1 B 2\n');
  assert.equal(
    dumpNode(r.ast),
    '(from "busybox")\n(onbuild (run "echo \\"hi\\""))\n(copy ["--chown=1:1"] "a" "b")\n(env "A" "1 B 2" "")',
  );
});

test('every Dockerfile of the build comparison corpus parses and resolves its stages', async () => {
  const { readdirSync, readFileSync, existsSync } = await import('node:fs');
  const corpus = new URL('../../../test/build/corpus/', import.meta.url);
  const names = readdirSync(corpus).filter((n) => existsSync(new URL(`${n}/Dockerfile`, corpus)));
  assert.ok(names.length >= 30, `corpus has ${names.length} cases`);
  for (const n of names) {
    const df = parseDockerfile(readFileSync(new URL(`${n}/Dockerfile`, corpus), 'utf8'), { file: `${n}/Dockerfile` });
    const meta = existsSync(new URL(`${n}/case.json`, corpus))
      ? (JSON.parse(readFileSync(new URL(`${n}/case.json`, corpus), 'utf8')) as { target?: string })
      : {};
    assert.ok(
      selectStages(df, meta.target, { BASE: 'busybox', ONBUILD_BASE: 'busybox', SRV: 'http://127.0.0.1:1' }).length >=
        1,
      n,
    );
  }
});

test('BuildError.describe prefixes the location once', () => {
  const e = parseErr('FROM a\nRUNN x\n');
  assert.equal(e.describe(), `Dockerfile:2:1: ${e.message}`);
  const other = new BuildError('RUN_FAILED', 'exit 1', { location: { file: 'Dockerfile', row: 3 } });
  assert.equal(other.describe(), 'Dockerfile:3: exit 1');
});

test('random token soup either parses or fails with a located BuildError, never a crash', () => {
  const tokens = [
    'FROM',
    'RUN',
    'COPY',
    'ENV',
    'ARG',
    'ONBUILD',
    'HEALTHCHECK',
    'busybox',
    'AS',
    'x',
    '--mount=type=cache,target=/c',
    '--from=x',
    '--chmod=7',
    '<<EOF',
    '<<-"E"',
    'EOF',
    '\\',
    '`',
    '"',
    "'",
    '[',
    ']',
    '["a"]',
    '${A:-b}',
    '$',
    '=',
    'a=b',
    '#',
    '# escape=`',
    '\n',
    '\n',
    '\n',
    ' ',
    ' ',
    '\t',
    '{',
    '}',
    '--',
    '-',
  ];
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 400; i++) {
    let text = '';
    const len = 5 + rnd(40);
    for (let j = 0; j < len; j++) text += (tokens[rnd(tokens.length)] ?? '') + (rnd(3) === 0 ? '' : ' ');
    try {
      const df = parseDockerfile(text);
      for (const st of df.stages) for (const ins of st.instructions) expandInstruction(ins, () => 'v');
    } catch (e) {
      assert.ok(e instanceof BuildError, `not a BuildError for ${JSON.stringify(text)}: ${String(e)}`);
      if (e.code === 'DOCKERFILE_PARSE')
        assert.ok(e.location && e.location.row >= 1, `no location for ${JSON.stringify(text)}`);
    }
  }
});
