// AppProject routes: the projects the caller's role binding covers, with what each allows and how many
// Applications (and how many out of sync or unhealthy) it holds — for the UI's project filter and overview.
import type { KubeObject } from '../../kube/index.ts';
import { APP_API, appProject, kubeStatus, needKube, upstream, type RouteEnv, type RouteSpec, rec } from '../route.ts';
import { scopeFilter } from './scope.ts';

export function projectRoutes({ d, apps }: RouteEnv): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/projects',
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary: "AppProjects the caller's role binding covers, with their rules and Application counts",
      response: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'applications'],
              properties: {
                name: { type: 'string' },
                namespace: { type: 'string' },
                description: { type: 'string' },
                sourceRepos: { type: 'array', items: { type: 'string' } },
                destinations: { type: 'array', items: { type: 'object' } },
                applications: {
                  type: 'object',
                  required: ['total', 'outOfSync', 'unhealthy'],
                  properties: {
                    total: { type: 'integer' },
                    outOfSync: { type: 'integer' },
                    unhealthy: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
      handler: async (ctx) => {
        const p = ctx.principal!;
        let projects: KubeObject[];
        try {
          projects = (await needKube(d).listAll(APP_API, 'AppProject', { namespace: '' })).items;
        } catch (e) {
          if (kubeStatus(e) === 404) projects = [];
          else throw upstream(e, 'AppProjects');
        }
        await apps.ready();
        const counts = new Map<string, { total: number; outOfSync: number; unhealthy: number }>();
        for (const a of apps.all()) {
          const c = counts.get(appProject(a)) ?? { total: 0, outOfSync: 0, unhealthy: 0 };
          const st = rec(a.status);
          c.total++;
          if (rec(st.sync).status !== 'Synced') c.outOfSync++;
          if (rec(st.health).status !== 'Healthy') c.unhealthy++;
          counts.set(appProject(a), c);
        }
        const items = scopeFilter(p, projects, (x) => x.metadata.name ?? '')
          .map((x) => {
            const spec = rec(x.spec);
            return {
              name: x.metadata.name,
              namespace: x.metadata.namespace,
              ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
              sourceRepos: Array.isArray(spec.sourceRepos) ? spec.sourceRepos : [],
              destinations: Array.isArray(spec.destinations) ? spec.destinations : [],
              applications: counts.get(x.metadata.name ?? '') ?? { total: 0, outOfSync: 0, unhealthy: 0 },
            };
          })
          .sort((x, y) => String(x.name).localeCompare(String(y.name)));
        return { items };
      },
    },
  ];
}
