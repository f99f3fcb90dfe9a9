// Git routes: the local repositories served over smart HTTP by the platform's git server.
import { ServerError } from '../errors.ts';
import { createRepo, listRepos } from '../git-server.ts';
import type { RouteEnv, RouteSpec } from '../route.ts';

const repoSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, url: { type: 'string' } },
};

export function gitRoutes({ d }: RouteEnv): RouteSpec[] {
  const needGit = (): string => {
    if (!d.gitRoot) throw new ServerError('server_upstream_error', 'no git server is configured');
    return d.gitRoot;
  };
  const url = (name: string): string | undefined => (d.gitUrl ? `${d.gitUrl}/${name}.git` : undefined);
  return [
    {
      method: 'GET',
      path: '/api/v1/git/repositories',
      role: 'viewer',
      tag: 'git',
      summary: 'Local git repositories served over smart HTTP',
      response: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: repoSchema } } },
      handler: async () => ({
        items: (await listRepos(needGit())).map((name) => ({ name, url: url(name) })),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/git/repositories',
      role: 'developer',
      tag: 'git',
      summary: 'Create an empty local git repository (default branch main)',
      body: { required: ['name'], properties: { name: { type: 'string', description: 'e.g. app or team/config' } } },
      response: repoSchema,
      handler: async (ctx) => {
        const b = ctx.body as { name: string };
        ctx.target = `git ${b.name}`;
        const name = await createRepo(needGit(), b.name);
        ctx.res.statusCode = 201;
        return { name, url: url(name) };
      },
    },
  ];
}
