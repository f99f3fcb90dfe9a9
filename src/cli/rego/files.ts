// File discovery shared by `sekisho rego test/fmt/check`, as OPA's loader walks paths: a path is a file or a
// directory walked recursively in name order; `--ignore` glob patterns are matched against each entry's base
// name (files and directories); data files found inside a directory are rooted at their directory's path
// relative to the argument.
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { RObject, type ModuleSource, type Value } from '../../rego/index.ts';
import { LoadError, mergeObjects, parseJSONDocument, parseYAMLDocument } from './loader.ts';

export interface FoundFile {
  path: string;
  /** Data path of the directory the file was found in, relative to the argument. */
  prefix: string[];
  /** Named on the command line (not found by walking). */
  direct: boolean;
}

/** A shell glob (`*`, `?`, `[...]`) as a RegExp over a whole base name. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function statOrThrow(p: string): Stats {
  try {
    return statSync(p);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new LoadError(e.code === 'ENOENT' ? `stat ${p}: no such file or directory` : e.message, p, 0, 0, { cause: err });
  }
}

export function findFiles(paths: string[], ignore: string[] = [], exts = ['.rego', '.json', '.yaml', '.yml']): FoundFile[] {
  const ignored = ignore.map(globRegExp);
  const isIgnored = (p: string): boolean => ignored.some((re) => re.test(basename(p)));
  const out: FoundFile[] = [];
  const walk = (p: string, prefix: string[], depth: number): void => {
    if (depth > 0 && isIgnored(p)) return;
    const st = statOrThrow(p);
    if (!st.isDirectory()) {
      if (depth === 0 || exts.includes(extname(p).toLowerCase())) out.push({ path: p, prefix, direct: depth === 0 });
      return;
    }
    const here = depth > 0 ? [...prefix, basename(p)] : prefix;
    for (const name of readdirSync(p).sort()) walk(join(p, name), here, depth + 1);
  };
  for (const p of paths) walk(p, [], 0);
  return out;
}

export interface LoadedFiles {
  modules: ModuleSource[];
  data: RObject;
}

function rooted(path: string[], doc: Value): Value {
  let v = doc;
  for (let i = path.length - 1; i >= 0; i--) v = RObject.from([[path[i] as string, v]]);
  return v;
}

/** Reads the modules and merges the data documents of the found files. */
export function loadFiles(files: FoundFile[]): LoadedFiles {
  const modules: ModuleSource[] = [];
  let data = new RObject();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch (err) {
      throw new LoadError(`${f.path}: ${(err as Error).message}`, f.path, 0, 0, { cause: err });
    }
    const ext = extname(f.path).toLowerCase();
    if (ext === '.rego') {
      modules.push({ file: f.path, text });
      continue;
    }
    let doc: Value;
    if (ext === '.json') doc = parseJSONDocument(text, f.path);
    else if (ext === '.yaml' || ext === '.yml') doc = parseYAMLDocument(text, f.path);
    else continue;
    const obj = rooted(f.prefix, doc);
    if (!(obj instanceof RObject)) throw new LoadError(`${f.path}: bad document type`, f.path);
    const merged = mergeObjects(data, obj);
    if (merged === undefined) throw new LoadError(`${f.path}: merge error`, f.path);
    data = merged;
  }
  return { modules, data };
}
