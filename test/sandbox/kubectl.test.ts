// Real kubectl against `sekisho cluster serve`: the commands people and CI scripts use every day.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KUBECTL, kubectl, ok, requireKubectl, startServer, type ServerProcess } from './helpers.ts';

let srv: ServerProcess;
let kc: string;
const work = mkdtempSync(join(tmpdir(), 'sekisho-kubectl-'));

before(async () => {
  requireKubectl();
  srv = await startServer();
  kc = srv.kubeconfig;
});
after(async () => {
  await srv.stop();
  rmSync(srv.dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const deployment = (env: Record<string, string>, replicas = 2, image = 'nginx:1.27') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports: [{containerPort: 80}]
        env:
${Object.entries(env)
  .map(([k, v]) => `        - {name: ${k}, value: "${v}"}`)
  .join('\n')}
`;

test('discovery: api-resources, api-versions and explain of built-in kinds', async () => {
  const res = await ok(kc, ['api-resources']);
  assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  assert.match(
    res,
    /^customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io\/v1\s+false\s+CustomResourceDefinition$/m,
  );
  const versions = await ok(kc, ['api-versions']);
  for (const gv of [
    'v1',
    'apps/v1',
    'batch/v1',
    'networking.k8s.io/v1',
    'rbac.authorization.k8s.io/v1',
    'policy/v1',
    'storage.k8s.io/v1',
    'coordination.k8s.io/v1',
    'admissionregistration.k8s.io/v1',
    'apiextensions.k8s.io/v1',
  ])
    assert.ok(versions.split('\n').includes(gv), `api-versions lacks ${gv}`);
  const explain = await ok(kc, ['explain', 'deployment.spec.replicas']);
  assert.match(explain, /FIELD: replicas <integer>/);
  assert.match(explain, /Number of desired pods/);
});

test('client-side apply, wait, rollout status, get -o wide/json/yaml, describe', async () => {
  const f = join(work, 'web.yaml');
  writeFileSync(f, deployment({ A: '1', B: '2' }));
  assert.match(await ok(kc, ['apply', '-f', f]), /deployment.apps\/web created/);
  assert.match(await ok(kc, ['wait', '--for=condition=Available', 'deployment/web', '--timeout=30s']), /condition met/);
  assert.match(await ok(kc, ['rollout', 'status', 'deployment/web', '--timeout=30s']), /successfully rolled out/);
  const wide = await ok(kc, ['get', 'deploy', 'web', '-o', 'wide']);
  assert.match(wide, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
  assert.match(wide, /^web\s+2\/2\s+2\s+2\s+\S+\s+nginx\s+nginx:1.27\s+app=web$/m);
  const pods = await ok(kc, ['get', 'pods', '-l', 'app=web']);
  assert.equal(
    pods
      .trim()
      .split('\n')
      .filter((l) => /\s1\/1\s+Running\s/.test(l)).length,
    2,
  );
  const json = JSON.parse(await ok(kc, ['get', 'deploy', 'web', '-o', 'json'])) as {
    spec: {
      strategy: { type: string };
      template: {
        spec: { containers: { terminationMessagePath: string; imagePullPolicy: string }[]; restartPolicy: string };
      };
    };
    status: { observedGeneration: number };
  };
  assert.equal(json.spec.strategy.type, 'RollingUpdate');
  assert.equal(json.spec.template.spec.restartPolicy, 'Always');
  assert.equal(json.spec.template.spec.containers[0]!.terminationMessagePath, '/dev/termination-log');
  assert.equal(json.spec.template.spec.containers[0]!.imagePullPolicy, 'IfNotPresent');
  assert.equal(json.status.observedGeneration, 1);
  const yaml = await ok(kc, ['get', 'deploy', 'web', '-o', 'yaml']);
  assert.match(yaml, /kubectl.kubernetes.io\/last-applied-configuration/);
  const desc = await ok(kc, ['describe', 'deployment', 'web']);
  assert.match(desc, /Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
  assert.match(desc, /NewReplicaSet:\s+web-\w+ \(2\/2 replicas created\)/);
  assert.match(desc, /Available\s+True\s+MinimumReplicasAvailable/);
  assert.match(
    desc,
    /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\w+ from 0 to 2/,
  );
});

test('diff, and a second client-side apply that removes a field', async () => {
  const f = join(work, 'web.yaml');
  writeFileSync(f, deployment({ A: '1' }, 3));
  const d = await kubectl(kc, ['diff', '-f', f]);
  assert.equal(d.code, 1, d.stderr);
  assert.match(d.stdout, /-\s+replicas: 2\n\+\s+replicas: 3/);
  assert.match(d.stdout, /-\s+- name: B/);
  await ok(kc, ['apply', '-f', f]);
  const env = JSON.parse(
    await ok(kc, ['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].env}']),
  ) as unknown;
  assert.deepEqual(env, [{ name: 'A', value: '1' }]);
  assert.equal((await kubectl(kc, ['diff', '-f', f])).code, 0);
  await ok(kc, ['rollout', 'status', 'deployment/web', '--timeout=30s']);
  assert.equal(
    await ok(kc, [
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.metadata.generation}/{.status.observedGeneration}/{.status.updatedReplicas}',
    ]),
    '2/2/3',
  );
});

test('server-side apply: field removal, conflict with another manager, --force-conflicts', async () => {
  const cm = (data: string, name = 'settings') =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${data}`;
  assert.match(
    await ok(kc, ['apply', '--server-side', '-f', '-'], cm('  color: red\n  size: big\n')),
    /serverside-applied/,
  );
  await ok(kc, ['apply', '--server-side', '-f', '-'], cm('  color: red\n'));
  const data = JSON.parse(await ok(kc, ['get', 'cm', 'settings', '-o', 'jsonpath={.data}'])) as unknown;
  assert.deepEqual(data, { color: 'red' });
  const conflict = await kubectl(
    kc,
    ['apply', '--server-side', '--field-manager=intruder', '-f', '-'],
    cm('  color: blue\n'),
  );
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /conflict with "kubectl"/);
  assert.match(conflict.stderr, /\.data\.color/);
  await ok(
    kc,
    ['apply', '--server-side', '--field-manager=intruder', '--force-conflicts', '-f', '-'],
    cm('  color: blue\n'),
  );
  const mf = JSON.parse(await ok(kc, ['get', 'cm', 'settings', '-o', 'json', '--show-managed-fields'])) as {
    data: Record<string, string>;
    metadata: { managedFields: { manager: string; operation: string; fieldsV1: Record<string, unknown> }[] };
  };
  assert.equal(mf.data.color, 'blue');
  const intruder = mf.metadata.managedFields.find((m) => m.manager === 'intruder');
  assert.deepEqual(intruder?.fieldsV1, { 'f:data': { 'f:color': {} } });
  assert.equal(intruder?.operation, 'Apply');
  assert.equal(
    mf.metadata.managedFields.find((m) => m.manager === 'kubectl'),
    undefined,
    'kubectl lost its only field',
  );
  // server-side apply of a Deployment, then a second apply that drops a container port and an env var
  const f = join(work, 'ssa-deploy.yaml');
  writeFileSync(
    f,
    deployment({ X: '1', Y: '2' }, 1)
      .replace(/name: web/g, 'name: ssa')
      .replace(/app: web/g, 'app: ssa'),
  );
  await ok(kc, ['apply', '--server-side', '-f', f]);
  writeFileSync(
    f,
    deployment({ X: '1' }, 1)
      .replace(/name: web/g, 'name: ssa')
      .replace(/app: web/g, 'app: ssa'),
  );
  await ok(kc, ['apply', '--server-side', '-f', f]);
  assert.equal(
    await ok(kc, ['get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].name}']),
    'X',
  );
});

test('label and patch of all three types', async () => {
  await ok(kc, ['label', 'deploy', 'web', 'tier=frontend']);
  await ok(kc, [
    'patch',
    'deploy',
    'web',
    '--type=strategic',
    '-p',
    '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"C","value":"3"}]}]}}}}',
  ]);
  await ok(kc, ['patch', 'deploy', 'web', '--type=merge', '-p', '{"metadata":{"annotations":{"owner":"team-a"}}}']);
  await ok(kc, ['patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":1}]']);
  const out = JSON.parse(await ok(kc, ['get', 'deploy', 'web', '-o', 'json'])) as {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: { replicas: number; template: { spec: { containers: { env: { name: string }[]; image: string }[] } } };
  };
  assert.equal(out.metadata.labels.tier, 'frontend');
  assert.equal(out.metadata.annotations.owner, 'team-a');
  assert.equal(out.spec.replicas, 1);
  // strategic merge: the env list merged by name, the container kept its image
  assert.deepEqual(
    out.spec.template.spec.containers[0]!.env.map((e) => e.name),
    ['A', 'C'],
  );
  assert.equal(out.spec.template.spec.containers[0]!.image, 'nginx:1.27');
  const bad = await kubectl(kc, [
    'patch',
    'deploy',
    'web',
    '--type=json',
    '-p',
    '[{"op":"remove","path":"/spec/nothing"}]',
  ]);
  assert.notEqual(bad.code, 0);
});

test('get -w streams changes as they happen', { timeout: 60_000 }, async () => {
  const child = spawn(
    KUBECTL,
    [
      '--kubeconfig',
      kc,
      '--cache-dir',
      join(srv.dataDir, 'kubectl-cache'),
      'get',
      'configmaps',
      '-w',
      '--output-watch-events',
    ],
    {
      env: { PATH: process.env.PATH ?? '', HOME: srv.dataDir },
    },
  );
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout });
  const seen = new Promise<void>((resolve) =>
    rl.on('line', (l) => {
      lines.push(l);
      if (/^DELETED\s+watched\s/.test(l)) resolve();
    }),
  );
  // kubectl lists first: the ADDED line of an existing object tells us the watch is established
  await new Promise<void>((resolve) => rl.once('line', () => resolve()));
  await ok(kc, ['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {a: b}\n');
  await ok(kc, ['label', 'configmap', 'watched', 'x=y']);
  await ok(kc, ['delete', 'configmap', 'watched']);
  await seen;
  child.kill();
  const mine = lines.filter((l) => /\swatched\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 3).join(' '));
  assert.deepEqual(mine, ['ADDED watched 1', 'MODIFIED watched 1', 'DELETED watched 1']);
});

test('create a CRD, then custom resources: printer columns, defaults, schema validation, status subresource', async () => {
  const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              color: {type: string, enum: [red, blue], default: red}
          status:
            type: object
            properties:
              phase: {type: string}
`;
  await ok(kc, ['create', '-f', '-'], crd);
  await ok(kc, ['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=30s']);
  await ok(
    kc,
    ['apply', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n',
  );
  assert.match(await ok(kc, ['get', 'wd']), /^w1\s+3\s*$/m);
  assert.equal(await ok(kc, ['get', 'widget', 'w1', '-o', 'jsonpath={.spec.color}']), 'red');
  const invalid = await kubectl(
    kc,
    ['apply', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 0, color: green}\n',
  );
  assert.notEqual(invalid.code, 0);
  assert.match(invalid.stderr, /spec.size/);
  assert.match(invalid.stderr, /Unsupported value: "green"/);
  const unknown = await kubectl(
    kc,
    ['apply', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w3}\nspec: {size: 1, shape: round}\n',
  );
  assert.match(unknown.stderr, /unknown field "spec.shape"/);
  // status is a subresource: a main-resource patch cannot change it, a status patch can
  await ok(kc, ['patch', 'widget', 'w1', '--type=merge', '-p', '{"status":{"phase":"Ignored"}}']);
  assert.equal(await ok(kc, ['get', 'widget', 'w1', '-o', 'jsonpath={.status.phase}']), '');
  await ok(kc, ['patch', 'widget', 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Ready"}}']);
  assert.equal(
    await ok(kc, ['get', 'widget', 'w1', '-o', 'jsonpath={.status.phase}/{.metadata.generation}']),
    'Ready/1',
  );
  await ok(kc, ['delete', 'crd', 'widgets.example.com']);
  assert.notEqual((await kubectl(kc, ['get', 'widgets.example.com'])).code, 0);
});

test('kustomize | apply: namespace, StatefulSet with PVCs, Service, Job, DaemonSet; namespace deletion empties it', async () => {
  const dir = join(work, 'kz');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    'namespace: shop\nresources: [ns.yaml, app.yaml]\nlabels:\n- pairs: {team: a}\n',
  );
  writeFileSync(join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
  writeFileSync(
    join(dir, 'app.yaml'),
    `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:16}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: m, image: busybox}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: agent:1}]}
`,
  );
  const rendered = await ok(kc, ['kustomize', dir]);
  await ok(kc, ['apply', '-f', '-'], rendered);
  await ok(kc, ['wait', '--for=condition=Complete', 'job/migrate', '-n', 'shop', '--timeout=30s']);
  await ok(kc, ['rollout', 'status', 'statefulset/db', '-n', 'shop', '--timeout=30s']);
  await ok(kc, ['rollout', 'status', 'daemonset/agent', '-n', 'shop', '--timeout=30s']);
  const pvc = await ok(kc, ['get', 'pvc', '-n', 'shop']);
  assert.match(pvc, /^data-db-0\s+Bound\s+pvc-/m);
  assert.match(pvc, /^data-db-1\s+Bound\s+pvc-/m);
  assert.match(
    await ok(kc, ['get', 'svc', 'db', '-n', 'shop']),
    /^db\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+5432\/TCP/m,
  );
  assert.equal(await ok(kc, ['get', 'sts', 'db', '-n', 'shop', '-o', 'jsonpath={.metadata.labels.team}']), 'a');
  await ok(kc, ['delete', 'namespace', 'shop', '--timeout=30s']);
  const gone = await kubectl(kc, ['get', 'namespace', 'shop']);
  assert.match(gone.stderr, /not found/);
  assert.match(await kubectl(kc, ['get', 'all', '-n', 'shop']).then((r) => r.stderr + r.stdout), /No resources found/);
});

test('delete cascades: background removes ReplicaSets and Pods, orphan keeps them', async () => {
  await ok(kc, ['apply', '-f', '-'], deployment({ A: '1' }, 2).replace(/web/g, 'orph'));
  await ok(kc, ['rollout', 'status', 'deployment/orph', '--timeout=30s']);
  await ok(kc, ['delete', 'deployment', 'orph', '--cascade=orphan']);
  assert.match(await ok(kc, ['get', 'rs', '-l', 'app=orph']), /^orph-\w+\s+2\s+2\s+2/m);
  const rsOwners = await ok(kc, ['get', 'rs', '-l', 'app=orph', '-o', 'jsonpath={.items[0].metadata.ownerReferences}']);
  assert.equal(rsOwners, '');
  await ok(kc, ['delete', 'rs', '-l', 'app=orph', '--cascade=foreground']);
  assert.match((await kubectl(kc, ['get', 'pods', '-l', 'app=orph'])).stderr, /No resources found/);
  await ok(kc, ['delete', 'deployment', 'web']);
  assert.match((await kubectl(kc, ['get', 'rs,pods', '-l', 'app=web'])).stderr, /No resources found/);
});

test('an image named never-ready keeps a rollout from completing and misses its progress deadline', async () => {
  const y = deployment({ A: '1' }, 1, 'example.com/app:never-ready')
    .replace(/web/g, 'stuck')
    .replace('  replicas: 1', '  replicas: 1\n  progressDeadlineSeconds: 1');
  await ok(kc, ['apply', '-f', '-'], y);
  const r = await kubectl(kc, ['rollout', 'status', 'deployment/stuck', '--timeout=20s']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /exceeded its progress deadline/);
  assert.match(await ok(kc, ['get', 'pods', '-l', 'app=stuck']), /0\/1\s+Running/);
});

test('kubectl create namespace/configmap/secret/serviceaccount (protobuf request bodies)', async () => {
  await ok(kc, ['create', 'namespace', 'team-a']);
  await ok(kc, ['create', 'configmap', 'c1', '--from-literal=a=b', '--from-literal=c=d', '-n', 'team-a']);
  await ok(kc, ['create', 'secret', 'generic', 's1', '--from-literal=pw=hunter2', '-n', 'team-a']);
  await ok(kc, ['create', 'serviceaccount', 'bot', '-n', 'team-a']);
  assert.deepEqual(JSON.parse(await ok(kc, ['get', 'cm', 'c1', '-n', 'team-a', '-o', 'jsonpath={.data}'])), {
    a: 'b',
    c: 'd',
  });
  assert.equal(
    Buffer.from(
      await ok(kc, ['get', 'secret', 's1', '-n', 'team-a', '-o', 'jsonpath={.data.pw}']),
      'base64',
    ).toString(),
    'hunter2',
  );
  assert.match(await ok(kc, ['get', 'sa', '-n', 'team-a']), /^bot\s/m);
  const unsupported = await kubectl(kc, ['create', 'deployment', 'd1', '--image=nginx']);
  assert.match(unsupported.stderr, /decodes protobuf only for/);
});

test('field validation of built-in kinds: an unknown field is rejected (strict), reported (warn) and dropped', async () => {
  const y = deployment({ A: '1' }, 1).replace(/web/g, 'typo').replace('  replicas: 1', '  replicaz: 1');
  const r = await kubectl(kc, ['apply', '-f', '-'], y);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown field "spec.replicaz"/);
  const w = await kubectl(kc, ['apply', '--validate=warn', '-f', '-'], y);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stderr, /unknown field "spec.replicaz"/);
  const stored = JSON.parse(await ok(kc, ['get', 'deploy', 'typo', '-o', 'json'])) as { spec: Record<string, unknown> };
  assert.equal(stored.spec.replicaz, undefined);
  assert.equal(stored.spec.replicas, 1);
});

test('scale, rollout restart and rollout undo (which reuses the earlier ReplicaSet)', async () => {
  await ok(kc, ['apply', '-f', '-'], deployment({ A: '1' }, 1).replace(/web/g, 'roll'));
  await ok(kc, ['rollout', 'status', 'deployment/roll', '--timeout=30s']);
  const first = (await ok(kc, ['get', 'rs', '-l', 'app=roll', '-o', 'name'])).trim();
  await ok(kc, ['scale', 'deployment/roll', '--replicas=3']);
  await ok(kc, ['rollout', 'status', 'deployment/roll', '--timeout=30s']);
  assert.equal(await ok(kc, ['get', 'deploy', 'roll', '-o', 'jsonpath={.status.readyReplicas}']), '3');
  await ok(kc, ['rollout', 'restart', 'deployment/roll']);
  await ok(kc, ['rollout', 'status', 'deployment/roll', '--timeout=30s']);
  assert.equal((await ok(kc, ['get', 'rs', '-l', 'app=roll', '-o', 'name'])).trim().split('\n').length, 2);
  await ok(kc, ['rollout', 'undo', 'deployment/roll']);
  await ok(kc, ['rollout', 'status', 'deployment/roll', '--timeout=30s']);
  const rs = JSON.parse(await ok(kc, ['get', 'rs', '-l', 'app=roll', '-o', 'json'])) as {
    items: { metadata: { name: string; annotations: Record<string, string> }; spec: { replicas: number } }[];
  };
  assert.equal(rs.items.length, 2);
  const active = rs.items.find((r) => r.spec.replicas === 3)!;
  assert.equal(`replicaset.apps/${active.metadata.name}`, first);
  assert.equal(active.metadata.annotations['deployment.kubernetes.io/revision'], '3');
});

test('auth can-i and auth whoami answer for the sandbox administrator', async () => {
  assert.equal((await ok(kc, ['auth', 'can-i', 'create', 'deployments'])).trim(), 'yes');
  assert.match(await ok(kc, ['auth', 'whoami']), /Username\s+sekisho-admin/);
});
