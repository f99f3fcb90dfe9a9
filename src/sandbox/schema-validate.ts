// Structural-schema handling for custom resources, as kube-apiserver does for CRDs: defaulting,
// pruning of unknown fields (unless x-kubernetes-preserve-unknown-fields) and validation of types,
// enums, required fields, bounds and patterns, reported as Status causes with field paths.
import { isObject, type StatusCause } from '../kube/index.ts';

type Schema = Record<string, unknown>;

export function defaultAndPrune(value: unknown, schema: Schema | undefined, top = true): unknown {
  if (!schema) return value;
  if (isObject(value)) {
    const props = isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : undefined;
    const addl = schema.additionalProperties;
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    if (props)
      for (const [k, s] of Object.entries(props))
        if (value[k] === undefined && s.default !== undefined) value[k] = structuredClone(s.default);
    for (const k of Object.keys(value)) {
      if (top && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const s = props?.[k] ?? (isObject(addl) ? (addl as Schema) : undefined);
      if (s) value[k] = defaultAndPrune(value[k], s, false);
      else if (!(preserve || addl === true)) delete value[k];
    }
    return value;
  }
  if (Array.isArray(value) && isObject(schema.items))
    return value.map((v) => defaultAndPrune(v, schema.items as Schema, false));
  return value;
}

export function validateSchema(
  value: unknown,
  schema: Schema | undefined,
  path = '',
  out: StatusCause[] = [],
  top = true,
): StatusCause[] {
  if (!schema) return out;
  const field = path || '<root>';
  if (value === null) {
    if (schema.nullable !== true)
      out.push({
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: "null": ${field} in body must be of type ${String(schema.type ?? 'object')}: "null"`,
      });
    return out;
  }
  const type = schema.type;
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  const actual = Array.isArray(value)
    ? 'array'
    : typeof value === 'number'
      ? Number.isInteger(value)
        ? 'integer'
        : 'number'
      : typeof value;
  if (intOrString) {
    if (actual !== 'integer' && actual !== 'string')
      out.push({
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: ${JSON.stringify(value)}: ${field} in body must be of type int-or-string`,
      });
  } else if (typeof type === 'string') {
    const ok =
      type === actual || (type === 'number' && actual === 'integer') || (type === 'object' && actual === 'object');
    if (!ok) {
      out.push({
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: "${actual}": ${field} in body must be of type ${type}: "${actual}"`,
      });
      return out;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    out.push({
      reason: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    });
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      out.push({
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${value}: ${field} in body should be greater than or equal to ${schema.minimum}`,
      });
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      out.push({
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${value}: ${field} in body should be less than or equal to ${schema.maximum}`,
      });
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      out.push({
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: "${value}": ${field} in body should be at least ${schema.minLength} chars long`,
      });
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      out.push({ reason: 'FieldValueTooLong', field, message: `Too long: may not be longer than ${schema.maxLength}` });
    if (typeof schema.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(schema.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re && !re.test(value))
        out.push({
          reason: 'FieldValueInvalid',
          field,
          message: `Invalid value: "${value}": ${field} in body should match '${schema.pattern}'`,
        });
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      out.push({
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${value.length}: ${field} in body should have at least ${schema.minItems} items`,
      });
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      out.push({
        reason: 'FieldValueTooMany',
        field,
        message: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
      });
    if (isObject(schema.items))
      value.forEach((v, i) => validateSchema(v, schema.items as Schema, `${path}[${i}]`, out, false));
  }
  if (isObject(value)) {
    const props = isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
    for (const r of Array.isArray(schema.required) ? (schema.required as string[]) : [])
      if (value[r] === undefined)
        out.push({ reason: 'FieldValueRequired', field: path ? `${path}.${r}` : r, message: 'Required value' });
    for (const [k, v] of Object.entries(value)) {
      if (top && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const s =
        props[k] ?? (isObject(schema.additionalProperties) ? (schema.additionalProperties as Schema) : undefined);
      if (s) validateSchema(v, s, path ? `${path}.${k}` : k, out, false);
    }
  }
  return out;
}

/** Fields a value has that its schema does not declare (what fieldValidation=Strict rejects). */
export function unknownFields(
  value: unknown,
  schema: Schema | undefined,
  path = '',
  out: string[] = [],
  top = true,
): string[] {
  if (!schema) return out;
  if (isObject(value)) {
    const props = isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : undefined;
    const addl = schema.additionalProperties;
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    for (const [k, v] of Object.entries(value)) {
      if (top && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const s = props?.[k] ?? (isObject(addl) ? (addl as Schema) : undefined);
      const p = path ? `${path}.${k}` : k;
      if (s) unknownFields(v, s, p, out, false);
      else if (!(preserve || addl === true)) out.push(p);
    }
  } else if (Array.isArray(value) && isObject(schema.items))
    value.forEach((v, i) => unknownFields(v, schema.items as Schema, `${path}[${i}]`, out, false));
  return out;
}
