// Policies: constraint templates, constraints with their enforcement and audit counts, and every
// violation (admission audit and the GitOps pre-apply gate) with its object and a link to the owning app.
import { Link, useParams } from 'wouter';
import { appPath, itemsOf } from '../api.ts';
import { DataTable } from '../components/DataTable.tsx';
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
    <DataTable
      caption="Policy violations"
      testId="violations"
      rows={items}
      rowKey={(_x, i) => String(i)}
      columns={[
        {
          header: 'Found by',
          cell: (x) => (
            <>
              {x.source === 'sync-gate' ? 'sync gate' : 'audit'}
              {x.time && (
                <>
                  <br />
                  <Time iso={x.time} />
                </>
              )}
            </>
          ),
        },
        { header: 'Constraint', cell: (x) => (x.constraint?.kind ? `${x.constraint.kind}/${x.constraint.name}` : '—') },
        {
          header: 'Action',
          cell: (x) => (
            <span className={`badge action-${x.enforcementAction ?? 'deny'}`}>{x.enforcementAction ?? 'deny'}</span>
          ),
        },
        {
          header: 'Object',
          cell: (x) => {
            const o = x.object ?? (x.kind ? { kind: x.kind, name: x.name, namespace: x.namespace } : null);
            return o ? (
              <>
                {o.kind} {o.namespace ? `${o.namespace}/` : ''}
                {o.name}
              </>
            ) : (
              <span className="muted">{x.revision ? `revision ${x.revision.slice(0, 8)}` : '—'}</span>
            );
          },
        },
        { header: 'Message', cell: (x) => x.message },
        {
          header: 'Application',
          cell: (x) =>
            x.application ? (
              <Link href={appPath(x.application.namespace, x.application.name)}>{x.application.name}</Link>
            ) : (
              <span className="muted">not owned by an application</span>
            ),
        },
      ]}
    />
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
    <DataTable
      caption="Constraints"
      rows={items}
      rowKey={(x) => `${x.kind}/${x.name}`}
      columns={[
        { header: 'Kind', cell: (x) => x.kind },
        { header: 'Name', cell: (x) => x.name },
        {
          header: 'Enforcement',
          cell: (x) => <span className={`badge action-${x.enforcementAction}`}>{x.enforcementAction}</span>,
        },
        {
          header: 'Matches',
          className: 'small',
          cell: (x) => (
            <>
              {(x.match?.kinds ?? []).flatMap((k) => k.kinds ?? []).join(', ') || 'everything'}
              {x.match?.namespaces?.length ? ` in ${x.match.namespaces.join(', ')}` : ''}
            </>
          ),
        },
        { header: 'Violations', cell: (x) => x.totalViolations },
        { header: 'Last audit', cell: (x) => <Time iso={x.auditTimestamp} /> },
      ]}
    />
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
    <DataTable
      caption="Constraint templates"
      rows={items}
      rowKey={(x) => x.name}
      columns={[
        { header: 'Name', cell: (x) => x.name },
        { header: 'Constraint kind', cell: (x) => x.kind ?? '—' },
        {
          header: 'Status',
          cell: (x) => {
            const errors = (x.status?.byPod ?? []).flatMap((p) => p.errors ?? []);
            return errors.length
              ? errors.map((e) => e.message).join('; ')
              : x.status?.created
                ? 'created'
                : x.status
                  ? 'pending'
                  : '—';
          },
        },
      ]}
    />
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
