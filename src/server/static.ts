// Serves the built web UI (ui/dist) at "/": files with their content type, long-lived caching for
// content-hashed assets (name-<hash>.ext), revalidation for everything else, and index.html for any other
// GET path that is not an API or asset path (client-side routes such as /applications/demo). When the UI
// is not built the server answers a short HTML page saying how to build it, with status 404.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

export function contentType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** A file name carrying a content hash (Vite/Rollup/esbuild style: name-3f2a9c1b.js, name.3f2a9c1b.css). */
export function isHashedAsset(file: string): boolean {
  const m = /[.-]([A-Za-z0-9_]{8,20})\.[a-z0-9]+$/.exec(file);
  if (!m) return false;
  const h = m[1]!;
  return /[0-9]/.test(h) || (/[a-z]/.test(h) && /[A-Z]/.test(h));
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sekisho — web UI not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>The web UI is not built</h1>
<p>The API is up (try <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> and <a href="/healthz">/healthz</a>),
but there is no <code>ui/dist</code> folder to serve. Build the UI with <code>npm run build</code> in <code>ui/</code>
and reload this page.</p>
</body></html>
`;

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(head ? undefined : body);
}

/** true when the path looks like a file (has an extension in its last segment) */
function looksLikeAsset(p: string): boolean {
  const last = p.slice(p.lastIndexOf('/') + 1);
  return /\.[A-Za-z0-9]+$/.test(last);
}

/**
 * Answers a GET/HEAD for a non-API path from `uiDir`. Returns false when the request is not the static
 * server's business (API paths), so the caller can answer 404 itself.
 */
export async function serveStatic(
  uiDir: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<boolean> {
  if (pathname === '/api' || pathname.startsWith('/api/')) return false;
  const head = req.method === 'HEAD';
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'bad URL encoding\n', head);
    return true;
  }
  if (rel.includes('\0')) {
    send(res, 400, 'text/plain; charset=utf-8', 'bad path\n', head);
    return true;
  }
  const root = uiDir ? normalize(uiDir) : undefined;
  const index = root ? join(root, 'index.html') : undefined;
  const indexStat = index ? await stat(index).catch(() => undefined) : undefined;
  if (!root || !indexStat?.isFile()) {
    send(res, 404, 'text/html; charset=utf-8', NOT_BUILT, head);
    return true;
  }
  let file = normalize(join(root, rel));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    return true;
  }
  let st = await stat(file).catch(() => undefined);
  if (st?.isDirectory()) {
    file = join(file, 'index.html');
    st = await stat(file).catch(() => undefined);
  }
  if (!st?.isFile()) {
    if (looksLikeAsset(rel)) {
      send(res, 404, 'text/plain; charset=utf-8', `not found: ${rel}\n`, head);
      return true;
    }
    // a client-side route: the single-page app decides
    file = index!;
    st = indexStat;
  }
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const base = file.slice(file.lastIndexOf(sep) + 1);
  const cache =
    base === 'index.html'
      ? 'no-cache'
      : isHashedAsset(base)
        ? 'public, max-age=31536000, immutable'
        : 'public, max-age=0, must-revalidate';
  const headers: Record<string, string | number> = {
    'Content-Type': contentType(file),
    'Cache-Control': cache,
    ETag: etag,
    'Last-Modified': st.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
  };
  if (base === 'index.html') headers['X-Frame-Options'] = 'DENY';
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  headers['Content-Length'] = st.size;
  res.writeHead(200, headers);
  if (head) {
    res.end();
    return true;
  }
  await new Promise<void>((resolve) => {
    const s = createReadStream(file);
    s.on('error', () => {
      res.destroy();
      resolve();
    });
    s.on('end', resolve);
    s.pipe(res);
  });
  return true;
}
