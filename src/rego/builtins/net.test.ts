import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, RSet, toJSON, type Value } from '../value.ts';
import { BuiltinError, OperandError } from './builtin.ts';
import { builtins, formatIP, parseCIDR, parseIP } from './net.ts';
import { caller, testContext } from './test-support.ts';

const ctx = testContext({ random: Math.random });
const call = caller(builtins, ctx);
const json = (v: Value | undefined): string => toJSON(v as Value);

test('address parsing and formatting follow Go', () => {
  assert.equal(parseIP('01.2.3.4'), undefined);
  assert.equal(parseIP('256.1.1.1'), undefined);
  assert.equal(parseIP('1.2.3'), undefined);
  assert.equal(parseIP('fe80::1%eth0'), undefined);
  assert.equal(formatIP(parseIP('::ffff:1.2.3.4')!), '1.2.3.4');
  assert.equal(formatIP(parseIP('2001:DB8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
  assert.equal(formatIP(parseIP('2001:db8:0:1:1:1:1:1')!), '2001:db8:0:1:1:1:1:1');
  assert.equal(formatIP(parseIP('::')!), '::');
  assert.equal(formatIP(parseIP('::192.0.2.0')!), '::c000:200');
  assert.equal(parseCIDR('1.2.3.4/33'), undefined);
  assert.equal(parseCIDR('1.2.3.4'), undefined);
  assert.equal(parseCIDR('::/129'), undefined);
});

test('net.cidr_contains and cidr_overlap', () => {
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '10.1.2.3'), true);
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '11.1.2.3'), false);
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '10.1.0.0/16'), true);
  assert.equal(call('net.cidr_contains', '10.0.0.0/16', '10.0.0.0/8'), false);
  assert.equal(call('net.cidr_contains', '2001:4860:4860::8888/32', '2001:4860:4860:1234::8888'), true);
  assert.equal(
    call('net.cidr_contains', '2001:4860:4860::8888/32', '2001:4860:4860:1234:5678:1234:5678:8888/128'),
    true,
  );
  assert.equal(call('net.cidr_contains', '::/0', '1.2.3.4'), false);
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '::ffff:10.1.2.3'), true);
  assert.equal(call('net.cidr_overlap', '10.0.0.0/8', '10.1.2.3'), true);
  assert.throws(() => call('net.cidr_contains', 'x', '10.0.0.1'), { message: 'invalid CIDR address: x' });
  assert.throws(() => call('net.cidr_contains', '10.0.0.0/8', 'x'), {
    message: 'not a valid textual representation of an IP address or CIDR: x',
  });
  assert.throws(() => call('net.cidr_contains', 1, '10.0.0.1'), OperandError);
});

test('net.cidr_intersects (corpus netcidrintersects)', () => {
  assert.equal(call('net.cidr_intersects', '192.168.0.0/16', '192.168.1.0/24'), true);
  assert.equal(call('net.cidr_intersects', '192.168.1.0/24', '192.168.0.0/16'), true);
  assert.equal(call('net.cidr_intersects', '192.168.1.0/24', '192.168.2.0/24'), false);
  assert.equal(call('net.cidr_intersects', 'fd1e:5bfe:8af3:9ddc::/64', 'fd1e:5bfe:8af3:9ddc:1111::/72'), true);
  assert.equal(call('net.cidr_intersects', '192.168.1.0/24', '::/0'), false);
  assert.throws(() => call('net.cidr_intersects', '192.168.1.0/24', 'x'), BuiltinError);
});

test('net.cidr_contains_matches (corpus netcidrcontainsmatches)', () => {
  assert.equal(json(call('net.cidr_contains_matches', '1.1.1.0/24', '1.1.1.1')), '[["1.1.1.0/24","1.1.1.1"]]');
  assert.equal(
    json(call('net.cidr_contains_matches', ['1.1.2.0/24', '1.1.1.0/24'], ['1.1.1.1', '1.1.2.1'])),
    '[[0,1],[1,0]]',
  );
  assert.equal(
    json(call('net.cidr_contains_matches', [['1.1.2.0/24', 1], '1.1.1.0/24'], ['1.1.1.1', '1.1.2.1'])),
    '[[0,1],[1,0]]',
  );
  assert.equal(
    json(
      call(
        'net.cidr_contains_matches',
        RSet.from([
          ['1.1.1.0/24', 'bar'],
          ['1.1.2.0/24', 'foo'],
        ]),
        RSet.from([
          ['1.1.1.1', 'baz'],
          ['1.1.2.1', 'qux'],
        ]),
      ),
    ),
    '[[["1.1.1.0/24","bar"],["1.1.1.1","baz"]],[["1.1.2.0/24","foo"],["1.1.2.1","qux"]]]',
  );
  const o = RObject.from([
    ['k1', '1.1.1.1/24'],
    ['k2', ['1.1.1.2/24', 1]],
  ]);
  assert.equal(json(call('net.cidr_contains_matches', o, '1.1.1.128')), '[["k1","1.1.1.128"],["k2","1.1.1.128"]]');
  for (const bad of [['1.1.1.1', 1], RSet.from([[], ['1.1.2.1', 'qux']])] as Value[]) {
    assert.throws(() => call('net.cidr_contains_matches', ['1.1.2.0/24'], bad), {
      message: 'operand 2: element must be string or non-empty array',
    });
  }
});

test('net.cidr_expand (corpus netcidrexpand)', () => {
  assert.equal(
    json(call('net.cidr_expand', '192.168.1.1/30')),
    '["192.168.1.0","192.168.1.1","192.168.1.2","192.168.1.3"]',
  );
  assert.equal(
    json(call('net.cidr_expand', '172.16.100.255/30')),
    '["172.16.100.252","172.16.100.253","172.16.100.254","172.16.100.255"]',
  );
  assert.equal(json(call('net.cidr_expand', '192.168.1.1/32')), '["192.168.1.1"]');
  assert.equal(json(call('net.cidr_expand', 'fe80::/127')), '["fe80::","fe80::1"]');
  assert.throws(() => call('net.cidr_expand', '192.168.1.1/33'), { message: 'invalid CIDR address: 192.168.1.1/33' });
});

test('net.cidr_is_valid (corpus netcidrisvalid)', () => {
  assert.equal(call('net.cidr_is_valid', '192.168.1.0/24'), true);
  assert.equal(call('net.cidr_is_valid', ''), false);
  assert.equal(call('net.cidr_is_valid', 'there goes a string'), false);
  assert.equal(call('net.cidr_is_valid', '192.168.1.2'), false);
  assert.equal(call('net.cidr_is_valid', '2002::1234:abcd:ffff:c0a8:101/64'), true);
  assert.equal(call('net.cidr_is_valid', 7), false);
});

test('net.cidr_merge (corpus netcidrmerge)', () => {
  const merge = (...xs: string[]): string => json(call('net.cidr_merge', xs));
  assert.equal(merge('2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128'), '["2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128"]');
  assert.equal(
    merge('2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64', '2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128'),
    '["2601:600:8a80:207e::/64"]',
  );
  assert.throws(() => merge('2601:600:8a80:207e:a57d:7567:e2c9:e7b3'), {
    message: 'IPv6 invalid: needs prefix length',
  });
  assert.equal(merge('192.0.128.0/24', '192.0.128.0/24'), '["192.0.128.0/24"]');
  assert.equal(merge('192.0.128.0/24', '0.0.0.0/0'), '["0.0.0.0/0"]');
  assert.equal(merge('192.0.128.0/24', '192.0.129.0/24'), '["192.0.128.0/23"]');
  assert.equal(merge('192.0.2.112/30', '192.0.2.116/31', '192.0.2.118/31'), '["192.0.2.112/29"]');
  assert.equal(merge('192.0.129.0/24', '192.0.130.0/24'), '["192.0.129.0/24","192.0.130.0/24"]');
  assert.equal(
    merge('192.0.2.112/30', '192.0.2.116/32', '192.0.2.118/31'),
    '["192.0.2.112/30","192.0.2.116/32","192.0.2.118/31"]',
  );
  assert.equal(merge('192.0.2.112/31', '192.0.2.116/31', '192.0.2.118/31'), '["192.0.2.112/31","192.0.2.116/30"]');
  const many = ['192.0.1.254/31'];
  for (let i = 0; i < 256; i += 16) many.push(`192.0.2.${i}/28`);
  many.push('192.0.3.0/28');
  assert.equal(merge(...many), '["192.0.1.254/31","192.0.2.0/24","192.0.3.0/28"]');
  assert.equal(merge('::/0', 'fe80::1/128'), '["::/0"]');
  assert.equal(merge('::/0', '::192.0.2.0/124', 'ff00::101/128'), '["::/0"]');
  assert.equal(
    merge('fe80::/120', '192.0.2.0/24', '192.0.3.0/24', '192.0.4.0/25', '192.0.4.128/25'),
    '["192.0.2.0/23","192.0.4.0/24","fe80::/120"]',
  );
  assert.equal(merge(), '[]');
  // A bare IPv4 address takes its classful default mask, as in Go.
  assert.equal(merge('192.0.2.112', '192.0.2.116/31', '192.0.2.118/31'), '["192.0.2.0/24"]');
  assert.equal(merge('192.0.2.112'), '["192.0.2.112/24"]');
  assert.equal(merge('192.0.128.0', '192.0.129.0'), '["192.0.128.0/23"]');
  assert.equal(
    json(call('net.cidr_merge', RSet.from(['192.0.2.112/30', '192.0.2.116/31', '192.0.2.118/31']))),
    '["192.0.2.112/29"]',
  );
  assert.throws(() => merge('foo'), { message: 'invalid CIDR address: foo' });
  assert.throws(() => call('net.cidr_merge', [1]), { message: 'element must be string' });
  assert.throws(() => call('net.cidr_merge', 'x'), { message: 'operand must be an array' });
});

test('net.lookup_ip_addr needs permission for real lookups (corpus netlookupipaddr)', () => {
  assert.equal(json(call('net.lookup_ip_addr', '10.0.0.0')), '["10.0.0.0"]');
  assert.equal(json(call('net.lookup_ip_addr', '::')), '["::"]');
  assert.equal(json(call('net.lookup_ip_addr', 'localhost')), '["127.0.0.1","::1"]');
  assert.throws(
    () => call('net.lookup_ip_addr', 'example.com'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.match(e.message, /not allowed/);
      return true;
    },
  );
});
