// Who is logged in: asks GET /api/v1/session once at start (a cookie may already be there), keeps the CSRF
// token for state-changing calls, and drops back to the login view when the server says 401.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, onSessionLost, setCsrf, type Session } from './api.ts';

interface SessionState {
  session: Session | null;
  /** true until the first GET /session has answered */
  loading: boolean;
  error: string | null;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const Ctx = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    onSessionLost(() => setSession(null));
    let live = true;
    api<Session>('GET', '/session')
      .then((s) => {
        if (!live) return;
        setCsrf(s.csrfToken ?? '');
        setSession(s);
      })
      .catch((e: unknown) => {
        if (!live) return;
        if (!(e instanceof ApiError && e.status === 401)) setError((e as Error).message);
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const s = await api<Session>('POST', '/session', { username, password });
    setCsrf(s.csrfToken ?? '');
    setError(null);
    setSession(s);
  }, []);

  const logout = useCallback(async () => {
    try {
      await api('DELETE', '/session');
    } finally {
      setCsrf('');
      setSession(null);
    }
  }, []);

  const value = useMemo(() => ({ session, loading, error, login, logout }), [session, loading, error, login, logout]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
