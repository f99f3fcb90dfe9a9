// Git host webhooks (GitHub, GitLab, Gitea push payloads): the repository URLs a push names, so the
// controller can refresh the apps that use them without waiting for the next poll.
import { isObject } from '../kube/index.ts';

export function webhookRepoURLs(headers: Record<string, string | string[] | undefined>, body: unknown): string[] {
  if (!isObject(body)) return [];
  const urls = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v) urls.add(v);
  };
  const repo = body.repository;
  const project = body.project;
  if (headers['x-gitlab-event'] && isObject(project)) {
    add(project.git_http_url);
    add(project.git_ssh_url);
    add(project.web_url);
  }
  if (isObject(repo)) {
    // GitHub and Gitea (and GitLab's legacy repository block)
    add(repo.html_url);
    add(repo.clone_url);
    add(repo.ssh_url);
    add(repo.git_url);
    add(repo.url);
    add(repo.git_http_url);
    add(repo.git_ssh_url);
  }
  return [...urls];
}
