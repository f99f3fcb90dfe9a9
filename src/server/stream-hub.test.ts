import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { StreamHub } from './stream-hub.ts';
import { maskSecret, referrerKind } from './routes/index.ts';

/** A response that records writes and reports a queue length we control. */
function fakeRes(queued = 0) {
  const frames: string[] = [];
  const r = {
    frames,
    destroyed: false,
    ended: false,
    writableLength: queued,
    write(s: string) {
      frames.push(s);
      return true;
    },
    destroy() {
      r.destroyed = true;
    },
    end() {
      r.ended = true;
    },
  };
  return r;
}

test('stream hub: one serialisation per event, filters per subscriber, slow readers dropped', () => {
  const hub = new StreamHub(1024);
  const a = fakeRes();
  const b = fakeRes();
  const slow = fakeRes(4096);
  const remove = hub.add({ res: a as unknown as ServerResponse, filter: () => true });
  hub.add({ res: b as unknown as ServerResponse, filter: (d) => (d as { p: string }).p === 'team-b' });
  hub.add({ res: slow as unknown as ServerResponse, filter: () => true });
  assert.equal(hub.size, 3);
  hub.publish('application', { p: 'team-a' });
  hub.publish('application', { p: 'team-b' });
  assert.deepEqual(a.frames, [
    'id: 1\nevent: application\ndata: {"p":"team-a"}\n\n',
    'id: 2\nevent: application\ndata: {"p":"team-b"}\n\n',
  ]);
  assert.deepEqual(b.frames, ['id: 2\nevent: application\ndata: {"p":"team-b"}\n\n']);
  // the subscriber with more than maxBuffered bytes queued is dropped, not written to
  assert.deepEqual(slow.frames, []);
  assert.equal(slow.destroyed, true);
  assert.equal(hub.dropped, 1);
  assert.equal(hub.size, 2);
  hub.heartbeat();
  assert.equal(b.frames.at(-1), ': keep-alive\n\n');
  remove();
  hub.publish('application', { p: 'team-b' });
  assert.equal(a.frames.length, 3, 'a removed subscriber gets nothing more');
  hub.closeAll();
  assert.equal(b.ended, true);
  assert.equal(hub.size, 0);
});

test('Secret masking as Argo CD: every value a run of "+", equal values equal masks; other kinds untouched', () => {
  const s = maskSecret({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 's',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"a":"c2VjcmV0"}}' },
    },
    data: { a: 'c2VjcmV0', b: 'b3RoZXI=', c: 'c2VjcmV0' },
    stringData: { d: 'plain' },
  });
  const data = s.data as Record<string, string>;
  assert.equal(data.a, '++++++++');
  assert.equal(data.b, '+++++++++');
  assert.equal(data.c, data.a);
  assert.equal((s.stringData as Record<string, string>).d, '++++++++++');
  assert.equal(s.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration'], '++++++++');
  const cm = maskSecret({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'x' } });
  assert.deepEqual(cm.data, { a: 'x' });
});

test('referrer kinds from artifact types', () => {
  assert.equal(referrerKind('application/vnd.dev.sigstore.bundle.v0.3+json'), 'signature');
  assert.equal(referrerKind('application/vnd.dev.cosign.simplesigning.v1+json'), 'signature');
  assert.equal(referrerKind('application/spdx+json'), 'sbom');
  assert.equal(referrerKind('application/vnd.cyclonedx+json'), 'sbom');
  assert.equal(referrerKind('application/vnd.in-toto+json'), 'attestation');
  assert.equal(referrerKind('application/vnd.dsse.envelope.v1+json'), 'attestation');
  assert.equal(referrerKind(undefined), 'other');
});
