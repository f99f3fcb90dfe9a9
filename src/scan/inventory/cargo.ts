// Rust: Cargo.lock (`[[package]]` tables). Crates without a `source` are the workspace's own members.
import { isObj } from './parse-json.ts';
import { parseToml } from './parse-toml.ts';
import { purl } from './purl.ts';
import type { Package } from './types.ts';

export function parseCargoLock(text: string, file: string, layer?: string): Package[] {
  const doc = parseToml(text, file);
  const out: Package[] = [];
  for (const p of Array.isArray(doc.package) ? doc.package : []) {
    if (!isObj(p) || typeof p.name !== 'string' || typeof p.version !== 'string' || typeof p.source !== 'string')
      continue;
    out.push({
      type: 'cargo',
      name: p.name,
      version: p.version,
      purl: purl('cargo', undefined, p.name, p.version),
      ecosystem: 'crates.io',
      location: file,
      ...(layer ? { layer } : {}),
    });
  }
  return out;
}
