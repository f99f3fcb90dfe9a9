// Label-schema rules (DL3049–DL3058): each with a catching and a clean Dockerfile under a schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, lintDockerfile, parseHadolintConfig } from '../../src/lint/index.ts';

const config = parseHadolintConfig(
  [
    'strict-labels: true',
    'label-schema:',
    '  author: text',
    '  url: url',
    '  created: rfc3339',
    '  license: spdx',
    '  revision: hash',
    '  version: semver',
    '  maintainer: email',
  ].join('\n'),
  '.hadolint.yaml',
);

const good =
  'LABEL author=me url=https://example.invalid/x created=2024-05-01T10:00:00Z license=Apache-2.0 revision=0123abc version=1.2.3-rc.1 maintainer=me@example.invalid';

const hits = (text: string, code: string) =>
  lintDockerfile(text + '\n', 'Dockerfile', config).filter((f) => f.code === code).map((f) => `${f.line}:${f.message}`);

test('clean: every schema label present and well-formed', () => {
  const found = lintDockerfile(`FROM alpine:3.20\n${good}\n`, 'Dockerfile', config).filter((f) => /^DL30(49|5[0-8])$/.test(f.code));
  assert.deepEqual(found, []);
});

test('DL3049 missing label per stage, silenced when the stage is only copied from', () => {
  assert.deepEqual(hits('FROM alpine:3.20\nLABEL author=me', 'DL3049').length, 6);
  assert.ok(hits('FROM alpine:3.20\nLABEL author=me', 'DL3049').includes('1:Label `url` is missing.'));
  assert.deepEqual(hits(`FROM alpine:3.20 AS build\nFROM alpine:3.20\nCOPY --from=build /a /a\n${good}`, 'DL3049'), []);
  assert.deepEqual(hits(`FROM alpine:3.20 AS base\n${good}\nFROM base`, 'DL3049'), []);
});

test('DL3050 superfluous labels only with strict-labels', () => {
  assert.deepEqual(hits('FROM alpine:3.20\nLABEL other=1', 'DL3050'), ['2:Superfluous label(s) present.']);
  const loose = { ...config, strictLabels: false };
  assert.deepEqual(lintDockerfile('FROM alpine:3.20\nLABEL other=1\n', 'Dockerfile', loose).filter((f) => f.code === 'DL3050'), []);
});

const formats: Array<[string, string, string, string]> = [
  ['DL3051', 'author=""', 'author=me', 'label `author` is empty.'],
  ['DL3052', 'url=not-a-url', 'url=https://example.invalid', 'Label `url` is not a valid URL.'],
  ['DL3053', 'created=2024-13-01', 'created=2024-05-01T10:00:00+02:00', 'Label `created` is not a valid time format - must conform to RFC3339.'],
  ['DL3054', 'license=not-spdx', 'license=MIT', 'Label `license` is not a valid SPDX identifier.'],
  ['DL3055', 'revision=xyz', 'revision=0123456789abcdef0123456789abcdef01234567', 'Label `revision` is not a valid git hash.'],
  ['DL3056', 'version=1.2', 'version=1.2.3', 'Label `version` does not conform to semantic versioning.'],
  ['DL3058', 'maintainer=nobody', 'maintainer=a.b@example.invalid', 'Label `maintainer` is not a valid email format - must conform to RFC5322.'],
];

for (const [code, bad, ok, message] of formats) {
  test(`${code} catches ${bad} and accepts ${ok}`, () => {
    assert.deepEqual(hits(`FROM alpine:3.20\nLABEL ${bad}`, code), [`2:${message}`]);
    assert.deepEqual(hits(`FROM alpine:3.20\nLABEL ${ok}`, code), []);
  });
}

test('no schema configured: label rules stay silent', () => {
  assert.deepEqual(lintDockerfile('FROM alpine:3.20\nLABEL url=x\n', 'Dockerfile', defaultConfig()).filter((f) => /^DL30(49|5)/.test(f.code)), []);
});
