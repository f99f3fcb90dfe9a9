// `gator test`: templates and constraints from the given files are installed, every other object is both
// referential data and reviewed; the result lists each violation with its constraint and action.

import { AdmissionEngine } from './engine.ts';
import { expandPaths } from './verify.ts';
import { requestForObject } from './review.ts';
import { isObj, loadDocuments, str, type Obj } from './yaml-load.ts';
import { loadFiles } from './serve.ts';

export interface GatorTestResult {
  object: { apiVersion: string; kind: string; namespace?: string; name: string };
  constraint: { kind: string; name: string };
  enforcementAction: string;
  msg: string;
}

export async function gatorTest(
  paths: string[],
  opts: { enableCel?: boolean } = {},
): Promise<{ results: GatorTestResult[]; errors: string[] }> {
  const engine = new AdmissionEngine({ enableCel: opts.enableCel ?? false });
  await loadFiles(engine, paths);
  const objects: Obj[] = [];
  for (const f of await expandPaths(paths)) {
    for (const o of await loadDocuments(f)) {
      const api = str(o.apiVersion) ?? '';
      if (
        o.kind === 'ConstraintTemplate' ||
        api.startsWith('constraints.gatekeeper.sh/') ||
        api.startsWith('mutations.gatekeeper.sh/') ||
        o.kind === 'Suite'
      )
        continue;
      objects.push(o);
    }
  }
  const results: GatorTestResult[] = [];
  const errors: string[] = [];
  for (const o of objects) {
    const r = engine.review(requestForObject(o), { enforcementPoint: 'gator.gatekeeper.sh' });
    const meta = isObj(o.metadata) ? o.metadata : {};
    const ns = str(meta.namespace);
    const object = {
      apiVersion: str(o.apiVersion) ?? '',
      kind: str(o.kind) ?? '',
      ...(ns ? { namespace: ns } : {}),
      name: str(meta.name) ?? '',
    };
    for (const v of r.violations) {
      for (const a of v.actions)
        results.push({
          object,
          constraint: { kind: v.constraint.kind, name: v.constraint.name },
          enforcementAction: a,
          msg: v.msg,
        });
    }
    for (const e of r.errors) errors.push(`${object.kind} ${object.name}: [${e.constraint.name}] ${e.message}`);
  }
  return { results, errors };
}
