import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload(): void;
}

/** GET an API path; reloads when the path changes or reload() is called. `null` path: nothing to load. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const lastPath = useRef<string | null>(null);
  useEffect(() => {
    if (path === null) return;
    const ac = new AbortController();
    if (lastPath.current !== path) {
      setData(undefined);
      lastPath.current = path;
    }
    setLoading(true);
    api<T>('GET', path, undefined, ac.signal)
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e as Error);
      })
      .finally(() => {
        if (!ac.signal.aborted) setLoading(false);
      });
    return () => ac.abort();
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export interface AppEvent {
  type: string;
  application: { name: string; namespace: string; [k: string]: unknown };
}

type Listener = (e: AppEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
let status: 'connecting' | 'live' | 'down' = 'connecting';
const statusListeners = new Set<(s: typeof status) => void>();

function setStatus(s: typeof status): void {
  status = s;
  for (const l of statusListeners) l(s);
}

function ensureSource(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/v1/stream');
  source.onopen = () => setStatus('live');
  source.onerror = () => setStatus(source?.readyState === EventSource.CLOSED ? 'down' : 'connecting');
  source.addEventListener('application', (m) => {
    let ev: AppEvent;
    try {
      ev = JSON.parse((m as MessageEvent<string>).data) as AppEvent;
    } catch {
      return;
    }
    for (const l of listeners) l(ev);
  });
}

/** Subscribes to application changes from the server-sent event stream (one shared connection). */
export function useAppEvents(f: Listener): void {
  const ref = useRef(f);
  ref.current = f;
  useEffect(() => {
    const l: Listener = (e) => ref.current(e);
    listeners.add(l);
    ensureSource();
    return () => {
      listeners.delete(l);
    };
  }, []);
}

export function closeAppEvents(): void {
  source?.close();
  source = null;
  setStatus('connecting');
}

export function useLiveStatus(): typeof status {
  const [s, set] = useState(status);
  useEffect(() => {
    statusListeners.add(set);
    ensureSource();
    return () => {
      statusListeners.delete(set);
    };
  }, []);
  return s;
}

export function useDocumentTitle(t: string): void {
  useEffect(() => {
    document.title = t ? `${t} · Sekisho` : 'Sekisho';
  }, [t]);
}
