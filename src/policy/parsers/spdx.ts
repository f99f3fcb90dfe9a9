// SPDX tag-value documents (`Tag: value` lines, `<text>...</text>` blocks). The document's own tags are
// kept at the top level under their SPDX tag names; `Creator`/`Created`/`LicenseListVersion` go under
// `CreationInfo`; each `PackageName` starts an entry in `Packages`, each `FileName` one in `Files`,
// `Relationship` lines are collected in `Relationships`. A tag seen twice in one section becomes a list.
// (Conftest marshals tools-golang's Go structs; field names match the tag names used here for the
// common fields, but nested structures are simpler.)
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

type Section = Record<string, unknown>;

function put(sec: Section, key: string, value: string): void {
  const cur = sec[key];
  if (cur === undefined) sec[key] = value;
  else if (Array.isArray(cur)) cur.push(value);
  else sec[key] = [cur, value];
}

export const spdxParser: Parser = {
  name: 'spdx',
  parse(text: string, ctx: ParseContext): ParsedFile {
    const doc: Section = {};
    const creation: Section = {};
    const packages: Section[] = [];
    const files: Section[] = [];
    const relationships: string[] = [];
    let current: Section = doc;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      const m = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/.exec(line);
      if (!m) throw new PolicyError('policy_parse_error', `spdx: expected "Tag: value"`, { file: ctx.file, row: i + 1, col: 1 });
      const tag = m[1] ?? '';
      let value = m[2] ?? '';
      if (value.startsWith('<text>')) {
        let body = value.slice(6);
        while (!body.includes('</text>')) {
          i++;
          if (i >= lines.length) throw new PolicyError('policy_parse_error', `spdx: unterminated <text> block for ${tag}`, { file: ctx.file, row: i, col: 1 });
          body += '\n' + (lines[i] ?? '');
        }
        value = body.slice(0, body.indexOf('</text>'));
      }
      if (tag === 'PackageName') packages.push((current = {}));
      else if (tag === 'FileName') files.push((current = {}));
      if (tag === 'Creator' || tag === 'Created' || tag === 'LicenseListVersion' || tag === 'CreatorComment') put(creation, tag, value);
      else if (tag === 'Relationship') relationships.push(value);
      else put(current, tag, value);
    }
    if (Object.keys(creation).length > 0) doc.CreationInfo = creation;
    if (packages.length > 0) doc.Packages = packages;
    if (files.length > 0) doc.Files = files;
    if (relationships.length > 0) doc.Relationships = relationships;
    return { value: doc };
  },
};
