// Registry credentials: explicit ones, `~/.docker/config.json` (`auths` entries, `credHelpers`,
// `credsStore`), and Docker credential helpers (`docker-credential-<name> get`). The helper runner is
// injected so this module itself never spawns processes behind the caller's back.
import { readFile } from 'node:fs/promises';
import { OciError } from '../errors.ts';
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from '../reference.ts';

export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker's identitytoken). */
  identityToken?: string;
  /** A registry token used directly as bearer. */
  registryToken?: string;
}

/** Looks up the credential for a registry host (undefined = anonymous). */
export type CredentialProvider = (registry: string) => Promise<Credential | undefined>;

/** Runs `docker-credential-<helper> get` with the server URL on stdin and returns its JSON output. */
export type HelperRunner = (
  helper: string,
  serverUrl: string,
) => Promise<{ Username?: string; Secret?: string } | undefined>;

export function staticCredentials(map: Record<string, Credential>): CredentialProvider {
  return async (registry) => map[registry];
}

interface DockerConfig {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }
  >;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Keys docker uses for a registry in config.json (Docker Hub has a legacy URL form). */
function candidateKeys(registry: string): string[] {
  if (registry === DOCKER_HUB || registry === DOCKER_HUB_API_HOST || registry === 'index.docker.io')
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

export function parseDockerConfig(text: string, file = 'config.json'): DockerConfig {
  try {
    return JSON.parse(text) as DockerConfig;
  } catch (err) {
    throw new OciError('REGISTRY_ERROR', `${file}: invalid JSON: ${(err as Error).message}`, {
      cause: err,
      location: { file, row: 1, col: 1 },
    });
  }
}

export function credentialFromConfig(cfg: DockerConfig, registry: string): Credential | { helper: string } | undefined {
  const keys = candidateKeys(registry);
  for (const k of keys) {
    const helper = cfg.credHelpers?.[k];
    if (helper) return { helper };
  }
  for (const k of keys) {
    const a = cfg.auths?.[k];
    if (!a) continue;
    const c: Credential = {};
    if (a.auth) {
      const dec = Buffer.from(a.auth, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i < 0) throw new OciError('REGISTRY_ERROR', `config.json: auth for ${k} is not base64 user:password`);
      c.username = dec.slice(0, i);
      c.password = dec.slice(i + 1);
    }
    if (a.username !== undefined) c.username = a.username;
    if (a.password !== undefined) c.password = a.password;
    if (a.identitytoken) c.identityToken = a.identitytoken;
    if (a.registrytoken) c.registryToken = a.registrytoken;
    if (Object.keys(c).length > 0) return c;
  }
  if (cfg.credsStore) return { helper: cfg.credsStore };
  return undefined;
}

/** Credentials from a docker config file, asking helpers through `runHelper` where configured. */
export function dockerConfigCredentials(path: string, runHelper?: HelperRunner): CredentialProvider {
  let cfg: Promise<DockerConfig | undefined> | undefined;
  return async (registry) => {
    cfg ??= readFile(path, 'utf8').then(
      (t) => parseDockerConfig(t, path),
      () => undefined,
    );
    const c = await cfg;
    if (!c) return undefined;
    const found = credentialFromConfig(c, registry);
    if (!found) return undefined;
    if ('helper' in found) {
      if (!runHelper) return undefined;
      const server =
        registry === DOCKER_HUB || registry === DOCKER_HUB_API_HOST ? 'https://index.docker.io/v1/' : registry;
      const out = await runHelper(found.helper, server);
      if (!out || !out.Secret) return undefined;
      return out.Username === '<token>'
        ? { identityToken: out.Secret }
        : { username: out.Username ?? '', password: out.Secret };
    }
    return found;
  };
}

/** Tries providers in order. */
export function chainCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return async (registry) => {
    for (const p of providers) {
      const c = await p(registry);
      if (c) return c;
    }
    return undefined;
  };
}
