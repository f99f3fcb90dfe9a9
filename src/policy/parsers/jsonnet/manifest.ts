// Manifesting Jsonnet values: to plain JSON values (what Conftest hands to Rego), and the text forms of
// the standard library (manifestJsonEx, manifestYamlDoc, manifestIni, manifestPython, manifestXmlJsonml,
// manifestToml), following the layouts of Jsonnet's std.
import { JsonnetError, type Loc } from './errors.ts';
import { formatNumber, JArray, JFunc, JObject, typeName, type Val } from './value.ts';

const fail = (msg: string, loc?: Loc): never => {
  throw new JsonnetError('runtime', msg, loc);
};

export function escapeJson(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** The value as plain JSON data (hidden fields left out, object asserts checked). */
export function toJs(v: Val, loc?: Loc): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (v instanceof JArray) return v.items.map((t) => toJs(t.get(), loc));
  if (v instanceof JObject) {
    v.checkAsserts();
    const out: Record<string, unknown> = {};
    for (const k of v.fieldNames(false)) out[k] = toJs(v.get(k, undefined, loc), loc);
    return out;
  }
  return fail("couldn't manifest function as JSON", loc);
}

export function manifestJsonEx(v: Val, indent: string, newline: string, kvSep: string, loc?: Loc): string {
  const aux = (x: Val, cur: string): string => {
    if (x === null) return 'null';
    if (typeof x === 'boolean') return String(x);
    if (typeof x === 'number') return formatNumber(x);
    if (typeof x === 'string') return escapeJson(x);
    if (x instanceof JFunc) return fail('tried to manifest function', loc);
    const inner = cur + indent;
    if (x instanceof JArray) {
      if (x.items.length === 0) return `[${newline}${newline}${cur}]`;
      return `[${newline}${x.items.map((t) => inner + aux(t.get(), inner)).join(`,${newline}`)}${newline}${cur}]`;
    }
    const o = x as JObject;
    o.checkAsserts();
    const keys = o.fieldNames(false);
    if (keys.length === 0) return `{${newline}${newline}${cur}}`;
    return `{${newline}${keys.map((k) => `${inner}${escapeJson(k)}${kvSep}${aux(o.get(k), inner)}`).join(`,${newline}`)}${newline}${cur}}`;
  };
  return aux(v, '');
}

const YAML_RESERVED = new Set(
  ['true', 'false', 'yes', 'no', 'on', 'off', 'null', 'y', 'n', '~'].flatMap((w) => [
    w,
    w.toUpperCase(),
    w[0]!.toUpperCase() + w.slice(1),
  ]),
);

/** keys YAML 1.1 would read as something other than a string (numbers, booleans, null, dates) get quoted */
const YAML_NON_STRING = [
  /^-+$/,
  /^[-+]?0b[01_]+$/,
  /^[-+]?0[0-7_]+$/,
  /^[-+]?(0|[1-9][0-9_]*)$/,
  /^[-+]?0x[0-9a-fA-F_]+$/,
  /^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/,
  /^[-+]?\.(inf|Inf|INF)$/,
  /^\.(nan|NaN|NAN)$/,
  /^\d{4}-\d\d?-\d\d?$/,
];

function bareYamlKey(k: string): boolean {
  if (!/^[A-Za-z0-9_./-]+$/.test(k) || YAML_RESERVED.has(k)) return false;
  return !YAML_NON_STRING.some((re) => re.test(k));
}

export function manifestYamlDoc(v: Val, indentArrayInObject: boolean, quoteKeys: boolean, loc?: Loc): string {
  const key = (k: string) => (quoteKeys || !bareYamlKey(k) ? escapeJson(k) : k);
  const nonEmpty = (x: Val, kind: typeof JArray | typeof JObject) =>
    x instanceof kind && (x instanceof JArray ? x.items.length > 0 : (x as JObject).fieldNames(false).length > 0);
  const aux = (x: Val, cur: string): string => {
    if (x === true) return 'true';
    if (x === false) return 'false';
    if (x === null) return 'null';
    if (typeof x === 'number') return formatNumber(x);
    if (typeof x === 'string') {
      if (x.length === 0) return '""';
      if (x.endsWith('\n')) {
        const lines = x.split('\n');
        return ['|', ...lines.slice(0, -1)].join(`\n${cur}  `);
      }
      return escapeJson(x);
    }
    if (x instanceof JFunc) return fail('tried to manifest function', loc);
    if (x instanceof JArray) {
      if (x.items.length === 0) return '[]';
      return x.items
        .map((t) => {
          const item = t.get();
          if (nonEmpty(item, JArray)) return `-\n${cur}  ${aux(item, cur + '  ')}`;
          if (nonEmpty(item, JObject)) return `- ${aux(item, cur + '  ')}`;
          return `- ${aux(item, cur)}`;
        })
        .join(`\n${cur}`);
    }
    const o = x as JObject;
    o.checkAsserts();
    const keys = o.fieldNames(false);
    if (keys.length === 0) return '{}';
    return keys
      .map((k) => {
        const item = o.get(k);
        if (nonEmpty(item, JArray)) {
          const ni = indentArrayInObject ? cur + '  ' : cur;
          return `${key(k)}:\n${ni}${aux(item, ni)}`;
        }
        if (nonEmpty(item, JObject)) return `${key(k)}:\n${cur}  ${aux(item, cur + '  ')}`;
        return `${key(k)}: ${aux(item, cur)}`;
      })
      .join(`\n${cur}`);
  };
  return aux(v, '');
}

export function manifestIni(v: Val, loc?: Loc): string {
  if (!(v instanceof JObject)) return fail(`manifestIni expects an object, got ${typeName(v)}`, loc);
  const str = (x: Val) => (typeof x === 'string' ? x : manifestJsonEx(x, '', ' ', ': ', loc));
  const body = (b: Val): string[] => {
    if (!(b instanceof JObject)) return fail('manifestIni section must be an object', loc);
    return b.fieldNames(false).flatMap((k) => {
      const val = b.get(k);
      return val instanceof JArray ? val.items.map((t) => `${k} = ${str(t.get())}`) : [`${k} = ${str(val)}`];
    });
  };
  const main = v.fieldNames(false).includes('main') ? body(v.get('main')) : [];
  const sections = v.fieldNames(false).includes('sections') ? v.get('sections') : null;
  const rest: string[] = [];
  if (sections instanceof JObject)
    for (const k of sections.fieldNames(false)) rest.push(`[${k}]`, ...body(sections.get(k)));
  return [...main, ...rest, ''].join('\n');
}

export function manifestPython(v: Val, loc?: Loc): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return escapeJson(v);
  if (v instanceof JArray) return `[${v.items.map((t) => manifestPython(t.get(), loc)).join(', ')}]`;
  if (v instanceof JObject)
    return `{${v
      .fieldNames(false)
      .map((k) => `${escapeJson(k)}: ${manifestPython(v.get(k), loc)}`)
      .join(', ')}}`;
  return fail('cannot manifest function', loc);
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function manifestXmlJsonml(v: Val, loc?: Loc): string {
  if (typeof v === 'string') return escapeXml(v);
  if (!(v instanceof JArray) || v.items.length === 0) return fail(`expected a JsonML array, got ${typeName(v)}`, loc);
  const items = v.items.map((t) => t.get());
  const tag = items[0];
  if (typeof tag !== 'string') return fail('JsonML tag must be a string', loc);
  const hasAttrs = items[1] instanceof JObject;
  const attrs = hasAttrs ? (items[1] as JObject) : undefined;
  const children = items.slice(hasAttrs ? 2 : 1);
  const attrText = attrs
    ? attrs
        .fieldNames(false)
        .map((k) => ` ${k}="${manifestXmlJsonml(toAttr(attrs.get(k)), loc)}"`)
        .join('')
    : '';
  return `<${tag}${attrText}>${children.map((c) => manifestXmlJsonml(c, loc)).join('')}</${tag}>`;
}

function toAttr(v: Val): string {
  return typeof v === 'string' ? v : manifestJsonEx(v, '', ' ', ': ');
}

export function manifestToml(v: Val, indent: string, loc?: Loc): string {
  if (!(v instanceof JObject)) return fail(`TOML body must be an object, got ${typeName(v)}`, loc);
  const tomlKey = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : escapeJson(k));
  const isTable = (x: Val) => x instanceof JObject;
  const isTableArray = (x: Val) =>
    x instanceof JArray && x.items.length > 0 && x.items.every((t) => t.get() instanceof JObject);
  const value = (x: Val, cur: string, top: boolean): string => {
    if (x === true || x === false) return String(x);
    if (x === null) return fail('tried to manifest null in TOML', loc);
    if (typeof x === 'number') return formatNumber(x);
    if (typeof x === 'string') return escapeJson(x);
    if (x instanceof JArray) {
      if (x.items.length === 0) return '[]';
      // a table's own array values go one item per line; arrays inside values stay inline
      if (top) return `[\n${x.items.map((t) => cur + indent + value(t.get(), cur, false)).join(',\n')}\n${cur}]`;
      return `[ ${x.items.map((t) => value(t.get(), cur, false)).join(', ')} ]`;
    }
    if (x instanceof JObject)
      return `{ ${x
        .fieldNames(false)
        .map((k) => `${tomlKey(k)} = ${value(x.get(k), cur, false)}`)
        .join(', ')} }`;
    return fail('tried to manifest function in TOML', loc);
  };
  const table = (o: JObject, path: string[], cur: string): string[] => {
    const keys = o.fieldNames(false);
    const lines: string[] = [];
    for (const k of keys) {
      const x = o.get(k);
      if (!isTable(x) && !isTableArray(x)) lines.push(`${cur}${tomlKey(k)} = ${value(x, cur, true)}`);
    }
    for (const k of keys) {
      const x = o.get(k);
      const p = [...path, tomlKey(k)];
      if (isTable(x)) {
        lines.push('', `${cur}[${p.join('.')}]`, ...table(x as JObject, p, cur + indent));
      } else if (isTableArray(x)) {
        for (const t of (x as JArray).items)
          lines.push('', `${cur}[[${p.join('.')}]]`, ...table(t.get() as JObject, p, cur + indent));
      }
    }
    return lines;
  };
  const lines = table(v, [], '');
  while (lines[0] === '') lines.shift();
  return lines.join('\n');
}
