// `opa fmt` as a library: canonical Rego layout from the AST.
export { formatModule, formatSource, type FormatOptions } from './format.ts';
