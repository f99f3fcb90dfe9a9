// Constraints (constraints.gatekeeper.sh/v1beta1, v1alpha1, v1): a kind created by a template, with
// `spec.match`, `spec.parameters` and `spec.enforcementAction` (deny | dryrun | warn | scoped, the last with
// `spec.scopedEnforcementActions[].{action, enforcementPoints[].name}`).

import { AdmissionError } from './errors.ts';
import { CONSTRAINT_GROUP } from './template.ts';
import { isObj, str, type Obj } from './yaml-load.ts';

export type EnforcementAction = 'deny' | 'dryrun' | 'warn';
export const ENFORCEMENT_POINTS = {
  webhook: 'validation.gatekeeper.sh',
  audit: 'audit.gatekeeper.sh',
  gator: 'gator.gatekeeper.sh',
} as const;

export interface Constraint {
  readonly kind: string;
  readonly name: string;
  readonly source: Obj;
  readonly match: unknown;
  readonly parameters: unknown;
  /** spec.enforcementAction as written (default deny). */
  readonly enforcementAction: string;
  readonly scoped: { action: string; points: string[] }[];
}

export function parseConstraint(obj: Obj, file = '<constraint>'): Constraint {
  const loc = { file, row: 0, col: 0 };
  const apiVersion = str(obj.apiVersion) ?? '';
  if (apiVersion.split('/')[0] !== CONSTRAINT_GROUP) {
    throw new AdmissionError(
      'admission_constraint_error',
      `constraint must be in group ${CONSTRAINT_GROUP}, got apiVersion ${apiVersion || '<none>'}`,
      loc,
    );
  }
  const kind = str(obj.kind) ?? '';
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const name = str(meta.name) ?? '';
  if (!kind || !name)
    throw new AdmissionError('admission_constraint_error', 'constraint needs kind and metadata.name', loc);
  const spec = isObj(obj.spec) ? obj.spec : {};
  const action = str(spec.enforcementAction) ?? 'deny';
  const known = ['deny', 'dryrun', 'warn', 'scoped'];
  if (!known.includes(action)) {
    throw new AdmissionError(
      'admission_constraint_error',
      `constraint ${kind}/${name}: unknown enforcementAction "${action}" (want ${known.join(', ')})`,
      loc,
    );
  }
  const scoped: { action: string; points: string[] }[] = [];
  if (Array.isArray(spec.scopedEnforcementActions)) {
    for (const s of spec.scopedEnforcementActions) {
      if (!isObj(s)) continue;
      const points = Array.isArray(s.enforcementPoints)
        ? s.enforcementPoints.map((p) => (isObj(p) ? (str(p.name) ?? '') : ''))
        : [];
      scoped.push({ action: str(s.action) ?? 'deny', points });
    }
  }
  if (action === 'scoped' && scoped.length === 0) {
    throw new AdmissionError(
      'admission_constraint_error',
      `constraint ${kind}/${name}: enforcementAction scoped needs spec.scopedEnforcementActions`,
      loc,
    );
  }
  return { kind, name, source: obj, match: spec.match, parameters: spec.parameters, enforcementAction: action, scoped };
}

/** The actions of a constraint at an enforcement point ([] when it does not act there). */
export function actionsAt(c: Constraint, point: string): EnforcementAction[] {
  if (c.enforcementAction !== 'scoped') return [c.enforcementAction as EnforcementAction];
  const out: EnforcementAction[] = [];
  for (const s of c.scoped) {
    if (s.points.includes(point) || s.points.includes('*')) {
      const a = s.action as EnforcementAction;
      if (!out.includes(a)) out.push(a);
    }
  }
  return out;
}
