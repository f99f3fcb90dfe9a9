// K8sNativeValidation: Gatekeeper's CEL engine. The source has ValidatingAdmissionPolicy's shape
// (`variables`, `validations`, `matchConditions`); Gatekeeper adds two variables in front of the template's
// own: `params` (the constraint's spec.parameters) and `anyObject` (object, or oldObject on DELETE).
// Bindings are VAP's: `object`, `oldObject`, `request`, `params` (the constraint), `namespaceObject`.
// Evaluated with @bufbuild/cel plus the strings extension and a few Kubernetes library functions.

import { isCelError, parse, plan } from '@bufbuild/cel';
import { fromCel, kubeCelEnv, toCel } from '../cel/index.ts';
import { isObj, str } from './yaml-load.ts';
import { AdmissionError } from './errors.ts';

type Evaluator = (ctx: Record<string, unknown>) => unknown;

interface CompiledVar {
  name: string;
  expression: string;
  run: Evaluator;
}

interface CompiledValidation {
  expression: string;
  message: string | undefined;
  messageRun: Evaluator | undefined;
  run: Evaluator;
}

export interface CelProgram {
  readonly engine: 'K8sNativeValidation';
  readonly variables: CompiledVar[];
  readonly validations: CompiledValidation[];
  readonly matchConditions: { name: string; run: Evaluator }[];
}

const getEnv = kubeCelEnv;

const GATEKEEPER_VARS: { name: string; expression: string }[] = [
  {
    name: 'params',
    expression: '!has(params.spec) ? null : !has(params.spec.parameters) ? null : params.spec.parameters',
  },
  {
    name: 'anyObject',
    expression: 'has(request.operation) && request.operation == "DELETE" && object == null ? oldObject : object',
  },
];

function compileExpr(expression: string, what: string): Evaluator {
  let parsed;
  try {
    parsed = parse(expression);
  } catch (e) {
    throw new AdmissionError('admission_template_error', `${what}: compilation failed: ${(e as Error).message}`);
  }
  const f = plan(getEnv(), parsed) as unknown as Evaluator;
  return f;
}

export function compileCel(source: Record<string, unknown>): CelProgram {
  const variables: CompiledVar[] = [];
  const userVars = Array.isArray(source.variables) ? source.variables : [];
  for (const v of [...GATEKEEPER_VARS, ...userVars]) {
    if (!isObj(v)) continue;
    const name = str(v.name) ?? '';
    const expression = str(v.expression) ?? '';
    variables.push({ name, expression, run: compileExpr(expression, `variables[${name}]`) });
  }
  const validations: CompiledValidation[] = [];
  const vals = Array.isArray(source.validations) ? source.validations : [];
  vals.forEach((v, i) => {
    if (!isObj(v)) return;
    const expression = str(v.expression) ?? '';
    const me = str(v.messageExpression);
    validations.push({
      expression,
      message: str(v.message),
      messageRun: me ? compileExpr(me, `validations[${i}].messageExpression`) : undefined,
      run: compileExpr(expression, `validations[${i}].expression`),
    });
  });
  if (validations.length === 0) throw new AdmissionError('admission_template_error', 'no validations');
  const matchConditions: { name: string; run: Evaluator }[] = [];
  for (const m of Array.isArray(source.matchConditions) ? source.matchConditions : []) {
    if (!isObj(m)) continue;
    const name = str(m.name) ?? '';
    matchConditions.push({ name, run: compileExpr(str(m.expression) ?? '', `matchConditions[${name}]`) });
  }
  return { engine: 'K8sNativeValidation', variables, validations, matchConditions };
}

export { toCel };

export interface CelInputs {
  object: unknown;
  oldObject: unknown;
  request: unknown;
  /** The constraint object (VAP's params). */
  params: unknown;
  namespaceObject: unknown;
}

export interface CelViolation {
  msg: string;
}

/** Evaluates the validations; each failing one gives a violation. Evaluation errors throw AdmissionError. */
export function evalCel(p: CelProgram, inputs: CelInputs): CelViolation[] {
  const bindings: Record<string, unknown> = {
    object: toCel(inputs.object),
    oldObject: toCel(inputs.oldObject),
    request: toCel(inputs.request),
    params: toCel(inputs.params),
    namespaceObject: toCel(inputs.namespaceObject),
  };
  const vars = new Map<string, unknown>();
  bindings.variables = vars;
  for (const v of p.variables) {
    // Variables are computed in order; a failing one only matters when an expression reads it.
    vars.set(v.name, v.run(bindings));
  }
  for (const m of p.matchConditions) {
    const r = m.run(bindings);
    if (isCelError(r))
      throw new AdmissionError('admission_eval_error', `matchCondition ${m.name}: ${(r as Error).message}`);
    if (r === false) return [];
  }
  const out: CelViolation[] = [];
  for (const val of p.validations) {
    const r = val.run(bindings);
    if (isCelError(r)) {
      throw new AdmissionError(
        'admission_eval_error',
        `expression '${val.expression.trim()}' resulted in error: ${(r as Error).message}`,
      );
    }
    if (r === true) continue;
    if (r !== false)
      throw new AdmissionError(
        'admission_eval_error',
        `expression '${val.expression.trim()}' did not evaluate to a bool`,
      );
    let msg: string | undefined;
    if (val.messageRun) {
      const m = val.messageRun(bindings);
      if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) msg = m;
    }
    msg ??= val.message ?? `failed expression: ${val.expression.trim()}`;
    out.push({ msg });
  }
  return out;
}

export { fromCel };
