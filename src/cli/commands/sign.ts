// `sekisho key generate`, `sekisho sign`, `sekisho verify`, `sekisho manifest sign|verify`: cosign's
// key-based flow and k8s-manifest-sigstore's manifest annotations. Verification failures print
// `Error: ...` and exit 1, as cosign does.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { stdin, stderr } from 'node:process';
import type { Command } from 'commander';
import {
  RegistryClient,
  dockerConfigCredentials,
  parseReference,
  referenceTarget,
  registryApiHost,
  formatReference,
} from '../../oci/index.ts';
import {
  SignError,
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  attestImage,
  verifyAttestations,
  requireManifestVerified,
  requireSigned,
  signImage,
  signImageBundle,
  signManifest,
  verifyManifest,
  verifyImage,
  compileAttestationPolicy,
  resolvePublicKey,
  K8S_KEY_PREFIX,
  attestStatement,
  signStatement,
  PREDICATE_TYPE_SHORTHANDS,
  pushManifestBundle,
  verifyManifestBundle,
  type ManifestFile,
  type DsseEnvelope,
  type ImageTarget,
  type InTotoStatement,
  type Signer,
} from '../../sign/index.ts';
import type { KeyObject } from 'node:crypto';
import { KubeClient, KubeError } from '../../kube/index.ts';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';

/** Reads a password with echo off from the TTY. */
async function promptPassword(prompt: string): Promise<string> {
  if (!stdin.isTTY) throw new SignError('KEY_PASSWORD', 'no COSIGN_PASSWORD set and stdin is not a terminal');
  stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let pw = '';
  try {
    for await (const chunk of stdin) {
      for (const ch of (chunk as Buffer).toString('utf8')) {
        if (ch === '\r' || ch === '\n') return pw;
        if (ch === '\u0003') throw new SignError('KEY_PASSWORD', 'interrupted');
        if (ch === '\u007f') pw = pw.slice(0, -1);
        else pw += ch;
      }
    }
    return pw;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stderr.write('\n');
  }
}

async function password(confirm: boolean): Promise<Buffer> {
  const env = process.env.COSIGN_PASSWORD;
  if (env !== undefined) return Buffer.from(env);
  const pw = await promptPassword('Enter password for private key: ');
  if (confirm) {
    const again = await promptPassword('Enter password for private key again: ');
    if (again !== pw) throw new SignError('KEY_PASSWORD', 'passwords do not match');
  }
  return Buffer.from(pw);
}

function readKeyFile(path: string): string {
  if (path.startsWith('env://')) {
    const v = process.env[path.slice(6)];
    if (v === undefined) throw new SignError('KEY_INVALID', `environment variable ${path.slice(6)} is not set`);
    return v;
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new SignError('KEY_INVALID', `${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Public keys for verification: files, `env://VAR`, or `k8s://namespace/secret` (its `cosign.pub`, read with
 * the current kubeconfig: KUBECONFIG or ~/.kube/config, as cosign does).
 */
async function publicKeys(refs: string[]): Promise<KeyObject[]> {
  let client: KubeClient | undefined;
  try {
    const out: KeyObject[] = [];
    for (const ref of refs) {
      if (!ref.startsWith(K8S_KEY_PREFIX)) {
        out.push(loadPublicKey(readKeyFile(ref), ref));
        continue;
      }
      client ??= await KubeClient.fromKubeconfig({}).catch((err: unknown) => {
        throw new SignError('KEY_INVALID', `${ref}: ${(err as Error).message}`, { cause: err });
      });
      const c = client;
      out.push(
        await resolvePublicKey(ref, {
          readSecret: async (namespace, name) => {
            try {
              const sec = (await c.get('v1', 'Secret', name, namespace)) as { data?: Record<string, string> };
              return Object.fromEntries(
                Object.entries(sec.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
              );
            } catch (err) {
              if (err instanceof KubeError && err.status === 404) return undefined;
              throw err;
            }
          },
        }),
      );
    }
    return out;
  } finally {
    client?.close();
  }
}

/** The signer a `--key` names, its password from COSIGN_PASSWORD or a prompt (shared with build and scan). */
export async function loadSigner(keyRef: string): Promise<Signer> {
  const pem = readKeyFile(keyRef);
  const pw = /ENCRYPTED/.test(pem) ? await password(false) : Buffer.alloc(0);
  return loadPrivateKey(pem, pw, keyRef);
}

/** A registry target for an image reference, with Docker's config.json credentials (shared with build and scan). */
export function target(image: string, insecure: boolean | undefined): { t: ImageTarget; display: string } {
  const r = parseReference(image);
  const host = registryApiHost(r.registry);
  const configDir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  const client = new RegistryClient({
    host,
    ...(insecure ? { scheme: 'http' as const } : {}),
    credentials: dockerConfigCredentials(join(configDir, 'config.json')),
  });
  return {
    t: { client, registry: r.registry, repository: r.repository, ref: referenceTarget(r) },
    display: formatReference(r),
  };
}

/** Attaches a statement to an image: under `.att`, or as a Sigstore bundle referrer; says where. */
export async function attachStatement(
  t: ImageTarget,
  signer: Signer,
  statement: InTotoStatement,
  bundle: boolean,
): Promise<string> {
  if (bundle) {
    const b = await signImageBundle(t, signer, { statement });
    return `${t.registry}/${t.repository}@${b.referrer} (Sigstore bundle referrer of ${b.digest})`;
  }
  const r = await attestStatement(t, signer, statement);
  return `${t.registry}/${t.repository}:${r.tag} (${r.count} attestation${r.count === 1 ? '' : 's'})`;
}

/** Attests a predicate about an image: under `.att`, or as a Sigstore bundle referrer; says where. */
export async function attachPredicate(
  t: ImageTarget,
  signer: Signer,
  predicateType: string,
  predicate: unknown,
  bundle: boolean,
): Promise<string> {
  if (bundle) {
    const b = await signImageBundle(t, signer, { predicateType, predicate });
    return `${t.registry}/${t.repository}@${b.referrer} (Sigstore bundle referrer of ${b.digest})`;
  }
  const r = await attestImage(t, signer, predicateType, predicate);
  return `${t.registry}/${t.repository}:${r.tag} (${r.count} attestation${r.count === 1 ? '' : 's'})`;
}

/** Signs a statement into a DSSE envelope (for provenance files). */
export function dsseStatement(statement: InTotoStatement, signer: Signer): DsseEnvelope {
  return signStatement(statement, signer);
}

/** The regular files under a directory (dotfiles and dot-directories skipped); symlinks are refused. */
function readManifestDir(dir: string): ManifestFile[] {
  const out: ManifestFile[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch (err) {
      throw new SignError('MANIFEST_INVALID', `${join(dir, rel)}: ${(err as Error).message}`, { cause: err });
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ path: p, content: readFileSync(join(dir, p)) });
      else throw new SignError('MANIFEST_INVALID', `${join(dir, p)}: not a regular file (symlinks are not bundled)`);
    }
  };
  walk('');
  if (out.length === 0) throw new SignError('MANIFEST_INVALID', `${dir}: no files to push`);
  return out;
}

/** Writes verified bundle files under `dir`, never through a symlink and never outside it. */
function writeManifestDir(dir: string, files: ManifestFile[]): void {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  for (const f of files) {
    const dest = resolve(root, f.path);
    if (!dest.startsWith(root + sep)) throw new SignError('MANIFEST_INVALID', `${f.path}: outside ${dir}`);
    // every existing component below root must be a real directory (a planted symlink would redirect)
    let cur = root;
    for (const seg of f.path.split('/').slice(0, -1)) {
      cur = join(cur, seg);
      const st = lstatSync(cur, { throwIfNoEntry: false });
      if (!st) mkdirSync(cur);
      else if (!st.isDirectory())
        throw new SignError('MANIFEST_INVALID', `${f.path}: ${cur} exists and is not a directory`);
    }
    const st = lstatSync(dest, { throwIfNoEntry: false });
    if (st && !st.isFile()) throw new SignError('MANIFEST_INVALID', `${f.path}: ${dest} exists and is not a file`);
    writeFileSync(dest, f.content, { mode: 0o644 });
  }
}

/** cosign's --type shorthands for predicate types. */
export const PREDICATE_TYPES: Readonly<Record<string, string>> = PREDICATE_TYPE_SHORTHANDS;

/** Runs a command body; SignErrors become cosign's `Error: ...` and exit 1. */
async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof SignError) {
      process.stderr.write(`Error: ${err.code}: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

function parseAnnotations(list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new SignError('PAYLOAD_INVALID', `annotation ${JSON.stringify(a)} is not KEY=VALUE`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function register(program: Command): void {
  const key = program.command('key').description('cosign-compatible signing keys');
  key
    .command('generate')
    .alias('generate-key-pair')
    .description('write cosign.key (encrypted, password from COSIGN_PASSWORD or a prompt) and cosign.pub')
    .option('--output-key-prefix <prefix>', 'file name prefix', 'cosign')
    .option('--algorithm <alg>', 'ecdsa-p256 or ed25519', 'ecdsa-p256')
    .option('-f, --force', 'overwrite existing files')
    .action((o: { outputKeyPrefix: string; algorithm: string; force?: boolean }) =>
      run(async () => {
        if (o.algorithm !== 'ecdsa-p256' && o.algorithm !== 'ed25519')
          throw new SignError('KEY_UNSUPPORTED', `--algorithm ${o.algorithm}: use ecdsa-p256 or ed25519`);
        const keyPath = `${o.outputKeyPrefix}.key`;
        const pubPath = `${o.outputKeyPrefix}.pub`;
        for (const p of [keyPath, pubPath])
          if (existsSync(p) && !o.force) throw new SignError('KEY_INVALID', `${p} exists; pass --force to overwrite`);
        const pair = generateKeyPair(await password(true), { algorithm: o.algorithm });
        writeFileSync(keyPath, pair.privateKeyPem, { mode: 0o600 });
        writeFileSync(pubPath, pair.publicKeyPem, { mode: 0o644 });
        process.stderr.write(`Private key written to ${keyPath}\nPublic key written to ${pubPath}\n`);
      }),
    );
  key
    .command('public-key')
    .description('print the public key of a private key')
    .requiredOption('--key <file>', 'private key (cosign, PKCS#8, SEC1; env://VAR reads a variable)')
    .action((o: { key: string }) =>
      run(async () => {
        const pem = readKeyFile(o.key);
        const pw = /ENCRYPTED/.test(pem) ? await password(false) : Buffer.alloc(0);
        process.stdout.write(
          loadPrivateKey(pem, pw, o.key).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        );
      }),
    );

  program
    .command('sign')
    .description('sign an image with a key; the signature is appended under the sha256-<hex>.sig tag (cosign format)')
    .argument('<image>', 'image reference (tag or digest)')
    .requiredOption('--key <file>', 'private key (cosign.key, PKCS#8 PEM; env://VAR)')
    .option('-a, --annotations <k=v>', 'extra claims in the payload "optional" field', collect)
    .option('--insecure', 'plain HTTP to the registry (default for loopback registries)')
    .option(
      '--new-bundle-format',
      'store a Sigstore bundle (v0.3, DSSE) as an OCI 1.1 referrer instead of the .sig tag (as cosign does)',
    )
    .option('-o, --output <fmt>', 'text or json', 'text')
    .action(
      (
        image: string,
        o: { key: string; annotations?: string[]; insecure?: boolean; output: string; newBundleFormat?: boolean },
      ) =>
        run(async () => {
          const pem = readKeyFile(o.key);
          const pw = /ENCRYPTED/.test(pem) ? await password(false) : Buffer.alloc(0);
          const signer = loadPrivateKey(pem, pw, o.key);
          const { t, display } = target(image, o.insecure);
          const ann = parseAnnotations(o.annotations);
          if (o.newBundleFormat) {
            if (ann)
              throw new SignError('PAYLOAD_INVALID', '-a/--annotations cannot go into a Sigstore bundle signature');
            const b = await signImageBundle(t, signer);
            if (o.output === 'json')
              process.stdout.write(
                JSON.stringify({ image: display, digest: b.digest, referrer: b.referrer, bundle: b.bundle }) + '\n',
              );
            else
              process.stderr.write(
                `Pushing Sigstore bundle to: ${t.registry}/${t.repository}@${b.referrer} (referrer of ${b.digest})\n`,
              );
            return;
          }
          const r = await signImage(t, signer, ann ? { annotations: ann } : {});
          if (o.output === 'json')
            process.stdout.write(
              JSON.stringify({
                image: display,
                digest: r.digest,
                signatureTag: r.signatureTag,
                signatureManifest: r.signatureManifest,
                signature: r.signature,
                signatures: r.count,
                appended: r.appended,
              }) + '\n',
            );
          else
            process.stderr.write(
              `Pushing signature to: ${t.registry}/${t.repository}:${r.signatureTag} (${r.count} signature${r.count === 1 ? '' : 's'}${r.appended ? '' : ', already signed'})\n`,
            );
        }),
    );

  program
    .command('verify')
    .description('verify the signatures of an image against public keys; prints the verified payloads (cosign output)')
    .argument('<image>', 'image reference (tag or digest)')
    .requiredOption('--key <file>', 'public key PEM (repeat for several; env://VAR, k8s://namespace/secret)', collect)
    .option('--insecure', 'plain HTTP to the registry (default for loopback registries)')
    .option('-o, --output <fmt>', "json (cosign's default) or text", 'json')
    .action((image: string, o: { key: string[]; insecure?: boolean; output: string }) =>
      run(async () => {
        const keys = await publicKeys(o.key);
        const { t, display } = target(image, o.insecure);
        const r = await verifyImage(t, keys);
        const ok = requireSigned(r, display);
        process.stderr.write(
          `\nVerification for ${display} --\nThe following checks were performed on each of these signatures:\n` +
            `  - The cosign claims were validated\n  - The signatures were verified against the specified public key\n`,
        );
        if (r.rejected.length > 0)
          process.stderr.write(`(${r.rejected.length} other signature(s) did not verify and were ignored)\n`);
        if (o.output === 'text') for (const v of ok) process.stdout.write(`${v.layerDigest} ${v.signature}\n`);
        else process.stdout.write(JSON.stringify(ok.map((v) => v.payload)) + '\n');
      }),
    );

  const manifest = program
    .command('manifest')
    .description(
      'sign and verify Kubernetes manifests: per object (k8s-manifest-sigstore annotations: sign, verify -f), or a ' +
        'whole directory as a signed OCI artifact (push, verify --bundle, pull)',
    );
  manifest
    .command('sign')
    .description('add cosign.sigstore.dev/message and /signature annotations to every object of a YAML file')
    .requiredOption('-f, --filename <file>', 'manifest YAML')
    .requiredOption('-k, --key <file>', 'private key (cosign.key, PKCS#8 PEM; env://VAR)')
    .option('-o, --output <file>', 'write the signed YAML here (default stdout)')
    .action((o: { filename: string; key: string; output?: string }) =>
      run(async () => {
        const pem = readKeyFile(o.key);
        const pw = /ENCRYPTED/.test(pem) ? await password(false) : Buffer.alloc(0);
        const signed = signManifest(readFileSync(o.filename, 'utf8'), loadPrivateKey(pem, pw, o.key), o.filename);
        if (o.output) writeFileSync(o.output, signed);
        else process.stdout.write(signed);
      }),
    );
  manifest
    .command('push')
    .description(
      'push a directory of manifests as one signed OCI artifact (artifactType application/vnd.sekisho.manifests.v1, ' +
        'one tar+gzip layer of its regular files; dotfiles skipped) and sign its digest as cosign signs images',
    )
    .argument('<dir>', 'directory of manifests')
    .argument('<ref>', 'registry reference to push to, e.g. 127.0.0.1:5000/shop/config:v1')
    .requiredOption('-k, --key <file>', 'private key (cosign.key, PKCS#8 PEM; env://VAR)')
    .option('--new-bundle-format', 'sign with a Sigstore bundle referrer instead of the .sig tag')
    .option('-a, --annotation <k=v>', 'annotation on the artifact manifest (repeatable)', collect)
    .option('--insecure', 'plain HTTP to the registry (default for loopback registries)')
    .option('-o, --output <fmt>', 'text or json', 'text')
    .addHelpText(
      'after',
      '\nExample:\n  sekisho manifest push ./deploy 127.0.0.1:5000/shop/config:v1 --key cosign.key\n' +
        '  sekisho manifest verify --bundle 127.0.0.1:5000/shop/config:v1 --key cosign.pub\n' +
        '  sekisho manifest pull 127.0.0.1:5000/shop/config:v1 ./out --key cosign.pub\n',
    )
    .action(
      (
        dir: string,
        ref: string,
        o: { key: string; newBundleFormat?: boolean; annotation?: string[]; insecure?: boolean; output: string },
      ) =>
        run(async () => {
          const files = readManifestDir(dir);
          const signer = await loadSigner(o.key);
          const { t, display } = target(ref, o.insecure);
          if (t.ref.includes(':')) throw new SignError('MANIFEST_INVALID', `${ref}: push to a tag, not a digest`);
          const ann = parseAnnotations(o.annotation) as Record<string, string> | undefined;
          const r = await pushManifestBundle(t, files, signer, {
            bundleFormat: o.newBundleFormat === true,
            ...(ann ? { annotations: ann } : {}),
          });
          if (o.output === 'json') process.stdout.write(JSON.stringify({ ref: display, ...r }) + '\n');
          else {
            process.stderr.write(`Pushed ${r.files} file(s) to ${display} (${r.layer.size} bytes compressed)\n`);
            process.stderr.write(`Signature: ${r.signature}\n`);
            process.stdout.write(`${r.digest}\n`);
          }
        }),
    );
  manifest
    .command('pull')
    .description('verify a signed manifest bundle, then write its files into a directory (hostile paths refused)')
    .argument('<ref>', 'registry reference (tag or digest)')
    .argument('<dir>', 'directory to write into (created if missing)')
    .requiredOption(
      '-k, --key <file>',
      'public key PEM (repeat for several; env://VAR, k8s://namespace/secret)',
      collect,
    )
    .option('--insecure', 'plain HTTP to the registry (default for loopback registries)')
    .action((ref: string, dir: string, o: { key: string[]; insecure?: boolean }) =>
      run(async () => {
        const keys = await publicKeys(o.key);
        const { t, display } = target(ref, o.insecure);
        const b = await verifyManifestBundle(t, keys);
        writeManifestDir(dir, b.files);
        process.stderr.write(`Verified ${display} (${b.digest}); wrote ${b.files.length} file(s) to ${dir}\n`);
        process.stdout.write(`${b.digest}\n`);
      }),
    );
  manifest
    .command('verify')
    .description(
      'verify the signature annotations of every object in a YAML file (-f; edited fields fail), or a signed ' +
        'manifest bundle in a registry (--bundle)',
    )
    .option('-f, --filename <file>', 'signed manifest YAML')
    .option('--bundle <ref>', 'a manifest bundle pushed with `manifest push` (registry reference)')
    .requiredOption(
      '-k, --key <file>',
      'public key PEM (repeat for several; env://VAR, k8s://namespace/secret)',
      collect,
    )
    .option('--insecure', 'plain HTTP to the registry (with --bundle; default for loopback registries)')
    .option('-o, --output <fmt>', 'text or json', 'text')
    .action((o: { filename?: string; bundle?: string; key: string[]; output: string; insecure?: boolean }) =>
      run(async () => {
        if ((o.filename === undefined) === (o.bundle === undefined))
          throw new SignError(
            'MANIFEST_INVALID',
            'give either -f FILE (annotated manifests) or --bundle REF (a pushed bundle)',
          );
        const keys = await publicKeys(o.key);
        if (o.bundle !== undefined) {
          const { t, display } = target(o.bundle, o.insecure);
          const b = await verifyManifestBundle(t, keys);
          if (o.output === 'json')
            process.stdout.write(
              JSON.stringify({
                ref: display,
                digest: b.digest,
                signatures: b.signatures,
                files: b.files.map((f) => ({ path: f.path, size: f.content.length })),
              }) + '\n',
            );
          else {
            process.stdout.write(`verified ${display} (${b.digest}), ${b.signatures} signature(s)\n`);
            for (const f of b.files) process.stdout.write(`  ${f.path} (${f.content.length} bytes)\n`);
          }
          return;
        }
        const filename = o.filename!;
        const results = verifyManifest(readFileSync(filename, 'utf8'), keys, { file: filename });
        if (o.output === 'json') process.stdout.write(JSON.stringify(results) + '\n');
        else
          for (const r of results)
            process.stdout.write(
              `${r.verified ? 'verified' : 'FAILED  '} ${r.object}${r.reason ? ': ' + r.reason : ''}\n`,
            );
        requireManifestVerified(results);
      }),
    );

  program
    .command('attest')
    .description('attach a signed in-toto attestation (DSSE) to an image under the sha256-<hex>.att tag')
    .argument('<image>', 'image reference (tag or digest)')
    .requiredOption('--key <file>', 'private key (cosign.key, PKCS#8 PEM; env://VAR)')
    .requiredOption('--predicate <file>', 'predicate JSON file')
    .option(
      '--type <type>',
      'predicate type: a URI or cosign shorthand (slsaprovenance1, cyclonedx, spdxjson, vuln, custom)',
      'custom',
    )
    .option('--insecure', 'plain HTTP to the registry (default for loopback registries)')
    .option('--new-bundle-format', 'store a Sigstore bundle (v0.3) as an OCI 1.1 referrer instead of the .att tag')
    .action(
      (
        image: string,
        o: { key: string; predicate: string; type: string; insecure?: boolean; newBundleFormat?: boolean },
      ) =>
        run(async () => {
          let predicate: unknown;
          try {
            predicate = JSON.parse(readFileSync(o.predicate, 'utf8'));
          } catch (err) {
            throw new SignError('PAYLOAD_INVALID', `${o.predicate}: not a JSON predicate: ${(err as Error).message}`);
          }
          const pem = readKeyFile(o.key);
          const pw = /ENCRYPTED/.test(pem) ? await password(false) : Buffer.alloc(0);
          const { t } = target(image, o.insecure);
          if (o.newBundleFormat) {
            const b = await signImageBundle(t, loadPrivateKey(pem, pw, o.key), {
              predicateType: PREDICATE_TYPES[o.type] ?? o.type,
              predicate,
            });
            process.stderr.write(
              `Pushing Sigstore bundle to: ${t.registry}/${t.repository}@${b.referrer} (referrer of ${b.digest})\n`,
            );
            return;
          }
          const r = await attestImage(t, loadPrivateKey(pem, pw, o.key), PREDICATE_TYPES[o.type] ?? o.type, predicate);
          process.stderr.write(`Pushing attestation to: ${t.registry}/${t.repository}:${r.tag} (${r.count})\n`);
        }),
    );
  program
    .command('verify-attestation')
    .description('verify the attestations of an image; prints each verified in-toto statement as JSON')
    .argument('<image>', 'image reference (tag or digest)')
    .requiredOption('--key <file>', 'public key PEM (repeat for several; env://VAR, k8s://namespace/secret)', collect)
    .option('--type <type>', 'only this predicate type (URI or cosign shorthand)')
    .option(
      '--policy <file>',
      'Rego policy every verified statement must satisfy (data.signature.allow == true, as cosign); repeatable',
      collect,
    )
    .option('--insecure', 'plain HTTP to the registry (default for loopback registries)')
    .action((image: string, o: { key: string[]; type?: string; policy?: string[]; insecure?: boolean }) =>
      run(async () => {
        const policy = o.policy?.length
          ? compileAttestationPolicy(
              o.policy.map((file) => {
                if (file.endsWith('.cue'))
                  throw new SignError('POLICY_INVALID', `${file}: CUE policies are not supported (use Rego)`);
                try {
                  return { file, text: readFileSync(file, 'utf8') };
                } catch (err) {
                  throw new SignError('POLICY_INVALID', `${file}: ${(err as Error).message}`, { cause: err });
                }
              }),
            )
          : undefined;
        const keys = await publicKeys(o.key);
        const { t, display } = target(image, o.insecure);
        const st = await verifyAttestations(t, keys, o.type ? (PREDICATE_TYPES[o.type] ?? o.type) : undefined);
        if (policy) {
          const errors: string[] = [];
          st.forEach((s, i) => {
            const r = policy.evaluate(s);
            for (const w of r.warnings) process.stderr.write(`Warning: attestation ${i} (${s.predicateType}): ${w}\n`);
            for (const e of r.errors)
              errors.push(`attestation ${i} (${s.predicateType}): policy ${o.policy!.join(', ')}: ${e}`);
          });
          if (errors.length)
            throw new SignError(
              'POLICY_DENIED',
              `${errors.length} validation error${errors.length === 1 ? '' : 's'} occurred: ${errors.join('; ')}`,
            );
        }
        process.stderr.write(
          `\nVerification for ${display} --\nThe following checks were performed on each of these signatures:\n` +
            `  - The cosign claims were validated\n  - The signatures were verified against the specified public key\n`,
        );
        for (const s of st) process.stdout.write(JSON.stringify(s) + '\n');
      }),
    );
}
