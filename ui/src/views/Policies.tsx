// Policies: constraint templates, constraints with their enforcement and audit counts, and every
// violation (admission audit and the GitOps pre-apply gate) with its object and a link to the owning app.
import { Link, useParams } from 'wouter';
import { appPath, itemsOf } from '../api.ts';
import { Empty, ErrorState, Loading, Time } from '../components/States.tsx';
import { useApi, useDocumentTitle } from '../hooks.ts';

interface Template {
  name: string;
  kind?: string;
  status?: { created?: boolean; byPod?: { errors?: { message?: string }[] }[] };
}
interface Constraint {
  kind: string;
  name: string;
  enforcementAction: string;
  totalViolations: number;
  auditTimestamp?: string;
  match?: { kinds?: { kinds?: string[] }[]; namespaces?: string[] };
}
interface Violation {
  source?: string;
  constraint?: { kind?: string; name?: string };
  enforcementAction?: string;
  message: string;
  object?: { group?: string; kind?: string; namespace?: string; name?: string } | null;
  kind?: string;
  name?: string;
  namespace?: string;
  application?: { namespace: string; name: string; project?: string } | null;
  revision?: string;
  time?: string;
}

const TABS = [
  { id: 'violations', label: 'Violations' },
  { id: 'constraints', label: 'Constraints' },
  { id: 'templates', label: 'Templates' },
] as const;

function Violations() {
  const v = useApi<unknown>('/policies/violations');
  if (v.error) return <ErrorState error={v.error} retry={v.reload} what="violations" />;
  if (!v.data) return <Loading what="violations" />;
  const items = itemsOf<Violation>(v.data);
  if (items.length === 0)
    return (
      <Empty>
        <p>
          <strong>No violations.</strong> Every audited object passes its constraints and no sync was stopped by a
          policy.
        </p>
      </Empty>
    );
  return (
    <div className="table-wrap">
      <table data-testid="violations">
        <caption className="sr-only">Policy violations</caption>
        <thead>
          <tr>
            <th scope="col">Found by</th>
            <th scope="col">Constraint</th>
            <th scope="col">Action</th>
            <th scope="col">Object</th>
            <th scope="col">Message</th>
            <th scope="col">Application</th>
          </tr>
        </thead>
        <tbody>
          {items.map((x, i) => {
            const o = x.object ?? (x.kind ? { kind: x.kind, name: x.name, namespace: x.namespace } : null);
            return (
              <tr key={i}>
                <td>
                  {x.source === 'sync-gate' ? 'sync gate' : 'audit'}
                  {x.time && (
                    <>
                      <br />
                      <Time iso={x.time} />
                    </>
                  )}
                </td>
                <td>{x.constraint?.kind ? `${x.constraint.kind}/${x.constraint.name}` : '—'}</td>
                <td>
                  <span className={`badge action-${x.enforcementAction ?? 'deny'}`}>
                    {x.enforcementAction ?? 'deny'}
                  </span>
                </td>
                <td>
                  {o ? (
                    <>
                      {o.kind} {o.namespace ? `${o.namespace}/` : ''}
                      {o.name}
                    </>
                  ) : (
                    <span className="muted">{x.revision ? `revision ${x.revision.slice(0, 8)}` : '—'}</span>
                  )}
                </td>
                <td>{x.message}</td>
                <td>
                  {x.application ? (
                    <Link href={appPath(x.application.namespace, x.application.name)}>{x.application.name}</Link>
                  ) : (
                    <span className="muted">not owned by an application</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Constraints() {
  const c = useApi<unknown>('/policies/constraints');
  if (c.error) return <ErrorState error={c.error} retry={c.reload} what="constraints" />;
  if (!c.data) return <Loading what="constraints" />;
  const items = itemsOf<Constraint>(c.data);
  if (items.length === 0)
    return (
      <Empty>
        <p>No constraints. Create a ConstraintTemplate and a constraint of its kind with kubectl.</p>
      </Empty>
    );
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Constraints</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Enforcement</th>
            <th scope="col">Matches</th>
            <th scope="col">Violations</th>
            <th scope="col">Last audit</th>
          </tr>
        </thead>
        <tbody>
          {items.map((x) => (
            <tr key={`${x.kind}/${x.name}`}>
              <td>{x.kind}</td>
              <td>{x.name}</td>
              <td>
                <span className={`badge action-${x.enforcementAction}`}>{x.enforcementAction}</span>
              </td>
              <td className="small">
                {(x.match?.kinds ?? []).flatMap((k) => k.kinds ?? []).join(', ') || 'everything'}
                {x.match?.namespaces?.length ? ` in ${x.match.namespaces.join(', ')}` : ''}
              </td>
              <td>{x.totalViolations}</td>
              <td>
                <Time iso={x.auditTimestamp} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Templates() {
  const t = useApi<unknown>('/policies/templates');
  if (t.error) return <ErrorState error={t.error} retry={t.reload} what="constraint templates" />;
  if (!t.data) return <Loading what="templates" />;
  const items = itemsOf<Template>(t.data);
  if (items.length === 0)
    return (
      <Empty>
        <p>No constraint templates installed.</p>
      </Empty>
    );
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Constraint templates</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Constraint kind</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {items.map((x) => {
            const errors = (x.status?.byPod ?? []).flatMap((p) => p.errors ?? []);
            return (
              <tr key={x.name}>
                <td>{x.name}</td>
                <td>{x.kind ?? '—'}</td>
                <td>
                  {errors.length
                    ? errors.map((e) => e.message).join('; ')
                    : x.status?.created
                      ? 'created'
                      : x.status
                        ? 'pending'
                        : '—'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function PoliciesView() {
  const params = useParams<{ tab?: string }>();
  const tab = TABS.find((t) => t.id === params.tab)?.id ?? 'violations';
  useDocumentTitle(`Policies (${tab})`);
  return (
    <section aria-labelledby="pol-title">
      <h1 id="pol-title">Policies</h1>
      <nav aria-label="Policy views" className="tabs">
        <ul>
          {TABS.map((t) => (
            <li key={t.id}>
              <Link
                href={t.id === 'violations' ? '/policies' : `/policies/${t.id}`}
                aria-current={tab === t.id ? 'page' : undefined}
                className={tab === t.id ? 'active' : ''}
              >
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="tab-body">
        {tab === 'violations' && <Violations />}
        {tab === 'constraints' && <Constraints />}
        {tab === 'templates' && <Templates />}
      </div>
    </section>
  );
}
