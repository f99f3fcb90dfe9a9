// Loads policy and data files the way `opa eval -d` does (OPA's loader package):
// - each -d path is a file or a directory walked recursively (entries in name order);
// - *.rego files are modules (named by their path as given); *.json, *.yaml and *.yml files are data;
// - a data file found at depth > 0 is merged under the path of its directory relative to the -d root
//   (`-d policies` with policies/a/b/x.json puts x.json's object at data.a.b), a file given directly is
//   merged at the root; a `-d x.y:path` prefix roots everything under data.x.y;
// - files of other types inside directories are skipped; a file given directly is tried as Rego, JSON, YAML;
// - documents merge recursively; two different non-object values at one path are a merge error.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYAML } from 'yaml';
import { fromJS, parseJSON, parseNumber, RObject, type ModuleSource, type Value } from '../../rego/index.ts';

export class LoadError extends Error {
  readonly code = 'rego_load_error';
  readonly location: { file: string; row: number; col: number } | undefined;
  constructor(message: string, file?: string, row = 0, col = 0, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoadError';
    this.location = file !== undefined ? { file, row, col } : undefined;
  }
}

export interface Loaded {
  modules: ModuleSource[];
  data: RObject;
}

function exactNumberTag(
  tag: string,
  test: RegExp,
): { tag: string; default: true; test: RegExp; resolve: (s: string) => unknown } {
  return { tag, default: true, test, resolve: (s) => parseNumber(s.replace(/^\+/, '')) ?? Number(s) };
}

const YAML_OPTIONS = {
  version: '1.1' as const,
  customTags: (tags: unknown[]) => [
    exactNumberTag('tag:yaml.org,2002:int', /^[-+]?(0|[1-9][0-9]*)$/),
    exactNumberTag('tag:yaml.org,2002:float', /^[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/),
    ...tags,
  ],
};

/** Parses YAML text (YAML 1.1 like OPA's go-yaml, numbers exact); throws a LoadError naming the file and line. */
export function parseYAMLDocument(text: string, file: string): Value {
  try {
    const v = parseYAML(text, { ...YAML_OPTIONS, prettyErrors: true } as any) as unknown;
    return fromJS(v);
  } catch (err) {
    const e = err as { message?: string; linePos?: { line: number; col: number }[] };
    const pos = e.linePos?.[0];
    throw new LoadError(
      `${file}: error converting YAML to JSON: ${(e.message ?? String(err)).split('\n')[0]}`,
      file,
      pos?.line ?? 0,
      pos?.col ?? 0,
      {
        cause: err,
      },
    );
  }
}

/** Parses JSON text with exact numbers; throws a LoadError naming the file, line and column. */
export function parseJSONDocument(text: string, file: string): Value {
  try {
    return parseJSON(text);
  } catch (err) {
    const msg = (err as Error).message;
    const at = /position (\d+)/.exec(msg);
    let row = 0;
    let col = 0;
    if (at) {
      const before = text.slice(0, Number(at[1]));
      row = before.split('\n').length;
      col = before.length - before.lastIndexOf('\n');
    }
    throw new LoadError(`${file}: ${msg}`, file, row, col, { cause: err });
  }
}

/** Parses an input document (JSON, or YAML when it is not JSON), as `opa eval -i` does. */
export function parseInputDocument(text: string, file: string): Value {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[') || t.startsWith('"')) {
    try {
      return parseJSON(t);
    } catch {
      // fall through to YAML, which is a superset of JSON and reports a position
    }
  }
  return parseYAMLDocument(text, file);
}

function isObject(v: Value): v is RObject {
  return v instanceof RObject;
}

/** Deep-merges b into a (both objects); returns undefined on conflicting leaves. */
export function mergeObjects(a: RObject, b: RObject): RObject | undefined {
  const out = a.clone();
  for (const [k, v] of b.unorderedEntries()) {
    const existing = out.get(k);
    if (existing === undefined) {
      out.set(k, v);
    } else if (isObject(existing) && isObject(v)) {
      const m = mergeObjects(existing, v);
      if (m === undefined) return undefined;
      out.set(k, m);
    } else {
      return undefined;
    }
  }
  return out;
}

function rooted(path: string[], doc: Value): Value {
  let v = doc;
  for (let i = path.length - 1; i >= 0; i--) v = RObject.from([[path[i] as string, v]]);
  return v;
}

/** Splits OPA's `a.b:path` prefix form (but not URLs like file://). */
export function splitPrefix(p: string): [string[], string] {
  const colon = p.indexOf(':');
  if (colon <= 0 || p.indexOf('://') === colon) return [[], p];
  if (/^[A-Za-z]:[\\/]/.test(p)) return [[], p]; // a Windows drive letter
  return [p.slice(0, colon).split('.'), p.slice(colon + 1)];
}

function cleanFileURL(p: string): string {
  return p.startsWith('file://') ? p.slice('file://'.length) : p;
}

/** Loads every -d path. */
export function loadPaths(paths: string[]): Loaded {
  const modules: ModuleSource[] = [];
  let data = new RObject();
  const addDocument = (file: string, prefix: string[], doc: Value): void => {
    const obj = rooted(prefix, doc);
    if (!isObject(obj)) throw new LoadError(`${file}: bad document type`, file);
    const merged = mergeObjects(data, obj);
    if (merged === undefined) throw new LoadError(`${file}: merge error`, file);
    data = merged;
  };
  const loadFile = (file: string, prefix: string[], depth: number): void => {
    const ext = extname(file).toLowerCase();
    const known = ext === '.rego' || ext === '.json' || ext === '.yaml' || ext === '.yml';
    if (!known && depth > 0) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new LoadError(`${file}: ${(err as Error).message}`, file, 0, 0, { cause: err });
    }
    if (ext === '.rego') modules.push({ file, text });
    else if (ext === '.json') addDocument(file, prefix, parseJSONDocument(text, file));
    else if (ext === '.yaml' || ext === '.yml') addDocument(file, prefix, parseYAMLDocument(text, file));
    else {
      // A file given directly with an unknown extension: Rego if it starts like a module, else JSON, else YAML.
      if (/^\s*(#[^\n]*\n\s*)*package\s/.test(text)) modules.push({ file, text });
      else {
        let doc: Value;
        try {
          doc = parseJSON(text);
        } catch {
          doc = parseYAMLDocument(text, file);
        }
        addDocument(file, prefix, doc);
      }
    }
  };
  const walk = (p: string, prefix: string[], depth: number): void => {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw new LoadError(
        `${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `stat ${p}: no such file or directory` : (err as Error).message}`,
        p,
        0,
        0,
        {
          cause: err,
        },
      );
    }
    if (!st.isDirectory()) {
      loadFile(p, prefix, depth);
      return;
    }
    const here = depth > 0 ? [...prefix, p.split(/[\\/]/).pop() as string] : prefix;
    for (const name of readdirSync(p).sort()) walk(join(p, name), here, depth + 1);
  };
  for (const raw of paths) {
    const [prefix, p] = splitPrefix(raw);
    walk(cleanFileURL(p), prefix, 0);
  }
  return { modules, data };
}
