// `sekisho rego check` — a drop-in for `opa check`: parses and compiles the given modules together and prints
// every error with file:row and OPA's error code; exit status 1 when there are errors.
import { Command, Option } from 'commander';
import { compilePolicy, RegoError, RegoErrors } from '../../rego/index.ts';
import { loadCapabilities } from './capabilities.ts';
import { LoadError } from './loader.ts';
import { findFiles, loadFiles } from './files.ts';
import { errorsText, outputErrorOf, render, type OutputError } from './output.ts';

export interface CheckOptions {
  strict?: boolean;
  v0Compatible?: boolean;
  v1Compatible?: boolean;
  format: 'pretty' | 'json';
  ignore: string[];
  bundle?: boolean;
  capabilities?: string;
}

export function runCheckCommand(
  paths: string[],
  opts: CheckOptions,
  out: { stdout: (s: string) => void; stderr: (s: string) => void },
): number {
  const sources = new Map<string, string>();
  let errors: OutputError[] = [];
  try {
    const loaded = loadFiles(
      findFiles(paths, opts.ignore, ['.rego']).filter((f) => !f.direct || f.path.endsWith('.rego')),
    );
    for (const m of loaded.modules) sources.set(m.file, m.text);
    const capabilities = loadCapabilities(opts.capabilities);
    compilePolicy({
      modules: loaded.modules,
      regoVersion: opts.v0Compatible ? 0 : 1,
      strict: opts.strict === true,
      ...(capabilities ? { capabilities } : {}),
    });
  } catch (err) {
    if (err instanceof RegoErrors) errors = err.errors.map((e) => outputErrorOf(e, sources));
    else if (err instanceof RegoError) errors = [outputErrorOf(err, sources)];
    else if (err instanceof LoadError) errors = [{ message: err.message }];
    else throw err;
  }
  if (errors.length === 0) return 0;
  // like opa check, errors go to stderr in either format
  if (opts.format === 'json') out.stderr(render('json', undefined, errors));
  else out.stderr(errorsText(errors) + '\n');
  return 1;
}

export function registerCheck(rego: Command): void {
  rego
    .command('check')
    .description('Parse and compile Rego modules and report errors (a drop-in for `opa check`)')
    .argument('<paths...>', '.rego files or directories')
    .option('-S, --strict', 'enable the compiler strict mode checks')
    .option('--v0-compatible', 'parse modules with Rego v0 syntax')
    .addOption(new Option('--v1-compatible', 'Rego v1 syntax (the default)').hideHelp())
    .addOption(new Option('-f, --format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
    .option(
      '--ignore <glob>',
      'skip files and directories whose name matches (repeatable)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('-b, --bundle', 'treat the paths as bundle directories (loaded the same way here)')
    .option('--capabilities <file>', 'capabilities JSON (OPA format): only its builtins may be called')
    .addHelpText(
      'after',
      `
Examples:
  $ sekisho rego check policies/
  $ sekisho rego check --strict --v0-compatible src/
  $ sekisho rego check -f json policy.rego

Exit codes: 0 when every module parses and compiles, 1 otherwise (errors as file:row: code: message).`,
    )
    .action((paths: string[], opts: CheckOptions) => {
      process.exitCode = runCheckCommand(paths, opts, {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      });
    });
}
