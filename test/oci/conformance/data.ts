// Test content for the distribution-spec conformance port: the same kinds of data the upstream runner
// generates (images, indexes, nested indexes, artifacts, subjects, data fields, nondistributable layers,
// custom fields, no layers, sha512), produced by our own generator.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Descriptor, Platform } from '../../../src/oci/media-types.ts';
import { MediaType } from '../../../src/oci/media-types.ts';
import { makeTar } from '../fixtures.ts';

export type Algo = 'sha256' | 'sha512';

export const EXAMPLE_CONF1 = 'application/vnd.example.oci.conformance1+json';
export const EXAMPLE_CONF2 = 'application/vnd.example.oci.conformance2+json';

export function digestBytes(b: Uint8Array, algo: Algo = 'sha256'): string {
  return `${algo}:${createHash(algo).update(b).digest('hex')}`;
}

export class TestData {
  readonly name: string;
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, Buffer>();
  readonly mediaTypes = new Map<string, string>();
  /** Push order (children before parents). */
  readonly manOrder: string[] = [];
  readonly tags = new Map<string, string>();
  readonly referrers = new Map<string, Descriptor[]>();
  /** Manifests pushed only by digest (sha512 content cannot be addressed by tag as sha256). */
  digestOnly = false;

  constructor(name: string) {
    this.name = name;
  }

  addBlob(b: Buffer, algo: Algo = 'sha256', mediaType = 'application/octet-stream', withData = false): Descriptor {
    const d = digestBytes(b, algo);
    this.blobs.set(d, b);
    const desc: Descriptor = { mediaType, digest: d, size: b.length };
    if (withData) desc.data = b.toString('base64');
    return desc;
  }

  genLayer(opts: { algo?: Algo; compress?: boolean; mediaType?: string; bytes?: Buffer; withData?: boolean } = {}): {
    desc: Descriptor;
    diffId: string;
  } {
    if (opts.bytes) {
      const desc = this.addBlob(opts.bytes, opts.algo, opts.mediaType ?? MediaType.OciLayer, opts.withData);
      return { desc, diffId: digestBytes(opts.bytes) };
    }
    const tar = makeTar([{ name: `file-${randomBytes(4).toString('hex')}`, data: randomBytes(512) }]);
    const compress = opts.compress ?? true;
    const body = compress ? gzipSync(tar) : tar;
    const desc = this.addBlob(
      body,
      opts.algo,
      opts.mediaType ?? (compress ? MediaType.OciLayerGzip : MediaType.OciLayer),
      opts.withData,
    );
    return { desc, diffId: digestBytes(tar) };
  }

  genConfig(
    platform: Platform,
    diffIds: string[],
    opts: { algo?: Algo; extraField?: boolean; withData?: boolean } = {},
  ): Descriptor {
    const cfg: Record<string, unknown> = {
      architecture: platform.architecture,
      os: platform.os,
      rootfs: { type: 'layers', diff_ids: diffIds },
      config: {},
    };
    if (opts.extraField) cfg[`x-custom-${randomBytes(3).toString('hex')}`] = randomBytes(4).toString('hex');
    return this.addBlob(Buffer.from(JSON.stringify(cfg)), opts.algo, MediaType.OciConfig, opts.withData);
  }

  addManifest(
    doc: Record<string, unknown>,
    mediaType: string,
    opts: { algo?: Algo; tag?: string; subject?: Descriptor; artifactType?: string } = {},
  ): Descriptor {
    const bytes = Buffer.from(JSON.stringify(doc));
    const d = digestBytes(bytes, opts.algo);
    this.manifests.set(d, bytes);
    this.mediaTypes.set(d, mediaType);
    this.manOrder.push(d);
    if (opts.tag !== undefined) this.tags.set(opts.tag, d);
    const desc: Descriptor = { mediaType, digest: d, size: bytes.length };
    if (opts.subject) {
      const r: Descriptor = { ...desc };
      if (opts.artifactType !== undefined) r.artifactType = opts.artifactType;
      const ann = doc.annotations as Record<string, string> | undefined;
      if (ann) r.annotations = ann;
      const list = this.referrers.get(opts.subject.digest) ?? [];
      list.push(r);
      this.referrers.set(opts.subject.digest, list);
    }
    return desc;
  }

  /** An image manifest with fresh config and layers. */
  genManifestFull(opts: GenOpts = {}): Descriptor {
    const algo = opts.algo ?? 'sha256';
    const layers: Descriptor[] = [];
    const diffIds: string[] = [];
    const count = opts.layerCount ?? 2;
    for (let i = 0; i < count; i++) {
      const l = this.genLayer({
        algo,
        ...(opts.compress !== undefined ? { compress: opts.compress } : {}),
        ...(opts.layerMediaType !== undefined ? { mediaType: opts.layerMediaType } : {}),
        ...(opts.layerBytes !== undefined ? { bytes: opts.layerBytes } : {}),
        withData: opts.descriptorData === true,
      });
      layers.push(l.desc);
      diffIds.push(l.diffId);
    }
    let config: Descriptor;
    if (opts.configBytes !== undefined)
      config = this.addBlob(
        opts.configBytes,
        algo,
        opts.configMediaType ?? MediaType.OciConfig,
        opts.descriptorData === true,
      );
    else
      config = this.genConfig(opts.platform ?? { os: 'linux', architecture: 'amd64' }, diffIds, {
        algo,
        extraField: opts.extraField === true,
        withData: opts.descriptorData === true,
      });
    return this.genManifest(config, layers, opts);
  }

  genManifest(config: Descriptor, layers: Descriptor[], opts: GenOpts = {}): Descriptor {
    const doc: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.OciManifest };
    if (opts.artifactType !== undefined) doc.artifactType = opts.artifactType;
    doc.config = config;
    doc.layers = layers;
    if (opts.subject) doc.subject = opts.subject;
    const ann = { ...(opts.annotations ?? {}) };
    if (opts.annotationUniq) ann['org.example.uniq'] = randomBytes(8).toString('hex');
    if (Object.keys(ann).length > 0) doc.annotations = ann;
    if (opts.extraField) doc[`x-custom-${randomBytes(3).toString('hex')}`] = randomBytes(4).toString('hex');
    const desc = this.addManifest(doc, MediaType.OciManifest, {
      ...(opts.algo ? { algo: opts.algo } : {}),
      ...(opts.tag !== undefined ? { tag: opts.tag } : {}),
      ...(opts.subject ? { subject: opts.subject } : {}),
      artifactType: opts.artifactType ?? config.mediaType,
    });
    if (opts.platform) desc.platform = opts.platform;
    return desc;
  }

  /** An index over one image per platform (children pushed first). */
  genIndexFull(opts: GenOpts & { platforms: Platform[] }): Descriptor {
    const children = opts.platforms.map((p) => {
      const { tag: _t, subject: _s, annotations: _a, annotationUniq: _u, ...childOpts } = opts;
      void _t;
      void _s;
      void _a;
      void _u;
      const d = this.genManifestFull({ ...childOpts, platform: p });
      return { ...d, platform: p };
    });
    return this.genIndex(children, opts);
  }

  genIndex(children: Descriptor[], opts: GenOpts = {}): Descriptor {
    const doc: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.OciIndex };
    if (opts.artifactType !== undefined) doc.artifactType = opts.artifactType;
    doc.manifests = children;
    if (opts.subject) doc.subject = opts.subject;
    const ann = { ...(opts.annotations ?? {}) };
    if (opts.annotationUniq) ann['org.example.uniq'] = randomBytes(8).toString('hex');
    if (Object.keys(ann).length > 0) doc.annotations = ann;
    if (opts.extraField) doc[`x-custom-${randomBytes(3).toString('hex')}`] = randomBytes(4).toString('hex');
    const ao: { algo?: Algo; tag?: string; subject?: Descriptor; artifactType?: string } = {};
    if (opts.algo) ao.algo = opts.algo;
    if (opts.tag !== undefined) ao.tag = opts.tag;
    if (opts.subject) ao.subject = opts.subject;
    if (opts.artifactType !== undefined) ao.artifactType = opts.artifactType;
    return this.addManifest(doc, MediaType.OciIndex, ao);
  }
}

export interface GenOpts {
  algo?: Algo;
  tag?: string;
  layerCount?: number;
  compress?: boolean;
  layerMediaType?: string;
  layerBytes?: Buffer;
  configMediaType?: string;
  configBytes?: Buffer;
  artifactType?: string;
  annotations?: Record<string, string>;
  annotationUniq?: boolean;
  subject?: Descriptor;
  platform?: Platform;
  extraField?: boolean;
  descriptorData?: boolean;
}

const amd64: Platform = { os: 'linux', architecture: 'amd64' };
const arm64: Platform = { os: 'linux', architecture: 'arm64' };

/** Every data set the suite pushes, pulls, queries and deletes. */
export function generateDataSets(): TestData[] {
  const sets: TestData[] = [];
  const add = (name: string, fn: (td: TestData) => void): void => {
    const td = new TestData(name);
    fn(td);
    sets.push(td);
  };
  add('image', (td) => td.genManifestFull({ tag: 'image' }));
  add('image-uncompressed', (td) => td.genManifestFull({ tag: 'image-uncompressed', compress: false }));
  add('large-manifest', (td) => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 500; i++) annotations[`org.example.large.${i}`] = randomBytes(256).toString('hex');
    td.genManifestFull({ tag: 'large-manifest', annotations });
  });
  add('index', (td) => td.genIndexFull({ tag: 'index', platforms: [amd64, arm64] }));
  add('nested-index', (td) => {
    const i1 = td.genIndexFull({ platforms: [amd64, arm64] });
    const i2 = td.genIndexFull({ platforms: [amd64, arm64] });
    td.genIndex([i1, i2], { tag: 'index-of-index' });
  });
  add('empty-index', (td) => td.genIndexFull({ tag: 'index', platforms: [] }));
  const artifactOpts: GenOpts = {
    artifactType: EXAMPLE_CONF1,
    configMediaType: MediaType.OciEmpty,
    configBytes: Buffer.from('{}'),
    layerCount: 1,
    layerMediaType: EXAMPLE_CONF1,
  };
  add('artifact', (td) => td.genManifestFull({ tag: 'artifact', ...artifactOpts }));
  add('artifact-index', (td) => td.genIndexFull({ tag: 'artifact-index', platforms: [amd64, arm64], ...artifactOpts }));
  add('artifact-without-layers', (td) =>
    td.genManifestFull({
      tag: 'artifact-without-layers',
      ...artifactOpts,
      layerBytes: Buffer.from('{}'),
      layerMediaType: MediaType.OciEmpty,
    }),
  );
  add('artifacts-with-subject', (td) => {
    const subj = td.genManifestFull({ tag: 'image' });
    td.genManifestFull({ subject: subj });
    td.genManifestFull({
      ...artifactOpts,
      annotations: { 'org.opencontainers.conformance': 'hello conformance test' },
      annotationUniq: true,
      subject: subj,
      tag: 'tagged-artifact1',
    });
    td.genManifestFull({
      ...artifactOpts,
      artifactType: EXAMPLE_CONF2,
      layerMediaType: 'application/octet-stream',
      annotations: { 'org.opencontainers.conformance': 'hello conformance test' },
      annotationUniq: true,
      subject: subj,
      tag: 'tagged-artifact2',
    });
  });
  add('index-with-subject', (td) => {
    const subj = td.genIndexFull({ tag: 'index', platforms: [amd64, arm64] });
    td.genIndexFull({
      ...artifactOpts,
      annotations: { 'org.opencontainers.conformance': 'index' },
      annotationUniq: true,
      subject: subj,
      tag: 'tagged-artifact',
      platforms: [amd64],
    });
  });
  add('missing-subject', (td) => {
    const b = randomBytes(1024);
    const subj: Descriptor = { mediaType: MediaType.OciManifest, digest: digestBytes(b), size: b.length };
    td.genManifestFull({
      ...artifactOpts,
      annotations: { 'org.opencontainers.conformance': 'missing' },
      annotationUniq: true,
      subject: subj,
      tag: 'tagged-artifact',
    });
  });
  add('data-field', (td) => td.genManifestFull({ tag: 'data-field', descriptorData: true }));
  add('non-distributable-layers', (td) => {
    const nd1 = randomBytes(256);
    const nd2 = randomBytes(256);
    const d1 = digestBytes(nd1);
    const d2 = digestBytes(nd2);
    const layers: Descriptor[] = [
      {
        mediaType: MediaType.OciLayerNondistributableGzip,
        digest: d1,
        size: 123456,
        urls: [`https://store.example.com/blobs/sha256/${d1.slice(7)}`],
      },
      {
        mediaType: MediaType.OciLayerNondistributable,
        digest: d2,
        size: 12345,
        urls: [`https://store.example.com/blobs/sha256/${d2.slice(7)}`],
      },
    ];
    const l3 = td.genLayer();
    layers.push(l3.desc);
    const cfg = td.genConfig(amd64, [digestBytes(randomBytes(256)), d2, l3.diffId]);
    td.genManifest(cfg, layers, { tag: 'non-distributable-image' });
  });
  add('custom-fields', (td) => td.genIndexFull({ tag: 'custom-fields', platforms: [amd64, arm64], extraField: true }));
  add('no-layers', (td) => td.genManifestFull({ tag: 'no-layers', layerCount: 0 }));
  add('sha512-content', (td) => {
    td.digestOnly = true;
    td.genManifestFull({ algo: 'sha512' });
  });
  return sets;
}
