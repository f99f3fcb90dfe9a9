// `sekisho build [flags] CONTEXT` — Dockerfile to OCI image, with buildx's flags (-f, -t, --build-arg,
// --target, --platform, --secret, --cache-from/--cache-to, -o/--output, --push, --progress,
// --metadata-file). The work is done in src/build; this file reads argv and env and prints.
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import {
  build,
  BuildError,
  DEFAULT_BUILDER_ID,
  gitSource,
  hostPlatformString,
  provenanceStatement,
  parseCacheSpec,
  parseOutputSpec,
  parseSecretSpec,
  type BuildOptions,
  type ProgressEvent,
  type SecretSpec,
} from '../../build/index.ts';
import { dockerConfigCredentials, parseReference } from '../../oci/index.ts';
import { reportError } from '../report-error.ts';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface BuildFlags {
  file?: string;
  tag?: string[];
  buildArg?: string[];
  target?: string;
  platform?: string;
  secret?: string[];
  cacheFrom?: string[];
  cacheTo?: string[];
  cache: boolean;
  output?: string[];
  push?: boolean;
  progress: string;
  metadataFile?: string;
  cacheDir?: string;
  network: string;
  allowNetworkAdd?: boolean;
  insecureRegistry?: string[];
  provenance?: boolean;
  provenanceFile?: string;
  signKey?: string;
  newBundleFormat?: boolean;
  builderId: string;
}

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'sekisho', 'build');
}

/** Progress lines in BuildKit's plain style: `#3 [build 2/4] RUN make`, `#3 CACHED`, `#3 DONE 1.2s`. */
function progressPrinter(mode: 'tty' | 'plain' | 'quiet'): (ev: ProgressEvent) => void {
  const out = process.stderr;
  const logs = new Map<number, string[]>();
  const texts = new Map<number, string>();
  const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
  return (ev) => {
    if (mode === 'quiet') return;
    switch (ev.kind) {
      case 'step-start': {
        const line = `#${ev.id} [${ev.stage} ${ev.step}/${ev.steps}] ${ev.text}`;
        texts.set(ev.id, line);
        if (mode === 'plain') out.write(`${line}\n`);
        else out.write(`\x1b[2K\r${line} ...`);
        break;
      }
      case 'log': {
        if (mode === 'plain') {
          for (const l of ev.data.split('\n')) if (l !== '') out.write(`#${ev.id} ${l}\n`);
        } else {
          const list = logs.get(ev.id) ?? [];
          list.push(ev.data);
          logs.set(ev.id, list);
        }
        break;
      }
      case 'step-done': {
        const status = ev.cached ? 'CACHED' : `DONE ${secs(ev.ms)}`;
        if (mode === 'plain') out.write(`#${ev.id} ${status}\n`);
        else
          out.write(
            `\x1b[2K\r${texts.get(ev.id) ?? `#${ev.id}`} ${ev.cached ? '\x1b[36mCACHED\x1b[0m' : `\x1b[32m${status}\x1b[0m`}\n`,
          );
        logs.delete(ev.id);
        break;
      }
      case 'step-error': {
        if (mode === 'tty') {
          out.write(`\x1b[2K\r${texts.get(ev.id) ?? `#${ev.id}`} \x1b[31mERROR ${secs(ev.ms)}\x1b[0m\n`);
          for (const chunk of logs.get(ev.id) ?? []) out.write(chunk);
        } else out.write(`#${ev.id} ERROR: ${ev.message}\n`);
        break;
      }
      case 'info':
        out.write(`${mode === 'tty' ? '' : '# '}${ev.message}\n`);
        break;
    }
  };
}

export function register(program: Command): void {
  program
    .command('build')
    .description('build an OCI image from a Dockerfile without a daemon (buildx-compatible flags)')
    .argument('<context>', 'build context directory')
    .option('-f, --file <path>', 'Dockerfile (default: <context>/Dockerfile)')
    .option('-t, --tag <name>', 'image name and tag (repeatable)', collect)
    .option(
      '--build-arg <key=value>',
      'build-time variable (repeatable; KEY alone takes it from the environment)',
      collect,
    )
    .option('--target <stage>', 'build this stage (and only what it needs)')
    .option('--platform <os/arch>', `target platform; only the host's (${hostPlatformString()}) can be built`)
    .option('--secret <id=x,src=file|env=VAR>', 'secret for RUN --mount=type=secret (repeatable)', collect)
    .option('--cache-from <type=registry,ref=...>', 'import the build cache (repeatable)', collect)
    .option('--cache-to <type=registry,ref=...>', 'export the build cache (repeatable)', collect)
    .option('--no-cache', 'execute every step (results are still cached)')
    .option('-o, --output <type=oci,dest=out.tar>', 'output: type=oci|docker|registry|local (repeatable)', collect)
    .option('--push', 'push the tags (same as --output type=registry)')
    .addOption(
      new Option('--progress <mode>', 'progress output').choices(['auto', 'tty', 'plain', 'quiet']).default('auto'),
    )
    .option('--metadata-file <path>', 'write build metadata (containerimage.digest, ...) as JSON')
    .option('--cache-dir <dir>', 'local cache and work space (default $XDG_CACHE_HOME/sekisho/build)')
    .addOption(
      new Option('--network <mode>', 'default network for RUN').choices(['none', 'host', 'default']).default('none'),
    )
    .option('--allow-network-add', 'allow ADD of remote URLs (off: builds are offline)')
    .option(
      '--insecure-registry <host:port>',
      'reach this registry over plain HTTP (repeatable; loopback always is)',
      collect,
    )
    .option(
      '--provenance',
      'attach SLSA provenance v1 to the pushed image as a signed attestation (needs --push, --sign-key)',
    )
    .option(
      '--provenance-file <path>',
      'write the provenance: a DSSE envelope with --sign-key, else the in-toto statement',
    )
    .option(
      '--sign-key <file>',
      'private key signing the provenance (cosign.key, PKCS#8; password from COSIGN_PASSWORD)',
    )
    .option(
      '--new-bundle-format',
      'attach the provenance as a Sigstore bundle (OCI 1.1 referrer), not under the .att tag',
    )
    .option('--builder-id <uri>', 'runDetails.builder.id of the provenance', DEFAULT_BUILDER_ID)
    .action(async (context: string, o: BuildFlags) => {
      try {
        const startedOn = new Date();
        if (o.provenance && !o.signKey)
          throw new BuildError('OUTPUT', '--provenance attaches a signed attestation: give --sign-key');
        if (o.provenance && !o.push && !(o.output ?? []).some((x) => /(^|,)type=registry(,|$)/.test(x)))
          throw new BuildError('OUTPUT', '--provenance attaches to the pushed image: add --push');
        const sign = o.signKey || o.provenance ? await import('./sign.ts') : undefined;
        const signer = o.signKey && sign ? await sign.loadSigner(o.signKey) : undefined;
        if (o.platform !== undefined && o.platform !== hostPlatformString())
          throw new BuildError(
            'DOCKERFILE_INVALID',
            `--platform ${o.platform}: only the host platform ${hostPlatformString()} can be built here (no emulation)`,
          );
        const buildArgs: Record<string, string> = {};
        for (const a of o.buildArg ?? []) {
          const i = a.indexOf('=');
          if (i < 0) {
            const v = process.env[a];
            if (v !== undefined) buildArgs[a] = v;
          } else buildArgs[a.slice(0, i)] = a.slice(i + 1);
        }
        const secrets: Record<string, SecretSpec> = {};
        for (const s of o.secret ?? []) {
          const { id, spec } = parseSecretSpec(s);
          secrets[id] = spec;
        }
        const sdeText = buildArgs.SOURCE_DATE_EPOCH ?? process.env.SOURCE_DATE_EPOCH;
        let sourceDateEpoch: number | undefined;
        if (sdeText !== undefined && sdeText !== '') {
          if (!/^\d+$/.test(sdeText))
            throw new BuildError(
              'DOCKERFILE_INVALID',
              `SOURCE_DATE_EPOCH must be whole seconds, not ${JSON.stringify(sdeText)}`,
            );
          sourceDateEpoch = Number(sdeText);
        }
        const mode: 'tty' | 'plain' | 'quiet' =
          o.progress === 'quiet'
            ? 'quiet'
            : o.progress === 'plain'
              ? 'plain'
              : o.progress === 'tty'
                ? 'tty'
                : process.stderr.isTTY
                  ? 'tty'
                  : 'plain';
        const configDir = process.env.DOCKER_CONFIG || join(homedir(), '.docker');
        const contextDir = resolve(context);
        const opts: BuildOptions = {
          contextDir,
          ...(o.file !== undefined ? { dockerfile: resolve(o.file) } : {}),
          tags: o.tag ?? [],
          buildArgs,
          ...(o.target !== undefined ? { target: o.target } : {}),
          secrets,
          secretEnv: process.env,
          cacheDir: resolve(o.cacheDir ?? defaultCacheDir()),
          cacheFrom: (o.cacheFrom ?? []).map((c) => parseCacheSpec(c, '--cache-from')),
          cacheTo: (o.cacheTo ?? []).map((c) => parseCacheSpec(c, '--cache-to')),
          noCache: o.cache === false,
          outputs: (o.output ?? []).map(parseOutputSpec),
          push: o.push === true,
          ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
          network: o.network === 'host' ? 'host' : 'none',
          allowNetworkAdd: o.allowNetworkAdd === true,
          registry: {
            credentials: dockerConfigCredentials(join(configDir, 'config.json')),
            insecure: o.insecureRegistry ?? [],
          },
          progress: progressPrinter(mode),
        };
        const ac = new AbortController();
        const onSig = (): void => ac.abort(new BuildError('RUN_FAILED', 'build interrupted'));
        process.once('SIGINT', onSig);
        process.once('SIGTERM', onSig);
        opts.signal = ac.signal;
        const t0 = Date.now();
        try {
          const r = await build(opts);
          if (mode !== 'quiet') {
            for (const out of r.outputs) process.stderr.write(`exported ${out}\n`);
            const cached = r.steps.filter((s) => s.cached).length;
            process.stderr.write(
              `built ${r.manifestDigest} in ${((Date.now() - t0) / 1000).toFixed(2)}s (${r.steps.length} steps, ${cached} cached)\n`,
            );
          }
          if (o.metadataFile) {
            const meta: Record<string, unknown> = {
              'containerimage.digest': r.manifestDigest,
              'containerimage.config.digest': r.configDigest,
              'containerimage.descriptor': {
                mediaType: r.manifest.mediaType,
                digest: r.manifestDigest,
                size: r.manifestBytes.length,
              },
            };
            if (opts.tags.length > 0) meta['image.name'] = opts.tags.join(',');
            writeFileSync(o.metadataFile, `${JSON.stringify(meta, null, 2)}\n`);
          }
          if (o.provenance || o.provenanceFile) {
            const names = opts.tags.map((tag) => {
              const ref = parseReference(tag);
              return `${ref.registry}/${ref.repository}`;
            });
            const statement = provenanceStatement({
              result: r,
              opts,
              names,
              platform: hostPlatformString(),
              startedOn,
              finishedOn: new Date(),
              ...(await gitSource(contextDir).then((g) => (g ? { git: g } : {}))),
              builderId: o.builderId,
            });
            if (o.provenanceFile) {
              const text =
                signer && sign
                  ? JSON.stringify(sign.dsseStatement(statement, signer))
                  : JSON.stringify(statement, null, 2);
              writeFileSync(o.provenanceFile, `${text}\n`);
            }
            if (o.provenance && signer && sign)
              for (const name of [...new Set(names)]) {
                const host = name.slice(0, name.indexOf('/'));
                const { t } = sign.target(`${name}@${r.manifestDigest}`, o.insecureRegistry?.includes(host));
                const where = await sign.attachStatement(t, signer, statement, o.newBundleFormat === true);
                if (mode !== 'quiet') process.stderr.write(`provenance attached to ${name}: ${where}\n`);
              }
          }
          process.stdout.write(`${r.manifestDigest}\n`);
        } finally {
          process.off('SIGINT', onSig);
          process.off('SIGTERM', onSig);
        }
      } catch (err) {
        if (err instanceof BuildError) {
          const located = Object.assign(new Error(err.message), {
            code: err.code,
            ...(err.location
              ? { location: { file: err.location.file, row: err.location.row, col: err.location.col ?? 1 } }
              : {}),
          });
          process.exitCode = reportError(located);
        } else process.exitCode = reportError(err);
      }
    });
}
