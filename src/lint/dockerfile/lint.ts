// Runs the Dockerfile rules over one file: inline pragmas, configuration (ignored rules, severity
// overrides, trusted registries) and the failure threshold.
import { parseDockerfile } from './parse.ts';
import type { LabelType, Severity } from './rule.ts';
import { dockerfileRules } from './rules/index.ts';

export interface Finding {
  code: string;
  column: number;
  file: string;
  level: Severity;
  line: number;
  message: string;
}

export interface DockerfileLintConfig {
  ignored: string[];
  trustedRegistries: string[];
  /** Per-rule severity overrides (hadolint's `override:` section). */
  override: Partial<Record<Exclude<Severity, never>, string[]>>;
  failureThreshold: Severity | 'none';
  labelSchema: Record<string, LabelType>;
  strictLabels: boolean;
}

export const defaultConfig = (): DockerfileLintConfig => ({
  ignored: [],
  trustedRegistries: [],
  override: {},
  failureThreshold: 'info',
  labelSchema: {},
  strictLabels: false,
});

export const SEVERITY_ORDER: Array<Severity | 'none'> = ['error', 'warning', 'info', 'style', 'ignore', 'none'];

/** Whether a finding's level is at or above the threshold (error > warning > info > style). */
export function atOrAbove(level: Severity, threshold: Severity | 'none'): boolean {
  if (threshold === 'none' || level === 'ignore') return false;
  return SEVERITY_ORDER.indexOf(level) <= SEVERITY_ORDER.indexOf(threshold);
}

const PRAGMA = /^#\s*(?:hadolint|sekisho)\s+(global\s+|stage\s+)?ignore\s*=\s*([A-Z0-9]+(?:\s*,\s*[A-Z0-9]+)*)/;

export function lintDockerfile(text: string, file: string, config: DockerfileLintConfig = defaultConfig()): Finding[] {
  const parsed = parseDockerfile(text);
  const lineIgnores = new Map<number, Set<string>>();
  const global = new Set<string>();
  const stageIgnores = new Map<number, Set<string>>();
  for (const c of parsed.comments) {
    const m = PRAGMA.exec(c.text);
    if (!m) continue;
    const codes = m[2]!.split(',').map((s) => s.trim());
    const kind = m[1]?.trim();
    if (kind === 'global') for (const x of codes) global.add(x);
    else if (kind === 'stage') stageIgnores.set(c.line + 1, new Set(codes));
    else lineIgnores.set(c.line + 1, new Set([...(lineIgnores.get(c.line + 1) ?? []), ...codes]));
  }
  // stage ignores cover the lines from their FROM to the next FROM
  const stageRanges: Array<{ start: number; end: number; codes: Set<string> }> = [];
  const froms = parsed.instructions.filter((i) => i.keyword === 'FROM');
  froms.forEach((f, idx) => {
    const codes = stageIgnores.get(f.line);
    if (codes) stageRanges.push({ start: f.line, end: froms[idx + 1]?.line ?? Number.MAX_SAFE_INTEGER, codes });
  });
  const severityOf = new Map<string, Severity>();
  for (const [sev, codes] of Object.entries(config.override) as Array<[Severity, string[] | undefined]>) {
    for (const c of codes ?? []) severityOf.set(c, sev);
  }
  const ignored = new Set(config.ignored);
  const out: Finding[] = [];
  for (const rule of dockerfileRules) {
    if (ignored.has(rule.code) || global.has(rule.code)) continue;
    const level = severityOf.get(rule.code) ?? rule.severity;
    if (level === 'ignore') continue;
    const hits = rule.check({
      file: parsed,
      trustedRegistries: config.trustedRegistries,
      labelSchema: config.labelSchema,
      strictLabels: config.strictLabels,
    });
    for (const hit of hits) {
      const line = typeof hit === 'number' ? hit : hit.line;
      const message = typeof hit === 'number' ? rule.message : hit.message;
      if (lineIgnores.get(line)?.has(rule.code)) continue;
      if (stageRanges.some((r) => line >= r.start && line < r.end && r.codes.has(rule.code))) continue;
      out.push({ code: rule.code, column: 1, file, level, line, message });
    }
  }
  out.sort((a, b) => a.line - b.line || a.code.localeCompare(b.code));
  return out;
}
