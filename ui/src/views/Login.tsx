import { useState, type FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { ApiError } from '../api.ts';
import { useDocumentTitle } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { Logo } from '../components/Layout.tsx';

export function LoginView() {
  useDocumentTitle('Log in');
  const { login, error: startError } = useSession();
  const [, navigate] = useLocation();
  const search = useSearch();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username, password);
      const next = new URLSearchParams(search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('/login') ? next : '/applications', { replace: true });
    } catch (err) {
      const e2 = err as Error;
      setError(
        err instanceof ApiError && err.status === 401
          ? 'Wrong user name or password.'
          : err instanceof ApiError && err.status === 429
            ? `Too many attempts: ${e2.message}`
            : e2.message,
      );
      setBusy(false);
    }
  };
  return (
    <main id="main" className="login">
      <form onSubmit={submit} aria-labelledby="login-title" className="card">
        <h1 id="login-title">
          <Logo /> Sekisho
        </h1>
        <p className="muted">Log in to the secure GitOps platform.</p>
        {startError && (
          <p role="alert" className="error-text">
            The server did not answer: {startError}
          </p>
        )}
        <label htmlFor="username">User name</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
          autoFocus
          aria-describedby={error ? 'login-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
        {error && (
          <p id="login-error" role="alert" className="error-text">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p className="muted small">
          <code>sekisho up</code> prints the admin password when it creates it.
        </p>
      </form>
    </main>
  );
}
