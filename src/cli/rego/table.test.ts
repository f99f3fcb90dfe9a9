import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayWidth, renderTable } from './table.ts';

test('a table of bindings is laid out like OPA’s pretty output', () => {
  assert.equal(
    renderTable(
      ['x', 'y'],
      [
        ['1', '"a"'],
        ['22', '"bb"'],
      ],
    ),
    ['+----+------+', '| x  |  y   |', '+----+------+', '| 1  | "a"  |', '| 22 | "bb" |', '+----+------+', ''].join(
      '\n',
    ),
  );
});

test('cells longer than 30 columns wrap at spaces and shorter cells are filled', () => {
  const long = '"container envoy must not be privileged"';
  const out = renderTable(['id', 'msg'], [['10', long]]);
  const lines = out.trimEnd().split('\n');
  // every line of the table has the same width
  assert.equal(new Set(lines.map((l) => displayWidth(l))).size, 1);
  // the text is split over two lines and none is wider than 30 columns
  const cells = lines.slice(3, -1).map((l) => (l.split('|')[2] as string).trim());
  assert.deepEqual(cells, ['"container envoy must not be', 'privileged"']);
  assert.match(lines[4] as string, /^\| {4}\| privileged" +\|$/);
});

test('the filler of a one-column-wide cell overflows by one, as in tablewriter', () => {
  const out = renderTable(['i', 'msg'], [['0', '"container envoy must not be privileged"']]);
  assert.match(out, /\n\| {4}\| privileged" +\|\n/);
});

test('a single word longer than the limit is not broken', () => {
  const word = '"' + 'x'.repeat(40) + '"';
  const out = renderTable(['v'], [[word]]);
  assert.ok(out.includes(`| ${word} |`));
});

test('wide characters count two columns', () => {
  assert.equal(displayWidth('関所'), 4);
  assert.equal(displayWidth('abc'), 3);
});
