import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentCapabilities, parseCapabilities } from './capabilities.ts';
import { RegoErrors } from './errors.ts';
import { compilePolicy } from './policy.ts';

const POLICY = `package p
allow if { count(input.x) > 1; http.send({"method": "get", "url": "http://127.0.0.1:1/x"}) }
`;

const caps = (names: string[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ builtins: names.map((name) => ({ name, decl: { type: 'function' } })), ...extra });

test('capabilities restrict the builtins a policy may call, in modules and queries', () => {
  assert.throws(
    () =>
      compilePolicy({
        modules: [{ file: 'p.rego', text: POLICY }],
        capabilities: parseCapabilities(caps(['count', 'gt'])),
      }),
    (e: unknown) =>
      e instanceof RegoErrors &&
      e.errors.some((x) => x.code === 'rego_type_error' && x.message === 'undefined function http.send'),
  );
  const ok = compilePolicy({
    modules: [{ file: 'p.rego', text: POLICY }],
    capabilities: parseCapabilities(caps(['count', 'gt', 'http.send'])),
  });
  assert.throws(
    () => ok.prepare('x := upper("a")'),
    (e: unknown) => e instanceof RegoErrors && /undefined function upper/.test(e.errors[0]?.message ?? ''),
  );
  // the engine's own capabilities allow everything it implements
  const all = parseCapabilities(JSON.stringify(currentCapabilities()));
  assert.ok(
    all.builtins.has('http.send') && all.builtins.has('crypto.x509.parse_certificates') && all.builtins.size > 190,
  );
  compilePolicy({ modules: [{ file: 'p.rego', text: POLICY }], capabilities: all });
});

test('allow_net: listed hosts only; an empty list keeps the network off', () => {
  const query = 'x := http.send({"method": "get", "url": "http://example.invalid/", "raise_error": false})';
  const errorsOf = (extra: Record<string, unknown>): string[] => {
    const errors: { message: string }[] = [];
    const pq = compilePolicy({ capabilities: parseCapabilities(caps(['http.send'], extra)) }).prepare(query);
    pq.eval({ builtinErrors: errors as never });
    return errors.map((e) => e.message);
  };
  assert.match(errorsOf({ allow_net: [] }).join(), /network access is not allowed/);
  assert.match(errorsOf({ allow_net: ['127.0.0.1'] }).join(), /unallowed host: example\.invalid/);
});

test('malformed capabilities name the file', () => {
  assert.throws(() => parseCapabilities('{', 'caps.json'), /caps\.json: capabilities are not JSON/);
  assert.throws(() => parseCapabilities('{"builtins": [{}]}', 'caps.json'), /caps\.json: builtins\[0\] has no name/);
  assert.throws(() => parseCapabilities('{"builtins": [], "allow_net": "x"}', 'caps.json'), /allow_net must be a list/);
});
