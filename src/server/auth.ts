// Local users (scrypt-hashed passwords), API tokens (stored as SHA-256 digests), cookie sessions with a
// CSRF token each, roles, and a login rate limiter. Users and tokens persist under <dataDir>; sessions
// live in memory (a restart logs browsers out, API tokens keep working).
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerError } from './errors.ts';

export const ROLES = ['viewer', 'developer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

/** true when the principal's role binding covers every AppProject (admins, or "*") */
export function coversAll(p: { role: Role; projects: readonly string[] }): boolean {
  return p.role === 'admin' || p.projects.includes('*');
}

/** true when the principal's role binding covers the AppProject (admins cover every project) */
export function canAccessProject(p: { role: Role; projects: readonly string[] }, project: string): boolean {
  return coversAll(p) || p.projects.includes(project);
}

const PROJECT_NAME = /^(\*|[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$/;

/** true when `have` grants at least what `need` grants */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

interface StoredUser {
  name: string;
  role: Role;
  /** AppProjects the role applies to ("*" or absent: every project) */
  projects?: string[];
  /** scrypt$N$r$p$salt$hash (base64url) */
  password: string;
  createdAt: string;
}

interface StoredToken {
  id: string;
  name: string;
  user: string;
  role: Role;
  /** sha256 hex of the token */
  digest: string;
  createdAt: string;
  expiresAt?: string;
}

export interface Principal {
  user: string;
  role: Role;
  /** AppProjects the role applies to; "*" means every project */
  projects: string[];
  via: 'session' | 'token';
  /** CSRF token of a cookie session */
  csrf?: string;
  sessionId?: string;
  tokenId?: string;
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

function scrypt(password: string, salt: Buffer, N: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, { N, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const want = Buffer.from(hash, 'base64url');
  const got = await scrypt(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p), want.length);
  return got.length === want.length && timingSafeEqual(got, want);
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

const USER_NAME = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Counts failed logins per key in a sliding window; `check` throws 429 once the limit is reached. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const t = this.now();
    const list = (this.hits.get(key) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length) this.hits.set(key, list);
    else this.hits.delete(key);
    return list;
  }

  check(key: string): void {
    const list = this.recent(key);
    if (list.length >= this.limit) {
      const retry = Math.max(1, Math.ceil((list[0]! + this.windowMs - this.now()) / 1000));
      throw new ServerError('server_rate_limited', `too many failed logins; retry in ${retry}s`, { retryAfter: retry });
    }
  }

  fail(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.hits.set(key, list);
  }

  reset(key: string): void {
    this.hits.delete(key);
  }
}

export interface AuthStoreOptions {
  dir: string;
  sessionTtlMs?: number;
  loginLimit?: number;
  loginWindowMs?: number;
}

export class AuthStore {
  private readonly usersPath: string;
  private readonly tokensPath: string;
  private users: StoredUser[] = [];
  private tokens: StoredToken[] = [];
  private readonly sessions = new Map<string, { user: string; csrf: string; expires: number }>();
  private readonly sessionTtlMs: number;
  readonly loginLimiter: RateLimiter;
  /** failed logins per client address across user names (4 × the per-user limit) */
  readonly clientLimiter: RateLimiter;

  constructor(o: AuthStoreOptions) {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    this.usersPath = join(o.dir, 'users.json');
    this.tokensPath = join(o.dir, 'tokens.json');
    this.sessionTtlMs = o.sessionTtlMs ?? 12 * 3600_000;
    this.loginLimiter = new RateLimiter(o.loginLimit ?? 5, o.loginWindowMs ?? 60_000);
    this.clientLimiter = new RateLimiter((o.loginLimit ?? 5) * 4, o.loginWindowMs ?? 60_000);
    this.users = this.load<StoredUser>(this.usersPath);
    this.tokens = this.load<StoredToken>(this.tokensPath);
  }

  private load<T>(path: string): T[] {
    if (!existsSync(path)) return [];
    const text = readFileSync(path, 'utf8');
    try {
      const v = JSON.parse(text) as unknown;
      if (!Array.isArray(v)) throw new Error('expected a JSON array');
      return v as T[];
    } catch (e) {
      throw new ServerError('server_config_error', `${path}: ${(e as Error).message}`, {
        cause: e,
        location: { file: path, row: 0, col: 0 },
      });
    }
  }

  /** Creates the admin user when missing, or resets its password when asked; returns the new plaintext. */
  async ensureAdmin(reset = false): Promise<{ user: string; password?: string }> {
    const existing = this.users.find((u) => u.name === 'admin');
    if (existing && !reset) return { user: 'admin' };
    const password = randomBytes(18).toString('base64url');
    await this.setUser('admin', password, 'admin');
    return { user: 'admin', password };
  }

  async setUser(name: string, password: string, role: Role, projects: string[] = ['*']): Promise<void> {
    if (!USER_NAME.test(name))
      throw new ServerError('server_bad_request', `invalid user name "${name}" (lowercase letters, digits, . _ -)`);
    if (projects.length === 0) throw new ServerError('server_bad_request', 'projects must list at least one project');
    for (const p of projects)
      if (!PROJECT_NAME.test(p))
        throw new ServerError('server_bad_request', `invalid project name "${p}" (a Kubernetes name, or "*" for all)`);
    if (password.length < 12) throw new ServerError('server_bad_request', 'password must have at least 12 characters');
    const hash = await hashPassword(password);
    const now = new Date().toISOString();
    const others = this.users.filter((u) => u.name !== name);
    const prev = this.users.find((u) => u.name === name);
    this.users = [
      ...others,
      {
        name,
        role,
        ...(projects.includes('*') ? {} : { projects: [...new Set(projects)].sort() }),
        password: hash,
        createdAt: prev?.createdAt ?? now,
      },
    ];
    writeJsonAtomic(this.usersPath, this.users);
    // a new password ends the user's sessions
    for (const [id, s] of this.sessions) if (s.user === name) this.sessions.delete(id);
  }

  listUsers(): { name: string; role: Role; projects: string[]; createdAt: string }[] {
    return this.users.map((u) => ({
      name: u.name,
      role: u.role,
      projects: u.projects ?? ['*'],
      createdAt: u.createdAt,
    }));
  }

  /** Verifies a password and opens a cookie session. Failed attempts count against `clientKey`. */
  async login(
    name: string,
    password: string,
    clientKey: string,
  ): Promise<{ sessionId: string; csrf: string; user: string; role: Role; projects: string[]; expiresAt: string }> {
    const key = `${clientKey}|${name}`;
    this.loginLimiter.check(key);
    this.clientLimiter.check(clientKey);
    const u = this.users.find((x) => x.name === name);
    // verify against a dummy hash when the user is unknown, so timing does not reveal user names
    const ok = await verifyPassword(password, u?.password ?? DUMMY_HASH);
    if (!u || !ok) {
      this.loginLimiter.fail(key);
      this.clientLimiter.fail(clientKey);
      throw new ServerError('server_unauthenticated', 'wrong user name or password');
    }
    this.loginLimiter.reset(key);
    const sessionId = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const expires = Date.now() + this.sessionTtlMs;
    this.sessions.set(sha256(sessionId), { user: u.name, csrf, expires });
    return {
      sessionId,
      csrf,
      user: u.name,
      role: u.role,
      projects: u.projects ?? ['*'],
      expiresAt: new Date(expires).toISOString(),
    };
  }

  logout(sessionId: string): void {
    this.sessions.delete(sha256(sessionId));
  }

  fromSession(sessionId: string): Principal | undefined {
    const id = sha256(sessionId);
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expires < Date.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    const u = this.users.find((x) => x.name === s.user);
    if (!u) return undefined;
    return { user: u.name, role: u.role, projects: u.projects ?? ['*'], via: 'session', csrf: s.csrf, sessionId };
  }

  fromToken(token: string): Principal | undefined {
    const d = sha256(token);
    const t = this.tokens.find((x) => x.digest === d);
    if (!t) return undefined;
    if (t.expiresAt && Date.parse(t.expiresAt) < Date.now()) return undefined;
    const u = this.users.find((x) => x.name === t.user);
    if (!u) return undefined;
    // a token never grants more than its user has now
    const role = roleAtLeast(u.role, t.role) ? t.role : u.role;
    return { user: u.name, role, projects: u.projects ?? ['*'], via: 'token', tokenId: t.id };
  }

  createToken(
    user: string,
    name: string,
    role: Role,
    expiresInSeconds?: number,
  ): { id: string; token: string; name: string; role: Role; expiresAt?: string } {
    const id = randomBytes(8).toString('hex');
    const token = `skt_${randomBytes(32).toString('base64url')}`;
    const rec: StoredToken = { id, name, user, role, digest: sha256(token), createdAt: new Date().toISOString() };
    if (expiresInSeconds !== undefined) rec.expiresAt = new Date(Date.now() + expiresInSeconds * 1000).toISOString();
    this.tokens = [...this.tokens, rec];
    writeJsonAtomic(this.tokensPath, this.tokens);
    return { id, token, name, role, ...(rec.expiresAt ? { expiresAt: rec.expiresAt } : {}) };
  }

  listTokens(user?: string): Omit<StoredToken, 'digest'>[] {
    return this.tokens.filter((t) => user === undefined || t.user === user).map(({ digest: _d, ...rest }) => rest);
  }

  tokenOwner(id: string): string | undefined {
    return this.tokens.find((t) => t.id === id)?.user;
  }

  deleteToken(id: string): boolean {
    const before = this.tokens.length;
    this.tokens = this.tokens.filter((t) => t.id !== id);
    if (this.tokens.length === before) return false;
    writeJsonAtomic(this.tokensPath, this.tokens);
    return true;
  }
}

const DUMMY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;
