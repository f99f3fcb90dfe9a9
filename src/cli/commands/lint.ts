// `sekisho lint dockerfile <Dockerfile...>` — a hadolint drop-in: same rule codes, severities,
// messages, pragmas, `.hadolint.yaml` config, output formats and exit codes. The work is done in
// src/lint; this file reads argv and files and prints.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  atOrAbove,
  defaultConfig,
  formatFindings,
  lintDockerfile,
  LintError,
  parseHadolintConfig,
  parseSeverity,
  type DockerfileFormat,
  type DockerfileLintConfig,
  type Finding,
  failsAt,
  formatImageReport,
  lintImage,
  parseDockleIgnore,
  readImage,
  type ImageReportFormat,
} from '../../lint/index.ts';
import { openImage } from '../image-target.ts';
import { reportError } from '../report-error.ts';

function list(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

function loadConfig(path: string | undefined): DockerfileLintConfig {
  const file = path ?? ['.hadolint.yaml', '.hadolint.yml'].find((f) => existsSync(f));
  if (!file) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LintError('lint_io_error', `read config file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseHadolintConfig(text, file);
}

interface DockerfileOpts {
  format: DockerfileFormat;
  ignore?: string[];
  trustedRegistry?: string[];
  failureThreshold?: string;
  config?: string;
  fail?: boolean;
}

export function register(program: Command): void {
  const lint = program
    .command('lint')
    .description('Best-practice checks for Dockerfiles (hadolint rules) and images (dockle checkpoints)');
  lint
    .command('dockerfile')
    .description('Lint Dockerfiles with hadolint-compatible DL rules')
    .argument('<dockerfile...>', 'Dockerfiles to lint ("-" reads stdin)')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['tty', 'json', 'sarif', 'checkstyle', 'junit'])
        .default('tty'),
    )
    .option('--ignore <rule>', 'ignore a rule (repeatable, comma-separated)', list)
    .option('--trusted-registry <registry>', 'registry allowed in FROM for DL3026 (repeatable)', list)
    .option(
      '-t, --failure-threshold <level>',
      'exit 1 when a finding is at or above this level: error|warning|info|style|ignore|none',
    )
    .option('-c, --config <file>', 'configuration file (default: ./.hadolint.yaml when present)')
    .option('--no-fail', 'always exit 0 when linting succeeded')
    .action((files: string[], opts: DockerfileOpts) => {
      try {
        const config = loadConfig(opts.config);
        config.ignored.push(...(opts.ignore ?? []));
        config.trustedRegistries.push(...(opts.trustedRegistry ?? []));
        if (opts.failureThreshold !== undefined)
          config.failureThreshold = parseSeverity(opts.failureThreshold, '--failure-threshold');
        const findings: Finding[] = [];
        const names: string[] = [];
        for (const f of files) {
          let text: string;
          try {
            text = f === '-' ? readFileSync(0, 'utf8') : readFileSync(f, 'utf8');
          } catch (e) {
            throw new LintError('lint_io_error', `read ${f}: ${(e as Error).message}`, { cause: e });
          }
          const name = f === '-' ? '-' : f;
          names.push(name);
          findings.push(...lintDockerfile(text, name, config));
        }
        process.stdout.write(formatFindings(findings, opts.format, names));
        const failing = findings.some((x) => atOrAbove(x.level, config.failureThreshold));
        process.exitCode = failing && opts.fail !== false ? 1 : 0;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  lint
    .command('image')
    .description('Check an image against the CIS Docker Benchmark and dockle checkpoints')
    .argument('<image>', 'registry reference, oci:DIR[:tag|@digest] or docker-archive:FILE')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['list', 'json', 'sarif', 'checkstyle', 'junit'])
        .default('list'),
    )
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option(
      '-i, --ignore <code>',
      'checkpoint to ignore (repeatable, comma-separated; .dockleignore is read too)',
      list,
    )
    .option('--exit-code <code>', 'exit code when a checkpoint fails at or above --exit-level', '0')
    .addOption(
      new Option('--exit-level <level>', 'lowest failing level').choices(['info', 'warn', 'fatal']).default('warn'),
    )
    .option('--accept-key <key>', 'ENV key that is not a credential (repeatable)', list)
    .option('--sensitive-word <word>', 'extra word that makes an ENV key suspicious (repeatable)', list)
    .option('--accept-file <name>', 'file name that is not a credential (repeatable)', list)
    .option('--accept-file-extension <ext>', 'file extension that is not a credential (repeatable)', list)
    .option('--sensitive-file <name>', 'extra suspicious file name (repeatable)', list)
    .option('--sensitive-file-extension <ext>', 'extra suspicious file extension (repeatable)', list)
    .option('--insecure', 'plain HTTP to the registry (loopback registries)')
    .addHelpText(
      'after',
      `
Exit status: 0, or --exit-code when a checkpoint is at or above --exit-level (dockle's rule).
CIS-DI-0005 reads DOCKER_CONTENT_TRUST from this environment, as dockle does.

Examples:
  sekisho lint image --exit-code 1 oci:./out:app
  sekisho lint image -f sarif -o dockle.sarif 127.0.0.1:5000/app:1.0 --insecure`,
    )
    .action(async (image: string, o: ImageOpts) => {
      try {
        const exitCode = Number(o.exitCode);
        if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
          throw new LintError(
            'lint_config_error',
            `--exit-code must be an integer from 0 to 255, not ${JSON.stringify(o.exitCode)}`,
          );
        const ignore = [...(o.ignore ?? [])];
        if (existsSync('.dockleignore')) ignore.push(...parseDockleIgnore(readFileSync('.dockleignore', 'utf8')));
        const { store, ref } = await openImage(image, o.insecure === true);
        const read = await readImage(store, ref);
        const report = lintImage(
          { name: image, ...read },
          {
            ignore,
            reference: image,
            contentTrust: process.env.DOCKER_CONTENT_TRUST === '1',
            acceptKeys: o.acceptKey ?? [],
            sensitiveWords: o.sensitiveWord ?? [],
            acceptFiles: o.acceptFile ?? [],
            acceptExtensions: o.acceptFileExtension ?? [],
            sensitiveFiles: o.sensitiveFile ?? [],
            sensitiveExtensions: o.sensitiveFileExtension ?? [],
          },
        );
        const text = formatImageReport(report, o.format, {
          color: o.output === undefined && process.stdout.isTTY === true,
        });
        if (o.output) writeFileSync(o.output, text);
        else process.stdout.write(text);
        process.exitCode = failsAt(report, o.exitLevel) ? exitCode : 0;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}

interface ImageOpts {
  format: ImageReportFormat;
  output?: string;
  ignore?: string[];
  exitCode: string;
  exitLevel: 'info' | 'warn' | 'fatal';
  acceptKey?: string[];
  sensitiveWord?: string[];
  acceptFile?: string[];
  acceptFileExtension?: string[];
  sensitiveFile?: string[];
  sensitiveFileExtension?: string[];
  insecure?: boolean;
}
