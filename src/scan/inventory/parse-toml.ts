// TOML with a file:line:col error, for the inventory parsers that read TOML lockfiles (Cargo, poetry, uv).
import { parse, TomlError } from 'smol-toml';
import { ScanError } from '../errors.ts';

export function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (e) {
    const row = e instanceof TomlError ? e.line : 1;
    const col = e instanceof TomlError ? e.column : 1;
    const first = (e as Error).message.split('\n')[0] ?? '';
    throw new ScanError('PARSE_ERROR', `${file}:${row}:${col}: invalid TOML: ${first}`, {
      location: { file, row, col },
      cause: e,
    });
  }
}
