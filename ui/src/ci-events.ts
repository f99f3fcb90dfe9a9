// Live changes of pipeline runs and change requests: one shared EventSource on /api/v1/ci/stream, fanned out
// to the views that listen; each view reloads what it shows (at most once per 250 ms) when an event concerns it,
// and when the stream (re)connects, to catch up with what changed before.
import { useEffect, useRef } from 'react';
import type { CrSummary, RunSummary } from './api.ts';

export type CiEvent =
  | { kind: 'pipelinerun'; type: string; run: RunSummary }
  | { kind: 'changerequest'; type: string; changeRequest: CrSummary };

/** "ready": the stream (re)connected and sends every later change — views reload to catch up */
type Listener = (e: CiEvent | { kind: 'ready' }) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;

function ensureSource(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/v1/ci/stream');
  source.addEventListener('ready', () => {
    for (const l of listeners) l({ kind: 'ready' });
  });
  for (const kind of ['pipelinerun', 'changerequest'] as const)
    source.addEventListener(kind, (m) => {
      let data: Record<string, unknown>;
      try {
        data = JSON.parse((m as MessageEvent<string>).data) as Record<string, unknown>;
      } catch {
        return;
      }
      const ev = { kind, ...data } as CiEvent;
      for (const l of listeners) l(ev);
    });
}

function closeIfIdle(): void {
  if (listeners.size === 0 && source) {
    source.close();
    source = null;
  }
}

/** Calls `reload` (throttled) whenever an event passes `concerns`. */
export function useCiEvents(concerns: (e: CiEvent) => boolean, reload: () => void): void {
  const ref = useRef({ concerns, reload });
  ref.current = { concerns, reload };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const l: Listener = (e) => {
      if ((e.kind !== 'ready' && !ref.current.concerns(e)) || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        ref.current.reload();
      }, 250);
    };
    listeners.add(l);
    ensureSource();
    return () => {
      listeners.delete(l);
      if (timer) clearTimeout(timer);
      closeIfIdle();
    };
  }, []);
}
