// End-to-end: signed-commit verification (AppProject signatureKeys, keys in the ConfigMap argocd-gpg-keys-cm)
// with real gpg keys generated here (batch parameter file, no passphrase, temp GNUPGHOME) and a real
// ssh-keygen key for git's SSH signatures, against the sandbox.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_VERSION, startController, type Application, type Controller } from '../../src/gitops/index.ts';
import { application, configMap, Repo, startEnv, waitApp, type Env } from './helpers.ts';

const IN_CLUSTER = 'https://kubernetes.default.svc';

function need(bin: string, args: string[]): void {
  const r = spawnSync(bin, args, { stdio: 'ignore' });
  if (r.error) throw new Error(`${bin} is required by the signed-commit tests (apt-get install gnupg openssh-client)`);
}

interface GpgKey {
  fingerprint: string;
  longId: string;
  armored: string;
}

describe('gitops signed-commit verification against the sandbox', () => {
  let env: Env;
  let ctl: Controller;
  let gnupg: string;
  const keys: Record<string, GpgKey> = {};
  let sshKey: string;
  let sshPub: string;

  const gpg = (...args: string[]) =>
    execFileSync('gpg', ['--homedir', gnupg, '--batch', ...args], {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });

  const genKey = (name: string): GpgKey => {
    const params = join(gnupg, '..', `${name}.params`);
    writeFileSync(
      params,
      `%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nName-Real: ${name}\nName-Email: ${name}@example.com\nExpire-Date: 0\n%commit\n`,
    );
    gpg('--gen-key', params);
    const colons = gpg('--with-colons', '--list-keys', `${name}@example.com`);
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
    return { fingerprint, longId: fingerprint.slice(24), armored: gpg('--armor', '--export', fingerprint) };
  };

  /** commits the working tree signed as `who` (a gpg key name, 'ssh' for the SSH key, undefined: unsigned) */
  const commit = (repo: Repo, message: string, who?: string): string => {
    repo.git('add', '-A');
    const sign =
      who === 'ssh'
        ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${sshKey}`, 'commit', '-S']
        : who
          ? ['-c', `user.signingkey=${keys[who]!.fingerprint}`, 'commit', '-S']
          : ['commit'];
    execFileSync('git', [...sign, '--quiet', '--allow-empty', '-m', message], {
      cwd: repo.dir,
      env: { ...process.env, GNUPGHOME: gnupg },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return repo.git('rev-parse', 'HEAD');
  };

  before(async () => {
    need('gpg', ['--version']);
    need('ssh-keygen', ['-?']);
    env = await startEnv();
    gnupg = join(env.dir, 'signer', 'gnupg');
    mkdirSync(gnupg, { recursive: true, mode: 0o700 });
    for (const n of ['alice', 'mallory', 'eve']) keys[n] = genKey(n);
    sshKey = join(env.dir, 'signer', 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob', '-f', sshKey]);
    sshPub = readFileSync(sshKey + '.pub', 'utf8').trim();
    ctl = await startController({
      client: env.client,
      dataDir: join(env.dir, 'controller'),
      resync: 1000,
      waitTimeoutMs: 20_000,
    });
    const ns = ctl.namespace;
    // the keyring: alice and mallory (OpenPGP) and bob (SSH); eve is in no keyring
    await env.client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-gpg-keys-cm', namespace: ns },
      data: {
        [keys.alice!.longId]: keys.alice!.armored,
        [keys.mallory!.longId]: keys.mallory!.armored,
        'bob-ssh': sshPub,
      },
    });
    // the project trusts alice (by long key id) and bob (by the ConfigMap name of his SSH key)
    await env.client.create({
      apiVersion: API_VERSION,
      kind: 'AppProject',
      metadata: { name: 'signed', namespace: ns },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        signatureKeys: [{ keyID: keys.alice!.longId }, { keyID: 'bob-ssh' }],
      },
    });
  });
  after(async () => {
    // the signer's gpg-agent (started by key generation) goes before its home directory does
    if (gnupg) spawnSync('gpgconf', ['--homedir', gnupg, '--kill', 'all'], { stdio: 'ignore' });
    await ctl?.close();
    await env?.close();
  });

  const comparisonError = (a: Application) => a.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message;

  it('syncs signed commits of trusted keys only, keeping the last synced state otherwise', async () => {
    const ns = ctl.namespace;
    const repo = new Repo(env.dir, 'signed');
    const color = async () =>
      ((await env.client.get('v1', 'ConfigMap', 'settings', 'signed')).data as Record<string, string>).color;

    repo.write('cm.yaml', configMap('settings', { color: 'blue' }));
    const rev1 = commit(repo, 'first', 'alice');
    await env.client.create(
      application('signed', ns, {
        project: 'signed',
        source: { repoURL: repo.url, path: '.', targetRevision: 'main' },
        destination: { server: IN_CLUSTER, namespace: 'signed' },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    await waitApp(
      env.client,
      ns,
      'signed',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.revision === rev1,
      'sync of a commit signed by alice',
    );
    assert.equal(await color(), 'blue');

    const refused = async (value: string, who: string | undefined, expected: string) => {
      repo.write('cm.yaml', configMap('settings', { color: value }));
      const sha = commit(repo, value, who);
      ctl.refresh(ns, 'signed');
      const want = expected.replace('<sha>', sha);
      const a = await waitApp(
        env.client,
        ns,
        'signed',
        (x) => comparisonError(x) === want,
        `ComparisonError for ${who ?? 'unsigned'} commit: ${want}`,
      );
      assert.equal(a.status?.operationState?.syncResult?.revision, rev1);
      assert.equal(await color(), 'blue', 'the last synced state stays');
      return sha;
    };
    await refused('red', undefined, 'Target revision <sha> in Git is not signed, but a signature is required');
    await refused(
      'green',
      'mallory',
      `Found good signature made with EdDSA key ${keys.mallory!.longId}, but this key is not allowed in AppProject`,
    );
    await refused(
      'black',
      'eve',
      `Target revision <sha> in Git is signed with key ${keys.eve!.longId}, which is not in the keyring`,
    );

    // a commit whose content no longer matches alice's signature (the message changed after signing)
    repo.write('cm.yaml', configMap('settings', { color: 'grey' }));
    const signed = commit(repo, 'grey', 'alice');
    const raw = repo.git('cat-file', 'commit', signed).replace(/\ngrey$/, '\ngrey, tampered');
    const tampered = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], {
      cwd: repo.dir,
      input: raw + '\n',
      encoding: 'utf8',
    }).trim();
    repo.git('update-ref', 'refs/heads/main', tampered);
    ctl.refresh(ns, 'signed');
    const bad = `Found signature made with EdDSA key ${keys.alice!.longId}, but verification result was invalid: 'bad signature'`;
    const a = await waitApp(env.client, ns, 'signed', (x) => comparisonError(x) === bad, `ComparisonError: ${bad}`);
    assert.equal(a.status?.operationState?.syncResult?.revision, rev1);
    assert.equal(await color(), 'blue');

    // a later commit signed by a trusted key syncs again: OpenPGP (alice), then SSH (bob)
    repo.write('cm.yaml', configMap('settings', { color: 'white' }));
    const rev2 = commit(repo, 'white', 'alice');
    ctl.refresh(ns, 'signed');
    await waitApp(
      env.client,
      ns,
      'signed',
      (a) =>
        a.status?.operationState?.phase === 'Succeeded' &&
        a.status.operationState.syncResult?.revision === rev2 &&
        !comparisonError(a),
      'sync of a later commit signed by alice',
    );
    assert.equal(await color(), 'white');

    repo.write('cm.yaml', configMap('settings', { color: 'yellow' }));
    const rev3 = commit(repo, 'yellow', 'ssh');
    ctl.refresh(ns, 'signed');
    await waitApp(
      env.client,
      ns,
      'signed',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.syncResult?.revision === rev3,
      'sync of a commit with an SSH signature by bob',
    );
    assert.equal(await color(), 'yellow');
  });

  it('verifies the annotated tag when the target revision is one', async () => {
    const ns = ctl.namespace;
    const repo = new Repo(env.dir, 'tagged');
    repo.write('cm.yaml', configMap('tagged', { v: '1' }));
    commit(repo, 'unsigned commit');
    // an unsigned annotated tag on an unsigned commit is refused
    repo.git('tag', '-a', '-m', 'v1', 'v1');
    await env.client.create(
      application('tagged', ns, {
        project: 'signed',
        source: { repoURL: repo.url, path: '.', targetRevision: 'v1' },
        destination: { server: IN_CLUSTER, namespace: 'tagged' },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    const a = await waitApp(
      env.client,
      ns,
      'tagged',
      (x) => !!comparisonError(x),
      'ComparisonError for an unsigned tag',
    );
    assert.match(comparisonError(a)!, /is not signed, but a signature is required/);
    // the same commit under a tag signed by alice syncs
    execFileSync('git', ['-c', `user.signingkey=${keys.alice!.fingerprint}`, 'tag', '-s', '-f', '-m', 'v1', 'v1'], {
      cwd: repo.dir,
      env: { ...process.env, GNUPGHOME: gnupg },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ctl.refresh(ns, 'tagged');
    await waitApp(
      env.client,
      ns,
      'tagged',
      (x) => x.status?.operationState?.phase === 'Succeeded' && !comparisonError(x),
      'sync of a signed tag',
    );
    assert.equal(((await env.client.get('v1', 'ConfigMap', 'tagged', 'tagged')).data as Record<string, string>).v, '1');
  });
});
