// The constraint framework: templates by kind, constraints by kind and name, referential data, and review of
// one AdmissionRequest against every matching constraint (Rego, or CEL when enabled and present — Gatekeeper
// prefers K8sNativeValidation code over Rego when the CEL engine is on).

import { fromJS, RObject, type Value } from '../rego/index.ts';
import { actionsAt, parseConstraint, type Constraint, type EnforcementAction } from './constraint.ts';
import { evalCel } from './cel.ts';
import { AdmissionError } from './errors.ts';
import { Inventory } from './inventory.ts';
import { matches, type Matchable } from './match.ts';
import { normaliseRequest, reviewedObject, splitApiVersion, type AdmissionRequest } from './review.ts';
import { compileTemplate, evalRego, type CompiledTemplate } from './template.ts';
import { isObj, str, type Obj } from './yaml-load.ts';

export interface EngineOptions {
  /** Use K8sNativeValidation (CEL) code when a template has it. */
  enableCel?: boolean;
}

export interface Violation {
  constraint: Constraint;
  template: string;
  msg: string;
  details: unknown;
  /** The actions at the enforcement point the review was made for. */
  actions: EnforcementAction[];
  engine: 'Rego' | 'K8sNativeValidation';
}

export interface ReviewError {
  constraint: Constraint;
  message: string;
}

export interface ReviewResult {
  violations: Violation[];
  /** Constraints whose evaluation failed (callers fail closed on these). */
  errors: ReviewError[];
}

export interface ReviewOptions {
  /** Enforcement point for `scoped` constraints (default: the webhook's). */
  enforcementPoint?: string;
  /** Namespace object of the request's namespace (else looked up in the inventory). */
  namespaceObject?: Obj;
  source?: 'Original' | 'Generated';
  /** Only these constraints (audit evaluates per constraint). */
  only?: (c: Constraint) => boolean;
}

export class AdmissionEngine {
  readonly templates = new Map<string, CompiledTemplate>();
  /** kind → name → constraint */
  readonly constraints = new Map<string, Map<string, Constraint>>();
  readonly inventory = new Inventory();
  /** Namespace objects known apart from referential data (the webhook's namespace cache). */
  readonly namespaces = new Map<string, Obj>();
  readonly enableCel: boolean;

  constructor(opts: EngineOptions = {}) {
    this.enableCel = opts.enableCel ?? false;
  }

  /** Adds or replaces a template. Returns the compiled template (check `errors`). Malformed objects throw. */
  addTemplate(obj: Obj, file?: string): CompiledTemplate {
    const t = compileTemplate(obj, file);
    // Replacing a template by name removes the kind it used to define.
    for (const [kind, old] of this.templates) if (old.name === t.name && kind !== t.kind) this.templates.delete(kind);
    this.templates.set(t.kind, t);
    return t;
  }

  removeTemplate(name: string): void {
    for (const [kind, t] of this.templates) {
      if (t.name === name) {
        this.templates.delete(kind);
        this.constraints.delete(kind);
      }
    }
  }

  addConstraint(obj: Obj, file?: string): Constraint {
    const c = parseConstraint(obj, file);
    if (!this.templates.has(c.kind)) {
      throw new AdmissionError(
        'admission_constraint_error',
        `no ConstraintTemplate defines constraint kind ${c.kind}`,
        file ? { file, row: 0, col: 0 } : undefined,
      );
    }
    let byName = this.constraints.get(c.kind);
    if (!byName) this.constraints.set(c.kind, (byName = new Map()));
    byName.set(c.name, c);
    return c;
  }

  removeConstraint(kind: string, name: string): void {
    this.constraints.get(kind)?.delete(name);
  }

  allConstraints(): Constraint[] {
    const out: Constraint[] = [];
    for (const m of this.constraints.values()) out.push(...m.values());
    return out;
  }

  /** Reviews one request (or a plain object via requestForObject). */
  review(request: AdmissionRequest, opts: ReviewOptions = {}): ReviewResult {
    const req = normaliseRequest(request);
    const obj = reviewedObject(req);
    const result: ReviewResult = { violations: [], errors: [] };
    if (!obj) return result;
    const meta = isObj(obj.metadata) ? obj.metadata : {};
    const group = req.kind?.group ?? splitApiVersion(str(obj.apiVersion) ?? '').group;
    const kind = req.kind?.kind || (str(obj.kind) ?? '');
    const namespace = req.namespace ?? str(meta.namespace) ?? '';
    const namespaceObject =
      opts.namespaceObject ??
      (namespace ? (this.namespaces.get(namespace) ?? this.inventory.namespace(namespace)) : undefined);
    const target: Matchable = {
      object: obj,
      group,
      kind,
      namespace,
      namespaceObject,
      source: opts.source ?? 'Original',
    };
    const review: Record<string, unknown> = { ...req };
    if (namespaceObject) review.namespaceObject = namespaceObject;
    const point = opts.enforcementPoint ?? 'validation.gatekeeper.sh';
    let reviewValue: Value | undefined;
    for (const [kindName, byName] of this.constraints) {
      const t = this.templates.get(kindName);
      if (!t) continue;
      for (const c of byName.values()) {
        if (opts.only && !opts.only(c)) continue;
        const actions = actionsAt(c, point);
        if (actions.length === 0) continue;
        const m = matches(c.match, target);
        if (m.error) {
          result.errors.push({ constraint: c, message: m.error });
          continue;
        }
        if (!m.matched) continue;
        if (t.errors.length > 0) {
          result.errors.push({
            constraint: c,
            message: `template ${t.name} has errors: ${t.errors.map((e) => e.message).join('; ')}`,
          });
          continue;
        }
        try {
          if (this.enableCel && t.cel) {
            const vs = evalCel(t.cel, {
              object: req.object ?? null,
              oldObject: req.oldObject ?? null,
              request: req,
              params: c.source,
              namespaceObject: namespaceObject ?? null,
            });
            for (const v of vs)
              result.violations.push({
                constraint: c,
                template: t.name,
                msg: v.msg,
                details: {},
                actions,
                engine: 'K8sNativeValidation',
              });
          } else if (t.rego) {
            reviewValue ??= fromJS(review);
            const input = new RObject();
            input.set('review', reviewValue);
            if (c.parameters !== undefined && c.parameters !== null) input.set('parameters', fromJS(c.parameters));
            for (const v of evalRego(t.rego, input, this.inventory.value())) {
              result.violations.push({
                constraint: c,
                template: t.name,
                msg: v.msg,
                details: v.details,
                actions,
                engine: 'Rego',
              });
            }
          } else {
            result.errors.push({ constraint: c, message: `template ${t.name} has no code for the enabled engines` });
          }
        } catch (e) {
          result.errors.push({ constraint: c, message: e instanceof Error ? e.message : String(e) });
        }
      }
    }
    return result;
  }
}
