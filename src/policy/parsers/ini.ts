// INI as Conftest's go-ini parser: `{section: {key: value}}`, keys outside any section dropped (go-ini's
// DEFAULT section), values that read as numbers become numbers and Go booleans become booleans.
// Written here because the npm `ini` package nests dotted section names (`[auth.basic]`), which breaks
// policies written for Conftest (`input["auth.basic"]`).
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

const GO_BOOLS: Record<string, boolean> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

export function goScalar(v: string): unknown {
  const t = v.trim();
  if (t !== '' && /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) return n;
  }
  if (t in GO_BOOLS) return GO_BOOLS[t];
  return v;
}

export const iniParser: Parser = {
  name: 'ini',
  parse(text: string, ctx: ParseContext): ParsedFile {
    const out: Record<string, Record<string, unknown>> = {};
    let section: Record<string, unknown> | undefined;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i] ?? '';
      const line = raw.trim();
      if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
      if (line.startsWith('[')) {
        const end = line.indexOf(']');
        if (end < 0) {
          throw new PolicyError('policy_parse_error', `ini: unclosed section header`, { file: ctx.file, row: i + 1, col: raw.indexOf('[') + 1 });
        }
        const name = line.slice(1, end).trim();
        section = name === 'DEFAULT' ? undefined : (out[name] ??= {});
        continue;
      }
      const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
      let key: string;
      let value: string;
      if (m) {
        key = m[1] ?? '';
        value = m[2] ?? '';
      } else {
        key = line;
        value = '';
      }
      value = value.replace(/\s+[;#].*$/, '');
      if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")) || (value.startsWith('`') && value.endsWith('`')))) {
        value = value.slice(1, -1);
      }
      if (section) section[key] = goScalar(value);
    }
    return { value: out };
  },
};
