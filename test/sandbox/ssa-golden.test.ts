// Golden tests of server-side apply (structured-merge-diff behaviour): each case in ssa-golden/<case>.yaml
// is a sequence of applies (and ordinary updates) by named managers; after every step the object and
// each manager's field set are compared with ssa-golden/<case>-expected.yaml.
// UPDATE_GOLDEN=1 rewrites the expected files (review the diff: the cases cite the behaviour they pin).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { KubeError, type KubeObject } from '../../src/kube/index.ts';
import { applyMergePatch, builtinListTypes, serverSideApply, updateManagedFields } from '../../src/sandbox/index.ts';

const DIR = join(import.meta.dirname, 'ssa-golden');
const API: Record<string, string> = { Deployment: 'apps/v1', ConfigMap: 'v1' };

interface Step {
  manager: string;
  force?: boolean;
  config?: Record<string, unknown>;
  update?: Record<string, unknown>;
}

function view(o: KubeObject | undefined): Record<string, unknown> {
  if (!o) return {};
  const { metadata, apiVersion: _a, kind: _k, ...rest } = o;
  const meta: Record<string, unknown> = {};
  for (const k of ['labels', 'annotations', 'finalizers'] as const)
    if (metadata[k] !== undefined) meta[k] = metadata[k];
  const managers: Record<string, unknown> = {};
  for (const m of metadata.managedFields ?? []) managers[`${m.manager} (${m.operation})`] = m.fieldsV1;
  return { ...(Object.keys(meta).length ? { metadata: meta } : {}), ...rest, managers };
}

function run(kind: string, steps: Step[]): unknown[] {
  let live: KubeObject | undefined;
  const out: unknown[] = [];
  const apiVersion = API[kind]!;
  steps.forEach((s, i) => {
    const now = `2026-01-01T00:00:0${i}Z`;
    try {
      if (s.update) {
        const next = applyMergePatch(live, s.update) as KubeObject;
        updateManagedFields(live, next, {
          manager: s.manager,
          apiVersion,
          now,
          lists: builtinListTypes,
          withStatus: true,
        });
        live = next;
      } else {
        const cfgMeta = (s.config?.metadata ?? {}) as Record<string, unknown>;
        const config = {
          ...(s.config ?? {}),
          apiVersion,
          kind,
          metadata: { name: 'golden', namespace: 'default', ...cfgMeta },
        } as KubeObject;
        live = serverSideApply(live, config, {
          manager: s.manager,
          force: !!s.force,
          apiVersion,
          now,
          lists: builtinListTypes,
        });
      }
      out.push({ step: i + 1, manager: s.manager, result: 'applied', object: view(live) });
    } catch (err) {
      if (!(err instanceof KubeError) || err.status !== 409) throw err;
      out.push({
        step: i + 1,
        manager: s.manager,
        result: 'conflict',
        conflicts: (err.causes ?? []).map((c) => c.message),
      });
    }
  });
  return out;
}

for (const file of readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('-expected.yaml'))
  .sort()) {
  test(`server-side apply golden: ${file.replace(/\.yaml$/, '')}`, () => {
    const c = parse(readFileSync(join(DIR, file), 'utf8')) as { kind: string; steps: Step[] };
    const got = run(c.kind, c.steps);
    const expectedFile = join(DIR, file.replace(/\.yaml$/, '-expected.yaml'));
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedFile)) {
      if (process.env.UPDATE_GOLDEN !== '1')
        assert.fail(`missing golden ${expectedFile}; run with UPDATE_GOLDEN=1 and review it`);
      writeFileSync(expectedFile, stringify(got));
    }
    assert.deepEqual(got, parse(readFileSync(expectedFile, 'utf8')));
  });
}
