// YAML with a file:line:col error, for the inventory parsers that read YAML lockfiles (pnpm, yarn berry).
import { parse, YAMLError } from 'yaml';
import { ScanError } from '../errors.ts';

export function parseYaml(text: string, file: string): unknown {
  try {
    return parse(text, { maxAliasCount: 1000, uniqueKeys: false });
  } catch (e) {
    const pos = e instanceof YAMLError ? e.linePos?.[0] : undefined;
    const row = pos?.line ?? 1;
    const col = pos?.col ?? 1;
    throw new ScanError(
      'PARSE_ERROR',
      `${file}:${row}:${col}: invalid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`,
      {
        location: { file, row, col },
        cause: e,
      },
    );
  }
}
