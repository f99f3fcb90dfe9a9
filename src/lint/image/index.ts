// `sekisho lint image`: dockle's checkpoints.
export { CHECKPOINTS, type Assessment, type Checkpoint, type Level } from './checkpoints.ts';
export {
  readImage,
  lintImage,
  failsAt,
  parseDockleIgnore,
  type ImageLintOptions,
  type ImageLintReport,
  type CheckpointResult,
} from './lint.ts';
export { formatImageReport, type ImageReportFormat } from './format.ts';
export type { ImageFile } from './files.ts';
