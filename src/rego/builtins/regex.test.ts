import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltinError, OperandError } from './builtin.ts';
import { builtins } from './regex.ts';
import { caller, testContext } from './test-support.ts';

const ctx = testContext({ random: Math.random });
const call = caller(builtins, ctx);

test('regex.match and re_match (corpus regexmatch)', () => {
  assert.equal(call('regex.match', '^[a-z]+\\[[0-9]+\\]$', 'foo[1]'), true);
  assert.equal(call('re_match', '^[a-z]+\\[[0-9]+\\]$', 'foo["bar"]'), false);
  assert.throws(() => call('regex.match', 1, 'x'), OperandError);
  assert.throws(
    () => call('regex.match', '[', 'x'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.equal(e.message, 'error parsing regexp: missing closing ]: `[`');
      return true;
    },
  );
  // Compiled patterns are cached per query.
  assert.ok(ctx.cache.has('regex:^[a-z]+\\[[0-9]+\\]$'));
});

test('RE2 differs from JavaScript RegExp', () => {
  // \Z is not an RE2 escape (JS treats it as a literal Z).
  assert.equal(new RegExp('a\\Z').test('aZ'), true);
  assert.throws(() => call('regex.match', 'a\\Z', 'aZ'), {
    message: 'error parsing regexp: invalid escape sequence: `\\Z`',
  });
  // Lookahead and backreferences are rejected.
  assert.throws(() => call('regex.match', 'a(?=b)', 'ab'), {
    message: 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
  });
  assert.throws(() => call('regex.match', '(a)\\1', 'aa'), BuiltinError);
  assert.equal(call('regex.is_valid', '(a)\\1'), false);
  // Inline flags, which JS RegExp (in Node 20) rejects.
  assert.throws(() => new RegExp('(?i)abc'));
  assert.equal(call('regex.match', '(?i)^abc$', 'ABC'), true);
  assert.equal(call('regex.match', '(?s)^a.b$', 'a\nb'), true);
  assert.equal(call('regex.match', '^a.b$', 'a\nb'), false);
  // Unicode classes without the u flag, and POSIX classes.
  assert.equal(call('regex.match', '^\\pL+$', 'héllo'), true);
  assert.equal(call('regex.match', '^[[:alpha:]]+$', 'abc'), true);
  assert.equal(call('regex.match', '^[[:alpha:]]+$', 'ab1'), false);
  // \Q...\E literal text.
  assert.equal(call('regex.match', '^\\Qa.b\\E$', 'a.b'), true);
  assert.equal(call('regex.match', '^\\Qa.b\\E$', 'axb'), false);
  // $ matches only at the very end (no trailing-newline allowance without (?m)), like JS here.
  assert.equal(call('regex.match', '^a$', 'a\n'), false);
  // Repeat counts above 1000 are rejected by RE2.
  assert.equal(call('regex.is_valid', 'a{1001}'), false);
  assert.equal(call('regex.is_valid', 'a{1000}'), true);
});

test('regex.is_valid (corpus regexisvalid)', () => {
  assert.equal(call('regex.is_valid', 10), false);
  assert.equal(call('regex.is_valid', '++'), false);
  assert.equal(call('regex.is_valid', '.+'), true);
});

test('regex.split (corpus regexsplit) with Go semantics', () => {
  assert.deepEqual(call('regex.split', '^[a-z]+\\[[0-9]+\\]$', ''), ['']);
  assert.deepEqual(call('regex.split', 'a', 'banana'), ['b', 'n', 'n', '']);
  assert.deepEqual(call('regex.split', 'z+', 'pizza'), ['pi', 'a']);
  // Empty matches: Go drops the one right after a match (Java/re2js split would not).
  assert.deepEqual(call('regex.split', 'x*', 'axbc'), ['a', 'b', 'c', '']);
});

test('regex.find_n and find_all_string_submatch_n (corpus)', () => {
  assert.deepEqual(call('regex.find_n', 'a.', 'paranormal', -1), ['ar', 'an', 'al']);
  assert.deepEqual(call('regex.find_n', 'a.', 'paranormal', 2), ['ar', 'an']);
  assert.deepEqual(call('regex.find_n', 'bork', 'paranormal', -1), []);
  assert.deepEqual(call('regex.find_n', 'a.', 'paranormal', 0), []);
  assert.throws(() => call('regex.find_n', 'a.', 'paranormal', 1.5), {
    message: 'operand 3 must be integer number but got floating-point number',
  });
  const f = 'regex.find_all_string_submatch_n';
  assert.deepEqual(call(f, 'a(x*)b', '-', -1), []);
  assert.deepEqual(call(f, 'a(x*)b', '-ab-', -1), [['ab', '']]);
  assert.deepEqual(call(f, 'a(x*)b', '-ab-axb-', -1), [
    ['ab', ''],
    ['axb', 'x'],
  ]);
  assert.deepEqual(call(f, '[^aouiye]([aouiye])([^aouiye])?', 'somestri', -1), [
    ['som', 'o', 'm'],
    ['ri', 'i', ''],
  ]);
  assert.deepEqual(call(f, '[^aouiye]([aouiye])([^aouiye])?', 'somestri', 1), [['som', 'o', 'm']]);
  // Non-ASCII input: offsets stay aligned with the JS string.
  assert.deepEqual(call('regex.find_n', '.b', 'éb😀bxb', -1), ['éb', '😀b', 'xb']);
});

test('regex.replace (corpus regexreplace) with Go expansion', () => {
  assert.equal(call('regex.replace', '-wy-wxxy-', 'w(x*)y', '0'), '-0-0-');
  assert.equal(call('regex.replace', 'foo', '(foo)', '$1$1'), 'foofoo');
  assert.equal(call('regex.replace', 'foo', '(?P<w>fo)o', '${w}-$$'), 'fo-$');
  // `$1x` names a group "1x", which does not exist: it expands to nothing (JS would give "fx").
  assert.equal(call('regex.replace', 'foo', '(f)oo', '$1x'), '');
  assert.equal(call('regex.replace', 'baaac', 'a*', 'X'), 'XbXcX');
  assert.throws(() => call('regex.replace', 'foo', '[', '$1'), BuiltinError);
});

test('regex.template_match (corpus regexmatchtemplate)', () => {
  assert.equal(call('regex.template_match', 'urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}'), true);
  assert.equal(call('regex.template_match', 'urn:foo:<.*>', 'urn:foo:bar:baz', '<', '>'), true);
  assert.equal(call('regex.template_match', 'urn:foo.<[0-9]+>', 'urn:fooX123', '<', '>'), false);
  assert.equal(call('regex.template_match', 'urn:foo.<[0-9]+>', 'urn:foo.123', '<', '>'), true);
  assert.throws(() => call('regex.template_match', 'urn:<x', 'urn:x', '<', '>'), {
    message: 'unbalanced braces in "urn:<x"',
  });
  assert.throws(() => call('regex.template_match', 'x', 'x', '<<', '>'), {
    message: 'start delimiter has to be exactly one character long but is 2 long',
  });
});

test('regex.globs_match (corpus globsmatch)', () => {
  assert.equal(call('regex.globs_match', 'a.a.[0-9]+z', '.b.b2359825792*594823z'), true);
  assert.equal(call('regex.globs_match', '[a-z]+', '[0-9]*'), false);
  assert.throws(() => call('regex.globs_match', 'pqrs]', '[a-b]+'), {
    message: "input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid",
  });
  assert.equal(call('regex.globs_match', 'b.*', 'bar'), true);
  assert.equal(call('regex.globs_match', 'b.*', 'car'), false);
  assert.equal(call('regex.globs_match', '[a-z]+\\[[0-9]+\\]', 'foo\\[1\\]'), true);
  assert.equal(call('regex.globs_match', '[a-z]+\\[[0-9]+\\]', 'foo["bar"]'), false);
});
