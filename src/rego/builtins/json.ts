// Rego builtins json.filter, json.remove and json.patch (catalogue category "object").
import {
  BigNum,
  compareNumbers,
  equal,
  isInteger,
  isNumber,
  numberText,
  parseJSON,
  RObject,
  RSet,
  toBigInt,
  toDouble,
  toJSON,
  typeName,
  type Value,
} from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext, type BuiltinGroup } from './builtin.ts';
import { divNumbers } from './numbers.ts';
import { compileRegex, regexMatches } from './regex.ts';
import { filterValue } from './objects.ts';
import { arr, obj } from './operands.ts';

/** A JSON pointer ("/a/b~1c") or an array of path segments, as json.filter/remove/patch take them. */
function parsePath(p: Value): Value[] {
  if (typeof p === 'string') {
    if (p === '') return [];
    return p
      .replace(/^\/+/, '')
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  if (Array.isArray(p)) return p;
  throw new OperandError(
    2,
    `operand 2 must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`,
  );
}

function jsonPaths(v: Value): Value[][] {
  if (Array.isArray(v)) return v.map(parsePath);
  if (v instanceof RSet) return v.values().map(parsePath);
  throw new OperandError(2, `operand 2 must be one of {set, array} but got ${typeName(v)}`);
}

/** Paths as a tree of objects whose null leaves mark the selected values. */
function pathsToObject(paths: Value[][]): RObject {
  const root = new RObject();
  for (const path of paths) {
    if (path.length === 0) continue;
    let node = root;
    let done = false;
    for (let i = 0; i < path.length - 1 && !done; i++) {
      const k = path[i] as Value;
      const child = node.get(k);
      if (child === undefined) {
        const o = new RObject();
        node.set(k, o);
        node = o;
      } else if (child === null) {
        done = true;
      } else {
        node = child as RObject;
      }
    }
    if (!done) node.set(path[path.length - 1] as Value, null);
  }
  return root;
}

function jsonRemove(a: Value, b: Value | undefined): Value | undefined {
  if (b === undefined) return a;
  if (b === null) return undefined;
  if (!(b instanceof RObject)) return a;
  if (a instanceof RObject) {
    const out = new RObject();
    for (const [k, v] of a.unorderedEntries()) {
      const d = jsonRemove(v, b.get(k));
      if (d !== undefined) out.set(k, d);
    }
    return out;
  }
  if (a instanceof RSet) {
    const out = new RSet();
    for (const v of a.unorderedValues()) {
      const d = jsonRemove(v, b.get(v));
      if (d !== undefined) out.add(d);
    }
    return out;
  }
  if (Array.isArray(a)) {
    const out: Value[] = [];
    for (let i = 0; i < a.length; i++) {
      const d = jsonRemove(a[i] as Value, b.getStr(String(i)));
      if (d !== undefined) out.push(d);
    }
    return out;
  }
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// json.patch (RFC 6902, with OPA's extensions: sets are addressed by their elements)

class PatchError extends Error {}

function arrayIndex(seg: Value, length: number, forInsert: boolean): number {
  let i: number | undefined;
  if (typeof seg === 'string') {
    if (forInsert && seg === '-') return length;
    if (/^(0|[1-9]\d*)$/.test(seg)) i = Number(seg);
  } else if (isNumber(seg)) {
    const b = toBigInt(seg);
    if (b !== undefined && b >= 0n) i = Number(b);
  }
  if (i === undefined) throw new PatchError('invalid array index');
  if (forInsert ? i > length : i >= length) throw new PatchError('array index out of range');
  return i;
}

function getAt(doc: Value, path: Value[]): Value {
  let cur = doc;
  for (const seg of path) {
    if (cur instanceof RObject) {
      const v = cur.get(seg);
      if (v === undefined) throw new PatchError('missing key');
      cur = v;
    } else if (Array.isArray(cur)) {
      cur = cur[arrayIndex(seg, cur.length, false)] as Value;
    } else if (cur instanceof RSet) {
      if (!cur.has(seg)) throw new PatchError('missing set element');
      cur = seg;
    } else throw new PatchError('path through a scalar');
  }
  return cur;
}

/** Rebuilds doc with `edit` applied to the container at path[0..n-1] and the last segment. */
function update(doc: Value, path: Value[], i: number, edit: (parent: Value, last: Value) => Value): Value {
  if (i === path.length - 1) return edit(doc, path[i] as Value);
  const seg = path[i] as Value;
  if (doc instanceof RObject) {
    const child = doc.get(seg);
    if (child === undefined) throw new PatchError('missing key');
    return doc.clone().set(seg, update(child, path, i + 1, edit));
  }
  if (Array.isArray(doc)) {
    const idx = arrayIndex(seg, doc.length, false);
    const out = doc.slice();
    out[idx] = update(doc[idx] as Value, path, i + 1, edit);
    return out;
  }
  if (doc instanceof RSet) {
    if (!doc.has(seg)) throw new PatchError('missing set element');
    const out = doc.clone().delete(seg);
    return out.add(update(seg, path, i + 1, edit));
  }
  throw new PatchError('path through a scalar');
}

function insertAt(doc: Value, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  return update(doc, path, 0, (parent, last) => {
    if (parent instanceof RObject) return parent.clone().set(last, value);
    if (Array.isArray(parent)) {
      const idx = arrayIndex(last, parent.length, true);
      const out = parent.slice();
      out.splice(idx, 0, value);
      return out;
    }
    if (parent instanceof RSet) {
      if (!equal(last, value)) throw new PatchError('set element and value differ');
      return parent.clone().add(value);
    }
    throw new PatchError('insert into a scalar');
  });
}

function deleteAt(doc: Value, path: Value[]): Value {
  if (path.length === 0) return null;
  return update(doc, path, 0, (parent, last) => {
    if (parent instanceof RObject) {
      if (!parent.has(last)) throw new PatchError('missing key');
      return parent.clone().delete(last);
    }
    if (Array.isArray(parent)) {
      const idx = arrayIndex(last, parent.length, false);
      const out = parent.slice();
      out.splice(idx, 1);
      return out;
    }
    if (parent instanceof RSet) {
      if (!parent.has(last)) throw new PatchError('missing set element');
      return parent.clone().delete(last);
    }
    throw new PatchError('delete from a scalar');
  });
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function applyPatch(doc: Value, ops: Value[]): Value {
  let cur = doc;
  for (const o of ops) {
    if (!(o instanceof RObject)) throw new PatchError('not an object');
    const op = o.getStr('op');
    if (typeof op !== 'string' || !OPS.has(op)) throw new PatchError('bad op');
    const pathTerm = o.getStr('path');
    if (pathTerm === undefined) throw new PatchError("missing 'path' attribute");
    let from: Value | undefined;
    if (op === 'move' || op === 'copy') {
      from = o.getStr('from');
      if (from === undefined) throw new PatchError("missing 'from' attribute");
    }
    let value: Value | undefined;
    if (op === 'add' || op === 'replace' || op === 'test') {
      value = o.getStr('value');
      if (value === undefined) throw new PatchError("missing 'value' attribute");
    }
    let path: Value[];
    try {
      path = parsePath(pathTerm);
    } catch {
      throw new PatchError('bad path');
    }
    switch (op) {
      case 'add':
        cur = insertAt(cur, path, value as Value);
        break;
      case 'remove':
        cur = deleteAt(cur, path);
        break;
      case 'replace':
        cur = insertAt(deleteAt(cur, path), path, value as Value);
        break;
      case 'move': {
        const fromPath = parsePathOrFail(from as Value);
        const chunk = getAt(cur, fromPath);
        cur = insertAt(deleteAt(cur, fromPath), path, chunk);
        break;
      }
      case 'copy': {
        const fromPath = parsePathOrFail(from as Value);
        cur = insertAt(cur, path, getAt(cur, fromPath));
        break;
      }
      case 'test':
        if (!equal(getAt(cur, path), value as Value)) throw new PatchError('test failed');
        break;
    }
  }
  return cur;
}

function parsePathOrFail(p: Value): Value[] {
  try {
    return parsePath(p);
  } catch {
    throw new PatchError('bad path');
  }
}

// ---------------------------------------------------------------------------------------------------------
// json.verify_schema / json.match_schema: JSON Schema (draft 4 to 7 keywords) with gojsonschema's messages

class SchemaError extends Error {}

const PRIMITIVE_TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

/** A schema or document operand: a JSON string or an object/array value. */
function schemaOperand(v: Value): Value {
  if (typeof v === 'string') {
    try {
      return parseJSON(v);
    } catch {
      throw new SchemaError('invalid JSON string');
    }
  }
  if (v instanceof RObject || Array.isArray(v)) return toPlainJSON(v);
  throw new SchemaError('wrong type, expected string or object');
}

/** What Go sees after ast.JSON: sets become arrays, non-string keys become their JSON text. */
function toPlainJSON(v: Value): Value {
  if (v instanceof RSet) return v.values().map(toPlainJSON);
  if (Array.isArray(v)) return v.map(toPlainJSON);
  if (v instanceof RObject) {
    const o = new RObject();
    for (const [k, x] of v.entries()) o.set(typeof k === 'string' ? k : toJSON(k), toPlainJSON(x));
    return o;
  }
  return v;
}

/** Checks a schema the way gojsonschema's loader does (the parts that commonly fail). */
function checkSchema(s: Value, ctx: BuiltinContext | undefined): void {
  if (typeof s === 'boolean') return;
  if (!(s instanceof RObject)) throw new SchemaError('Invalid type. Expected: object, given: ' + jsType(s));
  const type = s.getStr('type');
  if (type !== undefined) {
    const list = Array.isArray(type) ? type : [type];
    for (const t of list) {
      if (typeof t !== 'string') throw new SchemaError(`Invalid type. Expected: string/array of strings, given: type`);
      if (!PRIMITIVE_TYPES.includes(t))
        throw new SchemaError(
          `has a primitive type that is NOT VALID -- given: /${t}/ Expected valid values are:[${PRIMITIVE_TYPES.join(' ')}]`,
        );
    }
  }
  const required = s.getStr('required');
  if (required !== undefined && !(Array.isArray(required) && required.every((x) => typeof x === 'string')))
    throw new SchemaError('Invalid type. Expected: array of strings, given: required');
  const pattern = s.getStr('pattern');
  if (pattern !== undefined) {
    if (typeof pattern !== 'string') throw new SchemaError('Invalid type. Expected: string, given: pattern');
    try {
      compileRegex(pattern, ctx);
    } catch {
      throw new SchemaError(`Invalid regex pattern '${pattern}'`);
    }
  }
  for (const key of ['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']) {
    const m = s.getStr(key);
    if (m === undefined) continue;
    if (!(m instanceof RObject)) throw new SchemaError(`Invalid type. Expected: object, given: ${key}`);
    if (key !== 'dependencies') for (const x of m.values()) checkSchema(x, ctx);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const l = s.getStr(key);
    if (l === undefined) continue;
    if (!Array.isArray(l)) throw new SchemaError(`Invalid type. Expected: array of schemas, given: ${key}`);
    for (const x of l) checkSchema(x, ctx);
  }
  for (const key of [
    'not',
    'additionalProperties',
    'additionalItems',
    'contains',
    'propertyNames',
    'if',
    'then',
    'else',
  ]) {
    const x = s.getStr(key);
    if (x !== undefined) checkSchema(x, ctx);
  }
  const items = s.getStr('items');
  if (items !== undefined) {
    if (Array.isArray(items)) for (const x of items) checkSchema(x, ctx);
    else checkSchema(items, ctx);
  }
}

function jsType(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (isNumber(v)) return isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v) || v instanceof RSet) return 'array';
  return 'object';
}

interface SchemaResultError {
  type: string;
  field: string;
  desc: string;
}

function fieldOf(path: string[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

function jsonText(v: Value): string {
  return toJSON(v);
}

function numText(v: Value): string {
  return isNumber(v) ? numberText(v) : jsonText(v);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?([zZ]|[+-]\d{2}:\d{2})$/;

function validDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= (days[mo - 1] as number);
}

function validTime(s: string): boolean {
  const m = TIME_RE.exec(s);
  return m !== null && Number(m[1]) < 24 && Number(m[2]) < 60 && Number(m[3]) < 61;
}

function validIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function validIPv6(s: string): boolean {
  if (!s.includes(':') || s.includes('%')) return false;
  let rest = s;
  let groups = 8;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    if (!validIPv4(s.slice(lastColon + 1))) return false;
    rest = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = rest.split('::');
  if (halves.length > 2) return false;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const count = (h: string): number | undefined => {
    if (h === '') return 0;
    const g = h.split(':');
    return g.every((x) => hex.test(x)) ? g.length : undefined;
  };
  const a = count(halves[0] as string);
  if (halves.length === 1) return a === groups;
  const b = count(halves[1] as string);
  if (a === undefined || b === undefined) return false;
  groups -= 1;
  return a + b <= groups;
}

/** The formats gojsonschema checks (others pass). */
const FORMATS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => {
    const i = s.search(/[tT]/);
    return i > 0 && validDate(s.slice(0, i)) && validTime(s.slice(i + 1));
  },
  date: validDate,
  time: validTime,
  email: (s) => /^[^@\s]+@[^@\s]+$/.test(s),
  'idn-email': (s) => /^[^@\s]+@[^@\s]+$/.test(s),
  hostname: (s) =>
    s.length <= 255 && s.split('.').every((l) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l)),
  ipv4: validIPv4,
  ipv6: validIPv6,
  uri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s),
  uuid: (s) => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s),
  regex: (s) => {
    try {
      compileRegex(s);
      return true;
    } catch {
      return false;
    }
  },
};

class SchemaValidator {
  constructor(
    private readonly root: Value,
    private readonly ctx: BuiltinContext | undefined,
  ) {}

  resolveRef(ref: string): Value {
    if (!ref.startsWith('#')) throw new SchemaError(`remote references are not supported: ${ref}`);
    let cur: Value | undefined = this.root;
    const ptr = ref.slice(1);
    if (ptr !== '' && ptr !== '/') {
      for (const raw of ptr.replace(/^\//, '').split('/')) {
        const seg = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
        if (cur instanceof RObject) cur = cur.getStr(seg);
        else if (Array.isArray(cur)) cur = cur[Number(seg)];
        else cur = undefined;
        if (cur === undefined) throw new SchemaError(`Object has no key '${seg}'`);
      }
    }
    return cur;
  }

  validate(s: Value, doc: Value, path: string[], errs: SchemaResultError[]): void {
    const err = (type: string, desc: string, at: string[] = path): void => {
      errs.push({ type, field: fieldOf(at), desc });
    };
    if (s === true) return;
    if (s === false) {
      err('false', 'False always fails validation');
      return;
    }
    if (!(s instanceof RObject)) return;
    const ref = s.getStr('$ref');
    if (typeof ref === 'string') {
      this.validate(this.resolveRef(ref), doc, path, errs);
      return;
    }
    // type
    const type = s.getStr('type');
    if (type !== undefined) {
      const types = (Array.isArray(type) ? type : [type]) as string[];
      const given = jsType(doc);
      const ok = types.some((t) => t === given || (t === 'number' && given === 'integer'));
      if (!ok) {
        const expected = types.length === 1 ? (types[0] as string) : `[${types.join(' ')}]`;
        err('invalid_type', `Invalid type. Expected: ${expected}, given: ${given}`);
        return;
      }
    }
    // Combinators
    const anyOf = s.getStr('anyOf');
    if (Array.isArray(anyOf)) {
      let best: SchemaResultError[] | undefined;
      let ok = false;
      for (const sub of anyOf) {
        const e: SchemaResultError[] = [];
        this.validate(sub, doc, path, e);
        if (e.length === 0) {
          ok = true;
          break;
        }
        if (best === undefined || e.length < best.length) best = e;
      }
      if (!ok) {
        err('number_any_of', 'Must validate at least one schema (anyOf)');
        if (best) errs.push(...best);
      }
    }
    const oneOf = s.getStr('oneOf');
    if (Array.isArray(oneOf)) {
      let n = 0;
      let best: SchemaResultError[] | undefined;
      for (const sub of oneOf) {
        const e: SchemaResultError[] = [];
        this.validate(sub, doc, path, e);
        if (e.length === 0) n++;
        else if (best === undefined || e.length < best.length) best = e;
      }
      if (n !== 1) {
        err('number_one_of', 'Must validate one and only one schema (oneOf)');
        if (n === 0 && best) errs.push(...best);
      }
    }
    const allOf = s.getStr('allOf');
    if (Array.isArray(allOf)) {
      let failed = false;
      for (const sub of allOf) {
        const e: SchemaResultError[] = [];
        this.validate(sub, doc, path, e);
        if (e.length > 0) {
          failed = true;
          errs.push(...e);
        }
      }
      if (failed) err('number_all_of', 'Must validate all the schemas (allOf)');
    }
    const not = s.getStr('not');
    if (not !== undefined) {
      const e: SchemaResultError[] = [];
      this.validate(not, doc, path, e);
      if (e.length === 0) err('number_not', 'Must not validate the schema (not)');
    }
    const ifS = s.getStr('if');
    if (ifS !== undefined) {
      const e: SchemaResultError[] = [];
      this.validate(ifS, doc, path, e);
      const branch = e.length === 0 ? s.getStr('then') : s.getStr('else');
      if (branch !== undefined) {
        const be: SchemaResultError[] = [];
        this.validate(branch, doc, path, be);
        if (be.length > 0) {
          errs.push(...be);
          if (e.length === 0) err('condition_then', 'Must validate "then" as "if" was valid');
          else err('condition_else', 'Must validate "else" as "if" was not valid');
        }
      }
    }
    // Common
    const cnst = s.getStr('const');
    if (cnst !== undefined && !equal(cnst, doc)) err('const', `${fieldOf(path)} does not match: ${jsonText(cnst)}`);
    const en = s.getStr('enum');
    if (Array.isArray(en) && !en.some((x) => equal(x, doc)))
      err('enum', `${fieldOf(path)} must be one of the following: ${en.map(jsonText).join(', ')}`);
    if (Array.isArray(doc)) this.validateArray(s, doc, path, errs, err);
    else if (doc instanceof RObject) this.validateObject(s, doc, path, errs, err);
    else if (typeof doc === 'string') this.validateString(s, doc, err);
    else if (isNumber(doc)) this.validateNumber(s, doc, err);
  }

  private validateArray(
    s: RObject,
    doc: Value[],
    path: string[],
    errs: SchemaResultError[],
    err: (type: string, desc: string) => void,
  ): void {
    const min = s.getStr('minItems');
    if (isNumber(min) && doc.length < toDouble(min))
      err('array_min_items', `Array must have at least ${numText(min)} items`);
    const max = s.getStr('maxItems');
    if (isNumber(max) && doc.length > toDouble(max))
      err('array_max_items', `Array must have at most ${numText(max)} items`);
    if (s.getStr('uniqueItems') === true) {
      outer: for (let i = 0; i < doc.length; i++)
        for (let j = i + 1; j < doc.length; j++)
          if (equal(doc[i] as Value, doc[j] as Value)) {
            err('unique', `array items[${i},${j}] must be unique`);
            break outer;
          }
    }
    const contains = s.getStr('contains');
    if (contains !== undefined) {
      const ok = doc.some((x) => {
        const e: SchemaResultError[] = [];
        this.validate(contains, x, path, e);
        return e.length === 0;
      });
      if (!ok) err('contains', 'At least one of the items must match');
    }
    const items = s.getStr('items');
    if (Array.isArray(items)) {
      doc.forEach((x, i) => {
        if (i < items.length) this.validate(items[i] as Value, x, [...path, String(i)], errs);
      });
      const additional = s.getStr('additionalItems');
      if (doc.length > items.length) {
        if (additional === false) err('array_no_additional_items', 'No additional items allowed on array');
        else if (additional instanceof RObject)
          for (let i = items.length; i < doc.length; i++)
            this.validate(additional, doc[i] as Value, [...path, String(i)], errs);
      }
    } else if (items !== undefined) {
      doc.forEach((x, i) => this.validate(items, x, [...path, String(i)], errs));
    }
  }

  private validateObject(
    s: RObject,
    doc: RObject,
    path: string[],
    errs: SchemaResultError[],
    err: (type: string, desc: string) => void,
  ): void {
    const minP = s.getStr('minProperties');
    if (isNumber(minP) && doc.size < toDouble(minP))
      err('array_min_properties', `Must have at least ${numText(minP)} properties`);
    const maxP = s.getStr('maxProperties');
    if (isNumber(maxP) && doc.size > toDouble(maxP))
      err('array_max_properties', `Must have at most ${numText(maxP)} properties`);
    const required = s.getStr('required');
    if (Array.isArray(required))
      for (const r of required) if (typeof r === 'string' && !doc.has(r)) err('required', `${r} is required`);
    const props = s.getStr('properties');
    const patternProps = s.getStr('patternProperties');
    const additional = s.getStr('additionalProperties');
    for (const [k, v] of doc.entries()) {
      const key = k as string;
      let matched = false;
      if (props instanceof RObject) {
        const sub = props.getStr(key);
        if (sub !== undefined) {
          matched = true;
          this.validate(sub, v, [...path, key], errs);
        }
      }
      if (patternProps instanceof RObject) {
        for (const [p, sub] of patternProps.entries()) {
          if (regexMatches(compileRegex(p as string, this.ctx), key)) {
            matched = true;
            this.validate(sub, v, [...path, key], errs);
          }
        }
      }
      if (!matched && additional !== undefined) {
        if (additional === false) err('additional_property_not_allowed', `Additional property ${key} is not allowed`);
        else this.validate(additional, v, [...path, key], errs);
      }
    }
    const names = s.getStr('propertyNames');
    if (names !== undefined) {
      for (const k of doc.keys()) {
        const e: SchemaResultError[] = [];
        this.validate(names, k, path, e);
        if (e.length > 0) err('invalid_property_name', `Property "${k as string}" does not match pattern`);
      }
    }
    const deps = s.getStr('dependencies');
    if (deps instanceof RObject) {
      for (const [k, dep] of deps.entries()) {
        if (!doc.has(k)) continue;
        if (Array.isArray(dep)) {
          for (const d of dep) if (!doc.has(d)) err('missing_dependency', `Has a dependency on ${d as string}`);
        } else this.validate(dep, doc, path, errs);
      }
    }
  }

  private validateString(s: RObject, doc: string, err: (type: string, desc: string) => void): void {
    const len = Array.from(doc).length;
    const min = s.getStr('minLength');
    if (isNumber(min) && len < toDouble(min))
      err('string_gte', `String length must be greater than or equal to ${numText(min)}`);
    const max = s.getStr('maxLength');
    if (isNumber(max) && len > toDouble(max))
      err('string_lte', `String length must be less than or equal to ${numText(max)}`);
    const pattern = s.getStr('pattern');
    if (typeof pattern === 'string' && !regexMatches(compileRegex(pattern, this.ctx), doc))
      err('pattern', `Does not match pattern '${pattern}'`);
    const format = s.getStr('format');
    if (typeof format === 'string') {
      const check = FORMATS[format];
      if (check !== undefined && !check(doc)) err('format', `Does not match format '${format}'`);
    }
  }

  private validateNumber(s: RObject, doc: number | BigNum, err: (type: string, desc: string) => void): void {
    const mult = s.getStr('multipleOf');
    if (isNumber(mult) && toDouble(mult) !== 0) {
      const q = divNumbers(doc, mult);
      if (!isInteger(q)) err('multiple_of', `Must be a multiple of ${numText(mult)}`);
    }
    const max = s.getStr('maximum');
    const exMax = s.getStr('exclusiveMaximum');
    if (isNumber(max)) {
      const c = compareNumbers(doc, max);
      if (exMax === true ? c >= 0 : c > 0)
        err(
          exMax === true ? 'number_lt' : 'number_lte',
          `Must be less than${exMax === true ? '' : ' or equal to'} ${numText(max)}`,
        );
    }
    if (isNumber(exMax) && compareNumbers(doc, exMax) >= 0) err('number_lt', `Must be less than ${numText(exMax)}`);
    const min = s.getStr('minimum');
    const exMin = s.getStr('exclusiveMinimum');
    if (isNumber(min)) {
      const c = compareNumbers(doc, min);
      if (exMin === true ? c <= 0 : c < 0)
        err(
          exMin === true ? 'number_gt' : 'number_gte',
          `Must be greater than${exMin === true ? '' : ' or equal to'} ${numText(min)}`,
        );
    }
    if (isNumber(exMin) && compareNumbers(doc, exMin) <= 0) err('number_gt', `Must be greater than ${numText(exMin)}`);
  }
}

function verifySchema(args: Value[], ctx: BuiltinContext): Value {
  try {
    checkSchema(schemaOperand(args[0] as Value), ctx);
  } catch (e) {
    if (e instanceof SchemaError) return [false, 'jsonschema: ' + e.message];
    throw e;
  }
  return [true, null];
}

function matchSchema(args: Value[], ctx: BuiltinContext): Value {
  let doc: Value;
  let schema: Value;
  try {
    doc = schemaOperand(args[0] as Value);
    schema = schemaOperand(args[1] as Value);
    checkSchema(schema, ctx);
  } catch (e) {
    if (e instanceof SchemaError) throw new BuiltinError(e.message);
    throw e;
  }
  const errs: SchemaResultError[] = [];
  try {
    new SchemaValidator(schema, ctx).validate(schema, doc, [], errs);
  } catch (e) {
    if (e instanceof SchemaError) throw new BuiltinError(e.message);
    throw e;
  }
  const out = errs.map((e) =>
    RObject.from([
      ['error', `${e.field}: ${e.desc}`],
      ['type', e.type],
      ['field', e.field],
      ['desc', e.desc],
    ]),
  );
  return [out.length === 0, out];
}

export const builtins: BuiltinGroup = {
  'json.filter': (args) => {
    const o = obj(args, 0);
    const filter = pathsToObject(jsonPaths(args[1] as Value));
    return filterValue(o, filter);
  },
  'json.remove': (args) => {
    const o = obj(args, 0);
    const paths = pathsToObject(jsonPaths(args[1] as Value));
    return jsonRemove(o, paths);
  },
  'json.verify_schema': verifySchema,
  'json.match_schema': matchSchema,
  'json.patch': (args) => {
    const doc = args[0] as Value;
    const ops = arr(args, 1);
    try {
      return applyPatch(doc, ops);
    } catch (e) {
      if (e instanceof PatchError) return undefined;
      throw e;
    }
  },
};
