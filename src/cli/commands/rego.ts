// `sekisho rego eval` — a drop-in for `opa eval` — and `sekisho rego parse`.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  compilePolicy,
  parseModule,
  RegoError,
  RegoErrors,
  StrictBuiltinError,
  type QueryResult,
  type Value,
} from '../../rego/index.ts';
import { LoadError, loadPaths, parseInputDocument } from '../rego/loader.ts';
import { FORMATS, render, outputErrorOf, type Format, type OutputError } from '../rego/output.ts';
import { astToJSON, astToTree } from '../rego/ast-print.ts';
import { goJSON } from '../rego/go-json.ts';
import { registerRegoTools } from '../rego/test.ts';
import { loadCapabilities, registerCapabilities } from '../rego/capabilities.ts';

interface EvalOptions {
  data: string[];
  input?: string;
  stdinInput?: boolean;
  format: Format;
  v0Compatible?: boolean;
  v1Compatible?: boolean;
  strict?: boolean;
  strictBuiltinErrors?: boolean;
  fail?: boolean;
  failDefined?: boolean;
  stdin?: boolean;
  capabilities?: string;
}

const EVAL_HELP = `
Examples:

  Evaluate a simple query:
    $ sekisho rego eval 'x := 1; y := 2; x < y'

  Evaluate a policy against an input document, printing the value readably:
    $ sekisho rego eval -d examples/rego/admission.rego -i examples/rego/pod.json \\
        'data.k8s.admission.deny' -f pretty

  Load every .rego, .json and .yaml file under a directory (data files are placed at the path of their
  directory relative to it, so policies/users/data.json becomes data.users):
    $ sekisho rego eval -d policies/ 'data.authz.allow'

  Read the input from stdin and fail (exit 1) when the result is undefined, e.g. in a CI step:
    $ kubectl get pod web -o json | sekisho rego eval -I -d policy.rego --fail 'data.k8s.allow == true'

  Rego v0 syntax (policies written for OPA before 1.0):
    $ sekisho rego eval --v0-compatible -d old-policy.rego 'data.example.deny'

Output formats (-f):
  json      the full result as JSON: {"result":[{"expressions":[…],"bindings":{…}}]}, {} when undefined,
            {"errors":[…]} on errors (the default; what scripts should read)
  values    one JSON array of expression values per result
  bindings  one JSON object of variable bindings per result
  pretty    a value, or a table of variables and expressions, for people; "undefined" when empty
  raw       expression values one result per line, strings unquoted (for shell scripts)

Exit codes: 0 on success (also when the result is undefined, unless --fail), 1 for --fail/--fail-defined
and usage errors, 2 when loading, parsing, compiling or evaluating fails (the errors are printed in the
chosen format on stdout, as opa eval does).`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readStdin(): string {
  return readFileSync(0, 'utf8');
}

/** Writes and sets the exit code; returns nothing so callers can `return finish(...)`. */
function usageError(message: string): void {
  process.stderr.write(`Error: ${message}\n`);
  process.exitCode = 1;
}

function toOutputErrors(err: unknown, sources: Map<string, string>, query?: string): OutputError[] | undefined {
  if (err instanceof RegoErrors) return err.errors.map((e) => outputErrorOf(e, sources, query));
  if (err instanceof RegoError) return [outputErrorOf(err, sources, query)];
  if (err instanceof LoadError) {
    const e: OutputError = { message: err.message };
    return [e];
  }
  return undefined;
}

export function runEval(queryArg: string | undefined, opts: EvalOptions): void {
  if (queryArg !== undefined && opts.stdin) return usageError('specify query argument or --stdin but not both');
  if (queryArg === undefined && !opts.stdin) return usageError('specify query argument or --stdin');
  if (opts.stdin && opts.stdinInput) return usageError('specify --stdin or --stdin-input but not both');
  if (opts.stdinInput && opts.input !== undefined) return usageError('specify --stdin-input or --input but not both');
  if (opts.fail && opts.failDefined) return usageError('specify --fail or --fail-defined but not both');

  const query = opts.stdin ? readStdin() : (queryArg as string);

  let input: Value | undefined;
  if (opts.stdinInput || opts.input !== undefined) {
    const name = opts.input ?? 'stdin';
    let text: string;
    try {
      text = opts.stdinInput ? readStdin() : readFileSync(opts.input as string, 'utf8');
    } catch (err) {
      process.stderr.write(
        `open ${name}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}\n`,
      );
      process.exitCode = 2;
      return;
    }
    try {
      input = parseInputDocument(text, name);
    } catch (err) {
      process.stderr.write(`unable to parse input: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
  }

  const sources = new Map<string, string>();
  let results: QueryResult[] | undefined;
  let errors: OutputError[] | undefined;
  try {
    const loaded = loadPaths(opts.data);
    for (const m of loaded.modules) sources.set(m.file, m.text);
    const capabilities = loadCapabilities(opts.capabilities);
    const policy = compilePolicy({
      modules: loaded.modules,
      data: loaded.data,
      regoVersion: opts.v0Compatible ? 0 : 1,
      strict: opts.strict === true,
      ...(capabilities ? { capabilities } : {}),
    });
    const prepared = policy.prepare(query);
    const evalOpts: { input?: Value; strictBuiltinErrors: boolean; print: (msg: string) => void } = {
      strictBuiltinErrors: opts.strictBuiltinErrors === true,
      print: (msg) => process.stderr.write(msg + '\n'),
    };
    if (input !== undefined) evalOpts.input = input;
    results = prepared.eval(evalOpts);
  } catch (err) {
    errors = toOutputErrors(err, sources, query);
    if (errors === undefined) throw err;
    // Strict builtin errors do not stop evaluation: the results found are reported beside the errors.
    if (err instanceof StrictBuiltinError) results = err.results;
  }

  process.stdout.write(render(opts.format, results, errors));
  if (errors && errors.length > 0) {
    process.exitCode = 2;
    return;
  }
  const defined = (results?.length ?? 0) > 0;
  if ((opts.fail && !defined) || (opts.failDefined && defined)) process.exitCode = 1;
}

export function runParse(file: string, opts: { format: 'pretty' | 'json'; v0Compatible?: boolean }): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(
      `open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}\n`,
    );
    process.exitCode = 1;
    return;
  }
  try {
    const module = parseModule(file, text, { regoVersion: opts.v0Compatible ? 0 : 1 });
    process.stdout.write(opts.format === 'json' ? goJSON(astToJSON(module), 2) + '\n' : astToTree(module));
  } catch (err) {
    const errors = toOutputErrors(err, new Map([[file, text]]));
    if (errors === undefined) throw err;
    process.stdout.write(render(opts.format === 'json' ? 'json' : 'pretty', undefined, errors));
    process.exitCode = 1;
  }
}

export function register(program: Command): void {
  const rego = program
    .command('rego')
    .description('Evaluate, parse and check Rego policies (the OPA policy language)')
    .addHelpText('after', `\nStart with: sekisho rego eval --help`);

  rego
    .command('eval')
    .description('Evaluate a Rego query and print the result (a drop-in for `opa eval`)')
    .argument('[query]', 'the Rego query, e.g. data.example.allow or x := input.user')
    .option(
      '-d, --data <path>',
      'policy or data file or directory (repeatable; a.b:path roots data under data.a.b)',
      collect,
      [],
    )
    .option('-i, --input <path>', 'input document file (JSON or YAML)')
    .option('-I, --stdin-input', 'read the input document from stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('json'))
    .option('--v0-compatible', 'parse modules with Rego v0 syntax (policies written for OPA before 1.0)')
    .addOption(new Option('--v1-compatible', 'Rego v1 syntax (the default)').hideHelp())
    .option('-S, --strict', 'enable the compiler strict mode checks')
    .option('--strict-builtin-errors', 'treat the first builtin function error as fatal')
    .option(
      '--capabilities <file>',
      'capabilities JSON (OPA format): only its builtins may be called, allow_net hosts only',
    )
    .option('--fail', 'exit 1 when the result is undefined or empty')
    .option('--fail-defined', 'exit 1 when the result is defined (non-empty)')
    .option('--stdin', 'read the query from stdin')
    .addHelpText('after', EVAL_HELP)
    .action((query: string | undefined, opts: EvalOptions) => runEval(query, opts));

  rego
    .command('parse')
    .description('Parse a Rego module and print its syntax tree')
    .argument('<file>', 'the .rego file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
    .option('--v0-compatible', 'parse with Rego v0 syntax')
    .addHelpText(
      'after',
      `
Examples:
  $ sekisho rego parse examples/rego/admission.rego
  $ sekisho rego parse -f json policy.rego | jq '.rules[0].head'

Parse errors are printed with file:row:col and exit 1.`,
    )
    .action((file: string, opts: { format: 'pretty' | 'json'; v0Compatible?: boolean }) => runParse(file, opts));

  registerRegoTools(rego);
  registerCapabilities(rego);
}
