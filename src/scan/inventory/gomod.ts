// Go modules: go.mod `require` directives (single lines and blocks), with `replace` directives applied
// (a replacement by another module version is what gets built; a replacement by a local path is not a
// published module and is left out).
import { ScanError } from '../errors.ts';
import { purl } from './purl.ts';
import type { Package } from './types.ts';

export function goModule(path: string, version: string, file: string, layer?: string): Package {
  return {
    type: 'golang',
    name: path,
    version,
    purl: purl('golang', undefined, path, version),
    ecosystem: 'Go',
    location: file,
    ...(layer ? { layer } : {}),
  };
}

function directives(text: string, file: string): Array<{ verb: string; args: string[]; line: number }> {
  const out: Array<{ verb: string; args: string[]; line: number }> = [];
  let block: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '') return;
    if (block !== undefined) {
      if (line === ')') block = undefined;
      else out.push({ verb: block, args: line.split(/\s+/), line: i + 1 });
      return;
    }
    const m = /^(\w+)\s*(\(?)\s*(.*)$/.exec(line);
    if (!m)
      throw new ScanError('PARSE_ERROR', `${file}:${i + 1}:1: unexpected ${JSON.stringify(line)}`, {
        location: { file, row: i + 1, col: 1 },
      });
    if (m[2] === '(') block = m[1]!;
    else out.push({ verb: m[1]!, args: m[3]!.split(/\s+/), line: i + 1 });
  });
  return out;
}

export function parseGoMod(text: string, file: string, layer?: string): Package[] {
  const ds = directives(text, file);
  const replace = new Map<string, { path: string; version?: string }>();
  for (const d of ds) {
    if (d.verb !== 'replace') continue;
    const arrow = d.args.indexOf('=>');
    const from = d.args[0];
    const to = d.args[arrow + 1];
    if (arrow < 0 || !from || !to) continue;
    const version = d.args[arrow + 2];
    replace.set(from, { path: to, ...(version ? { version } : {}) });
  }
  const out: Package[] = [];
  for (const d of ds) {
    if (d.verb !== 'require') continue;
    const [path, version] = d.args;
    if (!path || !version)
      throw new ScanError('PARSE_ERROR', `${file}:${d.line}:1: require needs a module path and a version`, {
        location: { file, row: d.line, col: 1 },
      });
    const r = replace.get(path);
    if (r && !r.version) continue; // replaced by a local directory
    out.push(goModule(r?.path ?? path, r?.version ?? version, file, layer));
  }
  return out;
}
