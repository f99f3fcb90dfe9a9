// Defaults the API server fills in on write, for the common fields of built-in kinds (as the
// SetDefaults_* functions of k8s.io/kubernetes/pkg/apis/*/v1 do).
import { isObject, type KubeObject } from '../kube/index.ts';

type Obj = Record<string, unknown>;

function dflt(o: Obj, k: string, v: unknown): void {
  if (o[k] === undefined) o[k] = v;
}
function obj(o: Obj, k: string): Obj {
  if (!isObject(o[k])) o[k] = {};
  return o[k] as Obj;
}

function defaultContainer(c: Obj): void {
  dflt(c, 'terminationMessagePath', '/dev/termination-log');
  dflt(c, 'terminationMessagePolicy', 'File');
  const image = typeof c.image === 'string' ? c.image : '';
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
  dflt(c, 'imagePullPolicy', tag === 'latest' ? 'Always' : 'IfNotPresent');
  dflt(c, 'resources', {});
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObject(p)) dflt(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = c[probe];
    if (!isObject(pr)) continue;
    dflt(pr, 'timeoutSeconds', 1);
    dflt(pr, 'periodSeconds', 10);
    dflt(pr, 'successThreshold', 1);
    dflt(pr, 'failureThreshold', 3);
    if (isObject(pr.httpGet)) {
      dflt(pr.httpGet, 'scheme', 'HTTP');
      dflt(pr.httpGet, 'path', '/');
    }
  }
  if (Array.isArray(c.env))
    for (const e of c.env)
      if (isObject(e) && isObject(e.valueFrom) && isObject(e.valueFrom.fieldRef))
        dflt(e.valueFrom.fieldRef, 'apiVersion', 'v1');
}

export function defaultPodSpec(spec: Obj): void {
  dflt(spec, 'restartPolicy', 'Always');
  dflt(spec, 'terminationGracePeriodSeconds', 30);
  dflt(spec, 'dnsPolicy', 'ClusterFirst');
  dflt(spec, 'securityContext', {});
  dflt(spec, 'schedulerName', 'default-scheduler');
  for (const k of ['containers', 'initContainers'])
    if (Array.isArray(spec[k])) for (const c of spec[k]) if (isObject(c)) defaultContainer(c);
  if (Array.isArray(spec.volumes))
    for (const v of spec.volumes) {
      if (!isObject(v)) continue;
      if (isObject(v.configMap)) dflt(v.configMap, 'defaultMode', 420);
      if (isObject(v.secret)) dflt(v.secret, 'defaultMode', 420);
      if (isObject(v.projected)) dflt(v.projected, 'defaultMode', 420);
    }
}

function defaultTemplate(spec: Obj): void {
  const tpl = obj(spec, 'template');
  obj(tpl, 'metadata');
  defaultPodSpec(obj(tpl, 'spec'));
}

export function applyDefaults(o: KubeObject): void {
  const g = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
  const spec = (isObject(o.spec) ? o.spec : undefined) as Obj | undefined;
  switch (`${g}/${o.kind}`) {
    case '/Pod':
      if (spec) defaultPodSpec(spec);
      dflt(spec ?? {}, 'enableServiceLinks', true);
      if (spec) {
        dflt(spec, 'preemptionPolicy', 'PreemptLowerPriority');
        dflt(spec, 'priority', 0);
      }
      if (spec && Array.isArray(spec.tolerations) === false)
        spec.tolerations = [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ];
      break;
    case 'apps/Deployment': {
      if (!spec) break;
      dflt(spec, 'replicas', 1);
      dflt(spec, 'revisionHistoryLimit', 10);
      dflt(spec, 'progressDeadlineSeconds', 600);
      const st = obj(spec, 'strategy');
      dflt(st, 'type', 'RollingUpdate');
      if (st.type === 'RollingUpdate') {
        const ru = obj(st, 'rollingUpdate');
        dflt(ru, 'maxUnavailable', '25%');
        dflt(ru, 'maxSurge', '25%');
      }
      defaultTemplate(spec);
      break;
    }
    case 'apps/ReplicaSet':
      if (spec) {
        dflt(spec, 'replicas', 1);
        defaultTemplate(spec);
      }
      break;
    case 'apps/StatefulSet': {
      if (!spec) break;
      dflt(spec, 'replicas', 1);
      dflt(spec, 'podManagementPolicy', 'OrderedReady');
      dflt(spec, 'revisionHistoryLimit', 10);
      const us = obj(spec, 'updateStrategy');
      dflt(us, 'type', 'RollingUpdate');
      if (us.type === 'RollingUpdate') dflt(obj(us, 'rollingUpdate'), 'partition', 0);
      dflt(spec, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' });
      defaultTemplate(spec);
      break;
    }
    case 'apps/DaemonSet': {
      if (!spec) break;
      dflt(spec, 'revisionHistoryLimit', 10);
      const us = obj(spec, 'updateStrategy');
      dflt(us, 'type', 'RollingUpdate');
      if (us.type === 'RollingUpdate') {
        const ru = obj(us, 'rollingUpdate');
        dflt(ru, 'maxUnavailable', 1);
        dflt(ru, 'maxSurge', 0);
      }
      defaultTemplate(spec);
      break;
    }
    case 'batch/Job': {
      if (!spec) break;
      dflt(spec, 'completions', 1);
      dflt(spec, 'parallelism', 1);
      dflt(spec, 'backoffLimit', 6);
      dflt(spec, 'completionMode', 'NonIndexed');
      dflt(spec, 'suspend', false);
      dflt(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
      defaultTemplate(spec);
      const tpl = obj(spec, 'template');
      const tspec = obj(tpl, 'spec');
      if (tspec.restartPolicy === 'Always') tspec.restartPolicy = 'Never';
      const sel = obj(spec, 'selector');
      const uid = o.metadata.uid ?? '';
      if (!isObject(sel.matchLabels)) sel.matchLabels = { 'batch.kubernetes.io/controller-uid': uid };
      const tm = obj(tpl, 'metadata');
      const labels = obj(tm, 'labels');
      dflt(labels, 'batch.kubernetes.io/controller-uid', uid);
      dflt(labels, 'batch.kubernetes.io/job-name', o.metadata.name ?? '');
      dflt(labels, 'controller-uid', uid);
      dflt(labels, 'job-name', o.metadata.name ?? '');
      break;
    }
    case 'batch/CronJob': {
      if (!spec) break;
      dflt(spec, 'concurrencyPolicy', 'Allow');
      dflt(spec, 'suspend', false);
      dflt(spec, 'successfulJobsHistoryLimit', 3);
      dflt(spec, 'failedJobsHistoryLimit', 1);
      break;
    }
    case '/Service': {
      if (!spec) break;
      dflt(spec, 'type', 'ClusterIP');
      dflt(spec, 'sessionAffinity', 'None');
      dflt(spec, 'ipFamilyPolicy', 'SingleStack');
      dflt(spec, 'ipFamilies', ['IPv4']);
      dflt(spec, 'internalTrafficPolicy', 'Cluster');
      if (Array.isArray(spec.ports))
        for (const p of spec.ports)
          if (isObject(p)) {
            dflt(p, 'protocol', 'TCP');
            dflt(p, 'targetPort', p.port);
          }
      break;
    }
    case '/PersistentVolumeClaim':
      if (spec) dflt(spec, 'volumeMode', 'Filesystem');
      break;
    case '/Secret': {
      dflt(o, 'type', 'Opaque');
      // as kube-apiserver does: stringData is folded into data (base64, its keys win) and never stored
      const sd = (o as Obj).stringData;
      if (isObject(sd)) {
        const data = obj(o, 'data');
        for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v)).toString('base64');
      }
      delete (o as Obj).stringData;
      break;
    }
    case '/Namespace':
      obj(o, 'spec').finalizers ??= ['kubernetes'];
      if (!isObject(o.status) || !o.status.phase) o.status = { phase: 'Active' };
      break;
  }
  // every namespace carries its name as a label (NamespaceDefaultLabelName)
  if (o.kind === 'Namespace' && g === '') {
    o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name ?? '' };
  }
}
