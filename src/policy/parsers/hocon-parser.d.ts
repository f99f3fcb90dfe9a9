// Types for @pushcorn/hocon-parser, which ships none.
declare module '@pushcorn/hocon-parser' {
  const parser: { parse(opts: { text: string; strict?: boolean }): Promise<unknown> };
  export default parser;
}
