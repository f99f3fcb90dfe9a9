// Python lockfiles: poetry.lock and uv.lock (TOML `[[package]]` tables with name and version) and
// Pipfile.lock (JSON `default` and `develop` sections with `"version": "==x"`). uv's entry for the
// project itself (an editable or virtual source) is not a dependency.
import { ScanError } from '../errors.ts';
import { isObj, parseJson } from './parse-json.ts';
import { parseToml } from './parse-toml.ts';
import { pyPkg } from './pip.ts';
import type { Package } from './types.ts';

function tomlPackages(
  text: string,
  file: string,
  layer: string | undefined,
  skip: (p: Record<string, unknown>) => boolean,
): Package[] {
  const doc = parseToml(text, file);
  const list = Array.isArray(doc.package) ? doc.package : [];
  const out: Package[] = [];
  for (const p of list) {
    if (!isObj(p) || typeof p.name !== 'string' || typeof p.version !== 'string' || skip(p)) continue;
    const pkg = pyPkg(p.name, p.version, file, layer);
    if (p.category === 'dev') pkg.dev = true;
    out.push(pkg);
  }
  return out;
}

export function parsePoetryLock(text: string, file: string, layer?: string): Package[] {
  return tomlPackages(text, file, layer, () => false);
}

export function parseUvLock(text: string, file: string, layer?: string): Package[] {
  return tomlPackages(text, file, layer, (p) => isObj(p.source) && ('editable' in p.source || 'virtual' in p.source));
}

export function parsePipfileLock(text: string, file: string, layer?: string): Package[] {
  const doc = parseJson(text, file);
  if (!isObj(doc)) throw new ScanError('PARSE_ERROR', `${file}: not a Pipfile.lock object`);
  const out: Package[] = [];
  for (const section of ['default', 'develop'] as const) {
    const deps = doc[section];
    if (!isObj(deps)) continue;
    for (const [name, v] of Object.entries(deps)) {
      // only pinned versions (`==x`); VCS and path dependencies carry none
      const m = isObj(v) && typeof v.version === 'string' ? /^===?(.+)$/.exec(v.version) : null;
      if (!m) continue;
      const pkg = pyPkg(name, m[1]!, file, layer);
      if (section === 'develop') pkg.dev = true;
      out.push(pkg);
    }
  }
  return out;
}
