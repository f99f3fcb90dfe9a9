// The advisory database as an OCI artifact (as Trivy ships trivy-db): `db push` publishes a consistent
// snapshot of the SQLite file under a tag; `db pull` fetches it (digest-verified), checks it is an advisory
// database, and swaps it in atomically, so a failed pull leaves the old database untouched.
import type Database from 'better-sqlite3';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pullArtifact, pushArtifact, type ImageStore } from '../../oci/index.ts';
import { ScanError } from '../errors.ts';
import { openSqliteImage, withoutWal } from '../sqlite-image.ts';
import { AdvisoryDb, DB_FILE } from './advisory-db.ts';

export const DB_ARTIFACT_TYPE = 'application/vnd.sekisho.advisory-db.v1';
export const DB_LAYER_TYPE = 'application/vnd.sekisho.advisory-db.layer.v1+sqlite';

function advisoryCount(bytes: Buffer, what: string): number {
  let db: Database.Database | undefined;
  try {
    db = openSqliteImage(bytes);
    return (db.prepare('SELECT count(*) AS n FROM advisory').get() as { n: number }).n;
  } catch (e) {
    throw new ScanError('DB_INVALID', `${what} is not an advisory database: ${(e as Error).message}`, { cause: e });
  } finally {
    db?.close();
  }
}

export async function pushDb(
  dir: string,
  store: ImageStore,
  tag: string,
  created: string,
): Promise<{ digest: string; advisories: number; bytes: number }> {
  const db = AdvisoryDb.open(dir, { readonly: true });
  let bytes: Buffer;
  try {
    // a rollback-journal image: the database switches itself back to WAL when opened for writing
    bytes = withoutWal(db.db.serialize());
  } finally {
    db.close();
  }
  const advisories = advisoryCount(bytes, join(dir, DB_FILE));
  const desc = await pushArtifact(store, {
    artifactType: DB_ARTIFACT_TYPE,
    blobs: [{ bytes, mediaType: DB_LAYER_TYPE, annotations: { 'org.opencontainers.image.title': DB_FILE } }],
    tag,
    annotations: { 'org.opencontainers.image.created': created, 'dev.sekisho.advisory-db.count': String(advisories) },
  });
  return { digest: desc.digest, advisories, bytes: bytes.length };
}

export async function pullDb(
  store: ImageStore,
  ref: string,
  dir: string,
): Promise<{ digest: string; advisories: number }> {
  const art = await pullArtifact(store, ref, { artifactType: DB_ARTIFACT_TYPE });
  const layer = art.blobs.find((b) => b.mediaType === DB_LAYER_TYPE);
  if (!layer) throw new ScanError('DB_INVALID', `${store.name}@${art.digest} has no ${DB_LAYER_TYPE} layer`);
  const advisories = advisoryCount(layer.bytes, `${store.name}@${art.digest}`);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, DB_FILE);
  const tmp = `${target}.pull-${process.pid}`;
  writeFileSync(tmp, layer.bytes);
  // the old database's write-ahead log must not be replayed onto the new file
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  renameSync(tmp, target);
  return { digest: art.digest, advisories };
}
