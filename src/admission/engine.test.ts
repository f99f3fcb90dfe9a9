import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionEngine } from './engine.ts';
import { requestForObject } from './review.ts';

const template = (kind: string, rego: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'templates.gatekeeper.sh/v1',
  kind: 'ConstraintTemplate',
  metadata: { name: kind.toLowerCase() },
  spec: { crd: { spec: { names: { kind } } }, targets: [{ target: 'admission.k8s.gatekeeper.sh', rego, ...extra }] },
});
const constraint = (kind: string, name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'constraints.gatekeeper.sh/v1beta1',
  kind,
  metadata: { name },
  spec,
});
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'evil/x' }] },
};

const echo = `package echo
violation[{"msg": msg, "details": {"op": input.review.operation}}] {
  msg := sprintf("%v %v %v", [input.review.kind.kind, input.review.name, object.get(input, ["parameters", "p"], "none")])
}`;

test('input.review and input.parameters as Gatekeeper builds them; details kept', () => {
  const e = new AdmissionEngine();
  e.addTemplate(template('Echo', echo));
  e.addConstraint(constraint('Echo', 'a', { parameters: { p: 1 } }));
  e.addConstraint(constraint('Echo', 'b'));
  const r = e.review(requestForObject(pod));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.violations.map((v) => [v.constraint.name, v.msg]).sort(), [
    ['a', 'Pod p 1'],
    ['b', 'Pod p none'],
  ]);
  assert.equal(r.violations[0]?.actions[0], 'deny');
});

test('enforcement actions per point, scoped', () => {
  const e = new AdmissionEngine();
  e.addTemplate(template('Echo', echo));
  e.addConstraint(constraint('Echo', 'warn', { enforcementAction: 'warn' }));
  e.addConstraint(constraint('Echo', 'dry', { enforcementAction: 'dryrun' }));
  e.addConstraint(
    constraint('Echo', 'scoped', {
      enforcementAction: 'scoped',
      scopedEnforcementActions: [{ action: 'deny', enforcementPoints: [{ name: 'audit.gatekeeper.sh' }] }],
    }),
  );
  const hook = e.review(requestForObject(pod));
  assert.deepEqual(hook.violations.map((v) => `${v.constraint.name}:${v.actions.join(',')}`).sort(), [
    'dry:dryrun',
    'warn:warn',
  ]);
  const audit = e.review(requestForObject(pod), { enforcementPoint: 'audit.gatekeeper.sh' });
  assert.deepEqual(audit.violations.map((v) => v.constraint.name).sort(), ['dry', 'scoped', 'warn']);
  assert.throws(
    () => e.addConstraint(constraint('Echo', 'x', { enforcementAction: 'block' })),
    /unknown enforcementAction "block"/,
  );
});

test('template compile errors are kept per template; its constraints report errors, others still work', () => {
  const e = new AdmissionEngine();
  const bad = e.addTemplate(template('Bad', 'package bad\nviolation[{"msg": m}] { m := 1 +  }'));
  assert.equal(bad.errors.length > 0, true);
  assert.match(bad.errors[0]?.message ?? '', /unexpected/);
  e.addTemplate(template('Echo', echo));
  e.addConstraint(constraint('Bad', 'b'));
  e.addConstraint(constraint('Echo', 'a'));
  const r = e.review(requestForObject(pod));
  assert.equal(r.violations.length, 1);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]?.message ?? '', /template bad has errors/);
});

test('Gatekeeper module rules: violation required, libs under lib, name equals lowercased kind', () => {
  const e = new AdmissionEngine();
  assert.match(
    e.addTemplate(template('NoViolation', 'package x\ndeny[m] { m := 1 }')).errors[0]?.message ?? '',
    /missing required rule "violation"/,
  );
  const withLib = e.addTemplate(
    template('WrongLib', 'package x\nviolation[{"msg": "m"}] { true }', { libs: ['package notlib\nx := 1'] }),
  );
  assert.match(withLib.errors[0]?.message ?? '', /must begin with "lib"/);
  assert.throws(
    () => e.addTemplate({ ...template('Echo', echo), metadata: { name: 'other' } }),
    /not equal to the lowercase/,
  );
  assert.throws(
    () => e.addConstraint(constraint('Unknown', 'x')),
    /no ConstraintTemplate defines constraint kind Unknown/,
  );
});

test('an evaluation error is reported (callers fail closed), not swallowed', () => {
  const e = new AdmissionEngine();
  e.addTemplate(template('Conflict', 'package c\nx := 1 { true }\nx := 2 { true }\nviolation[{"msg": "m"}] { x }'));
  e.addConstraint(constraint('Conflict', 'c'));
  const r = e.review(requestForObject(pod));
  assert.equal(r.violations.length, 0);
  assert.match(r.errors[0]?.message ?? '', /complete rules must not produce multiple outputs/);
});

test('CEL: K8sNativeValidation preferred when enabled, Rego otherwise; params and anyObject variables', () => {
  const code = [
    {
      engine: 'K8sNativeValidation',
      source: {
        validations: [
          {
            expression: '!variables.anyObject.spec.containers.exists(c, c.image.startsWith(variables.params.prefix))',
            messageExpression: '"cel " + variables.anyObject.metadata.name',
          },
          { expression: 'false', message: 'static message' },
          { expression: '1 == 2' },
        ],
      },
    },
    { engine: 'Rego', source: { rego: 'package r\nviolation[{"msg": "rego"}] { true }' } },
  ];
  const t = {
    ...template('Both', ''),
    spec: { crd: { spec: { names: { kind: 'Both' } } }, targets: [{ target: 'admission.k8s.gatekeeper.sh', code }] },
  };
  const off = new AdmissionEngine();
  off.addTemplate(t);
  off.addConstraint(constraint('Both', 'b', { parameters: { prefix: 'evil/' } }));
  assert.deepEqual(
    off.review(requestForObject(pod)).violations.map((v) => v.msg),
    ['rego'],
  );
  const on = new AdmissionEngine({ enableCel: true });
  on.addTemplate(t);
  on.addConstraint(constraint('Both', 'b', { parameters: { prefix: 'evil/' } }));
  assert.deepEqual(
    on.review(requestForObject(pod)).violations.map((v) => v.msg),
    ['cel p', 'static message', 'failed expression: 1 == 2'],
  );
});
