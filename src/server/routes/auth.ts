// Authentication routes: cookie sessions (login/logout, with a CSRF token), API tokens, local users with
// their role binding (role + AppProjects), and the audit log.
import { isRole, roleAtLeast } from '../auth.ts';
import { ServerError } from '../errors.ts';
import { intParam, type RouteEnv, type RouteSpec } from '../route.ts';

export const SESSION_COOKIE = 'sekisho_session';

const principalSchema = {
  type: 'object',
  required: ['user', 'role', 'projects'],
  properties: {
    user: { type: 'string' },
    role: { type: 'string', enum: ['admin', 'developer', 'viewer'] },
    projects: { type: 'array', items: { type: 'string' } },
    via: { type: 'string', enum: ['session', 'token'] },
    csrfToken: { type: 'string' },
    expiresAt: { type: 'string' },
  },
};
const tokenSchema = {
  type: 'object',
  required: ['id', 'name', 'user', 'role', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    user: { type: 'string' },
    role: { type: 'string' },
    createdAt: { type: 'string' },
    expiresAt: { type: 'string' },
  },
};
const items = (schema: Record<string, unknown>) => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: schema } },
});

export function authRoutes({ d, metrics }: RouteEnv): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/session',
      role: null,
      tag: 'auth',
      status: 200,
      summary: 'Log in with a user name and password; sets a session cookie and returns its CSRF token',
      body: {
        required: ['username', 'password'],
        properties: {
          username: { type: 'string', description: 'user name' },
          password: { type: 'string', description: 'password' },
        },
      },
      response: principalSchema,
      handler: async (ctx) => {
        const b = ctx.body as { username: string; password: string };
        ctx.target = b.username;
        const client = ctx.req.socket.remoteAddress ?? '';
        let s;
        try {
          s = await d.auth.login(b.username, b.password, client);
        } catch (e) {
          if (e instanceof ServerError && e.code === 'server_unauthenticated') metrics.loginFailures++;
          throw e;
        }
        ctx.principal = { user: s.user, role: s.role, projects: s.projects, via: 'session' };
        const secure = ctx.req.socket && 'encrypted' in ctx.req.socket ? '; Secure' : '';
        ctx.res.setHeader(
          'Set-Cookie',
          `${SESSION_COOKIE}=${encodeURIComponent(s.sessionId)}; HttpOnly; SameSite=Strict; Path=/${secure}`,
        );
        return { user: s.user, role: s.role, projects: s.projects, csrfToken: s.csrf, expiresAt: s.expiresAt };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/session',
      role: 'viewer',
      tag: 'auth',
      summary: 'Who the caller is (user, role, projects, how authenticated)',
      response: principalSchema,
      handler: async (ctx) => ({
        user: ctx.principal!.user,
        role: ctx.principal!.role,
        projects: ctx.principal!.projects,
        via: ctx.principal!.via,
        ...(ctx.principal!.csrf ? { csrfToken: ctx.principal!.csrf } : {}),
      }),
    },
    {
      method: 'DELETE',
      path: '/api/v1/session',
      role: 'viewer',
      tag: 'auth',
      summary: 'Log out (ends the cookie session)',
      response: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
      handler: async (ctx) => {
        if (ctx.principal!.sessionId) d.auth.logout(ctx.principal!.sessionId);
        ctx.res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
        return { status: 'logged out' };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/tokens',
      role: 'viewer',
      tag: 'auth',
      summary: "The caller's API tokens (every token for admins); never the secret",
      response: items(tokenSchema),
      handler: async (ctx) => ({
        items: d.auth.listTokens(ctx.principal!.role === 'admin' ? undefined : ctx.principal!.user),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/tokens',
      role: 'viewer',
      tag: 'auth',
      summary: "Create an API token (role at most the caller's); the secret is returned once",
      body: {
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'what the token is for' },
          role: {
            type: 'string',
            enum: ['admin', 'developer', 'viewer'],
            description: "admin, developer or viewer (default: the caller's role)",
          },
          expiresInSeconds: { type: 'integer', description: 'lifetime in seconds (default: no expiry)' },
        },
      },
      response: {
        type: 'object',
        required: ['id', 'token', 'name', 'role'],
        properties: {
          id: { type: 'string' },
          token: { type: 'string' },
          name: { type: 'string' },
          role: { type: 'string' },
          expiresAt: { type: 'string' },
        },
      },
      handler: async (ctx) => {
        const b = ctx.body as { name: string; role?: string; expiresInSeconds?: number };
        const p = ctx.principal!;
        if (!/^[\w .:-]{1,64}$/.test(b.name))
          throw new ServerError('server_bad_request', 'name must be 1-64 letters, digits, spaces or . _ : -');
        const role = b.role ?? p.role;
        if (!isRole(role))
          throw new ServerError('server_bad_request', `role must be admin, developer or viewer, got "${role}"`);
        if (!roleAtLeast(p.role, role))
          throw new ServerError('server_forbidden', `a ${p.role} cannot create a token with role ${role}`);
        if (b.expiresInSeconds !== undefined && b.expiresInSeconds < 1)
          throw new ServerError('server_bad_request', 'expiresInSeconds must be positive');
        const t = d.auth.createToken(p.user, b.name, role, b.expiresInSeconds);
        ctx.target = `token ${t.id}`;
        ctx.res.statusCode = 201;
        return t;
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/tokens/{id}',
      role: 'viewer',
      tag: 'auth',
      summary: 'Revoke an API token (own tokens; admins any)',
      response: {
        type: 'object',
        required: ['status', 'id'],
        properties: { status: { type: 'string' }, id: { type: 'string' } },
      },
      handler: async (ctx) => {
        const id = ctx.params.id!;
        ctx.target = `token ${id}`;
        if (!/^[0-9a-f]{16}$/.test(id))
          throw new ServerError('server_bad_request', `token id must be 16 hexadecimal digits, got "${id}"`);
        const owner = d.auth.tokenOwner(id);
        if (owner === undefined) throw new ServerError('server_not_found', `token ${id} not found`);
        if (owner !== ctx.principal!.user && ctx.principal!.role !== 'admin')
          throw new ServerError('server_forbidden', 'only the owner or an admin may revoke this token');
        d.auth.deleteToken(id);
        return { status: 'revoked', id };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/users',
      role: 'admin',
      tag: 'auth',
      summary: 'Local users with their role binding (role and AppProjects)',
      response: items({
        type: 'object',
        required: ['name', 'role', 'projects'],
        properties: {
          name: { type: 'string' },
          role: { type: 'string' },
          projects: { type: 'array', items: { type: 'string' } },
          createdAt: { type: 'string' },
        },
      }),
      handler: async () => ({ items: d.auth.listUsers() }),
    },
    {
      method: 'POST',
      path: '/api/v1/users',
      role: 'admin',
      tag: 'auth',
      summary: 'Create a local user or set its password and role binding (role scoped to AppProjects)',
      body: {
        required: ['name', 'password', 'role'],
        properties: {
          name: { type: 'string', description: 'user name' },
          password: { type: 'string', description: 'at least 12 characters' },
          role: { type: 'string', enum: ['admin', 'developer', 'viewer'], description: 'admin, developer or viewer' },
          projects: {
            type: 'array',
            items: 'string',
            description: 'AppProjects the role applies to (default ["*"]: every project)',
          },
        },
      },
      response: {
        type: 'object',
        required: ['name', 'role', 'projects'],
        properties: {
          name: { type: 'string' },
          role: { type: 'string' },
          projects: { type: 'array', items: { type: 'string' } },
        },
      },
      handler: async (ctx) => {
        const b = ctx.body as { name: string; password: string; role: string; projects?: string[] };
        ctx.target = `user ${b.name}`;
        if (!isRole(b.role))
          throw new ServerError('server_bad_request', `role must be admin, developer or viewer, got "${b.role}"`);
        await d.auth.setUser(b.name, b.password, b.role, b.projects ?? ['*']);
        ctx.res.statusCode = 201;
        return { name: b.name, role: b.role, projects: d.auth.listUsers().find((u) => u.name === b.name)?.projects };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/audit',
      role: 'admin',
      tag: 'auth',
      summary: 'The latest entries of the audit log of state-changing calls',
      query: [{ name: 'limit', type: 'integer', description: 'how many entries (1-1000, default 100)' }],
      response: items({
        type: 'object',
        required: ['time', 'method', 'path', 'status'],
        properties: {
          time: { type: 'string' },
          user: { type: 'string' },
          method: { type: 'string' },
          path: { type: 'string' },
          status: { type: 'integer' },
          target: { type: 'string' },
          code: { type: 'string' },
        },
      }),
      handler: async (ctx) => ({ items: d.audit.tail(intParam(ctx.url, 'limit', 1, 1000) ?? 100) }),
    },
  ];
}
