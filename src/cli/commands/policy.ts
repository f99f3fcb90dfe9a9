// `sekisho policy test|verify|parse|fmt|push|pull` — a drop-in for Conftest: same flags, same meaning,
// same output formats and exit codes. The work is done in src/policy; this file reads argv, the
// conftest.toml config file, stdin and the environment, and prints.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { homedir, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { parse as parseToml } from 'smol-toml';
import {
  exitCode,
  formatVerifyReport,
  OUTPUT_FORMATS,
  PARSER_NAMES,
  PolicyError,
  pullBundle,
  pushBundle,
  render,
  runParse,
  runTest,
  runVerify,
  type RegistryAccess,
  type ReporterOptions,
} from '../../policy/index.ts';
import { dockerConfigCredentials } from '../../oci/index.ts';
import { formatError } from '../report-error.ts';
import { runFmtCommand } from '../rego/fmt.ts';
import { parseCapabilities } from '../../rego/index.ts';

function list(value: string, previous: string[] | undefined): string[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...parts];
}

type Opts = Record<string, unknown>;

/** Reads conftest.toml (or -c FILE): flag values not given on the command line come from it. */
function loadConfig(path: string | undefined): Opts {
  const file = path ?? (existsSync('conftest.toml') ? 'conftest.toml' : undefined);
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyError('policy_usage_error', `read config file ${file}: ${(e as Error).message}`);
  }
  try {
    if (file.endsWith('.json')) return JSON.parse(text) as Opts;
    return parseToml(text) as Opts;
  } catch (e) {
    throw new PolicyError('policy_usage_error', `config file ${file}: ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Fills options left at their default from the config file (Conftest binds every flag through viper). */
function withConfig(cmd: Command, opts: Opts, configFile: string | undefined): Opts {
  const config = loadConfig(configFile);
  const out: Opts = { ...opts };
  for (const [key, given] of Object.entries(config)) {
    let value: unknown = given;
    let name = camel(key);
    let v: unknown = value;
    if (name === 'noColor' || name === 'noFail') {
      // --no-color / --no-fail are stored inverted by commander
      name = name === 'noColor' ? 'color' : 'fail';
      v = !value;
    }
    if (!cmd.options.some((opt) => opt.attributeName() === name)) continue;
    if (cmd.getOptionValueSource(name) === 'cli') continue;
    value = v;
    out[name] = Array.isArray(out[name]) && !Array.isArray(value) ? [String(value)] : value;
  }
  return out;
}

function regoVersion(v: unknown): 0 | 1 {
  const s = String(v ?? 'v1').toLowerCase();
  if (s === 'v0') return 0;
  if (s === 'v1') return 1;
  throw new PolicyError('policy_usage_error', `invalid Rego version: ${String(v)}`);
}

function allowedBuiltins(path: unknown): ReadonlySet<string> | undefined {
  if (typeof path !== 'string' || path === '') return undefined;
  try {
    return parseCapabilities(readFileSync(path, 'utf8'), path).builtins;
  } catch (e) {
    throw new PolicyError('policy_usage_error', `load capabilities: ${path}: ${(e as Error).message}`);
  }
}

/** Downloads policies (OCI registry, local path or git) into `dest`: `policy pull` and `test --update`. */
async function pullPolicies(urls: string[], dest: string, o: Opts): Promise<void> {
  for (const url of urls) {
    if (/^git::|\.git($|\/\/|\?)|^git@/.test(url)) {
      const repo = url.replace(/^git::/, '').replace(/\/\/.*$/, (m) => (m.startsWith('//') ? '' : m));
      const tmp = mkdtempSync(join(tmpdir(), 'sekisho-pull-'));
      try {
        const r = spawnSync('git', ['clone', '--depth', '1', '--quiet', repo, tmp], { encoding: 'utf8' });
        if (r.status !== 0) throw new PolicyError('policy_io_error', `git clone ${repo}: ${(r.stderr ?? '').trim()}`);
        rmSync(join(tmp, '.git'), { recursive: true, force: true });
        await pullBundle(tmp, dest);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } else {
      await pullBundle(url, dest, registryAccess(o));
    }
  }
}

/** Registry credentials from the Docker config (DOCKER_CONFIG or ~/.docker), as Conftest/oras use them. */
function registryAccess(o: Opts): RegistryAccess {
  const dir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  return {
    credentials: dockerConfigCredentials(join(dir, 'config.json')),
    ...(String(o.tls) === 'false' ? { scheme: 'http' as const } : {}),
  };
}

function reporterOptions(o: Opts): ReporterOptions {
  return {
    noColor: o.color === false || process.env.NO_COLOR !== undefined,
    tracing: Boolean(o.trace),
    suppressExceptions: Boolean(o.suppressExceptions),
    junitHideMessage: Boolean(o.junitHideMessage),
    githubHidePassed: Boolean(o.githubHidePassed),
    version: process.env.npm_package_version ?? '0.1.0',
    hostname: hostname() || 'localhost',
  };
}

function printError(e: unknown): void {
  const err = e as {
    code?: string;
    message?: string;
    location?: { file: string; row: number; col: number };
    errors?: unknown[];
  };
  const list = Array.isArray(err.errors) ? (err.errors as (typeof err)[]) : [err];
  for (const x of list) {
    const loc = x.location && x.location.row > 0 ? x.location : undefined;
    if (loc)
      process.stderr.write(
        'Error: ' +
          formatError({ message: x.message ?? String(x), location: loc, ...(x.code ? { code: x.code } : {}) }) +
          '\n',
      );
    else process.stderr.write(`Error: ${x.location?.file ? x.location.file + ': ' : ''}${x.message ?? String(x)}\n`);
  }
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('-p, --policy <paths>', 'Path to the Rego policy files directory', list)
    .option(
      '-d, --data <paths>',
      'A list of paths from which data for the rego policies will be recursively loaded',
      list,
      [],
    )
    .addOption(
      new Option('-o, --output <format>', `Output format - valid options are: ${OUTPUT_FORMATS.join(', ')}`).default(
        'stdout',
      ),
    )
    .option('--no-color', 'Disable color when printing')
    .option(
      '--trace',
      'Enable more verbose trace output for Rego queries (every expression evaluated, with file:row)',
      false,
    )
    .option('--strict', 'Enable strict mode for Rego policies', false)
    .option('--show-builtin-errors', 'Collect and return all encountered built-in errors', false)
    .option('--capabilities <file>', 'Path to JSON file that can restrict opa functionality against a given policy', '')
    .option('--rego-version <v>', 'Which version of Rego syntax to use. Options: v0, v1', 'v1')
    .option('--quiet', 'Disable successful test output', false)
    .option('--junit-hide-message', 'Do not include the violation message in the JUnit test name', false)
    .option('--github-hide-passed', 'In the GitHub output, skip input files whose checks all passed', false)
    .option(
      '--proto-file-dirs <dirs>',
      'A list of directories containing Protocol Buffer definitions (for textproto inputs)',
      list,
      [],
    )
    .option('-c, --config-file <file>', 'path to configuration file (default: ./conftest.toml)');
}

export function register(program: Command): void {
  const policy = program
    .command('policy')
    .description('Check configuration files against Rego policies (a drop-in for Conftest)');

  addCommon(
    policy
      .command('test')
      .description('Test your configuration files using Rego policies')
      .argument('<paths...>', 'files or directories to check; - reads standard input')
      .option('-n, --namespace <namespaces>', 'Test policies in specific namespaces (globs *, ?, [...])', list)
      .option('--all-namespaces', 'Test policies found in all namespaces', false)
      .option('--combine', 'Combine all config files to be evaluated together', false)
      .option('--fail-on-warn', 'Return a non-zero exit code if warnings or errors are found', false)
      .option('--no-fail', 'Return an exit code of zero even if a policy fails')
      .option('--suppress-exceptions', 'Do not include exceptions in output', false)
      .option('--ignore <regex>', 'A regex pattern which can be used for ignoring paths', '')
      .option(
        '--parser <name>',
        `Parser to use to parse the configurations. Valid parsers: ${PARSER_NAMES.join(', ')}`,
        '',
      )
      .option('--stdin-filename <name>', 'Filename to use in output when testing configuration from stdin', '')
      .option(
        '--max-input-size <bytes>',
        'Refuse inputs larger than this (YAML defaults to 32 MiB, others to 512 MiB)',
        (v) => Number(v),
      )
      .option(
        '-u, --update <urls>',
        'URLs of policies to download into the (first) policy directory before the tests run',
        list,
        [],
      )
      .option('--tls <bool>', 'Use TLS to reach a registry given with --update (false: plain HTTP)', 'true'),
  ).action(async (paths: string[], raw: Opts, cmd: Command) => {
    try {
      const o = withConfig(cmd, raw, raw.configFile as string | undefined);
      const policyPaths = (o.policy as string[] | string | undefined) ?? ['policy'];
      const updates = o.update as string[];
      if (updates.length > 0)
        await pullPolicies(updates, Array.isArray(policyPaths) ? (policyPaths[0] ?? 'policy') : policyPaths, o);
      const namespaces = (o.namespace as string[] | string | undefined) ?? ['main'];
      const run = await runTest(paths, {
        policyPaths: Array.isArray(policyPaths) ? policyPaths : [policyPaths],
        dataPaths: o.data as string[],
        namespaces: Array.isArray(namespaces) ? namespaces : [namespaces],
        allNamespaces: Boolean(o.allNamespaces),
        combine: Boolean(o.combine),
        regoVersion: regoVersion(o.regoVersion),
        strict: Boolean(o.strict),
        showBuiltinErrors: Boolean(o.showBuiltinErrors),
        trace: Boolean(o.trace),
        ...(allowedBuiltins(o.capabilities) ? { allowedBuiltins: allowedBuiltins(o.capabilities) } : {}),
        parser: (o.parser as string) || undefined,
        ignore: (o.ignore as string) || undefined,
        protoFileDirs: (o.protoFileDirs as string[] | undefined) ?? [],
        stdinFilename: (o.stdinFilename as string) || undefined,
        readStdin: () => readFileSync(0, 'utf8'),
        ...(typeof o.maxInputSize === 'number' && Number.isFinite(o.maxInputSize)
          ? { maxInputSize: o.maxInputSize }
          : {}),
      });
      for (const e of run.errors) printError(e);
      let code = exitCode(run.results, Boolean(o.failOnWarn));
      if (!o.quiet || code !== 0) {
        process.stdout.write(render(String(o.output), run.results, reporterOptions(o)));
        if (o.fail === false) code = 0;
      }
      if (run.errors.length > 0) code = Math.max(code, 1);
      process.exitCode = code;
    } catch (e) {
      printError(e);
      process.exitCode = 1;
    }
  });

  addCommon(
    policy
      .command('verify')
      .description('Verify Rego unit tests (test_ rules) in the policy directories')
      .option('-n, --namespace <namespaces>', 'Verify policies in specific namespaces (globs); empty: all', list, [])
      .option(
        '--report <kind>',
        'Shows output for Rego queries as a report with summary. Options: full, notes, fails',
        '',
      )
      .option('--var-values', 'Show variables and values in failing test expressions', false)
      .option('--coverage', 'Report which policy lines the tests reach (JSON, like opa test --coverage)', false)
      .argument('[paths...]', 'ignored (Conftest accepts and ignores file arguments here)'),
  ).action(async (_paths: string[], raw: Opts, cmd: Command) => {
    try {
      const o = withConfig(cmd, raw, raw.configFile as string | undefined);
      const policyPaths = (o.policy as string[] | string | undefined) ?? ['policy'];
      const { results, tests, coverage } = await runVerify({
        coverage: Boolean(o.coverage),
        policyPaths: Array.isArray(policyPaths) ? policyPaths : [policyPaths],
        dataPaths: o.data as string[],
        namespaces: o.namespace as string[],
        regoVersion: regoVersion(o.regoVersion),
        strict: Boolean(o.strict),
        showBuiltinErrors: Boolean(o.showBuiltinErrors),
        trace: Boolean(o.trace),
      });
      const code = exitCode(results);
      if (coverage) {
        process.stdout.write(JSON.stringify(coverage, null, 2) + '\n');
        process.exitCode = code;
        return;
      }
      let report = String(o.report ?? '');
      if (o.varValues && report === '') report = 'fails';
      if (!o.quiet || code !== 0) {
        if (report !== '') {
          if (o.output !== 'stdout')
            throw new PolicyError('policy_usage_error', 'report flag is supported with stdout only');
          process.stdout.write(formatVerifyReport(tests, report));
        } else {
          process.stdout.write(render(String(o.output), results, { ...reporterOptions(o), showSkipped: true }));
        }
      }
      process.exitCode = code;
    } catch (e) {
      printError(e);
      process.exitCode = 1;
    }
  });

  policy
    .command('parse')
    .description('Print the configuration files as the policies see them (JSON)')
    .argument('<paths...>', 'files to parse; - reads standard input')
    .option('--parser <name>', `Parser to use. Valid parsers: ${PARSER_NAMES.join(', ')}`, '')
    .option('--combine', 'Combine all config files into one input', false)
    .action(async (paths: string[], o: Opts) => {
      try {
        const { text, errors } = await runParse(paths, {
          parser: (o.parser as string) || undefined,
          readStdin: () => readFileSync(0, 'utf8'),
        });
        for (const e of errors) printError(e);
        process.stdout.write(text + (text.endsWith('\n') ? '' : '\n'));
        process.exitCode = errors.length > 0 ? 1 : 0;
      } catch (e) {
        printError(e);
        process.exitCode = 1;
      }
    });

  policy
    .command('fmt')
    .description('Apply the canonical Rego format to policy files (as conftest fmt)')
    .argument('[paths...]', 'policy files or directories', ['policy'])
    .option('--check', 'Only report: exit 1 and list the files whose format differs, change nothing', false)
    .option('--rego-version <v>', 'Which version of Rego syntax to use. Options: v0, v1', 'v1')
    .action((paths: string[], o: Opts) => {
      try {
        const v0 = regoVersion(o.regoVersion) === 0;
        // opa fmt --fail exits 2 for "would change"; conftest fmt --check exits 1 for any problem
        const code = runFmtCommand(
          paths,
          { ...(o.check ? { list: true, fail: true } : { write: true }), ...(v0 ? { v0Compatible: true } : {}) },
          { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
        );
        process.exitCode = code === 0 ? 0 : 1;
      } catch (e) {
        printError(e);
        process.exitCode = 1;
      }
    });

  policy
    .command('push')
    .description('Upload policies and data to an OCI registry as a Conftest bundle')
    .argument('<repository>', 'registry/repository[:tag] (oci:// prefix optional)')
    .option('-p, --policy <path>', 'Directory of policies to push', 'policy')
    .option('-d, --data <path>', 'Directory of data documents to push')
    .option('--rego-version <v>', 'Which version of Rego syntax to use. Options: v0, v1', 'v1')
    .option('--tls <bool>', 'Use TLS to access the registry (false: plain HTTP)', 'true')
    .action(async (repository: string, o: Opts) => {
      try {
        const r = await pushBundle(repository, String(o.policy), o.data ? String(o.data) : undefined, {
          ...registryAccess(o),
          regoVersion: regoVersion(o.regoVersion),
        });
        process.stdout.write(`pushed ${r.reference}@${r.digest}\n`);
      } catch (e) {
        printError(e);
        process.exitCode = 1;
      }
    });

  policy
    .command('pull')
    .description('Download policies and data from an OCI registry, a local path or a git repository')
    .argument('<urls...>', 'oci://registry/repo:tag, registry/repo:tag, a local path, or git::URL / *.git')
    .option('-p, --policy <path>', 'Path to download the policies to', 'policy')
    .option('--tls <bool>', 'Use TLS to access the registry (false: plain HTTP)', 'true')
    .action(async (urls: string[], o: Opts) => {
      try {
        await pullPolicies(urls, String(o.policy), o);
      } catch (e) {
        printError(e);
        process.exitCode = 1;
      }
    });
}
