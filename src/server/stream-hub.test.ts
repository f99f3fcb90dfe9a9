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
  const e = hub.epoch;
  assert.deepEqual(a.frames, [
    `id: ${e}-1\nevent: application\ndata: {"p":"team-a"}\n\n`,
    `id: ${e}-2\nevent: application\ndata: {"p":"team-b"}\n\n`,
  ]);
  assert.deepEqual(b.frames, [`id: ${e}-2\nevent: application\ndata: {"p":"team-b"}\n\n`]);
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

test('stream hub: Last-Event-ID replays what a subscriber missed, within its filter and the history', () => {
  const hub = new StreamHub(1 << 20, 3);
  for (const p of ['a', 'b', 'a', 'a']) hub.publish('application', { p });
  // ids 1..4; history keeps 2..4
  const all = fakeRes();
  const sub = { res: all as unknown as ServerResponse, filter: () => true };
  assert.equal(hub.replay(sub, `${hub.epoch}-2`), true);
  assert.deepEqual(
    all.frames.map((f) => /^id: \S+-(\d+)/.exec(f)![1]),
    ['3', '4'],
  );
  const onlyB = fakeRes();
  assert.equal(
    hub.replay(
      { res: onlyB as unknown as ServerResponse, filter: (d) => (d as { p: string }).p === 'b' },
      `${hub.epoch}-1`,
    ),
    true,
  );
  assert.equal(onlyB.frames.length, 1);
  const up = fakeRes();
  assert.equal(hub.replay({ res: up as unknown as ServerResponse, filter: () => true }, `${hub.epoch}-4`), true);
  assert.equal(up.frames.length, 0, 'nothing missed');
  // too old, from another epoch (a restart), from the future, or garbage: the client must list again
  for (const id of [`${hub.epoch}-0`, 'zzz-3', `${hub.epoch}-9`, 'nonsense'])
    assert.equal(hub.replay({ res: fakeRes() as unknown as ServerResponse, filter: () => true }, id), false, id);
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
