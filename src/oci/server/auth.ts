// Authentication and authorisation for the embedded registry: htpasswd (bcrypt) users, either checked on
// every request (basic) or exchanged at the token endpoint for a short-lived bearer token (HS256 JWT)
// carrying per-repository actions, as Docker's token protocol defines.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { OciError } from '../errors.ts';

export type Action = 'pull' | 'push' | 'delete';
export const ALL_ACTIONS: readonly Action[] = ['pull', 'push', 'delete'];

export interface AccessRule {
  /** A user name, `*` for every authenticated user, or `anonymous`. */
  account: string;
  /** A repository name or a glob with `*` (any run of characters, `/` included). */
  repository: string;
  actions: Action[];
}

export interface AuthOptions {
  mode: 'basic' | 'token';
  /** user -> bcrypt hash (from an htpasswd file). */
  users: Map<string, string>;
  /** Who may do what; default: every authenticated user may do everything. */
  rules?: AccessRule[];
  /** Secret that signs tokens (random per process unless given). */
  tokenSecret?: Buffer;
  tokenTtlSeconds?: number;
  /** The `service` name in challenges and tokens. */
  service?: string;
}

export interface Scope {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}

export function parseHtpasswd(text: string, file = 'htpasswd'): Map<string, string> {
  const users = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !/^\$2[abxy]\$\d\d\$/.test(hash)) {
      throw new OciError('REGISTRY_ERROR', `only bcrypt entries (user:$2y$...) are supported`, {
        location: { file, row: i + 1, col: 1 },
      });
    }
    users.set(line.slice(0, colon), hash);
  });
  return users;
}

/** Makes an htpasswd line with a bcrypt hash (cost 10, `$2y$` like `htpasswd -B`). */
export function htpasswdLine(user: string, password: string, cost = 10): string {
  const h = bcrypt.hashSync(password, cost).replace(/^\$2[ab]\$/, '$2y$');
  return `${user}:${h}`;
}

export function parseScope(s: string): Scope | null {
  // repository:name:actions — the name may itself contain ':' only with a port-less registry, so split
  // from both ends
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last === first) return null;
  const type = s.slice(0, first);
  if (type !== 'repository' && type !== 'registry') return null;
  return {
    type,
    name: s.slice(first + 1, last),
    actions: s
      .slice(last + 1)
      .split(',')
      .filter((a) => a !== ''),
  };
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    '^' +
      glob
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
}

function b64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url');
}

export interface Principal {
  /** User name, or undefined for anonymous. */
  account?: string;
  /** For bearer tokens: what the token grants. */
  granted?: Scope[];
}

export class RegistryAuth {
  readonly options: AuthOptions;
  private readonly secret: Buffer;
  private readonly verified = new Map<string, number>();

  constructor(options: AuthOptions) {
    this.options = options;
    this.secret = options.tokenSecret ?? randomBytes(32);
  }

  get service(): string {
    return this.options.service ?? 'sekisho-registry';
  }

  /** Checks a user's password (bcrypt), caching successes briefly so each request does not pay bcrypt. */
  async checkPassword(user: string, password: string): Promise<boolean> {
    const hash = this.options.users.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return true;
    const ok = await bcrypt.compare(password, hash.replace(/^\$2[xy]\$/, '$2a$'));
    if (ok) this.verified.set(key, Date.now() + 60_000);
    return ok;
  }

  /** What the rules allow `account` (undefined = anonymous) to do on a repository. */
  allowedActions(account: string | undefined, repository: string): Action[] {
    const rules = this.options.rules ?? [{ account: '*', repository: '*', actions: [...ALL_ACTIONS] }];
    const out = new Set<Action>();
    for (const r of rules) {
      const who =
        r.account === 'anonymous'
          ? account === undefined
          : r.account === '*'
            ? account !== undefined
            : r.account === account;
      if (!who || !globToRegExp(r.repository).test(repository)) continue;
      for (const a of r.actions) out.add(a);
    }
    return [...out];
  }

  /** Parses the Authorization header; throws UNAUTHORIZED for bad credentials. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) return {};
    const sp = header.indexOf(' ');
    const scheme = header.slice(0, sp).toLowerCase();
    const value = header.slice(sp + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = decoded.slice(0, colon);
      if (colon < 0 || !(await this.checkPassword(user, decoded.slice(colon + 1)))) {
        throw new OciError('UNAUTHORIZED', 'invalid username or password');
      }
      return { account: user };
    }
    if (scheme === 'bearer' && this.options.mode === 'token') return this.verifyToken(value);
    throw new OciError('UNAUTHORIZED', `unsupported authorization scheme ${scheme}`);
  }

  /** Whether a principal may perform `action` on `repository`. */
  permits(p: Principal, repository: string, action: Action): boolean {
    if (p.granted) {
      return p.granted.some(
        (s) =>
          s.type === 'repository' && s.name === repository && (s.actions.includes(action) || s.actions.includes('*')),
      );
    }
    if (this.options.mode === 'token' && p.account !== undefined) return false; // basic creds must be exchanged for a token
    return this.allowedActions(p.account, repository).includes(action);
  }

  challenge(realm: string, scopes: Scope[]): string {
    if (this.options.mode === 'basic') return `Basic realm="${this.service}"`;
    let h = `Bearer realm="${realm}",service="${this.service}"`;
    if (scopes.length > 0) h += `,scope="${scopes.map((s) => `${s.type}:${s.name}:${s.actions.join(',')}`).join(' ')}"`;
    return h;
  }

  /** Issues a token for the requested scopes, granting only what the rules allow. */
  issueToken(
    account: string | undefined,
    requested: Scope[],
    now = Date.now(),
  ): { token: string; expiresIn: number; issuedAt: string } {
    const access: Scope[] = [];
    for (const s of requested) {
      if (s.type === 'repository') {
        const allowed = this.allowedActions(account, s.name);
        const wanted = s.actions.flatMap((a) => (a === '*' ? [...ALL_ACTIONS] : [a]));
        const granted = wanted.filter((a): a is Action => (allowed as string[]).includes(a));
        access.push({ type: 'repository', name: s.name, actions: [...new Set(granted)] });
      } else if (s.type === 'registry' && s.name === 'catalog' && account !== undefined) {
        access.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      }
    }
    const ttl = this.options.tokenTtlSeconds ?? 300;
    const iat = Math.floor(now / 1000);
    const payload = {
      iss: this.service,
      sub: account ?? '',
      aud: this.service,
      iat,
      nbf: iat - 5,
      exp: iat + ttl,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(payload));
    const sig = b64url(createHmac('sha256', this.secret).update(`${head}.${body}`).digest());
    return { token: `${head}.${body}.${sig}`, expiresIn: ttl, issuedAt: new Date(iat * 1000).toISOString() };
  }

  verifyToken(token: string, now = Date.now()): Principal {
    const parts = token.split('.');
    if (parts.length !== 3) throw new OciError('UNAUTHORIZED', 'malformed bearer token');
    const [head, body, sig] = parts as [string, string, string];
    const want = createHmac('sha256', this.secret).update(`${head}.${body}`).digest();
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want))
      throw new OciError('UNAUTHORIZED', 'bad token signature');
    let payload: { sub?: string; exp?: number; nbf?: number; aud?: string; access?: Scope[] };
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof payload;
    } catch {
      throw new OciError('UNAUTHORIZED', 'malformed bearer token');
    }
    const t = Math.floor(now / 1000);
    if (typeof payload.exp !== 'number' || payload.exp < t) throw new OciError('UNAUTHORIZED', 'token expired');
    if (payload.aud !== this.service) throw new OciError('UNAUTHORIZED', 'token is for another service');
    const p: Principal = { granted: Array.isArray(payload.access) ? payload.access : [] };
    if (payload.sub) p.account = payload.sub;
    return p;
  }
}
