// CustomResourceDefinitions for Pipeline, PipelineRun and ChangeRequest (group ci.sekisho.dev), so the
// sandbox cluster or a real one accepts the records. Steps and status stay open-ended objects
// (x-kubernetes-preserve-unknown-fields) with the fields tools filter on spelled out.
import type { KubeObject } from '../kube/index.ts';
import { GROUP } from './model.ts';

const any = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } as const;
const str = { type: 'string' } as const;

function crd(
  kind: string,
  plural: string,
  shortNames: string[],
  spec: Record<string, unknown>,
  columns: Array<{ name: string; type: string; jsonPath: string }>,
): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec, status: any },
            },
          },
        },
      ],
    },
  };
}

export function pipelineCrd(): KubeObject {
  return crd(
    'Pipeline',
    'pipelines',
    ['pl'],
    {
      type: 'object',
      required: ['steps'],
      properties: {
        params: { type: 'array', items: any },
        secrets: { type: 'array', items: any },
        env: any,
        concurrency: { type: 'integer', minimum: 1 },
        steps: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id'],
            'x-kubernetes-preserve-unknown-fields': true,
            // needs: a step id or a list of them, so it is left open
            properties: { id: str, uses: str, run: str, image: str },
          },
        },
      },
    },
    [{ name: 'Steps', type: 'integer', jsonPath: '.spec.steps.length' }],
  );
}

export function pipelineRunCrd(): KubeObject {
  return crd(
    'PipelineRun',
    'pipelineruns',
    ['plr'],
    { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { pipelineRef: any, params: any } },
    [
      { name: 'Pipeline', type: 'string', jsonPath: '.spec.pipelineRef.name' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Started', type: 'date', jsonPath: '.status.startTime' },
    ],
  );
}

export function changeRequestCrd(): KubeObject {
  return crd(
    'ChangeRequest',
    'changerequests',
    ['cr'],
    {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { repo: str, base: str, head: str, title: str },
    },
    [
      { name: 'Head', type: 'string', jsonPath: '.spec.head' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Policy', type: 'string', jsonPath: '.status.policy.result' },
    ],
  );
}
