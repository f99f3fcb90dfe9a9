// `sekisho rego fmt` — a drop-in for `opa fmt`: prints the canonical layout of each .rego file, or with
// --write rewrites the files, --list names the files whose layout differs, --diff shows a unified diff.
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { RegoError, RegoErrors } from '../../rego/index.ts';
import { formatSource } from '../../rego/format/index.ts';
import { findFiles } from './files.ts';
import { LoadError } from './loader.ts';
import { errorText, outputErrorOf } from './output.ts';

export interface FmtOptions {
  write?: boolean;
  list?: boolean;
  diff?: boolean;
  fail?: boolean;
  v0Compatible?: boolean;
  v1Compatible?: boolean;
  regoV1?: boolean;
}

/** A minimal unified diff (whole-file hunk granularity by common prefix/suffix). */
export function unifiedDiff(file: string, a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const from = Math.max(0, pre - 3);
  const xe = Math.min(x.length, x.length - suf + 3);
  const ye = Math.min(y.length, y.length - suf + 3);
  let out = `--- ${file}\n+++ ${file} (formatted)\n@@ -${from + 1},${xe - from} +${from + 1},${ye - from} @@\n`;
  for (let i = from; i < pre; i++) out += ` ${x[i]}\n`;
  for (let i = pre; i < x.length - suf; i++) out += `-${x[i]}\n`;
  for (let i = pre; i < y.length - suf; i++) out += `+${y[i]}\n`;
  for (let i = x.length - suf; i < xe; i++) out += ` ${x[i]}\n`;
  return out;
}

export function runFmtCommand(paths: string[], opts: FmtOptions, io: { stdout: (s: string) => void; stderr: (s: string) => void; stdin?: () => string }): number {
  const version: 0 | 1 = opts.v0Compatible ? 0 : 1;
  const sources: { file: string; text: string }[] = [];
  try {
    if (paths.length === 0) {
      if (opts.write || !io.stdin) {
        io.stderr('Error: specify paths (or none to format stdin)\n');
        return 1;
      }
      sources.push({ file: 'stdin', text: io.stdin() });
    } else {
      for (const f of findFiles(paths, [], ['.rego'])) sources.push({ file: f.path, text: readFileSync(f.path, 'utf8') });
    }
  } catch (err) {
    if (err instanceof LoadError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  let code = 0;
  for (const s of sources) {
    let formatted: string;
    try {
      formatted = formatSource(s.file, s.text, { regoVersion: opts.regoV1 ? 1 : version, parseVersion: version, regoV1Import: opts.regoV1 === true });
    } catch (err) {
      if (err instanceof RegoErrors || err instanceof RegoError) {
        const errs = err instanceof RegoErrors ? err.errors : [err];
        io.stderr(`${errs.map((e) => errorText(outputErrorOf(e, new Map([[s.file, s.text]])))).join('\n')}\n`);
        code = 1;
        continue;
      }
      throw err;
    }
    const changed = formatted !== s.text;
    if (opts.list) {
      if (changed) io.stdout(`${s.file}\n`);
    } else if (opts.diff) {
      if (changed) io.stdout(unifiedDiff(s.file, s.text, formatted));
    } else if (opts.write) {
      if (changed) writeFileSync(s.file, formatted);
    } else io.stdout(formatted);
    if (changed && opts.fail) code = code || 2;
  }
  return code;
}

export function registerFmt(rego: Command): void {
  rego
    .command('fmt')
    .description('Format Rego files in the canonical layout (a drop-in for `opa fmt`)')
    .argument('[paths...]', '.rego files or directories (none: read stdin)')
    .option('-w, --write', 'rewrite the files in place')
    .option('-l, --list', 'list the files whose formatting differs')
    .option('-d, --diff', 'show a diff of the changes')
    .option('--fail', 'exit 2 when a file would change')
    .option('--v0-compatible', 'read and write Rego v0 syntax')
    .option('--rego-v1', 'with --v0-compatible: write v1 syntax plus `import rego.v1`, readable by v0 and v1 parsers')
    .addOption(new Option('--v1-compatible', 'Rego v1 syntax (the default)').hideHelp())
    .addHelpText(
      'after',
      `
Examples:
  $ sekisho rego fmt policy.rego            # print the formatted module
  $ sekisho rego fmt --list --fail policies/ # CI: exit 2 when anything is not formatted
  $ sekisho rego fmt -w policies/
  $ sekisho rego fmt --v0-compatible old.rego

Output is Rego v1 (if/contains/:=) unless --v0-compatible. Exit 1 on parse errors.`,
    )
    .action((paths: string[], opts: FmtOptions) => {
      process.exitCode = runFmtCommand(paths, opts, {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
        stdin: () => readFileSync(0, 'utf8'),
      });
    });
}
