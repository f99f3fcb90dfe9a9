// .gitignore / .dockerignore, as Conftest: one document, a list of entries
// `{Kind: "Path" | "NegatedPath" | "Comment" | "Empty", Value, Original}` — one per line.
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

export interface IgnoreEntry {
  Kind: 'Path' | 'NegatedPath' | 'Comment' | 'Empty';
  Value: string;
  Original: string;
}

export const ignoreParser: Parser = {
  name: 'ignore',
  parse(text: string, _ctx: ParseContext): ParsedFile {
    const lines = text.split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const entries: IgnoreEntry[] = lines.map((original) => {
      const t = original.trim();
      if (t === '') return { Kind: 'Empty', Value: '', Original: original };
      if (t.startsWith('#')) return { Kind: 'Comment', Value: t.slice(1).trim(), Original: original };
      if (t.startsWith('!')) return { Kind: 'NegatedPath', Value: t.slice(1), Original: original };
      return { Kind: 'Path', Value: t.startsWith('\\') ? t.slice(1) : t, Original: original };
    });
    return { value: [entries], lines: [1] };
  },
};
