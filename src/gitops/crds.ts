// The CustomResourceDefinitions of Application and AppProject (group gitops.sekisho.dev), shaped like
// Argo CD's: the same spec fields, no status subresource (Argo CD writes status with the object), the
// same short names and printer columns.
import type { KubeObject } from '../kube/index.ts';
import { GROUP, type AppProject } from './types.ts';

const any = { 'x-kubernetes-preserve-unknown-fields': true, type: 'object' } as const;
const str = { type: 'string' } as const;
const strs = { type: 'array', items: str } as const;
const strMap = { type: 'object', additionalProperties: str } as const;

const source = {
  type: 'object',
  required: ['repoURL'],
  properties: {
    repoURL: str,
    path: str,
    targetRevision: str,
    chart: str,
    ref: str,
    name: str,
    directory: {
      type: 'object',
      properties: { recurse: { type: 'boolean' }, include: str, exclude: str, jsonnet: any },
    },
    kustomize: {
      type: 'object',
      properties: {
        namePrefix: str,
        nameSuffix: str,
        images: strs,
        commonLabels: strMap,
        commonAnnotations: strMap,
        namespace: str,
        version: str,
        forceCommonLabels: { type: 'boolean' },
        forceCommonAnnotations: { type: 'boolean' },
        replicas: { type: 'array', items: any },
        patches: { type: 'array', items: any },
        components: strs,
      },
    },
    helm: {
      type: 'object',
      properties: {
        valueFiles: strs,
        parameters: { type: 'array', items: any },
        fileParameters: { type: 'array', items: any },
        releaseName: str,
        values: str,
        valuesObject: any,
        ignoreMissingValueFiles: { type: 'boolean' },
        skipCrds: { type: 'boolean' },
        passCredentials: { type: 'boolean' },
        version: str,
        namespace: str,
        kubeVersion: str,
        apiVersions: strs,
      },
    },
    plugin: any,
  },
};

const applicationSchema = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['destination', 'project'],
      properties: {
        source,
        sources: { type: 'array', items: source },
        destination: { type: 'object', properties: { server: str, name: str, namespace: str } },
        project: str,
        syncPolicy: {
          type: 'object',
          properties: {
            automated: {
              type: 'object',
              properties: {
                prune: { type: 'boolean' },
                selfHeal: { type: 'boolean' },
                allowEmpty: { type: 'boolean' },
              },
            },
            syncOptions: strs,
            retry: {
              type: 'object',
              properties: {
                limit: { type: 'integer', format: 'int64' },
                backoff: {
                  type: 'object',
                  properties: { duration: str, factor: { type: 'integer', format: 'int64' }, maxDuration: str },
                },
              },
            },
            managedNamespaceMetadata: { type: 'object', properties: { labels: strMap, annotations: strMap } },
          },
        },
        ignoreDifferences: {
          type: 'array',
          items: {
            type: 'object',
            required: ['kind'],
            properties: {
              group: str,
              kind: str,
              name: str,
              namespace: str,
              jsonPointers: strs,
              jqPathExpressions: strs,
              managedFieldsManagers: strs,
            },
          },
        },
        info: { type: 'array', items: { type: 'object', properties: { name: str, value: str } } },
        revisionHistoryLimit: { type: 'integer', format: 'int64' },
      },
    },
    status: any,
    operation: any,
  },
};

const groupKinds = { type: 'array', items: { type: 'object', properties: { group: str, kind: str } } };
const projectSchema = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        sourceRepos: strs,
        destinations: {
          type: 'array',
          items: { type: 'object', properties: { server: str, name: str, namespace: str } },
        },
        description: str,
        roles: { type: 'array', items: any },
        clusterResourceWhitelist: groupKinds,
        clusterResourceBlacklist: groupKinds,
        namespaceResourceWhitelist: groupKinds,
        namespaceResourceBlacklist: groupKinds,
        orphanedResources: any,
        syncWindows: { type: 'array', items: any },
        signatureKeys: { type: 'array', items: { type: 'object', properties: { keyID: str } } },
        imageVerification: {
          type: 'array',
          items: { type: 'object', required: ['glob', 'keys'], properties: { glob: str, keys: strs } },
        },
        manifestVerification: {
          type: 'object',
          required: ['keys'],
          properties: { keys: strs, ignoreFields: { type: 'array', items: any } },
        },
        sourceNamespaces: strs,
        permitOnlyProjectScopedClusters: { type: 'boolean' },
      },
    },
    status: any,
  },
};

export function applicationCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `applications.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: 'Application',
        listKind: 'ApplicationList',
        plural: 'applications',
        singular: 'application',
        shortNames: ['app', 'apps'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: applicationSchema },
          additionalPrinterColumns: [
            { name: 'Sync Status', type: 'string', jsonPath: '.status.sync.status' },
            { name: 'Health Status', type: 'string', jsonPath: '.status.health.status' },
            { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 10 },
            { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 10 },
          ],
        },
      ],
    },
  };
}

export function appProjectCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `appprojects.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: 'AppProject',
        listKind: 'AppProjectList',
        plural: 'appprojects',
        singular: 'appproject',
        shortNames: ['appproj', 'appprojs'],
      },
      scope: 'Namespaced',
      versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: projectSchema } }],
    },
  };
}

/** The `default` project: every repo, every destination, every kind, as in Argo CD. */
export function defaultProject(namespace: string): AppProject {
  return {
    apiVersion: `${GROUP}/v1alpha1`,
    kind: 'AppProject',
    metadata: { name: 'default', namespace },
    spec: {
      sourceRepos: ['*'],
      destinations: [{ server: '*', namespace: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      sourceNamespaces: ['*'],
    },
  };
}
