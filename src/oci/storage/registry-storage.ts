// The storage behind the embedded registry. The filesystem backend implements it today; an object-store
// backend can follow. Blobs are content-addressed and shared across repositories; a repository sees a
// blob only once it is linked to it (pushed, mounted or referenced).
import type { Readable } from 'node:stream';
import type { Descriptor } from '../media-types.ts';

export interface BlobInfo {
  digest: string;
  size: number;
}

export interface UploadState {
  id: string;
  repository: string;
  /** Bytes received so far. */
  size: number;
  startedAt: number;
}

export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface GcResult {
  blobsDeleted: number;
  bytesFreed: number;
  uploadsExpired: number;
}

export interface RegistryStorage {
  /** Global blob lookup (for mounts and GC), regardless of repository. */
  statBlob(digest: string): Promise<BlobInfo | null>;
  /** The blob as seen from a repository (null unless linked there). */
  statRepoBlob(repository: string, digest: string): Promise<BlobInfo | null>;
  readBlob(digest: string, range?: ByteRange): Readable;
  linkBlob(repository: string, digest: string): Promise<void>;
  /** Removes the repository's link; returns false if it had none. */
  unlinkBlob(repository: string, digest: string): Promise<boolean>;

  createUpload(repository: string): Promise<UploadState>;
  getUpload(repository: string, id: string): Promise<UploadState | null>;
  /**
   * Appends a chunk at `offset` (must equal the current size) and returns the new state. A client that
   * dies mid-chunk leaves the upload at its last complete size.
   */
  appendUpload(repository: string, id: string, offset: number, data: Readable): Promise<UploadState>;
  /** Verifies the digest (and size if given), then makes the blob visible atomically and links it. */
  commitUpload(repository: string, id: string, digest: string, expectedSize?: number): Promise<BlobInfo>;
  cancelUpload(repository: string, id: string): Promise<boolean>;
  /** Stores a blob from a stream in one go (monolithic upload), with the same checks as commit. */
  putBlob(repository: string, digest: string, data: Readable, expectedSize?: number): Promise<BlobInfo>;

  putManifest(
    repository: string,
    manifest: StoredManifest,
    tag?: string,
    subject?: Descriptor,
    referrer?: Descriptor,
  ): Promise<void>;
  /** By tag or digest. */
  getManifest(repository: string, reference: string): Promise<StoredManifest | null>;
  resolveTag(repository: string, tag: string): Promise<string | null>;
  deleteManifest(repository: string, digest: string): Promise<boolean>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  listTags(repository: string): Promise<string[] | null>;
  listRepositories(): Promise<string[]>;
  /** Descriptors of manifests in the repository whose subject is `digest`. */
  listReferrers(repository: string, digest: string): Promise<Descriptor[]>;

  /** Removes upload sessions started more than `ttlMs` ago; returns how many. */
  expireUploads(ttlMs: number, now?: number): Promise<number>;
  /** Deletes blobs no manifest references and upload sessions older than `uploadTtlMs`. */
  gc(opts: { uploadTtlMs: number; dryRun?: boolean; now?: number }): Promise<GcResult>;
}
