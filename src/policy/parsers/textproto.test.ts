import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PolicyError } from '../errors.ts';
import { textprotoParser } from './textproto.ts';

const dir = mkdtempSync(join(tmpdir(), 'sekisho-textproto-'));
mkdirSync(join(dir, 'sub'));
writeFileSync(
  join(dir, 'sub', 't.proto'),
  `syntax = "proto3";
package t.v1;
enum Level { LEVEL_UNSPECIFIED = 0; LOW = 1; HIGH = 2; }
message Port { string name = 1; int32 number = 2; }
message Service {
  string name = 1;
  int64 big = 2;
  repeated Port ports = 3;
  map<string, string> labels = 4;
  Level level = 5;
  bytes blob = 6;
  repeated string tags = 7;
  bool enabled = 8;
  double ratio = 9;
  optional int32 zero = 10;
  uint32 count = 11;
}
`,
);

function parse(text: string) {
  return textprotoParser.parse(`# proto-message: t.v1.Service\n${text}`, {
    file: 'svc.textproto',
    protoFileDirs: [dir],
  });
}

function parseError(text: string, dirs = [dir]): PolicyError {
  try {
    textprotoParser.parse(`# proto-message: t.v1.Service\n${text}`, { file: 'svc.textproto', protoFileDirs: dirs });
  } catch (e) {
    assert.ok(e instanceof PolicyError);
    return e;
  }
  assert.fail('expected an error');
}

test('textproto: the message in protojson form with the .proto field names', async () => {
  const v = (
    await parse(`
name: "web" "-1"  # adjacent strings join
big: 9007199254740993
ports { name: 'http' number: 80 }
ports: < name: "https", number: 0x1bb >
labels { key: "app" value: "web" }
labels: [{ key: "tier", value: "front" }]
level: HIGH
blob: "\\x01\\002a"
tags: ["a", "b"]
tags: "c"
enabled: t
ratio: -inf
zero: 0
count: 0
`)
  ).value;
  assert.deepEqual(v, {
    name: 'web-1',
    big: '9007199254740993',
    ports: [
      { name: 'http', number: 80 },
      { name: 'https', number: 443 },
    ],
    labels: { app: 'web', tier: 'front' },
    level: 'HIGH',
    blob: Buffer.from([1, 2, 0x61]).toString('base64'),
    tags: ['a', 'b', 'c'],
    enabled: true,
    ratio: '-Infinity',
    zero: 0,
  });
});

test('textproto: errors name the file, line and column', () => {
  let e = parseError('name: "a"\nnumber: 3\n');
  assert.match(e.message, /unknown field: number/);
  assert.deepEqual([e.location?.file, e.location?.row, e.location?.col], ['svc.textproto', 3, 1]);
  e = parseError('name: "a"\nname: "b"\n');
  assert.match(e.message, /non-repeated field "name" is repeated/);
  e = parseError('count: -1\n');
  assert.match(e.message, /invalid value for uint32 field count/);
  e = parseError('level: MEDIUM\n');
  assert.match(e.message, /invalid value for enum Level: MEDIUM/);
  e = parseError('ports { name: "x"\n');
  assert.match(e.message, /unexpected end of input/);
  e = parseError('name: "unterminated\n');
  assert.match(e.message, /unterminated string/);
  e = parseError('name: "a"\n', []);
  assert.match(e.message, /look up message type "t.v1.Service": not found/);
  assert.throws(() => textprotoParser.parse('name: "a"', { file: 'x.textproto' }), /proto-message comment/);
});
