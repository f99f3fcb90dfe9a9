// build(): run the build, write the outputs, export the cache; always removes the work dir.
import { BuildError } from '../errors.ts';
import { runBuild } from './builder.ts';
import { writeOutputs } from './outputs.ts';
import { exportCache } from './registry-cache.ts';
import type { BuildOptions, BuildResult } from './types.ts';

export async function build(opts: BuildOptions): Promise<BuildResult & { outputs: string[] }> {
  if (opts.push && opts.tags.length === 0)
    throw new BuildError('OUTPUT', '--push needs at least one tag (-t host/repo:tag)');
  const img = await runBuild(opts);
  try {
    const outputs = await writeOutputs(
      {
        store: img.store,
        manifestDigest: img.manifestDigest,
        manifestBytes: img.manifestBytes,
        blobs: [img.manifest.config, ...img.manifest.layers],
        exportRootfs: img.exportRootfs,
      },
      opts,
    );
    for (const c of opts.cacheTo ?? []) await exportCache(img.store, opts, c, img.cacheRecords);
    return {
      manifestDigest: img.manifestDigest,
      configDigest: img.configDigest,
      manifest: img.manifest,
      manifestBytes: img.manifestBytes,
      config: img.config,
      steps: img.steps,
      stagesBuilt: img.stagesBuilt,
      baseImages: img.baseImages,
      outputs,
    };
  } finally {
    await img.cleanup();
  }
}
