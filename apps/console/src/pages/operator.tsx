import { useState, type FormEvent, type ReactNode } from 'react';
import { api, listOf } from '../api/client.js';
import { forgetNames, useNames } from '../api/names.js';
import type { Partner, Trust } from '../api/types.js';
import { Link } from '../router.js';
import { ConfirmDialog, DataView, DefinitionList, ErrorBox, PageHeader, Section, StatusBadge, Table, useFlash } from '../ui/components.js';
import { fmtDateTime, fmtNumber, humanise, shortId } from '../ui/format.js';
import { useAction, useApi } from '../ui/use-api.js';

/* ---------------- trusts ---------------- */

export function TrustsPage(): ReactNode {
  const flash = useFlash();
  const action = useAction();
  const list = useApi(async () => listOf<Trust>(await api.get('/trusts')).items, []);
  const [ods, setOds] = useState('');
  const [name, setName] = useState('');
  return (
    <>
      <PageHeader title="Trusts" description="NHS organisations whose data the station holds, by ODS code." />
      <Section title="Add a trust">
        {action.error ? <ErrorBox error={action.error} /> : null}
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            void action
              .run(() => api.post<Trust>('/trusts', { odsCode: ods.trim().toUpperCase(), name: name.trim() }))
              .then((r) => {
                if (!r) return;
                flash(`Added trust ${r.value.name} (${r.value.odsCode}).`);
                setOds('');
                setName('');
                forgetNames();
                list.reload();
              });
          }}
        >
          <div className="field">
            <label htmlFor="t-ods">ODS code</label>
            <input id="t-ods" required pattern="[A-Za-z0-9]{3,5}" value={ods} onChange={(e) => setOds(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="t-name">Name</label>
            <input id="t-name" required minLength={2} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="button-row">
            <button type="submit" className="primary" disabled={action.busy}>
              Add trust
            </button>
          </div>
        </form>
      </Section>
      <DataView value={list} what="trusts">
        {(rows) => (
          <Section title={`Trusts (${rows.length})`}>
            <Table
              caption="Trusts"
              columns={[
                { header: 'ODS code', cell: (t) => <code>{t.odsCode}</code> },
                { header: 'Name', cell: (t) => t.name },
                { header: 'Added', cell: (t) => fmtDateTime(t.createdAt) },
                { header: 'Id', cell: (t) => <code>{t.id}</code> },
              ]}
              rows={rows}
              rowKey={(t) => t.id}
              empty="No trusts yet."
            />
          </Section>
        )}
      </DataView>
    </>
  );
}

/* ---------------- partners and clients ---------------- */

interface ClientView {
  clientId: string;
  name: string;
  partnerId: string | null;
  trustId: string | null;
  role?: string;
  jwksUrl: string | null;
  keyIds?: string[];
  disabled: boolean;
  createdAt?: string;
}

export function PartnersPage(): ReactNode {
  const flash = useFlash();
  const action = useAction();
  const list = useApi(async () => listOf<Partner>(await api.get('/partners')).items, []);
  const [name, setName] = useState('');
  return (
    <>
      <PageHeader
        title="Partners and clients"
        description="Research organisations, the machine clients they call the API with, and their registered public keys."
      />
      <Section title="Add a partner">
        {action.error ? <ErrorBox error={action.error} /> : null}
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            void action
              .run(() => api.post<Partner>('/partners', { name: name.trim() }))
              .then((r) => {
                if (!r) return;
                flash(`Added partner ${r.value.name}.`);
                setName('');
                forgetNames();
                list.reload();
              });
          }}
        >
          <div className="field">
            <label htmlFor="p-name">Partner name</label>
            <input id="p-name" required minLength={2} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="button-row">
            <button type="submit" className="primary" disabled={action.busy}>
              Add partner
            </button>
          </div>
        </form>
      </Section>
      <DataView value={list} what="partners">
        {(rows) => (
          <Section title={`Partners (${rows.length})`}>
            <Table
              caption="Partners"
              columns={[
                { header: 'Name', cell: (p) => <Link to={`/partners/${p.id}`}>{p.name}</Link> },
                { header: 'Added', cell: (p) => fmtDateTime(p.createdAt) },
                { header: 'Id', cell: (p) => <code>{p.id}</code> },
              ]}
              rows={rows}
              rowKey={(p) => p.id}
              empty="No partners yet."
            />
          </Section>
        )}
      </DataView>
    </>
  );
}

export function PartnerDetailPage({ id }: { id: string }): ReactNode {
  const flash = useFlash();
  const partner = useApi(() => api.get<Partner>(`/partners/${encodeURIComponent(id)}`), [id]);
  const clients = useApi(async () => listOf<ClientView>(await api.get('/clients', { partnerId: id })).items, [id]);
  const create = useAction();
  const disable = useAction();
  const [name, setName] = useState('');
  const [keySource, setKeySource] = useState<'jwks' | 'jwksUrl'>('jwks');
  const [jwks, setJwks] = useState('');
  const [jwksUrl, setJwksUrl] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [toDisable, setToDisable] = useState<ClientView | undefined>();

  function submit(e: FormEvent): void {
    e.preventDefault();
    let keys: { jwks: { keys: Record<string, unknown>[] } } | { jwksUrl: string };
    if (keySource === 'jwks') {
      try {
        const parsed = JSON.parse(jwks) as unknown;
        const set = Array.isArray((parsed as { keys?: unknown }).keys)
          ? (parsed as { keys: Record<string, unknown>[] })
          : { keys: [parsed as Record<string, unknown>] };
        keys = { jwks: set };
      } catch {
        setProblem('The public key must be a JSON Web Key or a JWK Set (JSON).');
        return;
      }
    } else keys = { jwksUrl: jwksUrl.trim() };
    setProblem(undefined);
    void create
      .run(() => api.post<ClientView>('/clients', { name: name.trim(), partnerId: id, ...keys }))
      .then((r) => {
        if (!r) return;
        flash(`Registered client ${r.value.name}. Its client_id is ${r.value.clientId}.`);
        setName('');
        setJwks('');
        setJwksUrl('');
        clients.reload();
      });
  }

  return (
    <DataView value={partner} what="the partner">
      {(p) => (
        <>
          <PageHeader title={p.name} description="Partner organisation" />
          <Section title="About">
            <DefinitionList
              items={[
                ['Partner id', <code>{p.id}</code>],
                ['Added', fmtDateTime(p.createdAt)],
              ]}
            />
          </Section>
          <Section title="Clients and keys">
            <DataView value={clients} what="clients">
              {(rows) => (
                <Table
                  caption="Clients of this partner"
                  columns={[
                    { header: 'Name', cell: (c) => c.name },
                    { header: 'client_id', cell: (c) => <code>{c.clientId}</code> },
                    {
                      header: 'Keys',
                      cell: (c) => (c.jwksUrl ? `JWKS URL: ${c.jwksUrl}` : (c.keyIds ?? []).map((k) => <code key={k}>{k} </code>)),
                    },
                    { header: 'Status', cell: (c) => <StatusBadge status={c.disabled ? 'disabled' : 'active'} /> },
                    {
                      header: 'Actions',
                      cell: (c) =>
                        c.disabled ? (
                          '—'
                        ) : (
                          <button type="button" className="danger" onClick={() => setToDisable(c)}>
                            Disable…
                          </button>
                        ),
                    },
                  ]}
                  rows={rows}
                  rowKey={(c) => c.clientId}
                  empty="This partner has no clients yet."
                />
              )}
            </DataView>
          </Section>
          <Section title="Register a client">
            <p className="hint">
              Clients sign in with private_key_jwt (RFC 7523). Register only the public key: Harbour never holds a client’s private key.
            </p>
            {problem ? (
              <div className="callout callout-error" role="alert">
                <p>{problem}</p>
              </div>
            ) : null}
            {create.error ? <ErrorBox error={create.error} /> : null}
            <form onSubmit={submit}>
              <div className="field">
                <label htmlFor="cl-name">Client name</label>
                <input id="cl-name" required minLength={2} value={name} onChange={(e) => setName(e.target.value)} />
              </div>
              <fieldset>
                <legend>Public key</legend>
                <label className="choice">
                  <input type="radio" name="keysource" checked={keySource === 'jwks'} onChange={() => setKeySource('jwks')} /> Paste a
                  public JWK or JWK Set
                </label>
                <label className="choice">
                  <input type="radio" name="keysource" checked={keySource === 'jwksUrl'} onChange={() => setKeySource('jwksUrl')} /> The
                  partner publishes a JWKS URL
                </label>
              </fieldset>
              {keySource === 'jwks' ? (
                <div className="field">
                  <label htmlFor="cl-jwks">Public key (JSON)</label>
                  <textarea id="cl-jwks" rows={5} required className="mono" value={jwks} onChange={(e) => setJwks(e.target.value)} />
                </div>
              ) : (
                <div className="field">
                  <label htmlFor="cl-url">JWKS URL</label>
                  <input id="cl-url" type="url" required value={jwksUrl} onChange={(e) => setJwksUrl(e.target.value)} />
                </div>
              )}
              <button type="submit" className="primary" disabled={create.busy}>
                {create.busy ? 'Registering…' : 'Register client'}
              </button>
            </form>
          </Section>
          <ConfirmDialog
            open={toDisable !== undefined}
            title="Disable this client?"
            confirmLabel="Yes, disable"
            danger
            busy={disable.busy}
            onCancel={() => setToDisable(undefined)}
            onConfirm={() => {
              const c = toDisable;
              if (!c) return;
              void disable
                .run(() => api.post(`/clients/${encodeURIComponent(c.clientId)}/disable`))
                .then((r) => {
                  setToDisable(undefined);
                  if (r) {
                    flash(`Disabled client ${c.name}. Its tokens stop working at once.`);
                    clients.reload();
                  } else flash('The client could not be disabled.', 'error');
                });
            }}
          >
            <p>
              <strong>{toDisable?.name}</strong> will no longer be able to get tokens; its current tokens stop working at once.
            </p>
          </ConfirmDialog>
        </>
      )}
    </DataView>
  );
}

/* ---------------- users and roles ---------------- */

interface UserView {
  id: string;
  username: string;
  email: string | null;
  disabled: boolean;
  totpEnabled: boolean;
  roles: { role: string; trustId: string | null; partnerId: string | null }[];
  createdAt?: string;
}

const ROLE_CHOICES = ['guardian', 'auditor', 'operator', 'partner', 'trust-uploader'] as const;

export function UsersPage(): ReactNode {
  const flash = useFlash();
  const names = useNames();
  const action = useAction();
  const list = useApi(async () => listOf<UserView>(await api.get('/users')).items, []);
  const trusts = useApi(async () => listOf<Trust>(await api.get('/trusts')).items, []);
  const partners = useApi(async () => listOf<Partner>(await api.get('/partners')).items, []);
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<(typeof ROLE_CHOICES)[number]>('guardian');
  const [org, setOrg] = useState('');
  const scope = role === 'guardian' || role === 'trust-uploader' ? 'trust' : role === 'partner' ? 'partner' : 'station';
  return (
    <>
      <PageHeader
        title="Users and roles"
        description="People who sign in, and what they may do. Guardians and uploaders belong to a trust; partner members to a partner."
      />
      <Section title="Add a user">
        {action.error ? <ErrorBox error={action.error} /> : null}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const grant = { role, ...(scope === 'trust' ? { trustId: org } : scope === 'partner' ? { partnerId: org } : {}) };
            void action
              .run(() =>
                api.post<UserView>('/users', {
                  username: username.trim(),
                  ...(email.trim() ? { email: email.trim() } : {}),
                  ...(password ? { password } : {}),
                  roles: [grant],
                }),
              )
              .then((r) => {
                if (!r) return;
                flash(
                  `Added user ${r.value.username} as ${humanise(role)}${org ? ` of ${scope === 'trust' ? names.trust(org) : names.partner(org)}` : ''}.`,
                );
                setUsername('');
                setEmail('');
                setPassword('');
                list.reload();
              });
          }}
        >
          <div className="grid-2">
            <div className="field">
              <label htmlFor="u-name">Username</label>
              <input
                id="u-name"
                required
                pattern="[a-z0-9][a-z0-9._\-]{2,63}"
                autoComplete="off"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor="u-email">Email (optional)</label>
              <input id="u-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="u-pass">Initial password</label>
              <p id="u-pass-hint" className="hint">
                At least 12 characters. Leave empty for single sign-on only.
              </p>
              <input
                id="u-pass"
                type="password"
                autoComplete="new-password"
                minLength={12}
                aria-describedby="u-pass-hint"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor="u-role">Role</label>
              <select
                id="u-role"
                value={role}
                onChange={(e) => {
                  setRole(e.target.value as (typeof ROLE_CHOICES)[number]);
                  setOrg('');
                }}
              >
                {ROLE_CHOICES.map((r) => (
                  <option key={r} value={r}>
                    {humanise(r)}
                  </option>
                ))}
              </select>
            </div>
            {scope !== 'station' ? (
              <div className="field">
                <label htmlFor="u-org">{scope === 'trust' ? 'Trust' : 'Partner'}</label>
                <select id="u-org" required value={org} onChange={(e) => setOrg(e.target.value)}>
                  <option value="">Choose…</option>
                  {(scope === 'trust'
                    ? trusts.state === 'ready'
                      ? trusts.data
                      : []
                    : partners.state === 'ready'
                      ? partners.data
                      : []
                  ).map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
          </div>
          <button type="submit" className="primary" disabled={action.busy}>
            Add user
          </button>
        </form>
      </Section>
      <DataView value={list} what="users">
        {(rows) => (
          <Section title={`Users (${rows.length})`}>
            <Table
              caption="Users"
              columns={[
                { header: 'Username', cell: (u) => u.username },
                {
                  header: 'Roles',
                  cell: (u) =>
                    u.roles
                      .map(
                        (r) =>
                          `${humanise(r.role)}${r.trustId ? ` (${names.trust(r.trustId)})` : r.partnerId ? ` (${names.partner(r.partnerId)})` : ''}`,
                      )
                      .join(', ') || 'None',
                },
                { header: 'Two-step sign-in', cell: (u) => (u.totpEnabled ? 'On' : 'Off') },
                { header: 'Status', cell: (u) => <StatusBadge status={u.disabled ? 'disabled' : 'active'} /> },
                { header: 'Added', cell: (u) => fmtDateTime(u.createdAt) },
              ]}
              rows={rows}
              rowKey={(u) => u.id}
              empty="No users yet."
            />
          </Section>
        )}
      </DataView>
    </>
  );
}

/* ---------------- ingestion ---------------- */

interface Batch {
  id: string;
  trustId?: string;
  kind?: string;
  format?: string;
  status: string;
  total?: number;
  processed?: number;
  accepted?: number;
  rejected?: number;
  recordsTotal?: number;
  recordsAccepted?: number;
  recordsRejected?: number;
  createdAt?: string;
  finishedAt?: string | null;
  rejections?: { line?: number; row?: number; code?: string; reason?: string; message?: string }[];
}

function progressOf(b: Batch): { done: number; total: number | undefined; rejected: number } {
  const total = b.total ?? b.recordsTotal;
  const accepted = b.accepted ?? b.recordsAccepted ?? 0;
  const rejected = b.rejected ?? b.recordsRejected ?? 0;
  return { done: b.processed ?? accepted + rejected, total, rejected };
}

function Progress({ b }: { b: Batch }): ReactNode {
  const { done, total } = progressOf(b);
  if (!total) return <>{fmtNumber(done)}</>;
  return (
    <span className="progress-cell">
      <progress max={total} value={done} aria-label={`Batch ${shortId(b.id)} progress`} /> {fmtNumber(done)} / {fmtNumber(total)}
    </span>
  );
}

export function IngestionPage(): ReactNode {
  const names = useNames();
  const list = useApi(async () => listOf<Batch>(await api.get('/ingestion/batches')).items, []);
  return (
    <>
      <PageHeader
        title="Ingestion"
        description="Batches of records trusts have sent (FHIR, CSV extracts, DICOM): progress and rejected records."
        actions={
          <button type="button" onClick={list.reload}>
            Refresh
          </button>
        }
      />
      <DataView value={list} what="ingestion batches">
        {(rows) => (
          <Section title={`Batches (${rows.length})`}>
            <Table
              caption="Ingestion batches"
              columns={[
                { header: 'Batch', cell: (b) => <Link to={`/ingestion/${b.id}`}>{shortId(b.id)}</Link> },
                { header: 'Trust', cell: (b) => names.trust(b.trustId) },
                { header: 'Kind', cell: (b) => b.kind ?? b.format ?? '—' },
                { header: 'Progress', cell: (b) => <Progress b={b} /> },
                { header: 'Rejected', numeric: true, cell: (b) => fmtNumber(progressOf(b).rejected) },
                { header: 'Status', cell: (b) => <StatusBadge status={b.status} /> },
                { header: 'Started', cell: (b) => fmtDateTime(b.createdAt) },
              ]}
              rows={rows}
              rowKey={(b) => b.id}
              empty="No batches yet."
            />
          </Section>
        )}
      </DataView>
    </>
  );
}

export function IngestionBatchPage({ id }: { id: string }): ReactNode {
  const batch = useApi(async () => camel(await api.get<Batch>(`/ingestion/batches/${encodeURIComponent(id)}`)), [id]);
  return (
    <DataView value={batch} what="the batch">
      {(b) => (
        <>
          <PageHeader title={`Batch ${shortId(b.id)}`} description={<StatusBadge status={b.status} />} />
          <Section title="Progress">
            <DefinitionList
              items={[
                ['Kind', b.kind ?? b.format ?? '—'],
                ['Progress', <Progress b={b} />],
                ['Rejected records', fmtNumber(progressOf(b).rejected)],
                ['Started', fmtDateTime(b.createdAt)],
                ['Finished', fmtDateTime(b.finishedAt)],
              ]}
            />
          </Section>
          <Section title="Rejections">
            <Table
              caption="Rejected records"
              columns={[
                { header: 'Line', numeric: true, cell: (r) => String(r.line ?? r.row ?? '—') },
                { header: 'Code', cell: (r) => r.code ?? '—' },
                { header: 'Reason', cell: (r) => r.reason ?? r.message ?? '—' },
              ]}
              rows={b.rejections ?? []}
              rowKey={(_, i) => String(i)}
              empty="No records were rejected."
            />
          </Section>
        </>
      )}
    </DataView>
  );
}

function camel<T>(x: T): T {
  if (!x || typeof x !== 'object') return x;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v])) as T;
}

/* ---------------- keys ---------------- */

interface KeyInfo {
  kid: string;
  status: string;
  createdAt: string;
  retiredAt: string | null;
}

export function KeysPage(): ReactNode {
  const flash = useFlash();
  const action = useAction();
  const [confirming, setConfirming] = useState(false);
  const keys = useApi(async () => listOf<KeyInfo>(await api.get('/keys')).items, []);
  return (
    <>
      <PageHeader
        title="Signing keys"
        description="The station’s token and checkpoint signing keys. Rotating makes a new active key; retired keys stay published so existing signatures still verify."
      />
      {action.error ? <ErrorBox error={action.error} /> : null}
      <Section
        title="Keys"
        actions={
          <button type="button" className="primary" onClick={() => setConfirming(true)}>
            Rotate signing key…
          </button>
        }
      >
        <DataView value={keys} what="signing keys">
          {(rows) => (
            <Table
              caption="Signing keys"
              columns={[
                { header: 'Key id', cell: (k) => <code>{k.kid}</code> },
                { header: 'Status', cell: (k) => <StatusBadge status={k.status} /> },
                { header: 'Created', cell: (k) => fmtDateTime(k.createdAt) },
                { header: 'Retired', cell: (k) => fmtDateTime(k.retiredAt) },
              ]}
              rows={rows}
              rowKey={(k) => k.kid}
              empty="No keys yet."
            />
          )}
        </DataView>
      </Section>
      <ConfirmDialog
        open={confirming}
        title="Rotate the signing key?"
        confirmLabel="Yes, rotate"
        busy={action.busy}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          void action
            .run(() => api.post<{ kid: string; previousKid: string | null }>('/keys/rotate'))
            .then((r) => {
              setConfirming(false);
              if (!r) return;
              flash(
                `Rotated the signing key: ${r.value.kid} is now active${r.value.previousKid ? `, ${r.value.previousKid} retired` : ''}.`,
              );
              keys.reload();
            })
        }
      >
        <p>New tokens and checkpoints are signed with a new key. Tokens already issued stay valid until they expire.</p>
      </ConfirmDialog>
    </>
  );
}

/* ---------------- health ---------------- */

export function HealthPage(): ReactNode {
  const ready = useApi(async () => {
    const res = await fetch('/health/ready', { headers: { accept: 'application/json' } });
    return { httpStatus: res.status, body: (await res.json().catch(() => ({}))) as Record<string, string> };
  }, []);
  const live = useApi(async () => (await fetch('/health/live')).status, []);
  return (
    <>
      <PageHeader
        title="System health"
        actions={
          <button type="button" onClick={() => (ready.reload(), live.reload())}>
            Check again
          </button>
        }
      />
      <Section title="Station">
        <DataView value={ready} what="health">
          {(r) => (
            <DefinitionList
              items={[
                [
                  'API process',
                  live.state === 'ready' && live.data === 200 ? <StatusBadge status="ok" /> : <StatusBadge status="unreachable" />,
                ],
                ['Ready to serve', <StatusBadge status={r.httpStatus === 200 ? 'ok' : 'unavailable'} />],
                ...Object.entries(r.body)
                  .filter(([k]) => k !== 'status')
                  .map(([k, v]) => [humanise(k), <StatusBadge status={v} />] as [string, ReactNode]),
              ]}
            />
          )}
        </DataView>
        <p className="muted">
          Metrics for dashboards are at <code>/metrics</code> (Prometheus); the API reference at <a href="/docs">/docs</a>.
        </p>
      </Section>
    </>
  );
}
