import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareApk, compareDpkg, comparePep440, compareSemver } from './index.ts';
import { ScanError } from '../errors.ts';

function ascending(cmp: (a: string, b: string) => number, list: string[]): void {
  for (let i = 0; i < list.length; i++)
    for (let j = 0; j < list.length; j++) {
      const want = Math.sign(i - j);
      assert.equal(cmp(list[i]!, list[j]!), want, `${list[i]} vs ${list[j]}: want ${want}`);
    }
}

test('dpkg ordering: tilde, epochs, revisions, letters before symbols', () => {
  ascending(compareDpkg, [
    '1.0~~',
    '1.0~rc1',
    '1.0',
    '1.0-1',
    '1.0-1ubuntu1',
    '1.0a',
    '1.0+dfsg-1',
    '1.0.1',
    '1.1',
    '2:0.1',
  ]);
  assert.equal(compareDpkg('1:1.0', '1.0'), 1);
  assert.equal(compareDpkg('0:1.0', '1.0'), 0);
  assert.equal(compareDpkg('1.0', '1.0-0'), 0); // an absent revision equals revision 0
  assert.equal(compareDpkg('1.0-1', '1.0-01'), 0);
  assert.equal(compareDpkg('2.36-9+deb12u4', '2.36-9+deb12u10'), -1);
  assert.equal(compareDpkg('1.2.3-1-2', '1.2.3-1-10'), -1); // revision is after the last hyphen
  assert.throws(() => compareDpkg('a1.0', '1'), ScanError);
});

test('apk ordering: pre-release suffixes before the release, post-release after, -r revisions', () => {
  ascending(compareApk, [
    '1.0_alpha',
    '1.0_alpha2',
    '1.0_beta',
    '1.0_pre1',
    '1.0_rc1',
    '1.0',
    '1.0-r1',
    '1.0-r10',
    '1.0_p1',
    '1.0a',
    '1.0.1',
    '1.1',
  ]);
  assert.equal(compareApk('3.0.12-r0', '3.0.12-r0'), 0);
  assert.equal(compareApk('1.36.1-r5', '1.36.1-r15'), -1);
  assert.throws(() => compareApk('1.0_bogus', '1.0'), ScanError);
});

test('semver precedence (semver.org §11 example)', () => {
  ascending(compareSemver, [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.10.0',
    '2.0.0',
  ]);
  assert.equal(compareSemver('v1.2.3', '1.2.3+build.5'), 0);
  assert.throws(() => compareSemver('one', '1.0.0'), ScanError);
});

test("PEP 440 ordering (the specification's summary example)", () => {
  ascending(comparePep440, [
    '1.dev0',
    '1.0.dev456',
    '1.0a1',
    '1.0a2.dev456',
    '1.0a12.dev456',
    '1.0a12',
    '1.0b1.dev456',
    '1.0b2',
    '1.0b2.post345.dev456',
    '1.0b2.post345',
    '1.0rc1.dev456',
    '1.0rc1',
    '1.0',
    '1.0+abc.5',
    '1.0+abc.7',
    '1.0+5',
    '1.0.post456.dev34',
    '1.0.post456',
    '1.1.dev1',
    '1!0.1',
  ]);
  assert.equal(comparePep440('1.0', '1.0.0'), 0);
  assert.equal(comparePep440('1.0-1', '1.0.post1'), 0);
  assert.equal(comparePep440('1.0alpha1', '1.0a1'), 0);
  assert.throws(() => comparePep440('not-a-version!', '1'), ScanError);
});
