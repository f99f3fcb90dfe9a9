import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNumber, toJSON, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext } from './builtin.ts';
import { builtins, civilFromDays, daysFromCivil } from './time.ts';

const ctx: BuiltinContext = {
  location: undefined,
  cache: new Map(),
  nowNs: 1670006453141828752n,
  allowNet: false,
  print: () => {},
  random: Math.random,
};

function call(name: string, ...args: Value[]): Value | undefined {
  const f = builtins[name];
  assert.ok(f, `${name} is implemented`);
  return f(args, ctx);
}

const n = (text: string): Value => parseNumber(text) as Value;
const json = (v: Value | undefined): string => toJSON(v as Value);

test('calendar conversions round-trip over a wide range', () => {
  for (let d = -800000; d <= 800000; d += 997) {
    const [y, m, day] = civilFromDays(d);
    assert.equal(daysFromCivil(y, m, day), d);
  }
  assert.deepEqual(civilFromDays(0), [1970, 1, 1]);
  assert.deepEqual(civilFromDays(daysFromCivil(2020, 2, 29)), [2020, 2, 29]);
});

test('time.now_ns is the query time', () => {
  assert.equal(json(call('time.now_ns')), '1670006453141828752');
});

test('time.parse_ns with Go layouts (corpus time/parse_nanos)', () => {
  const cases: [string, string, string][] = [
    ['2006-01-02T15:04:05Z07:00', '2017-06-02T19:00:00-07:00', '1496455200000000000'],
    ['2006-01-02T15:04:05Z07:00', '1677-09-21T00:12:43.145224192-00:00', '-9223372036854775808'],
    ['2006-01-02T15:04:05Z07:00', '2262-04-11T23:47:16.854775807-00:00', '9223372036854775807'],
    ["01/02 03:04:05PM '06 -0700", "06/02 07:00:00PM '17 -0700", '1496455200000000000'],
    ['02 Jan 06 15:04 -0700', '02 Jun 17 19:00 -0700', '1496455200000000000'],
    ['RFC822Z', '02 Jun 17 19:00 -0700', '1496455200000000000'],
    ['2006-01-02', '2020-02-02', '1580601600000000000'],
    ['Mon Jan _2 15:04:05 2006', 'Tue Jun  6 01:02:03 2017', '1496710923000000000'],
    ['2006-01-02 15:04:05.000', '2017-06-06 01:02:03.250', '1496710923250000000'],
    ['2006-002', '2020-060', '1582934400000000000'],
    ['RFC1123', 'Fri, 02 Jun 2017 19:00:00 GMT', '1496430000000000000'],
  ];
  for (const [layout, value, want] of cases) assert.equal(json(call('time.parse_ns', layout, value)), want, value);
  assert.throws(() => call('time.parse_ns', '2006-01-02T15:04:05Z07:00', '1677-09-21T00:12:43.145224191-00:00'), {
    message: 'time outside of valid range',
  });
  assert.throws(() => call('time.parse_ns', '2006-01-02T15:04:05Z07:00', '2262-04-11T23:47:16.854775808-00:00'), {
    message: 'time outside of valid range',
  });
});

test('time.parse_ns reports Go parse errors', () => {
  assert.throws(() => call('time.parse_ns', '2006-01-02', '2017-13-01'), {
    message: 'parsing time "2017-13-01": month out of range',
  });
  assert.throws(() => call('time.parse_ns', '2006-01-02', '2017-02-30'), {
    message: 'parsing time "2017-02-30": day out of range',
  });
  assert.throws(() => call('time.parse_ns', '2006-01-02', '2017/01/02'), {
    message: 'parsing time "2017/01/02" as "2006-01-02": cannot parse "/01/02" as "-"',
  });
  assert.throws(() => call('time.parse_ns', '2006-01-02', '2017-01-02x'), {
    message: 'parsing time "2017-01-02x": extra text: "x"',
  });
  assert.throws(
    () => call('time.parse_rfc3339_ns', 'yesterday'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.equal(
        e.message,
        'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
      );
      return true;
    },
  );
});

test('time.parse_rfc3339_ns (corpus)', () => {
  assert.equal(json(call('time.parse_rfc3339_ns', '1677-09-21T00:12:43.145224192-00:00')), '-9223372036854775808');
  assert.equal(json(call('time.parse_rfc3339_ns', '1970-01-01T00:00:00-00:00')), '0');
  assert.equal(json(call('time.parse_rfc3339_ns', '2017-06-02T19:00:00-07:00')), '1496455200000000000');
  assert.equal(json(call('time.parse_rfc3339_ns', '2262-04-11T23:47:16.854775807-00:00')), '9223372036854775807');
  assert.throws(() => call('time.parse_rfc3339_ns', '2262-04-11T23:47:16.854775808-00:00'), BuiltinError);
});

test('time.parse_duration_ns with Go syntax', () => {
  assert.equal(json(call('time.parse_duration_ns', '100ms')), '100000000');
  assert.equal(json(call('time.parse_duration_ns', '1h2m3.5s')), '3723500000000');
  assert.equal(json(call('time.parse_duration_ns', '-1.5h')), '-5400000000000');
  assert.equal(json(call('time.parse_duration_ns', '1µs')), '1000');
  assert.equal(json(call('time.parse_duration_ns', '0')), '0');
  assert.equal(json(call('time.parse_duration_ns', '2562047h')), '9223369200000000000');
  assert.throws(() => call('time.parse_duration_ns', '1'), { message: 'time: missing unit in duration "1"' });
  assert.throws(() => call('time.parse_duration_ns', '1d'), { message: 'time: unknown unit "d" in duration "1d"' });
  assert.throws(() => call('time.parse_duration_ns', 'x'), { message: 'time: invalid duration "x"' });
  assert.throws(() => call('time.parse_duration_ns', ''), { message: 'time: invalid duration ""' });
  assert.throws(() => call('time.parse_duration_ns', '3000000h'), { message: 'time: invalid duration "3000000h"' });
});

test('time.date, clock and weekday with zones (corpus time)', () => {
  assert.deepEqual(call('time.date', n('1517814000000000000')), [2018, 2, 5]);
  assert.deepEqual(call('time.date', [n('1517814000000000000'), 'America/Los_Angeles']), [2018, 2, 4]);
  assert.deepEqual(call('time.date', [n('1517832000000000000'), '']), [2018, 2, 5]);
  assert.deepEqual(call('time.date', n('1582977600000000000')), [2020, 2, 29]);
  assert.throws(() => call('time.date', n('1582977600000000000000')), { message: 'timestamp too big' });
  assert.deepEqual(call('time.clock', n('1517832000000000000')), [12, 0, 0]);
  assert.deepEqual(call('time.clock', [n('1517832000000000000'), 'America/New_York']), [7, 0, 0]);
  // Summer time in New York.
  assert.deepEqual(call('time.clock', [n('1530446400000000000'), 'America/New_York']), [8, 0, 0]);
  assert.deepEqual(call('time.clock', [n('-1'), 'UTC']), [23, 59, 59]);
  const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  days.forEach((d, i) => {
    assert.equal(call('time.weekday', n(String(1517832000000000000n + BigInt(i) * 86400000000000n))), d);
  });
  assert.throws(() => call('time.weekday', 1.5), { message: 'timestamp too big' });
  assert.throws(() => call('time.date', [n('0'), 'Mars/Olympus']), { message: 'unknown time zone Mars/Olympus' });
  assert.throws(
    () => call('time.date', 'x'),
    (e: unknown) => {
      assert.ok(e instanceof OperandError);
      assert.equal(e.message, 'operand 1 must be either number (ns) or [number (ns), string (tz)] but got string');
      return true;
    },
  );
});

test('time.add_date normalises like Go (corpus time)', () => {
  assert.equal(json(call('time.add_date', n('1585852421593912000'), 3, 9, 12)), '1705257221593912000');
  assert.equal(json(call('time.add_date', n('1585852421593912000'), -1, -1, -1)), '1551465221593912000');
  assert.throws(() => call('time.add_date', 0, 2262, 1, 1), { message: 'time outside of valid range' });
  assert.throws(() => call('time.add_date', n('-9223372036854775808'), 0, 0, -1), {
    message: 'time outside of valid range',
  });
  // Jan 31 + 1 month = Mar 2 (Feb 31 normalised), as in Go.
  const jan31 = call('time.parse_ns', '2006-01-02', '2021-01-31') as Value;
  assert.deepEqual(call('time.date', call('time.add_date', jan31, 0, 1, 0) as Value), [2021, 3, 3]);
});

test('time.diff (corpus time/diff)', () => {
  const now = 1670006453141828752n;
  assert.deepEqual(call('time.diff', n(String(now + 61000000000n)), n(String(now))), [0, 0, 0, 0, 1, 1]);
  assert.deepEqual(
    call('time.diff', [n(String(now + 60000000000n)), 'UTC'], [n(String(now)), 'Asia/Shanghai']),
    [0, 0, 0, 0, 1, 0],
  );
  const p = (s: string): Value => call('time.parse_ns', '2006-01-02', s) as Value;
  assert.deepEqual(call('time.diff', p('2020-02-02'), p('2020-03-01')), [0, 0, 28, 0, 0, 0]);
  assert.deepEqual(call('time.diff', p('2021-02-02'), p('2021-03-01')), [0, 0, 27, 0, 0, 0]);
  assert.deepEqual(call('time.diff', p('2004-02-29'), p('2005-03-01')), [1, 0, 1, 0, 0, 0]);
});

test('time.format (corpus time/format)', () => {
  const t = n('1670006453141828752');
  assert.equal(call('time.format', t), '2022-12-02T18:40:53.141828752Z');
  assert.equal(call('time.format', [t, 'Asia/Kolkata']), '2022-12-03T00:10:53.141828752+05:30');
  assert.equal(
    call('time.format', [t, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006']),
    'Sat Dec 03 00:10:53 +0530 2022',
  );
  assert.equal(call('time.format', [t, 'Asia/Kolkata', 'RFC1123Z']), 'Sat, 03 Dec 2022 00:10:53 +0530');
  assert.equal(call('time.format', [t, 'America/New_York', 'RFC1123']), 'Fri, 02 Dec 2022 13:40:53 EST');
  // Zone abbreviations as tzdata spells them: letters where it has them, numeric offsets otherwise.
  assert.equal(call('time.format', [t, 'Asia/Kolkata', 'MST']), 'IST');
  assert.equal(call('time.format', [t, 'Europe/Berlin', 'MST']), 'CET');
  assert.equal(call('time.format', [n('1656000000000000000'), 'Europe/Berlin', 'MST']), 'CEST');
  assert.equal(call('time.format', [t, 'Australia/Sydney', 'MST']), 'AEDT');
  assert.equal(call('time.format', [t, 'Asia/Dubai', 'MST']), '+04');
  assert.equal(call('time.format', [t, 'Asia/Kathmandu', 'MST -07:00']), '+0545 +05:45');
  assert.equal(call('time.format', [t, 'UTC', 'MST']), 'UTC');
  assert.equal(
    call('time.format', [t, 'UTC', 'Monday January _2 3:4:5 pm .000 ,99 002']),
    'Friday December  2 6:40:53 pm .141 ,14 336',
  );
  assert.equal(call('time.format', [n('1670006453000000000'), 'UTC', 'RFC3339Nano']), '2022-12-02T18:40:53Z');
  assert.throws(() => call('time.format', n('15829776000000000000000000')), { message: 'timestamp too big' });
});
