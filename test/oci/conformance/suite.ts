// Our port of the OCI distribution-spec conformance workflows (pull, push, content discovery, content
// management), following `opencontainers/distribution-spec` `conformance/` case for case, written afresh.
// It speaks raw HTTP to any registry and returns one result per case; the caller decides what must pass.
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { MediaType, type Descriptor } from '../../../src/oci/media-types.ts';
import { digestBytes, generateDataSets, TestData, type Algo } from './data.ts';

export type CaseStatus = 'pass' | 'fail' | 'unsupported';
export interface CaseResult {
  name: string;
  status: CaseStatus;
  message?: string;
}

export interface SuiteOptions {
  repo1?: string;
  repo2?: string;
  /** Only run cases whose name starts with this. */
  filter?: string;
}

class Unsupported extends Error {}

interface Resp {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const CHUNK_MIN = 1024;

export class ConformanceSuite {
  readonly base: URL;
  readonly results: CaseResult[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });
  private readonly repo1: string;
  private readonly repo2: string;
  private readonly filter: string;
  private readonly path: string[] = [];

  constructor(baseUrl: string, opts: SuiteOptions = {}) {
    this.base = new URL(baseUrl);
    this.repo1 = opts.repo1 ?? 'conformance/repo1';
    this.repo2 = opts.repo2 ?? 'conformance/repo2';
    this.filter = opts.filter ?? '';
  }

  // --- plumbing ----------------------------------------------------------------------------------

  async req(
    method: string,
    pathOrUrl: string,
    opts: { headers?: Record<string, string>; body?: Buffer; query?: Record<string, string> } = {},
  ): Promise<Resp> {
    const u = new URL(pathOrUrl, this.base);
    for (const [k, v] of Object.entries(opts.query ?? {})) u.searchParams.set(k, v);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined) headers['Content-Length'] = String(opts.body.length);
    else if (method === 'POST' || method === 'PUT' || method === 'PATCH') headers['Content-Length'] = '0';
    return new Promise((resolve, reject) => {
      const r = request(u, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(opts.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private async group(name: string, fn: () => Promise<void>): Promise<void> {
    this.path.push(name);
    try {
      await fn();
    } finally {
      this.path.pop();
    }
  }

  /** Runs one case; returns whether it passed. */
  private async check(name: string, fn: () => Promise<void>): Promise<boolean> {
    const full = [...this.path, name].join('/');
    if (this.filter && !full.startsWith(this.filter)) return true;
    try {
      await fn();
      this.results.push({ name: full, status: 'pass' });
      return true;
    } catch (err) {
      const status: CaseStatus = err instanceof Unsupported ? 'unsupported' : 'fail';
      this.results.push({ name: full, status, message: (err as Error).message });
      return false;
    }
  }

  private expectStatus(r: Resp, ...want: number[]): void {
    if (!want.includes(r.status)) {
      throw new Error(
        `expected status ${want.join(' or ')}, got ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`,
      );
    }
  }

  private header(r: Resp, name: string): string {
    const v = r.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : (v ?? '');
  }

  private expectHeader(r: Resp, name: string, want: string): void {
    const got = this.header(r, name);
    if (got !== want) throw new Error(`expected header ${name}: ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }

  private expectBody(r: Resp, want: Buffer): void {
    if (!r.body.equals(want))
      throw new Error(`body differs (${r.body.length} bytes received, ${want.length} expected)`);
  }

  private verifyDigestHeader(r: Resp, digest: string): void {
    const h = this.header(r, 'Docker-Content-Digest');
    if (h !== '' && h !== digest) throw new Error(`Docker-Content-Digest ${h}, expected ${digest}`);
  }

  private location(r: Resp): string {
    const loc = this.header(r, 'Location');
    if (loc === '') throw new Error('no Location header');
    return loc;
  }

  private withDigest(loc: string, digest: string): string {
    const u = new URL(loc, this.base);
    u.searchParams.set('digest', digest);
    return u.toString();
  }

  private async verifyLocation(loc: string, body: Buffer): Promise<void> {
    const r = await this.req('GET', loc);
    this.expectStatus(r, 200);
    this.expectBody(r, body);
  }

  // --- blob push methods ----------------------------------------------------------------------------

  private uploads(repo: string): string {
    return `/v2/${repo}/blobs/uploads/`;
  }

  async pushPostOnly(repo: string, digest: string, body: Buffer, expectBad = false): Promise<void> {
    const r = await this.req('POST', this.uploads(repo), {
      query: { digest },
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (expectBad) {
      this.expectStatus(r, 400, 202);
      if (r.status === 202) {
        const p = await this.req('PUT', this.withDigest(this.location(r), digest), {
          body,
          headers: { 'Content-Type': 'application/octet-stream' },
        });
        this.expectStatus(p, 400);
        throw new Unsupported('registry does not accept content in the POST');
      }
      return;
    }
    this.expectStatus(r, 201, 202);
    if (r.status === 202) {
      const p = await this.req('PUT', this.withDigest(this.location(r), digest), {
        body,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      this.expectStatus(p, 201);
      throw new Unsupported('registry does not accept content in the POST; fell back to PUT');
    }
    this.verifyDigestHeader(r, digest);
    await this.verifyLocation(this.location(r), body);
  }

  async pushPostPut(repo: string, digest: string, body: Buffer, expectBad = false): Promise<void> {
    const r = await this.req('POST', this.uploads(repo));
    this.expectStatus(r, 202);
    const p = await this.req('PUT', this.withDigest(this.location(r), digest), {
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (expectBad) return this.expectStatus(p, 400);
    this.expectStatus(p, 201);
    this.verifyDigestHeader(p, digest);
    await this.verifyLocation(this.location(p), body);
  }

  async pushStream(repo: string, digest: string, body: Buffer, expectBad = false): Promise<void> {
    const r = await this.req('POST', this.uploads(repo));
    this.expectStatus(r, 202);
    const p = await this.req('PATCH', this.location(r), {
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    this.expectStatus(p, 202);
    const f = await this.req('PUT', this.withDigest(this.location(p), digest), {
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (expectBad) return this.expectStatus(f, 400);
    this.expectStatus(f, 201);
    this.verifyDigestHeader(f, digest);
    await this.verifyLocation(this.location(f), body);
  }

  async pushChunked(
    repo: string,
    digest: string,
    body: Buffer,
    flags: { putLastChunk?: boolean; outOfOrder?: boolean; expectBad?: boolean } = {},
  ): Promise<void> {
    const r = await this.req('POST', this.uploads(repo));
    this.expectStatus(r, 202);
    let loc = this.location(r);
    let chunkSize = Math.floor(body.length / 3) + 1;
    const minHeader = this.header(r, 'OCI-Chunk-Min-Length');
    if (minHeader !== '' && Number(minHeader) > chunkSize) chunkSize = Number(minHeader);
    chunkSize = Math.min(Math.max(chunkSize, CHUNK_MIN), body.length);
    let lastByte = -1;
    let final: Resp | undefined;
    while (lastByte < body.length - 1) {
      if (flags.outOfOrder) {
        let badStart = lastByte + 1 + chunkSize;
        if (badStart >= body.length) badStart = 0;
        const badLast = Math.min(badStart + chunkSize - 1, body.length - 1);
        let url = loc;
        let method = 'PATCH';
        if (flags.putLastChunk && badLast === body.length - 1) {
          method = 'PUT';
          url = this.withDigest(loc, digest);
        }
        const bad = await this.req(method, url, {
          body: body.subarray(badStart, badLast + 1),
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${badStart}-${badLast}` },
        });
        if (bad.status !== 416)
          throw new Error(`out-of-order chunk ${badStart}-${badLast}: expected 416, got ${bad.status}`);
        if (this.header(bad, 'Location')) loc = this.location(bad);
        const st = await this.req('GET', loc);
        this.expectStatus(st, 204);
        loc = this.location(st);
        const range = this.header(st, 'Range');
        if (!range.startsWith('0-'))
          throw new Error(`upload status Range ${JSON.stringify(range)} lacks the 0- prefix`);
        const end = Number(range.slice(2));
        if (!Number.isInteger(end)) throw new Error(`upload status Range ${JSON.stringify(range)} unparsable`);
        if (lastByte >= 0 && end !== lastByte) throw new Error(`upload status Range ${range}, expected 0-${lastByte}`);
      }
      const start = lastByte + 1;
      lastByte = Math.min(start + chunkSize - 1, body.length - 1);
      const isLast = lastByte === body.length - 1;
      const chunk = body.subarray(start, lastByte + 1);
      const headers = { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${lastByte}` };
      if (flags.putLastChunk && isLast) {
        const p = await this.req('PUT', this.withDigest(loc, digest), { body: chunk, headers });
        if (flags.expectBad) return this.expectStatus(p, 400);
        this.expectStatus(p, 201);
        final = p;
      } else {
        const p = await this.req('PATCH', loc, { body: chunk, headers });
        this.expectStatus(p, 202);
        loc = this.location(p);
      }
    }
    if (!flags.putLastChunk) {
      const p = await this.req('PUT', this.withDigest(loc, digest), {
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      if (flags.expectBad) return this.expectStatus(p, 400);
      this.expectStatus(p, 201);
      final = p;
    }
    this.verifyDigestHeader(final!, digest);
    await this.verifyLocation(this.location(final!), body);
  }

  /** Mount; returns normally on 201, throws Unsupported when the registry fell back to an upload. */
  async mount(repo: string, from: string | undefined, digest: string, body: Buffer): Promise<void> {
    const r = await this.req('POST', this.uploads(repo), { query: { mount: digest, ...(from ? { from } : {}) } });
    this.expectStatus(r, 201, 202);
    if (r.status === 202) {
      const p = await this.req('PUT', this.withDigest(this.location(r), digest), {
        body,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      this.expectStatus(p, 201);
      throw new Unsupported(`registry answered 202 and a PUT was needed`);
    }
    this.verifyDigestHeader(r, digest);
    await this.verifyLocation(this.location(r), body);
  }

  private pushMethodOrder: ('postPut' | 'postOnly' | 'stream' | 'chunked')[] = [
    'postPut',
    'postOnly',
    'stream',
    'chunked',
  ];

  /** Push with whichever method works (the first success wins). */
  async pushAny(repo: string, digest: string, body: Buffer): Promise<void> {
    const errs: string[] = [];
    for (const m of this.pushMethodOrder) {
      try {
        if (m === 'postPut') await this.pushPostPut(repo, digest, body);
        else if (m === 'postOnly') await this.pushPostOnly(repo, digest, body);
        else if (m === 'stream') await this.pushStream(repo, digest, body);
        else await this.pushChunked(repo, digest, body);
        return;
      } catch (err) {
        if (err instanceof Unsupported) return;
        errs.push(`${m}: ${(err as Error).message}`);
      }
    }
    throw new Error(`could not push blob ${digest}: ${errs.join('; ')}`);
  }

  async headBlob(repo: string, digest: string, body: Buffer): Promise<void> {
    const r = await this.req('HEAD', `/v2/${repo}/blobs/${digest}`);
    this.expectStatus(r, 200);
    const len = this.header(r, 'Content-Length');
    if (len !== '' && len !== String(body.length)) throw new Error(`Content-Length ${len}, expected ${body.length}`);
    this.verifyDigestHeader(r, digest);
  }

  async getBlob(repo: string, digest: string, body: Buffer): Promise<void> {
    const r = await this.req('GET', `/v2/${repo}/blobs/${digest}`);
    this.expectStatus(r, 200);
    this.expectBody(r, body);
    this.verifyDigestHeader(r, digest);
  }

  async deleteBlob(repo: string, digest: string): Promise<void> {
    const r = await this.req('DELETE', `/v2/${repo}/blobs/${digest}`);
    this.expectStatus(r, 202, 404, 405);
    if (r.status === 405) throw new Unsupported('blob delete not supported');
    const h = await this.req('HEAD', `/v2/${repo}/blobs/${digest}`);
    if (h.status !== 404) throw new Error(`blob still present after delete (HEAD ${h.status})`);
  }

  // --- workflows ---------------------------------------------------------------------------------

  async run(): Promise<CaseResult[]> {
    try {
      await this.check('ping', async () => {
        const r = await this.req('GET', '/v2/');
        this.expectStatus(r, 200);
      });
      await this.group('empty', async () => {
        await this.check('tag list', async () => {
          const r = await this.req('GET', `/v2/${this.repo1}/tags/list`);
          this.expectStatus(r, 200, 404);
        });
        await this.check('referrers', async () => {
          await this.referrersList(this.repo1, digestBytes(randomBytes(32)));
        });
      });
      for (const algo of ['sha256', 'sha512'] as Algo[]) await this.blobApis(algo);
      for (const td of generateDataSets()) await this.dataWorkflow(td);
      await this.manifestErrors();
    } finally {
      this.close();
    }
    return this.results;
  }

  private async blobApis(algo: Algo): Promise<void> {
    const repo = this.repo1;
    const repo2 = this.repo2;
    const blob = (size: number): { digest: string; body: Buffer } => {
      const body = randomBytes(size);
      return { digest: digestBytes(body, algo), body };
    };
    await this.group(`${algo} blobs`, async () => {
      const missing = blob(512);
      await this.check('get-missing', async () => {
        const r = await this.req('GET', `/v2/${repo}/blobs/${missing.digest}`);
        this.expectStatus(r, 404);
      });
      const big = CHUNK_MIN * 3 - 5;
      const tests: [string, number, (d: string, b: Buffer) => Promise<void>][] = [
        ['post only', 512, (d, b) => this.pushPostOnly(repo, d, b)],
        ['post+put', 512, (d, b) => this.pushPostPut(repo, d, b)],
        ['chunked single', 512, (d, b) => this.pushChunked(repo, d, b)],
        ['stream', 512, (d, b) => this.pushStream(repo, d, b)],
        ['chunked multi', big, (d, b) => this.pushChunked(repo, d, b)],
        ['chunked multi and put chunk', big, (d, b) => this.pushChunked(repo, d, b, { putLastChunk: true })],
        ['chunked out-of-order', big, (d, b) => this.pushChunked(repo, d, b, { outOfOrder: true })],
        [
          'chunked out-of-order and put chunk',
          big,
          (d, b) => this.pushChunked(repo, d, b, { outOfOrder: true, putLastChunk: true }),
        ],
      ];
      for (const [name, size, push] of tests) {
        await this.group(name, async () => {
          const { digest, body } = blob(size);
          if (await this.check('push', () => push(digest, body))) {
            await this.check('blob-head', () => this.headBlob(repo, digest, body));
            await this.check('blob-get', () => this.getBlob(repo, digest, body));
          }
          await this.check('blob-delete', () => this.deleteBlob(repo, digest));
        });
      }
      await this.group('mount', async () => {
        const { digest, body } = blob(512);
        await this.check('push-source', () => this.pushAny(repo2, digest, body));
        if (await this.check('blob-mount', () => this.mount(repo, repo2, digest, body))) {
          await this.check('blob-head', () => this.headBlob(repo, digest, body));
          await this.check('blob-get', () => this.getBlob(repo, digest, body));
        }
        await this.check('blob-delete', () => this.deleteBlob(repo, digest));
        await this.check('blob-delete-source', () => this.deleteBlob(repo2, digest));
      });
      await this.group('mount anonymous', async () => {
        const { digest, body } = blob(512);
        await this.check('push-source', () => this.pushAny(repo2, digest, body));
        if (await this.check('blob-mount-anonymous', () => this.mount(repo, undefined, digest, body))) {
          await this.check('blob-head', () => this.headBlob(repo, digest, body));
        }
        await this.check('blob-delete', () => this.deleteBlob(repo, digest));
        await this.check('blob-delete-source', () => this.deleteBlob(repo2, digest));
      });
      await this.group('mount missing', async () => {
        const { digest, body } = blob(512);
        await this.check('blob-mount', async () => {
          try {
            await this.mount(repo, repo2, digest, body);
          } catch (err) {
            if (err instanceof Unsupported) return; // the expected fallback to an upload session
            throw err;
          }
          throw new Error('mount of a blob the source repository does not have succeeded');
        });
        await this.check('blob-delete', () => this.deleteBlob(repo, digest));
      });
      await this.group('post cancel', async () => {
        await this.check('blob-post-cancel', async () => {
          const r = await this.req('POST', this.uploads(repo));
          this.expectStatus(r, 202);
          const loc = this.location(r);
          const d = await this.req('DELETE', loc);
          this.expectStatus(d, 204);
          const s = await this.req('GET', loc);
          this.expectStatus(s, 404);
        });
      });
      await this.group('range requests', async () => {
        const len = 2048;
        const { digest, body } = blob(len);
        if (!(await this.check('push', () => this.pushAny(repo, digest, body)))) return;
        const cases: [string, string, number, [number, number] | null][] = [
          ['range 500-1499', 'bytes=500-1499', 206, [500, 1499]],
          ['range 500-', 'bytes=500-', 206, [500, len - 1]],
          ['range -500', 'bytes=-500', 206, [len - 500, len - 1]],
          ['range 2000-5000', 'bytes=2000-5000', 206, [2000, len - 1]],
          ['range 500-0', 'bytes=500-0', 416, null],
          ['range 5000-10000', 'bytes=5000-10000', 416, null],
        ];
        for (const [name, range, status, span] of cases) {
          await this.check(name, async () => {
            const r = await this.req('GET', `/v2/${repo}/blobs/${digest}`, { headers: { Range: range } });
            if (r.status === 200) throw new Error('range request unsupported, full blob returned');
            this.expectStatus(r, status);
            if (span) {
              this.expectBody(r, body.subarray(span[0], span[1] + 1));
              this.expectHeader(r, 'Content-Length', String(span[1] - span[0] + 1));
              const cr = this.header(r, 'Content-Range');
              if (cr !== `bytes ${span[0]}-${span[1]}/${len}` && cr !== `bytes ${span[0]}-${span[1]}/*`)
                throw new Error(`Content-Range ${cr}`);
            }
          });
        }
        await this.check('blob-delete', () => this.deleteBlob(repo, digest));
      });
      for (const [name, val] of [
        ['empty', Buffer.alloc(0)],
        ['emptyJSON', Buffer.from('{}')],
      ] as [string, Buffer][]) {
        await this.group(name, async () => {
          const digest = digestBytes(val, algo);
          if (await this.check('push', () => this.pushAny(repo, digest, val))) {
            await this.check('blob-head', () => this.headBlob(repo, digest, val));
            await this.check('blob-get', () => this.getBlob(repo, digest, val));
          }
          await this.check('blob-delete', () => this.deleteBlob(repo, digest));
        });
      }
      const bad = (): { digest: string; body: Buffer } => {
        const b = blob(big);
        return { digest: b.digest, body: Buffer.concat([b.body, Buffer.from('oh no')]) };
      };
      const badTests: [string, (d: string, b: Buffer) => Promise<void>][] = [
        ['bad digest post only', (d, b) => this.pushPostOnly(repo, d, b, true)],
        ['bad digest post+put', (d, b) => this.pushPostPut(repo, d, b, true)],
        ['bad digest chunked', (d, b) => this.pushChunked(repo, d, b, { expectBad: true })],
        [
          'bad digest chunked and put chunk',
          (d, b) => this.pushChunked(repo, d, b, { expectBad: true, putLastChunk: true }),
        ],
        ['bad digest stream', (d, b) => this.pushStream(repo, d, b, true)],
      ];
      for (const [name, push] of badTests) {
        const { digest, body } = bad();
        await this.check(name, async () => {
          await push(digest, body);
          const h = await this.req('HEAD', `/v2/${repo}/blobs/${digest}`);
          if (h.status !== 404) throw new Error(`a blob with a wrong digest became visible (HEAD ${h.status})`);
        });
      }
    });
  }

  private async referrersList(
    repo: string,
    subject: string,
    artifactType?: string,
  ): Promise<{ manifests: Descriptor[]; filtered: boolean }> {
    const r = await this.req(
      'GET',
      `/v2/${repo}/referrers/${subject}`,
      artifactType !== undefined ? { query: { artifactType } } : {},
    );
    this.expectStatus(r, 200);
    this.expectHeader(r, 'Content-Type', MediaType.OciIndex);
    const idx = JSON.parse(r.body.toString('utf8')) as {
      mediaType?: string;
      schemaVersion?: number;
      manifests?: Descriptor[];
    };
    if (idx.mediaType !== MediaType.OciIndex || idx.schemaVersion !== 2)
      throw new Error('referrers response is not an OCI index');
    const filtered = this.header(r, 'OCI-Filters-Applied')
      .split(',')
      .some((f) => f.trim() === 'artifactType');
    return { manifests: idx.manifests ?? [], filtered };
  }

  private async pushManifest(
    repo: string,
    ref: string,
    td: TestData,
    digest: string,
    expectBad = false,
  ): Promise<void> {
    const body = td.manifests.get(digest)!;
    const mt = td.mediaTypes.get(digest)!;
    const r = await this.req('PUT', `/v2/${repo}/manifests/${ref}`, { body, headers: { 'Content-Type': mt } });
    if (expectBad) return this.expectStatus(r, 400);
    this.expectStatus(r, 201);
    this.verifyDigestHeader(r, digest);
    const subj = (JSON.parse(body.toString('utf8')) as { subject?: Descriptor }).subject;
    if (subj) this.expectHeader(r, 'OCI-Subject', subj.digest);
    const g = await this.req('GET', this.location(r), {
      headers: { Accept: `${MediaType.OciIndex}, ${MediaType.OciManifest}` },
    });
    this.expectStatus(g, 200);
    this.expectHeader(g, 'Content-Type', mt);
    this.expectBody(g, body);
  }

  private async getManifest(
    method: 'GET' | 'HEAD',
    repo: string,
    ref: string,
    td: TestData,
    digest: string,
  ): Promise<void> {
    const r = await this.req(method, `/v2/${repo}/manifests/${ref}`, {
      headers: { Accept: `${MediaType.OciIndex}, ${MediaType.OciManifest}` },
    });
    this.expectStatus(r, 200);
    const body = td.manifests.get(digest)!;
    this.expectHeader(r, 'Content-Type', td.mediaTypes.get(digest)!);
    this.expectHeader(r, 'Content-Length', String(body.length));
    if (method === 'GET') this.expectBody(r, body);
    else if (r.body.length !== 0) throw new Error('HEAD returned a body');
    this.verifyDigestHeader(r, digest);
  }

  private async dataWorkflow(td: TestData): Promise<void> {
    const repo = this.repo1;
    await this.group(td.name, async () => {
      await this.group('push', async () => {
        for (const [d, b] of td.blobs) await this.check(`blob ${d.slice(0, 19)}`, () => this.pushAny(repo, d, b));
        for (const d of td.manOrder)
          await this.check(`manifest-by-digest ${d.slice(0, 19)}`, () => this.pushManifest(repo, d, td, d));
        if (!td.digestOnly)
          for (const [tag, d] of td.tags)
            await this.check(`manifest-by-tag ${tag}`, () => this.pushManifest(repo, tag, td, d));
      });
      await this.check('tag-list', async () => {
        const r = await this.req('GET', `/v2/${repo}/tags/list`);
        this.expectStatus(r, 200);
        const list = (JSON.parse(r.body.toString('utf8')) as { tags?: string[] }).tags ?? [];
        for (const t of td.tags.keys())
          if (!td.digestOnly && !list.includes(t)) throw new Error(`tag ${t} missing from the listing`);
        if (list.length >= 2) {
          const sorted = [...list].sort();
          const end = Math.floor(sorted.length / 2);
          const last = sorted[end - 1]!;
          const p = await this.req('GET', `/v2/${repo}/tags/list`, { query: { last } });
          this.expectStatus(p, 200);
          const part = (JSON.parse(p.body.toString('utf8')) as { tags?: string[] }).tags ?? [];
          for (const t of sorted.slice(0, end))
            if (part.includes(t)) throw new Error(`tag ${t} returned with last=${last}`);
          for (const t of sorted.slice(end))
            if (!part.includes(t)) throw new Error(`tag ${t} missing with last=${last}`);
        }
      });
      await this.group('head', async () => {
        if (!td.digestOnly)
          for (const [tag, d] of td.tags)
            await this.check(`manifest-head-by-tag ${tag}`, () => this.getManifest('HEAD', repo, tag, td, d));
        for (const d of td.manOrder)
          await this.check(`manifest-head-by-digest ${d.slice(0, 19)}`, () => this.getManifest('HEAD', repo, d, td, d));
        for (const [d, b] of td.blobs) await this.check(`blob-head ${d.slice(0, 19)}`, () => this.headBlob(repo, d, b));
      });
      await this.group('pull', async () => {
        if (!td.digestOnly)
          for (const [tag, d] of td.tags)
            await this.check(`manifest-by-tag ${tag}`, () => this.getManifest('GET', repo, tag, td, d));
        for (const d of td.manOrder)
          await this.check(`manifest-by-digest ${d.slice(0, 19)}`, () => this.getManifest('GET', repo, d, td, d));
        for (const [d, b] of td.blobs) await this.check(`blob-get ${d.slice(0, 19)}`, () => this.getBlob(repo, d, b));
      });
      if (td.referrers.size > 0) {
        await this.check('referrers', async () => {
          const same = (a: Descriptor, g: Descriptor): boolean =>
            a.digest === g.digest &&
            a.mediaType === g.mediaType &&
            a.size === g.size &&
            (a.artifactType ?? '') === (g.artifactType ?? '') &&
            Object.entries(g.annotations ?? {}).every(([k, v]) => a.annotations?.[k] === v);
          for (const [subj, goals] of td.referrers) {
            const all = await this.referrersList(repo, subj);
            for (const g of goals)
              if (!all.manifests.some((m) => same(m, g)))
                throw new Error(`referrer ${g.digest} missing for subject ${subj}`);
            for (const at of new Set(goals.map((g) => g.artifactType ?? ''))) {
              const f = await this.referrersList(repo, subj, at);
              if (!f.filtered) throw new Unsupported('OCI-Filters-Applied: artifactType not set');
              for (const g of goals)
                if (g.artifactType === at && !f.manifests.some((m) => same(m, g)))
                  throw new Error(`filtered referrer ${g.digest} missing`);
              for (const m of f.manifests)
                if (m.artifactType !== at) throw new Error(`filter ${at} returned ${m.artifactType}`);
            }
          }
        });
      }
      await this.group('delete', async () => {
        if (!td.digestOnly) {
          for (const [tag] of td.tags) {
            await this.check(`tag-delete ${tag}`, async () => {
              const r = await this.req('DELETE', `/v2/${repo}/manifests/${tag}`);
              this.expectStatus(r, 202, 404, 400, 405);
              if (r.status === 400 || r.status === 405) throw new Unsupported(`tag delete returned ${r.status}`);
              const h = await this.req('HEAD', `/v2/${repo}/manifests/${tag}`);
              if (h.status !== 404) throw new Error(`tag still present after delete (HEAD ${h.status})`);
            });
          }
        }
        for (const d of [...td.manOrder].reverse()) {
          await this.check(`manifest-delete ${d.slice(0, 19)}`, async () => {
            const r = await this.req('DELETE', `/v2/${repo}/manifests/${d}`);
            this.expectStatus(r, 202, 404, 400, 405);
            if (r.status === 400 || r.status === 405) throw new Unsupported(`manifest delete returned ${r.status}`);
            const h = await this.req('HEAD', `/v2/${repo}/manifests/${d}`);
            if (h.status !== 404) throw new Error(`manifest still present after delete (HEAD ${h.status})`);
          });
        }
        for (const [d] of td.blobs) await this.check(`blob-delete ${d.slice(0, 19)}`, () => this.deleteBlob(repo, d));
      });
    });
  }

  private async manifestErrors(): Promise<void> {
    const repo = this.repo1;
    await this.group('missing-manifest', async () => {
      await this.check('by-digest', async () => {
        const r = await this.req('GET', `/v2/${repo}/manifests/${digestBytes(randomBytes(1024))}`);
        this.expectStatus(r, 404);
      });
      await this.check('by-tag', async () => {
        const r = await this.req('GET', `/v2/${repo}/manifests/missing-${randomBytes(8).toString('hex')}`);
        this.expectStatus(r, 404);
      });
    });
    await this.group('invalid-digest-format', async () => {
      const td = new TestData('invalid-manifest-digest');
      const d = td.genManifestFull({ layerCount: 1 });
      for (const [bd, b] of td.blobs) await this.check(`push blob ${bd.slice(0, 19)}`, () => this.pushAny(repo, bd, b));
      await this.check('manifest-put', () => this.pushManifest(repo, 'sha256:baddigeststring', td, d.digest, true));
      await this.check('manifest-get', async () => {
        const r = await this.req('GET', `/v2/${repo}/manifests/sha256:baddigeststring`);
        this.expectStatus(r, 404, 400);
      });
      for (const [bd] of td.blobs) await this.check(`blob-delete ${bd.slice(0, 19)}`, () => this.deleteBlob(repo, bd));
    });
  }
}

export function summarize(results: CaseResult[]): { pass: number; fail: number; unsupported: number } {
  return {
    pass: results.filter((r) => r.status === 'pass').length,
    fail: results.filter((r) => r.status === 'fail').length,
    unsupported: results.filter((r) => r.status === 'unsupported').length,
  };
}
