// Container executor for `run` steps with `image:`: the image (a registry reference or an OCI layout) is
// unpacked into a fresh root filesystem for the step, and the script runs in it under src/build's sandbox
// (runc, else bubblewrap) as root, with the checkout bind-mounted at /workspace and the step's output file
// at /sekisho/outputs. The root filesystem is removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Executor } from '../../build/exec/index.ts';
import { parseManifest, selectPlatform } from '../../oci/index.ts';
import { PipelineError } from '../errors.ts';
import type { Services, StepExecutor } from '../types.ts';
import { openImage } from './image.ts';

export interface ContainerExecutorOptions {
  services: Pick<Services, 'registry'>;
  /** the sandbox (default: src/build's detectExecutor()) */
  executor?: () => Promise<Executor>;
  /** where root filesystems are unpacked (default the OS temp dir) */
  workDir?: string;
}

export function containerExecutor(o: ContainerExecutorOptions): StepExecutor {
  return {
    async run(r) {
      const sandbox = o.executor
        ? await o.executor()
        : await (await import('../../build/exec/index.ts')).detectExecutor();
      const { applyLayer } = await import('../../build/fs/index.ts');
      const img = await openImage(r.image, { ...o.services, env: {}, now: () => new Date() }, r.workspace);
      let m = await img.store.getManifest(img.ref);
      if (parseManifest(m.bytes, m.mediaType).isIndex)
        m = await img.store.getManifest(
          selectPlatform(m, { os: 'linux', architecture: process.arch === 'arm64' ? 'arm64' : 'amd64' }).digest,
        );
      const manifest = parseManifest(m.bytes, m.mediaType).manifest as {
        config: { digest: string; size: number; mediaType: string };
        layers?: Array<{ digest: string; size: number; mediaType: string }>;
      };
      const configStream = await img.store.getBlob(manifest.config);
      const chunks: Buffer[] = [];
      for await (const c of configStream) chunks.push(c as Buffer);
      const config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { config?: { Env?: string[] } };
      const rootfs = mkdtempSync(join(o.workDir ?? tmpdir(), 'sekisho-step-rootfs-'));
      try {
        for (const l of manifest.layers ?? []) await applyLayer(rootfs, await img.store.getBlob(l));
        const rel = relative(r.workspace, r.cwd);
        if (rel.startsWith('..'))
          throw new PipelineError('pipeline_invalid', `working-directory ${r.cwd} is outside the checkout`);
        const env = new Map<string, string>();
        for (const e of config.config?.Env ?? []) {
          const eq = e.indexOf('=');
          if (eq > 0) env.set(e.slice(0, eq), e.slice(eq + 1));
        }
        if (!env.has('PATH')) env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
        for (const [k, v] of Object.entries(r.env)) env.set(k, v);
        env.set('SEKISHO_WORKSPACE', '/workspace');
        return await sandbox.run({
          rootfs,
          argv: [r.shell, '-e', '-c', r.script],
          env: [...env].map(([k, v]) => `${k}=${v}`),
          cwd: rel ? `/workspace/${rel}` : '/workspace',
          user: '0:0',
          mounts: [
            { type: 'bind', source: r.workspace, target: '/workspace' },
            { type: 'bind', source: r.ioDir, target: '/sekisho' },
          ],
          network: 'host',
          stdout: r.stdout,
          stderr: r.stderr,
          signal: r.signal,
        });
      } finally {
        rmSync(rootfs, { recursive: true, force: true });
      }
    },
  };
}
