// Public surface of the lint area.
export { LintError, type LintErrorCode, type LintLocation } from './errors.ts';
export { lintDockerfile, defaultConfig, atOrAbove, type Finding, type DockerfileLintConfig } from './dockerfile/lint.ts';
export { parseHadolintConfig, parseSeverity } from './dockerfile/config.ts';
export { formatFindings, type DockerfileFormat } from './dockerfile/format.ts';
export { dockerfileRules } from './dockerfile/rules/index.ts';
export type { Severity, Rule } from './dockerfile/rule.ts';
export * from './image/index.ts';
