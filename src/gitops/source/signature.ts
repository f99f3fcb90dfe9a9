// Signed-commit verification as Argo CD does it: an AppProject with `spec.signatureKeys` only syncs
// revisions whose commit (or annotated tag, when the revision names one) carries a good signature by one of
// those keys. Public keys come from the ConfigMap `argocd-gpg-keys-cm` (Argo CD's name; key ID →
// ASCII-armored OpenPGP key). As our extension, entries holding `ssh-ed25519 AAAA…` (or allowed-signers
// lines) are SSH keys for git's gpg.format=ssh signatures; their ID is the ConfigMap key or the key's
// `SHA256:` fingerprint. The check runs `git verify-commit --raw` / `git verify-tag --raw` with a private
// GNUPGHOME that holds only the configured keys and an allowed-signers file built from the SSH entries.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitOpsError } from '../errors.ts';
import type { ProcessRunner } from '../process.ts';

export const GPG_KEYS_CONFIGMAP = 'argocd-gpg-keys-cm';

export interface SshKey {
  /** the ConfigMap key the line came from (used as the signer's principal) */
  name: string;
  /** `<keytype> <base64>` */
  key: string;
  /** `SHA256:<base64 without padding>`, as ssh-keygen -l prints it */
  fingerprint: string;
}

export interface Keyring {
  gpg: { name: string; armored: string }[];
  ssh: SshKey[];
  /** identifies the keyring's content (the GNUPGHOME built for it is reused) */
  hash: string;
}

const SSH_KEYTYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

export function sshFingerprint(base64: string): string {
  return 'SHA256:' + createHash('sha256').update(Buffer.from(base64, 'base64')).digest('base64').replace(/=+$/, '');
}

/** Reads the keys of the ConfigMap's data: armored OpenPGP blocks and SSH public keys / allowed-signers lines. */
export function parseKeyring(data: Record<string, string> | undefined): Keyring {
  const gpg: Keyring['gpg'] = [];
  const ssh: SshKey[] = [];
  for (const [name, value] of Object.entries(data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (value.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
      gpg.push({ name, armored: value });
      continue;
    }
    for (const line of value.split('\n')) {
      const words = line.trim().split(/\s+/);
      if (!words[0] || words[0].startsWith('#')) continue;
      const i = words.findIndex((w) => SSH_KEYTYPE.test(w));
      const b64 = i >= 0 ? words[i + 1] : undefined;
      if (!b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
      ssh.push({ name, key: `${words[i]} ${b64}`, fingerprint: sshFingerprint(b64) });
    }
  }
  const hash = createHash('sha256')
    .update(JSON.stringify([gpg, ssh.map((k) => [k.name, k.key])]))
    .digest('hex')
    .slice(0, 16);
  return { gpg, ssh, hash };
}

export type SignatureResult =
  | { kind: 'unsigned' }
  | { kind: 'good'; format: 'gpg' | 'ssh'; cipher: string; keyId: string; ids: string[] }
  | { kind: 'unknown'; format: 'gpg' | 'ssh'; keyId: string }
  | { kind: 'bad'; format: 'gpg' | 'ssh'; cipher: string; keyId: string; message: string };

/** What the verifier needs from the git cache: the raw object and the verify command, in the cache repo. */
export interface SignedObjectSource {
  catFile(repoURL: string, type: 'commit' | 'tag', rev: string): Promise<string>;
  verify(
    repoURL: string,
    what: 'commit' | 'tag',
    rev: string,
    env: Record<string, string>,
    config: string[],
  ): Promise<{ code: number; output: string }>;
}

const PGP_ALGO: Record<string, string> = {
  '1': 'RSA',
  '3': 'RSA',
  '16': 'ElGamal',
  '17': 'DSA',
  '18': 'ECDH',
  '19': 'ECDSA',
  '22': 'EdDSA',
};

/** Parses gpg's status lines (`[GNUPG:] GOODSIG|VALIDSIG|BADSIG|ERRSIG|NO_PUBKEY|EXPKEYSIG|REVKEYSIG …`). */
export function parseGpgStatus(output: string): SignatureResult {
  const st = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    const m = /^\[GNUPG:\] (\S+)(?: (.*))?$/.exec(line.trim());
    if (m && !st.has(m[1]!)) st.set(m[1]!, (m[2] ?? '').split(' '));
  }
  const valid = st.get('VALIDSIG');
  const good = st.get('GOODSIG');
  if (good && valid) {
    const fpr = valid[0]!.toUpperCase();
    const primary = (valid[9] ?? fpr).toUpperCase();
    return {
      kind: 'good',
      format: 'gpg',
      cipher: PGP_ALGO[valid[6] ?? ''] ?? `algorithm ${valid[6] ?? '?'}`,
      keyId: good[0]!.toUpperCase(),
      ids: [fpr, primary, good[0]!.toUpperCase()],
    };
  }
  for (const [tag, why] of [
    ['BADSIG', 'bad signature'],
    ['EXPKEYSIG', 'signed with an expired key'],
    ['REVKEYSIG', 'signed with a revoked key'],
    ['EXPSIG', 'the signature has expired'],
  ] as const) {
    const s = st.get(tag);
    if (s)
      return {
        kind: 'bad',
        format: 'gpg',
        cipher: PGP_ALGO[valid?.[6] ?? ''] ?? 'unknown',
        keyId: (s[0] ?? '').toUpperCase(),
        message: why,
      };
  }
  const err = st.get('ERRSIG') ?? st.get('NO_PUBKEY');
  if (err && (st.has('NO_PUBKEY') || err[5] === '9'))
    return { kind: 'unknown', format: 'gpg', keyId: (err[0] ?? '').toUpperCase() };
  if (err)
    return {
      kind: 'bad',
      format: 'gpg',
      cipher: PGP_ALGO[err[1] ?? ''] ?? 'unknown',
      keyId: (err[0] ?? '').toUpperCase(),
      message: `signature could not be checked (error ${err[5] ?? '?'})`,
    };
  return { kind: 'bad', format: 'gpg', cipher: 'unknown', keyId: 'unknown', message: 'no signature status from gpg' };
}

/** Parses git's SSH verification output (ssh-keygen -Y verify / check-novalidate). */
export function parseSshOutput(code: number, output: string, keyring: Keyring): SignatureResult {
  const fp = /key (SHA256:[A-Za-z0-9+/]+)/.exec(output)?.[1];
  const cipher = /with (\S+) key SHA256:/.exec(output)?.[1] ?? 'SSH';
  const good = /Good "git" signature for (.+?) with \S+ key (SHA256:\S+)/.exec(output);
  if (code === 0 && good) {
    const known = keyring.ssh.filter((k) => k.fingerprint === good[2]);
    return {
      kind: 'good',
      format: 'ssh',
      cipher,
      keyId: good[2]!,
      ids: [good[2]!, ...known.map((k) => k.name)],
    };
  }
  if (fp && !keyring.ssh.some((k) => k.fingerprint === fp)) return { kind: 'unknown', format: 'ssh', keyId: fp };
  if (/No principal matched|not in allowed signers|no matching principal/i.test(output) && fp)
    return { kind: 'unknown', format: 'ssh', keyId: fp };
  return {
    kind: 'bad',
    format: 'ssh',
    cipher,
    keyId: fp ?? 'unknown',
    message: output.trim().split('\n').filter(Boolean).pop() ?? `verification failed (exit code ${code})`,
  };
}

/** The key IDs as a project lists them: upper-case hex without 0x or spaces; SSH fingerprints and names as is. */
function normId(id: string): string {
  const t = id.trim().replace(/\s+/g, '');
  return /^(0x)?[0-9a-fA-F]+$/.test(t) ? t.replace(/^0x/i, '').toUpperCase() : t;
}

/** Whether a project key ID names the signer: a fingerprint, long (16) or short (8) key ID of the signing key
 * or its primary key for OpenPGP; the `SHA256:` fingerprint or the ConfigMap key name for SSH. */
export function keyAllowed(allowed: string, result: Extract<SignatureResult, { kind: 'good' }>): boolean {
  const a = normId(allowed);
  if (!a) return false;
  if (result.format === 'ssh') return result.ids.includes(a);
  if (!/^[0-9A-F]+$/.test(a) || ![8, 16, 40, 64].includes(a.length)) return false;
  return result.ids.some((id) => id.endsWith(a));
}

/** The ComparisonError message for a revision, or undefined when a configured key signed it. */
export function signatureProblem(
  result: SignatureResult,
  revision: string,
  signatureKeys: { keyID: string }[],
): string | undefined {
  switch (result.kind) {
    case 'unsigned':
      return `Target revision ${revision} in Git is not signed, but a signature is required`;
    case 'unknown':
      return `Target revision ${revision} in Git is signed with key ${result.keyId}, which is not in the keyring`;
    case 'bad':
      return `Found signature made with ${result.cipher} key ${result.keyId}, but verification result was invalid: '${result.message}'`;
    case 'good':
      if (signatureKeys.some((k) => keyAllowed(k.keyID, result))) return undefined;
      return `Found good signature made with ${result.cipher} key ${result.keyId}, but this key is not allowed in AppProject`;
  }
}

export interface SignatureVerifierOptions {
  /** where the private GNUPGHOMEs live (one per keyring content) */
  dir: string;
  run: ProcessRunner;
  gpg?: string;
}

/** Verifies commit and tag signatures against a keyring; results are cached per object and keyring. */
export class SignatureVerifier {
  private readonly homes = new Map<string, Promise<{ gnupgHome: string; allowedSigners: string }>>();
  private readonly results = new Map<string, SignatureResult>();
  private readonly gpg: string;

  constructor(private readonly o: SignatureVerifierOptions) {
    this.gpg = o.gpg ?? 'gpg';
  }

  private home(keyring: Keyring): Promise<{ gnupgHome: string; allowedSigners: string }> {
    let p = this.homes.get(keyring.hash);
    if (!p) {
      p = this.build(keyring);
      this.homes.set(keyring.hash, p);
      p.catch(() => this.homes.delete(keyring.hash));
    }
    return p;
  }

  private async build(keyring: Keyring): Promise<{ gnupgHome: string; allowedSigners: string }> {
    const dir = join(this.o.dir, keyring.hash);
    const gnupgHome = join(dir, 'gnupg');
    const allowedSigners = join(dir, 'allowed_signers');
    if (existsSync(join(dir, '.complete'))) return { gnupgHome, allowedSigners };
    const tmp = dir + '.tmp' + process.pid;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, 'gnupg'), { recursive: true });
    chmodSync(join(tmp, 'gnupg'), 0o700);
    for (const k of keyring.gpg) {
      const r = await this.o.run(this.gpg, ['--homedir', join(tmp, 'gnupg'), '--batch', '--quiet', '--import'], {
        input: k.armored,
      });
      if (r.code !== 0)
        throw new GitOpsError(
          'gitops_signature_invalid',
          `${GPG_KEYS_CONFIGMAP}: the key "${k.name}" could not be imported: ${r.stderr.trim()}`,
        );
    }
    writeFileSync(
      join(tmp, 'allowed_signers'),
      keyring.ssh.map((k) => `${k.name} namespaces="git" ${k.key}\n`).join(''),
    );
    writeFileSync(join(tmp, '.complete'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { gnupgHome, allowedSigners };
  }

  /** The public-key algorithm of a key in the keyring (BADSIG names only the key), as gpg numbers map to names. */
  private async algorithm(gnupgHome: string, keyId: string): Promise<string> {
    const r = await this.o.run(this.gpg, ['--homedir', gnupgHome, '--batch', '--with-colons', '--list-keys', keyId]);
    if (r.code !== 0) return 'unknown';
    // pub/sub lines: type:validity:length:algorithm:keyid:…; the line of the signing key (or the primary)
    const lines = r.stdout
      .toString('utf8')
      .split('\n')
      .map((l) => l.split(':'));
    const line =
      lines.find((f) => (f[0] === 'pub' || f[0] === 'sub') && f[4]?.toUpperCase() === keyId) ??
      lines.find((f) => f[0] === 'pub');
    return PGP_ALGO[line?.[3] ?? ''] ?? 'unknown';
  }

  /** Verifies the commit `sha`, or the annotated tag `tag` (its refs/tags/ name and object id) when given. */
  async verify(
    src: SignedObjectSource,
    repoURL: string,
    sha: string,
    tag: { name: string; object: string } | undefined,
    keyring: Keyring,
  ): Promise<SignatureResult> {
    const key = `${repoURL}\0${sha}\0${tag?.object ?? ''}\0${keyring.hash}`;
    const hit = this.results.get(key);
    if (hit) return hit;
    const what = tag ? 'tag' : 'commit';
    const rev = tag?.name ?? sha;
    const raw = await src.catFile(repoURL, what, rev);
    const sshSig = raw.includes('-----BEGIN SSH SIGNATURE-----');
    const signed = tag
      ? /-----BEGIN (PGP|SSH) SIGNATURE-----/.test(raw)
      : /^gpgsig(-sha256)? /m.test(raw.slice(0, raw.indexOf('\n\n') < 0 ? raw.length : raw.indexOf('\n\n')));
    let result: SignatureResult;
    if (!signed) result = { kind: 'unsigned' };
    else {
      const { gnupgHome, allowedSigners } = await this.home(keyring);
      const r = await src.verify(repoURL, what, rev, { GNUPGHOME: gnupgHome }, [
        `gpg.program=${this.gpg}`,
        `gpg.ssh.allowedSignersFile=${allowedSigners}`,
      ]);
      result = sshSig ? parseSshOutput(r.code, r.output, keyring) : parseGpgStatus(r.output);
      if (result.kind === 'bad' && result.format === 'gpg' && result.cipher === 'unknown')
        result = { ...result, cipher: await this.algorithm(gnupgHome, result.keyId) };
      if (result.kind === 'good' && r.code !== 0)
        result = { ...result, kind: 'bad', message: `git verify-${what} exited with ${r.code}` } as SignatureResult;
    }
    this.results.set(key, result);
    return result;
  }
}
