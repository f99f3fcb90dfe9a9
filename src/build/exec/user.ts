// Resolves a Dockerfile USER (`name`, `uid`, `name:group`, `uid:gid`) against the rootfs's own /etc/passwd
// and /etc/group, as runc's libcontainer/user and BuildKit do: a name must exist, a number need not (it then
// gets gid 0 and home `/`), supplementary groups are the primary group plus the groups that list the user by name.
import { readFileSync } from 'node:fs';
import { BuildError } from '../errors.ts';
import { resolveInRoot } from '../fs/root-path.ts';
import type { ResolvedUser } from './types.ts';

function readRootFile(rootfs: string, path: string): string[][] {
  let text: string;
  try {
    text = readFileSync(resolveInRoot(rootfs, path, true), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

const isNum = (s: string): boolean => /^[0-9]+$/.test(s);

export function resolveUser(rootfs: string, user: string): ResolvedUser {
  const spec = user.trim() === '' ? 'root' : user.trim();
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? undefined : spec.slice(colon + 1);
  const passwd = readRootFile(rootfs, '/etc/passwd');
  const groups = readRootFile(rootfs, '/etc/group');

  let uid: number;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const byField = (f: string[] | undefined): void => {
    if (!f) return;
    name = f[0];
    gid = Number(f[3] ?? 0) || 0;
    home = f[5] || '/';
  };
  if (isNum(userPart)) {
    uid = Number(userPart);
    byField(passwd.find((f) => f[2] === userPart));
  } else {
    const f = passwd.find((x) => x[0] === userPart);
    if (!f || !isNum(f[2] ?? ''))
      throw new BuildError('RUN_FAILED', `unable to find user ${userPart}: no matching entries in passwd file`);
    uid = Number(f[2]);
    byField(f);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (isNum(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x[0] === groupPart);
      if (!g || !isNum(g[2] ?? ''))
        throw new BuildError('RUN_FAILED', `unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  // The primary group comes first, as buildah (AddProcessAdditionalGid(gid)), Docker and BuildKit put it in
  // process.user.additionalGids: runc calls setgroups() with exactly that list, so without it `id` shows no
  // `groups=` at all. The groups listing the user follow only for the implicit form (`USER name`).
  const additionalGids: number[] = [gid];
  if (name !== undefined && groupPart === undefined) {
    for (const g of groups) {
      const members = (g[3] ?? '').split(',').map((m) => m.trim());
      const n = Number(g[2]);
      if (members.includes(name) && isNum(g[2] ?? '') && n !== gid && !additionalGids.includes(n))
        additionalGids.push(n);
    }
  }
  return { uid, gid, additionalGids, home };
}
