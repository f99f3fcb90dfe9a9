// The route table: one file per resource group, assembled in the order requests are matched.
import type { RouteEnv, RouteSpec } from '../route.ts';
import { applicationRoutes } from './applications.ts';
import { authRoutes } from './auth.ts';
import { changeRequestRoutes } from './change-requests.ts';
import { ciWebhookRoutes } from './ci-webhook.ts';
import { gitRoutes } from './git.ts';
import { imageRoutes } from './images.ts';
import { pipelineRoutes } from './pipelines.ts';
import { policyRoutes } from './policies.ts';
import { projectRoutes } from './projects.ts';
import { systemRoutes } from './system.ts';

export { SESSION_COOKIE } from './auth.ts';
export { summarizeApp, maskSecret } from './applications.ts';
export { referrerKind } from './images.ts';

export function buildRoutes(env: RouteEnv): RouteSpec[] {
  return [
    ...systemRoutes(env),
    ...authRoutes(env),
    ...applicationRoutes(env),
    ...projectRoutes(env),
    ...imageRoutes(env),
    ...gitRoutes(env),
    ...policyRoutes(env),
    ...pipelineRoutes(env),
    ...changeRequestRoutes(env),
    ...ciWebhookRoutes(env),
  ];
}
