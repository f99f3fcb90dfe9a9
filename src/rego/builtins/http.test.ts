import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { fromJS, toJS, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext } from './builtin.ts';
import { builtins, MAX_RESPONSE_BYTES, parseTimeout } from './http.ts';

// The server runs on its own thread: http.send blocks the calling thread until the answer arrives.
const SERVER = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
let hits = 0;
const flaky = new Map();
const server = http.createServer((req, res) => {
  hits++;
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    if (req.url === '/json') { res.setHeader('content-type', 'application/json'); res.setHeader('x-multi', ['a', 'b']); res.end(JSON.stringify({ ok: true, n: 1 })); }
    else if (req.url === '/echo') { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization || null })); }
    else if (req.url === '/text') { res.setHeader('content-type', 'text/plain'); res.end('{"not":"decoded"}'); }
    else if (req.url === '/hang') { /* never answers */ }
    else if (req.url === '/big') { res.setHeader('content-type', 'text/plain'); res.end(Buffer.alloc(${MAX_RESPONSE_BYTES} + 1, 97)); }
    else if (req.url === '/redirect') { res.statusCode = 302; res.setHeader('location', '/json'); res.end(); }
    else if (req.url.startsWith('/flaky?')) {
      const n = (flaky.get(req.url) || 0) + 1;
      flaky.set(req.url, n);
      if (n <= 2) req.socket.destroy(); else { res.setHeader('content-type', 'application/json'); res.end(String(n)); }
    }
    else if (req.url === '/hits') { res.setHeader('content-type', 'application/json'); res.end(String(hits)); }
    else { res.statusCode = 404; res.end('nope'); }
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

let server: Worker;
let base = '';

before(async () => {
  server = new Worker(SERVER, { eval: true });
  const port = await new Promise<number>((resolve) => server.once('message', resolve));
  base = `http://127.0.0.1:${port}`;
});
after(async () => {
  await server.terminate();
});

function context(allowNet: boolean): BuiltinContext {
  return { location: undefined, cache: new Map(), nowNs: 0n, allowNet, print: () => {}, random: () => 0 };
}

const send = (req: Record<string, unknown>, ctx = context(true)): Record<string, unknown> =>
  toJS(builtins['http.send']!([fromJS(req)], ctx) as Value) as Record<string, unknown>;

test('http.send is refused unless the caller allows network access; requests are still type-checked', () => {
  assert.throws(
    () => send({ method: 'get', url: `${base}/json` }, context(false)),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.match(e.message, /network access is not allowed/);
      return true;
    },
  );
  assert.throws(
    () => send({ method: 'get' }, context(false)),
    (e: unknown) => {
      assert.ok(e instanceof OperandError);
      assert.match(e.message, /missing required request parameters\(s\): \{"url"\}/);
      return true;
    },
  );
  assert.throws(() => send({ method: 'get', url: base, bad: 1 }), /invalid request parameters\(s\): \{"bad"\}/);
});

test('http.send returns status, headers and the decoded body', () => {
  const r = send({ method: 'get', url: `${base}/json` });
  assert.equal(r.status_code, 200);
  assert.equal(r.status, '200 OK');
  assert.deepEqual(r.body, { ok: true, n: 1 });
  assert.equal(r.raw_body, '{"ok":true,"n":1}');
  assert.deepEqual((r.headers as Record<string, unknown>)['x-multi'], ['a', 'b']);
  const t = send({ method: 'get', url: `${base}/text` });
  assert.equal(t.body, null);
  assert.deepEqual(send({ method: 'get', url: `${base}/text`, force_json_decode: true }).body, { not: 'decoded' });
  assert.equal(send({ method: 'get', url: `${base}/missing` }).status_code, 404);
});

test('http.send sends the method, headers and a JSON or raw body', () => {
  const r = send({ method: 'post', url: `${base}/echo`, body: { a: [1, 2] }, headers: { Authorization: 'Bearer t' } });
  assert.deepEqual(r.body, { method: 'POST', body: '{"a":[1,2]}', auth: 'Bearer t' });
  assert.equal(
    (send({ method: 'put', url: `${base}/echo`, raw_body: 'x=1' }).body as Record<string, unknown>).body,
    'x=1',
  );
});

test('http.send times out, and with raise_error false reports the error in the response', () => {
  const started = Date.now();
  assert.throws(() => send({ method: 'get', url: `${base}/hang`, timeout: '200ms' }), /timed out/);
  assert.ok(Date.now() - started < 4_000);
  const r = send({ method: 'get', url: `${base}/hang`, timeout: '100ms', raise_error: false });
  assert.equal(r.status_code, 0);
  assert.equal((r.error as Record<string, unknown>).code, 'eval_http_send_network_error');
  const refused = send({ method: 'get', url: 'http://127.0.0.1:1/', raise_error: false });
  assert.equal(refused.status_code, 0);
});

test('http.send limits the response size', () => {
  assert.throws(() => send({ method: 'get', url: `${base}/big` }), /exceeds/);
});

test('http.send follows redirects only when enable_redirect is set', () => {
  assert.equal(send({ method: 'get', url: `${base}/redirect` }).status_code, 302);
  const r = send({ method: 'get', url: `${base}/redirect`, enable_redirect: true });
  assert.equal(r.status_code, 200);
  assert.deepEqual(r.body, { ok: true, n: 1 });
});

test('identical requests within one query are sent once', () => {
  const ctx = context(true);
  const before = send({ method: 'get', url: `${base}/hits`, headers: { n: '1' } }, ctx).body as number;
  const again = send({ method: 'get', url: `${base}/hits`, headers: { n: '1' } }, ctx).body as number;
  assert.equal(again, before);
  const other = send({ method: 'get', url: `${base}/hits`, headers: { n: '1' } }).body as number;
  assert.equal(other, before + 1);
});

test('timeouts parse as Go durations or nanoseconds', () => {
  assert.equal(parseTimeout('1.5s'), 1500);
  assert.equal(parseTimeout('1m30s'), 90_000);
  assert.equal(parseTimeout(2_000_000), 2);
  assert.equal(parseTimeout(undefined), 5000);
  assert.throws(() => parseTimeout('soon'), BuiltinError);
});

test('through the engine: http.send answers only when the evaluation allows the network', async () => {
  const { compilePolicy } = await import('../index.ts');
  const policy = compilePolicy({
    modules: [{ file: 'p.rego', text: `package p\nr := http.send({"method": "get", "url": "${base}/json"}).body.n` }],
  });
  const q = policy.prepare('data.p.r');
  assert.deepEqual(
    q.eval({ allowNet: true }).map((r) => r.expressions[0]?.value),
    [1],
  );
  assert.deepEqual(q.eval({ allowNet: false }), []);
  assert.throws(
    () => q.eval({ allowNet: false, strictBuiltinErrors: true }),
    /http\.send: network access is not allowed/,
  );
});

test('max_retry_attempts retries network failures', () => {
  // /flaky drops the connection the first two times a URL is asked for.
  assert.throws(() => send({ method: 'get', url: `${base}/flaky?a` }), /socket hang up|ECONNRESET/);
  assert.deepEqual(send({ method: 'get', url: `${base}/flaky?b`, max_retry_attempts: 2 }).body, 3);
  const r = send({ method: 'get', url: `${base}/flaky?c`, raise_error: false, max_retry_attempts: 1 });
  assert.equal(r.status_code, 0);
});
