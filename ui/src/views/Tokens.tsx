// API tokens of the logged-in user: list, create (the secret is shown once), revoke.
import { useState, type FormEvent } from 'react';
import { api, enc, itemsOf, type Token } from '../api.ts';
import { DataTable } from '../components/DataTable.tsx';
import { Empty, ErrorState, Loading, Time } from '../components/States.tsx';
import { useApi, useDocumentTitle } from '../hooks.ts';
import { useSession } from '../session.tsx';

const ROLES = ['viewer', 'developer', 'admin'];

export function TokensView() {
  useDocumentTitle('API tokens');
  const { session } = useSession();
  const t = useApi<unknown>('/tokens');
  const [name, setName] = useState('');
  const [role, setRole] = useState(session?.role ?? 'viewer');
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const allowed = ROLES.slice(0, ROLES.indexOf(session?.role ?? 'viewer') + 1);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const body: Record<string, unknown> = { name, role };
      if (days) body.expiresInSeconds = Math.round(Number(days) * 86400);
      const r = await api<{ token: string }>('POST', '/tokens', body);
      setCreated({ name, token: r.token });
      setName('');
      t.reload();
    } catch (e2) {
      setErr((e2 as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (tok: Token) => {
    if (!window.confirm(`Revoke token "${tok.name}"? Programs using it lose access at once.`)) return;
    try {
      await api('DELETE', `/tokens/${enc(tok.id)}`);
      t.reload();
    } catch (e2) {
      setErr((e2 as Error).message);
    }
  };
  const items = itemsOf<Token>(t.data);
  return (
    <section aria-labelledby="tok-title">
      <h1 id="tok-title">API tokens</h1>
      <p className="muted">
        Tokens let scripts and CI call the API (<code>Authorization: Bearer …</code>) and push to the git server.
      </p>
      <form className="card inline-form" onSubmit={create} aria-labelledby="tok-new">
        <h2 id="tok-new">New token</h2>
        <div className="field">
          <label htmlFor="tok-name">Name</label>
          <input id="tok-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} />
        </div>
        <div className="field">
          <label htmlFor="tok-role">Role</label>
          <select id="tok-role" value={role} onChange={(e) => setRole(e.target.value)}>
            {allowed.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="tok-days">Expires in (days)</label>
          <input
            id="tok-days"
            type="number"
            min={1}
            value={days}
            placeholder="never"
            onChange={(e) => setDays(e.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={busy || !name}>
          Create token
        </button>
      </form>
      {err && (
        <p role="alert" className="error-text">
          {err}
        </p>
      )}
      {created && (
        <div className="note" role="status">
          <p>
            Token <b>{created.name}</b> created. Copy it now: it is not shown again.
          </p>
          <p>
            <code className="break" data-testid="new-token">
              {created.token}
            </code>{' '}
            <button type="button" onClick={() => void navigator.clipboard?.writeText(created.token)}>
              Copy
            </button>
          </p>
        </div>
      )}
      <h2>Your tokens</h2>
      {t.error ? (
        <ErrorState error={t.error} retry={t.reload} what="tokens" />
      ) : !t.data ? (
        <Loading what="tokens" />
      ) : items.length === 0 ? (
        <Empty>
          <p>No tokens yet.</p>
        </Empty>
      ) : (
        <DataTable
          caption="Your tokens"
          testId="tokens"
          rows={items}
          rowKey={(x) => x.id}
          columns={[
            { header: 'Name', cell: (x) => x.name },
            { header: 'User', cell: (x) => x.user ?? session?.user },
            { header: 'Role', cell: (x) => x.role },
            { header: 'Created', cell: (x) => <Time iso={x.createdAt} /> },
            { header: 'Expires', cell: (x) => (x.expiresAt ? <Time iso={x.expiresAt} /> : 'never') },
            {
              header: 'Actions',
              cell: (x) => (
                <button type="button" className="danger" onClick={() => void revoke(x)} aria-label={`Revoke ${x.name}`}>
                  Revoke
                </button>
              ),
            },
          ]}
        />
      )}
    </section>
  );
}
