// Images in the registry: repositories → tags with digests → one manifest with its config (OS, arch, user,
// env, history), its layers, what is attached to it (signatures, attestations, SBOMs), and what those say:
// who signed with which key, the attested predicate types, the vulnerabilities of the attached scan report.
import { Link, useParams } from 'wouter';
import { enc, itemsOf, type SupplyChain } from '../api.ts';
import { DataTable } from '../components/DataTable.tsx';
import { Empty, ErrorState, Loading, Time } from '../components/States.tsx';
import { useApi, useDocumentTitle } from '../hooks.ts';

interface Tag {
  tag: string;
  digest?: string | null;
}
interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}
interface ManifestAnswer {
  digest: string;
  mediaType: string;
  isIndex: boolean;
  size?: number;
  artifactType?: string;
  manifest: {
    layers?: Descriptor[];
    manifests?: Descriptor[];
    config?: Descriptor;
    annotations?: Record<string, string>;
  };
}
interface ConfigAnswer {
  digest: string;
  config: {
    os?: string;
    architecture?: string;
    created?: string;
    config?: {
      User?: string;
      Env?: string[];
      Entrypoint?: string[];
      Cmd?: string[];
      WorkingDir?: string;
      ExposedPorts?: Record<string, unknown>;
      Labels?: Record<string, string>;
    };
    history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
  };
}
interface Referrer {
  kind: string;
  via: string;
  tag?: string;
  digest: string;
  artifactType?: string;
  mediaType?: string;
}

const decode = (s: string | undefined): string => {
  if (!s) return '';
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};
const imgPath = (repo: string, ref?: string) => `/images/${enc(repo)}${ref ? `/${enc(ref)}` : ''}`;
const apiRepo = (repo: string) => `/registry/repositories/${enc(repo)}`;
const short = (d: string | null | undefined) => (d ? d.replace(/^sha256:/, '').slice(0, 12) : '—');

function size(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function Repositories({ current }: { current: string }) {
  const r = useApi<unknown>('/registry/repositories');
  if (r.error) return <ErrorState error={r.error} retry={r.reload} what="repositories" />;
  if (!r.data) return <Loading what="repositories" />;
  const items = itemsOf<{ name: string }>(r.data);
  if (items.length === 0)
    return (
      <Empty>
        <p>The registry holds no images yet. Push one with skopeo, crane or docker.</p>
      </Empty>
    );
  return (
    <ul className="res-list" aria-label="Repositories" data-testid="repositories">
      {items.map((x) => (
        <li key={x.name}>
          <Link
            href={imgPath(x.name)}
            aria-current={x.name === current ? 'page' : undefined}
            className={x.name === current ? 'active' : ''}
          >
            {x.name}
          </Link>
        </li>
      ))}
    </ul>
  );
}

function Tags({ repo, current }: { repo: string; current: string }) {
  const t = useApi<unknown>(`${apiRepo(repo)}/tags`);
  if (t.error) return <ErrorState error={t.error} retry={t.reload} what={`tags of ${repo}`} />;
  if (!t.data) return <Loading what="tags" />;
  // cosign's signature/attestation tags are shown with the image they belong to
  const items = itemsOf<Tag>(t.data).filter((x) => !/^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/.test(x.tag));
  if (items.length === 0)
    return (
      <Empty>
        <p>No tags in {repo}.</p>
      </Empty>
    );
  return (
    <DataTable
      caption={`Tags of ${repo}`}
      testId="tags"
      rows={items}
      rowKey={(x) => x.tag}
      rowClass={(x) => (x.tag === current || x.digest === current ? 'selected' : undefined)}
      columns={[
        { header: 'Tag', cell: (x) => <Link href={imgPath(repo, x.tag)}>{x.tag}</Link> },
        { header: 'Digest', cell: (x) => <code title={x.digest ?? ''}>{short(x.digest)}</code> },
      ]}
    />
  );
}

function Config({ repo, ref }: { repo: string; ref: string }) {
  const c = useApi<ConfigAnswer>(`${apiRepo(repo)}/manifests/${enc(ref)}/config`);
  if (c.error) return <ErrorState error={c.error} retry={c.reload} what="the image configuration" />;
  if (!c.data) return <Loading what="configuration" />;
  const cfg = c.data.config;
  const run = cfg.config ?? {};
  return (
    <section aria-labelledby="cfg-title">
      <h3 id="cfg-title">Configuration</h3>
      <dl className="facts" data-testid="image-config">
        <div>
          <dt>Platform</dt>
          <dd>
            {cfg.os ?? '?'}/{cfg.architecture ?? '?'}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time iso={cfg.created} />
          </dd>
        </div>
        <div>
          <dt>User</dt>
          <dd className={run.User && run.User !== 'root' && run.User !== '0' ? '' : 'warn-text'}>
            {run.User || 'root (not set)'}
          </dd>
        </div>
        <div>
          <dt>Entrypoint / Cmd</dt>
          <dd>
            <code>{[...(run.Entrypoint ?? []), ...(run.Cmd ?? [])].join(' ') || '—'}</code>
          </dd>
        </div>
        <div>
          <dt>Working dir</dt>
          <dd>{run.WorkingDir || '—'}</dd>
        </div>
        <div>
          <dt>Ports</dt>
          <dd>{Object.keys(run.ExposedPorts ?? {}).join(', ') || '—'}</dd>
        </div>
      </dl>
      {(run.Env ?? []).length > 0 && (
        <>
          <h4>Environment</h4>
          <ul className="mono small">
            {(run.Env ?? []).map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </>
      )}
      {(cfg.history ?? []).length > 0 && (
        <>
          <h4>History</h4>
          <ol className="mono small history">
            {(cfg.history ?? []).map((h, i) => (
              <li key={i}>
                {h.created_by ?? h.comment ?? ''}
                {h.empty_layer ? <span className="muted"> (no layer)</span> : null}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function Referrers({ repo, ref }: { repo: string; ref: string }) {
  const r = useApi<unknown>(`${apiRepo(repo)}/manifests/${enc(ref)}/referrers`);
  if (r.error) return <ErrorState error={r.error} retry={r.reload} what="signatures and attachments" />;
  if (!r.data) return <Loading what="attachments" />;
  const items = itemsOf<Referrer>(r.data);
  return (
    <section aria-labelledby="ref-title">
      <h3 id="ref-title">Signatures and attachments</h3>
      {items.length === 0 ? (
        <p className="muted">Nothing attached: the image is not signed and has no SBOM or attestation.</p>
      ) : (
        <ul>
          {items.map((x) => (
            <li key={x.digest}>
              <span className={`badge ref-${x.kind}`}>{x.kind}</span> <code title={x.digest}>{short(x.digest)}</code>{' '}
              <span className="muted small">
                {x.via === 'tag' ? `tag ${x.tag}` : 'OCI referrer'} {x.artifactType ?? ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A key id, shortened; the whole id in the tooltip. */
function KeyId({ id }: { id: string | undefined }) {
  if (!id) return <span className="muted">—</span>;
  return (
    <code className="small" title={id} data-key-id={id}>
      {id.length > 20 ? `${id.slice(0, 20)}…` : id}
    </code>
  );
}

const SEVERITY_ORDER = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

function Security({ repo, digest }: { repo: string; digest: string }) {
  const r = useApi<SupplyChain>(`${apiRepo(repo)}/manifests/${enc(digest)}/supply-chain`);
  if (r.error) return <ErrorState error={r.error} retry={r.reload} what="signatures and vulnerabilities" />;
  if (!r.data) return <Loading what="signatures and vulnerabilities" />;
  const { signatures, attestations, vulnerabilities: v, errors } = r.data;
  return (
    <section aria-labelledby="sec-title" data-testid="supply-chain">
      <h3 id="sec-title">Signatures, attestations and vulnerabilities</h3>
      <h4>Signatures</h4>
      {signatures.length === 0 ? (
        <p className="warn-text" data-testid="unsigned">
          Not signed: no cosign signature tag and no Sigstore bundle refers to this image.
        </p>
      ) : (
        <DataTable
          caption="Signatures"
          testId="signatures"
          rows={signatures}
          rowKey={(x) => `${x.source}-${x.digest}`}
          columns={[
            {
              header: 'Kind',
              cell: (x) => (
                <span className="badge ref-signature">{x.kind === 'bundle' ? 'Sigstore bundle' : 'cosign'}</span>
              ),
            },
            { header: 'Signer', cell: (x) => x.signer ?? <span className="muted">key only</span> },
            { header: 'Key id', cell: (x) => <KeyId id={x.keyId} /> },
            {
              header: 'Verified by',
              cell: (x) =>
                x.verifiedBy ? (
                  <span className="badge ref-signature">{x.verifiedBy}</span>
                ) : (
                  <span className="muted">no key this platform knows</span>
                ),
            },
            {
              header: 'Names this image',
              cell: (x) => (x.matchesImage === undefined ? '—' : x.matchesImage ? 'yes' : 'NO'),
            },
            {
              header: 'Stored as',
              cell: (x) => (
                <span className="small" title={x.source}>
                  {x.via === 'tag' ? 'cosign .sig tag' : `OCI referrer ${short(x.source)}`}
                </span>
              ),
            },
          ]}
        />
      )}
      {(errors ?? []).length > 0 && (
        <ul className="muted small" aria-label="Could not be read">
          {(errors ?? []).map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <h4>Attestations</h4>
      {attestations.length === 0 ? (
        <p className="muted">No attestations.</p>
      ) : (
        <DataTable
          caption="Attestations"
          testId="attestations"
          rows={attestations}
          rowKey={(x) => `${x.source}-${x.digest}`}
          columns={[
            { header: 'Predicate type', cell: (x) => <code className="small">{x.predicateType}</code> },
            { header: 'Key id', cell: (x) => <KeyId id={x.keyId} /> },
            { header: 'Stored as', cell: (x) => (x.via === 'tag' ? 'cosign .att tag' : 'OCI referrer') },
          ]}
        />
      )}
      <h4>Vulnerabilities</h4>
      {!v ? (
        <p className="muted">No scan report is attached to this image.</p>
      ) : (
        <div data-testid="vulnerabilities">
          <p>
            <strong>{v.total}</strong> vulnerabilit{v.total === 1 ? 'y' : 'ies'}
            {v.fixable !== undefined ? `, ${v.fixable} with a fix` : ''}:{' '}
            {SEVERITY_ORDER.filter((k) => (v.bySeverity[k] ?? 0) > 0).map((k) => (
              <span key={k} className={`badge sev-${k}`}>
                {k} {v.bySeverity[k]}
              </span>
            ))}
          </p>
          <p className="muted small">
            From {v.source.via === 'attestation' ? 'a vulnerability attestation' : 'the scan report referrer'}{' '}
            <code>{short(v.source.digest)}</code> ({v.source.artifactType}){v.scanner ? `, ${v.scanner}` : ''}
            {v.source.created ? ', ' : ''}
            {v.source.created && <Time iso={v.source.created} />}
          </p>
        </div>
      )}
    </section>
  );
}

function Manifest({ repo, ref }: { repo: string; ref: string }) {
  const m = useApi<ManifestAnswer>(`${apiRepo(repo)}/manifests/${enc(ref)}`);
  if (m.error) return <ErrorState error={m.error} retry={m.reload} what={`manifest ${repo}:${ref}`} />;
  if (!m.data) return <Loading what="manifest" />;
  const d = m.data;
  const layers = d.manifest.layers ?? [];
  const total = layers.reduce((s, l) => s + (l.size ?? 0), 0);
  return (
    <section aria-labelledby="man-title" className="manifest" data-testid="manifest">
      <h2 id="man-title">
        {repo}
        {ref.startsWith('sha256:') ? '@' : ':'}
        {ref.startsWith('sha256:') ? short(ref) : ref}
      </h2>
      <dl className="facts">
        <div>
          <dt>Digest</dt>
          <dd>
            <code className="break">{d.digest}</code>
          </dd>
        </div>
        <div>
          <dt>Media type</dt>
          <dd className="small break">{d.mediaType}</dd>
        </div>
        {d.artifactType && (
          <div>
            <dt>Artifact type</dt>
            <dd className="small break">{d.artifactType}</dd>
          </div>
        )}
        <div>
          <dt>{d.isIndex ? 'Manifests' : 'Layers'}</dt>
          <dd>{d.isIndex ? (d.manifest.manifests ?? []).length : `${layers.length} (${size(total)} compressed)`}</dd>
        </div>
      </dl>
      {d.isIndex ? (
        <>
          <h3>Platforms</h3>
          <ul>
            {(d.manifest.manifests ?? []).map((x) => (
              <li key={x.digest}>
                <Link href={imgPath(repo, x.digest)}>
                  {x.platform
                    ? `${x.platform.os}/${x.platform.architecture}${x.platform.variant ? `/${x.platform.variant}` : ''}`
                    : short(x.digest)}
                </Link>{' '}
                <code className="muted small">{short(x.digest)}</code>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <>
          <Config repo={repo} ref={ref} />
          <h3>Layers</h3>
          <DataTable
            caption="Layers"
            rows={layers}
            rowKey={(l, i) => `${l.digest}-${i}`}
            columns={[
              { header: '#', cell: (_l, i) => i + 1 },
              { header: 'Digest', cell: (l) => <code title={l.digest}>{short(l.digest)}</code> },
              { header: 'Size', cell: (l) => size(l.size) },
              { header: 'Media type', cell: (l) => l.mediaType, className: 'small' },
            ]}
          />
        </>
      )}
      {!d.isIndex && <Security repo={repo} digest={d.digest} />}
      <Referrers repo={repo} ref={ref} />
      <details>
        <summary>Raw manifest</summary>
        <pre className="raw" tabIndex={0}>
          {JSON.stringify(d.manifest, null, 2)}
        </pre>
      </details>
    </section>
  );
}

export function ImagesView() {
  const params = useParams<{ repo?: string; ref?: string }>();
  const repo = decode(params.repo);
  const ref = decode(params.ref);
  useDocumentTitle(repo ? `Images: ${repo}${ref ? `:${ref}` : ''}` : 'Images');
  return (
    <section aria-labelledby="img-title">
      <h1 id="img-title">Images</h1>
      <div className="split">
        <div className="split-list">
          <h2 className="small-h">Repositories</h2>
          <Repositories current={repo} />
        </div>
        <div className="split-main">
          {!repo ? (
            <p className="muted">Pick a repository to see its tags.</p>
          ) : (
            <>
              <h2 className="small-h">Tags of {repo}</h2>
              <Tags repo={repo} current={ref} />
              {ref && <Manifest repo={repo} ref={ref} />}
            </>
          )}
        </div>
      </div>
    </section>
  );
}
