// `sekisho lint image`: dockle's checkpoints over an image read from any ImageStore (registry, OCI layout,
// docker archive). The image's config and history feed the Dockerfile-level checks; its merged filesystem
// (modes of every entry, bodies of the account files only) feeds the Linux-level checks.
import {
  mergeLayer,
  OciError,
  parseManifest,
  selectPlatform,
  type ImageStore,
  type MergedEntry,
  type Platform,
} from '../../oci/index.ts';
import { LintError } from '../errors.ts';
import { CHECKPOINTS, LEVEL_RANK, type Assessment, type Level } from './checkpoints.ts';
import { assessFiles, BODY_FILES, type FileCheckOptions, type ImageFile } from './files.ts';
import { assessConfig, type HistoryCheckOptions, type ImageConfigLike } from './history.ts';

export interface ImageLintOptions extends FileCheckOptions, HistoryCheckOptions {
  /** Checkpoint codes to leave out (--ignore and `.dockleignore`). */
  ignore?: string[];
  /** Whether DOCKER_CONTENT_TRUST=1 is set where the image is used (the caller reads the environment). */
  contentTrust?: boolean;
  /** The reference the user named, for DKL-DI-0006 (a `:latest` tag). */
  reference?: string;
  platform?: Platform;
  maxLayerBytes?: number;
}

/** The result for one checkpoint: its level (after ignores) and what was found. */
export interface CheckpointResult {
  code: string;
  title: string;
  level: Level;
  alerts: Assessment[];
}

export interface ImageLintReport {
  image: string;
  digest: string;
  /** Every checkpoint in report order (worst default level first, then by code). */
  results: CheckpointResult[];
  summary: { fatal: number; warn: number; info: number; skip: number; pass: number };
}

/** Reads the config and the merged filesystem the checks need. */
export async function readImage(
  store: ImageStore,
  ref: string,
  opts: { platform?: Platform; maxLayerBytes?: number } = {},
): Promise<{ digest: string; config: ImageConfigLike; files: Map<string, ImageFile> }> {
  let m = await store.getManifest(ref);
  if (parseManifest(m.bytes, m.mediaType).isIndex)
    m = await store.getManifest(selectPlatform(m, opts.platform ?? { os: 'linux', architecture: 'amd64' }).digest);
  const manifest = parseManifest(m.bytes, m.mediaType).manifest as {
    config?: { digest: string; size: number; mediaType: string };
    layers?: Array<{ digest: string; size: number; mediaType: string }>;
  };
  if (!manifest.config) throw new LintError('lint_image_error', `${store.name}: ${m.digest} is not an image manifest`);
  const chunks: Buffer[] = [];
  for await (const c of await store.getBlob(manifest.config)) chunks.push(c as Buffer);
  let config: ImageConfigLike;
  try {
    config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ImageConfigLike;
  } catch (e) {
    throw new LintError('lint_image_error', `${store.name}: image config ${manifest.config.digest} is not JSON`, {
      cause: e,
    });
  }
  const merged = new Map<string, MergedEntry>();
  const body = new Set(BODY_FILES);
  for (const l of manifest.layers ?? []) {
    try {
      await mergeLayer(merged, await store.getBlob(l), l.digest, {
        keep: (h) => (h.type === 'directory' ? 'skip' : body.has(h.path) && h.size <= 16 << 20 ? 'body' : 'meta'),
        ...(opts.maxLayerBytes !== undefined ? { maxLayerBytes: opts.maxLayerBytes } : {}),
      });
    } catch (e) {
      if (e instanceof OciError && (e.code === 'LAYER_UNSAFE' || e.code === 'LAYER_INVALID'))
        throw new LintError('lint_image_error', `${store.name}: ${e.message}`, { cause: e });
      throw e;
    }
  }
  const files = new Map<string, ImageFile>();
  for (const [path, e] of merged)
    files.set(path, { mode: e.header.mode, type: e.header.type, ...(e.data ? { data: e.data } : {}) });
  return { digest: m.digest, config, files };
}

function usesLatest(reference: string | undefined): boolean {
  if (!reference || reference.includes('@')) return false;
  const name = reference.replace(/^[a-z-]+:\/\//, '');
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  // no tag means latest, as `docker pull` reads it
  return colon <= slash ? !/^(oci|docker-archive):/.test(reference) : name.slice(colon + 1) === 'latest';
}

/** Runs every checkpoint over what `readImage` returned and groups the findings per checkpoint. */
export function lintImage(
  image: { name: string; digest: string; config: ImageConfigLike; files: ReadonlyMap<string, ImageFile> },
  opts: ImageLintOptions = {},
): ImageLintReport {
  const found: Assessment[] = [...assessFiles(image.files, opts), ...assessConfig(image.config, opts)];
  if (!opts.contentTrust)
    found.push({
      code: 'CIS-DI-0005',
      filename: 'ENVIRONMENT variable on HOST OS',
      desc: 'export DOCKER_CONTENT_TRUST=1 before docker pull/build',
    });
  if (usesLatest(opts.reference))
    found.push({ code: 'DKL-DI-0006', filename: opts.reference ?? '', desc: "Avoid 'latest' tag" });
  const ignored = new Set(opts.ignore ?? []);
  const order = [...CHECKPOINTS].sort(
    (a, b) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || a.code.localeCompare(b.code),
  );
  const summary = { fatal: 0, warn: 0, info: 0, skip: 0, pass: 0 };
  const results: CheckpointResult[] = order.map((cp) => {
    const alerts = found.filter((a) => a.code === cp.code);
    let level: Level;
    if (ignored.has(cp.code)) level = 'IGNORE';
    else if (alerts.length === 0) level = 'PASS';
    else level = alerts.some((a) => a.level === undefined) ? cp.level : 'SKIP';
    if (level === 'FATAL') summary.fatal++;
    else if (level === 'WARN') summary.warn++;
    else if (level === 'INFO') summary.info++;
    else if (level === 'SKIP') summary.skip++;
    else summary.pass++; // dockle counts ignored checkpoints as passed
    return {
      code: cp.code,
      title: cp.title,
      level,
      alerts: level === 'IGNORE' ? [] : alerts.filter((a) => a.level === undefined || level === 'SKIP'),
    };
  });
  return { image: image.name, digest: image.digest, results, summary };
}

/** dockle's exit rule: fail when a checkpoint's level is at or above the exit level. */
export function failsAt(report: ImageLintReport, exitLevel: 'info' | 'warn' | 'fatal'): boolean {
  const min = LEVEL_RANK[exitLevel.toUpperCase() as Level];
  return report.results.some(
    (r) => r.level !== 'PASS' && r.level !== 'IGNORE' && r.level !== 'SKIP' && LEVEL_RANK[r.level] >= min,
  );
}

/** Checkpoint codes from a `.dockleignore` file: one per line, `#` comments. */
export function parseDockleIgnore(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
