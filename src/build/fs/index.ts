// The build filesystem: unpack image layers into a root filesystem directory, snapshot it, and turn what a
// step changed into an OCI layer (tar with whiteouts, reproducible, gzipped).
//
//   await applyLayer(rootfs, layerStream)           // for each base-image layer
//   const before = await snapshot(rootfs)
//   ... RUN (src/build/exec) or COPY into rootfs ...
//   const blob = await diffToLayer(rootfs, before, { outDir, sourceDateEpoch })
//
// Errors are BuildError: TAR_UNSAFE for hostile or invalid layers, INTERNAL for I/O failures.
export type {
  ApplyLayerOptions,
  DiffOptions,
  LayerBlob,
  SnapEntry,
  SnapEntryType,
  Snapshot,
  SnapshotOptions,
} from './types.ts';
export { applyLayer, decompressed } from './apply-layer.ts';
export { snapshot, snapshotSync } from './snapshot.ts';
export { computeChanges, diffToLayer, writeLayer, type Change } from './diff-layer.ts';
export { writeTarGz, type TarGz } from './tar-gz.ts';
export { resolveInRoot, entryPath } from './root-path.ts';
export { overlayAvailable, overlaySnapshot } from './overlay.ts';
import { releaseOverlay } from './overlay.ts';
import type { Snapshot } from './types.ts';

/**
 * Gives up a snapshot without diffing (a failed step): an overlay snapshot is unmounted and its changes are
 * thrown away; a content snapshot needs nothing (the rootfs keeps whatever the step wrote).
 */
export function releaseSnapshot(s: Snapshot): void {
  releaseOverlay(s);
}
