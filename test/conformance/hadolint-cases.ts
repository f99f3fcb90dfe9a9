// Outside CI: replays hadolint's own rule specs (test/Hadolint/Rule/DL*Spec.hs of a hadolint checkout)
// against our rules and reports agreement per rule.
//   node --import tsx test/conformance/hadolint-cases.ts /path/to/hadolint [--verbose] [--only DL3008]
// Understands ruleCatches / ruleCatchesNot / onBuildRuleCatches / onBuildRuleCatchesNot with a string
// literal, a `Text.unlines [...]` list or a `let name = [...]` binding. Cases under a non-default
// `?config` use its allowedRegistries / labelSchema / strictLabels; other options are counted as skipped.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintDockerfile, defaultConfig, dockerfileRules } from '../../src/lint/index.ts';
import type { LabelType } from '../../src/lint/dockerfile/rule.ts';

type Tok = { t: 'str'; v: string } | { t: 'sym'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '-' && src[i + 1] === '-') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      let v = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\') {
          const n = src[i + 1]!;
          if (/\s/.test(n)) {
            i += 2;
            while (i < src.length && src[i] !== '\\') i++;
            i++;
            continue;
          }
          const map: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', "'": "'", '&': '' };
          if (n in map) {
            v += map[n];
            i += 2;
            continue;
          }
          const d = /^\d+/.exec(src.slice(i + 1));
          if (d) {
            v += String.fromCharCode(parseInt(d[0], 10));
            i += 1 + d[0].length;
            continue;
          }
          v += n;
          i += 2;
          continue;
        }
        v += src[i];
        i++;
      }
      i++;
      out.push({ t: 'str', v });
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const w = /^[A-Za-z_?][A-Za-z0-9_.']*/.exec(src.slice(i));
    if (w) {
      out.push({ t: 'sym', v: w[0] });
      i += w[0].length;
      continue;
    }
    out.push({ t: 'sym', v: c });
    i++;
  }
  return out;
}

interface SpecConfig {
  trustedRegistries?: string[];
  labelSchema?: Record<string, LabelType>;
  strictLabels?: boolean;
  unknown?: boolean;
}

interface Case {
  rule: string;
  kind: 'catches' | 'catchesNot' | 'onBuildCatches' | 'onBuildCatchesNot';
  dockerfile: string;
  config: SpecConfig;
}

const LABEL_TYPES: Record<string, LabelType> = {
  RawText: 'text',
  Url: 'url',
  Rfc3339: 'rfc3339',
  Spdx: 'spdx',
  GitHash: 'hash',
  SemVer: 'semver',
  Email: 'email',
};

/** Reads `def { allowedRegistries = [...], labelSchema = Map.fromList [(..)], strictLabels = True }` from token i (at `{`). */
function readConfig(toks: Tok[], i: number): SpecConfig {
  const cfg: SpecConfig = {};
  let depth = 0;
  for (; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.v === '{') depth++;
    if (t.v === '}' && --depth === 0) break;
    if (t.t !== 'sym') continue;
    if (t.v === 'allowedRegistries') {
      const l = readList(toks, i + 2);
      if (l) cfg.trustedRegistries = l[0];
      else cfg.unknown = true;
    } else if (t.v === 'strictLabels') cfg.strictLabels = toks[i + 2]?.v === 'True';
    else if (t.v === 'labelSchema') {
      cfg.labelSchema = {};
      let j = i + 3; // labelSchema = Map.fromList [
      while (j < toks.length && toks[j]!.v !== ']') {
        const name = toks[j];
        if (name?.t === 'str') {
          const ty = toks[j + 2]?.v.replace(/^Rule\./, '') ?? '';
          const mapped = LABEL_TYPES[ty];
          if (mapped) cfg.labelSchema[name.v] = mapped;
          else cfg.unknown = true;
        }
        j++;
      }
    } else if (/^[a-z][A-Za-z]+$/.test(t.v) && toks[i + 1]?.v === '=' && depth === 1) cfg.unknown = true;
  }
  return cfg;
}

const KINDS: Record<string, Case['kind']> = {
  ruleCatches: 'catches',
  ruleCatchesNot: 'catchesNot',
  onBuildRuleCatches: 'onBuildCatches',
  onBuildRuleCatchesNot: 'onBuildCatchesNot',
};

function readList(toks: Tok[], i: number): [string[], number] | undefined {
  if (toks[i]?.v !== '[') return undefined;
  const items: string[] = [];
  i++;
  while (i < toks.length && toks[i]!.v !== ']') {
    const t = toks[i]!;
    if (t.t === 'str') items.push(t.v);
    else if (t.v !== ',') return undefined;
    i++;
  }
  return [items, i + 1];
}

function extract(src: string): Case[] {
  const toks = tokenize(src);
  const bindings = new Map<string, string>();
  const cases: Case[] = [];
  let base: SpecConfig = {};
  let local: SpecConfig | undefined;
  let seenIt = false;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.t === 'sym' && t.v === 'it') {
      seenIt = true;
      local = undefined;
    }
    if (
      t.t === 'sym' &&
      t.v === '?config' &&
      toks[i + 1]?.v === '=' &&
      toks[i + 2]?.v === 'def' &&
      toks[i + 3]?.v === '{'
    ) {
      const c = readConfig(toks, i + 3);
      if (seenIt) local = c;
      else base = c;
    }
    if (t.t === 'sym' && toks[i + 1]?.v === '=' && t.v !== '?config') {
      let j = i + 2;
      if (toks[j]?.v === 'Text.unlines') j++;
      const l = readList(toks, j);
      if (l) bindings.set(t.v, l[0].join('\n') + (toks[i + 2]?.v === 'Text.unlines' ? '\n' : ''));
      else if (toks[j]?.t === 'str') bindings.set(t.v, toks[j]!.v);
    }
    const kind = t.t === 'sym' ? KINDS[t.v] : undefined;
    if (!kind) continue;
    const codeTok = toks[i + 1];
    const codeText = codeTok?.t === 'str' ? codeTok.v : codeTok ? bindings.get(codeTok.v) : undefined;
    if (codeText === undefined) continue;
    const code = { v: codeText };
    let j = i + 2;
    if (toks[j]?.v === '$' || toks[j]?.v === '(') j++;
    let text: string | undefined;
    if (toks[j]?.v === 'Text.unlines') {
      j++;
      const l = readList(toks, j);
      if (l) text = l[0].join('\n') + '\n';
      else if (toks[j]?.t === 'sym') {
        const b = bindings.get(toks[j]!.v);
        if (b !== undefined) text = b.endsWith('\n') ? b : b + '\n';
      }
    } else if (toks[j]?.t === 'str') text = toks[j]!.v;
    else if (toks[j]?.t === 'sym') text = bindings.get(toks[j]!.v);
    if (text === undefined) continue;
    cases.push({ rule: code.v, kind, dockerfile: text, config: local ?? base });
  }
  return cases;
}

/** hadolint's wrapInOnBuild: every RUN instruction becomes ONBUILD RUN. */
function wrapRuns(text: string): string {
  let cont = false;
  return text
    .split('\n')
    .map((l) => {
      const out = !cont && /^\s*RUN\b/i.test(l) ? l.replace(/^(\s*)/, '$1ONBUILD ') : l;
      cont = /\\\s*$/.test(l);
      return out;
    })
    .join('\n');
}

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: hadolint-cases.ts <hadolint checkout> [--verbose] [--only DLxxxx]\n');
  process.exit(2);
}
const verbose = process.argv.includes('--verbose');
const onlyIdx = process.argv.indexOf('--only');
const only = onlyIdx > 0 ? process.argv[onlyIdx + 1] : undefined;
const specDir = join(root, 'test/Hadolint/Rule');
const implemented = new Set(dockerfileRules.map((r) => r.code));
const cfg = defaultConfig();
// hadolint's specs see every rule, including the ones at severity "ignore" by default
cfg.override = { warning: [], info: [], style: [], error: [] };
const stats = new Map<string, { pass: number; fail: number; skipped: number }>();
for (const f of readdirSync(specDir)
  .filter((n) => /^DL[34]\d{3}Spec\.hs$/.test(n))
  .sort()) {
  const rule = f.slice(0, 6);
  if (only && rule !== only) continue;
  if (!implemented.has(rule)) continue;
  const s = { pass: 0, fail: 0, skipped: 0 };
  stats.set(rule, s);
  for (const c of extract(readFileSync(join(specDir, f), 'utf8'))) {
    if (c.rule !== rule) continue;
    if (c.config.unknown) {
      s.skipped++;
      continue;
    }
    const onbuild = c.kind.startsWith('onBuild');
    const text = (onbuild ? wrapRuns(c.dockerfile) : c.dockerfile) + '\n';
    const rulesCfg = {
      ...cfg,
      override: rule === 'DL3057' ? { warning: ['DL3057'] } : {},
      trustedRegistries: c.config.trustedRegistries ?? [],
      labelSchema: c.config.labelSchema ?? {},
      strictLabels: c.config.strictLabels ?? false,
    };
    const n = lintDockerfile(text, 'Dockerfile', rulesCfg).filter((x) => x.code === rule).length;
    const ok = c.kind === 'catches' ? n >= 1 : c.kind === 'onBuildCatches' ? n === 1 : n === 0;
    if (ok) s.pass++;
    else {
      s.fail++;
      if (verbose) process.stdout.write(`FAIL ${rule} ${c.kind} (got ${n}):\n${text}---\n`);
    }
  }
}
let pass = 0;
let fail = 0;
let skipped = 0;
let fullRules = 0;
for (const [rule, s] of stats) {
  pass += s.pass;
  fail += s.fail;
  skipped += s.skipped;
  if (s.fail === 0) fullRules++;
  process.stdout.write(`${rule} pass=${s.pass} fail=${s.fail}${s.skipped ? ` skipped=${s.skipped}` : ''}\n`);
}
process.stdout.write(
  `\nrules: ${stats.size} with specs, ${fullRules} agree on every case; cases: ${pass}/${pass + fail} agree (${skipped} skipped: config this runner cannot read)\n`,
);
