// Generated workloads for bench/rego (our own policies and documents, built deterministically).
import { fromJS, RObject, type Value } from '../../src/rego/index.ts';

/** A deterministic pseudo-random sequence (mulberry32), so every run benchmarks the same documents. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------
// (b) RBAC over a 1,000-entry data document

export const RBAC_POLICY = `package rbac

default allow := false

# Users may do what any of their roles grants, on resources in the bindings' namespaces.
allow if {
	some binding in data.bindings
	binding.user == input.user
	input.namespace in binding.namespaces
	some grant in data.roles[binding.role]
	grant.verb in {input.verb, "*"}
	grant.resource in {input.resource, "*"}
}

# Administrators are allowed everything.
allow if {
	some binding in data.bindings
	binding.user == input.user
	binding.role == "cluster-admin"
}

reasons contains msg if {
	not allow
	msg := sprintf("%s may not %s %s in %s", [input.user, input.verb, input.resource, input.namespace])
}
`;

export function rbacData(entries: number): Value {
  const r = rng(42);
  const roles: Record<string, { verb: string; resource: string }[]> = {
    viewer: [
      { verb: 'get', resource: '*' },
      { verb: 'list', resource: '*' },
    ],
    editor: [
      { verb: 'get', resource: '*' },
      { verb: 'list', resource: '*' },
      { verb: 'update', resource: 'deployments' },
      { verb: 'update', resource: 'configmaps' },
    ],
    deployer: [{ verb: '*', resource: 'deployments' }],
    'cluster-admin': [{ verb: '*', resource: '*' }],
  };
  const roleNames = ['viewer', 'editor', 'deployer'];
  const namespaces = Array.from({ length: 40 }, (_, i) => `ns-${i}`);
  const bindings = Array.from({ length: entries }, (_, i) => ({
    user: `user-${i}`,
    role: i === 7 ? 'cluster-admin' : (roleNames[Math.floor(r() * roleNames.length)] as string),
    namespaces: Array.from({ length: 3 }, () => namespaces[Math.floor(r() * namespaces.length)] as string),
  }));
  return fromJS({ roles, bindings });
}

/** A request from a user near the end of the list, so the scan visits most bindings. */
export function rbacInput(data: Value): Value {
  const user = 'user-900';
  let namespace = 'ns-0';
  const bindings = data instanceof RObject ? data.getStr('bindings') : undefined;
  for (const b of Array.isArray(bindings) ? bindings : []) {
    if (b instanceof RObject && b.getStr('user') === user) {
      const ns = b.getStr('namespaces');
      if (Array.isArray(ns) && typeof ns[0] === 'string') namespace = ns[0];
    }
  }
  return fromJS({ user, verb: 'update', resource: 'deployments', namespace });
}

// ---------------------------------------------------------------------------------------------------------
// (c) Conftest-style deny rules over 500 Deployments

export const CONFTEST_POLICY = `package main

deny contains msg if {
	some d in input
	d.kind == "Deployment"
	not d.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("%s: containers must not run as root", [d.metadata.name])
}

deny contains msg if {
	some d in input
	some c in d.spec.template.spec.containers
	not c.resources.limits.memory
	msg := sprintf("%s: container %s has no memory limit", [d.metadata.name, c.name])
}

deny contains msg if {
	some d in input
	some c in d.spec.template.spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("%s: container %s uses the latest tag", [d.metadata.name, c.name])
}

deny contains msg if {
	some d in input
	not d.metadata.labels["app.kubernetes.io/name"]
	msg := sprintf("%s: missing label app.kubernetes.io/name", [d.metadata.name])
}

deny contains msg if {
	some d in input
	d.spec.replicas < 2
	msg := sprintf("%s: needs at least 2 replicas", [d.metadata.name])
}

warn contains msg if {
	some d in input
	some c in d.spec.template.spec.containers
	not c.readinessProbe
	msg := sprintf("%s: container %s has no readiness probe", [d.metadata.name, c.name])
}
`;

export function deployments(n: number): Value {
  const r = rng(7);
  const items = Array.from({ length: n }, (_, i) => {
    const name = `svc-${i}`;
    const containers = Array.from({ length: 1 + Math.floor(r() * 2) }, (_, j) => {
      const c: Record<string, unknown> = {
        name: j === 0 ? 'app' : 'sidecar',
        image: r() < 0.1 ? `registry.example.com/${name}:latest` : `registry.example.com/${name}:1.${j}.${i % 10}`,
        ports: [{ containerPort: 8080 + j }],
      };
      if (r() < 0.9) c.resources = { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m' } };
      if (r() < 0.7) c.readinessProbe = { httpGet: { path: '/healthz', port: 8080 + j } };
      return c;
    });
    const labels: Record<string, string> = { team: `team-${i % 12}` };
    if (r() < 0.95) labels['app.kubernetes.io/name'] = name;
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: `ns-${i % 20}`, labels },
      spec: {
        replicas: 1 + Math.floor(r() * 4),
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { securityContext: r() < 0.8 ? { runAsNonRoot: true } : {}, containers },
        },
      },
    };
  });
  return fromJS(items);
}

// ---------------------------------------------------------------------------------------------------------
// (d) Helper functions called again and again with the same arguments (function-result memoisation)

export const FUNCTIONS_POLICY = `package images

# Gatekeeper-style helpers: each container's image is checked against 40 allowed registry prefixes, and the
# same few images recur across the 500 Pods, so the same calls repeat within one evaluation.
registry(image) := r if {
	parts := split(image, "/")
	count(parts) > 1
	r := parts[0]
} else := "docker.io"

allowed(image) if {
	some prefix in data.allowed_registries
	startswith(registry(image), prefix)
}

deny contains msg if {
	some pod in input.pods
	some c in pod.spec.containers
	not allowed(c.image)
	msg := sprintf("%s/%s: image %s comes from a registry that is not allowed", [pod.metadata.name, c.name, c.image])
}
`;

export function functionsData(): Value {
  const regs: string[] = [];
  for (let i = 0; i < 40; i++) regs.push(`registry-${i}.example.com`);
  return fromJS({ allowed_registries: regs });
}

export function functionsInput(pods: number): Value {
  const next = rng(4);
  const images = [
    'registry-3.example.com/app/web:1.2',
    'registry-39.example.com/app/api:2.0',
    'nginx:1.25',
    'evil.example.net/miner:latest',
    'registry-17.example.com/team/worker:7',
    'ghcr.io/org/tool:0.3',
  ];
  const out: unknown[] = [];
  for (let i = 0; i < pods; i++) {
    const containers = [0, 1].map((j) => ({ name: `c${j}`, image: images[Math.floor(next() * images.length)] }));
    out.push({ metadata: { name: `pod-${i}` }, spec: { containers } });
  }
  return fromJS({ pods: out });
}
