// An SQLite database file held in memory (an rpm database read from an image layer, a downloaded advisory
// database), opened with better-sqlite3's deserialisation. A database last written in WAL mode carries
// file-format versions 2 at bytes 18-19, which an in-memory image cannot use; a copy marked as a
// rollback-journal database (1) reads the same data, since the write-ahead log is not part of the bytes.
import Database from 'better-sqlite3';

export function withoutWal(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  if (copy.length >= 100 && copy[18] === 2 && copy[19] === 2) copy[18] = copy[19] = 1;
  return copy;
}

export function openSqliteImage(bytes: Buffer): Database.Database {
  return new Database(withoutWal(bytes));
}
