// Writing a gzipped tar as image tools do: the tar stream is hashed (the layer's diff id), gzipped at a fixed
// level (the same tar gives the same blob), hashed again (the blob digest) and written to a file, in one pass.
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack, type Pack } from 'tar-stream';

function hashing(hash: ReturnType<typeof createHash>, counter?: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      if (counter) counter.n += chunk.length;
      cb(null, chunk);
    },
  });
}

export interface TarGz {
  /** sha256 of the gzipped bytes */
  digest: string;
  /** sha256 of the tar */
  diffId: string;
  /** bytes of the gzipped file */
  size: number;
}

/**
 * Packs the entries `fill` adds (it must finalize the pack) into `file`, gzip level `level` (default 6).
 * On failure the file is removed and the error is thrown as it came.
 */
export async function writeTarGz(
  file: string,
  fill: (p: Pack) => Promise<void>,
  opts: { level?: number; setup?: (p: Pack) => void } = {},
): Promise<TarGz> {
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  const gzSize = { n: 0 };
  const p = pack();
  opts.setup?.(p);
  const producing = fill(p).catch((e: unknown) => {
    p.destroy(e as Error);
    throw e;
  });
  try {
    await Promise.all([
      producing,
      pipeline(
        // through a generator: Node's pipeline mistakes a streamx stream for a Node stream
        (async function* () {
          for await (const chunk of p as unknown as AsyncIterable<Buffer>) yield chunk;
        })(),
        hashing(tarHash),
        createGzip({ level: opts.level ?? 6 }),
        hashing(gzHash, gzSize),
        createWriteStream(file),
      ),
    ]);
  } catch (e) {
    rmSync(file, { force: true });
    throw e;
  }
  return { digest: `sha256:${gzHash.digest('hex')}`, diffId: `sha256:${tarHash.digest('hex')}`, size: gzSize.n };
}
