// `sekisho ci step-image`: builds the Sekisho step image (the image the Job runner's built-in step pods run)
// from this machine's node, bwrap and Sekisho tree, into an OCI layout (--output oci:DIR[:TAG]) and/or a
// registry (--push REF). Progress on stderr; the digest, reference and size on stdout (or as JSON with -o json).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import {
  RegistryClient,
  dockerConfigCredentials,
  parseLayoutSpec,
  parseReference,
  referenceTarget,
  registryApiHost,
} from '../../oci/index.ts';
import { PipelineError } from '../../pipeline/errors.ts';
import { buildStepImage, type StepImageTarget } from '../../pipeline/runners/index.ts';
import { reportError } from '../report-error.ts';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

interface Opts {
  output?: string;
  push?: string;
  insecureRegistry?: string[];
  cacheDir?: string;
  format: 'text' | 'json';
}

export function registerStepImage(ci: Command): void {
  ci.command('step-image')
    .description('build the Sekisho step image (node, bwrap and this Sekisho) that step Jobs run, without network')
    .option('--output <oci:DIR[:TAG]>', 'write the image into this OCI image layout (created when missing)')
    .option('--push <repository:tag>', 'push the image to this registry reference')
    .option('--insecure-registry <host>', 'plain HTTP to this registry (repeatable; loopback ones always are)', collect)
    .option('--cache-dir <dir>', 'where packed layers are cached (default: the system temp dir)')
    .addOption(new Option('-o, --format <format>', 'result format').choices(['text', 'json']).default('text'))
    .action(async (o: Opts) => {
      try {
        if (!o.output && !o.push)
          throw new PipelineError('pipeline_invalid', 'give --output oci:DIR[:TAG] or --push REF (or both)');
        if (o.output && !o.output.startsWith('oci:'))
          throw new PipelineError('pipeline_invalid', `--output ${o.output}: expected oci:DIR[:TAG]`);
        const target: StepImageTarget[] = [];
        if (o.output) {
          const { dir, ref } = parseLayoutSpec(o.output);
          target.push({ layout: dir, ...(ref ? { tag: ref } : {}) });
        }
        if (o.push) {
          const ref = parseReference(o.push);
          if (ref.digest) throw new PipelineError('pipeline_invalid', `--push ${o.push}: push to a tag, not a digest`);
          const host = registryApiHost(ref.registry);
          const configDir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
          const registry = new RegistryClient({
            host,
            credentials: dockerConfigCredentials(join(configDir, 'config.json')),
            ...(o.insecureRegistry?.some((h) => h === host || h === ref.registry) ? { scheme: 'http' as const } : {}),
          });
          target.push({ registry, repository: ref.repository, tag: referenceTarget(ref) });
        }
        const json = o.format === 'json';
        const r = await buildStepImage({
          target,
          ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}),
          progress: (line) => {
            if (!json) process.stderr.write(`${line}\n`);
          },
        });
        if (json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        else {
          process.stdout.write(`digest ${r.digest}\n`);
          if (r.reference) process.stdout.write(`reference ${r.reference}\n`);
          process.stdout.write(`size ${r.size}\n`);
        }
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
