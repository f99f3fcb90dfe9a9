// Printing a parsed module for `sekisho rego parse`: JSON (every node with its fields in order and its
// location as {file,row,col}) and an indented tree for people.
import type { Module } from '../../rego/index.ts';
import { BigNum } from '../../rego/index.ts';
import { Ordered, type GoJSON } from './go-json.ts';

function isLocation(k: string, v: unknown): boolean {
  return (k === 'loc' || k === 'location') && typeof v === 'object' && v !== null && 'row' in v;
}

function toNode(x: unknown, key = ''): GoJSON | undefined {
  if (x === undefined || typeof x === 'function') return undefined;
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x === 'bigint') return new BigNum('', x);
  if (x instanceof BigNum) return x;
  if (Array.isArray(x)) return x.map((y) => toNode(y) ?? null);
  if (isLocation(key, x)) {
    const l = x as { file?: string; row: number; col: number };
    return new Ordered([
      ['file', l.file ?? ''],
      ['row', l.row],
      ['col', l.col],
    ]);
  }
  const fields: [string, GoJSON | undefined][] = [];
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    if (k === 'module') continue; // back-reference set by the compiler
    fields.push([k === 'loc' ? 'location' : k, toNode(v, k)]);
  }
  return new Ordered(fields);
}

export function astToJSON(m: Module): GoJSON {
  return toNode(m) ?? null;
}

/** An indented outline: one line per node (its type and, for leaves, its value), children indented. */
export function astToTree(m: Module): string {
  const lines: string[] = [];
  const visit = (x: unknown, depth: number, label: string): void => {
    const pad = '  '.repeat(depth);
    if (x === undefined || x === null || typeof x === 'function') return;
    if (typeof x !== 'object' || x instanceof BigNum) {
      lines.push(`${pad}${label}${String(x)}`);
      return;
    }
    if (Array.isArray(x)) {
      if (x.length === 0) return;
      lines.push(`${pad}${label.replace(/: $/, '')}`);
      x.forEach((y) => visit(y, depth + 1, ''));
      return;
    }
    const o = x as Record<string, unknown>;
    const type = typeof o.type === 'string' ? o.type : '';
    const loc = o.loc as { row?: number; col?: number } | undefined;
    const at = loc && typeof loc.row === 'number' ? ` @${loc.row}:${loc.col ?? 0}` : '';
    if ('value' in o && (typeof o.value !== 'object' || o.value instanceof BigNum || o.value === null) && type) {
      const v = typeof o.value === 'string' ? JSON.stringify(o.value) : String(o.value);
      lines.push(`${pad}${label}${type} ${v}${at}`);
      return;
    }
    if (type === 'var' && typeof o.name === 'string') {
      lines.push(`${pad}${label}var ${o.name}${at}`);
      return;
    }
    lines.push(type ? `${pad}${label}${type}${at}` : `${pad}${label.replace(/: $/, '') || 'node'}${at}`);
    for (const [k, v] of Object.entries(o)) {
      if (k === 'type' || k === 'loc' || k === 'module' || k === 'file' || k === 'regoVersion') continue;
      if (typeof v === 'boolean') {
        if (v) lines.push(`${pad}  ${k}: true`);
        continue;
      }
      visit(v, depth + 1, `${k}: `);
    }
  };
  lines.push(`module ${m.file} (rego v${m.regoVersion})`);
  visit(m.package, 1, 'package: ');
  m.imports.forEach((i) => visit(i, 1, 'import: '));
  m.rules.forEach((r) => visit(r, 1, 'rule: '));
  return lines.join('\n') + '\n';
}
