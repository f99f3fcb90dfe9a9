// Shared fixtures for the sign tests: small images pushed to a registry, and keys with cheap scrypt.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MediaType, digestOf, type ImageManifest, type RegistryClient } from '../../src/oci/index.ts';
import { generateKeyPair, loadPrivateKey, loadPublicKey, type Signer } from '../../src/sign/index.ts';
import type { KeyObject } from 'node:crypto';

export const PW = Buffer.from('pw');
export const SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestKey {
  privateKeyPem: string;
  publicKeyPem: string;
  signer: Signer;
  pub: KeyObject;
}

export function testKey(algorithm: 'ecdsa-p256' | 'ed25519' = 'ecdsa-p256'): TestKey {
  const pair = generateKeyPair(PW, { scrypt: SCRYPT, algorithm });
  return { ...pair, signer: loadPrivateKey(pair.privateKeyPem, PW), pub: loadPublicKey(pair.publicKeyPem) };
}

export async function pushBlob(
  client: RegistryClient,
  repo: string,
  bytes: Buffer,
): Promise<{ digest: string; size: number }> {
  const d = { digest: digestOf(bytes), size: bytes.length };
  await client.pushBlob(repo, d, () => Readable.from([bytes]));
  return d;
}

/** Pushes a one-layer image and returns its manifest digest. */
export async function pushImage(client: RegistryClient, repo: string, tag: string, content: string): Promise<string> {
  const layer = await pushBlob(client, repo, Buffer.from(content));
  const config = await pushBlob(
    client,
    repo,
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, content }),
    ),
  );
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, ...config },
    layers: [{ mediaType: MediaType.OciLayer, ...layer }],
  };
  return client.putManifest(repo, tag, Buffer.from(JSON.stringify(m)), MediaType.OciManifest);
}

/** Runs the CLI asynchronously (the registry may run in the test's own process). */
export function runCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [join(process.cwd(), 'bin/sekisho.js'), ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...(opts.env ?? {}) },
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
