import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Value } from '../value.ts';
import { BuiltinError, OperandError } from './builtin.ts';
import { builtins } from './glob.ts';
import { testContext } from './test-support.ts';

const ctx = testContext({ random: Math.random });

function match(pattern: string, delimiters: Value, s: string): Value | undefined {
  return builtins['glob.match']!([pattern, delimiters, s], ctx);
}

test('glob.match with delimiters (corpus globmatch)', () => {
  assert.equal(match('*.github.com', ['.'], 'api.github.com'), true);
  assert.equal(match('api.**.com', ['.'], 'api.github.com'), true);
  assert.equal(match('api.**.com', ['.'], 'api.cdn.github.com'), true);
  assert.equal(match('*:github:com', [':'], 'api:github:com'), true);
  assert.equal(match('*.github.com', ['.'], 'api.not-github.com'), false);
  assert.equal(match('*.github.com', ['.'], 'api.cdn.github.com'), false);
  // An empty delimiter list means ["."]; null means none.
  assert.equal(match('*', ['.'], 'foo'), true);
  assert.equal(match('*', [], 'foo'), true);
  assert.equal(match('*', ['.'], 'foo.bar'), false);
  assert.equal(match('*', [], 'foo.bar'), false);
  assert.equal(match('*', null, 'foo.bar'), true);
  assert.equal(match('foo*', null, 'foo.bar'), true);
  assert.equal(match('*', null, 'multi\nline'), true);
});

test('glob.match character classes, ?, alternatives (corpus globmatch)', () => {
  assert.equal(match('[abc]at', [], 'cat'), true);
  assert.equal(match('[abc]at', [], 'fat'), false);
  assert.equal(match('[!abc]at', [], 'fat'), true);
  assert.equal(match('[!abc]at', [], 'cat'), false);
  assert.equal(match('[a-c]at', [], 'bat'), true);
  assert.equal(match('[a-c]at', [], 'fat'), false);
  assert.equal(match('[!a-c]at', [], 'bat'), false);
  assert.equal(match('[!a-c]at', [], 'fat'), true);
  assert.equal(match('?at', [], 'fat'), true);
  assert.equal(match('?at', [], 'at'), false);
  assert.equal(match('?at', ['f'], 'bat'), true);
  assert.equal(match('?at', ['f'], 'fat'), false);
  for (const s of ['cat', 'bat', 'fat', 'rat']) assert.equal(match('{cat,bat,[fr]at}', [], s), true, s);
  assert.equal(match('{cat,bat,[fr]at}', [], 'at'), false);
  assert.equal(match('{a,{b,c}x}', [], 'cx'), true);
  // Outside braces ',' and '}' are literal; escapes make specials literal; regex metacharacters are literal.
  assert.equal(match('a,b}', [], 'a,b}'), true);
  assert.equal(match('\\*x', [], '*x'), true);
  assert.equal(match('\\*x', [], 'ax'), false);
  assert.equal(match('a+b(c)', [], 'a+b(c)'), true);
  assert.throws(() => match('[a-]', [], '-'), { message: 'unexpected end of input' });
  assert.throws(() => match('[z-a]', [], 'b'), { message: 'hi character should be greater than lo character' });
});

test('glob.match errors', () => {
  assert.throws(
    () => match('[abc', [], 'a'),
    (e: unknown) => e instanceof BuiltinError && e.message === 'unexpected end of input',
  );
  assert.throws(() => match('abc\\', [], 'a'), BuiltinError);
  assert.throws(
    () => match('*', 'x', 'a'),
    (e: unknown) => e instanceof OperandError && e.message === 'operand 2 must be one of {array, null} but got string',
  );
  assert.throws(() => match('*', [1], 'a'), OperandError);
  assert.throws(() => match('*', ['ab'], 'a'), OperandError);
  assert.throws(() => match('*', [], 1 as unknown as string), OperandError);
});

test('glob.quote_meta (corpus globquotemeta)', () => {
  assert.equal(builtins['glob.quote_meta']!(['*.github.com'], ctx), '\\*.github.com');
  assert.equal(builtins['glob.quote_meta']!(['{a,b}[c]?\\'], ctx), '\\{a,b\\}\\[c\\]\\?\\\\');
  const quoted = builtins['glob.quote_meta']!(['*?[x]{y}'], ctx) as string;
  assert.equal(match(quoted, [], '*?[x]{y}'), true);
});
