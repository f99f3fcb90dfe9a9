// `sekisho lint dockerfile <Dockerfile...>` — a hadolint drop-in: same rule codes, severities,
// messages, pragmas, `.hadolint.yaml` config, output formats and exit codes. The work is done in
// src/lint; this file reads argv and files and prints.
import { existsSync, readFileSync } from 'node:fs';
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
} from '../../lint/index.ts';
import { reportError } from '../report-error.ts';

function list(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
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
  const lint = program.command('lint').description('Best-practice checks for Dockerfiles (hadolint rules)');
  lint
    .command('dockerfile')
    .description('Lint Dockerfiles with hadolint-compatible DL rules')
    .argument('<dockerfile...>', 'Dockerfiles to lint ("-" reads stdin)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['tty', 'json', 'sarif', 'checkstyle']).default('tty'))
    .option('--ignore <rule>', 'ignore a rule (repeatable, comma-separated)', list)
    .option('--trusted-registry <registry>', 'registry allowed in FROM for DL3026 (repeatable)', list)
    .option('-t, --failure-threshold <level>', 'exit 1 when a finding is at or above this level: error|warning|info|style|ignore|none')
    .option('-c, --config <file>', 'configuration file (default: ./.hadolint.yaml when present)')
    .option('--no-fail', 'always exit 0 when linting succeeded')
    .action((files: string[], opts: DockerfileOpts) => {
      try {
        const config = loadConfig(opts.config);
        config.ignored.push(...(opts.ignore ?? []));
        config.trustedRegistries.push(...(opts.trustedRegistry ?? []));
        if (opts.failureThreshold !== undefined) config.failureThreshold = parseSeverity(opts.failureThreshold, '--failure-threshold');
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
}
