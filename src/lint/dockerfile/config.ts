// `.hadolint.yaml` reading: ignored, trustedRegistries, failure-threshold, override.
import { parse as parseYaml } from 'yaml';
import { LintError } from '../errors.ts';
import type { LabelType, Severity } from './rule.ts';

const LABEL_TYPES = new Set(['text', 'url', 'rfc3339', 'spdx', 'hash', 'semver', 'email']);
import { defaultConfig, SEVERITY_ORDER, type DockerfileLintConfig } from './lint.ts';

const LEVELS = new Set<string>(SEVERITY_ORDER);

export function parseSeverity(value: string, where: string): Severity | 'none' {
  const v = value.toLowerCase();
  if (!LEVELS.has(v)) throw new LintError('lint_config_error', `${where}: unknown severity "${value}" (use error, warning, info, style, ignore or none)`);
  return v as Severity | 'none';
}

export function parseHadolintConfig(text: string, file: string): DockerfileLintConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new LintError('lint_config_error', `${file}: invalid YAML: ${(err as Error).message}`, { cause: err, location: { file, row: 1, col: 1 } });
  }
  const cfg = defaultConfig();
  if (doc === null || doc === undefined) return cfg;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new LintError('lint_config_error', `${file}: expected a mapping at the top level`);
  const o = doc as Record<string, unknown>;
  const list = (key: string): string[] => {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new LintError('lint_config_error', `${file}: "${key}" must be a list of strings`);
    return v as string[];
  };
  cfg.ignored = list('ignored');
  cfg.trustedRegistries = [...list('trustedRegistries'), ...list('trusted-registries')];
  const ft = o['failure-threshold'] ?? o.failureThreshold;
  if (ft !== undefined) cfg.failureThreshold = parseSeverity(String(ft), `${file}: failure-threshold`);
  const schema = o['label-schema'] ?? o.labelSchema;
  if (schema !== undefined && schema !== null) {
    if (typeof schema !== 'object' || Array.isArray(schema)) throw new LintError('lint_config_error', `${file}: "label-schema" must be a mapping`);
    for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
      const t = String(v);
      if (!LABEL_TYPES.has(t)) throw new LintError('lint_config_error', `${file}: label-schema.${k}: unknown type "${t}" (text, url, rfc3339, spdx, hash, semver, email)`);
      cfg.labelSchema[k] = t as LabelType;
    }
  }
  const strict = o['strict-labels'] ?? o.strictLabels;
  if (strict !== undefined) cfg.strictLabels = strict === true;
  const ov = o.override;
  if (ov !== undefined && ov !== null) {
    if (typeof ov !== 'object' || Array.isArray(ov)) throw new LintError('lint_config_error', `${file}: "override" must be a mapping`);
    for (const [k, v] of Object.entries(ov as Record<string, unknown>)) {
      const sev = parseSeverity(k, `${file}: override`);
      if (sev === 'none') throw new LintError('lint_config_error', `${file}: override: "none" is not a severity`);
      if (!Array.isArray(v)) throw new LintError('lint_config_error', `${file}: override.${k} must be a list`);
      cfg.override[sev] = v.map(String);
    }
  }
  return cfg;
}
