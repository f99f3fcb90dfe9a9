import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PolicyError } from '../../errors.ts';
import { evaluateJsonnet, jsonnetParser, JsonnetError } from './index.ts';

const ev = (src: string) => evaluateJsonnet(src, 'test.jsonnet');

function runtimeError(src: string): JsonnetError {
  try {
    ev(src);
  } catch (e) {
    assert.ok(e instanceof JsonnetError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

test('jsonnet: objects with self, super, +:, hidden fields and $', () => {
  assert.deepEqual(
    ev(`
local base = { name: 'web', replicas: 1, labels: { app: $.name_ }, name_:: self.name, root: $.name };
base + { name: 'api', replicas+: 2, labels+: { tier: 'back' }, old: super.name }`),
    { name: 'api', replicas: 3, labels: { app: 'api', tier: 'back' }, old: 'web', root: 'api' },
  );
  assert.deepEqual(ev(`{ a:: 1 } + { a: 2 }`), {});
  assert.deepEqual(ev(`{ a:: 1 } + { a::: 2 }`), { a: 2 });
  assert.deepEqual(ev(`{ a: 1 } { b: 'a' in super, c: 'z' in super }`), { a: 1, b: true, c: false });
});

test('jsonnet: comprehensions, functions, locals, conditionals, slices', () => {
  assert.deepEqual(ev(`[x * x for x in std.range(1, 5) if x % 2 == 1]`), [1, 9, 25]);
  assert.deepEqual(ev(`{ [k + '_x']: v for k in ['a', 'b'] for v in [1] }`), { a_x: 1, b_x: 1 });
  assert.equal(ev(`local f(x, y=2) = x * y; f(3) + f(y=1, x=4)`), 10);
  assert.equal(ev(`local sum(x, v) = if x <= 0 then v else sum(x - 1, x + v) tailstrict; sum(10000, 0)`), 50005000);
  assert.deepEqual(ev(`[[1, 2, 3, 4, 5][1:4:2], 'hello'[1:3], [1, 2, 3][::-1 + 2]]`), [[2, 4], 'el', [1, 2, 3]]);
  assert.equal(ev(`local x = if false then 1; x == null`), true);
});

test('jsonnet: the standard library and string formatting', () => {
  assert.equal(ev(`'%s has %03d items (%.2f%%)' % ['cart', 7, 12.345]`), 'cart has 007 items (12.35%)');
  assert.equal(ev(`'%(a)s-%(b)5s' % { a: 1, b: 'x' }`), '1-    x');
  assert.equal(
    ev(`std.manifestYamlDoc({ b: [1, { c: 'x\\ny\\n' }], a: true })`),
    '"a": true\n"b":\n- 1\n- "c": |\n    x\n    y',
  );
  assert.deepEqual(ev(`std.sort(['b', 'a', 'c'])`), ['a', 'b', 'c']);
  assert.deepEqual(ev(`std.objectRemoveKey({ a: 1 } + { b: super.a }, 'a')`), { b: 1 });
  assert.deepEqual(ev(`std.mergePatch({ a: 1, b: { c: 2 } }, { a: null, b: { d: 3 } })`), { b: { c: 2, d: 3 } });
  assert.equal(ev(`std.md5('abc')`), '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(ev(`std.manifestJsonMinified({ x: [1, 'a'] })`), '{"x":[1,"a"]}');
  assert.deepEqual(ev(`std.parseYaml('a: 1\\n---\\n- b')`), [{ a: 1 }, ['b']]);
});

test('jsonnet: errors carry the position and the message jsonnet gives', () => {
  let e = runtimeError(`local o = { a: 1 };\no.b`);
  assert.match(e.message, /field does not exist: b/);
  assert.deepEqual([e.loc?.line, e.loc?.col], [2, 2]);
  e = runtimeError(`{ a: 1 } + 1`);
  assert.match(e.message, /binary operator \+ does not operate on object and number/);
  e = runtimeError(`error 'custom ' + 42`);
  assert.equal(e.message, 'custom 42');
  e = runtimeError(`{ assert self.a > 1 : 'a too small', a: 1 }`);
  assert.equal(e.message, 'a too small');
  e = runtimeError(`{ a: 1, a: 2 }`);
  assert.equal(e.kind, 'static');
  assert.match(e.message, /duplicate field: a/);
  e = runtimeError(`local f(x) = f(x + 1); f(0)`);
  assert.match(e.message, /max stack frames exceeded/);
  e = runtimeError(`local x = 9007199254740992; x << 1`);
  assert.match(e.message, /outside safe integer range/);
});

test('jsonnet parser: imports relative to the file, errors as PolicyError with the position', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-jsonnet-'));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'app.libsonnet'), `{ app(name):: { kind: 'Deployment', metadata: { name: name } } }`);
  writeFileSync(join(dir, 'lib', 'note.txt'), 'hello');
  const file = join(dir, 'main.jsonnet');
  const src = `local lib = import 'lib/app.libsonnet';\nlib.app('web') + { note: importstr 'lib/note.txt' }`;
  writeFileSync(file, src);
  const parsed = jsonnetParser.parse(src, { file }) as { value: unknown };
  assert.deepEqual(parsed.value, { kind: 'Deployment', metadata: { name: 'web' }, note: 'hello' });
  assert.throws(
    () => jsonnetParser.parse(`{\n  a: import 'missing.libsonnet',\n}`, { file }),
    (e: unknown) =>
      e instanceof PolicyError && e.location?.row === 2 && /couldn't open import "missing.libsonnet"/.test(e.message),
  );
});
