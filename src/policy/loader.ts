// Loading policies (.rego files, recursively) and data documents (.json/.yaml/.yml, recursively, placed
// under `data` by their directory relative to the given root, as OPA's loader does).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { PolicyError } from './errors.ts';
import { jsonParser } from './parsers/json.ts';
import { yamlParser } from './parsers/yaml.ts';

export interface PolicyFile {
  file: string;
  text: string;
}

function walk(root: string, keep: (name: string) => boolean, out: string[]): void {
  let st;
  try {
    st = statSync(root);
  } catch (e) {
    throw new PolicyError('policy_load_error', `load: stat ${root}: no such file or directory`, undefined, { cause: e });
  }
  if (st.isFile()) {
    out.push(root);
    return;
  }
  const entries = readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(root, e.name);
    if (e.isDirectory()) walk(p, keep, out);
    else if (e.isFile() && keep(e.name)) out.push(p);
    else if (e.isSymbolicLink()) {
      try {
        const t = statSync(p);
        if (t.isDirectory()) walk(p, keep, out);
        else if (keep(e.name)) out.push(p);
      } catch {
        // dangling link: ignored
      }
    }
  }
}

/** Every .rego file under the given paths (files given directly are taken whatever their name). */
export function loadPolicyFiles(paths: string[]): PolicyFile[] {
  const files: string[] = [];
  for (const p of paths) walk(p, (n) => n.endsWith('.rego'), files);
  const seen = new Set<string>();
  const out: PolicyFile[] = [];
  for (const f of files) {
    if (seen.has(f)) continue;
    seen.add(f);
    out.push({ file: f, text: readFileSync(f, 'utf8') });
  }
  return out;
}

/** Merges data documents from the given paths into one plain object. */
export function loadDataDocuments(paths: string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const base of paths) {
    const files: string[] = [];
    walk(base, (n) => /\.(json|ya?ml)$/.test(n), files);
    let baseIsFile = false;
    try {
      baseIsFile = statSync(base).isFile();
    } catch {
      baseIsFile = false;
    }
    for (const f of files) {
      if (!/\.(json|ya?ml)$/.test(f)) continue;
      const text = readFileSync(f, 'utf8');
      const parsed = f.endsWith('.json') ? jsonParser.parse(text, { file: f }) : yamlParser.parse(text, { file: f });
      let value = (parsed as { value: unknown }).value;
      if (!f.endsWith('.json') && (parsed as { lines?: unknown }).lines && Array.isArray(value)) {
        // a multi-document YAML data file: OPA takes only single documents; keep the first like a merge would fail
        value = value[0];
      }
      const rel = baseIsFile ? '' : relative(base, dirname(f));
      const path = rel === '' ? [] : rel.split(sep).filter((s) => s !== '' && s !== '.');
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        if (path.length === 0) throw new PolicyError('policy_load_error', `${f}: data file at the root must be an object`);
        mergeAt(root, path, value, f);
      } else {
        mergeAt(root, path, value, f);
      }
    }
  }
  return root;
}

function mergeAt(root: Record<string, unknown>, path: string[], value: unknown, file: string): void {
  let cur = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i] ?? '';
    const next = cur[k];
    if (next === undefined) cur = cur[k] = {} as Record<string, unknown>;
    else if (typeof next === 'object' && next !== null && !Array.isArray(next)) cur = next as Record<string, unknown>;
    else throw new PolicyError('policy_load_error', `${file}: merge error: ${path.join('.')} conflicts with existing data`);
  }
  const last = path[path.length - 1];
  if (last === undefined) {
    merge(cur, value as Record<string, unknown>, file);
    return;
  }
  const existing = cur[last];
  if (existing === undefined) cur[last] = value;
  else if (isObj(existing) && isObj(value)) merge(existing, value, file);
  else throw new PolicyError('policy_load_error', `${file}: merge error: ${path.join('.')} conflicts with existing data`);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(into: Record<string, unknown>, from: Record<string, unknown>, file: string): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (cur === undefined) into[k] = v;
    else if (isObj(cur) && isObj(v)) merge(cur, v, file);
    else throw new PolicyError('policy_load_error', `${file}: merge error: key ${JSON.stringify(k)} is defined twice`);
  }
}
