// <data-dir>/ports.json: the ports of every service on the first start, read back on later starts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PlatformError } from '../../src/platform/errors.ts';
import { portsFile, readPorts, writePorts } from '../../src/platform/platform.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-ports-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('no ports.json means no recorded port; written ports read back, no temporary file left', () => {
  assert.deepEqual(readPorts(dir), {});
  const all = { registry: 32929, git: 41181, cluster: 40001, admission: 40002, api: 40003 };
  writePorts(dir, all);
  assert.deepEqual(readPorts(dir), all);
  assert.deepEqual(readdirSync(dir), ['ports.json']);
});

test('a ports.json that is not JSON or holds no port number is a platform_bad_state naming the file', () => {
  for (const [text, re] of [
    ['{"registry": 3', /is not JSON/],
    ['{"git": "41181"}', /"git" must be a port number/],
    ['{"registry": 70000}', /"registry" must be a port number/],
    ['{"registry": 0}', /"registry" must be a port number/],
    ['{"admission": -1}', /"admission" must be a port number/],
  ] as const) {
    writeFileSync(portsFile(dir), text);
    assert.throws(
      () => readPorts(dir),
      (e: unknown) =>
        e instanceof PlatformError &&
        e.code === 'platform_bad_state' &&
        re.test(e.message) &&
        e.message.includes(portsFile(dir)) &&
        e.location?.file === portsFile(dir),
      text,
    );
  }
});
