// The local advisory database: OSV records in SQLite (better-sqlite3), one row per record and one per
// (ecosystem, package) it affects, so lookups by package are one indexed query. Imported offline from a
// directory of OSV JSON files or a zip of them; nothing is downloaded.
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ScanError } from '../errors.ts';
import { validateOsv, type OsvRecord } from './osv.ts';
import { zipEntries } from '../zip.ts';
import { distroFeedRecords } from './distro-feeds.ts';

export const DB_FILE = 'advisories.db';

export interface ImportResult {
  records: number;
  affected: number;
  files: number;
}

/** Key under which a package name is stored: PyPI names are PEP 503-normalized, others as-is. */
export function nameKey(ecosystem: string, name: string): string {
  return ecosystem.split(':')[0]!.toLowerCase() === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

export class AdvisoryDb {
  readonly db: Database.Database;
  readonly path: string;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
  }

  /** Opens (creating with `create`) the database in directory `dir`. */
  static open(dir: string, opts: { create?: boolean; readonly?: boolean } = {}): AdvisoryDb {
    const path = join(dir, DB_FILE);
    if (!opts.create && !existsSync(path))
      throw new ScanError(
        'DB_MISSING',
        `no advisory database at ${path} (create one with \`sekisho scan db import --db ${dir} <osv-dir>\`)`,
      );
    if (opts.create) mkdirSync(dir, { recursive: true });
    const db = new Database(path, opts.readonly ? { readonly: true, fileMustExist: true } : {});
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.exec(`
        CREATE TABLE IF NOT EXISTS advisory (id TEXT PRIMARY KEY, modified TEXT, json TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS affected (advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL, idx INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS affected_pkg ON affected (ecosystem, name);
        CREATE INDEX IF NOT EXISTS affected_adv ON affected (advisory_id);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
      `);
    }
    return new AdvisoryDb(path, db);
  }

  close(): void {
    this.db.close();
  }

  /** Imports one OSV record (replacing an older copy with the same id). */
  private importer(): (rec: OsvRecord) => number {
    const del = this.db.prepare('DELETE FROM affected WHERE advisory_id = ?');
    const ins = this.db.prepare('INSERT OR REPLACE INTO advisory (id, modified, json) VALUES (?, ?, ?)');
    const aff = this.db.prepare('INSERT INTO affected (advisory_id, ecosystem, name, idx) VALUES (?, ?, ?, ?)');
    return (rec) => {
      del.run(rec.id);
      ins.run(rec.id, rec.modified ?? null, JSON.stringify(rec));
      let n = 0;
      (rec.affected ?? []).forEach((a, i) => {
        if (!a.package?.ecosystem || !a.package.name) return;
        aff.run(rec.id, a.package.ecosystem, nameKey(a.package.ecosystem, a.package.name), i);
        n++;
      });
      return n;
    };
  }

  /** Imports every `*.json` file (OSV records, Debian tracker or Alpine secdb feeds) under a directory, a zip of them, or a single file. */
  importPath(path: string): ImportResult {
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      throw new ScanError('TARGET_NOT_FOUND', `${path}: no such file or directory`, { cause: e });
    }
    const put = this.importer();
    const result: ImportResult = { records: 0, affected: 0, files: 0 };
    const one = (text: string, file: string): void => {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        throw new ScanError('DB_INVALID', `${file}: invalid JSON: ${(e as Error).message}`, { cause: e });
      }
      result.files++;
      const feed = distroFeedRecords(doc, file);
      if (feed) {
        for (const rec of feed) result.affected += put(rec);
        result.records += feed.length;
        return;
      }
      // OSV exports hold one record per file; some tools write arrays
      for (const d of Array.isArray(doc) ? doc : [doc]) {
        result.affected += put(validateOsv(d, file));
        result.records++;
      }
    };
    const tx = this.db.transaction(() => {
      if (st.isDirectory()) {
        const walk = (dir: string): void => {
          for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
            const p = join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile() && e.name.endsWith('.json')) one(readFileSync(p, 'utf8'), p);
            else if (e.isFile() && e.name.endsWith('.zip')) zip(p);
          }
        };
        walk(path);
      } else if (path.endsWith('.zip')) zip(path);
      else one(readFileSync(path, 'utf8'), path);
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('updated', ?)").run(new Date().toISOString());
    });
    const zip = (p: string): void => {
      for (const e of zipEntries(readFileSync(p), p))
        if (e.name.endsWith('.json')) one(e.data.toString('utf8'), `${p}:${e.name}`);
    };
    tx();
    return result;
  }

  /** Records affecting a package, with the index of the matching `affected` entry. */
  lookup(ecosystem: string, name: string): { record: OsvRecord; idx: number }[] {
    const rows = this.db
      .prepare(
        'SELECT a.json AS json, f.idx AS idx FROM affected f JOIN advisory a ON a.id = f.advisory_id WHERE f.ecosystem = ? AND f.name = ?',
      )
      .all(ecosystem, nameKey(ecosystem, name)) as { json: string; idx: number }[];
    return rows.map((r) => ({ record: JSON.parse(r.json) as OsvRecord, idx: r.idx }));
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM advisory').get() as { n: number }).n;
  }
}
