import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSet, type Value } from '../value.ts';

import { builtins } from './strings.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

test('sprintf: the bare %v/%s direct path and its hand-over to the full fmt emulation agree with Go', () => {
  // direct: bare verbs over strings, composites, booleans, null; %% in between
  assert.equal(call('sprintf', '"a %v b %s c %%"', '["x", null]'), '"a x b null c %"');
  assert.equal(call('sprintf', '"%v-%v"', '[{"k": 1}, false]'), '"{\\"k\\": 1}-false"');
  // handed over: numbers, flags and widths, other verbs, missing and extra operands, a trailing %
  assert.equal(call('sprintf', '"%v"', '[1.5]'), '"1.5"');
  assert.equal(call('sprintf', '"%5v|"', '["x"]'), '"    x|"');
  assert.equal(call('sprintf', '"%q"', '["x"]'), '"\\"x\\""');
  assert.equal(call('sprintf', '"%v %v"', '["x"]'), '"x %!v(MISSING)"');
  assert.equal(call('sprintf', '"%v"', '["x", "y"]'), '"x%!(EXTRA string=y)"');
  assert.equal(call('sprintf', '"x%"', '[]'), '"x%!(NOVERB)"');
});

test('sprintf follows Go fmt with OPA argument conversion', () => {
  assert.equal(call('sprintf', '"hi"', '[]'), '"hi"');
  assert.equal(call('sprintf', '"hi %s"', '["there"]'), '"hi there"');
  assert.equal(call('sprintf', '"hi %02d"', '[5]'), '"hi 05"');
  assert.equal(call('sprintf', '"hi %02X.%02X"', '[127, 1]'), '"hi 7F.01"');
  assert.equal(call('sprintf', '"hi %.2f"', '[3.1415]'), '"hi 3.14"');
  assert.equal(call('sprintf', '"hi %v"', '[2e308]'), '"hi 2e308"');
  assert.equal(call('sprintf', '"hi %s"', '[true]'), '"hi true"');
  assert.equal(call('sprintf', '"hi %v"', '[["there", 5, 3.14]]'), '"hi [\\"there\\", 5, 3.14]"');
  assert.equal(call('sprintf', '"%s"', '[123456789123456789123]'), '"123456789123456789123"');
  assert.equal(call('sprintf', '"%d"', '[1208925819614629174706175]'), '"1208925819614629174706175"');
  assert.equal(call('sprintf', '"%v %v"', [set(1, 'a'), set()]), '"{1, \\"a\\"} set()"');
  assert.equal(call('sprintf', '"%v"', '[{"b": [1], "a": null}]'), '"{\\"a\\": null, \\"b\\": [1]}"');
  assert.equal(
    call('sprintf', '"%d|%5d|%-5d|%+d|%x|%X|%o|%b|%#x|%08.3f"', '[-3, 42, 42, 7, 255, 255, 8, 5, 255, 3.14159]'),
    '"-3|   42|42   |+7|ff|FF|10|101|0xff|0003.142"',
  );
  assert.equal(
    call(
      'sprintf',
      '"%e|%E|%g|%g|%g|%.3g|%v|%v"',
      '[1234.5678, 0.000123, 1e-7, 123456789.5, 100000.5, 3.14159, 1.5, 1e+21]',
    ),
    '"1.234568e+03|1.230000E-04|1e-07|1.234567895e+08|100000.5|3.14|1.5|1e+21"',
  );
  assert.equal(
    call('sprintf', '"%q|%5s|%-4s|%.2s|%x|%c|%U"', '["a\\"b", "ab", "ab", "héllo", "hé", 65, 955]'),
    '"\\"a\\\\\\"b\\"|   ab|ab  |hé|68c3a9|A|U+03BB"',
  );
  assert.equal(call('sprintf', '"%.2f|%.1f|%.0f"', '[2.675, 0.25, 2.5]'), '"2.67|0.2|2"');
  assert.equal(call('sprintf', '"%d %s"', '[1.5, 3]'), '"%!d(float64=1.5) %!s(int=3)"');
  assert.equal(call('sprintf', '"%d %d"', '[1]'), '"1 %!d(MISSING)"');
  assert.equal(call('sprintf', '"%d"', '[1, "a"]'), '"1%!(EXTRA string=a)"');
  assert.equal(call('sprintf', '"100%%"', '[]'), '"100%"');
  assert.equal(call('sprintf', '"%"', '[]'), '"%!(NOVERB)"');
  assert.equal(call('sprintf', '"%z"', '[1]'), '"%!z(int=1)"');
  assert.equal(call('sprintf', '"%*d"', '[4, 1]'), '"   1"');
  assert.equal(call('sprintf', '"%99999999999d"', '[1]'), '"%!(NOVERB)%!(EXTRA int=1)"');
  assert.equal(call('sprintf', '"%#v %#v"', '["a", 5]'), '"\\"a\\" 5"');
  assert.equal(
    call('sprintf', '"%x|%x|%.2x|%X|%b|%x"', '[1.5, 0.1, 0.3333333333333333, -2.5, 1.5, 1e-300]'),
    '"0x1.8p+00|0x1.999999999999ap-04|0x1.55p-02|-0X1.4P+01|6755399441055744p-52|0x1.56e1fc2f8f359p-997"',
  );
  assert.throws(() => call('sprintf', '"%s"', '"x"'), { message: 'operand 2 must be array but got string' });
});

test('format_int', () => {
  assert.equal(call('format_int', '15.5', '16'), '"f"');
  assert.equal(call('format_int', '-15', '2'), '"-1111"');
  assert.equal(call('format_int', '3.1', '10'), '"3"');
  assert.equal(call('format_int', '10', '8'), '"12"');
  assert.throws(() => call('format_int', '4.1', '199'), {
    name: 'OperandError',
    message: 'operand 2 must be one of {2, 8, 10, 16}',
  });
});

test('code-point indexing: indexof, indexof_n, substring, count, reverse', () => {
  assert.equal(call('indexof', '"abcdefgh"', '"cde"'), '2');
  assert.equal(call('indexof', '"abcdefgh"', '"xyz"'), '-1');
  assert.equal(call('indexof', '"skön var våren"', '"vår"'), '9');
  assert.equal(call('indexof', '"μx"', '"x"'), '1');
  assert.equal(call('indexof', '"μ"', '"μμ"'), '-1');
  assert.equal(call('indexof', '"🍧🍨🧁🍰🍮"', '"🍮"'), '4');
  assert.throws(() => call('indexof', '"a"', '""'), { message: 'empty search character' });
  assert.equal(call('indexof_n', '"dogcatdogcat"', '"cat"'), '[3,9]');
  assert.equal(call('indexof_n', '"aaa"', '"aa"'), '[0,1]');
  assert.equal(call('indexof_n', '"😇😀😇😀😇😀"', '"😀"'), '[1,3,5]');
  assert.equal(call('substring', '"abcdefgh"', '2', '3'), '"cde"');
  assert.equal(call('substring', '"abcdefgh"', '2', '-1'), '"cdefgh"');
  assert.equal(call('substring', '"abcdefgh"', '2', '10000'), '"cdefgh"');
  assert.equal(call('substring', '"aaa"', '4', '-1'), '""');
  assert.equal(call('substring', '"åäö"', '0', '2'), '"åä"');
  assert.equal(call('substring', '"aåäö"', '2', '-1'), '"äö"');
  assert.throws(() => call('substring', '"aaa"', '-1', '-1'), { name: 'BuiltinError', message: 'negative offset' });
  assert.equal(call('strings.count', '"cheese"', '"e"'), '3');
  assert.equal(call('strings.count', '"five"', '""'), '5');
  assert.equal(call('strings.count', '"aaaa"', '"aa"'), '2');
  assert.equal(call('strings.reverse', '"abc😀é"'), '"é😀cba"');
  assert.throws(() => call('strings.reverse', '1'), { message: 'operand 1 must be string but got number' });
});

test('concat, split, replace, replace_n', () => {
  assert.equal(call('concat', '"/"', '["a","b","c"]'), '"a/b/c"');
  assert.equal(call('concat', '", "', set('b', 'a')), '"a, b"');
  assert.equal(call('concat', '"/"', '[]'), '""');
  assert.throws(() => call('concat', '"/"', '["a", 1]'), {
    message: 'operand 2 must be array of strings but got array containing number',
  });
  assert.equal(call('split', '"a.b.c"', '"."'), '["a","b","c"]');
  assert.equal(call('split', '""', '","'), '[""]');
  assert.equal(call('split', '"hé"', '""'), '["h","é"]');
  assert.equal(call('replace', '"foo.bar"', '"."', '","'), '"foo,bar"');
  assert.equal(call('replace', '"ab"', '""', '"-"'), '"-a-b-"');
  assert.equal(call('strings.replace_n', '{"<": "&lt;", ">": "&gt;"}', '"<a>"'), '"&lt;a&gt;"');
  assert.equal(call('strings.replace_n', '{"a": "1", "ab": "2"}', '"abab"'), '"1b1b"');
  assert.throws(() => call('strings.replace_n', '{"a": 1}', '"a"'), {
    message: 'operand 1 non-string value found in pattern object',
  });
  assert.throws(() => call('strings.replace_n', '{"a": "1"}', '1'), {
    message: 'operand 2 must be string but got number',
  });
});

test('trim family', () => {
  assert.equal(call('trim', '"  abc  "', '" "'), '"abc"');
  assert.equal(call('trim', '"xyabcyx"', '"xy"'), '"abc"');
  assert.equal(call('trim_left', '"xyabcyx"', '"xy"'), '"abcyx"');
  assert.equal(call('trim_right', '"xyabcyx"', '"xy"'), '"xyabc"');
  assert.equal(call('trim_prefix', '"prefix-abc"', '"prefix-"'), '"abc"');
  assert.equal(call('trim_suffix', '"abc.txt"', '".txt"'), '"abc"');
  assert.equal(call('trim_space', '"\\t  abc \\u00a0\\n"'), '"abc"');
  // Go's unicode.IsSpace does not include U+FEFF (JavaScript's \s does).
  assert.equal(call('trim_space', JSON.stringify('\ufeffx ')), JSON.stringify('\ufeffx'));
});

test('case, prefix/suffix predicates and any_*_match', () => {
  assert.equal(call('lower', '"AbCdEf"'), '"abcdef"');
  assert.equal(call('upper', '"AbCdEf"'), '"ABCDEF"');
  assert.equal(call('upper', '"straße"'), '"STRAßE"');
  assert.equal(call('lower', '"İSTANBUL Σ"'), '"istanbul σ"');
  assert.equal(call('contains', '"abc"', '"b"'), 'true');
  assert.equal(call('startswith', '"abc"', '"ab"'), 'true');
  assert.equal(call('endswith', '"abc"', '"bc"'), 'true');
  assert.equal(call('strings.any_prefix_match', '["a/b", "c/d"]', '"c/"'), 'true');
  assert.equal(call('strings.any_prefix_match', '"a/b"', set('x', 'a')), 'true');
  assert.equal(call('strings.any_suffix_match', '"a/b"', '["x", "/b"]'), 'true');
  assert.equal(call('strings.any_suffix_match', '[]', '"b"'), 'false');
  assert.throws(() => call('strings.any_prefix_match', '1', '"a"'), {
    message: 'operand 1 must be one of {string, set, array} but got number',
  });
  assert.throws(() => call('strings.any_suffix_match', '"a"', '[1]'), {
    message: 'operand 2 must be array of strings but got array containing number',
  });
});

test('strings.render_template runs Go text/template with missingkey=error', () => {
  assert.equal(call('strings.render_template', '"{{.test}}"', '{"test": "hello world"}'), '"hello world"');
  assert.equal(call('strings.render_template', '"{{.test}}"', '{"test": 2023}'), '"2023"');
  assert.equal(
    call(
      'strings.render_template',
      '"{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}"',
      '{"hellonames": ["rohan", "john doe"]}',
    ),
    '"hello rohan,hello john doe"',
  );
  assert.equal(
    call(
      'strings.render_template',
      '"{{if eq .a \\"x\\"}}one{{else if gt .a \\"m\\"}}many{{else}}none{{end}}"',
      '{"a": "z"}',
    ),
    '"many"',
  );
  assert.equal(
    call('strings.render_template', '"{{- .a -}} x {{ printf \\"%05.1f\\" .b }}"', '{"a": "A", "b": 2.25}'),
    '"Ax %!f(json.Number=2.25)"',
  );
  assert.equal(
    call('strings.render_template', '"{{range .m}}{{.}};{{end}}{{len .m}}"', '{"m": {"b": 2, "a": 1}}'),
    '"1;2;2"',
  );
  assert.throws(() => call('strings.render_template', '"{{.missing}}"', '{"test": 1}'), {
    name: 'BuiltinError',
    message: 'template: template:1:2: executing "template" at <.missing>: map has no entry for key "missing"',
  });
  assert.throws(() => call('strings.render_template', '"a\\nb {{ .x.y }}"', '{"x": {}}'), {
    message: 'template: template:2:5: executing "template" at <.x.y>: map has no entry for key "y"',
  });
});

test('render_template prints numbers as their JSON text', () => {
  assert.equal(
    call('strings.render_template', '"{{.a}} {{.b}} {{.c}}"', '{"a": 12345678, "b": 1.5, "c": [1, "x"]}'),
    '"12345678 1.5 [1 x]"',
  );
});
