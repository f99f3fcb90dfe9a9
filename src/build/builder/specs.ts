// buildx's comma-separated flag values: `--output type=oci,dest=out.tar`, `--cache-to type=registry,ref=r`,
// `--secret id=x,src=file|env=VAR`. Parsed here so the CLI and the pipeline share one reading.
import { BuildError } from '../errors.ts';
import type { CacheSpec, OutputSpec, SecretSpec } from './types.ts';

function fields(flag: string, value: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const i = part.indexOf('=');
    if (i < 0) throw new BuildError('OUTPUT', `${flag} ${value}: expected key=value, got ${JSON.stringify(part)}`);
    m.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return m;
}

/** `--output`: `type=oci|docker|registry|local,...`, or a bare path meaning type=local,dest=<path>. */
export function parseOutputSpec(value: string): OutputSpec {
  if (!value.includes('=')) return { type: 'local', dest: value };
  const f = fields('--output', value);
  const type = f.get('type') ?? 'local';
  const dest = f.get('dest');
  const name = f.get('name');
  const need = (): string => {
    if (!dest) throw new BuildError('OUTPUT', `--output ${value}: type=${type} needs dest=`);
    return dest;
  };
  switch (type) {
    case 'oci':
      return { type, dest: need(), ...(f.get('tar') === 'false' ? { tar: false } : {}), ...(name ? { name } : {}) };
    case 'docker':
      return { type, dest: need(), ...(name ? { name } : {}) };
    case 'local':
      return { type, dest: need() };
    case 'registry':
    case 'image':
      if (type === 'image' && f.get('push') !== 'true')
        throw new BuildError(
          'OUTPUT',
          `--output ${value}: type=image without push=true has nowhere to go here (no image store)`,
        );
      return { type: 'registry', ...(name ? { name } : {}) };
    default:
      throw new BuildError(
        'OUTPUT',
        `--output ${value}: unknown type ${JSON.stringify(type)} (oci, docker, registry, local)`,
      );
  }
}

/** `--cache-from/--cache-to`: `type=registry,ref=...`, `type=local,src=|dest=dir`, or a bare ref. */
export function parseCacheSpec(value: string, flag = '--cache-from'): CacheSpec {
  if (!value.includes('=')) return { type: 'registry', ref: value };
  const f = fields(flag, value);
  const type = f.get('type') ?? 'registry';
  if (type === 'registry') {
    const ref = f.get('ref');
    if (!ref) throw new BuildError('CACHE', `${flag} ${value}: type=registry needs ref=`);
    return { type, ref };
  }
  if (type === 'local') {
    const dir = f.get('dest') ?? f.get('src');
    if (!dir)
      throw new BuildError('CACHE', `${flag} ${value}: type=local needs ${flag === '--cache-to' ? 'dest' : 'src'}=`);
    return { type, dir };
  }
  throw new BuildError('CACHE', `${flag} ${value}: unsupported cache type ${JSON.stringify(type)} (registry, local)`);
}

/** `--secret id=x[,src=file|,env=VAR]` (`source=` and `type=` accepted as buildx does). */
export function parseSecretSpec(value: string): { id: string; spec: SecretSpec } {
  const f = fields('--secret', value);
  const id = f.get('id');
  if (!id) throw new BuildError('SECRET_MISSING', `--secret ${value}: id= is required`);
  const src = f.get('src') ?? f.get('source');
  const type = f.get('type');
  const env = f.get('env');
  if (src !== undefined) return { id, spec: type === 'env' ? { env: src } : { src } };
  if (env !== undefined) return { id, spec: { env } };
  return { id, spec: type === 'file' ? { src: id } : { env: id } };
}
