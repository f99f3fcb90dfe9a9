// yarn.lock: Yarn 1 (its own indented format: `"name@range", name@range:` headers with `version "x"`) and
// Yarn 2+ "berry" (YAML with `resolution: "name@npm:x"`). Workspace, link, portal and patch entries are the
// project's own code, not installed packages.
import { ScanError } from '../errors.ts';
import { npmPackage } from './npm.ts';
import { isObj } from './parse-json.ts';
import { parseYaml } from './parse-yaml.ts';
import type { Package } from './types.ts';

/** The package name of a descriptor such as `@scope/name@^1.0.0` or `name@npm:1.2.3`. */
function descriptorName(d: string): string {
  const s = d.trim().replace(/^"|"$/g, '');
  const at = s.indexOf('@', s.startsWith('@') ? 1 : 0);
  return at < 0 ? s : s.slice(0, at);
}

function parseV1(text: string, file: string, layer?: string): Package[] {
  const out: Package[] = [];
  const seen = new Set<string>();
  let name: string | undefined;
  let headerLine = 0;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) return;
    if (!line.startsWith(' ')) {
      if (!line.endsWith(':'))
        throw new ScanError('PARSE_ERROR', `${file}:${i + 1}:1: expected a "name@range:" header`, {
          location: { file, row: i + 1, col: 1 },
        });
      name = descriptorName(line.slice(0, -1).split(',')[0] ?? '');
      headerLine = i + 1;
      return;
    }
    const m = /^ {2}version:? "?([^"\s]+)"?$/.exec(line);
    if (m && name !== undefined) {
      const key = `${name}@${m[1]}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(npmPackage(name, m[1]!, file, false, layer));
      }
      name = undefined;
    }
  });
  if (name !== undefined)
    throw new ScanError('PARSE_ERROR', `${file}:${headerLine}:1: entry for ${name} has no version`, {
      location: { file, row: headerLine, col: 1 },
    });
  return out;
}

function parseBerry(text: string, file: string, layer?: string): Package[] {
  const doc = parseYaml(text, file);
  if (!isObj(doc)) throw new ScanError('PARSE_ERROR', `${file}: not a yarn lockfile`);
  const out: Package[] = [];
  for (const [key, v] of Object.entries(doc)) {
    if (key === '__metadata' || !isObj(v)) continue;
    const resolution = typeof v.resolution === 'string' ? v.resolution : key.split(',')[0]!;
    if (/@(workspace|link|portal|patch|file):/.test(resolution)) continue;
    const version = v.version === undefined ? undefined : String(v.version);
    if (!version || version === '0.0.0-use.local') continue;
    out.push(npmPackage(descriptorName(resolution), version, file, false, layer));
  }
  return out;
}

export function parseYarnLock(text: string, file: string, layer?: string): Package[] {
  return /^__metadata:/m.test(text) ? parseBerry(text, file, layer) : parseV1(text, file, layer);
}
