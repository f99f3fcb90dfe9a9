import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Value } from '../value.ts';
import { OperandError, type BuiltinContext } from './builtin.ts';
import { builtins } from './crypto.ts';

const ctx: BuiltinContext = {
  location: undefined,
  cache: new Map(),
  nowNs: 0n,
  allowNet: false,
  print: () => {},
  random: Math.random,
};
const call = (name: string, ...args: Value[]): Value | undefined => builtins[name]!(args, ctx);

test('digests (corpus cryptomd5, cryptosha1, cryptosha256)', () => {
  assert.equal(call('crypto.md5', 'lorem ipsum'), '80a751fde577028640c419000e33eba6');
  assert.equal(call('crypto.sha1', 'lorem ipsum'), 'bfb7759a67daeb65410490b4d98bb9da7d1ea2ce');
  assert.equal(
    call('crypto.sha256', 'lorem ipsum'),
    '5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269',
  );
  assert.throws(() => call('crypto.md5', 1), OperandError);
});

test('HMACs over UTF-8 bytes (corpus cryptohmac*)', () => {
  assert.equal(call('crypto.hmac.md5', 'foo', 'bar'), '31b6db9e5eb4addb42f1a6ca07367adc');
  assert.equal(call('crypto.hmac.md5', 'åäöçß\u{1F972}♙Ω', '秘密の'), '20a8743c2157ac60b7e8b79c83651b8d');
  assert.equal(call('crypto.hmac.sha1', 'foo', 'bar'), '85d155c55ed286a300bd1cf124de08d87e914f3a');
  assert.equal(
    call('crypto.hmac.sha256', 'foo', 'bar'),
    '147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851',
  );
  assert.equal(
    call('crypto.hmac.sha512', 'foo', 'bar'),
    '24257d7210582a65c731ec55159c8184cc24c02489453e58587f71f44c23a2d61b4b72154a89d17b2d49448a8452ea066f4fc56a2bcead45c088572ffccdb3d8',
  );
  assert.throws(() => call('crypto.hmac.sha256', 'foo', 1), { message: 'operand 2 must be string but got number' });
});

test('crypto.hmac.equal (corpus cryptohmacequal)', () => {
  assert.equal(call('crypto.hmac.equal', '31b6db9e5eb4addb42f1a6ca07367adc', '31b6db9e5eb4addb42f1a6ca07367adc'), true);
  assert.equal(
    call('crypto.hmac.equal', '31b6db9e5eb4addb42f1a6ca07367adc', '31b6db9e5eb4addb42f1a6ca07367add'),
    false,
  );
  assert.equal(call('crypto.hmac.equal', 'abc', 'abcd'), false);
});
