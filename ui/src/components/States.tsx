import type { ReactNode } from 'react';
import { ApiError } from '../api.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorState({ error, retry, what }: { error: Error; retry?: () => void; what: string }) {
  const missing = error instanceof ApiError && error.missing;
  return (
    <div className={missing ? 'state unavailable' : 'state error'} role="alert">
      <p>
        <strong>{missing ? `${what}: not available on this server` : `Could not load ${what}`}</strong>
      </p>
      <p className="muted">
        {missing ? 'The API of this server has no endpoint for it yet.' : error.message}
        {error instanceof ApiError && error.code && !missing ? ` (${error.code})` : ''}
      </p>
      {retry && !missing && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

const SYNC_ICON: Record<string, string> = { Synced: '✓', OutOfSync: '↻', Unknown: '?' };
const HEALTH_ICON: Record<string, string> = {
  Healthy: '♥',
  Progressing: '◔',
  Degraded: '✕',
  Suspended: '⏸',
  Missing: '∅',
  Unknown: '?',
};

export function SyncBadge({ status }: { status: string | undefined }) {
  const s = status || 'Unknown';
  return (
    <span className={`badge sync-${s}`} data-testid="sync-status">
      <span aria-hidden="true">{SYNC_ICON[s] ?? '•'}</span> {s}
    </span>
  );
}

export function HealthBadge({ status }: { status: string | undefined }) {
  const s = status || 'Unknown';
  return (
    <span className={`badge health-${s}`} data-testid="health-status">
      <span aria-hidden="true">{HEALTH_ICON[s] ?? '•'}</span> {s}
    </span>
  );
}

export function Time({ iso }: { iso: string | undefined | null }) {
  if (!iso) return <span className="muted">—</span>;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return <span>{iso}</span>;
  return (
    <time dateTime={iso} title={d.toISOString()}>
      {d.toLocaleString()}
    </time>
  );
}
