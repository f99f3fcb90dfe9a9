// The audit log of state-changing API calls: one JSON object per line, appended to a file in the data
// directory. Secrets (passwords, tokens) are never written.
import { appendFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AuditEntry {
  time: string;
  user?: string;
  role?: string;
  via?: string;
  method: string;
  path: string;
  status: number;
  remote?: string;
  /** error code when the call failed */
  code?: string;
  /** short description of what changed, e.g. the created object's name */
  target?: string;
}

export class AuditLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(e: AuditEntry): void {
    // one write(2) per line with O_APPEND keeps lines whole across concurrent writers
    appendFileSync(this.path, JSON.stringify(e) + '\n', { mode: 0o600 });
  }

  /** The last `limit` entries, newest last. */
  tail(limit: number): AuditEntry[] {
    if (!existsSync(this.path)) return [];
    const lines = readFileSync(this.path, 'utf8').split('\n').filter(Boolean);
    return lines.slice(-limit).map((l) => JSON.parse(l) as AuditEntry);
  }
}
