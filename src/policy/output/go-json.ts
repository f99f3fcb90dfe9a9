// JSON written the way Go's encoding/json writes it (Conftest's JSON and SARIF outputs): object keys of
// maps sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped, and json.Indent / MarshalIndent layout.
// `ordered` objects (structs in Go) keep their key order; pass them as OrderedObject.

export class OrderedObject {
  constructor(readonly entries: [string, unknown][]) {}
}

/** A Go json.Number: printed verbatim. */
export class RawNumber {
  constructor(readonly text: string) {}
}

export function ordered(entries: [string, unknown][]): OrderedObject {
  return new OrderedObject(entries.filter(([, v]) => v !== undefined));
}

function str(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export function goJSON(value: unknown, indent: string, level = 0): string {
  const pad = indent.repeat(level + 1);
  const end = indent.repeat(level);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return str(value);
  if (value instanceof RawNumber) return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.text) ? value.text : str(value.text);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + goJSON(v, indent, level + 1)).join(',\n')}\n${end}]`;
  }
  let entries: [string, unknown][];
  if (value instanceof OrderedObject) entries = value.entries;
  else if (value instanceof Map) entries = [...value.entries()].map(([k, v]) => [String(k), v] as [string, unknown]).sort(byKey);
  else entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(byKey);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${pad}${str(k)}: ${goJSON(v, indent, level + 1)}`).join(',\n')}\n${end}}`;
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
