// Label-schema rules (configured with `label-schema` / `strict-labels`): required labels per stage,
// superfluous labels, empty values and value formats.
import { createRequire } from 'node:module';
import type { Instruction } from '../parse.ts';
import { parsePairs } from '../pairs.ts';
import { fromOf, type Hit, type LabelType, type Rule, type RuleContext } from '../rule.ts';

const require = createRequire(import.meta.url);
const SPDX_IDS = new Set<string>([...(require('spdx-license-ids') as string[]), ...(require('spdx-license-ids/deprecated.json') as string[])]);

/** LABEL instructions, top level and inside ONBUILD (hadolint applies its label rules to both). */
function* labels(ctx: RuleContext): Generator<{ ins: Instruction; pairs: Array<[string, string]> }> {
  for (const i of ctx.file.instructions) {
    const ins = i.inner ? { ...i.inner, line: i.line } : i;
    if (ins.keyword === 'LABEL') yield { ins, pairs: parsePairs(ins.args) };
  }
}

export const DL3049: Rule = {
  code: 'DL3049',
  severity: 'info',
  message: 'Label `<label>` is missing.',
  check(ctx) {
    const out: Hit[] = [];
    for (const label of Object.keys(ctx.labelSchema)) {
      type Stage = { image: string; alias: string | undefined; line: number };
      let current: Stage | undefined;
      const good = new Set<Stage>();
      const bad = new Set<Stage>();
      const silence = (name: string): void => {
        for (const b of [...bad]) if (b.alias !== undefined && b.alias === name) bad.delete(b);
      };
      for (const ins of ctx.file.instructions) {
        const f = fromOf(ins);
        if (f) {
          current = { image: f.imageName, alias: f.alias, line: ins.line };
          if ([...good].some((g) => g.alias !== undefined && g.alias === f.imageName)) good.add(current);
          else bad.add(current);
          continue;
        }
        const src = ins.keyword === 'COPY' ? ins.flags.find((x) => x.name === 'from')?.value : undefined;
        if (src !== undefined && current) silence(src);
        if (ins.keyword === 'LABEL' && current && parsePairs(ins.args).some(([k]) => k === label)) {
          silence(current.alias ?? current.image);
          good.add(current);
          bad.delete(current);
        }
      }
      for (const b of bad) out.push({ line: b.line, message: `Label \`${label}\` is missing.` });
    }
    return out;
  },
};

export const DL3050: Rule = {
  code: 'DL3050',
  severity: 'info',
  message: 'Superfluous label(s) present.',
  check(ctx) {
    if (!ctx.strictLabels) return [];
    return [...labels(ctx)].filter(({ pairs }) => pairs.some(([k]) => !(k in ctx.labelSchema))).map(({ ins }) => ins.line);
  },
};

/** One finding per schema label of `type` whose value fails `valid` (every label for `null`). */
function valueRule(code: string, severity: 'warning', message: (l: string) => string, type: LabelType | null, valid: (v: string) => boolean): Rule {
  return {
    code,
    severity,
    message: message('<label>'),
    check(ctx) {
      const out: Hit[] = [];
      const names = Object.entries(ctx.labelSchema).filter(([, t]) => type === null || t === type).map(([k]) => k);
      for (const name of names) {
        for (const { ins, pairs } of labels(ctx)) {
          if (pairs.some(([k, v]) => k === name && !valid(v))) out.push({ line: ins.line, message: message(name) });
        }
      }
      return out;
    },
  };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

const validRfc3339 = (v: string): boolean => RFC3339.test(v) && !Number.isNaN(Date.parse(v.replace(' ', 'T')));

export const DL3051 = valueRule('DL3051', 'warning', (l) => `label \`${l}\` is empty.`, null, (v) => v !== '');
export const DL3052 = valueRule('DL3052', 'warning', (l) => `Label \`${l}\` is not a valid URL.`, 'url', (v) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(v));
export const DL3053 = valueRule('DL3053', 'warning', (l) => `Label \`${l}\` is not a valid time format - must conform to RFC3339.`, 'rfc3339', validRfc3339);
export const DL3054 = valueRule('DL3054', 'warning', (l) => `Label \`${l}\` is not a valid SPDX identifier.`, 'spdx', (v) => SPDX_IDS.has(v));
export const DL3055 = valueRule('DL3055', 'warning', (l) => `Label \`${l}\` is not a valid git hash.`, 'hash', (v) => /^[0-9a-f]+$/.test(v) && (v.length === 7 || v.length === 40));
export const DL3056 = valueRule('DL3056', 'warning', (l) => `Label \`${l}\` does not conform to semantic versioning.`, 'semver', (v) => SEMVER.test(v));
export const DL3058 = valueRule('DL3058', 'warning', (l) => `Label \`${l}\` is not a valid email format - must conform to RFC5322.`, 'email', (v) => EMAIL.test(v));

export const labelRules: Rule[] = [DL3049, DL3050, DL3051, DL3052, DL3053, DL3054, DL3055, DL3056, DL3058];
