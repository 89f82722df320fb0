import { useState, type ReactNode } from 'react';
import { api, listOf } from '../api/client.js';
import { useNames } from '../api/names.js';
import { useSession } from '../api/session.js';
import { normaliseRequest, partnerLabel, type AccessRequest } from '../api/types.js';
import { Link } from '../router.js';
import { BarChart, lastWeeks, weekOf } from '../ui/charts.js';
import { ConfirmDialog, DataView, DefinitionList, ErrorBox, PageHeader, Section, StatusBadge, Table, useFlash } from '../ui/components.js';
import { fmtDate, fmtDateTime, fmtNumber, humanise, saveBlob, shortId } from '../ui/format.js';
import { useAction, useApi } from '../ui/use-api.js';
import { conditionsSummary } from './requests.js';

export interface Job {
  id: string;
  status: string;
  kind?: string;
  image?: string;
  createdAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  outputs?: { id: string; name?: string; status: string; sizeBytes?: number }[];
}

export function ProjectsPage(): ReactNode {
  const { hasRole } = useSession();
  const names = useNames();
  const list = useApi(async () => listOf<unknown>(await api.get('/projects')).items.map(normaliseRequest), []);
  return (
    <>
      <PageHeader
        title={hasRole('partner') ? 'Your projects' : 'Projects'}
        description={
          hasRole('guardian')
            ? 'Projects using your trust’s data, with usage. You can revoke your trust’s approval at any time.'
            : undefined
        }
      />
      <DataView value={list} what="projects">
        {(rows) => (
          <Section title="Projects">
            <Table
              caption="Projects"
              columns={[
                { header: 'Project', cell: (p) => <Link to={`/projects/${p.id}`}>{p.title || shortId(p.id)}</Link> },
                { header: 'Partner', cell: (p) => (p.partnerName || p.partner?.name ? partnerLabel(p) : names.partner(p.partnerId)) },
                { header: 'Status', cell: (p) => <StatusBadge status={p.status} /> },
                { header: 'Active since', cell: (p) => fmtDate(p.activatedAt) },
                { header: 'Ends', cell: (p) => fmtDate(p.endDate ?? p.trusts?.map((t) => t.endDate).find(Boolean)) },
                { header: 'Queries', numeric: true, cell: (p) => fmtNumber(p.usage?.['queries'] ?? '—') },
                { header: 'Jobs', numeric: true, cell: (p) => fmtNumber(p.usage?.['jobs'] ?? '—') },
              ]}
              rows={rows}
              rowKey={(p) => p.id}
              empty="There are no projects yet."
            />
          </Section>
        )}
      </DataView>
    </>
  );
}

export function ProjectDetailPage({ id }: { id: string }): ReactNode {
  const { me, hasRole } = useSession();
  const names = useNames();
  const project = useApi(() => api.get<unknown>(`/projects/${encodeURIComponent(id)}`).then(normaliseRequest), [id]);
  const jobs = useApi(async () => listOf<Job>(await api.get(`/projects/${encodeURIComponent(id)}/jobs`)).items, [id]);
  return (
    <DataView value={project} what="the project">
      {(p) => {
        const mine = p.trusts?.find((t) => t.trustId === me?.trustId);
        const canRevoke = hasRole('guardian') && (mine ? mine.status === 'approved' : p.status === 'active');
        return (
          <>
            <PageHeader title={p.title || 'Project'} description={<StatusBadge status={p.status} />} />
            {p.statusReason ? (
              <div className="callout callout-info">
                <p>{p.statusReason}</p>
              </div>
            ) : null}
            <div className="grid-2">
              <Section title="About">
                <DefinitionList
                  items={[
                    ['Partner', p.partnerName || p.partner?.name ? partnerLabel(p) : names.partner(p.partnerId)],
                    ['Purpose', p.purpose ?? '—'],
                    ['Active since', fmtDateTime(p.activatedAt)],
                    ['Request', <Link to={`/requests/${p.id}`}>Original request and decisions</Link>],
                  ]}
                />
              </Section>
              <Section title="Usage">
                {p.usage && Object.keys(p.usage).length ? (
                  <DefinitionList items={Object.entries(p.usage).map(([k, v]) => [humanise(k), fmtNumber(v)])} />
                ) : (
                  <p className="muted">No usage recorded yet.</p>
                )}
              </Section>
            </div>
            <Section title="Trusts">
              <Table
                caption="Trusts in this project"
                columns={[
                  {
                    header: 'Trust',
                    cell: (t) => (t.trustId === me?.trustId ? 'Your trust' : (t.trustName ?? t.trust?.name ?? names.trust(t.trustId))),
                  },
                  { header: 'State', cell: (t) => <StatusBadge status={t.status} /> },
                  { header: 'Conditions', cell: (t) => conditionsSummary(t.conditions).join('; ') || 'None' },
                  { header: 'End date', cell: (t) => fmtDate(t.endDate) },
                ]}
                rows={p.trusts ?? []}
                rowKey={(t) => t.trustId}
                empty="No trusts listed."
              />
            </Section>
            <Section title="Job runs">
              <DataView value={jobs} what="job runs">
                {(rows) => (
                  <>
                    {rows.length ? (
                      <BarChart
                        title="Jobs per week (last 8 weeks)"
                        categories={lastWeeks(8)}
                        series={[
                          {
                            name: 'Jobs',
                            values: lastWeeks(8).map((w) => rows.filter((j) => j.createdAt && weekOf(new Date(j.createdAt)) === w).length),
                          },
                        ]}
                      />
                    ) : null}
                    <Table
                      caption="Job runs"
                      columns={[
                        { header: 'Job', cell: (j: Job) => shortId(j.id) },
                        { header: 'Submitted', cell: (j: Job) => fmtDateTime(j.createdAt) },
                        { header: 'Finished', cell: (j: Job) => fmtDateTime(j.finishedAt) },
                        { header: 'Status', cell: (j: Job) => <StatusBadge status={j.status} /> },
                        { header: 'Released outputs', cell: (j: Job) => <Outputs job={j} canDownload={hasRole('partner')} /> },
                      ]}
                      rows={rows}
                      rowKey={(j) => j.id}
                      empty="No jobs have run in this project."
                    />
                  </>
                )}
              </DataView>
            </Section>
            {canRevoke ? <RevokeBox project={p} onDone={project.reload} /> : null}
          </>
        );
      }}
    </DataView>
  );
}

function Outputs({ job, canDownload }: { job: Job; canDownload: boolean }): ReactNode {
  const flash = useFlash();
  const outs = job.outputs ?? [];
  if (!outs.length) return '—';
  return (
    <ul className="tight">
      {outs.map((o) => (
        <li key={o.id}>
          {o.name ?? shortId(o.id)} <StatusBadge status={o.status} />{' '}
          {canDownload && o.status === 'released' ? (
            <button
              type="button"
              className="link-button"
              onClick={() =>
                void api.download(`/airlock/outputs/${encodeURIComponent(o.id)}/content`).then(
                  (f) => {
                    saveBlob(f.blob, f.filename ?? o.name ?? `output-${o.id}`);
                    flash(`Downloaded ${f.filename ?? o.name ?? 'the output'}.`);
                  },
                  (e: unknown) => flash(`Download failed: ${e instanceof Error ? e.message : String(e)}`, 'error'),
                )
              }
            >
              Download
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function RevokeBox({ project, onDone }: { project: AccessRequest; onDone(): void }): ReactNode {
  const flash = useFlash();
  const action = useAction();
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  return (
    <Section title="Revoke your trust's approval">
      <p className="hint">Revoking stops this project using your trust’s data at once. The partner sees your reason.</p>
      {action.error ? <ErrorBox error={action.error} /> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) setConfirming(true);
        }}
      >
        <div className="field">
          <label htmlFor="revoke-reason">Reason for revoking</label>
          <textarea id="revoke-reason" required rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        <button type="submit" className="danger">
          Revoke…
        </button>
      </form>
      <ConfirmDialog
        open={confirming}
        title="Revoke this project?"
        confirmLabel="Yes, revoke"
        danger
        busy={action.busy}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          void action
            .run(() => api.post(`/projects/${encodeURIComponent(project.id)}/revoke`, { reason: reason.trim() }))
            .then((r) => {
              setConfirming(false);
              if (r !== undefined) {
                flash(`Revoked “${project.title}” for your trust.`);
                onDone();
              }
            })
        }
      >
        <p>
          <strong>{project.title}</strong> will stop using your trust’s data immediately.
        </p>
        <p>Reason: {reason}</p>
      </ConfirmDialog>
    </Section>
  );
}
