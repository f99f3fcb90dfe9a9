// OPA's text rendering of values (ast.Value.String()), used by print and in messages.

import { BigNum, numberText, RObject, RSet, type Value } from '../value.ts';

export function formatValue(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return numberText(v);
  }
  if (v instanceof BigNum) return v.text;
  if (Array.isArray(v)) return '[' + v.map(formatValue).join(', ') + ']';
  if (v instanceof RObject)
    return (
      '{' +
      v
        .entries()
        .map(([k, x]) => formatValue(k) + ': ' + formatValue(x))
        .join(', ') +
      '}'
    );
  if (v instanceof RSet) return v.size === 0 ? 'set()' : '{' + v.values().map(formatValue).join(', ') + '}';
  return String(v);
}
