import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../kube/index.ts';
import { celHealthKey, compileCustomHealth, customHealthKey } from './custom.ts';
import { assessHealth } from './index.ts';

const rollout = (phase: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'r', namespace: 'default' },
  status: { phase, ...extra },
});

const ROLLOUT_CHECK = `package health

status := "Healthy" if input.status.phase == "Healthy"
status := "Progressing" if input.status.phase == "Progressing"
status := "Degraded" if input.status.phase == "Degraded"
message := sprintf("rollout is %s: %s", [input.status.phase, input.status.reason]) if input.status.reason
`;

describe('custom health checks in Rego', () => {
  it('maps ConfigMap keys to group/kind', () => {
    assert.equal(customHealthKey('resource.customizations.health.argoproj.io_Rollout'), 'argoproj.io/Rollout');
    assert.equal(customHealthKey('resource.customizations.health._Pod'), '/Pod');
    assert.equal(customHealthKey('resource.customizations.health.Pod'), '/Pod');
    assert.equal(customHealthKey('resource.customizations.ignoreDifferences.all'), undefined);
  });

  it('gives status and message from data.health; undefined status falls back to the built-ins', () => {
    const h = compileCustomHealth({ 'resource.customizations.health.argoproj.io_Rollout': ROLLOUT_CHECK });
    assert.deepEqual(h.errors, []);
    assert.deepEqual(h.assess(rollout('Healthy')), { status: 'Healthy' });
    assert.deepEqual(h.assess(rollout('Degraded', { reason: 'image pull failed' })), {
      status: 'Degraded',
      message: 'rollout is Degraded: image pull failed',
    });
    // phase the module does not cover: no custom verdict, so conditions (the built-in for CRs) decide
    const paused = rollout('Paused', { conditions: [{ type: 'Ready', status: 'True' }] });
    assert.equal(h.assess(paused), undefined);
    assert.equal(assessHealth(paused, (o) => h.assess(o))?.status, 'Healthy');
    assert.deepEqual(
      assessHealth(paused, (o) => h.assess(o)),
      assessHealth(paused),
    );
    assert.equal(assessHealth(rollout('Degraded'), (o) => h.assess(o))?.status, 'Degraded');
    // other kinds are not touched
    assert.equal(h.assess({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), undefined);
  });

  it('overrides a built-in kind, and accepts Rego v0 syntax', () => {
    const h = compileCustomHealth({
      'resource.customizations.health.apps_Deployment': 'package health\nstatus = "Suspended" { input.spec.paused }\n',
    });
    const d: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { paused: true },
    };
    assert.deepEqual(
      assessHealth(d, (o) => h.assess(o)),
      { status: 'Suspended' },
    );
  });

  it('reports a module that does not compile, with its position, and an invalid status', () => {
    const h = compileCustomHealth({
      'resource.customizations.health.argoproj.io_Rollout': 'package health\nstatus := "Healthy" if {\n',
      'resource.customizations.health._ConfigMap': 'package health\nstatus := "Great"\n',
    });
    assert.equal(h.errors.length, 1);
    assert.equal(h.errors[0]!.code, 'gitops_custom_health_invalid');
    assert.equal(h.errors[0]!.location?.file, 'sekisho-cm:resource.customizations.health.argoproj.io_Rollout');
    assert.ok(h.errors[0]!.location!.row >= 2);
    const r = h.assess(rollout('Healthy'));
    assert.equal(r?.status, 'Unknown');
    assert.match(r!.message!, /custom health check sekisho-cm:resource\.customizations\.health\.argoproj\.io_Rollout/);
    const c = h.assess({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    assert.equal(c?.status, 'Unknown');
    assert.match(c!.message!, /returned status "Great", not one of Healthy, /);
  });
});

describe('custom health checks in CEL', () => {
  const KEY = 'resource.customizations.celHealth.argoproj.io_Rollout';

  it('maps celHealth keys to group/kind, apart from the Rego keys', () => {
    assert.equal(celHealthKey(KEY), 'argoproj.io/Rollout');
    assert.equal(celHealthKey('resource.customizations.celHealth._Pod'), '/Pod');
    assert.equal(celHealthKey('resource.customizations.health.argoproj.io_Rollout'), undefined);
    assert.equal(customHealthKey(KEY), undefined);
  });

  it('takes a map, a status string or null from the expression', () => {
    const h = compileCustomHealth({
      [KEY]: `object.status.phase == "Healthy" ? "Healthy"
        : object.status.phase == "Degraded" ? {"status": "Degraded", "message": "replicas: " + string(object.status.replicas)}
        : null`,
    });
    assert.deepEqual(h.errors, []);
    assert.deepEqual(h.assess(rollout('Healthy')), { status: 'Healthy' });
    assert.deepEqual(h.assess(rollout('Degraded', { replicas: 3 })), { status: 'Degraded', message: 'replicas: 3' });
    assert.equal(h.assess(rollout('Paused')), undefined);
  });

  it('a syntax error is reported with its row and col; its kind is Unknown', () => {
    const h = compileCustomHealth({ [KEY]: 'object.status.phase ==\n  "Healthy" ? "Healthy" :: "Degraded"' });
    assert.equal(h.errors.length, 1);
    const e = h.errors[0]!;
    assert.equal(e.code, 'gitops_custom_health_invalid');
    assert.deepEqual(e.location, { file: `sekisho-cm:${KEY}`, row: 2, col: 13 });
    assert.equal(h.assess(rollout('Healthy'))?.status, 'Unknown');
  });

  it('an evaluation error or a status outside the six values is Unknown with the reason', () => {
    const h = compileCustomHealth({ [KEY]: 'object.status.missing.field == 1 ? "Healthy" : "Degraded"' });
    const r = h.assess(rollout('Healthy'));
    assert.equal(r?.status, 'Unknown');
    assert.match(
      r!.message!,
      /custom health check sekisho-cm:resource\.customizations\.celHealth\.argoproj\.io_Rollout failed: .*missing/,
    );
    const bad = compileCustomHealth({ [KEY]: '{"status": "Fine"}' }).assess(rollout('Healthy'));
    assert.equal(bad?.status, 'Unknown');
    assert.match(bad!.message!, /returned status "Fine", not one of/);
  });

  it('with both a Rego and a CEL check for a kind, CEL decides where Rego gives no status', () => {
    const h = compileCustomHealth({
      'resource.customizations.health.argoproj.io_Rollout':
        'package health\nstatus := "Healthy" if input.status.phase == "Healthy"',
      [KEY]: '{"status": "Suspended", "message": "from CEL"}',
    });
    assert.deepEqual(h.assess(rollout('Healthy')), { status: 'Healthy' });
    assert.deepEqual(h.assess(rollout('Paused')), { status: 'Suspended', message: 'from CEL' });
  });
});
