// dockle's checkpoints: codes, titles and default levels (CIS Docker Benchmark "CIS-DI" items and dockle's
// own "DKL-DI" (Dockerfile/image) and "DKL-LI" (Linux) items), as in goodwithtech/dockle pkg/types.
export type Level = 'PASS' | 'IGNORE' | 'SKIP' | 'INFO' | 'WARN' | 'FATAL';

/** Severity order: a higher rank is worse. */
export const LEVEL_RANK: Record<Level, number> = { PASS: 1, IGNORE: 2, SKIP: 3, INFO: 4, WARN: 5, FATAL: 6 };

export interface Checkpoint {
  code: string;
  title: string;
  level: Level;
}

export const CHECKPOINTS: readonly Checkpoint[] = [
  { code: 'CIS-DI-0001', title: 'Create a user for the container', level: 'WARN' },
  { code: 'CIS-DI-0005', title: 'Enable Content trust for Docker', level: 'INFO' },
  { code: 'CIS-DI-0006', title: 'Add HEALTHCHECK instruction to the container image', level: 'INFO' },
  { code: 'CIS-DI-0007', title: 'Do not use update instructions alone in the Dockerfile', level: 'FATAL' },
  { code: 'CIS-DI-0008', title: 'Confirm safety of setuid/setgid files', level: 'INFO' },
  { code: 'CIS-DI-0009', title: 'Use COPY instead of ADD in Dockerfile', level: 'FATAL' },
  { code: 'CIS-DI-0010', title: 'Do not store credential in environment variables/files', level: 'FATAL' },
  { code: 'DKL-DI-0001', title: 'Avoid sudo command', level: 'FATAL' },
  { code: 'DKL-DI-0002', title: 'Avoid sensitive directory mounting', level: 'FATAL' },
  { code: 'DKL-DI-0003', title: 'Avoid "apt-get dist-upgrade"', level: 'WARN' },
  { code: 'DKL-DI-0004', title: 'Use "apk add" with --no-cache', level: 'FATAL' },
  { code: 'DKL-DI-0005', title: 'Clear apt-get caches', level: 'FATAL' },
  { code: 'DKL-DI-0006', title: 'Avoid latest tag', level: 'WARN' },
  { code: 'DKL-LI-0001', title: 'Avoid empty password', level: 'FATAL' },
  { code: 'DKL-LI-0002', title: 'Be unique UID/GROUP', level: 'FATAL' },
  { code: 'DKL-LI-0003', title: 'Only put necessary files', level: 'INFO' },
];

export const CHECKPOINT_BY_CODE: ReadonlyMap<string, Checkpoint> = new Map(CHECKPOINTS.map((c) => [c.code, c]));

/** One finding: a checkpoint, the file (or `metadata` for the image config) and what was found. */
export interface Assessment {
  code: string;
  filename: string;
  desc: string;
  /** Set only when the finding has its own level (a SKIP when the file to check is missing). */
  level?: Level;
}
