// Golden tests for diff normalisation: golden/diff/<case>-config.yaml (desired), <case>-live.yaml
// (live, optional), <case>-options.yaml (ignoreDifferences, optional) and <case>-expected.yaml
// ({modified, diff}); UPDATE_GOLDEN=1 rewrites the expected files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { diffObjects, type ResourceIgnoreDifferences } from '../../src/gitops/index.ts';
import type { KubeObject } from '../../src/kube/index.ts';

const DIR = join(import.meta.dirname, 'golden', 'diff');
const read = (f: string) =>
  existsSync(join(DIR, f)) ? (parse(readFileSync(join(DIR, f), 'utf8')) as unknown) : undefined;
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('-config.yaml'))
  .map((f) => f.slice(0, -'-config.yaml'.length))
  .sort();

/** whether each case must show a difference: a wrong normalisation fails even with UPDATE_GOLDEN=1 */
const MODIFIED: Record<string, boolean> = {
  defaults: false,
  drift: true,
  ignore: false,
  secret: true,
  managers: false,
  added: true,
  jq: false,
  jqdrift: true,
  // stringData in git, folded into data by the API server: the same Secret
  stringdata: false,
};

for (const c of cases) {
  test(`diff ${c}`, () => {
    const config = read(`${c}-config.yaml`) as KubeObject;
    const live = read(`${c}-live.yaml`) as KubeObject | undefined;
    const opts = (read(`${c}-options.yaml`) ?? {}) as { ignoreDifferences?: ResourceIgnoreDifferences[] };
    const r = diffObjects(config, live, opts);
    assert.equal(r.modified, MODIFIED[c], `case ${c} modified`);
    const got = { modified: r.modified, diff: r.diff };
    const exp = join(DIR, `${c}-expected.yaml`);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(exp)) writeFileSync(exp, stringify(got));
    assert.deepEqual(got, parse(readFileSync(exp, 'utf8')));
    // secret values never appear in a diff
    if (config.kind === 'Secret')
      for (const v of Object.values({ ...(config.data as object), ...((live?.data as object) ?? {}) }))
        assert.ok(!r.diff.includes(String(v)), 'secret value masked');
  });
}
