import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolicyError } from '../errors.ts';
import { cueParser } from './cue.ts';

test('cue: compiled and exported as JSON by the CUE runtime', async () => {
  const v = await cueParser.parse('a: b: 1\n#Port: >0 & <65536\nport: #Port & 8080\nl: [for x in [1, 2] {x * 2}]\n', {
    file: 'x.cue',
  });
  assert.deepEqual(v.value, { a: { b: 1 }, port: 8080, l: [2, 4] });
});

test('cue: conflicts and syntax errors name the file and position', async () => {
  await assert.rejects(
    () => Promise.resolve(cueParser.parse('a: 1\na: 2\n', { file: 'conflict.cue' })),
    (e: unknown) =>
      e instanceof PolicyError && /conflicting values/.test(e.message) && e.location?.file === 'conflict.cue',
  );
  await assert.rejects(
    () => Promise.resolve(cueParser.parse('a: {\n  b: 1\n', { file: '-' })),
    (e: unknown) =>
      e instanceof PolicyError &&
      e.location?.row === 2 &&
      /expected '}'/.test(e.message) &&
      !/input\.cue/.test(e.message),
  );
});
