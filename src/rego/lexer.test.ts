import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeString, lex } from './lexer.ts';

const brief = (src: string) => lex(src).tokens.map((t) => `${t.type}:${t.lit}@${t.row}:${t.col}`);

test('identifiers, numbers, punctuation with 1-based rows and columns', () => {
  assert.deepEqual(brief('p := 1.5e3\nq[x] != -2'), [
    'ident:p@1:1',
    'punct::=@1:3',
    'number:1.5e3@1:6',
    'ident:q@2:1',
    'punct:[@2:2',
    'ident:x@2:3',
    'punct:]@2:4',
    'punct:!=@2:6',
    'punct:-@2:9',
    'number:2@2:10',
    'eof:@2:11',
  ]);
});

test('tabs count as one column; non-ASCII characters count one column each', () => {
  const toks = lex('\t\tx := "é😀" ; y').tokens;
  assert.equal(toks[0]?.col, 3);
  assert.equal(toks[3]?.lit, ';');
  assert.equal(toks[3]?.col, 13);
  assert.equal(toks[4]?.col, 15);
});

test('all two-character operators', () => {
  assert.deepEqual(
    lex(':= == != <= >= < > = : | & + - * / % ; , .')
      .tokens.map((t) => t.lit)
      .slice(0, -1),
    [':=', '==', '!=', '<=', '>=', '<', '>', '=', ':', '|', '&', '+', '-', '*', '/', '%', ';', ',', '.'],
  );
});

test('whitespace and newline flags', () => {
  const toks = lex('a b\nc# x\nd.e').tokens;
  assert.deepEqual(
    toks.map((t) => [t.lit, t.ws, t.nl]),
    [
      ['a', false, false],
      ['b', true, false],
      ['c', true, true],
      ['d', true, true],
      ['.', false, false],
      ['e', false, false],
      ['', false, false],
    ],
  );
});

test('comments are kept, with text after # and without a trailing CR', () => {
  const { comments, tokens } = lex('# METADATA\r\n# title: x\np := 1 # tail');
  assert.deepEqual(
    comments.map((c) => [c.text, c.row, c.col]),
    [
      [' METADATA', 1, 1],
      [' title: x', 2, 1],
      [' tail', 3, 8],
    ],
  );
  assert.equal(tokens.length, 4);
});

test('strings and raw strings', () => {
  const toks = lex('"a\\"b\\u00e9" `raw\nline`  x').tokens;
  assert.equal(toks[0]?.type, 'string');
  assert.equal(toks[0]?.lit, '"a\\"b\\u00e9"');
  assert.equal(toks[1]?.type, 'rawstring');
  assert.equal(toks[1]?.lit, '`raw\nline`');
  assert.equal(toks[2]?.row, 2);
  assert.equal(toks[2]?.col, 8);
});

test('scanner errors are attached to tokens', () => {
  assert.equal(lex('"abc').tokens[0]?.error, 'non-terminated string');
  assert.equal(lex('"a\nb"').tokens[0]?.error, 'non-terminated string');
  assert.equal(lex('`abc').tokens[0]?.error, 'non-terminated string');
  assert.equal(lex('"\\q"').tokens[0]?.error, 'illegal escape sequence');
  assert.equal(lex('1.').tokens[0]?.error, 'expected fraction');
  assert.equal(lex('1e').tokens[0]?.error, 'expected exponent');
  assert.equal(lex('12ab').tokens[0]?.error, 'illegal number format');
  assert.equal(lex('12ab').tokens[0]?.lit, '12ab');
  assert.equal(lex('!x').tokens[0]?.error, 'illegal ! character');
  assert.equal(lex('@').tokens[0]?.type, 'illegal');
});

test('a leading byte-order mark is skipped', () => {
  assert.deepEqual(brief('\ufeffp'), ['ident:p@1:1', 'eof:@1:2']);
});

test('decodeString follows JSON/Go escapes', () => {
  assert.equal(decodeString('"a\\n\\t\\"\\\\\\/"'), 'a\n\t"\\/');
  assert.equal(decodeString('"\\u00e9"'), 'é');
  assert.equal(decodeString('"\\ud83d\\ude00"'), '😀');
  assert.equal(decodeString('"\\ud83d"'), '\ufffd');
  assert.equal(decodeString('"\\x41"'), undefined);
  assert.equal(decodeString('"\\u12"'), undefined);
  assert.equal(decodeString('"a\tb"'), undefined);
});
