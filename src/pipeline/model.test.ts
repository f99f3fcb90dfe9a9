import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePipeline, parseDuration } from './model.ts';
import { PipelineErrors, describeError } from './errors.ts';
import { evaluate, parseExpr, parseTemplate, renderTemplate, type EvalContext, type Value } from './expr.ts';

const head = 'apiVersion: ci.sekisho.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: app\nspec:\n';

function errorsOf(text: string): string[] {
  try {
    parsePipeline(text, 'p.yaml');
  } catch (e) {
    assert.ok(e instanceof PipelineErrors, String(e));
    return e.errors.map(describeError);
  }
  assert.fail('expected errors');
}

test('a valid pipeline parses with defaults filled in', () => {
  const { pipeline } = parsePipeline(
    head +
      `  params:\n    - name: image\n      default: reg/app\n  secrets:\n    - name: key\n      secretRef: {file: cosign.key}\n` +
      `  steps:\n    - id: build\n      uses: build\n      with: {tags: ["\${{ params.image }}"]}\n` +
      `    - id: test\n      run: npm test\n      needs: build\n      timeout: 1m30s\n      retries: 2\n` +
      `      when: steps.build.outputs.digest != ''\n      env:\n        TOKEN: {secretRef: {env: GH_TOKEN}}\n`,
    'p.yaml',
  );
  assert.equal(pipeline.spec.steps.length, 2);
  const t = pipeline.spec.steps[1]!;
  assert.equal(t.uses, 'run');
  assert.deepEqual(t.needs, ['build']);
  assert.equal(t.timeoutMs, 90_000);
  assert.equal(t.retries, 2);
  assert.deepEqual(t.env.TOKEN, { secretRef: { env: 'GH_TOKEN' } });
  assert.deepEqual(pipeline.spec.secrets, [{ name: 'key', secretRef: { file: 'cosign.key' } }]);
});

test('validation errors name file:line:col of the offending node, all at once', () => {
  const errs = errorsOf(
    head +
      `  steps:\n` + // line 6
      `    - id: a\n` + // 7
      `      uses: bild\n` + // 8
      `    - id: b\n` + // 9
      `      run: echo \${{ steps.c.outputs.x }}\n` + // 10
      `      needs: [c]\n` + // 11
      `      timeout: soon\n` + // 12
      `    - id: c\n` + // 13
      `      run: echo \${{ params.nope }}\n` + // 14
      `      needs: [b]\n` + // 15
      `      colour: red\n`, // 16
  );
  const joined = errs.join('\n');
  assert.match(joined, /p\.yaml:8:13: step a: unknown uses "bild"/);
  assert.match(joined, /p\.yaml:12:16: invalid timeout "soon"/);
  assert.match(joined, /p\.yaml:14:\d+: unknown param "nope"/);
  assert.match(joined, /p\.yaml:16:7: unknown step field "colour"/);
  assert.match(joined, /needs cycle/);
});

test('reading a step output requires needing that step; secrets must be references', () => {
  const errs = errorsOf(
    head +
      `  secrets:\n    - name: tok\n      value: hunter2\n      secretRef: {env: TOK}\n` +
      `  steps:\n    - id: a\n      run: echo hi\n    - id: b\n      run: echo \${{ steps.a.outputs.x }}\n`,
  );
  assert.ok(
    errs.some((e) => /p\.yaml:8:7: secrets are references/.test(e)),
    errs.join('\n'),
  );
  assert.ok(
    errs.some((e) => /p\.yaml:14:\d+: step b reads steps\.a but does not need it/.test(e)),
    errs.join('\n'),
  );
});

test('YAML syntax errors carry their position', () => {
  const errs = errorsOf(head + '  steps:\n    - id: a\n      run: [unclosed\n');
  assert.match(errs[0]!, /^p\.yaml:\d+:\d+: /);
});

test('durations', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration(5), 5000);
  assert.equal(parseDuration('5 minutes'), undefined);
});

test('expressions: references, operators, functions', () => {
  const ctx: EvalContext = {
    root: (n: string): Value | undefined =>
      n === 'params'
        ? { env: 'Prod', n: '3' }
        : n === 'steps'
          ? { build: { outputs: { digest: 'sha256:ab' } } }
          : undefined,
  };
  const ev = (s: string) => evaluate(parseExpr(s), ctx);
  assert.equal(ev("params.env == 'prod'"), true);
  assert.equal(ev('params.n > 2 && !false'), true);
  assert.equal(ev("startsWith(steps.build.outputs.digest, 'sha256:')"), true);
  assert.equal(ev("format('{0}@{1}', 'img', steps.build.outputs.digest)"), 'img@sha256:ab');
  assert.equal(ev("params.missing || 'dflt'"), 'dflt');
  assert.equal(ev("steps['build'].outputs.digest"), 'sha256:ab');
  assert.equal(renderTemplate(parseTemplate('x-${{ params.n }}-${{ params.env }}'), ctx), 'x-3-Prod');
  assert.throws(() => parseExpr('params.'), /property name/);
  assert.throws(() => parseExpr('nosuch(1)'), /unknown function/);
});
